"""Per-chapter files with a playlist, and the Audiobookshelf library layout (``Author/[Series/]Title/``).

Nothing here encodes: per-chapter files are copies of the encoded chapters, tagged; the library gets
hard links (copies across filesystems) of the finished files.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import unicodedata
from pathlib import Path

from ..fileio import atomic_path, write_json, write_text
from .booktags import BookTags
from .chapters import ChapterMark
from .formats import OutputFormat

log = logging.getLogger("snakebook")

WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
MAX_NAME_BYTES = 150  # well under every filesystem's 255-byte limit, leaving room for suffixes


def safe_name(text: str, fallback: str = "Untitled") -> str:
    """A file or folder name valid on every common filesystem (ext4, NTFS, FAT32, exFAT, APFS, SMB shares)."""
    name = unicodedata.normalize("NFC", text or "")
    name = re.sub(r'[\x00-\x1f\x7f<>:"/\\|?*]+', " ", name)
    name = re.sub(r"\s+", " ", name).strip().strip(".").strip()
    if name.split(".")[0].upper() in WINDOWS_RESERVED:
        name = f"_{name}"
    while len(name.encode("utf-8")) > MAX_NAME_BYTES:
        name = name[:-1].rstrip()
    return name or fallback


def _place(source: Path, target: Path) -> str:
    """Hard-link ``source`` to ``target`` (a copy where links cannot cross filesystems); atomic."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() and os.path.samefile(source, target):
        return "linked"
    with atomic_path(target) as tmp:
        tmp.unlink()
        try:
            os.link(source, tmp)
            how = "linked"
        except OSError:
            shutil.copy2(source, tmp)
            how = "copied"
    return how


def write_per_chapter(
    kind: OutputFormat,
    chapter_files: list[str | Path],
    marks: list[ChapterMark],
    folder: str | Path,
    tags: BookTags,
    cover: bytes | None,
    playlist_name: str,
) -> list[Path]:
    """``NN - Title.ext`` per chapter (track number, total and the book's tags) and an ``.m3u8`` playlist."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    width = max(2, len(str(len(marks))))
    written: list[Path] = []
    lines = ["#EXTM3U", f"#PLAYLIST:{tags.title}"]
    for number, (source, mark) in enumerate(zip(chapter_files, marks, strict=True), start=1):
        name = f"{number:0{width}d} - {safe_name(mark.title, f'Chapter {number}')}{kind.chapter_suffix}"
        target = folder / name
        with atomic_path(target) as tmp:
            shutil.copyfile(source, tmp)
            kind.write_tags(
                tmp, tags, [ChapterMark(mark.title, 0.0, mark.end - mark.start)], cover, track=(number, len(marks))
            )
        written.append(target)
        lines += [f"#EXTINF:{int(round(mark.end - mark.start))},{tags.artist} - {mark.title}", name]
    write_text(folder / f"{safe_name(playlist_name)}.m3u8", "\n".join(lines) + "\n")
    return written


def library_folder(root: str | Path, tags: BookTags) -> Path:
    """``root/Author/[Series/]Title/`` with every part made safe."""
    parts = [safe_name(tags.artist or "Unknown Author")]
    if tags.series:
        parts.append(safe_name(tags.series))
    title = tags.title if not tags.series_part else f"{tags.series_part} - {tags.title}"
    parts.append(safe_name(title))
    return Path(root).joinpath(*parts)


def abs_metadata(tags: BookTags, marks: list[ChapterMark]) -> dict:
    """The ``metadata.json`` Audiobookshelf reads from a book folder."""
    series = [f"{tags.series} #{tags.series_part}" if tags.series_part else tags.series] if tags.series else []
    return {
        "tags": [],
        "chapters": [
            {"id": i, "start": round(m.start, 3), "end": round(m.end, 3), "title": m.title} for i, m in enumerate(marks)
        ],
        "title": tags.title,
        "subtitle": tags.subtitle,
        "authors": tags.authors,
        "narrators": [tags.narrator] if tags.narrator else [],
        "series": series,
        "genres": [tags.genre],
        "publishedYear": tags.year,
        "publishedDate": None,
        "publisher": tags.publisher,
        "description": tags.description,
        "isbn": tags.isbn,
        "asin": None,
        "language": tags.language,
        "explicit": False,
        "abridged": False,
    }


def place_in_library(
    root: str | Path,
    audio_files: list[str | Path],
    cover: str | Path | None,
    tags: BookTags,
    marks: list[ChapterMark],
    record: str | Path,
) -> Path:
    """Put a finished book into an Audiobookshelf library folder; write what was placed to ``record``."""
    folder = library_folder(root, tags)
    placed = {}
    for source in audio_files:
        source = Path(source)
        target = folder / f"{safe_name(tags.title)}{source.suffix}"
        placed[str(target)] = _place(source, target)
    if cover:
        placed[str(folder / "cover.jpg")] = _place(Path(cover), folder / "cover.jpg")
    if tags.description:
        write_text(folder / "desc.txt", tags.description + "\n")
    if tags.narrator:
        write_text(folder / "reader.txt", tags.narrator + "\n")
    write_json(folder / "metadata.json", abs_metadata(tags, marks))
    write_json(record, {"folder": str(folder.resolve()), "files": placed})
    log.info("placed the book in %s (%s)", folder, ", ".join(sorted(set(placed.values()))))
    return folder
