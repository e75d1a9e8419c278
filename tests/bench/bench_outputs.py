"""Output formats on long books: encoding cost per hour of audio, and assembly's wall time, CPU and peak memory.

    .venv/bin/python tests/bench/bench_outputs.py [--hours 1,5,20] [--chapter-minutes 30]
        [--formats m4b,mp3,opus,flac,wav]

A synthetic book (a 22.05 kHz mono speech-like chapter WAV, encoded once per format and repeated: books of
each of ``hours`` in chapters of ``chapter-minutes``) is assembled by the real assembly (join, tags, cover,
the ffprobe + mutagen check) in a fresh process per book. Memory is that process tree's: the peak of the
summed resident sets (sampled every 20 ms, what Snakemake's ``benchmark:`` files report), and the
peaks of the Python process and of its largest child (getrusage, exact). For m4b the same books are also
assembled with the join through ffmpeg's concat + MP4 muxer (the way before mp4join, and still the
fallback) in the same run, so the two sides compare as ratios; per-chapter files (copies, tagged) too.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from snakebook.audio.encode import encode_chapter
from snakebook.audio.formats import FORMATS


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


# Run in a fresh process per book: its getrusage peaks are then this assembly's own.
ASSEMBLE = """
import json, resource, sys, time
from pathlib import Path
from snakebook.audio.assemble import assemble_book, chapter_layout
from snakebook.audio.booktags import BookTags
from snakebook.audio.formats import output_format
from snakebook.audio.formats.base import OutputFormat
from snakebook.audio.formats.m4b import M4bFormat
from snakebook.audio.library import write_per_chapter
fmt, way, chapter, count, out, cover = sys.argv[1:7]
count = int(count)
book = {"title": "Long", "authors": ["Bench"], "chapters": [{"title": f"Chapter {i}"} for i in range(count)]}
tags = BookTags.from_book(book)
cover = Path(cover).read_bytes()
started = time.perf_counter()
if way == "ffmpeg":  # the join before mp4join (and its fallback): ffmpeg's concat demuxer and MP4 muxer
    M4bFormat.join = lambda self, files, out, marks, book=None, language=None, tag_room=0: OutputFormat.join(
        self, files, out, marks, book, language
    )
if way == "per-chapter":
    marks = chapter_layout([chapter] * count, [c["title"] for c in book["chapters"]])
    write_per_chapter(output_format(fmt), [chapter] * count, marks, out, tags, cover, "Long")
else:
    assemble_book(fmt, [chapter] * count, book, out, tags=tags, cover=cover, book_name="bench")
wall = time.perf_counter() - started
me = resource.getrusage(resource.RUSAGE_SELF)
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "cpu": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime,
                  "python_mb": me.ru_maxrss / 1024, "child_mb": kids.ru_maxrss / 1024}))
"""


def tree_rss(process: psutil.Process) -> int:
    total = 0
    for p in [process, *process.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def run_assembly(fmt: str, way: str, chapter: Path, count: int, out: Path, cover: Path) -> dict:
    """One assembly in a fresh process; the peak of its process tree's summed RSS, sampled every 20 ms."""
    command = [sys.executable, "-c", ASSEMBLE, fmt, way, str(chapter), str(count), str(out), str(cover)]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watched = psutil.Process(child.pid)
    peak = 0
    while child.poll() is None:
        try:
            peak = max(peak, tree_rss(watched))
        except psutil.Error:
            pass
        time.sleep(0.02)
    stdout, stderr = child.communicate()
    if child.returncode != 0:
        raise RuntimeError(f"assembly failed ({fmt}, {way}, {count} chapters):\n{stderr[-3000:]}")
    figures = json.loads(stdout.strip().splitlines()[-1])
    figures["tree_mb"] = peak / 2**20
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", default="1,5,20", help="book lengths, comma-separated")
    parser.add_argument("--chapter-minutes", type=float, default=30.0)
    parser.add_argument("--formats", default=",".join(FORMATS))
    args = parser.parse_args()
    formats = args.formats.split(",")
    lengths = [float(h) for h in args.hours.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench-outputs-") as work:
        work = Path(work)
        wav = work / "chapter.wav"
        chapter_seconds = args.chapter_minutes * 60
        speech_like_wav(wav, chapter_seconds)
        per_hour = 3600 / chapter_seconds
        cover = work / "c.jpg"
        subprocess.run(
            ["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "color=c=teal:s=1400x1400", "-frames:v", "1"]
            + [str(cover)],
            check=True,
        )
        print(
            f"# synthetic books of {args.hours} h, {args.chapter_minutes:g}-minute chapters, {os.cpu_count()} CPUs, "
            f"load {os.getloadavg()[0]:.1f}\n"
        )
        print(
            "| format | join | book | encode CPU-s / h | size MB / h | assemble wall s / h | CPU s / h | "
            "peak MB tree (sampled) | peak MB python / largest child |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for fmt in formats:
            kind = FORMATS[fmt]
            encoded = work / f"chapter{kind.chapter_suffix}"
            cpu0 = _children_cpu()
            encode_chapter(wav, encoded, format=fmt)
            encode_cpu = (_children_cpu() - cpu0) * per_hour
            size = encoded.stat().st_size / 1e6 * per_hour
            ways = ["tables", "ffmpeg", "per-chapter"] if fmt == "m4b" else ["ffmpeg concat"]
            for way in ways:
                for hours in lengths:
                    count = max(1, round(hours * per_hour))
                    out = work / (f"book-{count}" if way == "per-chapter" else f"book-{count}{kind.suffix}")
                    figures = run_assembly(fmt, way, encoded, count, out, cover)
                    subprocess.run(["rm", "-rf", str(out)], check=True)
                    book_hours = count / per_hour
                    print(
                        f"| {fmt} | {way} | {book_hours:g} h ({count} ch) | {encode_cpu:.1f} | {size:.1f} | "
                        f"{figures['wall'] / book_hours:.2f} | {figures['cpu'] / book_hours:.2f} | "
                        f"{figures['tree_mb']:.0f} | {figures['python_mb']:.0f} / {figures['child_mb']:.0f} |",
                        flush=True,
                    )
            encoded.unlink()


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
