"""The tags an audiobook carries (what Audiobookshelf, Apple Books and Plex read), from book.json + overrides."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from ..language import iso639_2 as shared_iso639_2

# Per-book config keys that override what the ebook says.
OVERRIDE_KEYS = ("title", "subtitle", "authors", "narrator", "series", "series_part", "isbn")


def iso639_2(tag: str | None) -> str:
    """``en-US`` -> ``eng``; unknown -> ``und`` (the shared language home decides)."""
    return shared_iso639_2(tag) or "und"


def year_of(date: str | None) -> str | None:
    match = re.search(r"\b(\d{4})\b", date or "")
    return match.group(1) if match else None


def _sort_name(author: str) -> str:
    """``Lewis Carroll`` -> ``Carroll, Lewis`` (names already "Last, First" stay)."""
    if "," in author or " " not in author.strip():
        return author.strip()
    first, _, last = author.strip().rpartition(" ")
    return f"{last}, {first}"


def _sort_title(title: str) -> str:
    return re.sub(r"^(the|a|an|le|la|les|der|die|das|el|los|las|de|het)\s+", "", title, flags=re.IGNORECASE) or title


@dataclass
class BookTags:
    title: str
    subtitle: str | None = None
    authors: list[str] = field(default_factory=list)
    narrator: str | None = None
    series: str | None = None
    series_part: str | None = None
    genre: str = "Audiobook"
    year: str | None = None
    language: str | None = None
    publisher: str | None = None
    description: str | None = None
    isbn: str | None = None

    @property
    def artist(self) -> str:
        return ", ".join(self.authors)

    @property
    def title_sort(self) -> str:
        return _sort_title(self.title)

    @property
    def author_sort(self) -> str:
        return " & ".join(_sort_name(a) for a in self.authors)

    @property
    def language_639_2(self) -> str:
        return iso639_2(self.language)

    @classmethod
    def from_book(cls, book: dict, overrides: dict | None = None, narrator: str | None = None) -> BookTags:
        overrides = {key: value for key, value in (overrides or {}).items() if value not in (None, "", [])}
        authors = overrides.get("authors", book.get("authors") or [])
        if isinstance(authors, str):
            authors = [authors]
        isbn = overrides.get("isbn") or next(
            (i.split(":", 1)[1] for i in book.get("identifiers") or [] if i.lower().startswith("isbn:")), None
        )
        part = overrides.get("series_part", book.get("series_index"))
        if isinstance(part, float) and part.is_integer():
            part = int(part)
        return cls(
            title=overrides.get("title") or book.get("title") or "",
            subtitle=overrides.get("subtitle") or book.get("subtitle"),
            authors=list(authors),
            narrator=overrides.get("narrator") or narrator,
            series=overrides.get("series") or book.get("series"),
            series_part=str(part) if part not in (None, "") else None,
            year=year_of(book.get("date")),
            language=book.get("language"),
            publisher=book.get("publisher"),
            description=(book.get("description") or "")[:4000] or None,
            isbn=str(isbn) if isbn else None,
        )

    def as_dict(self) -> dict:
        return asdict(self)
