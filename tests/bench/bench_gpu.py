"""GPU benchmark: Piper on CUDA and Coqui, N concurrent jobs on N GPUs, in under 5 minutes.

    .venv/bin/python tests/bench/bench_gpu.py [--gpus N] [--coqui-model DIR] [--seconds 60] [--budget 270]
                                              [--engines piper,coqui] [--json PATH] [--cpu-smoke]

For each engine, N worker processes start at once, one per GPU (``CUDA_VISIBLE_DEVICES=i``), like N
synthesis jobs pinned by snakebook.gpu. Each loads its model (timed), then synthesises sentences for
``--seconds`` (timed), and reports the audio it made. Meanwhile ``nvidia-smi`` samples every GPU's
utilisation twice a second. Printed per engine: real-time factor (synthesis seconds per second of
audio; lower is faster), the share of job time spent loading the model, and the mean / peak GPU
utilisation over the synthesis phase.

Coqui uses ``--coqui-model`` (a real model folder, e.g. XTTS-v2) when given, otherwise the tiny
randomly initialised VITS of tests/tiny_models.py (noise, but the real code path and real GPU
kernels). Piper on CUDA needs onnxruntime-gpu; without it the Piper row says so.

The whole plan keeps to ``--budget`` seconds (default 270, under 5 minutes): each engine gets its share,
its jobs stop synthesising before the share ends, and jobs still running at its end (a model load that
hangs, a stuck CUDA initialisation) are ended and reported. Workers are spawned, never forked, so no
CUDA or OpenMP state of this process reaches them. Each job reports where it actually ran (Piper's ONNX
execution provider, Coqui's torch device): a GPU job that fell back to the CPU is reported as failed.

Without a CUDA GPU (no ``nvidia-smi`` or no GPU listed) it prints "skipped: ..." and exits 0 at once.
With a GPU it exits 1 if no engine produced a figure. ``--cpu-smoke`` runs the same workers on the
CPU for a few seconds instead, to check the script itself on a machine without a GPU (the figures then
mean nothing for GPUs).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

SENTENCES = [
    "It was the best of times, it was the worst of times, it was the age of wisdom.",
    "Marley was dead, to begin with; there is no doubt whatever about that.",
    "The fog came pouring in at every chink and keyhole, and was so dense without.",
    "Scrooge never painted out Old Marley's name; there it stood, years afterwards, above the door.",
    "Once upon a time, of all the good days in the year, on Christmas Eve, old Scrooge sat busy.",
    "The door of Scrooge's counting-house was open that he might keep his eye upon his clerk.",
]


def list_gpus() -> list[str]:
    if shutil.which("nvidia-smi") is None:
        return []
    result = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True)
    return [line for line in result.stdout.splitlines() if line.startswith("GPU ")] if result.returncode == 0 else []


class UtilisationSampler:
    """``nvidia-smi`` sampling of every GPU's utilisation (percent) in a background thread."""

    def __init__(self, interval_ms: int = 500):
        self.samples: list[tuple[float, int, int]] = []  # (time, gpu index, percent)
        self._process = None
        self._thread = None
        self.interval_ms = interval_ms

    def start(self) -> None:
        if shutil.which("nvidia-smi") is None:
            return
        self._process = subprocess.Popen(
            [
                "nvidia-smi",
                "--query-gpu=index,utilization.gpu",
                "--format=csv,noheader,nounits",
                f"-lms={self.interval_ms}",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        for line in self._process.stdout:
            try:
                index, percent = (int(v.strip()) for v in line.split(","))
            except ValueError:
                continue
            self.samples.append((time.time(), index, percent))

    def stop(self) -> None:
        if self._process:
            self._process.terminate()
            self._process.wait()

    def summary(self, start: float, end: float) -> dict:
        window = [p for t, _, p in self.samples if start <= t <= end]
        if not window:
            return {"mean_util_pct": None, "peak_util_pct": None, "samples": 0}
        return {"mean_util_pct": sum(window) / len(window), "peak_util_pct": max(window), "samples": len(window)}


def worker(job: dict) -> dict:
    """One synthesis job: load the model on its GPU, synthesise for ``seconds``; times and audio made."""
    if job["gpu"] is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = str(job["gpu"])
    from snakebook.engines import EngineSettings, make_engine

    started = time.time()
    engine = make_engine(EngineSettings(engine=job["engine"], model=job.get("model"), device=job["device"]))
    engine.ensure_loaded(threads=1, device=job["device"])
    loaded = time.time()
    ran_on = where_it_runs(engine)
    samples = count = 0
    while (time.time() - loaded < job["seconds"] and time.time() < job["stop_by"]) or count == 0:
        samples += len(engine.synthesize(SENTENCES[count % len(SENTENCES)]))
        count += 1
    ended = time.time()
    return {
        "gpu": job["gpu"],
        "ran_on": ran_on,
        "load_s": loaded - started,
        "synth_s": ended - loaded,
        "utterances": count,
        "audio_s": samples / engine.sample_rate,
        "synth_start": loaded,
        "synth_end": ended,
    }


def where_it_runs(engine) -> str:
    """The device the loaded model really runs on: Piper's first ONNX provider, Coqui's torch device."""
    voice = getattr(engine, "_voice", None)
    session = getattr(voice, "session", None)
    if session is not None:
        return "cuda" if session.get_providers()[0] == "CUDAExecutionProvider" else "cpu"
    device = getattr(engine, "_device", None)
    return str(device).split(":")[0] if device is not None else "unknown"


def run_engine(name: str, jobs: list[dict], sampler: UtilisationSampler, deadline: float) -> dict:
    """The jobs at once, each in a spawned process; ended at ``deadline`` if they have not finished."""
    started = time.time()
    pool = multiprocessing.get_context("spawn").Pool(len(jobs))
    try:
        results = pool.map_async(worker, jobs).get(timeout=max(1.0, deadline - time.time()))
    except multiprocessing.TimeoutError:
        raise TimeoutError(
            f"its {len(jobs)} job(s) had not finished {deadline - started:.0f} s after they started (model load "
            "or CUDA initialisation hanging?); they were ended"
        ) from None
    finally:
        pool.terminate()
        pool.join()
    wrong = [r for r in results if r["ran_on"] != jobs[0]["device"]]
    if wrong:
        raise RuntimeError(
            f"asked for {jobs[0]['device']}, {len(wrong)} job(s) ran on {wrong[0]['ran_on']} (a silent fallback: "
            "the figures would not be the GPU's)"
        )
    wall = time.time() - started
    synth = sum(r["synth_s"] for r in results)
    audio = sum(r["audio_s"] for r in results)
    load = sum(r["load_s"] for r in results)
    util = sampler.summary(max(r["synth_start"] for r in results), min(r["synth_end"] for r in results))
    return {
        "engine": name,
        "jobs": len(jobs),
        "wall_s": wall,
        "rtf": synth / audio if audio else None,
        "x_realtime_total": audio / wall if wall else None,
        "load_share": load / (load + synth),
        "load_s_mean": load / len(results),
        "audio_s": audio,
        **util,
        "per_job": results,
    }


def piper_cuda_available() -> str | None:
    try:
        import onnxruntime
    except ImportError:
        return "onnxruntime is not installed"
    if "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
        return "onnxruntime has no CUDAExecutionProvider (pip install onnxruntime-gpu)"
    return None


def coqui_model(given: str | None, scratch: Path) -> tuple[str | None, str]:
    if given:
        return given, f"model folder {given}"
    try:
        from tiny_models import make_tiny_vits
    except ImportError as error:
        return None, f"Coqui not installed ({error}; make coqui)"
    return str(make_tiny_vits(scratch / "tiny-vits")), "tiny random VITS (tests/tiny_models.py): real code path, noise"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gpus", type=int, help="concurrent jobs, one per GPU (default: every GPU)")
    parser.add_argument("--coqui-model", help="a Coqui model folder (default: a tiny random VITS)")
    parser.add_argument("--seconds", type=float, default=60.0, help="synthesis time per job and engine")
    parser.add_argument("--budget", type=float, default=270.0, help="wall seconds for the whole plan (all engines)")
    parser.add_argument("--engines", default="piper,coqui")
    parser.add_argument("--json", default=str(ROOT / "results" / "bench" / "gpu.json"))
    parser.add_argument("--cpu-smoke", action="store_true", help="no GPU: run the workers on the CPU briefly")
    args = parser.parse_args()

    gpus = list_gpus()
    if not gpus and not args.cpu_smoke:
        print("skipped: no CUDA GPU here (nvidia-smi missing or lists no GPU); --cpu-smoke checks the script on CPU")
        return
    count = 1 if not gpus else min(args.gpus or len(gpus), len(gpus))
    device = "cuda" if gpus else "cpu"
    seconds = args.seconds if gpus else min(args.seconds, 3.0)
    print(
        f"{len(gpus)} GPU(s): {'; '.join(gpus) or 'none (CPU smoke run)'}; {count} concurrent job(s), "
        f"{seconds:.0f} s of synthesis each per engine",
        flush=True,
    )
    sampler = UtilisationSampler()
    sampler.start()
    results = []
    notes = {}
    scratch = Path(tempfile.mkdtemp(prefix="snakebook-gpu-bench-"))
    engines = args.engines.split(",")
    plan_start = time.time()
    try:
        for index, name in enumerate(engines):
            deadline = plan_start + args.budget * (index + 1) / len(engines)  # this engine's share of the budget
            model = None
            if name == "piper" and device == "cuda":
                problem = piper_cuda_available()
                if problem:
                    notes[name] = f"skipped: {problem}"
                    continue
            if name == "coqui":
                model, notes[name] = coqui_model(args.coqui_model, scratch)
                if model is None:
                    continue
            jobs = [
                {
                    "engine": name,
                    "model": model,
                    "device": device,
                    "gpu": i if gpus else None,
                    "seconds": seconds,
                    "stop_by": deadline - 15,  # room to finish the last utterance and exit
                }
                for i in range(count)
            ]
            try:
                results.append(run_engine(name, jobs, sampler, deadline))
            except Exception as error:  # report and go on with the next engine
                notes[name] = f"failed: {type(error).__name__}: {error}"
    finally:
        sampler.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    report = {"gpus": gpus, "device": device, "jobs": count, "seconds": seconds, "results": results, "notes": notes}
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(report, indent=1) + "\n")
    print(
        "| engine | jobs | RTF (synth s / audio s) | audio x real time, all jobs | model load share | "
        "load s | GPU util mean / peak % |\n|---|---|---|---|---|---|---|"
    )
    for r in results:
        util = "-" if r["mean_util_pct"] is None else f"{r['mean_util_pct']:.0f} / {r['peak_util_pct']}"
        print(
            f"| {r['engine']} | {r['jobs']} | {r['rtf']:.3f} | {r['x_realtime_total']:.1f} | "
            f"{r['load_share']:.0%} | {r['load_s_mean']:.1f} | {util} |"
        )
    for name, note in notes.items():
        print(f"- {name}: {note}")
    print(f"(measured on {device} in {time.time() - plan_start:.0f} s; JSON: {args.json})")
    if not results:
        print("failed: no engine produced a figure (see the notes above)")
        sys.exit(1)


if __name__ == "__main__":
    main()
