"""What a run made, per book and chapter: ``results/{book}/summary.json`` and ``results/summary.tsv``.

Written at the end of every run (the workflow's ``onsuccess``/``onerror`` handlers), and on demand
with ``python -m snakebook.summary [results]`` (also while a run is going). Everything is read back
from files, so it works the same after a local run, a cluster run or a crash:

- ``book.json`` (title, chapters, characters), ``audio/NNN.wav`` (the exact audio length),
- ``speech/NNN.keys.json`` (sentences, how many came from the cache, synthesis time, engine, voice,
  software versions: written by :mod:`snakebook.synth` when the chapter is done),
- the job logs (``logs/``): a job that failed left its ``ERROR`` line there.

A chapter is ``done`` (its WAV and keys file exist), ``failed`` (a job of it failed and its
output is missing) or ``pending``; a book is ``done`` when its m4b exists and every chapter is
done, ``failed`` when its extraction, a chapter or its assembly failed, else ``pending``.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import sys
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

from .fileio import write_json, write_text

SUMMARY_FORMAT = "snakebook-summary/1"
TSV_COLUMNS = (
    "book",
    "chapter",
    "title",
    "state",
    "characters",
    "audio_seconds",
    "synthesis_seconds",
    "real_time_factor",
    "sentences",
    "from_cache",
    "engine",
    "voice",
    "versions",
    "log",
    "error",
)
# Packages whose version changes what a book sounds like, per engine (Snakemake and Python always).
ENGINE_PACKAGES = {"piper": ("piper-tts", "onnxruntime"), "coqui": ("coqui-tts", "torch")}


# --- at synthesis time (called by snakebook.synth) ---------------------------------------------------


def voice_label(engine) -> str:
    """A short human name for the voice an engine speaks with (Piper voice file, espeak voice, model)."""
    settings = getattr(engine, "settings", None)
    speaker = getattr(settings, "speaker", None)
    name = None
    model_path = getattr(engine, "model_path", None)
    if model_path:
        name = Path(str(model_path)).name.removesuffix(".onnx")
    elif callable(getattr(engine, "voice", None)):
        try:
            name = engine.voice()
        except Exception:  # a voice that cannot be named is no reason to fail a finished chapter
            name = None
    name = name or getattr(settings, "voice", None) or getattr(settings, "model", None) or "default"
    return f"{name} (speaker {speaker})" if speaker not in (None, "") else str(name)


def software_versions(identity: dict | None = None) -> dict:
    """Versions of what made the audio: Python, snakebook, the engine's packages or binary."""
    from . import __version__

    versions = {"python": platform.python_version(), "snakebook": __version__}
    engine = (identity or {}).get("engine")
    for package in ("snakemake", *ENGINE_PACKAGES.get(engine, ())):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    if engine == "espeak" and identity.get("binary"):
        found = re.search(r"\d+(?:\.\d+)+", str(identity["binary"]))
        versions["espeak-ng"] = found.group(0) if found else str(identity["binary"]).split("Data at")[0].strip()
    return versions


def part_totals(keys_json: str | Path | None) -> dict | None:
    """What the part jobs of a split chapter made (``speech/NNN-KofN.keys.json``, read before they are removed).

    A long chapter is synthesised by part jobs (:mod:`snakebook.parts`) and then joined by the chapter
    job from the cache; without these figures the chapter would look as if it came wholly from the cache.
    """
    if not keys_json:
        return None
    keys_json = Path(keys_json)
    stem = keys_json.name.removesuffix(".keys.json")
    totals = {
        "parts": 0,
        "synthesised": 0,
        "synth_seconds": 0.0,
        "load_seconds": 0.0,
        "engine_seconds": 0.0,
        "engine_audio_seconds": 0.0,
    }
    for path in sorted(keys_json.parent.glob(f"{stem}-*of*.keys.json")):
        record = _read_json(path) or {}
        totals["parts"] += 1
        for key in totals:
            if key != "parts" and isinstance(record.get(key), (int, float)):
                totals[key] = round(totals[key] + record[key], 3)
    return totals if totals["parts"] else None


def synthesis_facts(engine, identity: dict, keys_json: str | Path | None = None) -> dict:
    """What ``speech/NNN.keys.json`` records besides the keys, for this summary."""
    facts = {"voice": voice_label(engine), "versions": software_versions(identity)}
    parts = part_totals(keys_json)
    if parts:
        facts["parts"] = parts
    return facts


# --- reading a book's state back ---------------------------------------------------------------------


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def error_line(log_path: str | Path | None) -> str | None:
    """The one-line reason a job gave in its log (its last ``ERROR`` line), or None."""
    if not log_path:
        return None
    try:
        lines = Path(log_path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        if " ERROR " in f" {line} ":
            return clean_error(line)
    return None


def clean_error(line: str) -> str:
    """``2026-.. ERROR ERROR book: message`` -> ``book: message`` (one line)."""
    text = line.strip()
    head, sep, rest = text.partition(" ERROR ")
    if sep and (head[:4].isdigit() or head == ""):
        text = rest
    while text.startswith("ERROR "):
        text = text[len("ERROR ") :]
    return " ".join(text.split())


def _wav_seconds(path: Path) -> float | None:
    from .audio.wav import wav_duration

    try:
        return wav_duration(path)
    except (OSError, EOFError, ValueError, Exception):  # a damaged WAV reads as "no audio yet"
        return None


def _rtf(seconds, audio) -> float | None:
    return round(seconds / audio, 4) if seconds and audio else None


def chapter_summary(
    book_dir: Path, record: dict, settings: dict | None = None, failed_logs: Iterable[str] = ()
) -> dict:
    """One chapter's row: title, characters, audio, synthesis time, RTF, cache use, engine, voice, state."""
    chapter = record["id"]
    wav = book_dir / "audio" / f"{chapter}.wav"
    keys = _read_json(book_dir / "speech" / f"{chapter}.keys.json") or {}
    logs = [
        book_dir / "logs" / "synthesize" / f"{chapter}.log",
        *sorted((book_dir / "logs" / "encode").glob(f"{chapter}.*log")),
    ]  # one encode log per format
    settings = settings or {}
    row = {
        "chapter": chapter,
        "index": record.get("index"),
        "title": record.get("title"),
        "characters": record.get("chars"),
        "audio_seconds": None,
        "synthesis_seconds": keys.get("synth_seconds"),
        "real_time_factor": None,
        "sentences": keys.get("utterances"),
        "from_cache": keys.get("from_cache"),
        "engine": keys.get("engine") or settings.get("engine"),
        "voice": keys.get("voice") or settings.get("voice") or settings.get("model"),
        "versions": keys.get("versions") or {},
        "state": "pending",
        "log": None,
        "error": None,
    }
    if wav.exists() and keys:
        seconds = _wav_seconds(wav)
        row["audio_seconds"] = round(seconds, 3) if seconds is not None else keys.get("audio_seconds")
        engine_seconds, engine_audio = keys.get("engine_seconds") or 0.0, keys.get("engine_audio_seconds") or 0.0
        parts = keys.get("parts") or {}
        if parts:  # a split chapter: its part jobs made what the chapter job then read from the cache
            engine_seconds += parts.get("engine_seconds") or 0.0
            engine_audio += parts.get("engine_audio_seconds") or 0.0
            row["synthesis_seconds"] = round((keys.get("synth_seconds") or 0) + (parts.get("synth_seconds") or 0), 3)
            if row["from_cache"] is not None:
                row["from_cache"] = max(row["from_cache"] - (parts.get("synthesised") or 0), 0)
        row["real_time_factor"] = _rtf(engine_seconds, engine_audio) if engine_audio else None
        row.update(engine_seconds=round(engine_seconds, 3), engine_audio_seconds=round(engine_audio, 3), state="done")
    failed_logs = {str(Path(p)) for p in failed_logs}
    for log_path in logs:
        reason = error_line(log_path)
        if reason is None and str(log_path) not in failed_logs:
            continue
        # encode/NNN.m4a.log makes encoded/NNN.m4a (one per format); synthesize/NNN.log the chapter WAV
        output = wav if log_path.parent.name == "synthesize" else book_dir / "encoded" / log_path.name[: -len(".log")]
        job_output_missing = not output.exists()
        if job_output_missing:
            row.update(state="failed", log=str(log_path), error=reason)
            break
    return row


def book_summary(results: str | Path, book: str, settings: dict | None = None, failed_logs: Iterable[str] = ()) -> dict:
    """The summary of one book (see the module doc); ``failed_logs``: logs of jobs that failed in this run."""
    book_dir = Path(results) / book
    info = _read_json(book_dir / "book.json")
    failed_logs = [str(p) for p in failed_logs]
    settings = settings or {}
    summary = {
        "format": SUMMARY_FORMAT,
        "book": book,
        "title": (info or {}).get("title") or book,
        "authors": (info or {}).get("authors") or [],
        "language": (info or {}).get("language") or settings.get("language"),
        "source": (info or {}).get("source") or settings.get("path"),
        "state": "pending",
        "error": None,
        "log": None,
        "chapters": [],
    }
    extract_log = book_dir / "logs" / "extract_book.log"
    if info is None:
        reason = error_line(extract_log)
        if reason or str(extract_log) in failed_logs:
            summary.update(state="failed", error=reason, log=str(extract_log))
        summary.update(_totals([], settings))
        return summary
    chapters = [chapter_summary(book_dir, record, settings, failed_logs) for record in info.get("chapters", [])]
    summary["chapters"] = chapters
    summary.update(_totals(chapters, settings))
    m4b = book_dir / f"{book}.m4b"
    assemble_log = book_dir / "logs" / "assemble_audiobook.m4b.log"  # (one per format: assemble_audiobook.{fmt}.log)
    failed = [c for c in chapters if c["state"] == "failed"]
    if failed:
        summary.update(state="failed", error=failed[0]["error"], log=failed[0]["log"])
    elif m4b.exists() and all(c["state"] == "done" for c in chapters):
        summary["state"] = "done"
        summary["audiobook"] = str(m4b)
    elif all(c["state"] == "done" for c in chapters) and (error_line(assemble_log) or str(assemble_log) in failed_logs):
        summary.update(state="failed", error=error_line(assemble_log), log=str(assemble_log))
    else:  # any other job of this book that failed in this run (loudness, checks, ...) fails the book
        mine = [
            log
            for log in failed_logs
            if Path(log).is_relative_to(book_dir) or Path(log).resolve().is_relative_to(book_dir.resolve())
        ]
        if mine:
            summary.update(state="failed", error=error_line(mine[0]), log=mine[0])
    return summary


def _totals(chapters: list[dict], settings: dict) -> dict:
    def total(key):
        values = [c[key] for c in chapters if c.get(key) is not None]
        return round(sum(values), 3) if values else None

    done = [c for c in chapters if c["state"] == "done"]
    engine_seconds = sum(c.get("engine_seconds") or 0 for c in done)
    engine_audio = sum(c.get("engine_audio_seconds") or 0 for c in done)
    engines = sorted({c["engine"] for c in chapters if c.get("engine")}) or [settings.get("engine") or None]
    voices = sorted({c["voice"] for c in chapters if c.get("voice")}) or [settings.get("voice") or None]
    versions: dict = {}
    for chapter in done:
        versions.update(chapter.get("versions") or {})
    return {
        "chapters_done": len(done),
        "chapters_total": len(chapters),
        "characters": total("characters"),
        "audio_seconds": total("audio_seconds"),
        "synthesis_seconds": total("synthesis_seconds"),
        "real_time_factor": _rtf(engine_seconds, engine_audio),
        "sentences": total("sentences"),
        "from_cache": total("from_cache"),
        "engine": ", ".join(e for e in engines if e) or None,
        "voice": ", ".join(v for v in voices if v) or None,
        "versions": versions,
    }


# --- writing ------------------------------------------------------------------------------------------


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return " ".join(f"{key}={val}" for key, val in sorted(value.items()))
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if value else "0"
    return " ".join(str(value).split())


def tsv_rows(summary: dict) -> list[dict]:
    """The book's rows in ``summary.tsv``: one for the whole book (chapter ``all``), one per chapter."""
    rows = [{**summary, "chapter": "all"}]
    for chapter in summary["chapters"]:
        rows.append({**chapter, "book": summary["book"]})
    return rows


# What a book's summary is read from, besides its top-level files (book.json, the audiobook): a file written or
# removed in one of these folders changes the folder's or the file's time, and so the book's fingerprint.
SUMMARY_SOURCES = ("audio", "speech", "encoded", "logs")


def book_fingerprint(book_dir: Path, settings: dict | None = None) -> str | None:
    """A fingerprint of everything :func:`book_summary` reads for one book (None: the book has no folder yet).

    Times and sizes of the book's top-level files, the newest time and the number of entries under
    :data:`SUMMARY_SOURCES` (folders included, so a removed file counts), and the settings the summary falls
    back on. Only stat calls: a library of 3,000 chapters is fingerprinted in a fraction of a second, where
    reading it back (every WAV header, keys file and log) takes seconds at the end of every run.
    """
    try:
        top = sorted(
            (entry.name, entry.stat().st_mtime_ns, entry.stat().st_size)
            for entry in os.scandir(book_dir)
            if entry.name != "summary.json" and entry.is_file()
        )
    except OSError:
        return None
    newest, count = 0, 0
    folders = [str(book_dir / name) for name in SUMMARY_SOURCES]
    while folders:
        folder = folders.pop()
        try:
            newest = max(newest, os.stat(folder).st_mtime_ns)
            with os.scandir(folder) as entries:
                for entry in entries:
                    count += 1
                    if entry.is_dir(follow_symlinks=False):
                        folders.append(entry.path)
                    else:
                        newest = max(newest, entry.stat(follow_symlinks=False).st_mtime_ns)
        except OSError:
            continue
    settings = settings or {}
    fallbacks = [str(settings.get(key)) for key in ("engine", "voice", "model", "language", "path")]
    text = json.dumps([SUMMARY_FORMAT, top, newest, count, fallbacks])
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _failed_here(book_dir: Path, failed_logs: list[str]) -> bool:
    return any(
        Path(log).is_relative_to(book_dir) or Path(log).resolve().is_relative_to(book_dir.resolve())
        for log in failed_logs
    )


def _unchanged_summary(book_dir: Path, fingerprint: str | None) -> dict | None:
    """The book's last summary.json, if nothing it was read from has changed since (same fingerprint)."""
    if fingerprint is None:
        return None
    summary = _read_json(book_dir / "summary.json")
    if summary and summary.get("format") == SUMMARY_FORMAT and summary.get("fingerprint") == fingerprint:
        return summary
    return None


def write_summaries(results: str | Path, books: dict[str, dict], failed_logs: Iterable[str] = ()) -> list[dict]:
    """Write ``results/{book}/summary.json`` for each book and ``results/summary.tsv``; return the summaries.

    ``books``: slug -> settings (the workflow's book table); ``failed_logs``: the logs of jobs that failed in
    this run (a failure that wrote no ``ERROR`` line, e.g. a killed job, still marks its chapter failed).
    """
    results = Path(results)
    failed_logs = [str(p) for p in failed_logs]
    summaries = []
    for book in sorted(books):
        book_dir = results / book
        fingerprint = book_fingerprint(book_dir, books[book])
        summary = None if _failed_here(book_dir, failed_logs) else _unchanged_summary(book_dir, fingerprint)
        if summary is None:
            summary = book_summary(results, book, books[book], failed_logs)
            if fingerprint is not None:
                summary["fingerprint"] = fingerprint
                write_json(book_dir / "summary.json", summary, indent=1)
        summaries.append(summary)
    lines = ["\t".join(TSV_COLUMNS)]
    for summary in summaries:
        for row in tsv_rows(summary):
            lines.append("\t".join(_cell(row.get(column)) for column in TSV_COLUMNS))
    results.mkdir(parents=True, exist_ok=True)
    write_text(results / "summary.tsv", "\n".join(lines) + "\n")
    return summaries


def books_in(results: Path) -> dict[str, dict]:
    """Every book folder under ``results`` (those with a book.json or logs), for the command line."""
    return {
        path.name: {}
        for path in sorted(results.iterdir())
        if path.is_dir() and ((path / "book.json").exists() or (path / "logs").is_dir())
    }


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    results = Path(argv[0] if argv else "results")
    if not results.is_dir():
        print(f"no results folder '{results}'", file=sys.stderr)
        return 1
    write_summaries(results, books_in(results))
    print((results / "summary.tsv").read_text(encoding="utf-8"), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
