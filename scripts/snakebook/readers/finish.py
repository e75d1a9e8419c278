"""What every reader's book goes through last: language, tidy titles, unique chapter titles."""

from __future__ import annotations

import re

from ..chaptertext import plain_text
from ..errors import SnakebookError
from ..language import normalise_tag, text_language
from ..model import Book
from ..text.languages import chapter_title
from .options import ReadOptions


def detect_language(book: Book) -> str | None:
    """The language of the book's text (langdetect, seeded so that every run gives the same answer)."""
    from langdetect import DetectorFactory, LangDetectException, detect_langs

    DetectorFactory.seed = 0
    chapters = book.chapters
    middle = chapters[len(chapters) // 3 : len(chapters) // 3 + 3] or chapters
    sample = " ".join(plain_text(c.text[:4000], headings=False) for c in middle)
    if len(sample.strip()) < 20:
        return None
    try:
        best = detect_langs(sample[:12000])[0]
    except LangDetectException:
        return None
    return best.lang if best.prob >= 0.5 else None


def finish_book(book: Book, options: ReadOptions, book_name: str) -> Book:
    book.chapters = [c for c in book.chapters if c.text.strip()]
    if not book.chapters:
        raise SnakebookError("no readable text was found in the book.", book_name)
    if options.language:
        book.language = normalise_tag(options.language)
    else:
        book.language = normalise_tag(book.language) or normalise_tag(detect_language(book))
    for number, chapter in enumerate(book.chapters, start=1):
        # A chapter the book gives no title is named in the book's language, never in English alone.
        chapter.title = re.sub(r"\s+", " ", chapter.title).strip() or chapter_title(
            text_language(book.language), number
        )
    seen: dict[str, int] = {}
    for chapter in book.chapters:
        key = chapter.title.lower()
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            chapter.title = f"{chapter.title} ({seen[key]})"
    book.title = re.sub(r"\s+", " ", book.title or "").strip() or book_name
    return book
