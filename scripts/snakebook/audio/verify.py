"""Checking a finished audiobook file (ffprobe + mutagen) before it gets its final name."""

from __future__ import annotations

from pathlib import Path

from ..errors import SnakebookError
from .booktags import BookTags
from .chapters import ChapterMark
from .ffmpeg import probe
from .formats import OutputFormat
from .formats.mp4join import CHPL_LIMIT, chpl_title

DURATION_TOLERANCE = 0.5  # seconds, whole file against the sum of the chapter audio
MARKER_TOLERANCE = 0.1  # seconds, each chapter marker against where its audio starts


def output_problems(
    kind: OutputFormat, path: str | Path, marks: list[ChapterMark], tags: BookTags, cover: bytes | None
) -> list[str]:
    """Every way ``path`` differs from what it should be (empty: all good)."""
    problems: list[str] = []
    expected_total = marks[-1].end if marks else 0.0
    facts = probe(path)
    back = kind.read_back(path)
    duration = float(facts["format"]["duration"]) if facts else back["duration"]
    if abs(duration - expected_total) > DURATION_TOLERANCE:
        problems.append(f"it lasts {duration:.2f} s, but its chapters add up to {expected_total:.2f} s")
    views = [("mutagen", back["chapters"])]
    if facts is not None and kind.chapters_in_file:
        views.append(
            (
                "ffprobe",
                sorted(
                    ((c.get("tags", {}).get("title", ""), float(c["start_time"])) for c in facts.get("chapters", [])),
                    key=lambda c: c[1],
                ),
            )
        )
    for reader, chapters in views:
        marks_seen = marks
        if kind.name == "m4b" and reader == "mutagen":
            # the Nero list stops at 255 chapters of 255-byte titles (the QuickTime track, read by ffprobe, has all)
            marks_seen = [ChapterMark(chpl_title(m.title), m.start, m.end) for m in marks[:CHPL_LIMIT]]
        if len(chapters) != len(marks_seen):
            problems.append(f"{reader} reads {len(chapters)} chapters, expected {len(marks_seen)}")
            continue
        for number, ((title, start), mark) in enumerate(zip(chapters, marks_seen, strict=True), start=1):
            if title != mark.title:
                problems.append(f"{reader}: chapter {number} is titled {title!r}, expected {mark.title!r}")
            if abs(start - mark.start) > MARKER_TOLERANCE:
                problems.append(f"{reader}: chapter {number} starts at {start:.3f} s, its audio at {mark.start:.3f} s")
    seen = back["tags"]
    for key, want in (
        ("album", tags.title),
        ("artist", tags.artist or None),
        ("genre", tags.genre),
        ("narrator", tags.narrator),
    ):
        if want and seen.get(key) != want:
            problems.append(f"tag {key} is {seen.get(key)!r}, expected {want!r}")
    if cover and not back.get("cover"):
        problems.append("the cover is missing")
    return problems


def verify_output(
    kind: OutputFormat,
    path: str | Path,
    marks: list[ChapterMark],
    tags: BookTags,
    cover: bytes | None,
    book: str | None = None,
) -> None:
    problems = output_problems(kind, path, marks, tags, cover)
    if problems:
        raise SnakebookError(
            f"the finished {kind.name} failed its check ({'; '.join(problems[:8])}"
            f"{'; ...' if len(problems) > 8 else ''}); it was not kept. Rerun to rebuild it; if it fails again, "
            "delete results/<book>/encoded/ and report the log.",
            book,
        )
