"""Per-chapter AAC encoding: runs beside synthesis, so assembly only copies streams."""

from __future__ import annotations

import os
from pathlib import Path

from .ffmpeg import run_ffmpeg


def encode_chapter(wav: str | Path, out: str | Path, bitrate: str = "64k", book: str | None = None) -> None:
    """WAV -> AAC in an MP4 container (``.m4a``), written atomically.

    ffmpeg's "fast" AAC coder encodes speech ~180x faster than real time on one core,
    four times faster than its default "twoloop" coder, at the same bitrate and a
    difference not heard in speech: encoding then costs ~5 % of Piper's synthesis time.
    """
    out = Path(out)
    tmp = out.with_name(out.name + ".part.m4a")
    try:
        run_ffmpeg(["-i", str(wav), "-vn", "-c:a", "aac", "-aac_coder", "fast", "-b:a", bitrate, "-f", "mp4", str(tmp)], book, "encoding a chapter")
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
