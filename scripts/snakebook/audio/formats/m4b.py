"""m4b: AAC in MP4, iTunes atoms, QuickTime chapter track and Nero ``chpl`` list."""

from __future__ import annotations

import logging
from pathlib import Path

from mutagen.mp4 import MP4, MP4Cover, MP4FreeForm

from ..booktags import BookTags
from ..chapters import ChapterMark
from .base import OutputFormat
from .mp4join import NotJoinable, join_m4a

log = logging.getLogger("snakebook")

CHPL_LIMIT = 255  # the Nero chapter list counts chapters in one byte


def _free(value: str) -> list[MP4FreeForm]:
    return [MP4FreeForm(value.encode("utf-8"))]


class M4bFormat(OutputFormat):
    name = "m4b"
    suffix = ".m4b"
    chapter_suffix = ".m4a"
    muxer = "ipod"
    codec = "aac"
    defaults = {"bitrate": "64k", "sample_rate": None, "channels": 1}

    def codec_args(self, options: dict) -> list[str]:
        # ffmpeg's "fast" AAC coder encodes speech ~4x faster than "twoloop" at the same bitrate.
        return [*super().codec_args(options), "-aac_coder", "fast"]

    def join_args(self) -> list[str]:
        # Only where the chapters are not AAC MP4 files mp4join understands: ffmpeg's join, moov first.
        return ["-movflags", "+faststart"]

    def join(self, chapter_files, out, marks, book=None, language=None, tag_room: int = 0) -> None:
        """Join by merging the chapters' sample tables (memory flat in book length); ffmpeg where that cannot.

        ffmpeg's MP4 muxer holds an index entry for every AAC packet of the book until it writes the moov
        (memory grows with the book: 65 MB at 2 h, 162 MB at 20 h); :func:`join_m4a` copies the packets and
        streams the tables. Both write the chapters as a QuickTime text track (Apple) and in udta/chpl (Nero).
        """
        if len(marks) > CHPL_LIMIT:
            log.warning(
                "%s: %d chapters: the Nero chapter list (chpl) holds only the first %d; all %d are in the "
                "QuickTime chapter track (Apple players, ffmpeg, Audiobookshelf)",
                book,
                len(marks),
                CHPL_LIMIT,
                len(marks),
            )
        try:
            join_m4a(chapter_files, out, marks, language=language, tag_room=tag_room)
        except NotJoinable as why:
            log.info("%s: joining the m4b chapters with ffmpeg (%s)", book, why)
            super().join(chapter_files, out, marks, book, language)

    def write_tags(
        self, path, tags: BookTags, marks: list[ChapterMark], cover: bytes | None, track: tuple[int, int] | None = None
    ) -> None:
        audio = MP4(str(path))
        if audio.tags is None:
            audio.add_tags()
        t = audio.tags
        t["\xa9nam"] = [marks[0].title if track and marks else tags.title]
        t["\xa9alb"] = [tags.title]
        t["soal"] = [tags.title_sort]
        if not track:
            t["sonm"] = [tags.title_sort]
        if tags.authors:
            t["\xa9ART"] = [tags.artist]
            t["aART"] = [tags.artist]
            t["soar"] = [tags.author_sort]
            t["soaa"] = [tags.author_sort]
        if tags.narrator:
            t["\xa9wrt"] = [tags.narrator]
            t["----:com.apple.iTunes:NARRATOR"] = _free(tags.narrator)
        if tags.subtitle:
            t["----:com.apple.iTunes:SUBTITLE"] = _free(tags.subtitle)
        if tags.series:
            t["\xa9mvn"] = [tags.series]
            t["----:com.apple.iTunes:SERIES"] = _free(tags.series)
            if tags.series_part:
                t["----:com.apple.iTunes:SERIES-PART"] = _free(tags.series_part)
                if tags.series_part.isdigit():
                    t["\xa9mvi"] = [int(tags.series_part)]
        t["\xa9gen"] = [tags.genre]
        t["stik"] = [2]  # media kind: audiobook
        if tags.year:
            t["\xa9day"] = [tags.year]
        if tags.description:
            t["desc"] = [tags.description]
            t["ldes"] = [tags.description]
        if tags.publisher:
            t["\xa9pub"] = [tags.publisher]
            t["----:com.apple.iTunes:PUBLISHER"] = _free(tags.publisher)
        if tags.language:
            t["----:com.apple.iTunes:LANGUAGE"] = _free(tags.language)
        if tags.isbn:
            t["----:com.apple.iTunes:ISBN"] = _free(tags.isbn)
        if track:
            t["trkn"] = [track]
        if cover:
            kind = MP4Cover.FORMAT_PNG if cover[:8] == b"\x89PNG\r\n\x1a\n" else MP4Cover.FORMAT_JPEG
            t["covr"] = [MP4Cover(cover, imageformat=kind)]
        audio.save()

    def read_back(self, path) -> dict:
        audio = MP4(str(Path(path)))
        t = audio.tags or {}

        def first(key):
            value = t.get(key)
            if not value:
                return None
            value = value[0]
            return bytes(value).decode("utf-8") if isinstance(value, MP4FreeForm) else value

        return {
            "tags": {
                "title": first("\xa9nam"),
                "album": first("\xa9alb"),
                "artist": first("\xa9ART"),
                "album_artist": first("aART"),
                "narrator": first("\xa9wrt"),
                "genre": first("\xa9gen"),
                "year": first("\xa9day"),
                "series": first("\xa9mvn"),
                "series_part": first("----:com.apple.iTunes:SERIES-PART"),
                "subtitle": first("----:com.apple.iTunes:SUBTITLE"),
                "isbn": first("----:com.apple.iTunes:ISBN"),
                "language": first("----:com.apple.iTunes:LANGUAGE"),
                "publisher": first("\xa9pub"),
                "description": first("desc"),
                "media_kind": first("stik"),
                "track": first("trkn"),
            },
            # mutagen reads the Nero chpl list (what many Android/desktop players show)
            "chapters": [(c.title, c.start) for c in (audio.chapters or [])],
            "cover": bytes(t["covr"][0]) if t.get("covr") else None,
            "duration": audio.info.length,
        }
