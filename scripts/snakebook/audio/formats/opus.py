"""opus: Opus in Ogg, Vorbis-comment tags with ``CHAPTER001=`` / ``CHAPTER001NAME=`` markers."""

from __future__ import annotations

import base64

from mutagen.flac import Picture
from mutagen.oggopus import OggOpus

from .base import OutputFormat
from .vorbis import cover_comment, fill, read_comments


class OpusFormat(OutputFormat):
    name = "opus"
    suffix = ".opus"
    chapter_suffix = ".opus"
    muxer = "ogg"
    codec = "libopus"
    # Opus works at 48 kHz inside; 32 kb/s mono is transparent for speech.
    defaults = {"bitrate": "32k", "sample_rate": 48000, "channels": 1}
    peak_headroom_db = 0.5  # resampling to 48 kHz and low-bitrate coding add to the true peak (checked after encoding)

    def codec_args(self, options: dict) -> list[str]:
        return [*super().codec_args(options), "-application", "audio"]

    def write_tags(self, path, tags, marks, cover, track=None) -> None:
        audio = OggOpus(str(path))
        fill(audio.tags, tags, marks, track)
        if cover:
            audio.tags["METADATA_BLOCK_PICTURE"] = [cover_comment(cover)]
        audio.save()

    def read_back(self, path) -> dict:
        audio = OggOpus(str(path))
        out = read_comments(audio.tags)
        pictures = audio.tags.get("METADATA_BLOCK_PICTURE") if audio.tags else None
        out["cover"] = Picture(base64.b64decode(pictures[0])).data if pictures else None
        out["duration"] = audio.info.length
        return out
