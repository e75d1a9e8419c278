"""Output formats: one module per format behind :class:`OutputFormat`, found by name in :data:`FORMATS`.

Adding a format is adding a module here: how a chapter WAV is encoded (ffmpeg codec arguments), how the
encoded chapters are joined (a stream copy wherever the container allows it), and how tags, cover and
chapter markers are written and read back (mutagen).
"""

from __future__ import annotations

from ...errors import SnakebookError
from .base import OutputFormat
from .flac import FlacFormat
from .m4b import M4bFormat
from .mp3 import Mp3Format
from .opus import OpusFormat
from .wav import WavFormat

FORMATS: dict[str, OutputFormat] = {
    f.name: f for f in (M4bFormat(), Mp3Format(), OpusFormat(), FlacFormat(), WavFormat())
}

# Encoded chapter suffix -> format (the `encoded/NNN.<suffix>` files).
BY_CHAPTER_SUFFIX = {f.chapter_suffix: f for f in FORMATS.values()}


def output_format(name: str, book: str | None = None) -> OutputFormat:
    try:
        return FORMATS[name]
    except KeyError:
        raise SnakebookError(f"unknown output format '{name}' (known: {', '.join(FORMATS)}).", book) from None


__all__ = ["FORMATS", "BY_CHAPTER_SUFFIX", "OutputFormat", "output_format"]
