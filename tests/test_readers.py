"""Extraction tests on small real books in tests/data (public domain / CC BY-SA, copied from the corpus)."""

from __future__ import annotations

import re

import pytest
from helpers import DATA, SAMPLE_EPUB

from snakebook.chaptertext import plain_text
from snakebook.readers import ReadOptions, read_book

LICENCE = re.compile(
    r"gutenberg licen[cs]e|project gutenberg-tm|this ebook is for the use of anyone|(?:start|end) of (?:the|this) project gutenberg",
    re.IGNORECASE,
)


def first_words(chapter, count=6):
    return " ".join(plain_text(chapter.text).split()[:count])


def assert_clean(book):
    assert book.chapters
    for chapter in book.chapters:
        assert chapter.text.strip() and chapter.title.strip()
        assert not LICENCE.search(chapter.text), chapter.title
    assert len({c.title for c in book.chapters}) == len(book.chapters)


def test_christmas_carol_gives_its_five_staves():
    book = read_book(DATA / "pg46-christmas-carol-epub2.epub")
    assert [c.title for c in book.chapters] == [
        "STAVE ONE: MARLEY’S GHOST",
        "STAVE TWO: THE FIRST OF THE THREE SPIRITS",
        "STAVE THREE: THE SECOND OF THE THREE SPIRITS",
        "STAVE FOUR: THE LAST OF THE SPIRITS",
        "STAVE FIVE: THE END OF IT",
    ]
    assert first_words(book.chapters[0]) == "Marley was dead: to begin with."
    # Stave Three starts in one file and runs into the next: the join keeps its ending.
    assert "Ignorance" in book.chapters[2].text and "Want" in book.chapters[2].text
    assert_clean(book)
    assert book.language == "en" and book.cover is not None
    assert "http://www.gutenberg.org/46" in book.identifiers


def test_toc_level_override_reads_sub_entries():
    book = read_book(DATA / "pg46-christmas-carol-epub2.epub", ReadOptions(toc_level=2))
    assert len(book.chapters) > 5


def test_wasteland_splits_one_file_at_anchors_and_drops_notes():
    book = read_book(DATA / "idpf-wasteland.epub")
    assert [c.title for c in book.chapters] == [
        "I. THE BURIAL OF THE DEAD",
        "II. A GAME OF CHESS",
        "III. THE FIRE SERMON",
        "IV. DEATH BY WATER",
        "V. WHAT THE THUNDER SAID",
    ]
    first = book.chapters[0]
    assert first.text.startswith(
        "April is the cruellest month, breeding\nLilacs out of the dead land"
    )  # verse lines kept
    assert not re.search(r"\w\d{2,3}\b", first.text)  # no note numbers glued to words
    with_notes = read_book(DATA / "idpf-wasteland.epub", ReadOptions(keep_notes=True))
    assert sum(len(c.text) for c in with_notes.chapters) > sum(len(c.text) for c in book.chapters) + 5000


def test_alice_skips_cover_and_nav():
    book = read_book(SAMPLE_EPUB)
    assert len(book.chapters) == 10
    assert book.chapters[0].title == "Down The Rabbit-Hole"
    assert first_words(book.chapters[0], 4) == "Alice was beginning to"
    assert_clean(book)


def test_latin1_dutch_text_without_mojibake():
    book = read_book(DATA / "pg24675-ontboezemingen-nl-latin1.txt")
    text = "\n".join(c.text for c in book.chapters)
    assert "Ã" not in text and "\ufffd" not in text
    assert "GABRIËL" in text and "dáár" in text
    assert book.language == "nl"
    assert book.chapters[0].title.startswith("BEREISDE LIEDEN")
    assert 18 <= len(book.chapters) <= 22
    assert "INHOUD" not in text.split("\n\n", 3)[0]
    assert_clean(book)


def test_fb2_windows_1251_with_cover():
    book = read_book(DATA / "fbreader-anna-karenina-excerpt-ru-cp1251.fb2")
    assert book.title == "Анна Каренина" and book.authors == ["Лев Николаевич Толстой"] and book.language == "ru"
    assert len(book.chapters) == 1 and book.chapters[0].title == "ЧАСТЬ ПЕРВАЯ"
    assert "Все счастливые семьи похожи друг на друга" in book.chapters[0].text
    assert book.cover is not None and book.cover.data[:2] == b"\xff\xd8"


def test_plain_text_chapters_and_contents_counted_once(tmp_path):
    chapters = "".join(
        f"\n\n\nChapter {n}\n\nThis is the text of chapter {n}. " + "Words go on here. " * 80 for n in range(1, 4)
    )
    body = (
        "\ufeffThe Project Gutenberg EBook of Tiny\n\nTitle: Tiny\n\nAuthor: Nobody\n\nLanguage: English\n\n"
        "*** START OF THIS PROJECT GUTENBERG EBOOK TINY ***\n\nCONTENTS\n\nChapter 1\n\nChapter 2\n\nChapter 3\n"
        + chapters
        + "\n\n*** END OF THIS PROJECT GUTENBERG EBOOK TINY ***\n\nThe Full Project Gutenberg License\n"
    )
    path = tmp_path / "tiny.txt"
    path.write_bytes(body.replace("\n", "\r\n").encode("utf-8"))
    book = read_book(path)
    assert [c.title for c in book.chapters] == ["Chapter 1", "Chapter 2", "Chapter 3"]
    assert book.title == "Tiny" and book.authors == ["Nobody"] and book.language == "en"
    assert_clean(book)


def test_language_detected_when_metadata_has_none(tmp_path):
    path = tmp_path / "sans-meta.txt"
    path.write_text(
        "Il était une fois une petite fille qui vivait dans un village près de la forêt. " * 30, encoding="cp1252"
    )
    assert read_book(path).language == "fr"
    assert read_book(path, ReadOptions(language="de")).language == "de"


def test_html_and_markdown_headings_make_chapters(tmp_path):
    md = tmp_path / "book.md"
    md.write_text(
        "# First\n\n"
        + "Some text here. " * 40
        + "\n\n# Second\n\n"
        + "More text there. " * 40
        + "\n\n# Third\n\nFinal words.[^1]\n\n[^1]: a note\n",
        encoding="utf-8",
    )
    book = read_book(md)
    assert [c.title for c in book.chapters] == ["First", "Second", "Third"]
    html = tmp_path / "book.html"
    html.write_text(
        "<html lang='en'><head><title>T</title></head><body><h1>One</h1><p>"
        + "Alpha beta. " * 50
        + "</p><h1>Two</h1><p>"
        + "Gamma delta. " * 50
        + "<sup><a href='#n1'>1</a></sup></p></body></html>"
    )
    book = read_book(html)
    assert [c.title for c in book.chapters] == ["One", "Two"] and book.title == "T"
    assert not book.chapters[1].text.rstrip().endswith("1")


def test_missing_converter_names_the_install_command(tmp_path, monkeypatch):
    import shutil

    from snakebook.errors import SnakebookError

    monkeypatch.setattr(shutil, "which", lambda name: None)
    path = tmp_path / "novel.rtf"
    path.write_text(r"{\rtf1 hello}")
    with pytest.raises(SnakebookError, match=r"novel\.rtf.*apt-get install calibre"):
        read_book(path)


# Stave One of A Christmas Carol (from the EPUB above) in ASCII, as UTF-16-LE without a byte-order mark:
# byte for byte valid UTF-8 (a zero byte is a valid character), which is what made it read as "Welsh".
UTF16_CAROL = DATA / "pg46-christmas-carol-stave1-ascii-utf16le-nobom.txt"


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_utf16_and_utf32_text_without_byte_order_mark(tmp_path, encoding):
    text = UTF16_CAROL.read_bytes().decode("utf-16-le")
    path = UTF16_CAROL
    if encoding != "utf-16-le":
        path = tmp_path / f"carol-{encoding}.txt"
        path.write_bytes(text.encode(encoding))
    book = read_book(path)
    assert book.language == "en"
    body = "\n".join(c.text for c in book.chapters)
    assert "\x00" not in body and "\ufffd" not in body
    assert "Marley was dead: to begin with." in body
    assert_clean(book)


def test_cyrillic_utf16_without_byte_order_mark(tmp_path):
    path = tmp_path / "ru.txt"
    sentence = "Все счастливые семьи похожи друг на друга, каждая несчастливая семья несчастлива по-своему. "
    path.write_bytes((sentence * 40).encode("utf-16-be"))
    book = read_book(path)
    assert book.language == "ru" and book.chapters[0].text.startswith("Все счастливые семьи")
