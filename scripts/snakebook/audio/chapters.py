"""Chapter markers: where each chapter starts, and ffmpeg's metadata file format for them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ChapterMark:
    title: str
    start: float  # seconds
    end: float


def chapter_marks(titles: list[str], durations: list[float]) -> list[ChapterMark]:
    marks: list[ChapterMark] = []
    position = 0.0
    for title, duration in zip(titles, durations, strict=True):
        marks.append(ChapterMark(title, position, position + duration))
        position += duration
    return marks


def _escape(value: str) -> str:
    out = value.replace("\\", "\\\\")
    for char in "=;#\n":
        out = out.replace(char, "\\" + char)
    return out


def ffmetadata(marks: list[ChapterMark], tags: dict[str, str] | None = None) -> str:
    """An FFMETADATA1 document with one [CHAPTER] per mark (millisecond time base)."""
    lines = [";FFMETADATA1"]
    for key, value in (tags or {}).items():
        if value:
            lines.append(f"{key}={_escape(str(value))}")
    for mark in marks:
        lines += [
            "[CHAPTER]",
            "TIMEBASE=1/1000",
            f"START={int(round(mark.start * 1000))}",
            f"END={int(round(mark.end * 1000))}",
            f"title={_escape(mark.title)}",
        ]
    return "\n".join(lines) + "\n"
