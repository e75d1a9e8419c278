"""Shared fixtures: real Snakemake runs in throw-away working directories."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

CORPUS = ROOT.parent / "shared" / "corpus"
DATA = Path(__file__).resolve().parent / "data"
SAMPLE_EPUB = ROOT / "resources" / "epubjs-alice-in-wonderland.epub"
VENV_BIN = Path(sys.executable).parent


def short_book_entry(**overrides) -> dict:
    """The short real book the pipeline tests use: three short chapters of the sample EPUB (~9,000 characters)."""
    entry = {"path": str(SAMPLE_EPUB), "name": "alice-short", "drop_chapters": [1, 2, 3, 4, 5, 6, 8]}
    entry.update(overrides)
    return entry


def snakemake(workdir: Path, *args: str, config: dict | None = None, check: bool = True, env: dict | None = None,
              timeout: int = 1500) -> subprocess.CompletedProcess:
    """Run the real workflow with ``workdir`` as working directory; return the completed process.

    ``config`` values are passed as ``--config key=<json>``.
    """
    command = [str(VENV_BIN / "snakemake"), "-s", str(ROOT / "Snakefile"), "--directory", str(workdir)]
    if not any(a.startswith("--cores") or a.startswith("-c") for a in args):
        command += ["--cores", "2"]
    command += list(args)
    if config:
        command.append("--config")
        command += [f"{key}={json.dumps(value)}" for key, value in config.items()]
    run_env = dict(os.environ)
    run_env["PATH"] = f"{VENV_BIN}{os.pathsep}{run_env.get('PATH', '')}"
    run_env.update(env or {})
    result = subprocess.run(command, cwd=workdir, capture_output=True, text=True, env=run_env, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake failed ({result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-8000:]}")
    return result


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory) -> Path:
    """One sentence cache for the whole session: later runs of the same text are cheap."""
    return tmp_path_factory.mktemp("audio-cache")
