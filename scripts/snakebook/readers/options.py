"""Options every reader accepts (from the per-book config)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ReadOptions:
    toc_level: int | None = None  # None: the reader chooses the level that gives real chapters
    keep_notes: bool = False  # read notes sections aloud
    language: str | None = None  # overrides the book's metadata
