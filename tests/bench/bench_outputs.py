"""Output formats on a long book: wall time, CPU and peak memory of encoding and assembling each format.

    .venv/bin/python tests/bench/bench_outputs.py [--hours 20] [--chapter-minutes 30] [--formats m4b,mp3,opus,flac,wav]

A synthetic book (a 22.05 kHz mono speech-like chapter WAV repeated: ``hours`` of audio in chapters of
``chapter-minutes``) is encoded once per format (the encode cost is per chapter and identical for
identical chapters, so one chapter is encoded and reported per hour of audio), then assembled at two
book lengths (a tenth of ``hours`` and ``hours``) by the real assembly (stream-copy join, tags, cover,
the ffprobe + mutagen check). Peak memory is the largest resident set of this process and of ffmpeg:
assembly memory stays flat as the book grows (the join copies packets; nothing holds the book).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

from snakebook.audio.encode import chapter_gain, encode_chapter, measure_chapter  # noqa: E402
from snakebook.audio.formats import FORMATS  # noqa: E402


def speech_like_wav(path: Path, seconds: float) -> None:
    """Speech-like audio: a voiced buzz with syllable-rate amplitude modulation and pauses (ffmpeg lavfi)."""
    expression = (
        "0.25*sin(2*PI*140*t)*(0.6+0.4*sin(2*PI*4*t))*gt(sin(2*PI*0.3*t),-0.6)"
        "+0.08*sin(2*PI*2300*t)*(0.5+0.5*sin(2*PI*5*t))"
    )
    subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"aevalsrc='{expression}':s=22050:d={seconds}",
            "-ac",
            "1",
            "-c:a",
            "pcm_s16le",
            str(path),
        ],
        check=True,
    )


def children() -> tuple[float, int]:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def run_assembly(fmt: str, encoded: Path, count: int, out: Path, cover: bytes) -> dict:
    """Assemble in a fresh process so its peak memory and its children's are its own."""
    code = f"""
import resource, sys, time, json
from snakebook.audio.assemble import assemble_book
from snakebook.audio.booktags import BookTags
book = {{"title": "Long", "authors": ["Bench"], "chapters": [{{"title": f"Chapter {{i}}"}} for i in range({count})]}}
started = time.perf_counter()
assemble_book({fmt!r}, [{str(encoded)!r}] * {count}, book, {str(out)!r}, tags=BookTags.from_book(book),
              cover=open({str(out.with_suffix(".jpg"))!r}, 'rb').read(), book_name="bench")
wall = time.perf_counter() - started
me = resource.getrusage(resource.RUSAGE_SELF)
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({{"wall": wall, "cpu": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime,
                  "python_mb": me.ru_maxrss / 1024, "ffmpeg_mb": kids.ru_maxrss / 1024}}))
"""
    out.with_suffix(".jpg").write_bytes(cover)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    import json

    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=20.0)
    parser.add_argument("--chapter-minutes", type=float, default=30.0)
    parser.add_argument("--formats", default=",".join(FORMATS))
    args = parser.parse_args()
    formats = args.formats.split(",")
    with tempfile.TemporaryDirectory(prefix="bench-outputs-") as work:
        work = Path(work)
        wav = work / "chapter.wav"
        chapter_seconds = args.chapter_minutes * 60
        speech_like_wav(wav, chapter_seconds)
        per_hour = 3600 / chapter_seconds
        cover = work / "c.jpg"
        subprocess.run(
            [
                "ffmpeg",
                "-loglevel",
                "error",
                "-f",
                "lavfi",
                "-i",
                "color=c=teal:s=1400x1400",
                "-frames:v",
                "1",
                str(cover),
            ],
            check=True,
        )
        cpu0, _ = children()
        started = time.perf_counter()
        loudness = measure_chapter(wav, (-19.0, -1.5))
        measure_wall = time.perf_counter() - started
        measure_cpu = children()[0] - cpu0
        print(
            f"# {args.hours:g} h synthetic book, {args.chapter_minutes:g}-minute chapters, {os.cpu_count()} CPUs, "
            f"load {os.getloadavg()[0]:.1f}"
        )
        print(
            f"loudness measure+plan: {measure_cpu * per_hour:.1f} CPU-s per hour of audio "
            f"({measure_wall * per_hour:.1f} s wall)\n"
        )
        print(
            "| format | encode CPU-s / h audio | encode wall s / h | size MB / h | assemble (book h) | "
            "wall s | CPU s | peak MB python | peak MB ffmpeg |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for fmt in formats:
            kind = FORMATS[fmt]
            encoded = work / f"chapter{kind.chapter_suffix}"
            cpu0, _ = children()
            started = time.perf_counter()
            encode_chapter(wav, encoded, format=fmt, gain=chapter_gain(loudness, kind.peak_headroom_db))
            wall = time.perf_counter() - started
            cpu = children()[0] - cpu0
            size = encoded.stat().st_size / 1e6 * per_hour
            for hours in (args.hours / 10, args.hours):
                count = max(1, round(hours * per_hour))
                figures = run_assembly(fmt, encoded, count, work / f"book-{count}{kind.suffix}", cover.read_bytes())
                (work / f"book-{count}{kind.suffix}").unlink()
                print(
                    f"| {fmt} | {cpu * per_hour:.1f} | {wall * per_hour:.1f} | {size:.1f} | {hours:g} h "
                    f"({count} ch) | {figures['wall']:.1f} | {figures['cpu']:.1f} | {figures['python_mb']:.0f} | "
                    f"{figures['ffmpeg_mb']:.0f} |",
                    flush=True,
                )
            encoded.unlink()


if __name__ == "__main__":
    main()
