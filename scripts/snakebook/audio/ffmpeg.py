"""Finding and running ffmpeg (the system's, else the binary the imageio-ffmpeg wheel ships)."""

from __future__ import annotations

import shutil
import subprocess
from functools import lru_cache

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


def run_ffmpeg(args: list[str], book: str | None = None, what: str = "ffmpeg") -> None:
    command = [ffmpeg_binary(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        detail = (result.stderr or "").strip().splitlines()[-5:]
        raise SnakebookError(f"{what} failed (ffmpeg exit {result.returncode}): {' '.join(detail)}", book)
