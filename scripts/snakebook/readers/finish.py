"""What every reader's book goes through last: language, tidy titles, unique chapter titles."""

from __future__ import annotations

import re

from ..errors import SnakebookError
from ..model import Book
from .options import ReadOptions


def detect_language(book: Book) -> str | None:
    """The language of the book's text (langdetect, seeded so that every run gives the same answer)."""
    from langdetect import DetectorFactory, LangDetectException, detect_langs

    DetectorFactory.seed = 0
    chapters = book.chapters
    middle = chapters[len(chapters) // 3: len(chapters) // 3 + 3] or chapters
    sample = " ".join(c.text[:4000] for c in middle)
    sample = re.sub(r"^# .*$", "", sample, flags=re.MULTILINE)
    if len(sample.strip()) < 20:
        return None
    try:
        best = detect_langs(sample[:12000])[0]
    except LangDetectException:
        return None
    return best.lang if best.prob >= 0.5 else None


def normalise_language(code: str | None) -> str | None:
    if not code:
        return None
    code = str(code).strip().replace("_", "-")
    if not re.fullmatch(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*", code):
        return None
    parts = code.split("-")
    return "-".join([parts[0].lower()] + [p.upper() if len(p) == 2 else p for p in parts[1:]])


def finish_book(book: Book, options: ReadOptions, book_name: str) -> Book:
    book.chapters = [c for c in book.chapters if c.text.strip()]
    if not book.chapters:
        raise SnakebookError("no readable text was found in the book.", book_name)
    for chapter in book.chapters:
        chapter.title = re.sub(r"\s+", " ", chapter.title).strip() or "Untitled"
    seen: dict[str, int] = {}
    for chapter in book.chapters:
        key = chapter.title.lower()
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            chapter.title = f"{chapter.title} ({seen[key]})"
    book.title = re.sub(r"\s+", " ", book.title or "").strip() or book_name
    if options.language:
        book.language = options.language
    else:
        book.language = normalise_language(book.language) or detect_language(book)
    return book
