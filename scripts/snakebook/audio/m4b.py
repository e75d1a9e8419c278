"""The m4b assembly as it was first written (kept for callers): see :mod:`.assemble`."""

from __future__ import annotations

from pathlib import Path

from .assemble import assemble_book
from .booktags import BookTags
from .wav import wav_duration


def assemble_m4b(
    chapter_audio: list[str | Path],
    chapter_wavs: list[str | Path],
    book: dict,
    out: str | Path,
    cover: str | Path | None = None,
    book_name: str | None = None,
) -> None:
    data = Path(cover).read_bytes() if cover else None
    assemble_book(
        "m4b",
        chapter_audio,
        book,
        out,
        tags=BookTags.from_book(book),
        cover=data,
        book_name=book_name,
        wav_seconds=sum(wav_duration(w) for w in chapter_wavs),
    )
