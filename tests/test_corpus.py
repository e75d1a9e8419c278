"""Every book of the shared real-ebook corpus extracts without error into sane chapters."""

from __future__ import annotations

import re

import pytest
from helpers import CORPUS

from snakebook.readers import read_book

BOOKS = sorted(p for p in CORPUS.glob("*") if p.is_file() and p.suffix != ".md") if CORPUS.is_dir() else []
LICENCE = re.compile(
    r"gutenberg licen[cs]e|project gutenberg-tm|this ebook is for the use of anyone|"
    r"(?:start|end) of (?:the|this) project gutenberg|creative commons attribution",
    re.IGNORECASE,
)
CONTENTS_TITLE = re.compile(
    r"^(?:table of )?contents\.?$|^inhoud\.?$|^sommaire$|^index\.?$|licen[cs]e|^colophon$|^imprint$|copyright",
    re.IGNORECASE,
)
EXPECTED = {  # chapters a listener expects, where the MANIFEST says how many there are
    "pg46-christmas-carol-epub2.epub": 5,
    "pg1342-pride-and-prejudice.txt": 61,
    "epubjs-alice-in-wonderland.epub": 10,
    "idpf-wasteland.epub": 5,
    "study-in-scarlet.pdf": 14,
    "se-adventures-of-sherlock-holmes.epub": 12,
}

if not BOOKS:
    print(f"corpus tests skipped: no corpus at {CORPUS}")


@pytest.mark.skipif(not BOOKS, reason=f"no real-ebook corpus at {CORPUS}")
@pytest.mark.parametrize("path", BOOKS, ids=[p.name for p in BOOKS])
def test_corpus_book(path):
    book = read_book(path)
    assert book.title and book.language
    chapters = book.chapters
    assert chapters
    if path.name in EXPECTED:
        assert len(chapters) == EXPECTED[path.name], [c.title for c in chapters]
    assert len({c.title for c in chapters}) == len(chapters), "duplicate chapter titles"
    assert len({c.text for c in chapters}) == len(chapters), "duplicate chapter texts"
    for chapter in chapters:
        assert chapter.text.strip(), chapter.title
        assert not CONTENTS_TITLE.search(chapter.title.strip()), chapter.title
        assert not LICENCE.search(chapter.text), f"licence text in {chapter.title!r}"
        assert "\ufffd" not in chapter.text and "Ã©" not in chapter.text, f"mojibake in {chapter.title!r}"
