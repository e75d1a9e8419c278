"""Synthesis below the chapter (snakebook.parts): a long chapter as several jobs over sentence ranges.

The end-to-end test builds a one-chapter book split into three parts on 2 cores, then the same book
unsplit in a fresh working directory over the same sentence cache: the chapter WAV must be the same
bytes (so the same sample count), what was spoken and the cache keys the same, the m4b's chapter
markers the same; a deleted chapter WAV comes back identical; a finished book reruns nothing.
"""

from __future__ import annotations

import json
import wave
from pathlib import Path

import pytest
from helpers import BOOK_SENTENCES, ffprobe, job_counts, snakemake

from snakebook.parts import parse_part, part_count, part_names, part_ranges, utterance_weight

# ---------------------------------------------------------------- unit: the split itself


def test_part_count_depends_on_length_only():
    assert part_count(5_000, 20_000) == 1
    assert part_count(29_000, 20_000) == 1  # 1.45 rounds down: a part never gets much shorter than part_chars/1.5
    assert part_count(31_000, 20_000) == 2
    assert part_count(100_000, 20_000) == 5
    assert part_count(100_000, 0) == 1  # 0 turns splitting off
    assert part_names(5_000, 20_000) == []
    assert part_names(41_000, 20_000) == ["1of2", "2of2"]


def test_parse_part_rejects_nonsense():
    assert parse_part("2of3") == (2, 3)
    for bad in ("0of3", "4of3", "2-3", "of3", ""):
        with pytest.raises(ValueError):
            parse_part(bad)


@pytest.mark.parametrize("parts", [1, 2, 3, 5, 8])
def test_part_ranges_cover_every_utterance_once_and_balance(parts):
    weights = [utterance_weight("x" * n) for n in [12, 80, 140, 33, 200, 7, 95, 60, 150, 44, 120, 18] * 5]
    ranges = part_ranges(weights, parts)
    assert len(ranges) == parts
    assert ranges[0][0] == 0 and ranges[-1][1] == len(weights)
    for (_, end), (start, _) in zip(ranges, ranges[1:], strict=False):
        assert end == start  # contiguous: concatenating the parts in order is the chapter
    sums = [sum(weights[a:b]) for a, b in ranges]
    assert max(sums) - min(sums) <= 2 * max(weights)  # balanced up to one utterance either side
    assert part_ranges(weights, parts) == ranges  # every job computes the same ranges


def test_part_ranges_with_more_parts_than_utterances_leave_empty_parts():
    ranges = part_ranges([100, 100], 4)
    assert [b - a for a, b in ranges] == [0, 1, 0, 1] or sum(b - a for a, b in ranges) == 2
    assert ranges[0][0] == 0 and ranges[-1][1] == 2


# ---------------------------------------------------------------- end to end: real Snakemake, real Piper

SENTENCES = BOOK_SENTENCES  # (tests/helpers.py)


def write_long_chapter_book(path: Path) -> Path:
    paragraphs = [" ".join(SENTENCES[(i + j) % len(SENTENCES)] for j in range(3)) for i in range(8)]
    path.write_text(
        "The Long Chapter\n\nby Test Author\n\n\n\nCHAPTER I. All in One\n\n" + "\n\n".join(paragraphs) + "\n",
        encoding="utf-8",
    )
    return path


def chapter_facts(workdir: Path, book: str) -> dict:
    results = workdir / "results" / book
    with wave.open(str(results / "audio" / "001.wav"), "rb") as handle:
        frames = handle.getnframes()
    keys = json.loads((results / "speech" / "001.keys.json").read_text())["keys"]
    markers = [(c["start_time"], c["end_time"]) for c in ffprobe(results / f"{book}.m4b")["chapters"]]
    return {
        "wav": (results / "audio" / "001.wav").read_bytes(),
        "frames": frames,
        "keys": keys,
        "speech": (results / "speech" / "001.txt").read_text(),
        "markers": markers,
    }


@pytest.mark.slow
def test_long_chapter_split_in_parts_equals_the_unsplit_chapter(tmp_path):
    book = "long"
    source = write_long_chapter_book(tmp_path / "long.txt")
    cache = tmp_path / "cache"
    split = {
        "books": [{"path": str(source), "name": book}],
        "cache_dir": str(cache),
        "synthesis": {"threads": 1, "mem_mb": 2000, "part_chars": 700},
    }
    whole = {**split, "synthesis": {"threads": 1, "mem_mb": 2000, "part_chars": 0}}

    first = tmp_path / "split"
    first.mkdir()
    snakemake(first, "--cores", "2", config=split)
    chars = json.loads((first / "results" / book / "book.json").read_text())["chapters"][0]["chars"]
    parts = part_count(chars, 700)
    assert parts >= 3, f"the test book's chapter ({chars} characters) should make at least 3 parts"
    logs = first / "results" / book / "logs" / "synthesize"
    assert sorted(p.name for p in logs.glob("*.log")) == sorted(
        [f"001-{name}.log" for name in part_names(chars, 700)] + ["001.log"]
    )
    made = 0
    for name in part_names(chars, 700):
        text = (logs / f"001-{name}.log").read_text()
        assert "part " in text and "made" in text
        made += int(text.split(" made")[0].rsplit(": ", 1)[-1])
    assert made > 0
    assert "0 synthesised" in (logs / "001.log").read_text()  # the chapter job only joins: all cache hits
    assert not list((first / "results" / book / "speech").glob("001-*.keys.json*"))  # part manifests are temp
    split_facts = chapter_facts(first, book)

    second = tmp_path / "whole"
    second.mkdir()
    snakemake(second, "--cores", "2", config=whole)
    whole_facts = chapter_facts(second, book)
    assert split_facts["frames"] == whole_facts["frames"]
    assert split_facts["wav"] == whole_facts["wav"]  # sample-exact, byte for byte
    assert split_facts["speech"] == whole_facts["speech"] and split_facts["keys"] == whole_facts["keys"]
    assert split_facts["markers"] == whole_facts["markers"]

    # Resume: a deleted chapter WAV comes back (its parts rerun from the cache), identical.
    (first / "results" / book / "audio" / "001.wav").unlink()
    run = snakemake(first, "--cores", "2", config=split)
    assert job_counts(run.stdout + run.stderr).get("synthesize_part") == parts  # known before the run: no checkpoint
    assert (first / "results" / book / "audio" / "001.wav").read_bytes() == whole_facts["wav"]
    # A finished book: nothing to do, and other --cores plan the same files (the split ignores cores).
    for cores in ("1", "2"):
        dry = snakemake(first, "--cores", cores, "--dry-run", config=split)
        assert "Nothing to be done" in dry.stdout + dry.stderr
