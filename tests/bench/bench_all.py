"""`make bench`: the performance figures of snakebook in one markdown table (stdout) and one JSON file.

    .venv/bin/python tests/bench/bench_all.py [--quick | --full] [--json results/bench/latest.json]
                                              [--only pipeline,encode,edit,library,probe | plan]
                                              [--books sample3,sample,carol] [--cores 2,1] [--no-cli] [--library BxC]
                                              [--only startup --startup-against REV --startup-library BxC]

Every comparison runs its sides in this one invocation, one after the other, and reports ratios, so a
busy machine inflates both sides alike. Sections:

pipeline   the whole workflow (extraction -> m4b, empty cache, ``--cores N``) against bare Piper run the
           best way a user could (N processes, one ONNX thread each, over balanced shares of exactly the
           utterances the pipeline spoke) and against the ``piper`` command line over the same shares.
           Default: the sample book at --cores 2 and 1; --quick: its 3-chapter subset; --full adds the
           Christmas Carol (shared corpus). Per-rule CPU-seconds and peak memory come from the jobs'
           ``benchmark:`` files.
encode     CPU-seconds of encoding per hour of audio: the pipeline's own encode jobs, and each encoder
           option on one chapter WAV (AAC fast/twoloop, Opus, MP3, FLAC).
edit       a 3-chapter book: full build, a one-sentence edit rebuilt, a chapter whose sentences are all
           cached rebuilt (the fixed cost of a job: its benchmark wall time, engine load, synthesis).
library    B books x C short chapters with espeak-ng: full build (overhead per chapter = wall time minus
           engine time / cores, per chapter), no-op rerun, dry run (also with every book planned, its
           finished stamp set aside), and Snakemake's own floor (the same number of trivial jobs).
           Default 20 x 30; --quick 10 x 30; --full 100 x 30 (3,000 chapters).
plan       (only with --only plan) a built library of --library BxC (default 100x30): one book built,
           the others copies of it: no-op rerun and dry run with the finished stamps and without.
startup    (only with --only startup) fixed cost per job and per chapter, this tree against
           --startup-against REV (git archive, its own package via PYTHONPATH) in the same run: each chapter
           job of a 2-chapter Piper book run again alone as Snakemake ran it: spawn to the first utterance
           (empty cache), an all-cached chapter job (wall, CPU), the encode job(s) of a chapter; and an
           espeak-ng library build (--startup-library BxC, default 5x20): overhead per chapter.
probe      a no-op Snakemake start with the SLURM executor plugin installed and a controller that does
           not answer: with the plugin's import-time probe and with snakebook.slurm_probe skipping it.

The machine (CPU model, cores, load) is stated in the table and the JSON.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import wave
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "tests"))  # the test helpers (tests/ is not a package)

from helpers import write_book  # noqa: E402

SAMPLE = ROOT / "resources" / "epubjs-alice-in-wonderland.epub"
CORPUS = ROOT.parent / "shared" / "corpus"
CAROL_ALTERNATIVES = [
    CORPUS / "pg46-christmas-carol-epub2.epub",
    ROOT / "tests" / "data" / "pg46-christmas-carol-epub2.epub",
]
ROWS: list[tuple[str, str, str, str]] = []


def row(section: str, measure: str, value, note: str = "") -> None:
    text = f"{value:.3g}" if isinstance(value, float) else str(value)
    ROWS.append((section, measure, text, note))
    print(f"  {section}: {measure} = {text} {note}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------ machine


def machine() -> dict:
    model = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "load_1min": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


# ------------------------------------------------------------------------------------------ helpers


def snakemake(
    workdir: Path, config: dict, *args: str, env: dict | None = None, snakefile: Path | None = None
) -> tuple[float, subprocess.CompletedProcess]:
    command = [str(VENV_BIN / "snakemake"), "-s", str(snakefile or ROOT / "Snakefile"), "--directory", str(workdir)]
    if not any(a.startswith("--cores") for a in args):
        command += ["--cores", "2"]
    command += list(args)
    if config:
        command += ["--config"] + [f"{k}={json.dumps(v)}" for k, v in config.items()]
    environment = dict(os.environ, PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}", **(env or {}))
    started = time.perf_counter()
    result = subprocess.run(command, cwd=workdir, capture_output=True, text=True, env=environment)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"snakemake failed in {workdir}:\n{result.stderr[-4000:]}")
    return seconds, result


def rule_of(path: Path) -> str:
    """The rule of a benchmark file: results/{book}/benchmarks/{synthesize,encode}/... or .../{rule}[.x].tsv."""
    if path.parent.name == "synthesize":
        return "synthesize_part" if "-" in path.stem else "synthesize_chapter"
    if path.parent.name == "encode":
        return "encode_chapter"
    return path.name.split(".", 1)[0]


def rule_benchmarks(workdir: Path) -> dict:
    """{rule: jobs, wall s, CPU s, peak RSS MB} from the jobs' Snakemake ``benchmark:`` files.

    A job the job server ran has its own CPU and peak RSS there too (``wait4``; snakebook.jobserver mends the
    files at the end of the run).
    """
    rules: dict[str, dict] = {}
    for path in workdir.glob("results/*/benchmarks/**/*.tsv"):
        with open(path, newline="") as handle:
            records = list(csv.DictReader(handle, delimiter="\t"))
        for record in records:
            entry = rules.setdefault(rule_of(path), {"jobs": 0, "wall_s": 0.0, "cpu_s": 0.0, "max_rss_mb": 0.0})
            entry["jobs"] += 1
            entry["wall_s"] += float(record.get("s") or 0)
            cpu = record.get("cpu_time")
            entry["cpu_s"] += float(cpu) if cpu not in (None, "", "-", "NA") else 0.0
            rss = record.get("max_rss")
            if rss not in (None, "", "-", "NA"):
                entry["max_rss_mb"] = max(entry["max_rss_mb"], float(rss))
    return rules


def audio_seconds(workdir: Path) -> float:
    total = 0.0
    for path in workdir.glob("results/*/audio/*.wav"):
        with wave.open(str(path), "rb") as handle:
            total += handle.getnframes() / handle.getframerate()
    return total


def spoken_utterances(workdir: Path) -> list[str]:
    return [
        line
        for path in sorted(workdir.glob("results/*/speech/*.txt"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def balanced_shares(lines: list[str], shares: int) -> list[list[str]]:
    """Greedy longest-first assignment of utterances to ``shares`` workers, balanced by characters."""
    out: list[list[str]] = [[] for _ in range(shares)]
    loads = [0] * shares
    for line in sorted(lines, key=len, reverse=True):
        i = loads.index(min(loads))
        out[i].append(line)
        loads[i] += len(line) + 20
    return out


def _bare_worker(lines: list[str]) -> dict:
    from snakebook.engines import EngineSettings, make_engine

    started = time.perf_counter()
    engine = make_engine(EngineSettings())
    engine.ensure_loaded(threads=1)
    loaded = time.perf_counter()
    samples = sum(len(engine.synthesize(line)) for line in lines)
    return {
        "samples": samples,
        "rate": engine.sample_rate,
        "load_s": loaded - started,
        "synth_s": time.perf_counter() - loaded,
    }


def bare_piper(lines: list[str], cores: int) -> dict:
    shares = balanced_shares(lines, cores)
    started = time.perf_counter()
    with ProcessPoolExecutor(cores) as pool:
        results = list(pool.map(_bare_worker, shares))
    return {
        "wall_s": time.perf_counter() - started,
        "audio_s": sum(r["samples"] / r["rate"] for r in results),
        "synth_cpu_s": sum(r["synth_s"] for r in results),
        "load_s": max(r["load_s"] for r in results),
    }


def piper_cli(lines: list[str], cores: int, scratch: Path) -> dict:
    from snakebook.engines.piper import bundled_voice

    model, config = bundled_voice()
    processes = []
    started = time.perf_counter()
    for i, share in enumerate(balanced_shares(lines, cores)):
        text = scratch / f"cli-share-{i}.txt"
        text.write_text("\n".join(share) + "\n", encoding="utf-8")
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "piper", "-m", str(model), "-c", str(config), "-i", str(text), "--output-raw"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=dict(os.environ, OMP_NUM_THREADS="1"),
            )
        )
    codes = [p.wait() for p in processes]
    return {"wall_s": time.perf_counter() - started, "ok": all(c == 0 for c in codes)}


# ------------------------------------------------------------------------------------------ sections


def bench_pipeline(name: str, entry: dict, cores: int, scratch: Path, with_cli: bool = True) -> dict:
    workdir = scratch / f"pipeline-{entry['name']}-c{cores}"
    workdir.mkdir(parents=True)
    config = {"books": [entry], "cache_dir": str(workdir / "cache")}
    wall, _ = snakemake(workdir, config, "--cores", str(cores))
    lines = spoken_utterances(workdir)
    bare = bare_piper(lines, cores)
    cli = piper_cli(lines, cores, workdir) if with_cli else {"wall_s": float("nan"), "ok": False}
    rules = rule_benchmarks(workdir)
    audio = audio_seconds(workdir)
    result = {
        "book": name,
        "cores": cores,
        "pipeline_s": wall,
        "bare_piper_s": bare["wall_s"],
        "piper_cli_s": cli["wall_s"],
        "piper_cli_ok": cli["ok"],
        "ratio_pipeline_bare": wall / bare["wall_s"],
        "ratio_cli_bare": cli["wall_s"] / bare["wall_s"],
        "utterances": len(lines),
        "characters": sum(map(len, lines)),
        "audio_s": audio,
        "bare_synth_cpu_s": bare["synth_cpu_s"],
        "rules": rules,
    }
    label = f"{name}, --cores {cores}"
    row(
        "pipeline",
        f"{label}: pipeline / bare Piper",
        result["ratio_pipeline_bare"],
        f"{wall:.0f} s vs {bare['wall_s']:.0f} s; {len(lines)} utterances, {audio / 60:.1f} min audio",
    )
    row(
        "pipeline",
        f"{label}: piper CLI / bare Piper",
        result["ratio_cli_bare"],
        f"{cli['wall_s']:.0f} s" + ("" if cli["ok"] else " (CLI failed)" if with_cli else " (not run: --no-cli)"),
    )
    for rule, figures in sorted(rules.items()):
        row(
            "memory",
            f"{label}: {rule} peak RSS MB",
            figures["max_rss_mb"],
            f"{figures['jobs']} jobs, {figures['cpu_s']:.1f} CPU-s, {figures['wall_s']:.1f} s wall",
        )
    encode = rules.get("encode_chapter")
    if encode and audio:
        row(
            "encode",
            f"{label}: encode jobs, CPU-s per hour of audio",
            encode["cpu_s"] / (audio / 3600),
            "incl. job start-up",
        )
    result["workdir"] = str(workdir)
    return result


ENCODERS = {
    "aac fast 64k (pipeline)": ["-c:a", "aac", "-aac_coder", "fast", "-b:a", "64k", "-f", "ipod"],
    "aac twoloop 64k (ffmpeg default)": ["-c:a", "aac", "-b:a", "64k", "-f", "ipod"],
    "opus 32k": ["-c:a", "libopus", "-b:a", "32k", "-f", "ogg"],
    "mp3 64k": ["-c:a", "libmp3lame", "-b:a", "64k", "-f", "mp3"],
    "flac": ["-c:a", "flac", "-f", "flac"],
}


def bench_encoders(wav: Path, scratch: Path) -> dict:
    from snakebook.audio.ffmpeg import ffmpeg_binary

    with wave.open(str(wav), "rb") as handle:
        hours = handle.getnframes() / handle.getframerate() / 3600
    out = {}
    for label, args in ENCODERS.items():
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        result = subprocess.run(
            [ffmpeg_binary(), "-v", "error", "-y", "-i", str(wav), "-vn", *args, str(scratch / "encoded.out")],
            capture_output=True,
        )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if result.returncode != 0:
            row("encode", f"{label}", "n/a", "encoder not in this ffmpeg")
            continue
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        out[label] = {
            "cpu_s_per_audio_hour": cpu / hours,
            "bytes_per_audio_hour": os.path.getsize(scratch / "encoded.out") / hours,
        }
        row(
            "encode",
            f"{label}: CPU-s per hour of audio",
            cpu / hours,
            f"{out[label]['bytes_per_audio_hour'] / 1e6:.0f} MB per hour",
        )
    return out


LOG_LOADED = re.compile(r"loaded \S+ in ([\d.]+) s")
LOG_SYNTH = re.compile(r"synthesis ([\d.]+) s")


def synth_log_figures(workdir: Path) -> dict:
    load = synth = 0.0
    for log in workdir.glob("results/*/logs/synthesize/*.log"):
        text = log.read_text(encoding="utf-8", errors="replace")
        load += sum(float(m) for m in LOG_LOADED.findall(text))
        found = LOG_SYNTH.findall(text)
        synth += float(found[-1]) if found else 0.0
    return {"load_s": load, "synth_s": synth}


def bench_edit(scratch: Path) -> dict:
    workdir = scratch / "edit"
    workdir.mkdir()
    source = write_book(scratch / "edit-book.txt", chapters=3, sentences=24)
    config = {"books": [{"path": str(source), "name": "edit"}], "cache_dir": str(workdir / "cache")}
    full, _ = snakemake(workdir, config)
    text = source.read_text(encoding="utf-8")
    source.write_text(text.replace("on day 104.", "on day one hundred and four, or so they said."), encoding="utf-8")
    shutil.rmtree(workdir / "results" / "edit" / "benchmarks", ignore_errors=True)
    shutil.rmtree(workdir / "results" / "edit" / "logs" / "synthesize", ignore_errors=True)
    edit, _ = snakemake(workdir, config)
    edit_rules = rule_benchmarks(workdir)
    edit_logs = synth_log_figures(workdir)
    # A chapter whose every sentence is cached: delete its WAV, rebuild.
    shutil.rmtree(workdir / "results" / "edit" / "benchmarks", ignore_errors=True)
    (workdir / "results" / "edit" / "audio" / "001.wav").unlink()
    cached, _ = snakemake(workdir, config)
    cached_rules = rule_benchmarks(workdir)
    noop, _ = snakemake(workdir, config)
    synth = edit_rules.get("synthesize_chapter", {})
    result = {
        "full_s": full,
        "edit_s": edit,
        "edit_rules": edit_rules,
        "edit_synth_logs": edit_logs,
        "cached_chapter_s": cached,
        "cached_rules": cached_rules,
        "noop_s": noop,
    }
    row("edit", "3-chapter book: full build s", full)
    row("edit", "one-sentence edit rebuilt s", edit, f"{edit / full:.0%} of the full build")
    if synth:
        row(
            "edit",
            "edited chapter's synthesis job wall s",
            synth["wall_s"],
            f"engine load {edit_logs['load_s']:.2f} s, synthesis {edit_logs['synth_s']:.2f} s, "
            f"rest (start-up, planning, I/O) {synth['wall_s'] - edit_logs['load_s'] - edit_logs['synth_s']:.2f} s",
        )
    cached_synth = cached_rules.get("synthesize_chapter", {})
    if cached_synth:
        row("edit", "all-cached chapter: synthesis job wall s", cached_synth["wall_s"], f"whole rebuild {cached:.1f} s")
    row("edit", "no-op rerun s", noop)
    return result


def main_process_cpu(workdir: Path, config: dict, *args: str) -> tuple[float, float]:
    """Wall seconds of a run and CPU seconds of the Snakemake process itself (not its jobs), sampled with psutil."""
    import psutil

    command = [str(VENV_BIN / "snakemake"), "-s", str(ROOT / "Snakefile"), "--directory", str(workdir), "--cores", "2"]
    command += [*args, "--config"] + [f"{k}={json.dumps(v)}" for k, v in config.items()]
    environment = dict(os.environ, PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    log = workdir / "snakemake-build.log"  # a file, not a pipe: nobody reads a pipe while the run goes
    started = time.perf_counter()
    with open(log, "w") as handle:
        process = subprocess.Popen(command, cwd=workdir, env=environment, stdout=handle, stderr=subprocess.STDOUT)
        watched, cpu = psutil.Process(process.pid), 0.0
        while process.poll() is None:
            try:
                times = watched.cpu_times()
                cpu = times.user + times.system
            except psutil.Error:
                break
            time.sleep(0.2)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"snakemake failed in {workdir}:\n{log.read_text()[-4000:]}")
    return seconds, cpu


def espeak_library(workdir: Path, books: int, chapters: int) -> dict:
    """B generated books x C short chapters in ``workdir/books``; the config that builds them with espeak-ng."""
    library = workdir / "books"
    library.mkdir(parents=True)
    for b in range(books):
        write_book(library / f"book-{b:03d}.txt", chapters=chapters, sentences=2, seed=b)
    return {"library": str(library), "engine": "espeak", "cache_dir": str(workdir / "cache")}


def bench_library(books: int, chapters: int, scratch: Path) -> dict:
    workdir = scratch / f"library-{books}x{chapters}"
    config = espeak_library(workdir, books, chapters)
    build, main_cpu = main_process_cpu(workdir, config)
    engine = synth_log_figures(workdir)
    count = books * chapters
    noop, _ = snakemake(workdir, config)
    dry, _ = snakemake(workdir, config, "--dry-run")
    full_dry = without_stamps(workdir, config, "--dry-run")
    overhead = (build - engine["synth_s"] / 2) / count
    floor = snakemake_floor(count, scratch)
    result = {
        "books": books,
        "chapters": count,
        "build_s": build,
        "main_process_cpu_s": main_cpu,
        "engine_s": engine["synth_s"],
        "overhead_per_chapter_s": overhead,
        "noop_s": noop,
        "dry_run_s": dry,
        "dry_run_full_planning_s": full_dry,
        "snakemake_floor_noop_s": floor,
    }
    label = f"{books} books x {chapters} chapters ({count})"
    row("library", f"{label}: build s (espeak, --cores 2)", build, f"engine {engine['synth_s']:.0f} s")
    row("library", f"{label}: overhead per chapter s", overhead, "(build - engine/2) / chapters; target <= 0.5")
    row(
        "library",
        f"{label}: Snakemake main process CPU during the build",
        f"{main_cpu / build:.0%} of a core",
        f"{main_cpu:.0f} CPU-s over {build:.0f} s",
    )
    row("library", f"{label}: no-op rerun s", noop, "target <= 5 s at 3,000")
    row("library", f"{label}: dry run s", dry, "target <= 10 s at 3,000")
    row("library", f"{label}: dry run, every book planned (no finished stamps) s", full_dry)
    row("library", f"{count} trivial jobs: Snakemake's own no-op floor s", floor)
    result["workdir"] = str(workdir)
    return result


def without_stamps(workdir: Path, config: dict, *args: str) -> float:
    """Wall seconds of a run with every book's finished.json set aside (Snakemake plans every book)."""
    stamps = sorted((workdir / "results").glob("*/finished.json"))
    for stamp in stamps:
        stamp.rename(stamp.with_name("finished.json.aside"))
    try:
        seconds, _ = snakemake(workdir, config, *args)
    finally:
        for stamp in stamps:
            aside = stamp.with_name("finished.json.aside")
            if aside.exists():
                aside.replace(stamp)
    return seconds


def bench_plan(books: int, chapters: int, scratch: Path) -> dict:
    """No-op rerun and dry run of a built library of B x C chapters, with the finished stamps and without.

    One book is built for real with espeak-ng; the others are copies of its results (times kept), so a
    3,000-chapter library is ready in about a minute. A first no-op run (full planning: Snakemake finds
    nothing to do) stamps every book.
    """
    workdir = scratch / f"plan-{books}x{chapters}"
    config = espeak_library(workdir, 1, chapters)
    library = Path(config["library"])
    snakemake(workdir, config)
    first = library / "book-000.txt"
    built = workdir / "results" / "book-000"
    for stamp in ("finished.json", "summary.json"):
        (built / stamp).unlink(missing_ok=True)
    for index in range(1, books):
        name = f"book-{index:03d}"
        shutil.copy2(first, library / f"{name}.txt")
        target = workdir / "results" / name
        shutil.copytree(built, target, copy_function=shutil.copy2)
        for path in sorted(target.rglob("*book-000*"), key=lambda p: -len(p.parts)):
            path.rename(path.with_name(path.name.replace("book-000", name)))
    os.utime(library, None)
    count = books * chapters
    full_dry = without_stamps(workdir, config, "--dry-run")
    full_noop = without_stamps(workdir, config)
    snakemake(workdir, config)  # stamps every book (Snakemake found nothing to do)
    stamped = len(list((workdir / "results").glob("*/finished.json")))
    noop, result = snakemake(workdir, config)
    dry, _ = snakemake(workdir, config, "--dry-run")
    floor = snakemake_floor(count, scratch)
    label = f"{books} books x {chapters} chapters ({count}), built"
    row("plan", f"{label}: no-op rerun s", noop, f"target <= 5 s; {stamped} books stamped finished")
    row("plan", f"{label}: dry run s", dry, "target <= 10 s")
    row("plan", f"{label}: no-op rerun, every book planned (no stamps) s", full_noop)
    row("plan", f"{label}: dry run, every book planned (no stamps) s", full_dry)
    row("plan", f"{count} trivial jobs: Snakemake's own no-op floor s", floor)
    return {
        "books": books,
        "chapters": count,
        "stamped": stamped,
        "noop_s": noop,
        "dry_run_s": dry,
        "noop_full_planning_s": full_noop,
        "dry_run_full_planning_s": full_dry,
        "snakemake_floor_noop_s": floor,
        "nothing_to_be_done": "Nothing to be done" in result.stdout + result.stderr,
    }


# ------------------------------------------------------------------------------------------ startup


def tree_at(revision: str, scratch: Path) -> Path:
    """This repository at ``revision`` (git archive), to compare with the working tree in the same run."""
    folder = scratch / f"tree-{revision[:12]}"
    folder.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def side_env(tree: Path) -> dict:
    """The environment that makes Snakemake and its jobs use ``tree``'s snakebook package (not the installed one)."""
    return {} if tree == ROOT else {"PYTHONPATH": str(tree / "scripts")}


def job_commands(workdir: Path, output: str) -> dict[str, str]:
    """{rule}.{chapter file}: the command Snakemake ran for each chapter job, to run it again alone.

    ``shell:`` jobs: the printed shell command; ``script:`` jobs: ``python`` on the script Snakemake generated
    (kept by --skip-script-cleanup), which loads the pickled job as every such job does.
    """
    found = {}
    for command in re.findall(r"^Shell command: (.*job\.py (\w+) .*)$", output, re.MULTILINE):
        target = re.search(r"--(?:output\.wav|output) (\S+)", command[0])
        if target:
            found[f"{command[1]}.{Path(target.group(1)).name}"] = command[0]
    for script in (workdir / ".snakemake" / "scripts").glob("tmp*.py"):
        rule = script.name.rsplit(".", 2)[-2]
        text = script.read_bytes()
        for target in re.findall(rb"results/[^/]+/(?:audio|encoded|loudness)/(\d+\.\w+)", text):
            if rule in ("synthesize_chapter", "encode_chapter", "measure_loudness"):
                name = target.decode()
                if (rule == "synthesize_chapter") == name.endswith(".wav") or rule == "measure_loudness":
                    found.setdefault(f"{rule}.{name}", f"{sys.executable} {script}")
    return found


FIRST_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) INFO progress .* 1/\d+ sentences", re.MULTILINE)


def run_job(workdir: Path, command: str, env: dict) -> dict:
    """Run one job's command as Snakemake would: wall and CPU seconds (the process tree), from the spawn."""
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    spawned = time.time()
    subprocess.run(
        ["bash", "-c", f"set -euo pipefail; {command}"], cwd=workdir, env=env, check=True, capture_output=True
    )
    wall = time.time() - spawned
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"spawned": spawned, "wall_s": wall, "cpu_s": cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime}


def first_utterance_s(log: Path, spawned: float) -> float:
    """Seconds from the job's spawn to the log line of its first finished utterance (SNAKEBOOK_PROGRESS_SECONDS=0)."""
    stamp = FIRST_LINE.search(log.read_text(encoding="utf-8")).group(1)
    return time.mktime(time.strptime(stamp[:19], "%Y-%m-%d %H:%M:%S")) + int(stamp[20:]) / 1000 - spawned


def startup_side(label: str, tree: Path, scratch: Path, repeats: int) -> dict:
    """One tree: a 2-chapter Piper book built, then its chapter jobs run again alone, ``repeats`` times each."""
    workdir = scratch / f"startup-{label}"
    workdir.mkdir()
    source = write_book(scratch / f"startup-{label}.txt", chapters=2, sentences=6)
    config = {"books": [{"path": str(source), "name": "startup"}], "cache_dir": str(workdir / "cache")}
    env = side_env(tree)
    _, result = snakemake(workdir, config, "--skip-script-cleanup", "-p", env=env, snakefile=tree / "Snakefile")
    commands = job_commands(workdir, result.stdout + result.stderr)
    environment = dict(os.environ, PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}", **env)
    environment["SNAKEBOOK_PROGRESS_SECONDS"] = "0"
    from snakebook.job import JOB_CONFIG_ENV

    environment[JOB_CONFIG_ENV] = json.dumps({"qa": None, "cache_dir": config["cache_dir"], "synthesis": {}})
    result = {"commands": commands, **chapter_jobs(workdir, commands, environment, repeats)}
    server_module = tree / "scripts" / "snakebook" / "jobserver.py"
    if server_module.exists():  # the same jobs as forks of the job server, as a local run starts them
        from snakebook.jobserver import SERVER_ENV

        socket_path = str(workdir / "jobs.socket")
        server = subprocess.Popen(
            [sys.executable, "-m", "snakebook.jobserver", socket_path, str(tree / "scripts"), str(os.getpid())],
            env=environment,
        )
        try:
            deadline = time.monotonic() + 60
            while not os.path.exists(socket_path) and time.monotonic() < deadline:
                time.sleep(0.1)
            warm = chapter_jobs(workdir, commands, {**environment, SERVER_ENV: socket_path}, repeats)
            result.update({f"server_{key}": value for key, value in warm.items()})
        finally:
            server.terminate()
            server.wait(10)
    return result


def chapter_jobs(workdir: Path, commands: dict, environment: dict, repeats: int) -> dict:
    """A chapter's synthesis job (empty cache, then all cached) and encode, each run ``repeats`` times alone.

    CPU: the job's process tree; for a job the job server ran, the job's own figure from its log (its client's
    tree is only the client).
    """
    from snakebook.jobserver import job_usage

    def job_cpu(run: dict, log: Path) -> dict:
        usage = job_usage(log)
        if usage:
            run["cpu_s"] += usage["cpu"]
        return run

    results = workdir / "results" / "startup"
    log = results / "logs" / "synthesize" / "001.log"
    synth = commands["synthesize_chapter.001.wav"]
    first, cold, cached = [], [], []
    for _ in range(repeats):
        shutil.rmtree(workdir / "cache")  # every sentence missing: the job loads the engine and synthesises
        run = job_cpu(run_job(workdir, synth, environment), log)
        cold.append(run)
        first.append(first_utterance_s(log, run["spawned"]))
        loaded = LOG_LOADED.findall(log.read_text(encoding="utf-8"))
        run["load_s"] = float(loaded[-1]) if loaded else 0.0
        cached.append(job_cpu(run_job(workdir, synth, environment), log))  # every sentence cached now
    encode = []
    for _ in range(repeats):
        total = {"wall_s": 0.0, "cpu_s": 0.0, "jobs": 0}
        for rule in ("measure_loudness.001.json", "encode_chapter.001.m4a"):
            if rule in commands:
                name = rule.split(".", 1)[1]
                folder = "encode" if rule.startswith("encode") else "loudness"
                run = job_cpu(run_job(workdir, commands[rule], environment), results / "logs" / folder / f"{name}.log")
                total = {
                    "wall_s": total["wall_s"] + run["wall_s"],
                    "cpu_s": total["cpu_s"] + run["cpu_s"],
                    "jobs": total["jobs"] + 1,
                }
        encode.append(total)

    def best(runs: list, key: str) -> float:
        return min(r[key] for r in runs)

    return {
        "first_utterance_s": min(first),
        "engine_load_s": best(cold, "load_s"),
        "cached_chapter_wall_s": best(cached, "wall_s"),
        "cached_chapter_cpu_s": best(cached, "cpu_s"),
        "encode_jobs_per_chapter": encode[0]["jobs"],
        "encode_wall_s": best(encode, "wall_s"),
        "encode_cpu_s": best(encode, "cpu_s"),
    }


def library_side(label: str, tree: Path, books: int, chapters: int, scratch: Path) -> dict:
    """A library build with espeak-ng: per-chapter overhead = (build - engine seconds / 2 cores) / chapters."""
    workdir = scratch / f"library-{label}-{books}x{chapters}"
    config = espeak_library(workdir, books, chapters)
    build, result = snakemake(workdir, config, env=side_env(tree), snakefile=tree / "Snakefile")
    engine = synth_log_figures(workdir)
    jobs = len(re.findall(r"^Finished jobid: \d+", result.stdout + result.stderr, re.MULTILINE))
    count = books * chapters
    return {
        "build_s": build,
        "engine_s": engine["synth_s"],
        "jobs": jobs,
        "overhead_per_chapter_s": (build - engine["synth_s"] / 2) / count,
    }


def bench_startup(scratch: Path, against: str | None, library: str, repeats: int = 3) -> dict:
    """Fixed cost per job and per chapter, this tree against ``against`` (a git revision), in this one run."""
    sides = {"this tree": ROOT}
    if against:
        sides = {f"before ({against})": tree_at(against, scratch), **sides}
    books, chapters = (int(n) for n in library.lower().split("x"))
    result = {}
    for label, tree in sides.items():
        key = "before" if label.startswith("before") else "after"
        result[key] = startup_side(key, tree, scratch, repeats)
        result[key]["library"] = library_side(key, tree, books, chapters, scratch) if books else {}
        result[key]["label"] = label
    for side in result.values():
        label = side["label"]
        row(
            "startup",
            f"{label}: synthesis job, spawn to first utterance s (Piper)",
            side["first_utterance_s"],
            f"engine load {side['engine_load_s']:.2f} s; best of {repeats}",
        )
        row(
            "startup",
            f"{label}: all-cached chapter job wall / CPU s",
            side["cached_chapter_wall_s"],
            f"CPU {side['cached_chapter_cpu_s']:.2f} s",
        )
        row(
            "startup",
            f"{label}: encode per chapter (m4a) wall / CPU s",
            side["encode_wall_s"],
            f"CPU {side['encode_cpu_s']:.2f} s; {side['encode_jobs_per_chapter']} job(s)",
        )
        if "server_first_utterance_s" in side:
            row(
                "startup",
                f"{label}, job server: spawn to first utterance s (Piper)",
                side["server_first_utterance_s"],
                f"engine load {side['server_engine_load_s']:.2f} s; best of {repeats}",
            )
            row(
                "startup",
                f"{label}, job server: all-cached chapter job wall / CPU s",
                side["server_cached_chapter_wall_s"],
                f"CPU {side['server_cached_chapter_cpu_s']:.2f} s",
            )
            row(
                "startup",
                f"{label}, job server: encode per chapter (m4a) wall / CPU s",
                side["server_encode_wall_s"],
                f"CPU {side['server_encode_cpu_s']:.2f} s",
            )
        if side["library"]:
            lib = side["library"]
            row(
                "startup",
                f"{label}: library {library} espeak-ng build s",
                lib["build_s"],
                f"{lib['jobs']} jobs; engine {lib['engine_s']:.0f} s",
            )
            row(
                "startup",
                f"{label}: library overhead per chapter s",
                lib["overhead_per_chapter_s"],
                "(build - engine/2) / chapters; target <= 0.5",
            )
    if "before" in result:
        before, after = result["before"], result["after"]
        for measure, key in (
            ("first utterance", "first_utterance_s"),
            ("all-cached chapter wall", "cached_chapter_wall_s"),
            ("all-cached chapter CPU", "cached_chapter_cpu_s"),
            ("encode per chapter wall", "encode_wall_s"),
            ("encode per chapter CPU", "encode_cpu_s"),
        ):
            row("startup", f"after / before: {measure}", after[key] / before[key])
            if f"server_{key}" in after:
                row("startup", f"after with the job server / before: {measure}", after[f"server_{key}"] / before[key])
        if before["library"] and after["library"]:
            row(
                "startup",
                "after / before: library overhead per chapter",
                after["library"]["overhead_per_chapter_s"] / before["library"]["overhead_per_chapter_s"],
                f"build {after['library']['build_s'] / before['library']['build_s']:.2f}x",
            )
    return result


def snakemake_floor(jobs: int, scratch: Path) -> float:
    folder = scratch / f"floor-{jobs}"
    folder.mkdir()
    (folder / "Snakefile").write_text(
        f'rule all:\n    input: expand("out/{{i}}.txt", i=range({jobs}))\n\n'
        'rule one:\n    output: "out/{i}.txt"\n    shell: "touch {output}"\n'
    )
    (folder / "out").mkdir()
    for index in range(jobs):  # built already: only the no-op is timed (running 3,000 jobs would take long)
        (folder / "out" / f"{index}.txt").touch()
    seconds, _ = snakemake(folder, {}, "--scheduler", "greedy", snakefile=folder / "Snakefile")
    return seconds


def bench_probe(scratch: Path) -> dict:
    try:
        import snakemake_executor_plugin_slurm  # noqa: F401
    except ImportError:
        row("probe", "SLURM plugin start-up probe", "skipped", "plugin not installed (make slurm)")
        return {}
    if shutil.which("scontrol") is None:
        row("probe", "SLURM plugin start-up probe", "skipped", "no scontrol on the PATH")
        return {}
    dead = scratch / "dead-slurm.conf"
    conf = Path(os.environ.get("SLURM_CONF", "/etc/slurm/slurm.conf"))
    text = conf.read_text() if conf.is_file() else "ClusterName=dead\nSlurmctldHost=localhost\n"
    text = re.sub(r"(?m)^SlurmctldPort=.*$", "", text) + "\nSlurmctldPort=6999\n"  # nothing listens there
    dead.write_text(text)
    folder = scratch / "probe"
    folder.mkdir()
    (folder / "Snakefile").write_text(
        'rule all:\n    input: "a"\n\nrule a:\n    output: "a"\n    shell: "touch {output}"\n'
    )
    snakemake(folder, {}, snakefile=folder / "Snakefile")
    times = {}
    for label, extra in (("probe waits", {"SNAKEBOOK_SLURM_PROBE": "1"}), ("skipped (snakebook)", {})):
        times[label], _ = snakemake(folder, {}, snakefile=folder / "Snakefile", env={"SLURM_CONF": str(dead), **extra})
    row("probe", "no-op start, SLURM controller not answering: probe waits s", times["probe waits"])
    row("probe", "same, probe skipped for local runs s", times["skipped (snakebook)"])
    return times


# ------------------------------------------------------------------------------------------ main


def carol_path() -> Path | None:
    for path in CAROL_ALTERNATIVES:
        if path.is_file():
            return path
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="small configurations only (~10 minutes)")
    size.add_argument("--full", action="store_true", help="adds the Christmas Carol and 3,000 chapters (hours)")
    parser.add_argument("--only", default="pipeline,encode,edit,library,probe")
    parser.add_argument("--json", default=str(ROOT / "results" / "bench" / "latest.json"))
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument("--library", help="books x chapters of the library section, e.g. 100x30")
    parser.add_argument("--books", help="books of the pipeline section: sample3, sample, carol (comma-separated)")
    parser.add_argument("--cores", default="2,1", help="core counts of the pipeline section (default 2,1)")
    parser.add_argument("--no-cli", action="store_true", help="pipeline section: leave out the piper command line")
    parser.add_argument("--startup-against", help="startup section: a git revision to compare this tree with")
    parser.add_argument("--startup-library", default="5x20", help="startup section: library BxC per side (0x0: none)")
    args = parser.parse_args()
    only = set(args.only.split(","))
    info = machine()
    report: dict = {"machine": info, "mode": "quick" if args.quick else "full" if args.full else "default"}
    scratch = Path(tempfile.mkdtemp(prefix="snakebook-bench-"))
    try:
        if "pipeline" in only or "encode" in only:
            known = {
                "sample3": (
                    "sample 3 chapters",
                    {"path": str(SAMPLE), "name": "sample3", "drop_chapters": [1, 2, 3, 4, 5, 6, 8]},
                ),
                "sample": ("sample book", {"path": str(SAMPLE), "name": "sample"}),
            }
            if carol_path():
                known["carol"] = ("Christmas Carol", {"path": str(carol_path()), "name": "carol"})
            chosen = args.books.split(",") if args.books else ["sample3"] if args.quick else ["sample"]
            if args.full and not args.books and "carol" in known:
                chosen.append("carol")
            books = [known[name] for name in chosen if name in known]
            report["pipeline"] = []
            for name, entry in books:
                for cores in (int(n) for n in args.cores.split(",")):
                    report["pipeline"].append(bench_pipeline(name, entry, cores, scratch, with_cli=not args.no_cli))
            if "encode" in only:
                wavs = sorted(
                    Path(report["pipeline"][0]["workdir"]).glob("results/*/audio/*.wav"), key=lambda p: p.stat().st_size
                )
                report["encode"] = bench_encoders(wavs[-1], scratch)
        if "edit" in only:
            report["edit"] = bench_edit(scratch)
        if "library" in only:
            books, chapters = (10, 30) if args.quick else (100, 30) if args.full else (20, 30)
            if args.library:
                books, chapters = (int(n) for n in args.library.lower().split("x"))
            report["library"] = bench_library(books, chapters, scratch)
        if "plan" in only:
            books, chapters = (100, 30) if not args.library else (int(n) for n in args.library.lower().split("x"))
            report["plan"] = bench_plan(books, chapters, scratch)
        if "probe" in only:
            report["probe"] = bench_probe(scratch)
        if "startup" in only:
            report["startup"] = bench_startup(scratch, args.startup_against, args.startup_library)
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    write_results(
        report,
        ROWS,
        args.json,
        f"Machine: {info['cpu']}, {info['cores']} cores, load {info['load_1min']} at start, {info['date']} "
        f"(mode {report['mode']}; JSON: {args.json})",
    )


def write_results(report: dict, rows: list, json_path: str, heading: str) -> None:
    """A benchmark's end: the JSON file (with its rows) and the markdown table on stdout, under ``heading``."""
    report["rows"] = rows
    Path(json_path).parent.mkdir(parents=True, exist_ok=True)
    Path(json_path).write_text(json.dumps(report, indent=1) + "\n")
    print(f"{heading}\n")
    print("| section | measure | value | note |\n|---|---|---|---|")
    for section, measure, value, note in rows:
        print(f"| {section} | {measure} | {value} | {note} |")


if __name__ == "__main__":
    main()
