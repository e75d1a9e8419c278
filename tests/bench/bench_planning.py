"""Planning time of a 100-book library, per engine: how long Snakemake takes to build the job graph.

    .venv/bin/python tests/bench/bench_planning.py [--books 100] [--engines piper,espeak,coqui] [--workdir DIR]

One book is extracted for real; its results folder is copied for the other books (so every book is
"extracted" and planning reads every book.json, as on a rerun of a large library). Then
``snakemake --dry-run`` is timed once per engine. Planning must not load engines: its cost should not
depend on the engine. Coqui is measured with a tiny XTTS model folder when the Coqui install is present.

For comparison it also times the per-book engine check (:func:`snakebook.planning.check_book`: language,
model files, voice) for all books in one process: what planning used to run in an input function before
the check moved into the ``check_book`` job.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
TEXT = "Chapter 1\n\nIt was a bright cold day in April, and the clocks were striking thirteen.\n\n" * 3


def snakemake(workdir: Path, config: dict, *extra: str) -> subprocess.CompletedProcess:
    command = [
        str(VENV_BIN / "snakemake"),
        "-s",
        str(ROOT / "Snakefile"),
        "--directory",
        str(workdir),
        "--cores",
        "1",
        *extra,
        "--config",
    ] + [f"{k}={json.dumps(v)}" for k, v in config.items()]
    env = dict(os.environ, PATH=f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}")
    return subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True)


def make_library(workdir: Path, count: int) -> Path:
    library = workdir / "library"
    library.mkdir(parents=True)
    for index in range(count):
        (library / f"book{index:03d}.txt").write_text(f"Book {index}\n\n" + TEXT, encoding="utf-8")
    # Extract the first book for real, copy its results for the others.
    first = library / "book000.txt"
    result = snakemake(workdir, {"books": [str(first)]}, "--until", "extract_book")
    if result.returncode != 0:
        sys.exit(f"extraction failed:\n{result.stderr[-3000:]}")
    source = workdir / "results" / "book000"
    for index in range(1, count):
        target = workdir / "results" / f"book{index:03d}"
        shutil.copytree(source, target)
        book_json = target / "book.json"
        book_json.write_text(
            book_json.read_text(encoding="utf-8").replace("book000", f"book{index:03d}"), encoding="utf-8"
        )
    return library


def tiny_xtts(workdir: Path) -> Path | None:
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        from tiny_models import make_tiny_xtts

        return make_tiny_xtts(workdir / "xtts")
    except ImportError:
        return None


def time_engine_checks(config: dict, count: int) -> float:
    """Seconds to run the engine check of ``count`` books in one fresh process (imports included)."""
    code = (
        "import sys, time; from snakebook.planning import check_book; settings = dict(eval(sys.argv[1])); "
        "started = time.perf_counter(); "
        "[check_book(settings, {'language': 'en'}, f'book{i}') for i in range(int(sys.argv[2]))]; "
        "print(time.perf_counter() - started)"
    )
    values = {k: v for k, v in config.items() if k != "library"}
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", code, repr(values), str(count)], capture_output=True, text=True)
    if result.returncode != 0:
        return float("nan")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--books", type=int, default=100)
    parser.add_argument("--engines", default="piper,espeak,coqui")
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-planning-"))
    library = make_library(workdir, args.books)
    print(f"{args.books} books in {library} (all extracted)")
    for engine in args.engines.split(","):
        config = {"library": str(library), "engine": engine}
        if engine == "coqui":
            model = tiny_xtts(workdir)
            if model is None:
                print(f"{engine:8s} skipped (the Coqui install is not present: make coqui)")
                continue
            config.update(model=str(model), speaker="rand", language="en")
        started = time.perf_counter()
        result = snakemake(workdir, config, "--dry-run", "--quiet", "rules")
        seconds = time.perf_counter() - started
        status = "ok" if result.returncode == 0 else f"FAILED: {(result.stderr.strip().splitlines() or ['?'])[-1]}"
        print(f"{engine:8s} planning {seconds:6.2f} s  ({seconds / args.books * 1000:5.1f} ms a book)  {status}")
        checks = time_engine_checks(config, args.books)
        print(
            f"{engine:8s} engine checks of {args.books} books (formerly at planning, now check_book jobs): "
            f"{checks:6.2f} s"
        )
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
