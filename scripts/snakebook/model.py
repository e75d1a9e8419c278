"""The structure every reader returns and every later step reads back."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class Chapter:
    """One chapter: a title and its text.

    The text uses a small plain-text convention that later steps turn into
    pauses: paragraphs are separated by a blank line, a single newline inside a
    paragraph is a line break (poetry), a paragraph starting with ``# `` is a
    heading inside the chapter and a paragraph ``* * *`` is a scene break.
    ``⟦printed|phonemes⟧`` (U+27E6, U+27E7) is a pronunciation hint: the
    printed text and how to say it in IPA (from an EPUB's ``ssml:ph``); text
    preparation turns it into phonemes or, for engines without phoneme input,
    into the printed text (see :mod:`snakebook.text.lexicon`).
    """

    title: str
    text: str


@dataclass
class Cover:
    data: bytes
    media_type: str

    @property
    def extension(self) -> str:
        return {
            "image/png": ".png",
            "image/gif": ".gif",
            "image/webp": ".webp",
            "image/svg+xml": ".svg",
        }.get(self.media_type, ".jpg")


@dataclass
class Book:
    title: str
    authors: list[str] = field(default_factory=list)
    language: str | None = None
    chapters: list[Chapter] = field(default_factory=list)
    publisher: str | None = None
    date: str | None = None
    description: str | None = None
    identifiers: list[str] = field(default_factory=list)
    cover: Cover | None = None
    lexicon: dict = field(default_factory=dict)  # pronunciations the book ships (EPUB PLS): word -> {phonemes, say}


def chapter_file_name(index: int) -> str:
    """File stem of chapter ``index`` (1-based): ``001``, ``002``..."""
    return f"{index:03d}"


def read_book_json(path: str | Path) -> dict:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def write_json_atomic(path: str | Path, data: dict) -> None:
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def chapter_dicts(book: Book) -> list[dict]:
    return [asdict(chapter) for chapter in book.chapters]
