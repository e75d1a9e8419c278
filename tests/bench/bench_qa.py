"""False-positive rate of the audio checks (snakebook.qa) on clean books, and what they catch on damaged audio.

Real engine audio: the first sentences of two clean corpus books (Alice, Sherlock Holmes), spoken by Piper
(bundled voice) and espeak-ng (when installed). Every utterance is measured and flagged against the book's
own median rate, as the pipeline does; the flags on this clean audio are false positives. Then each clean
take is damaged five ways (truncated to 40 %, padded with 3 s of silence inside, repeated, clipped,
replaced by noise) and the share of damaged takes flagged is printed.

    .venv/bin/python tests/bench/bench_qa.py [--sentences 120]
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]

from snakebook import qa  # noqa: E402
from snakebook.engines import EngineSettings, make_engine  # noqa: E402
from snakebook.readers import read_book  # noqa: E402
from snakebook.synth import prepare_text_function  # noqa: E402
from snakebook.text.sentences import split_sentences  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
BOOKS = ["epubjs-alice-in-wonderland.epub", "se-adventures-of-sherlock-holmes.epub"]


def sentences_of(path: Path, count: int) -> list[str]:
    book = read_book(path)
    out: list[str] = []
    for chapter in book.chapters[1:]:
        for paragraph in chapter.text.split("\n\n"):
            if paragraph.startswith("# ") or paragraph.strip() == "* * *":
                continue
            out += [s for s in split_sentences(paragraph.replace("\n", " "), "en") if len(s) > 3]
            if len(out) >= count:
                return out[:count]
    return out


def damage(audio: np.ndarray, rate: int, kind: str, rng: np.random.Generator) -> np.ndarray:
    if kind == "truncated":
        return audio[: int(audio.size * 0.4)]
    if kind == "silence inside":
        middle = audio.size // 2
        return np.concatenate([audio[:middle], np.zeros(3 * rate, np.float32), audio[middle:]])
    if kind == "repeated":
        return np.concatenate([audio, audio, audio])
    if kind == "clipped":
        return np.clip(audio * 8.0, -1.0, 1.0)
    if kind == "noise":
        return (rng.standard_normal(audio.size) * 0.02).astype(np.float32)
    raise ValueError(kind)


DAMAGES = ["truncated", "silence inside", "repeated", "clipped", "noise"]


def run(engine_name: str, count: int, settings: qa.QaSettings) -> None:
    engine = make_engine(EngineSettings(engine=engine_name), "bench")
    engine.check("en")
    engine.ensure_loaded()
    prepare = prepare_text_function("en", {}, phonemes=engine.accepts_phonemes)
    rng = np.random.default_rng(0)
    for name in BOOKS:
        started = time.perf_counter()
        texts = [prepare(s) for s in sentences_of(CORPUS / name, count)]
        takes = [np.asarray(engine.synthesize(t), dtype=np.float32) for t in texts]
        measures = [qa.measure(a, engine.sample_rate, t) for a, t in zip(takes, texts, strict=True)]
        median = qa.median_rate(measures, settings)
        flagged = [(t, f) for t, m in zip(texts, measures, strict=True) if (f := qa.flags(m, settings, median))]
        rates = [m.rate for m in measures if m.letters >= settings.rate_min_letters]
        print(f"\n{engine_name} / {name}: {len(texts)} utterances, {time.perf_counter() - started:.0f} s")
        print(
            f"  rate letters/s: median {median or 0:.1f}, min {min(rates):.1f}, max {max(rates):.1f}; "
            f"longest pause {max(m.pause for m in measures):.2f} s; lead max {max(m.lead for m in measures):.2f} s, "
            f"trail max {max(m.trail for m in measures):.2f} s; "
            f"peak min {min(m.peak_dbfs for m in measures):.1f} dBFS"
        )
        flatness = [m.flatness for m in measures]
        print(f"  flatness max {max(flatness):.3f}, median {np.median(flatness):.3f}")
        print(f"  false positives: {len(flagged)} of {len(texts)} ({100 * len(flagged) / max(len(texts), 1):.1f} %)")
        for text, found in flagged[:8]:
            print(f"    {'; '.join(f.severity + ' ' + f.detail for f in found)}: {text[:70]}")
        for kind in DAMAGES:
            caught = 0
            considered = 0
            for audio, text in zip(takes, texts, strict=True):
                if qa.spoken_letters(text) < settings.rate_min_letters and kind in ("truncated", "repeated"):
                    continue  # rate checks need some text; short utterances are judged by the other measures
                considered += 1
                bad = damage(audio, engine.sample_rate, kind, rng)
                caught += bool(qa.flags(qa.measure(bad, engine.sample_rate, text), settings, median))
            print(f"  damaged ({kind}): {caught} of {considered} flagged ({100 * caught / max(considered, 1):.1f} %)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sentences", type=int, default=120)
    parser.add_argument("--engines", default="piper,espeak")
    args = parser.parse_args()
    settings = qa.qa_settings({})
    for engine_name in args.engines.split(","):
        if engine_name == "espeak" and not shutil.which("espeak-ng"):
            print("espeak-ng is not installed: skipped")
            continue
        run(engine_name, args.sentences, settings)


if __name__ == "__main__":
    main()
