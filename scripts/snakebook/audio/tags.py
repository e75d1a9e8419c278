"""Audiobook tags and cover with mutagen (MP4 atoms), and reading them back."""

from __future__ import annotations

import re
from pathlib import Path

from mutagen.mp4 import MP4, MP4Cover, MP4FreeForm

LANGUAGE_ATOM = "----:com.apple.iTunes:LANGUAGE"


def year_of(date: str | None) -> str | None:
    match = re.search(r"\b(\d{4})\b", date or "")
    return match.group(1) if match else None


def write_tags(path: str | Path, book: dict, cover: str | Path | None) -> None:
    audio = MP4(str(path))
    if audio.tags is None:
        audio.add_tags()
    tags = audio.tags
    title = book.get("title") or ""
    authors = ", ".join(book.get("authors") or [])
    tags["\xa9nam"] = [title]
    tags["\xa9alb"] = [title]
    if authors:
        tags["\xa9ART"] = [authors]
        tags["aART"] = [authors]
    tags["\xa9gen"] = ["Audiobook"]
    tags["stik"] = [2]  # iTunes media kind: audiobook
    year = year_of(book.get("date"))
    if year:
        tags["\xa9day"] = [year]
    if book.get("description"):
        tags["desc"] = [book["description"][:4000]]
    if book.get("publisher"):
        tags["\xa9pub"] = [book["publisher"]]
    if book.get("language"):
        tags[LANGUAGE_ATOM] = [MP4FreeForm(book["language"].encode("utf-8"))]
    if cover:
        data = Path(cover).read_bytes()
        kind = MP4Cover.FORMAT_PNG if data[:8] == b"\x89PNG\r\n\x1a\n" else MP4Cover.FORMAT_JPEG
        tags["covr"] = [MP4Cover(data, imageformat=kind)]
    audio.save()


def read_tags(path: str | Path) -> dict:
    audio = MP4(str(path))
    tags = audio.tags or {}
    language = tags.get(LANGUAGE_ATOM)
    return {
        "title": (tags.get("\xa9nam") or [None])[0],
        "album": (tags.get("\xa9alb") or [None])[0],
        "artist": (tags.get("\xa9ART") or [None])[0],
        "genre": (tags.get("\xa9gen") or [None])[0],
        "year": (tags.get("\xa9day") or [None])[0],
        "language": bytes(language[0]).decode() if language else None,
        "cover": bytes(tags["covr"][0]) if tags.get("covr") else None,
        "duration": audio.info.length,
        "chapters": [(c.title, c.start) for c in (audio.chapters or [])],
    }
