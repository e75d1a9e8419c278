"""Guards against hostile archives (zip bombs, oversized members)."""

from __future__ import annotations

import zipfile
from pathlib import Path

from ..errors import SnakebookError

MAX_TOTAL_UNCOMPRESSED = 1024 * 1024 * 1024  # 1 GiB
MAX_MEMBER_UNCOMPRESSED = 256 * 1024 * 1024
MAX_RATIO = 200
MAX_MEMBERS = 20000


def check_zip(path: str | Path, book: str) -> None:
    """Refuse archives that would expand to absurd sizes before anything reads them."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise SnakebookError(f"the file is not a valid ZIP/EPUB container ({exc}); re-export or re-download it.", book) from None
    if len(infos) > MAX_MEMBERS:
        raise SnakebookError(f"the archive has {len(infos)} members, more than the {MAX_MEMBERS} allowed; it looks hostile.", book)
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > MAX_MEMBER_UNCOMPRESSED or (
            info.compress_size and info.file_size > 1024 * 1024 and info.file_size / info.compress_size > MAX_RATIO
        ):
            raise SnakebookError(
                f"archive member '{info.filename}' expands to {info.file_size} bytes "
                f"(compression ratio {info.file_size / max(info.compress_size, 1):.0f}:1): refusing a likely zip bomb.",
                book,
            )
    if total > MAX_TOTAL_UNCOMPRESSED:
        raise SnakebookError(f"the archive expands to {total} bytes, more than the 1 GiB allowed: refusing a likely zip bomb.", book)
