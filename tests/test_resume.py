"""Resume and incremental re-synthesis, end to end: real Snakemake, real Piper, small TXT books.

Counts come from the synthesis logs ("N utterances (S synthesised, C from cache)"); the logs of a
run are removed before the next so only the jobs of that run are counted. "Identical to a clean
run" is checked against a from-scratch build in a fresh working directory from the same cache
(Piper draws random noise from a per-process stream, so audio made in another order differs; the
cache is what makes a resumed or edited book equal to a clean build).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import psutil
import pytest
from helpers import snakemake, snakemake_command, snakemake_env, start_snakemake

from snakebook.cache import AudioCache

pytestmark = pytest.mark.slow
LOG_LINE = re.compile(r"(\d+) utterances \((\d+) synthesised, (?:(\d+) by other jobs, )?(\d+) from cache\)")

CHAPTERS = {
    "CHAPTER I. The Garden": [
        "The cat sat on the warm mat in the garden and watched the bees go from flower to flower.",
        "It was a bright morning, and the old gardener whistled a tune while he watered the roses.",
        "Nobody in the house was awake yet, so the garden belonged to the cat alone.",
    ],
    "CHAPTER II. The River": [
        "A small boat drifted slowly down the river, carried along by the gentle summer current.",
        "On the bank a dog barked twice at the ducks, then lay down in the shade of a willow.",
        "The ferryman waved to the children who were fishing from the wooden bridge.",
    ],
    "CHAPTER III. The Evening": [
        "When the sun went down the sky turned orange, then purple, and finally a deep blue.",
        "Lamps were lit in every window of the village, one after another, like slow fireflies.",
        "The end of the day came quietly, and everyone went to sleep with the windows open.",
    ],
}

SUBJECTS = [
    "The old miller",
    "A quiet student",
    "The baker's daughter",
    "Our neighbour",
    "The young sailor",
    "A tired doctor",
    "The village priest",
    "My grandmother",
    "The station master",
    "A travelling painter",
]
ACTIONS = [
    "walked to the market",
    "wrote a long letter",
    "repaired the fence",
    "counted the sheep",
    "sang by the window",
    "read the newspaper",
]
PLACES = ["before breakfast", "in the rain", "after the storm", "late in the evening"]


def many_sentences(count: int) -> list[str]:
    return [f"{SUBJECTS[i % 10]} {ACTIONS[i % 6]} {PLACES[i % 4]}, as on day {i + 1}." for i in range(count)]


def write_txt_book(path: Path, chapters: dict[str, list[str]], title: str = "The Resume Test") -> Path:
    parts = [f"{title}\n\nby Test Author\n"]
    for heading, paragraphs in chapters.items():
        parts.append(f"\n\n\n{heading}\n\n" + "\n\n".join(paragraphs) + "\n")
    path.write_text("".join(parts), encoding="utf-8")
    return path


def synthesis_counts(workdir: Path) -> tuple[int, int, int, int]:
    """(jobs, utterances, synthesised, from cache) summed over the synthesis logs present.

    Synthesised in this run: by the chapter's own job, or by another job helping it (snakebook.sharing), which
    the chapter's line counts as "by other jobs" (the helper's own line counts only its chapter).
    """
    jobs = total = made = cached = 0
    for log in sorted(workdir.glob("results/*/logs/synthesize/*.log")):
        match = LOG_LINE.search(log.read_text(encoding="utf-8"))
        assert match, f"no summary line in {log}:\n{log.read_text()}"
        jobs += 1
        total, cached = total + int(match[1]), cached + int(match[4])
        made += int(match[2]) + int(match[3] or 0)
    return jobs, total, made, cached


def run(workdir: Path, config: dict, *args: str, **kwargs) -> subprocess.CompletedProcess:
    for logs in workdir.glob("results/*/logs/synthesize"):
        shutil.rmtree(logs)
    return snakemake(workdir, *args, config=config, **kwargs)


def m4b_facts(path: Path) -> tuple[list[tuple[str, str, str]], str]:
    """Chapter (title, start, end) list and the duration, as ffprobe reports them."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_chapters", "-show_format", str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    info = json.loads(out)
    chapters = [(c["tags"].get("title"), c["start_time"], c["end_time"]) for c in info["chapters"]]
    return chapters, info["format"]["duration"]


def clean_build_facts(tmp_path: Path, name: str, config: dict, book: str, *args: str) -> tuple[list, str]:
    """Build the book from scratch in a fresh working directory (same cache); nothing may be synthesised."""
    workdir = tmp_path / name
    workdir.mkdir()
    run(workdir, config, *args)
    jobs, total, made, cached = synthesis_counts(workdir)
    assert jobs >= 1 and made == 0 and cached == total
    return m4b_facts(workdir / "results" / book / f"{book}.m4b")


def keys_of(workdir: Path, book: str) -> list[str]:
    keys: list[str] = []
    for record in sorted((workdir / "results" / book / "speech").glob("*.keys.json*")):
        keys += json.loads(record.read_text())["keys"]
    return keys


def test_killed_synthesis_job_resumes_from_the_cache(tmp_path):
    """SIGKILL the synthesis job partway through its chapter; the rerun makes only the missing sentences."""
    book = "killed"
    source = write_txt_book(tmp_path / "killed.txt", {"CHAPTER I. The Long Day": many_sentences(22)})
    cache_dir = tmp_path / "cache"  # private: every entry in it was made by this test
    config = {"books": [{"path": str(source), "name": book}], "cache_dir": str(cache_dir)}
    workdir = tmp_path / "work"
    workdir.mkdir()
    process = start_snakemake(workdir, "--cores", "1", config=config)
    cache = AudioCache(cache_dir)
    killed = []
    try:
        deadline = time.time() + 300
        while time.time() < deadline and len(list(cache.entries())) < 5:
            assert process.poll() is None, "snakemake ended before the job could be killed"
            time.sleep(0.02)
        for child in psutil.Process(process.pid).children(recursive=True):
            if any("synthesize_chapter" in part for part in child.cmdline()):
                child.send_signal(signal.SIGKILL)
                killed.append(child.pid)
        assert killed, "no synthesis job found to kill"
        assert process.wait(timeout=120) != 0  # the job failed; snakemake reports it
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    out = workdir / "results" / book
    assert not (out / "audio" / "001.wav").exists() and not (out / f"{book}.m4b").exists()
    planned = json.loads((out / "speech" / "001.keys.json.part").read_text())["keys"]  # written when the job began
    done_before = sum(1 for key in planned if cache.get_pcm(key, 22050) is not None)
    assert 5 <= done_before < len(planned) - 3, (done_before, len(planned))

    run(workdir, config)
    jobs, total, made, cached = synthesis_counts(workdir)
    assert jobs == 1
    assert made == len(planned) - done_before  # exactly the sentences the killed job had not finished
    assert cached == total - made
    assert not (out / "speech" / "001.keys.json.part").exists()
    assert all(AudioCache(cache_dir).verify(key, cache.path(key)) is None for key, _, _ in cache.entries())
    assert m4b_facts(out / f"{book}.m4b") == clean_build_facts(tmp_path, "clean", config, book)


def test_editing_a_book_resynthesises_only_what_changed(tmp_path, shared_cache):
    """Typo fix, renamed chapter, unrelated settings, pauses, then another voice, on a two-chapter book."""
    book = "edited"
    source = write_txt_book(tmp_path / "edited.txt", dict(list(CHAPTERS.items())[:2]))
    entry = {"path": str(source), "name": book}
    config = {"books": [entry], "cache_dir": str(shared_cache)}
    workdir = tmp_path / "work"
    workdir.mkdir()
    run(workdir, config)
    jobs, total, _made, _cached = synthesis_counts(workdir)
    assert jobs == 2 and total == 8  # two chapters: a title and three sentences each
    m4b = workdir / "results" / book / f"{book}.m4b"

    # A typo fixed in the ebook: one sentence changes.
    text = source.read_text(encoding="utf-8")
    source.write_text(text.replace("a dog barked twice", "a dog barked three times"), encoding="utf-8")
    run(workdir, config)
    jobs, total, made, cached = synthesis_counts(workdir)
    assert (jobs, made, cached, total) == (1, 1, 3, 4)  # only the edited chapter reruns

    # A chapter renamed in the config: only its spoken title is new.
    entry["rename_chapters"] = {"2": "The Stream"}
    run(workdir, config)
    jobs, total, made, cached = synthesis_counts(workdir)
    assert (jobs, made, cached) == (1, 1, 3)
    chapters, _duration = m4b_facts(m4b)
    assert [title for title, _, _ in chapters] == ["CHAPTER I. The Garden", "The Stream"]

    # Settings that do not touch synthesis (here the bitrate): no synthesis job would run.
    bitrate = tmp_path / "bitrate.json"
    bitrate.write_text(json.dumps({"output": {"format": "m4b", "bitrate": "48k"}}))
    planned = run(workdir, config, "--configfile", str(bitrate), "--dry-run")
    assert "encode_chapter" in planned.stdout and "synthesize_chapter" not in planned.stdout
    # Another loudness target: each chapter's encode (which measures it) reruns, no synthesis.
    loudness = tmp_path / "loudness.json"
    loudness.write_text(json.dumps({"output": {"loudness": {"target": -16.0}}}))
    planned = run(workdir, config, "--configfile", str(loudness), "--dry-run")
    assert "encode_chapter" in planned.stdout and "synthesize_chapter" not in planned.stdout

    # Settings that change the chapter WAVs but no sentence's sound: every chapter reruns, nothing is synthesised.
    pauses = tmp_path / "pauses.json"
    pauses.write_text(json.dumps({"pauses": {"sentence": 400, "after_title": 900}}))
    run(workdir, config, "--configfile", str(pauses))
    jobs, total, made, cached = synthesis_counts(workdir)
    assert (jobs, made, cached) == (2, 0, 8)
    assert m4b_facts(m4b) == clean_build_facts(tmp_path, "clean", config, book, "--configfile", str(pauses))

    # Another voice (here: slower speech): every sentence of the book is made again.
    before = set(keys_of(workdir, book))
    entry["engine_params"] = {"length_scale": 1.15}
    run(workdir, config, "--configfile", str(pauses))
    jobs, total, made, cached = synthesis_counts(workdir)
    assert (jobs, made, cached) == (2, 8, 0)
    assert not before & set(keys_of(workdir, book))


def test_two_concurrent_runs_sharing_the_cache_stay_consistent(tmp_path):
    """Two workflows speak the same sentences in opposite orders at once into one cache.

    Piper's audio for a sentence depends on what the process spoke before, so both make different
    audio for the same keys; the first complete entry wins, and both books are built from it.
    """
    sentences = many_sentences(10)
    cache_dir = tmp_path / "cache"
    runs = []
    env = snakemake_env()
    for name, order in (("forward", sentences), ("backward", sentences[::-1])):
        source = write_txt_book(tmp_path / f"{name}.txt", {"CHAPTER I. Both Ways": order})
        config = {"books": [{"path": str(source), "name": name}], "cache_dir": str(cache_dir)}
        workdir = tmp_path / name
        workdir.mkdir()
        command = snakemake_command(workdir, "--cores", "1", config=config)
        runs.append(
            (
                name,
                config,
                workdir,
                subprocess.Popen(
                    command, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
                ),
            )
        )
    facts = {}
    for name, _config, workdir, process in runs:
        output, _ = process.communicate(timeout=600)
        assert process.returncode == 0, output[-4000:]
        facts[name] = m4b_facts(workdir / "results" / name / f"{name}.m4b")

    cache = AudioCache(cache_dir)
    entries = {key: path for key, path, _ in cache.entries()}
    assert set(entries) == set(keys_of(tmp_path / "forward", "forward")) | set(
        keys_of(tmp_path / "backward", "backward")
    )
    assert all(cache.verify(key, path) is None for key, path in entries.items())
    assert not list(cache.temp_files())
    # Same sentences, same entries, same title: the same chapter and length either way round ...
    assert facts["forward"] == facts["backward"]
    # ... and what a clean build from the cache makes.
    name, config, _workdir, _process = runs[0]
    assert facts[name] == clean_build_facts(tmp_path, f"clean-{name}", config, name)
