"""The word account of extraction (coverage.tsv) and the chapter-text -> speech word check (snakebook.coverage)."""

from __future__ import annotations

import csv
import json

import pytest
from helpers import DATA, SAMPLE_EPUB, corpus_book, snakemake

from snakebook import coverage
from snakebook.extract import extract_book
from snakebook.readers import read_book, structure


def extract(tmp_path, path, **settings):
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    extract_book(
        str(path),
        {"name": "book", **settings},
        out / "book.json",
        out / "chapters",
        out / "chapters.tsv",
        coverage_tsv=out / "coverage.tsv",
    )
    info = json.loads((out / "book.json").read_text())
    with open(out / "coverage.tsv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return info["coverage"], rows


def dropped(rows, reason: str) -> int:
    return sum(int(r["words"]) for r in rows if r["destination"] == f"dropped: {reason}")


def test_a_missing_paragraph_is_named():
    recorder = coverage.Recorder()
    recorder.sources = [
        ("one.xhtml", "Chapter One\nIt was a dark night. The wind howled over the moor."),
        ("two.xhtml", "The butler came in. Nobody noticed the candle on the stair.\nThen silence."),
    ]
    recorder.drops = [("Chapter One", "heading replaced by the title")]
    chapters = [
        ("001", "Chapter One", "It was a dark night. The wind howled over the moor."),
        ("002", "Two", "The butler came in.\n\nThen silence."),
    ]  # a paragraph lost in between
    account = coverage.account(recorder, chapters)
    assert [b.text for b in account.unexplained] == ["nobody noticed the candle on the stair"]
    assert account.unexplained[0].source == "two.xhtml" and account.unexplained[0].words == 7
    assert account.kept_words == account.source_words - 7
    assert account.summary()["unexplained_words"] == 7


def test_a_reported_drop_carries_its_reason():
    recorder = coverage.Recorder()
    text = "Contents\nOne\nTwo\n\nOne\nA story begins here and goes on.\n\nLicence text here"
    recorder.sources = [("book.txt", text)]
    recorder.drops = [("Contents\nOne\nTwo", "contents"), ("Licence text here", "licence")]
    account = coverage.account(recorder, [("001", "One", "A story begins here and goes on.")])
    assert account.dropped_by_reason() == {"contents": 3, "licence": 3}
    assert not account.unexplained


def test_sample_epub_every_word_accounted(tmp_path):
    summary, rows = extract(tmp_path, SAMPLE_EPUB)
    assert summary["unexplained_words"] == 0
    assert summary["percent_kept"] > 99
    assert dropped(rows, "title page") > 10  # the title page (copyright line included)
    assert {r["destination"] for r in rows} >= {f"{i:03d}" for i in range(1, 11)}
    for row in rows:  # every source's rows add up to its words
        assert sum(int(r["words"]) for r in rows if r["source"] == row["source"]) == int(row["source_words"])


def test_drop_chapters_are_counted_as_dropped(tmp_path):
    summary, rows = extract(tmp_path, SAMPLE_EPUB, drop_chapters=[1, 2])
    assert summary["dropped_words"]["drop_chapters"] > 2000
    assert {r["source"] for r in rows if r["destination"] == "dropped: drop_chapters"} == {
        "chapter_001.xhtml",
        "chapter_002.xhtml",
    }


def test_epub_with_licence_and_notes(tmp_path):
    summary, rows = extract(tmp_path, DATA / "pg46-christmas-carol-epub2.epub")
    assert 85 < summary["percent_kept"] < 95
    assert dropped(rows, "licence") > 2500  # the Project Gutenberg header and licence
    assert summary["unexplained_words"] < 10
    summary, rows = extract(tmp_path, DATA / "idpf-wasteland.epub")
    assert dropped(rows, "notes") > 1000  # Eliot's notes (keep_notes: false)
    assert summary["unexplained_words"] == 0
    summary, _rows = extract(tmp_path, DATA / "idpf-wasteland.epub", keep_notes=True)
    assert "notes" not in summary["dropped_words"]


def test_plain_text_licence_and_contents(tmp_path):
    summary, rows = extract(tmp_path, DATA / "pg24675-ontboezemingen-nl-latin1.txt")
    assert dropped(rows, "licence") > 2500 and dropped(rows, "contents") > 20
    assert summary["percent_kept"] > 90 and summary["unexplained_words"] < 10


def test_pdf_pages_running_heads_and_captions(tmp_path):
    summary, rows = extract(tmp_path, corpus_book("study-in-scarlet.pdf"))
    assert {r["source"] for r in rows} >= {f"page {n}" for n in (1, 100, 213)}
    assert dropped(rows, "running head") > 100 and dropped(rows, "illustration caption") > 100
    assert summary["percent_kept"] > 95
    # words hyphenated across a page break are the only unexplained rest (a few fragments per chapter)
    assert summary["unexplained_words"] < 0.005 * summary["source_words"]


def test_a_reader_that_skips_paragraphs_is_caught(tmp_path, monkeypatch):
    """A deliberately broken reader change: paragraphs mentioning the Duchess vanish from the chapters."""
    real = structure.blocks_to_text

    def lossy(blocks):
        return real([b for b in blocks if "Duchess" not in b.text or b.kind != "p"])

    monkeypatch.setattr(structure, "blocks_to_text", lossy)
    with coverage.recording() as recorder:
        book = read_book(SAMPLE_EPUB)
    account = coverage.account(recorder, [(f"{i:03d}", c.title, c.text) for i, c in enumerate(book.chapters, 1)])
    lost = " ".join(b.text for b in account.unexplained)
    assert account.unexplained and "duchess" in lost
    assert sum(b.words for b in account.unexplained) > 100


@pytest.mark.slow
def test_until_extract_book_shows_the_coverage_table(tmp_path):
    config = {"books": [{"path": str(DATA / "idpf-wasteland.epub"), "name": "wasteland"}]}
    snakemake(tmp_path, "--until", "extract_book", config=config)
    table = (tmp_path / "results" / "wasteland" / "coverage.tsv").read_text()
    assert table.startswith("source\tsource_words\tdestination\twords\tfirst_words\n")
    assert "dropped: notes" in table
    assert json.loads((tmp_path / "results" / "wasteland" / "book.json").read_text())["coverage"]["percent_kept"] > 50


# ------------------------------------------------------------------------------ chapter text -> speech


def test_every_word_reaches_the_speech_or_a_known_rule():
    chapter = "# Chapter IV\n\nMr. Smith paid £3 on the 2nd of May, 1850.\n\nSee www.gutenberg.org for more."
    speech = (
        "Chapter four.\nMister Smith paid three pounds on the second of May, eighteen fifty.\n"
        "See gutenberg dot org for more.\n"
    )
    assert coverage.check_speech(chapter, speech) == []


def test_a_vanished_word_is_listed_with_its_sentence():
    chapter = "The cat sat quietly on the mat. Then the dog barked loudly at the postman."
    speech = "The cat sat on the mat.\nThen the dog barked loudly at the postman.\n"
    vanished = coverage.check_speech(chapter, speech)
    assert [(v.word, v.sentence) for v in vanished] == [("quietly", "The cat sat quietly on the mat.")]
    # short words too, unless they are abbreviations or acronyms ("Mr.", "BBC") that preparation expands
    vanished = coverage.check_speech("The cat sat on the BBC mat, said Mr. Fox.", "The sat on the B B C mat, said Fox.")
    assert [v.word for v in vanished] == ["cat"]


def test_lexicon_and_hint_words_may_change():
    chapter = "Hermione met ⟦Savannah|səˈvænə⟧ friends."
    speech = "Her-my-oh-nee met [[ səvˈænə ]] friends.\n"
    assert coverage.check_speech(chapter, speech, ["Hermione"]) == []
    assert [v.word for v in coverage.check_speech(chapter, speech)] == ["hermione"]
