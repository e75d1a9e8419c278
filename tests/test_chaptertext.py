"""The chapter-text format: one module writes and reads it, and both sides of the pipeline use it."""

from __future__ import annotations

from helpers import DATA

from snakebook.chaptertext import (
    BREAK,
    HEADING,
    PARAGRAPH,
    SCENE_BREAK,
    Element,
    join_elements,
    make_hint,
    parse,
    plain_text,
    read_chapter,
    strip_hints,
    write_chapter,
)
from snakebook.extract import write_extraction
from snakebook.readers import ReadOptions, read_book
from snakebook.readers.html_text import Block, blocks_to_text
from snakebook.text.sentences import split_sentences
from snakebook.text.speech import Pauses, plan_utterances

ELEMENTS = [
    Element(BREAK),  # a scene break before anything separates nothing
    Element(HEADING, "The  First\nPart"),
    Element(PARAGRAPH, "Prose, with a hint: " + make_hint("Nth", "ɛnθ") + "."),
    Element(BREAK),
    Element(BREAK),  # repeated: one break
    Element(PARAGRAPH, "A verse line,\nand the next one."),
    Element(PARAGRAPH, "   "),  # empty: skipped
    Element(BREAK),  # at the end: dropped
]


def test_written_text_reads_back_as_the_same_elements():
    text = join_elements(ELEMENTS)
    assert text == ("# The First Part\n\nProse, with a hint: ⟦Nth|ɛnθ⟧.\n\n* * *\n\nA verse line,\nand the next one.")
    elements = parse(text)
    assert [e.kind for e in elements] == [HEADING, PARAGRAPH, BREAK, PARAGRAPH]
    assert elements[0].text == "The First Part"
    assert elements[3].lines == ["A verse line,", "and the next one."]
    assert join_elements(elements) == text  # a round trip changes nothing


def test_parse_is_lenient_about_hand_edited_files():
    text = "# Heading\n\n \nFirst paragraph.\n  \t\n* * *\n\nLast line one\n  \nLast line two\n"
    assert [(e.kind, e.text) for e in parse(text)] == [
        (HEADING, "Heading"),
        (PARAGRAPH, "First paragraph."),
        (BREAK, ""),
        (PARAGRAPH, "Last line one"),
        (PARAGRAPH, "Last line two"),
    ]


def test_hints_and_plain_text():
    assert make_hint("N.", "nɔrθ") == "⟦N.|nɔrθ⟧"
    assert make_hint("a|b⟧", " x ⟦y| ") == "⟦ab|x y⟧"  # the delimiters never leak into either side
    assert make_hint("word", "  ") == "word"
    assert strip_hints("by ⟦N.|nɔrθ⟧ x") == "by N. x"
    text = "# Title Here\n\nOne ⟦two|tuː⟧ three.\n\n* * *\n\nfour\nfive"
    assert plain_text(text) == "Title Here One two three. four five"
    assert plain_text(text, headings=False) == "One two three. four five"
    # a splitter never cuts inside a hint, even at a dot
    assert split_sentences("He went ⟦N. W.|nɔrθ wɛst⟧ at dawn. Then home.", "en") == [
        "He went ⟦N. W.|nɔrθ wɛst⟧ at dawn.",
        "Then home.",
    ]


def test_file_round_trip_is_atomic_and_ends_with_one_newline(tmp_path):
    path = tmp_path / "chapters" / "001.txt"
    write_chapter(path, "# H\n\nBody.\n\n\n")
    assert path.read_bytes() == b"# H\n\nBody.\n"
    assert [p.name for p in path.parent.iterdir()] == ["001.txt"]  # no temporary file left behind
    assert [e.kind for e in parse(read_chapter(path))] == [HEADING, PARAGRAPH]


def test_readers_write_what_speech_planning_reads():
    """Both sides of the contract: a reader's blocks -> text -> the pauses text preparation plans."""
    text = blocks_to_text(
        [
            Block("heading", "Part One"),
            Block("p", "First line,\nsecond line"),
            Block("break", SCENE_BREAK),
            Block("p", "After the break."),
        ]
    )
    pauses = Pauses()
    _lead, utterances = plan_utterances(None, text, language="en", max_chars=400, pauses=pauses)
    assert [(u.text, u.pause_after_ms) for u in utterances] == [
        ("Part One", pauses.heading),
        ("First line,", pauses.line),
        ("second line", pauses.scene_break),
        ("After the break.", pauses.chapter_end),
    ]


def test_extraction_writes_chapter_files_in_the_format(tmp_path):
    book = read_book(DATA / "idpf-georgia-pls-ssml.epub", ReadOptions())
    out = tmp_path / "book"
    write_extraction(book, "georgia.epub", out / "book.json", out / "chapters", out / "chapters.tsv")
    for index, chapter in enumerate(book.chapters, start=1):
        written = read_chapter(out / "chapters" / f"{index:03d}.txt")
        assert written == chapter.text + "\n"
        assert join_elements(parse(written)) == chapter.text
    rows = (out / "chapters.tsv").read_text(encoding="utf-8").splitlines()[1:]
    assert len(rows) == len(book.chapters)
    for row in rows:  # first words for review: no markers
        assert "⟦" not in row and "\t# " not in row
    assert not [p for p in out.rglob(".*")], "temporary files left behind"
