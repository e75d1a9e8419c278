"""Finished books every output test reads: one Snakemake run per engine (Piper, espeak-ng) on the short book.

Imported by test_outputs, test_loudness and test_captions (session scope: each book is made once).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import short_book_entry, snakemake

ALL_FORMATS = ["m4b", "mp3", "opus", "flac", "wav"]
PIPER_BOOK = "alice-short"
ESPEAK_BOOK = "alice-espeak"


@pytest.fixture(scope="session")
def piper_book(tmp_path_factory, shared_cache) -> Path:
    """Every format, per-chapter files, both caption kinds and the Audiobookshelf layout, with Piper."""
    workdir = tmp_path_factory.mktemp("outputs-piper")
    config = {
        "books": [
            short_book_entry(series="Wonderland", series_part=1, isbn="978-0-00-000000-2", subtitle="Three Chapters")
        ],
        "cache_dir": str(shared_cache),
        "output": {
            "formats": ALL_FORMATS,
            "per_chapter": True,
            "layout": "audiobookshelf",
            "library": str(workdir / "abs"),
        },
        "captions": ["vtt", "srt"],
    }
    snakemake(workdir, config=config)
    return workdir / "results" / PIPER_BOOK


@pytest.fixture(scope="session")
def espeak_book(tmp_path_factory, shared_cache) -> Path:
    """The same chapters spoken by espeak-ng (several dB quieter than Piper out of the box), as m4b, no cover."""
    if not shutil.which("espeak-ng"):
        pytest.skip("espeak-ng is not installed")
    workdir = tmp_path_factory.mktemp("outputs-espeak")
    config = {
        "books": [short_book_entry(name=ESPEAK_BOOK, engine="espeak", cover="none")],
        "cache_dir": str(shared_cache),
        "output": {"formats": ["m4b"]},
        "captions": ["vtt"],
    }
    snakemake(workdir, config=config)
    return workdir / "results" / ESPEAK_BOOK
