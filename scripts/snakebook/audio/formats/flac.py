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

    def join_codec_args(self) -> list[str]:
        # FLAC frames carry their own frame/sample numbers and the first chapter's STREAMINFO and seek table
        # would be kept by a stream copy: seeking past the first chapter then lands in the wrong place. The
        # join therefore re-frames the decoded chapters (lossless, ~1 CPU-second per hour, flat memory).
        return ["-c:a", "flac"]

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
