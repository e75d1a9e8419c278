"""Vorbis comments (Ogg Opus and FLAC): tags, ``CHAPTER001=`` / ``CHAPTER001NAME=`` markers, cover picture."""

from __future__ import annotations

import base64

from mutagen.flac import Picture

from ..booktags import BookTags
from ..chapters import ChapterMark


def timestamp(seconds: float) -> str:
    milliseconds = int(round(seconds * 1000))
    hours, rest = divmod(milliseconds, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def parse_timestamp(text: str) -> float:
    hours, minutes, seconds = text.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def picture(cover: bytes) -> Picture:
    pic = Picture()
    pic.type = 3  # front cover
    pic.mime = "image/png" if cover[:8] == b"\x89PNG\r\n\x1a\n" else "image/jpeg"
    pic.desc = "Cover"
    pic.data = cover
    return pic


def vorbis_comments(tags: BookTags, marks: list[ChapterMark], track: tuple[int, int] | None = None) -> dict:
    title = marks[0].title if track and marks else tags.title
    out: dict[str, list[str]] = {
        "TITLE": [title],
        "ALBUM": [tags.title],
        "GENRE": [tags.genre],
        "ALBUMSORT": [tags.title_sort],
    }
    if tags.authors:
        out.update(ARTIST=list(tags.authors), ALBUMARTIST=[tags.artist], ARTISTSORT=[tags.author_sort])
    if tags.narrator:
        out.update(COMPOSER=[tags.narrator], NARRATOR=[tags.narrator])
    if tags.subtitle:
        out["SUBTITLE"] = [tags.subtitle]
    if tags.series:
        out.update(SERIES=[tags.series], MOVEMENTNAME=[tags.series])
        if tags.series_part:
            out.update({"SERIES-PART": [tags.series_part], "MOVEMENT": [tags.series_part]})
    if tags.year:
        out["DATE"] = [tags.year]
    if tags.language:
        out["LANGUAGE"] = [tags.language]
    if tags.publisher:
        out["PUBLISHER"] = [tags.publisher]
    if tags.description:
        out["DESCRIPTION"] = [tags.description]
    if tags.isbn:
        out["ISBN"] = [tags.isbn]
    out["MEDIA"] = ["audiobook"]
    if track:
        out.update(TRACKNUMBER=[str(track[0])], TRACKTOTAL=[str(track[1])])
    else:
        for number, mark in enumerate(marks, start=1):
            out[f"CHAPTER{number:03d}"] = [timestamp(mark.start)]
            out[f"CHAPTER{number:03d}NAME"] = [mark.title]
    return out


def fill(comments, tags: BookTags, marks: list[ChapterMark], track=None) -> None:
    comments.clear()
    for key, values in vorbis_comments(tags, marks, track).items():
        comments[key] = values


def cover_comment(cover: bytes) -> str:
    """An Ogg cover: a FLAC picture block, base64, in METADATA_BLOCK_PICTURE."""
    return base64.b64encode(picture(cover).write()).decode("ascii")


def read_comments(comments) -> dict:
    def first(key):
        values = comments.get(key) if comments is not None else None
        return values[0] if values else None

    chapters = []
    number = 1
    while first(f"CHAPTER{number:03d}"):
        chapters.append((first(f"CHAPTER{number:03d}NAME") or "", parse_timestamp(first(f"CHAPTER{number:03d}"))))
        number += 1
    return {
        "tags": {
            "title": first("TITLE"),
            "album": first("ALBUM"),
            "artist": first("ARTIST"),
            "album_artist": first("ALBUMARTIST"),
            "narrator": first("COMPOSER"),
            "genre": first("GENRE"),
            "year": first("DATE"),
            "series": first("SERIES"),
            "series_part": first("SERIES-PART"),
            "subtitle": first("SUBTITLE"),
            "isbn": first("ISBN"),
            "language": first("LANGUAGE"),
            "publisher": first("PUBLISHER"),
            "description": first("DESCRIPTION"),
            "media_kind": first("MEDIA"),
            "track": first("TRACKNUMBER"),
        },
        "chapters": chapters,
    }
