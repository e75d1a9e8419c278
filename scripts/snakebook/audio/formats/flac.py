"""flac: lossless FLAC, Vorbis-comment tags with ``CHAPTER001=`` markers, a front-cover picture block."""

from __future__ import annotations

from mutagen.flac import FLAC

from .base import OutputFormat
from .vorbis import fill, picture, read_comments


class FlacFormat(OutputFormat):
    name = "flac"
    suffix = ".flac"
    chapter_suffix = ".flac"
    muxer = "flac"
    codec = "flac"
    defaults = {"bitrate": None, "sample_rate": None, "channels": 1}

    def join(self, chapter_files, out, marks, book=None, language=None) -> None:
        super().join(chapter_files, out, marks, book, language)
        # A stream copy keeps the first chapter's STREAMINFO: set the book's sample count (and clear the
        # first chapter's MD5, which does not describe the book) so players show the right length.
        audio = FLAC(str(out))
        audio.info.total_samples = sum(FLAC(str(f)).info.total_samples for f in chapter_files)
        audio.info.md5_signature = 0
        audio.save()

    def write_tags(self, path, tags, marks, cover, track=None) -> None:
        audio = FLAC(str(path))
        if audio.tags is None:
            audio.add_tags()
        fill(audio.tags, tags, marks, track)
        audio.clear_pictures()
        if cover:
            audio.add_picture(picture(cover))
        audio.save()

    def read_back(self, path) -> dict:
        audio = FLAC(str(path))
        out = read_comments(audio.tags)
        out["cover"] = audio.pictures[0].data if audio.pictures else None
        out["duration"] = audio.info.length
        return out
