"""Captions: one cue per spoken sentence, book text, timed against the joined audiobook."""

from __future__ import annotations

import json
import re

import pytest
from finished_outputs import ALL_FORMATS, PIPER_BOOK
from helpers import ffprobe

from snakebook.audio.captions import Cue, chapter_cues, parse_vtt, read_cues_tsv, to_srt, to_vtt
from snakebook.audio.chapters import ChapterMark


def test_cues_tile_each_chapter_and_split_sentences_stay_one_cue(tmp_path):
    tsv = tmp_path / "001.cues.tsv"
    tsv.write_text(
        "# sample_rate=1000 frames=9000\nstart\tend\ttext\n500\t1500\tTitle\n2000\t3000\tFirst part,\n"
        "3100\t4000\t\n4500\t6000\t<Second> & --> last.\n"
    )
    rate, rows = read_cues_tsv(tsv)
    assert rate == 1000 and len(rows) == 4
    cues = chapter_cues(ChapterMark("T", 10.0, 19.5), rate, rows)
    assert [(c.start, c.end, c.text) for c in cues] == [
        (10.0, 12.0, "Title"),
        (12.0, 14.5, "First part,"),
        (14.5, 19.5, "<Second> & --> last."),
    ]
    vtt = to_vtt(cues)
    assert vtt.startswith("WEBVTT\n\n1\n00:00:10.000 --> 00:00:12.000\nTitle")
    assert "&lt;Second&gt; &amp; --&gt; last." in vtt
    assert [(c.start, c.end) for c in parse_vtt(vtt)] == [(c.start, c.end) for c in cues]
    assert "00:00:12,000 --> 00:00:14,500\nFirst part," in to_srt(cues)
    assert to_vtt([Cue(3725.5, 3726.0, "x")]).count("01:02:05.500") == 1


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^\w']+", " ", text.lower()).split())


@pytest.mark.slow
def test_cues_match_the_assembled_files(piper_book):
    cues = parse_vtt((piper_book / f"{PIPER_BOOK}.vtt").read_text())
    assert (piper_book / f"{PIPER_BOOK}.srt").read_text().count(" --> ") == len(cues)
    info = json.loads((piper_book / "book.json").read_text())
    assert len(cues) > 50
    assert all(a.end <= b.start + 1e-6 and a.start <= a.end for a, b in zip(cues, cues[1:], strict=False))
    starts = {round(c.start, 3) for c in cues}
    for fmt in ALL_FORMATS:
        probe = ffprobe(piper_book / f"{PIPER_BOOK}.{fmt}")
        duration = float(probe["format"]["duration"])
        assert abs(cues[-1].end - duration) <= 0.5, fmt
        if fmt != ALL_FORMATS[0]:
            continue  # captions are timed against the first format (others add their own codec padding per join)
        markers = sorted(float(c["start_time"]) for c in probe["chapters"])
        for marker, chapter in zip(markers, info["chapters"], strict=True):
            nearest = min(starts, key=lambda s, m=marker: abs(s - m))
            assert abs(nearest - marker) <= 0.1, (fmt, chapter["title"])
            title_cue = next(c for c in cues if abs(c.start - nearest) < 1e-3)
            assert title_cue.text == chapter["title"]


@pytest.mark.slow
def test_cue_text_is_the_books_text_not_the_spoken_form(piper_book):
    cues = parse_vtt((piper_book / f"{PIPER_BOOK}.vtt").read_text())
    book_text = " ".join(_words(p.read_text()) for p in sorted((piper_book / "chapters").glob("*.txt")))
    spoken = (piper_book / "speech").glob("*.txt")
    spoken_text = " ".join(_words(p.read_text()) for p in spoken if not p.name.endswith(".keys.json"))
    found = [c for c in cues if _words(c.text) in book_text]
    assert len(found) >= 0.95 * len(cues)
    print("first five cues:\n" + "\n".join(f"{c.start:8.3f} --> {c.end:8.3f}  {c.text[:80]}" for c in cues[:5]))
    assert spoken_text  # what the engine read is kept apart (speech/NNN.txt)
