"""The structure every reader returns and every later step reads back."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Chapter:
    """One chapter: a title and its text.

    The text is in the chapter-text format (paragraphs, verse lines, ``# `` headings, ``* * *``
    scene breaks, ``⟦printed|phonemes⟧`` pronunciation hints) that :mod:`snakebook.chaptertext`
    defines, writes and reads. An empty title means the book gives none: the reader's last step
    names the chapter in the book's language (:func:`snakebook.readers.finish.finish_book`).
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
    subtitle: str | None = None
    series: str | None = None  # EPUB3 belongs-to-collection, calibre:series
    series_index: str | None = None  # its place in the series ("2", "2.5")


def chapter_file_name(index: int) -> str:
    """File stem of chapter ``index`` (1-based): ``001``, ``002``..."""
    return f"{index:03d}"


def read_book_json(path: str | Path) -> dict:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)
