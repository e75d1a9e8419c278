"""Per-engine figures on this machine: model load time, synthesis speed and peak memory.

    .venv/bin/python tests/bench/bench_engines.py [--engines piper,espeak-en,espeak-ru,vits,xtts,xtts-clone]
                                                  [--threads 1] [--sentences 12]

Each engine runs in a fresh process (so that peak memory is its own): load the model once, synthesise the
same English sentences (Russian for espeak-ru), and report
- load: seconds for the first load (imports included: what a synthesis job pays once);
- chars/s: characters synthesised per second of wall time;
- RTF: real-time factor, synthesis seconds per second of audio (below 1 is faster than real time);
- peak MB: the process's peak resident memory (with espeak-ng's own processes, which are separate).

The Coqui rows use tiny randomly initialised models (tests/tiny_models.py) because no real weights
may be downloaded here: they measure the code path, not a real XTTS-v2 or VITS voice. The tiny XTTS
GPT never emits its stop token, so each utterance runs to its token limit (100 tokens, ~5 s of audio).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))  # the test helpers (tests/ is not a package)

from helpers import write_wav  # noqa: E402

ENGLISH = [
    "Alice was beginning to get very tired of sitting by her sister on the bank.",
    "Once or twice she had peeped into the book her sister was reading.",
    "It had no pictures or conversations in it.",
    "And what is the use of a book, thought Alice, without pictures or conversations?",
    "So she was considering in her own mind whether the pleasure of making a daisy-chain would be worth the trouble.",
    "Suddenly a White Rabbit with pink eyes ran close by her.",
    "There was nothing so very remarkable in that.",
    "Nor did Alice think it so very much out of the way to hear the Rabbit say to itself, Oh dear!",
    "When she thought it over afterwards, it occurred to her that she ought to have wondered at this.",
    "But at the time it all seemed quite natural.",
    "The Rabbit actually took a watch out of its waistcoat-pocket, and looked at it, and then hurried on.",
    "Alice started to her feet, for it flashed across her mind that she had never before seen such a thing.",
]
RUSSIAN = [
    "Все счастливые семьи похожи друг на друга, каждая несчастливая семья несчастлива по-своему.",
    "Все смешалось в доме Облонских.",
    "Жена узнала, что муж был в связи с бывшею в их доме француженкою-гувернанткой.",
    "Она объявила мужу, что не может жить с ним в одном доме.",
]

ENGINES = ("piper", "espeak-en", "espeak-ru", "vits", "xtts", "xtts-clone")


def prepare(workdir: Path, names: list[str]) -> None:
    """Build the tiny Coqui models and the Piper reference WAV (in its own process: not measured)."""
    from tiny_models import make_tiny_vits, make_tiny_xtts

    if "vits" in names:
        make_tiny_vits(workdir / "vits")
    if any(name.startswith("xtts") for name in names):
        make_tiny_xtts(workdir / "xtts")
    if "xtts-clone" in names:
        piper_wav(workdir / "ref.wav")


def settings_for(name: str, workdir: Path) -> tuple[dict, str, list[str]]:
    if name == "piper":
        return {"engine": "piper"}, "en", ENGLISH
    if name == "espeak-en":
        return {"engine": "espeak"}, "en", ENGLISH
    if name == "espeak-ru":
        return {"engine": "espeak"}, "ru", RUSSIAN * 3
    if name == "vits":
        return {"engine": "coqui", "model": str(workdir / "vits")}, "en", ENGLISH
    if name == "xtts":
        return {"engine": "coqui", "model": str(workdir / "xtts"), "speaker": "rand"}, "en", ENGLISH
    return {"engine": "coqui", "model": str(workdir / "xtts"), "speaker_wav": [str(workdir / "ref.wav")]}, "en", ENGLISH


def piper_wav(path: Path) -> Path:

    from snakebook.engines import EngineSettings, make_engine

    engine = make_engine(EngineSettings(), "bench")
    engine.ensure_loaded()
    audio = engine.synthesize(" ".join(ENGLISH[:3]))
    return write_wav(path, audio, engine.sample_rate)


def measure(name: str, workdir: Path, threads: int, sentences: int) -> dict:
    """Runs in its own process: load once, synthesise, report."""
    from snakebook.engines import EngineSettings, make_engine

    config, language, texts = settings_for(name, workdir)
    texts = texts[:sentences]
    engine = make_engine(EngineSettings.from_config(config), "bench")
    engine.check(language)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    engine.ensure_loaded(threads=threads)
    load = time.perf_counter() - started
    engine.synthesize(texts[0])  # warm-up (first-call allocations), not counted
    samples = 0
    started = time.perf_counter()
    for text in texts:
        samples += len(engine.synthesize(text))
    synth = time.perf_counter() - started
    audio = samples / engine.sample_rate
    chars = sum(len(t) for t in texts)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "engine": name,
        "load_s": load,
        "utterances": len(texts),
        "chars": chars,
        "synth_s": synth,
        "audio_s": audio,
        "chars_per_s": chars / synth,
        "rtf": synth / audio,
        "peak_mb": own,
        "child_peak_mb": children,
        "rss_before_load_mb": rss_before / 1024,
        "threads": threads,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--sentences", type=int, default=12)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--prepare", help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        prepare(Path(args.dir), args.prepare.split(","))
        return
    if args.one:
        print("RESULT " + json.dumps(measure(args.one, Path(args.dir), args.threads, args.sentences)), flush=True)
        return
    names = args.engines.split(",")
    if any(name.startswith(("vits", "xtts")) for name in names) and importlib.util.find_spec("TTS") is None:
        print("vits/xtts: skipped (need `make coqui`)")
        names = [name for name in names if not name.startswith(("vits", "xtts"))]
    tmp = tempfile.TemporaryDirectory()
    workdir = Path(tmp.name)
    subprocess.run(
        [sys.executable, __file__, "--prepare", ",".join(names), "--dir", str(workdir)], check=True, capture_output=True
    )
    rows = []
    for name in names:
        sentences = args.sentences if not name.startswith("xtts") else min(args.sentences, 4)
        env = {**os.environ, "SNAKEBOOK_GPUS": os.environ.get("SNAKEBOOK_GPUS", "")}
        proc = subprocess.run(
            [
                sys.executable,
                __file__,
                "--one",
                name,
                "--dir",
                str(workdir),
                "--threads",
                str(args.threads),
                "--sentences",
                str(sentences),
            ],
            capture_output=True,
            text=True,
            env=env,
        )
        line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
        if proc.returncode != 0 or line is None:
            print(f"{name}: failed\n{proc.stderr[-3000:]}")
            continue
        rows.append(json.loads(line[len("RESULT ") :]))
        print(f"{name}: done", flush=True)
    print(f"\n{os.cpu_count()} CPUs, {args.threads} thread(s) per engine; load includes imports")
    print(
        f"{'engine':<11} {'load s':>7} {'utts':>5} {'chars':>6} {'synth s':>8} {'audio s':>8} {'chars/s':>8} "
        f"{'RTF':>6} {'peak MB':>8}"
    )
    for r in rows:
        peak = r["peak_mb"] + (r["child_peak_mb"] if r["engine"].startswith("espeak") else 0)
        print(
            f"{r['engine']:<11} {r['load_s']:>7.2f} {r['utterances']:>5} {r['chars']:>6} {r['synth_s']:>8.2f} "
            f"{r['audio_s']:>8.1f} {r['chars_per_s']:>8.0f} {r['rtf']:>6.3f} {peak:>8.0f}"
        )


if __name__ == "__main__":
    main()
