"""Shared fixtures only; helpers (paths, Snakemake runs, ffprobe, tiny books) live in tests/helpers.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from finished_outputs import espeak_book, piper_book  # noqa: F401  (finished books of the output tests)


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory) -> Path:
    """One sentence cache for the whole session: later runs of the same text are cheap."""
    return tmp_path_factory.mktemp("audio-cache")
