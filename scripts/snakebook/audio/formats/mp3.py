"""mp3: MPEG layer III (LAME), ID3v2.4 tags with CHAP/CTOC chapter frames written with mutagen."""

from __future__ import annotations

from mutagen.id3 import ID3NoHeaderError
from mutagen.mp3 import MP3

from .base import OutputFormat
from .id3 import ChapterOrderedID3, fill_id3, id3_frames, read_id3


class Mp3Format(OutputFormat):
    name = "mp3"
    suffix = ".mp3"
    chapter_suffix = ".mp3"
    muxer = "mp3"
    codec = "libmp3lame"
    defaults = {"bitrate": "64k", "sample_rate": None, "channels": 1}

    def codec_args(self, options: dict) -> list[str]:
        return [*super().codec_args(options), "-id3v2_version", "0", "-write_id3v1", "0"]

    def join_args(self) -> list[str]:
        return ["-id3v2_version", "0", "-write_id3v1", "0"]

    def write_tags(self, path, tags, marks, cover, track=None) -> None:
        try:
            id3 = ChapterOrderedID3(str(path))
        except ID3NoHeaderError:
            id3 = ChapterOrderedID3()
        fill_id3(id3, id3_frames(tags, marks, cover, track))
        id3.save(str(path), v2_version=4, v1=0)

    def read_back(self, path) -> dict:
        audio = MP3(str(path))
        out = read_id3(audio.tags)
        out["duration"] = audio.info.length
        return out
