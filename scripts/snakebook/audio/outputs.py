"""The output jobs (one function per rule script): cover, loudness and encode, assemble, captions, per-chapter, library.

Each takes plain paths and plain settings (what Snakemake hands a rule script) and does one job.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from ..model import read_book_json

# Each job imports what it uses, in its function: an encode job needs neither Pillow (covers) nor the
# taggers, and the planning Snakemake imports voice_name alone.

log = logging.getLogger("snakebook")

ENGINE_NAMES = {"piper": "Piper", "espeak": "eSpeak NG", "coqui": "Coqui"}


def voice_name(voice: dict | None) -> str | None:
    """The narrator tag a synthetic voice gets: ``Piper en_US-joe-medium``, ``eSpeak NG fr``."""
    voice = voice or {}
    engine = voice.get("engine") or "piper"
    name = voice.get("voice") or voice.get("model")
    if name:
        name = Path(str(name)).name.removesuffix(".onnx")
    elif engine == "piper":
        name = "en_US-joe-medium"
    elif engine == "espeak":
        name = voice.get("language") or ""
    label = ENGINE_NAMES.get(engine, engine)
    return f"{label} {name}".strip()


def book_tags(book: dict, tag_params: dict | None):
    from .booktags import BookTags

    params = tag_params or {}
    return BookTags.from_book(book, params.get("overrides"), narrator=params.get("narrator"))


def cover_job(
    book_json: str | Path, source: str | None, out: str | Path, book_name: str | None, tag_params: dict | None = None
) -> str:
    """The cover every format embeds: the configured image, else the ebook's, checked; else a generated one."""
    from .cover import prepare_cover

    book = read_book_json(book_json)
    tags = book_tags(book, tag_params)
    return prepare_cover(source or book.get("cover"), tags.title, tags.artist, out, book_name)


def encode_job(wav: str | Path, out: str | Path, params: dict, book_name: str | None) -> None:
    """One chapter in one format: its loudness measured (one ebur128 pass, then the gain plan), then encoded.

    The measurement goes to the job's log as one ``loudness {json}`` line (measured values, target, ceiling, plan).
    """
    from .encode import chapter_gain, encode_within_ceiling, measure_chapter
    from .formats import output_format
    from .loudness import loudness_settings

    gain = None
    settings = loudness_settings(params.get("loudness"))
    if settings is not None:
        record = measure_chapter(wav, settings, book_name)
        log.info("%s: %s: loudness %s", book_name, Path(wav).name, json.dumps(record, sort_keys=True))
        gain = chapter_gain(record, output_format(params["format"], book_name).peak_headroom_db)
        plan = record["plan"] or {}
        log.info(
            "%s: %s: integrated %.1f LUFS, sample peak %.1f dBFS, LRA %.1f LU; gain %+.2f dB%s",
            book_name,
            Path(wav).name,
            record["integrated"],
            record["peak"],
            record["lra"],
            gain.gain_db if gain else plan.get("gain_db", 0.0),
            f", limiter at {gain.limit_db:.1f} dBFS" if gain and gain.limit_db is not None else "",
        )
    encode_within_ceiling(
        wav,
        out,
        book_name,
        format=params["format"],
        options=params.get("options"),
        gain=gain,
        ceiling=settings[1] if settings is not None else None,
    )


def _cover_bytes(cover: str | Path | None) -> bytes | None:
    return Path(cover).read_bytes() if cover else None


def assemble_job(
    format_name: str,
    encoded: list,
    wavs: list,
    book_json: str | Path,
    out: str | Path,
    tag_params: dict | None,
    cover: str | Path | None,
    book_name: str | None,
) -> None:
    from .assemble import assemble_book
    from .wav import wav_duration

    book = read_book_json(book_json)
    assemble_book(
        format_name,
        encoded,
        book,
        out,
        tags=book_tags(book, tag_params),
        cover=_cover_bytes(cover),
        book_name=book_name,
        wav_seconds=sum(wav_duration(w) for w in wavs),
    )


def captions_job(encoded: list, cue_files: list, book_json: str | Path, outputs: dict, book_name: str | None) -> None:
    """VTT/SRT timed against the joined book (chapter offsets from the first format's encoded chapters)."""
    from .assemble import chapter_layout
    from .captions import book_cues, write_captions

    book = read_book_json(book_json)
    marks = chapter_layout(encoded, [c["title"] for c in book["chapters"]])
    cues = book_cues(marks, cue_files)
    write_captions(cues, outputs)
    log.info("%s: %d cues in %s", book_name, len(cues), ", ".join(str(p) for p in outputs.values()))


def per_chapter_job(
    format_name: str,
    encoded: list,
    book_json: str | Path,
    folder: str | Path,
    tag_params: dict | None,
    cover: str | Path | None,
    book_name: str,
) -> None:
    from .assemble import chapter_layout
    from .formats import output_format
    from .library import write_per_chapter

    book = read_book_json(book_json)
    kind = output_format(format_name, book_name)
    marks = chapter_layout(encoded, [c["title"] for c in book["chapters"]])
    written = write_per_chapter(
        kind, encoded, marks, folder, book_tags(book, tag_params), _cover_bytes(cover), book_name
    )
    log.info("%s: %d %s chapter files and a playlist in %s", book_name, len(written), format_name, folder)


def library_job(
    root: str | Path,
    audio_files: list,
    encoded: list,
    book_json: str | Path,
    cover: str | Path | None,
    tag_params: dict | None,
    record: str | Path,
) -> None:
    from .assemble import chapter_layout
    from .library import place_in_library

    book = read_book_json(book_json)
    marks = chapter_layout(encoded, [c["title"] for c in book["chapters"]])
    place_in_library(root, audio_files, cover, book_tags(book, tag_params), marks, record)
