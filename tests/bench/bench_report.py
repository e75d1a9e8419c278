"""What the report costs the listener: the sample book's 3 chapters, built with ``--cores 2``, before and after.

    .venv/bin/python tests/bench/bench_report.py [--before REV|FOLDER] [--keep] [--json PATH]

Each side is a workflow tree: this one, and with ``--before`` a git revision of this repository (``git archive``
into the scratch folder) or a folder holding another checkout. Both sides run in this one invocation, one after
the other, with their own package first on the module path, and are reported side by side:

1. pipeline: the book from an empty sentence cache; wall time, when the m4b was written, how long the run went
   on after it (run end minus the m4b's time), when the book's report page was written relative to the m4b, and
   the synthesis CPU-seconds (the jobs' ``benchmark:`` files);
2. report_book job: a forced rerun of the book's report job (``-R report_book``) minus a no-op run, as Snakemake
   runs it (job start-up included);
3. report work: the report's code in a fresh Python per job on the same built book (the new side's): CPU-seconds
   (ffmpeg included) and wall of the old book job, and of the new chapter jobs and book job; and the report's
   CPU as a share of the synthesis CPU.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_all import write_results  # the same directory: the script's own folder is on the module path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
SAMPLE = ROOT / "resources" / "epubjs-alice-in-wonderland.epub"
BOOK = "sample3"
ENTRY = {"path": str(SAMPLE), "name": BOOK, "drop_chapters": [1, 2, 3, 4, 5, 6, 8]}
ROWS: list[tuple[str, str, str, str]] = []


def row(section: str, measure: str, value, note: str = "") -> None:
    text = f"{value:.2f}" if isinstance(value, float) else str(value)
    ROWS.append((section, measure, text, note))
    print(f"{section:10} {measure:60} {text:>10}  {note}", flush=True)


def side_tree(spec: str, scratch: Path) -> Path:
    """A workflow tree: a folder as it is, or a git revision of this repository archived into ``scratch``."""
    if Path(spec).is_dir():
        return Path(spec).resolve()
    tree = scratch / f"tree-{spec.replace('/', '_')}"
    tree.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", spec], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


def environment(tree: Path) -> dict:
    return dict(
        os.environ,
        PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        PYTHONPATH=str(tree / "scripts"),  # the side's own snakebook package before the installed one
    )


def timed(command: list[str], env: dict, cwd: Path | None = None) -> tuple[float, float]:
    """Run ``command``; (wall seconds, CPU-seconds of it and every process it waited for)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise RuntimeError(f"{command[:4]} failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def snakemake(tree: Path, workdir: Path, *args: str) -> tuple[float, float]:
    config = {"books": [ENTRY], "cache_dir": str(workdir / "cache")}
    command = [str(VENV_BIN / "snakemake"), "-s", str(tree / "Snakefile"), "--directory", str(workdir)]
    command += ["--cores", "2", *args, "--config"] + [f"{k}={json.dumps(v)}" for k, v in config.items()]
    return timed(command, environment(tree), cwd=workdir)


def synthesis_cpu(workdir: Path) -> float:
    total = 0.0
    for path in (workdir / "results" / BOOK / "benchmarks" / "synthesize").glob("*.tsv"):
        with open(path, newline="") as handle:
            total += sum(float(r.get("cpu_time") or 0) for r in csv.DictReader(handle, delimiter="\t"))
    return total


def bench_pipeline(name: str, tree: Path, scratch: Path) -> dict:
    workdir = scratch / f"pipeline-{name}"
    workdir.mkdir()
    started = time.time()
    wall, _ = snakemake(tree, workdir)
    ended = time.time()
    out = workdir / "results" / BOOK
    m4b = (out / f"{BOOK}.m4b").stat().st_mtime
    page = (out / "report" / "book.html").stat().st_mtime
    noop, _ = snakemake(tree, workdir)
    forced, _ = snakemake(tree, workdir, "-R", "report_book")
    result = {
        "side": name,
        "tree": str(tree),
        "wall_s": wall,
        "m4b_at_s": m4b - started,
        "after_m4b_s": ended - m4b,
        "book_page_after_m4b_s": page - m4b,
        "synthesis_cpu_s": synthesis_cpu(workdir),
        "noop_s": noop,
        "report_book_job_s": forced - noop,
        "workdir": str(workdir),
    }
    row("pipeline", f"{name}: whole run, --cores 2", wall, "3 chapters, empty cache")
    row("pipeline", f"{name}: m4b written (s from the start)", result["m4b_at_s"], "what the listener waits for")
    row(
        "pipeline",
        f"{name}: run goes on after the m4b is written (s)",
        result["after_m4b_s"],
        "incl. end-of-run summary",
    )
    row("pipeline", f"{name}: book page written after the m4b (s)", result["book_page_after_m4b_s"], "< 0: before it")
    row("pipeline", f"{name}: synthesis CPU-s", result["synthesis_cpu_s"], "benchmark files")
    row("job", f"{name}: report_book job as Snakemake runs it (s)", result["report_book_job_s"], "forced rerun - no-op")
    return result


def python_job(tree: Path, code: str) -> tuple[float, float]:
    return timed([sys.executable, "-c", code], environment(tree))


def bench_work(sides: dict[str, Path], built: Path, scratch: Path) -> dict:
    """The report's code on one built book, a fresh Python per job (Snakemake's script wrapper not included)."""
    results = built / "results"
    chapters = [r["id"] for r in json.loads((results / BOOK / "book.json").read_text())["chapters"]]
    figures: dict[str, dict] = {}
    for name, tree in sides.items():
        out = scratch / f"work-{name}"
        has_chapter_jobs = (tree / "scripts" / "report_chapter.py").exists()
        chapter_cpu = chapter_wall = 0.0
        if has_chapter_jobs:
            for chapter in chapters:
                wall, cpu = python_job(
                    tree,
                    "from snakebook.report import write_chapter_report as w; "
                    f"w({BOOK!r}, {str(results)!r}, {chapter!r}, {str(out / 'chapters' / (chapter + '.html'))!r})",
                )
                chapter_cpu, chapter_wall = chapter_cpu + cpu, chapter_wall + wall
            code = f"from snakebook.report import write_book_report as w; w({BOOK!r}, {str(results)!r}, {str(out)!r})"
        else:  # the book job made every chapter page itself
            code = (
                "from snakebook.report import write_book_report as w; "
                f"w({BOOK!r}, {str(results)!r}, {str(out)!r}, chapters_dir={str(out / 'chapters')!r})"
            )
        book_wall, book_cpu = python_job(tree, code)
        size = max(p.stat().st_size for p in (out / "chapters").glob("*.html"))
        figures[name] = {
            "chapter_jobs_cpu_s": chapter_cpu,
            "chapter_jobs_wall_s": chapter_wall,
            "book_job_cpu_s": book_cpu,
            "book_job_wall_s": book_wall,
            "largest_chapter_page_bytes": size,
        }
        if has_chapter_jobs:
            row("work", f"{name}: chapter jobs, CPU-s (all {len(chapters)})", chapter_cpu, f"{chapter_wall:.2f} s wall")
        row("work", f"{name}: book job, CPU-s", book_cpu, f"{book_wall:.2f} s wall")
        row("work", f"{name}: largest chapter page, kB", size / 1000, "Chromium: 2 MB as a data: URL")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="the other side: a git revision of this repository, or a folder")
    parser.add_argument("--after", default=str(ROOT), help="this side (default: this tree)")
    parser.add_argument("--json", default=str(ROOT / "results" / "bench" / "report.json"))
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="snakebook-bench-report-"))
    report: dict = {
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count()},
        "load_1min": os.getloadavg()[0],
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }
    try:
        sides = {"after": side_tree(args.after, scratch)}
        if args.before:
            sides = {"before": side_tree(args.before, scratch), **sides}
        report["pipeline"] = [bench_pipeline(name, tree, scratch) for name, tree in sides.items()]
        after = report["pipeline"][-1]
        report["work"] = bench_work(sides, Path(after["workdir"]), scratch)
        synthesis = after["synthesis_cpu_s"]
        for name, work in report["work"].items():
            total = work["chapter_jobs_cpu_s"] + work["book_job_cpu_s"]
            row("share", f"{name}: book job CPU / synthesis CPU (%)", 100 * work["book_job_cpu_s"] / synthesis)
            row("share", f"{name}: all report jobs' CPU / synthesis CPU (%)", 100 * total / synthesis)
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    heading = f"\n{report['machine']}, load {report['load_1min']:.2f} at start, {report['date']} (JSON: {args.json})"
    write_results(report, ROWS, args.json, heading)


if __name__ == "__main__":
    main()
