"""Assembly: encoded chapters -> one book file per format, by stream copy (no re-encode), then tags, cover, check."""

from __future__ import annotations

import logging
from pathlib import Path

from ..fileio import atomic_path
from .booktags import BookTags
from .chapters import ChapterMark, chapter_marks
from .ffmpeg import media_duration
from .formats import output_format
from .verify import verify_output

log = logging.getLogger("snakebook")


def chapter_layout(chapter_files: list[str | Path], titles: list[str]) -> list[ChapterMark]:
    """Where each chapter lands in the joined file: the running sum of the encoded chapters' durations.

    The join (ffmpeg's concat) offsets each chapter by the previous ones' durations as ffmpeg reads
    them, which include what the codec adds (AAC frame padding, the MP3 encoder delay), so markers
    and captions placed from these sums do not drift however many chapters a book has.
    """
    known: dict[str, float] = {}  # a file listed twice (tests, benchmarks) is probed once
    for path in chapter_files:
        if str(path) not in known:
            known[str(path)] = media_duration(path)
    return chapter_marks(titles, [known[str(path)] for path in chapter_files])


def tag_room(tags: BookTags, cover: bytes | None) -> int:
    """About what the tags and cover take in the file: the text tags are a few hundred bytes and the description."""
    return len(cover or b"") + 2048 + 2 * len((tags.description or "").encode("utf-8"))


def assemble_book(
    format_name: str,
    chapter_files: list[str | Path],
    book: dict,
    out: str | Path,
    *,
    tags: BookTags,
    cover: bytes | None = None,
    book_name: str | None = None,
    wav_seconds: float | None = None,
) -> list[ChapterMark]:
    """Join ``chapter_files`` into ``out`` with one marker per chapter, tag it, check it, rename it into place."""
    kind = output_format(format_name, book_name)
    titles = [chapter["title"] for chapter in book["chapters"]]
    marks = chapter_layout(chapter_files, titles)
    with atomic_path(out) as tmp:
        kind.join(chapter_files, tmp, marks, book_name, language=tags.language_639_2, tag_room=tag_room(tags, cover))
        kind.write_tags(tmp, tags, marks, cover)
        verify_output(kind, tmp, marks, tags, cover, book_name)
    total = marks[-1].end if marks else 0.0
    extra = f"; the chapter WAVs add up to {wav_seconds:.2f} s" if wav_seconds is not None else ""
    log.info(
        "%s: wrote %s: %d chapters, %.2f s%s; checked with ffprobe and mutagen",
        book_name,
        out,
        len(marks),
        total,
        extra,
    )
    return marks
