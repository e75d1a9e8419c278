"""End-to-end: real Snakemake, real Piper voice, real ffmpeg, checked with ffprobe and mutagen."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess

import pytest
from helpers import ffprobe, job_counts, m4b_tags, short_book_entry, snakemake, start_snakemake, wait_for

from snakebook.audio.wav import wav_duration
from snakebook.jobserver import benchmark_of, job_usage, read_benchmark

pytestmark = pytest.mark.slow
BOOK = "alice-short"


@pytest.fixture(scope="module")
def finished_book(tmp_path_factory, shared_cache):
    """One complete run of the short book; tests below inspect or perturb copies of it."""
    workdir = tmp_path_factory.mktemp("pipeline")
    config = {"books": [short_book_entry()], "cache_dir": str(shared_cache)}
    result = snakemake(workdir, config=config)
    return workdir, config, result


def test_m4b_has_chapters_tags_cover_and_exact_markers(finished_book):
    workdir, _config, _result = finished_book
    out = workdir / "results" / BOOK
    info = json.loads((out / "book.json").read_text())
    assert [c["title"] for c in info["chapters"]] == ["A Mad Tea-Party", "Who Stole The Tarts?", "Alice's Evidence"]
    m4b = out / f"{BOOK}.m4b"
    probe = ffprobe(m4b)
    assert probe["streams"][0]["codec_name"] == "aac"
    chapters = probe["chapters"]
    assert [c["tags"]["title"] for c in chapters] == [c["title"] for c in info["chapters"]]

    wav_lengths = [wav_duration(out / "audio" / f"{c['id']}.wav") for c in info["chapters"]]
    starts = [float(c["start_time"]) for c in chapters]
    expected = [sum(wav_lengths[:i]) for i in range(len(wav_lengths))]
    for got, want in zip(starts, expected, strict=True):
        assert abs(got - want) < 0.01
    total = float(probe["format"]["duration"])
    assert abs(total - sum(wav_lengths)) < 0.5
    assert sum(wav_lengths) > 300  # ~9,000 characters of speech is several minutes

    tags = m4b_tags(m4b)
    assert tags["title"] == "Alice's Adventures in Wonderland"
    assert tags["album"] == tags["title"]
    assert tags["artist"] == "Lewis Carroll"
    assert tags["genre"] == "Audiobook"
    assert tags["language"] == "en-US"
    assert tags["cover"] and tags["cover"][:3] == b"\xff\xd8\xff"  # the EPUB's JPEG cover
    assert [title for title, _start in tags["chapters"]] == [c["title"] for c in info["chapters"]]


def test_jobs_record_time_and_memory(finished_book):
    """benchmark: files let a user size threads, mem_mb and SLURM resources from a real run."""
    workdir, *_ = finished_book
    benchmarks = workdir / "results" / BOOK / "benchmarks"
    found = {}  # step -> its benchmark files (names follow each rule's wildcards, e.g. encode/001.m4a.tsv)
    for step, pattern in [
        ("extract", "extract_book*.tsv"),
        ("assemble", "assemble_audiobook*.tsv"),
        *[(f"synthesize {n}", f"synthesize/{n}*.tsv") for n in ("001", "002", "003")],
        *[(f"encode {n}", f"encode/{n}*.tsv") for n in ("001", "002", "003")],
    ]:
        found[step] = sorted(benchmarks.glob(pattern))
    assert all(found.values()), {step: paths for step, paths in found.items() if not paths}
    log_of = {benchmark_of(str(log)): log for log in (workdir / "results" / BOOK / "logs").rglob("*.log")}
    synthesis_rss = []
    for step, paths in found.items():
        figures = read_benchmark(paths[0])
        assert figures and float(figures["s"]) > 0 and "max_rss" in figures, (paths[0], figures)
        # A job the job server ran: its client is what Snakemake sampled; the end of the run puts the job's own
        # figures (wait4, also the last line of its log) into the file.
        usage = job_usage(log_of[str(paths[0])])
        if usage:
            assert abs(float(figures["max_rss"]) - usage["rss_mb"]) <= 0.5, (paths[0], figures, usage)  # (log: MB)
            assert abs(float(figures["cpu_time"]) - usage["cpu"]) <= 0.011, (paths[0], figures, usage)
            assert figures["max_vms"] == "NA", figures  # the client's: nothing wait4 measures
        if step.startswith("synthesize"):
            synthesis_rss.append(float(figures["max_rss"]))
    # A job that loaded the voice holds its model; a chapter whose sentences other jobs made
    # (snakebook.sharing) only joins them and may never load it.
    assert max(synthesis_rss) > 50, synthesis_rss


def test_speech_files_hold_what_was_spoken(finished_book):
    workdir, *_ = finished_book
    speech = (workdir / "results" / BOOK / "speech" / "001.txt").read_text().splitlines()
    assert speech[0] == "A Mad Tea-Party"  # the title is spoken first
    assert any("March Hare" in line for line in speech)
    assert all(line.strip() for line in speech)


def test_second_run_does_nothing(finished_book):
    workdir, config, _result = finished_book
    out = workdir / "results" / BOOK
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file() and "logs" not in p.parts}
    result = snakemake(workdir, config=config)
    assert "Nothing to be done" in result.stdout + result.stderr, result.stderr[-3000:]
    assert job_counts(result.stdout + result.stderr) == {}
    after = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file() and "logs" not in p.parts}
    assert after == before  # no output was touched


def test_deleting_one_wav_reruns_only_that_chapter_and_assembly(finished_book):
    workdir, config, _result = finished_book
    out = workdir / "results" / BOOK
    before = {p.name: p.stat().st_mtime_ns for p in (out / "audio").glob("*.wav")}
    (out / "audio" / "002.wav").unlink()
    result = snakemake(workdir, config=config)
    counts = job_counts(result.stdout + result.stderr)
    assert counts.get("synthesize_chapter") == 1
    assert counts.get("encode_chapter") == 1
    assert counts.get("assemble_audiobook") == 1
    after = {p.name: p.stat().st_mtime_ns for p in (out / "audio").glob("*.wav")}
    assert after["001.wav"] == before["001.wav"] and after["003.wav"] == before["003.wav"]
    assert len(ffprobe(out / f"{BOOK}.m4b")["chapters"]) == 3


def test_interrupted_run_finishes_without_redoing_chapters(tmp_path):
    """Ctrl-C (SIGINT to the process group, as a terminal sends it) after the first chapter; the rerun keeps it."""
    config = {"books": [short_book_entry()], "cache_dir": str(tmp_path / "cache")}
    workdir = tmp_path / "work"
    workdir.mkdir()
    process = start_snakemake(workdir, "--cores", "1", config=config)
    audio = workdir / "results" / BOOK / "audio"
    chapter_files = [audio, workdir / "results" / BOOK / "speech"]

    def running(condition):
        assert process.poll() is None, "snakemake ended before it could be interrupted"
        return condition()

    try:
        finished = wait_for(lambda: running(lambda: sorted(audio.glob("[0-9][0-9][0-9].wav"))), 600, "a chapter WAV")
        assert len(finished) == 1, "expected to interrupt after the first chapter"
        # The next chapter's synthesis has started once its job writes any file (a .part) for that chapter.
        done = {wav.stem for wav in finished}

        def next_chapter_started():
            names = [p.name for folder in chapter_files if folder.is_dir() for p in folder.iterdir()]
            chapters = {m.group(1) for m in map(re.compile(r"\.?(\d{3})\.").match, names) if m}
            return chapters - done

        wait_for(lambda: running(next_chapter_started), 600, "the next chapter's synthesis to start")
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    first = finished[0]
    first_mtime = first.stat().st_mtime_ns
    assert not (workdir / "results" / BOOK / f"{BOOK}.m4b").exists()

    result = snakemake(workdir, config=config)
    counts = job_counts(result.stdout + result.stderr)
    assert counts.get("synthesize_chapter") == 2  # only the unfinished chapters
    assert first.stat().st_mtime_ns == first_mtime
    assert len(ffprobe(workdir / "results" / BOOK / f"{BOOK}.m4b")["chapters"]) == 3


def test_invalid_config_value_stops_before_any_work(tmp_path):
    result = snakemake(tmp_path, config={"engine": "festival"}, check=False)
    assert result.returncode != 0
    message = result.stdout + result.stderr
    assert "festival" in message and "piper" in message and "engine" in message
    assert "Traceback" not in message
    assert not (tmp_path / "results").exists()


def test_bad_book_gives_one_paragraph_error_and_no_output(tmp_path):
    bogus = tmp_path / "broken.epub"
    bogus.write_bytes(b"this is not a zip archive at all")
    result = snakemake(tmp_path, config={"books": [str(bogus)], "cache_dir": str(tmp_path / "c")}, check=False)
    assert result.returncode != 0
    message = result.stdout + result.stderr
    assert "broken" in message and "Traceback" not in message
    assert not (tmp_path / "results" / "broken" / "book.json").exists()


def test_library_folder_and_books_list_from_command_line(tmp_path):
    library = tmp_path / "lib"
    library.mkdir()
    shutil.copy(short_book_entry()["path"], library / "Alice.epub")
    (library / "notes.doc.bak").write_text("not a book")
    (library / "Second Book.epub").write_bytes(library.joinpath("Alice.epub").read_bytes())
    result = snakemake(tmp_path, "-n", config={"library": str(library)})
    planned = result.stdout + result.stderr
    assert "results/alice/book.json" in planned and "results/second-book/book.json" in planned
    assert "notes.doc" not in planned and "epubjs-alice" not in planned  # the library replaces the default books

    result = snakemake(tmp_path, "-n", config={"books": [str(library / "Second Book.epub")]})
    planned = result.stdout + result.stderr
    assert "results/second-book/book.json" in planned and "results/alice/" not in planned
