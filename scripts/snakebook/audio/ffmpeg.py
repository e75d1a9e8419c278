"""Finding and running ffmpeg: the static build pinned by the imageio-ffmpeg wheel, else the system's.

Why the wheel's first: it is the same ffmpeg (version and encoders) on every machine the requirements install,
and as a static binary it starts in ~0.02 CPU-s where a distribution's shared build loads ~200 libraries
(Debian 12's: 0.13 CPU-s). A chapter runs ffmpeg four times (loudness, limiter check, encode, report player),
so for short chapters the start-up was most of their encoding; the encoding itself costs the same in both
(``tests/bench/bench_all.py --only encode``). ``SNAKEBOOK_FFMPEG`` names another ffmpeg (e.g. one built with
other encoders). ffprobe (checks, tests) is the system's: the wheel has none.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
from functools import lru_cache
from pathlib import Path

from ..errors import SnakebookError

FFMPEG_ENV = "SNAKEBOOK_FFMPEG"


@lru_cache(maxsize=1)
def ffmpeg_binary() -> str:
    chosen = os.environ.get(FFMPEG_ENV)
    if chosen:
        found = shutil.which(chosen)
        if not found:
            raise SnakebookError(f"{FFMPEG_ENV}={chosen} is not an ffmpeg that can be run here.")
        return found
    found = bundled_ffmpeg() or shutil.which("ffmpeg")
    if found:
        return found
    raise SnakebookError(
        "ffmpeg is not installed. Install the requirements (`make setup`: the imageio-ffmpeg wheel brings one), "
        "or the system's (`apt-get install ffmpeg`)."
    )


def bundled_ffmpeg() -> str | None:
    """The imageio-ffmpeg wheel's binary, found without importing the package (its import and checks: ~0.4 s)."""
    from importlib.util import find_spec

    try:
        spec = find_spec("imageio_ffmpeg")
    except (ImportError, ValueError):
        return None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        for path in sorted(Path(folder, "binaries").glob("ffmpeg-*")):
            if path.is_file() and os.access(path, os.X_OK):
                return str(path)
    return None


def ffprobe_binary() -> str | None:
    """The system's ffprobe; None where there is none (the imageio-ffmpeg wheel has no ffprobe)."""
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
