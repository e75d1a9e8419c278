"""Test helpers (one home): paths, real Snakemake runs, ffprobe, small real books and WAVs, waiting on conditions.

Test modules import from here (``from helpers import ...``); ``conftest.py`` holds only fixtures.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent
DATA = TESTS / "data"
SAMPLE_EPUB = ROOT / "resources" / "epubjs-alice-in-wonderland.epub"
VENV_BIN = Path(sys.executable).parent
# The whole-corpus books exist only on the development machines; tests over them skip when it is absent.
CORPUS = ROOT.parent / "shared" / "corpus"


def corpus_book(name: str) -> Path:
    """A book of the shared corpus, or skip the test (with the reason) when the corpus is not beside the clone."""
    path = CORPUS / name
    if not path.is_file():
        pytest.skip(f"needs the shared corpus book {path} (only on the development machines)")
    return path


def short_book_entry(**overrides) -> dict:
    """The short real book the pipeline tests use: three short chapters of the sample EPUB (~9,000 characters)."""
    entry = {"path": str(SAMPLE_EPUB), "name": "alice-short", "drop_chapters": [1, 2, 3, 4, 5, 6, 8]}
    entry.update(overrides)
    return entry


def snakemake_command(workdir: Path, *args: str, config: dict | None = None) -> list[str]:
    """The command line of a real workflow run in ``workdir`` (``config`` values passed as JSON)."""
    command = [str(VENV_BIN / "snakemake"), "-s", str(ROOT / "Snakefile"), "--directory", str(workdir)]
    if not any(a.startswith("--cores") or a.startswith("-c") for a in args):
        command += ["--cores", "2"]
    command += list(args)
    if config:
        command.append("--config")
        command += [f"{key}={json.dumps(value)}" for key, value in config.items()]
    return command


def snakemake_env(extra: dict | None = None) -> dict:
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra or {})
    return env


def start_snakemake(workdir: Path, *args: str, config: dict | None = None) -> subprocess.Popen:
    """Start a run in the background, in its own process group (so a test can interrupt or kill it)."""
    return subprocess.Popen(
        snakemake_command(workdir, *args, config=config),
        cwd=workdir,
        env=snakemake_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=_interruptible,
    )


def _interruptible() -> None:
    """In the child: Ctrl-C as a terminal delivers it (unblocked, default action), whatever the test process had."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    signal.signal(signal.SIGINT, signal.default_int_handler)


def snakemake(
    workdir: Path,
    *args: str,
    config: dict | None = None,
    check: bool = True,
    env: dict | None = None,
    timeout: int = 1500,
) -> subprocess.CompletedProcess:
    """Run the real workflow with ``workdir`` as working directory; return the completed process.

    ``config`` values are passed as ``--config key=<json>``.
    """
    command = snakemake_command(workdir, *args, config=config)
    result = subprocess.run(
        command, cwd=workdir, capture_output=True, text=True, env=snakemake_env(env), timeout=timeout
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"snakemake failed ({result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-8000:]}"
        )
    return result


def job_counts(output: str) -> dict[str, int]:
    """Parse Snakemake's 'Job stats' table into {rule: count}."""
    counts: dict[str, int] = {}
    lines = output.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("Job stats:"):
            for row in lines[i + 3 :]:
                parts = row.split()
                if len(parts) != 2 or not parts[1].isdigit():
                    break
                counts[parts[0]] = int(parts[1])
            break
    return counts


def ffprobe(path: Path) -> dict:
    """ffprobe's JSON view of a media file: format, streams, chapters."""
    command = ["ffprobe", "-v", "error", "-print_format", "json", "-show_chapters", "-show_format", "-show_streams"]
    out = subprocess.run([*command, str(path)], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def wait_for(condition: Callable[[], object], timeout: float, what: str, interval: float = 0.1) -> object:
    """Poll ``condition`` until it returns something truthy (returned) or ``timeout`` seconds pass (AssertionError).

    A deadline, not a fixed sleep: the test goes on as soon as the condition holds, however fast the machine is.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def write_tiny_epub(
    path: Path, chapters: list[tuple[str, list[str]]], language: str = "en", title: str = "Tiny Book"
) -> Path:
    """A small real EPUB (one XHTML file per chapter, with a table of contents) for pipeline tests."""
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier("snakebook-test-" + title.lower().replace(" ", "-"))
    book.set_title(title)
    book.set_language(language)
    book.add_author("Test Author")
    items = []
    for number, (heading, paragraphs) in enumerate(chapters, start=1):
        item = epub.EpubHtml(title=heading, file_name=f"ch{number}.xhtml", lang=language)
        body = "".join(f"<p>{p}</p>" for p in paragraphs)
        item.content = f"<html><body><h1>{heading}</h1>{body}</body></html>"
        book.add_item(item)
        items.append(item)
    book.toc = items
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = ["nav", *items]
    epub.write_epub(str(path), book)
    return path


def write_wav(path: str | Path, audio, sample_rate: int) -> Path:
    """Write float samples in [-1, 1] as a 16-bit mono WAV (atomically), e.g. a voice sample for cloning tests."""
    import numpy as np

    from snakebook.audio.wav import WavWriter

    writer = WavWriter(path, sample_rate)
    writer.write_pcm((np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2").tobytes())
    writer.commit()
    return Path(path)


def m4b_tags(path: str | Path) -> dict:
    """An m4b's tags, cover, chapters and duration as mutagen reads them (the m4b format's own read-back)."""
    from snakebook.audio.formats import FORMATS

    back = FORMATS["m4b"].read_back(path)
    return {**back["tags"], "cover": back["cover"], "chapters": back["chapters"], "duration": back["duration"]}


def jobs_run(output: str) -> dict[str, int]:
    """{rule: jobs} from the job blocks of a run's log (its first 'Job stats' table predates the checkpoints)."""
    counts: dict[str, int] = {}
    for rule in re.findall(r"^(?:local)?(?:rule|checkpoint) (\w+):$", output, re.MULTILINE):
        counts[rule] = counts.get(rule, 0) + 1
    return counts


BOOK_SENTENCES = [
    "The old miller walked to the market before breakfast, as he had done for forty years.",
    "A quiet student wrote a long letter in the rain and forgot to post it.",
    "The baker's daughter repaired the fence after the storm, whistling all the while.",
    "Our neighbour counted the sheep late in the evening and always came to a different number.",
    "The young sailor sang by the window until the lamps were lit along the harbour.",
    "A tired doctor read the newspaper on the bench outside the station.",
]


def write_book(path: Path, chapters: int, sentences: int = 2, seed: int = 0) -> Path:
    """A generated plain-text book: ``chapters`` chapters of ``sentences`` sentences, unique per seed (tests, benchmarks)."""
    parts = [f"Book {seed}\n\nby Bench Author\n"]
    for c in range(chapters):
        body = [
            f"{BOOK_SENTENCES[(seed + c + s) % len(BOOK_SENTENCES)][:-1]}, on day {seed * 1000 + c * 100 + s}."
            for s in range(sentences)
        ]
        paragraphs = [" ".join(body[i : i + 4]) for i in range(0, len(body), 4)]
        parts.append(f"\n\n\nCHAPTER {c + 1}. Part {c + 1}\n\n" + "\n\n".join(paragraphs) + "\n")
    path.write_text("".join(parts), encoding="utf-8")
    return path


def build_espeak_library(root: Path, books: int = 2, chapters: int = 3):
    """A library of small generated books in ``root/books``, built with espeak-ng in ``root/work``.

    Returns (workdir, config, books folder, the run's CompletedProcess).
    """
    folder = root / "books"
    folder.mkdir()
    for seed in range(books):
        write_book(folder / f"book-{seed}.txt", chapters=chapters, seed=seed)
    workdir = root / "work"
    workdir.mkdir()
    config = {"library": str(folder), "engine": "espeak", "cache_dir": str(root / "cache")}
    return workdir, config, folder, snakemake(workdir, config=config)
