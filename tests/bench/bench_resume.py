"""Resume and incremental re-synthesis on a real multi-chapter book: what a rerun costs.

    .venv/bin/python tests/bench/bench_resume.py [--book PATH] [--cores N] [--drop 1,2] [--workdir DIR]

Steps, each a real Snakemake run in one fresh working directory with its own empty cache:

1. full run: extraction -> every sentence synthesised -> m4b;
2. no-op rerun: nothing to do;
3. one-sentence edit: one sentence of one chapter changed in the EPUB (``--edit OLD=>NEW``) -> rerun;
4. resume after kill: two chapters are forgotten (their audio and cache entries removed), a run is
   started and SIGKILLed (the whole Snakemake process group) once half of their sentences are back
   in the cache; the rerun that completes the book is timed.

For each step it prints the wall time and how many sentences were synthesised / taken from the
cache (from the synthesis logs), and at the end the cache size (``cache_admin stats``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
LOG_LINE = re.compile(r"(\d+) utterances \((\d+) synthesised, (\d+) from cache\)")
DEFAULT_BOOK = ROOT / "resources" / "epubjs-alice-in-wonderland.epub"
DEFAULT_EDIT = "Alice was beginning to get very tired=>Alice was beginning to get rather tired"


def command(workdir: Path, config: dict, cores: int) -> list[str]:
    return [
        str(VENV_BIN / "snakemake"),
        "-s",
        str(ROOT / "Snakefile"),
        "--directory",
        str(workdir),
        "--cores",
        str(cores),
        "--config",
    ] + [f"{k}={json.dumps(v)}" for k, v in config.items()]


def environment() -> dict:
    return dict(os.environ, PATH=f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}")


def clear_logs(workdir: Path) -> None:
    for logs in workdir.glob("results/*/logs/synthesize"):
        shutil.rmtree(logs)


def timed_run(workdir: Path, config: dict, cores: int) -> float:
    clear_logs(workdir)
    started = time.perf_counter()
    result = subprocess.run(
        command(workdir, config, cores), cwd=workdir, env=environment(), capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"snakemake failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return seconds


def counts(workdir: Path) -> tuple[int, int, int]:
    """(synthesis jobs, sentences synthesised, sentences from cache) of the last run."""
    jobs = made = cached = 0
    for log in workdir.glob("results/*/logs/synthesize/*.log"):
        match = LOG_LINE.search(log.read_text(encoding="utf-8"))
        if match:
            jobs, made, cached = jobs + 1, made + int(match[2]), cached + int(match[3])
    return jobs, made, cached


def edit_epub(source: Path, target: Path, old: str, new: str) -> str:
    """Copy ``source`` to ``target`` with ``old`` replaced by ``new`` in the one document holding it."""
    hits = []
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.endswith((".xhtml", ".html", ".htm")) and old.encode() in data:
                hits.append(item.filename)
                data = data.replace(old.encode(), new.encode(), 1)
            compress = zipfile.ZIP_STORED if item.filename == "mimetype" else zipfile.ZIP_DEFLATED
            zout.writestr(item, data, compress_type=compress)
    if len(hits) != 1:
        sys.exit(f"the edit text must occur in exactly one document of the book; found it in {hits or 'none'}")
    return hits[0]


def report(label: str, seconds: float, workdir: Path) -> None:
    jobs, made, cached = counts(workdir)
    print(
        f"{label:<28} {seconds:8.1f} s   synthesis jobs {jobs:3d}, sentences synthesised {made:5d}, "
        f"from cache {cached:5d}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--book", type=Path, default=DEFAULT_BOOK, help="an EPUB (default: the Alice sample)")
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--drop", default="", help="chapters to leave out, e.g. 1,2,3 (a shorter benchmark)")
    parser.add_argument("--edit", default=DEFAULT_EDIT, help="OLD=>NEW: the one-sentence edit")
    parser.add_argument("--workdir", type=Path, default=None, help="keep everything here (default: a temp dir)")
    args = parser.parse_args()
    old, new = args.edit.split("=>", 1)

    base = args.workdir or Path(tempfile.mkdtemp(prefix="bench-resume-"))
    base.mkdir(parents=True, exist_ok=True)
    workdir, cache_dir = base / "work", base / "cache"
    workdir.mkdir(exist_ok=True)
    book_path = base / f"book{args.book.suffix}"
    shutil.copy(args.book, book_path)
    entry = {"path": str(book_path), "name": "bench"}
    if args.drop:
        entry["drop_chapters"] = [int(x) for x in args.drop.split(",")]
    config = {"books": [entry], "cache_dir": str(cache_dir)}
    out = workdir / "results" / "bench"
    print(f"book {args.book.name}, {args.cores} cores, work in {base}", flush=True)

    full = timed_run(workdir, config, args.cores)
    info = json.loads((out / "book.json").read_text())
    chars = sum(c["chars"] for c in info["chapters"])
    print(f"{len(info['chapters'])} chapters, {chars} characters", flush=True)
    report("full run", full, workdir)
    report("no-op rerun", timed_run(workdir, config, args.cores), workdir)

    edited = book_path.with_name("edited" + book_path.suffix)
    where = edit_epub(args.book, edited, old, new)
    os.replace(edited, book_path)
    print(f"edit in {where}: {old!r} -> {new!r}", flush=True)
    report("one-sentence-edit rerun", timed_run(workdir, config, args.cores), workdir)

    # Forget two chapters (the two longest), then kill a run halfway through making them again.
    from snakebook.cache import AudioCache

    cache = AudioCache(cache_dir)
    longest = sorted(info["chapters"], key=lambda c: -c["chars"])[:2]
    forgotten: list[str] = []
    for chapter in longest:
        (out / "audio" / f"{chapter['id']}.wav").unlink()
        (out / "encoded" / f"{chapter['id']}.m4a").unlink(missing_ok=True)
        forgotten += json.loads((out / "speech" / f"{chapter['id']}.keys.json").read_text())["keys"]
    forgotten = list(dict.fromkeys(forgotten))
    for key in forgotten:
        cache.path(key).unlink(missing_ok=True)
    clear_logs(workdir)
    started = time.perf_counter()
    process = subprocess.Popen(
        command(workdir, config, args.cores),
        cwd=workdir,
        env=environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    while sum(cache.has(key) for key in forgotten) < len(forgotten) // 2:
        if process.poll() is not None:
            sys.exit("the run finished before it could be killed")
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    done = sum(cache.has(key) for key in forgotten)
    print(
        f"killed after {time.perf_counter() - started:.1f} s with {done} of {len(forgotten)} sentences of "
        f"chapters {', '.join(c['id'] for c in longest)} made again",
        flush=True,
    )
    # Snakemake was killed too, so its lock is stale: `--unlock` (what a user does after a crash) first.
    unlock = time.perf_counter()
    subprocess.run(
        command(workdir, config, args.cores) + ["--unlock"],
        cwd=workdir,
        env=environment(),
        capture_output=True,
        check=True,
    )
    unlock = time.perf_counter() - unlock
    resume = timed_run(workdir, config, args.cores)
    report("resume-after-kill rerun", resume, workdir)
    print(f"  (plus {unlock:.1f} s for `snakemake --unlock` of the killed run's stale lock)", flush=True)

    stats = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakebook.cache_admin",
            "stats",
            "--cache",
            str(cache_dir),
            "--results",
            str(workdir / "results"),
        ],
        env=environment(),
        capture_output=True,
        text=True,
    )
    print(stats.stdout.rstrip() or stats.stderr.rstrip())
    if not args.workdir:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
