"""Planning a library (rules/common.smk): every chapter is planned once its book is extracted, and the
default target names no chapter files, yet a deleted chapter output still comes back (it is an input of
the book's assembly, QA and report). Real Snakemake runs with espeak-ng on small generated books."""

from __future__ import annotations

import shutil

import pytest
from helpers import build_espeak_library, job_counts, jobs_run, snakemake

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed"),
]


@pytest.fixture(scope="module")
def built_library(tmp_path_factory):
    workdir, config, _books, result = build_espeak_library(tmp_path_factory.mktemp("planning"))
    return workdir, config, result


def test_first_run_plans_every_chapter_of_every_book_after_its_extraction(built_library):
    workdir, _config, result = built_library
    counts = jobs_run(result.stdout + result.stderr)
    assert counts.get("extract_book") == 2
    assert counts.get("synthesize_chapter") == 6
    assert counts.get("assemble_audiobook") == 2
    for book in ("book-0", "book-1"):
        assert sorted(p.name for p in (workdir / "results" / book / "audio").glob("*.wav")) == [
            "001.wav",
            "002.wav",
            "003.wav",
        ]
        assert (workdir / "results" / book / f"{book}.m4b").stat().st_size > 0


def test_rerun_of_the_built_library_plans_nothing(built_library):
    workdir, config, _result = built_library
    result = snakemake(workdir, "--dry-run", config=config)
    assert "Nothing to be done" in result.stdout + result.stderr, (result.stdout + result.stderr)[-3000:]


def test_deleted_chapter_files_come_back_with_their_chapters_alone(built_library):
    workdir, config, _result = built_library
    (workdir / "results" / "book-1" / "speech" / "002.txt").unlink()
    (workdir / "results" / "book-0" / "audio" / "003.wav").unlink()
    result = snakemake(workdir, "--dry-run", config=config)
    output = result.stdout + result.stderr
    counts = job_counts(output)
    assert counts.get("synthesize_chapter") == 2, output[-3000:]
    assert "extract_book" not in counts
    assert "wildcards: book=book-1, chapter=002" in output
    assert "wildcards: book=book-0, chapter=003" in output
