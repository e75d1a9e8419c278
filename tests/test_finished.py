"""Finished books (snakebook.finished): a built, unchanged book is left out of the next run's planning, and
anything that would make Snakemake redo some of its work brings it back. Unit tests of the stamp, and real
Snakemake runs with espeak-ng on small generated books."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from helpers import build_espeak_library, job_counts, snakemake, write_book

from snakebook.finished import STAMP, plan_digest, still_finished, workflow_digest, write_stamp

ESPEAK = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")


# --- the stamp ---------------------------------------------------------------------------------------


def book_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "results" / "b"
    (folder / "audio").mkdir(parents=True)
    (folder / "audio" / "001.wav").write_bytes(b"RIFF....")
    (folder / "b.m4b").write_bytes(b"m4b")
    return folder


def test_a_stamp_holds_while_plan_and_files_stay_the_same(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    book_folder(tmp_path)
    paths = ["results/b/audio/001.wav", "results/b/b.m4b", "results/b/speech/001.keys.json"]  # the last: temp, gone
    assert write_stamp("b", "plan-1", paths)
    stamp = json.loads((tmp_path / "results" / "b" / STAMP).read_text())
    assert sorted(stamp["files"]) == ["results/b/audio/001.wav", "results/b/b.m4b"]
    assert still_finished("b", "plan-1")
    assert not still_finished("b", "plan-2")  # another config, book setting or workflow
    assert not still_finished("c", "plan-1")  # never stamped


def test_a_stamp_breaks_when_a_file_is_rewritten_touched_or_removed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = book_folder(tmp_path)
    write_stamp("b", "p", ["results/b/audio/001.wav", "results/b/b.m4b"])
    wav = folder / "audio" / "001.wav"
    before = wav.stat()
    wav.write_bytes(b"RIFF....longer")
    assert not still_finished("b", "p")
    wav.write_bytes(b"RIFF....")
    os.utime(wav, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))
    assert not still_finished("b", "p")  # same size, newer: Snakemake's mtime trigger
    os.utime(wav, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert still_finished("b", "p")  # exactly as recorded again
    (folder / "b.m4b").unlink()
    assert not still_finished("b", "p")


def test_an_unchanged_stamp_is_not_rewritten(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = book_folder(tmp_path)
    assert write_stamp("b", "p", ["results/b/b.m4b"])
    stamp = folder / STAMP
    os.utime(stamp, ns=(0, 1_000_000_000))
    assert not write_stamp("b", "p", ["results/b/b.m4b"])
    assert stamp.stat().st_mtime_ns == 1_000_000_000  # the summary's fingerprint reads the folder's times
    assert write_stamp("b", "q", ["results/b/b.m4b"])


def test_the_plan_covers_settings_and_workflow_but_not_the_list_of_books(tmp_path):
    config = {"engine": "espeak", "books": ["a.txt"], "library": None}
    settings = {"engine": "espeak", "voice": "en"}
    plan = plan_digest(config, settings, "w1", "9.0")
    assert plan_digest({**config, "books": ["a.txt", "b.txt"], "library": "shelf"}, settings, "w1", "9.0") == plan
    assert plan_digest({**config, "engine_params": {"speed": 1.1}}, settings, "w1", "9.0") != plan
    assert plan_digest(config, {**settings, "voice": "en-us"}, "w1", "9.0") != plan
    assert plan_digest(config, settings, "w2", "9.0") != plan
    assert plan_digest(config, settings, "w1", "9.1") != plan

    base = tmp_path / "workflow"
    (base / "rules").mkdir(parents=True)
    (base / "Snakefile").write_text("include: 'rules/a.smk'\n")
    (base / "rules" / "a.smk").write_text("rule a:\n    output: 'x'\n")
    first = workflow_digest(base)
    other = tmp_path / "other"
    shutil.copytree(base, other)
    (other / "rules" / "a.smk").write_text("rule a:\n    output: 'y'\n")
    assert workflow_digest(other) != first


# --- real runs -------------------------------------------------------------------------------------------


def said(result) -> str:
    return result.stdout + result.stderr


def planning_line(output: str) -> str:
    return next((line for line in output.splitlines() if "unchanged since they were finished" in line), "")


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    workdir, config, books, _result = build_espeak_library(tmp_path_factory.mktemp("finished"), chapters=2)
    return workdir, config, books


@ESPEAK
@pytest.mark.slow
def test_a_built_library_is_stamped_and_its_rerun_plans_no_book(library):
    workdir, config, books = library
    for book in ("book-0", "book-1"):
        files = json.loads((workdir / "results" / book / STAMP).read_text())["files"]
        assert str(books / f"{book}.txt") in files  # the book itself (an input of its extraction)
        assert f"results/{book}/{book}.m4b" in files and f"results/{book}/audio/002.wav" in files
        assert f"results/{book}/report/book.html" in files and f"results/{book}/qa.tsv" in files
    for args in ((), ("--dry-run",)):
        output = said(snakemake(workdir, *args, config=config))
        assert "2 of 2 books unchanged" in planning_line(output), output[-3000:]
        assert "Nothing to be done" in output
    # Without the stamps Snakemake's own planning comes to the same answer (the stamps only save its time).
    aside = workdir / "stamps-aside"
    aside.mkdir()
    for book in ("book-0", "book-1"):
        shutil.move(workdir / "results" / book / STAMP, aside / book)
    try:
        output = said(snakemake(workdir, "--dry-run", config=config))
        assert "Nothing to be done" in output and not planning_line(output)
    finally:
        for book in ("book-0", "book-1"):
            shutil.move(aside / book, workdir / "results" / book / STAMP)
    # --forceall plans every book again.
    counts = job_counts(said(snakemake(workdir, "--dry-run", "--forceall", config=config)))
    assert counts.get("extract_book") == 2  # (the chapters are planned once extraction has run)


@ESPEAK
@pytest.mark.slow
def test_what_would_make_snakemake_redo_work_plans_the_book_again(library):
    workdir, config, books = library
    source = books / "book-1.txt"
    before, text = source.stat(), source.read_text(encoding="utf-8")
    source.write_text(text + "\n\n\nCHAPTER 3. An added chapter\n\nIt rained all day.\n", encoding="utf-8")
    output = said(snakemake(workdir, "--dry-run", config=config))
    assert "1 of 2 books unchanged" in planning_line(output)
    assert job_counts(output).get("extract_book") == 1 and "book=book-1" in output and "book=book-0" not in output
    source.write_text(text, encoding="utf-8")
    os.utime(source, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert "2 of 2 books unchanged" in planning_line(said(snakemake(workdir, "--dry-run", config=config)))

    # Touched only: planned again (Snakemake then finds the same contents: nothing to do), and stamped anew.
    os.utime(source, ns=(before.st_atime_ns, before.st_mtime_ns + 5_000_000_000))
    assert "1 of 2 books unchanged" in planning_line(said(snakemake(workdir, config=config)))
    assert "2 of 2 books unchanged" in planning_line(said(snakemake(workdir, "--dry-run", config=config)))

    # A changed setting: every book is planned (and Snakemake finds their params changed).
    changed = {**config, "engine_params": {"speed": 150}}
    output = said(snakemake(workdir, "--dry-run", config=changed))
    assert not planning_line(output) and job_counts(output).get("extract_book") == 2

    # A removed chapter: its book is planned, the chapter made again, and the book stamped anew.
    (workdir / "results" / "book-0" / "audio" / "002.wav").unlink()
    output = said(snakemake(workdir, config=config))
    assert "1 of 2 books unchanged" in planning_line(output)
    assert (workdir / "results" / "book-0" / "audio" / "002.wav").exists()
    assert "2 of 2 books unchanged" in planning_line(said(snakemake(workdir, "--dry-run", config=config)))


@ESPEAK
@pytest.mark.slow
def test_a_failed_book_is_not_stamped_and_the_others_are(tmp_path):
    books = tmp_path / "books"
    books.mkdir()
    write_book(books / "good.txt", chapters=1, seed=3)
    (books / "broken.epub").write_bytes(b"this is not a zip archive at all")
    workdir = tmp_path / "work"
    workdir.mkdir()
    config = {"library": str(books), "engine": "espeak", "cache_dir": str(tmp_path / "cache")}
    result = snakemake(workdir, config=config, check=False)
    assert result.returncode != 0
    assert (workdir / "results" / "good" / STAMP).exists()
    assert not (workdir / "results" / "broken" / STAMP).exists()
    output = said(snakemake(workdir, "--dry-run", config=config, check=False))
    assert "1 of 2 books unchanged" in planning_line(output)
    assert job_counts(output).get("extract_book") == 1  # the broken book is tried again, alone
