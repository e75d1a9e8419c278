"""Stable book identifiers from file names."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path


def book_slug(path: str | Path) -> str:
    """A stable, file-system and wildcard safe slug of a book's file name.

    ``Books/Pride & Prejudice.epub`` -> ``pride-prejudice``.
    """
    stem = Path(path).name
    stem = re.sub(
        r"\.(epub|txt|pdf|fb2|fb2\.zip|mobi|azw3?|html?|xhtml|md|markdown|docx|odt|rtf)$", "", stem, flags=re.I
    )
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_stem.lower()).strip("-")
    return slug or "book"
