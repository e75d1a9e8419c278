"""Speed bar: the whole pipeline (extraction -> tagged m4b) against the raw engine on the same text and cores.

    .venv/bin/python tests/bench/bench_pipeline.py [--book PATH] [--cores N] [--keep-chapters 7,9,10]

1. Runs the full workflow in a fresh working directory with an empty sentence cache and times it.
2. Takes the exact utterances the pipeline spoke (speech/NNN.txt) and times the bare Piper engine on
   them: N worker processes (one per core), each loading the model once and synthesising whole
   chapters (longest first), writing nothing.
3. Prints both wall times, the ratio, the audio duration and the real-time factors.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _raw_worker(chapters: list[list[str]]) -> tuple[int, float]:
    from snakebook.engines import EngineSettings, make_engine

    engine = make_engine(EngineSettings())
    engine.ensure_loaded(threads=1)
    samples = 0
    for lines in chapters:
        for line in lines:
            samples += len(engine.synthesize(line))
    return samples, engine.sample_rate


def raw_engine_seconds(speech_files: list[Path], cores: int) -> tuple[float, float]:
    chapters = sorted(
        ([ln for ln in f.read_text().splitlines() if ln.strip()] for f in speech_files),
        key=lambda lines: -sum(map(len, lines)),
    )
    shares: list[list[list[str]]] = [[] for _ in range(cores)]
    loads = [0] * cores
    for lines in chapters:  # greedy balance by characters, like a scheduler would
        i = loads.index(min(loads))
        shares[i].append(lines)
        loads[i] += sum(map(len, lines))
    started = time.perf_counter()
    with ProcessPoolExecutor(cores) as pool:
        results = list(pool.map(_raw_worker, shares))
    seconds = time.perf_counter() - started
    audio = sum(samples / rate for samples, rate in results if rate)
    return seconds, audio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--book", default=str(ROOT / "resources" / "epubjs-alice-in-wonderland.epub"))
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--keep-chapters", default="", help="comma-separated 1-based chapters to keep (default: all)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    entry = {"path": args.book, "name": "bench"}

    def snakemake(*extra: str) -> None:
        config = {"books": [entry], "cache_dir": str(work / "cache")}
        subprocess.run(
            [
                str(Path(sys.executable).parent / "snakemake"),
                "-s",
                str(ROOT / "Snakefile"),
                "--directory",
                str(work),
                "--cores",
                str(args.cores),
                "--quiet",
                "all",
                *extra,
                "--config",
                *[f"{k}={json.dumps(v)}" for k, v in config.items()],
            ],
            check=True,
            cwd=work,
        )

    if args.keep_chapters:  # learn the chapter count, then start again from nothing
        keep = {int(x) for x in args.keep_chapters.split(",")}
        snakemake("--until", "extract_book")
        count = len(json.loads((work / "results" / "bench" / "book.json").read_text())["chapters"])
        entry["drop_chapters"] = [i for i in range(1, count + 1) if i not in keep]
        subprocess.run(["rm", "-rf", str(work / "results"), str(work / ".snakemake")], check=True)

    started = time.perf_counter()
    snakemake()
    pipeline = time.perf_counter() - started
    out = work / "results" / "bench"
    speech = sorted((out / "speech").glob("*.txt"))
    chars = sum(len(ln) for f in speech for ln in f.read_text().splitlines())

    raw, raw_audio = raw_engine_seconds(speech, args.cores)
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(out / "bench.m4b")],
        capture_output=True,
        text=True,
        check=True,
    )
    duration = float(probe.stdout.strip())
    print(f"book: {Path(args.book).name}  chapters: {len(speech)}  characters spoken: {chars}  cores: {args.cores}")
    print(f"audio (m4b): {duration:.1f} s   speech without pauses (raw engine): {raw_audio:.1f} s")
    print(
        f"pipeline, extraction -> tagged m4b: {pipeline:.1f} s  (RTF {pipeline / duration:.3f}, {chars / pipeline:.0f} chars/s)"
    )
    print(f"raw engine on the same text:       {raw:.1f} s  (RTF {raw / duration:.3f}, {chars / raw:.0f} chars/s)")
    print(f"pipeline / raw engine: {pipeline / raw:.3f}  (overhead {100 * (pipeline / raw - 1):+.1f} %)")
    print(f"working directory: {work}")


if __name__ == "__main__":
    main()
