"""Finding and running ffmpeg (the system's, else the binary the imageio-ffmpeg wheel ships)."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from functools import lru_cache
from pathlib import Path

from ..errors import SnakebookError


@lru_cache(maxsize=1)
def ffmpeg_binary() -> str:
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except Exception:
        raise SnakebookError(
            "ffmpeg is not installed. Install it with `apt-get install ffmpeg` (or your system's package manager), "
            "or without root: `.venv/bin/pip install imageio-ffmpeg`."
        ) from None


def ffprobe_binary() -> str | None:
    """The system's ffprobe (next to ffmpeg); None where only the imageio-ffmpeg binary exists."""
    found = shutil.which("ffprobe")
    if found:
        return found
    sibling = Path(ffmpeg_binary()).with_name("ffprobe")
    return str(sibling) if sibling.exists() else None


def probe(path: str | Path) -> dict | None:
    """ffprobe's JSON view (format, streams, chapters) of a media file; None without ffprobe."""
    binary = ffprobe_binary()
    if binary is None:
        return None
    result = subprocess.run(
        [binary, "-v", "error", "-print_format", "json", "-show_chapters", "-show_format", "-show_streams", str(path)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        return None
    return json.loads(result.stdout)


MP4_SUFFIXES = (".m4a", ".m4b", ".mp4")


def media_duration(path: str | Path) -> float:
    """A media file's duration as ffmpeg's demuxers (and so the concat join) count it; mutagen's without ffprobe.

    An MP4's is read from its movie header here (what ffprobe reports, without its ~0.1 CPU-s start-up).
    """
    if Path(path).suffix.lower() in MP4_SUFFIXES:
        from .formats.mp4join import NotJoinable, movie_duration

        try:
            return movie_duration(path)
        except (NotJoinable, OSError, struct.error):
            pass  # not an MP4 this reader understands: ffprobe's answer
    facts = probe(path)
    if facts and facts.get("format", {}).get("duration"):
        return float(facts["format"]["duration"])
    import mutagen

    return float(mutagen.File(str(path)).info.length)


def run_ffmpeg(args: list[str], book: str | None = None, what: str = "ffmpeg") -> None:
    command = [ffmpeg_binary(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        detail = (result.stderr or "").strip().splitlines()[-5:]
        raise SnakebookError(f"{what} failed (ffmpeg exit {result.returncode}): {' '.join(detail)}", book)
