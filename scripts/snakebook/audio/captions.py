"""Captions: one cue per spoken sentence (WebVTT, SubRip), timed against the joined audiobook.

Synthesis records each utterance's first and end sample in its chapter WAV and the book text it
speaks (``speech/NNN.cues.tsv``, see :func:`snakebook.synth.write_cues`). A cue's time is its
chapter's start in the joined file (the running sum of the encoded chapters' durations, which counts
the AAC frame padding and MP3 encoder delay of every join; see :func:`.assemble.chapter_layout`) plus
its sample offset. Cues tile the timeline: each lasts until the next one starts (the pause after a
sentence keeps its text on screen), the first of a chapter starts at the chapter marker and the last
ends at the chapter's end, so the last cue of the book ends with the file.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from ..fileio import write_text
from .chapters import ChapterMark

CAPTION_FORMATS = ("vtt", "srt")


@dataclass
class Cue:
    start: float
    end: float
    text: str


def read_cues_tsv(path: str | Path) -> tuple[int, list[tuple[int, int, str]]]:
    """(sample rate, [(start sample, end sample, book text)]) of a chapter's cues file."""
    rate = 0
    rows: list[tuple[int, int, str]] = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            for field in line[1:].split():
                key, _, value = field.partition("=")
                if key == "sample_rate":
                    rate = int(value)
            continue
        parts = line.split("\t")
        if len(parts) < 2 or not parts[0].isdigit():
            continue
        rows.append((int(parts[0]), int(parts[1]), parts[2] if len(parts) > 2 else ""))
    if rate <= 0:
        raise ValueError(f"{path}: no sample_rate header")
    return rate, rows


def chapter_cues(mark: ChapterMark, rate: int, rows: list[tuple[int, int, str]]) -> list[Cue]:
    """The cues of one chapter placed at ``mark``: one per sentence (continuation rows join the one before)."""
    sentences: list[list] = []  # [start sample, text]
    for start, _end, text in rows:
        if text or not sentences:
            sentences.append([start, text])
        # an empty text is the rest of a sentence split for the engine: the cue goes on
    cues: list[Cue] = []
    for number, (start, text) in enumerate(sentences):
        begin = mark.start if number == 0 else mark.start + start / rate
        end = mark.end if number == len(sentences) - 1 else mark.start + sentences[number + 1][0] / rate
        cues.append(Cue(begin, max(end, begin), text or "…"))
    return cues


def book_cues(marks: list[ChapterMark], cue_files: list[str | Path]) -> list[Cue]:
    cues: list[Cue] = []
    for mark, path in zip(marks, cue_files, strict=True):
        rate, rows = read_cues_tsv(path)
        cues.extend(chapter_cues(mark, rate, rows))
    return cues


def _clock(seconds: float, separator: str) -> str:
    milliseconds = max(0, int(round(seconds * 1000)))
    hours, rest = divmod(milliseconds, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}{separator}{rest % 1000:03d}"


def to_vtt(cues: list[Cue]) -> str:
    blocks = ["WEBVTT"]
    for number, cue in enumerate(cues, start=1):
        text = html.escape(cue.text, quote=False)  # also makes "-->" harmless ("--&gt;")
        blocks.append(f"{number}\n{_clock(cue.start, '.')} --> {_clock(cue.end, '.')}\n{text}")
    return "\n\n".join(blocks) + "\n"


def to_srt(cues: list[Cue]) -> str:
    blocks = []
    for number, cue in enumerate(cues, start=1):
        blocks.append(f"{number}\n{_clock(cue.start, ',')} --> {_clock(cue.end, ',')}\n{cue.text}")
    return "\n\n".join(blocks) + "\n"


def parse_vtt(text: str) -> list[Cue]:
    """Read back a WebVTT file (the tests and the closing note use it)."""
    cues = []
    for block in text.split("\n\n")[1:]:
        lines = block.strip().splitlines()
        timing = next((i for i, line in enumerate(lines) if "-->" in line), None)
        if timing is None:
            continue
        start, _, end = lines[timing].partition(" --> ")

        def seconds(clock: str) -> float:
            hours, minutes, rest = clock.strip().split(":")
            return int(hours) * 3600 + int(minutes) * 60 + float(rest.replace(",", "."))

        cues.append(Cue(seconds(start), seconds(end), html.unescape("\n".join(lines[timing + 1 :]))))
    return cues


def write_captions(cues: list[Cue], outputs: dict[str, str | Path]) -> None:
    """Write each requested caption format (``{"vtt": path, "srt": path}``)."""
    writers = {"vtt": to_vtt, "srt": to_srt}
    for kind, path in outputs.items():
        write_text(path, writers[kind](cues))
