"""The output jobs (one function per rule script): cover, loudness, encode, assemble, captions, per-chapter, library.

Each takes plain paths and plain settings (what Snakemake hands a rule script) and does one job.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ..model import read_book_json
from .assemble import assemble_book, chapter_layout
from .booktags import BookTags
from .captions import book_cues, write_captions
from .cover import prepare_cover
from .encode import chapter_gain, encode_within_ceiling, measure_chapter
from .formats import output_format
from .library import place_in_library, write_per_chapter
from .loudness import DEFAULT_CEILING, loudness_settings
from .wav import wav_duration

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


def book_tags(book: dict, tag_params: dict | None) -> BookTags:
    params = tag_params or {}
    return BookTags.from_book(book, params.get("overrides"), narrator=params.get("narrator"))


def cover_job(
    book_json: str | Path, source: str | None, out: str | Path, book_name: str | None, tag_params: dict | None = None
) -> str:
    """The cover every format embeds: the configured image, else the ebook's, checked; else a generated one."""
    book = read_book_json(book_json)
    tags = book_tags(book, tag_params)
    return prepare_cover(source or book.get("cover"), tags.title, tags.artist, out, book_name)


def measure_job(wav: str | Path, out_json: str | Path, loudness: dict | None, book_name: str | None) -> None:
    record = measure_chapter(wav, out_json, loudness_settings(loudness), book_name)
    plan = record["plan"] or {}
    log.info(
        "%s: %s: integrated %.1f LUFS, sample peak %.1f dBFS, LRA %.1f LU; gain %+.2f dB%s",
        book_name,
        Path(wav).name,
        record["integrated"],
        record["peak"],
        record["lra"],
        plan.get("gain_db", 0.0),
        f", limiter at {plan['limit_db']:.1f} dBFS" if plan.get("limit_db") is not None else "",
    )


def encode_job(
    wav: str | Path, out: str | Path, params: dict, loudness_json: str | Path | None, book_name: str | None
) -> None:
    gain = chapter_gain(loudness_json, output_format(params["format"], book_name).peak_headroom_db)
    if gain is not None:
        log.info(
            "%s: %s: gain %+.2f dB%s",
            book_name,
            Path(wav).name,
            gain.gain_db,
            f", limiter at {gain.limit_db:.1f} dBFS" if gain.limit_db is not None else "",
        )
    ceiling = (params.get("loudness") or {}).get("true_peak", DEFAULT_CEILING) if params.get("loudness") else None
    encode_within_ceiling(
        wav, out, book_name, format=params["format"], options=params.get("options"), gain=gain, ceiling=ceiling
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
    book = read_book_json(book_json)
    marks = chapter_layout(encoded, [c["title"] for c in book["chapters"]])
    place_in_library(root, audio_files, cover, book_tags(book, tag_params), marks, record)
