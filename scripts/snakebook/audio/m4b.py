"""Assembly: chapter AAC files -> one m4b by stream copy (no re-encode), markers, tags, cover."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .chapters import chapter_marks, ffmetadata
from .ffmpeg import run_ffmpeg
from .tags import write_tags
from .wav import wav_duration


def _concat_line(path: Path) -> str:
    return "file '" + str(path.resolve()).replace("'", "'\\''") + "'"


def assemble_m4b(
    chapter_audio: list[str | Path],
    chapter_wavs: list[str | Path],
    book: dict,
    out: str | Path,
    cover: str | Path | None = None,
    book_name: str | None = None,
) -> None:
    """Concatenate encoded chapters into ``out`` with one marker per chapter.

    Marker positions come from the chapter WAVs (exact sample counts); the
    audio streams are copied, so memory and time do not grow with decoding.
    """
    out = Path(out)
    titles = [chapter["title"] for chapter in book["chapters"]]
    marks = chapter_marks(titles, [wav_duration(w) for w in chapter_wavs])
    language = (book.get("language") or "").split("-")[0]
    with tempfile.TemporaryDirectory(prefix="assemble-", dir=out.parent) as work:
        work_dir = Path(work)
        listing = work_dir / "chapters.txt"
        listing.write_text("\n".join(_concat_line(Path(p)) for p in chapter_audio) + "\n", encoding="utf-8")
        metadata = work_dir / "metadata.txt"
        metadata.write_text(ffmetadata(marks), encoding="utf-8")
        tmp = work_dir / "book.m4b"
        run_ffmpeg(
            [
                "-f", "concat", "-safe", "0", "-i", str(listing),
                "-f", "ffmetadata", "-i", str(metadata),
                "-map", "0:a", "-map_metadata", "1", "-map_chapters", "1",
                "-c", "copy", *(["-metadata:s:a:0", f"language={_iso639_2(language)}"] if language else []),
                "-movflags", "+faststart", "-f", "ipod", str(tmp),
            ],
            book_name,
            "assembling the audiobook",
        )
        write_tags(tmp, book, cover)
        os.replace(tmp, out)


def _iso639_2(code: str) -> str:
    table = {"en": "eng", "fr": "fra", "de": "deu", "nl": "nld", "es": "spa", "it": "ita", "ru": "rus", "ar": "ara",
             "pt": "por", "pl": "pol", "zh": "zho", "ja": "jpn", "ko": "kor", "tr": "tur", "cs": "ces", "hu": "hun"}
    return table.get(code.lower(), code.lower() if len(code) == 3 else "und")
