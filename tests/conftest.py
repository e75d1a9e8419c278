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


def snakemake_command(workdir: Path, *args: str, config: dict | None = None) -> list[str]:
    """The command line of a real workflow run in ``workdir`` (``config`` values passed as JSON)."""
    command = [str(VENV_BIN / "snakemake"), "-s", str(ROOT / "Snakefile"), "--directory", str(workdir)]
    if not any(a.startswith("--cores") or a.startswith("-c") for a in args):
        command += ["--cores", "2"]
    command += list(args)
    if config:
        command.append("--config")
        command += [f"{key}={json.dumps(value)}" for key, value in config.items()]
    return command


def snakemake_env(extra: dict | None = None) -> dict:
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra or {})
    return env


def start_snakemake(workdir: Path, *args: str, config: dict | None = None) -> subprocess.Popen:
    """Start a run in the background, in its own process group (so a test can interrupt or kill it)."""
    return subprocess.Popen(snakemake_command(workdir, *args, config=config), cwd=workdir, env=snakemake_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def ffprobe(path: Path) -> dict:
    """ffprobe's JSON view of a media file: format, streams, chapters."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_chapters", "-show_format", "-show_streams", str(path)],
        check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out)


def job_counts(output: str) -> dict[str, int]:
    """Parse Snakemake's 'Job stats' table into {rule: count}."""
    counts: dict[str, int] = {}
    lines = output.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("Job stats:"):
            for row in lines[i + 3 :]:
                parts = row.split()
                if len(parts) != 2 or not parts[1].isdigit():
                    break
                counts[parts[0]] = int(parts[1])
            break
    return counts


def snakemake(workdir: Path, *args: str, config: dict | None = None, check: bool = True, env: dict | None = None,
              timeout: int = 1500) -> subprocess.CompletedProcess:
    """Run the real workflow with ``workdir`` as working directory; return the completed process.

    ``config`` values are passed as ``--config key=<json>``.
    """
    command = snakemake_command(workdir, *args, config=config)
    result = subprocess.run(command, cwd=workdir, capture_output=True, text=True, env=snakemake_env(env), timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake failed ({result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-8000:]}")
    return result


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory) -> Path:
    """One sentence cache for the whole session: later runs of the same text are cheap."""
    return tmp_path_factory.mktemp("audio-cache")
