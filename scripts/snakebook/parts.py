"""Synthesis below the chapter: a long chapter's utterances as several jobs, so no core idles.

A chapter longer than ``synthesis.part_chars`` characters is planned as ``n`` parts (about
``chars / part_chars``, rounded). Part job ``k of n`` plans the chapter exactly as the chapter job
does (:func:`snakebook.synth.plan_chapter`), takes the ``k``-th of ``n`` contiguous utterance ranges
of about equal length, and puts every utterance of its range that is missing into the sentence
cache; its output is a cache-keys manifest (``speech/NNN-KofN.keys.json``, a temporary file that
also keeps its entries live for ``cache_admin prune`` while the run lasts).

The chapter job then runs unchanged after its parts: every utterance is a cache hit, so it only
reads and writes the audio. The join is therefore lossless and sample-exact by construction: the
chapter WAV, ``speech/NNN.txt``, ``keys.json``, chapter markers and captions are what an unsplit
run over the same cache makes. If the cache is not shared between the machines that ran the
parts, the chapter job simply synthesises what it does not find (correct, only slower).

The split depends only on the chapter's length and ``part_chars``, never on ``--cores``, so a
rerun with other cores plans the same files and finished chapters stay finished.
"""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path

log = logging.getLogger("snakebook")

PART_NAME = re.compile(r"^(\d+)of(\d+)$")


def part_count(chars: int, part_chars: int) -> int:
    """How many parts a chapter of ``chars`` characters is synthesised as (1: not split)."""
    if not part_chars or part_chars <= 0 or chars <= 0:
        return 1
    return max(1, round(chars / part_chars))


def part_names(chars: int, part_chars: int) -> list[str]:
    """The part wildcards (``1of3``, ``2of3``, ``3of3``) of a chapter; empty when it is not split."""
    count = part_count(chars, part_chars)
    return [] if count == 1 else [f"{k}of{count}" for k in range(1, count + 1)]


def parse_part(name: str) -> tuple[int, int]:
    """``"2of3"`` -> ``(2, 3)``."""
    match = PART_NAME.match(name)
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise ValueError(f"not a part name: {name!r} (expected KofN with 1 <= K <= N)")
    return int(match.group(1)), int(match.group(2))


def part_ranges(weights: list[int], parts: int) -> list[tuple[int, int]]:
    """``parts`` contiguous ``[start, end)`` index ranges covering ``weights``, of about equal total weight.

    Boundaries are the first indexes whose running total reaches ``j / parts`` of the whole, so the
    ranges depend only on the weights: every job computes the same ones.
    """
    total = sum(weights)
    bounds = [0]
    running = 0
    index = 0
    for j in range(1, parts):
        goal = total * j / parts
        while index < len(weights) and running + weights[index] / 2 < goal:
            running += weights[index]
            index += 1
        bounds.append(max(index, bounds[-1]))
    bounds.append(len(weights))
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def utterance_weight(text: str) -> int:
    """Work estimate of one utterance: its characters plus a fixed cost per engine call."""
    return len(text) + 20


def synthesize_part(
    chapter_text_path: str | Path,
    title: str | None,
    part: str,
    keys_json: str | Path,
    settings: dict,
    *,
    language: str | None,
    cache_dir: str | Path,
    threads: int = 1,
    book_name: str | None = None,
    book_lexicon: dict | None = None,
    share: bool = False,
) -> dict:
    """Fill the sentence cache with part ``part`` (``KofN``) of a chapter; write its keys manifest.

    ``share``: then help the book's chapters still running (:mod:`snakebook.sharing`).
    """
    from .cache import AudioCache, utterance_key
    from .progress import SynthesisProgress
    from .qa import ChapterQa
    from .sharing import BookFolders, SharedEngine, downstream_seconds, help_book, log_help
    from .synth import KeysManifest, SynthesisReport, plan_chapter

    number, count = parse_part(part)
    engine, _lead_ms, utterances = plan_chapter(
        chapter_text_path, title, settings, language=language, book_name=book_name, book_lexicon=book_lexicon
    )
    start, end = part_ranges([utterance_weight(u.text) for u in utterances], count)[number - 1]
    chosen = utterances[start:end]
    cache = AudioCache(cache_dir)
    identity = engine.identity()
    rate = engine.sample_rate
    keys = [utterance_key(identity, u.text) for u in chosen]
    report = SynthesisReport(utterances=len(chosen), characters=sum(len(u.text) for u in chosen))
    manifest = KeysManifest(keys_json, cache, identity, rate, keys, book_name, engine.name)
    manifest.write_planned()
    started = None
    to_make = sum(1 for key in set(keys) if not cache.has(key))
    progress = SynthesisProgress(f"{book_name} {Path(keys_json).name.split('.')[0]}", len(chosen), to_make)
    part_qa = ChapterQa(settings.get("qa"), rate, book_name, Path(keys_json).name.split(".")[0])
    shared = SharedEngine(engine, threads=threads, device=settings.get("device"))
    made: set[str] = set()  # keys made here (their engine seconds: progress.engine_seconds)
    for key, utterance in zip(keys, chosen, strict=True):
        # the chapter job reads (and verifies) every entry: a damaged one is made there, and so is one
        # that another job claimed (it waits for that job, or takes the claim over if the job is gone)
        if cache.has(key) or not cache.claim(key):
            progress.utterance_done(0.0, synthesised=False)
            continue
        try:
            if cache.has(key):  # made meanwhile
                progress.utterance_done(0.0, synthesised=False)
                continue
            if not engine.is_loaded:
                shared.get()
                report.load_seconds = shared.load_seconds
                started = time.perf_counter()
            spoken = time.perf_counter()
            audio = part_qa.synthesize(engine, utterance.text)  # flagged takes retried (engines that vary)
            engine_seconds = time.perf_counter() - spoken
            cache.put(key, audio, rate)
            made.add(key)
        finally:
            cache.release(key)
        report.synthesized += 1
        report.audio_seconds += len(audio) / rate
        progress.utterance_done(len(audio) / rate, synthesised=True, engine_seconds=engine_seconds)
    if started is not None:
        report.synth_seconds = time.perf_counter() - started
    report.cached = report.utterances - report.synthesized
    manifest.record.update(progress.record())  # the chapter job adds these up (snakebook.summary.part_totals)
    manifest.commit(report)
    log.info(
        "%s: part %d of %d, utterances %d-%d of %d: %d made, %d already cached, %.1f s of new audio, "
        "model load %.2f s, synthesis %.2f s",
        book_name,
        number,
        count,
        start + 1,
        end,
        len(utterances),
        report.synthesized,
        report.cached,
        report.audio_seconds,
        report.load_seconds,
        report.synth_seconds,
    )
    if share:  # then the other ranges of this chapter, and other running chapters, from their ends
        folders = BookFolders.beside(chapter_text_path, keys_json)
        made_chars = sum(len(u.text) for key, u in zip(keys, chosen, strict=True) if key in made)
        chapter_chars = sum(len(u.text) for u in utterances)

        def downstream() -> float:
            """The chapter's join and encode, once every part of it is made (until then ending starts nothing)."""
            stem = Path(keys_json).name.split("-", 1)[0]
            parts = [Path(keys_json).with_name(f"{stem}-{k}of{count}.keys.json") for k in range(1, count + 1)]
            if not made_chars or not all(path.exists() for path in parts):
                return 0.0
            return downstream_seconds(report.audio_seconds / made_chars * chapter_chars)

        pace = progress.engine_seconds / made_chars if made_chars else 0.0
        log_help(
            book_name,
            help_book(folders, shared, cache, settings, book_name=book_name, downstream=downstream, pace=pace),
        )
    return {"part": number, "parts": count, "start": start, "end": end, "synthesised": report.synthesized}
