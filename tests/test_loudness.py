"""Loudness: one linear gain per chapter to -19 LUFS, peaks under -1.5 dBTP, measured on real engine audio."""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess

import pytest
from finished_outputs import ALL_FORMATS, PIPER_BOOK
from helpers import ffprobe

from snakebook.audio.loudness import (
    DEFAULT_CEILING,
    DEFAULT_TARGET,
    TRUE_PEAK_MARGIN,
    GainPlan,
    Loudness,
    loudness_settings,
    measure,
    plan_gain,
)


def test_gain_is_linear_and_the_limiter_only_where_peaks_would_pass():
    quiet = plan_gain(Loudness(integrated=-26.0, peak=-12.0, lra=3.0))
    assert quiet.gain_db == pytest.approx(7.0) and quiet.limit_db is None
    assert quiet.filters() == ["volume=7.00dB"]
    loud = plan_gain(Loudness(integrated=-20.5, peak=-0.1, lra=4.0))
    assert loud.gain_db == pytest.approx(1.5) and loud.limit_db == pytest.approx(DEFAULT_CEILING - TRUE_PEAK_MARGIN)
    assert loud.filters()[1].startswith("alimiter=") and "level=0" in loud.filters()[1]  # no make-up gain
    hot = plan_gain(Loudness(integrated=-14.0, peak=-0.5, lra=2.0))
    assert hot.gain_db == pytest.approx(-5.0) and hot.limit_db is None  # turning down never needs a limiter
    assert plan_gain(Loudness(integrated=-math.inf, peak=-math.inf, lra=0.0)) == GainPlan(0.0, None)  # silence
    assert GainPlan(0.0, None).filters() == []


def test_loudness_settings():
    assert loudness_settings(None) is None
    assert loudness_settings({"target": -16, "true_peak": -1}) == (-16.0, -1.0)
    assert loudness_settings({}) == (DEFAULT_TARGET, DEFAULT_CEILING)


def chapter_loudness(path):
    """(title, integrated LUFS, true peak dBTP) of every chapter of a finished file, measured from its markers."""
    probe = ffprobe(path)
    out = []
    for chapter in sorted(probe["chapters"], key=lambda c: float(c["start_time"])):
        start, end = float(chapter["start_time"]), float(chapter["end_time"])
        measured = measure(path, start=start, duration=end - start, true_peak=True)
        out.append((chapter["tags"]["title"], measured.integrated, measured.peak))
    return out


def encode_loudness(log_path):
    """The loudness record a chapter's encode job measured and logged (``loudness {json}``), or None."""
    found = re.search(r" loudness (\{.*\})$", log_path.read_text(), re.MULTILINE)
    return json.loads(found.group(1)) if found else None


def check_book(path):
    rows = chapter_loudness(path)
    for title, integrated, peak in rows:
        print(f"{path.name}: {title:28.28} {integrated:6.1f} LUFS  {peak:5.1f} dBTP")
    assert len(rows) == 3
    for _title, integrated, peak in rows:
        assert abs(integrated - DEFAULT_TARGET) <= 1.0
        assert peak <= DEFAULT_CEILING


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_every_chapter_of_a_piper_book_is_on_target(piper_book, fmt):
    check_book(piper_book / f"{PIPER_BOOK}.{fmt}")


@pytest.mark.slow
def test_piper_and_espeak_differ_raw_and_agree_finished(piper_book, espeak_book):
    """Out of the box the engines differ (Piper also clips at 0 dBFS); the finished books are both on target."""

    def raw(book):
        return [encode_loudness(p) for p in sorted((book / "logs" / "encode").glob("*.m4a.log"))]

    piper, espeak = raw(piper_book), raw(espeak_book)
    print(
        "raw chapters, Piper:",
        [(r["integrated"], r["peak"]) for r in piper],
        "espeak-ng:",
        [(r["integrated"], r["peak"]) for r in espeak],
    )
    mean = [sum(r["integrated"] for r in rows) / len(rows) for rows in (piper, espeak)]
    assert abs(mean[0] - mean[1]) >= 1.0  # measured: ~1.4 LU on these chapters
    assert all(r["plan"]["limit_db"] is not None for r in piper)  # Piper's peaks need the limiter
    check_book(espeak_book / f"{espeak_book.name}.m4b")
    check_book(piper_book / f"{PIPER_BOOK}.m4b")


@pytest.mark.slow
def test_loudness_null_leaves_the_engine_level(tmp_path, shared_cache):
    from helpers import short_book_entry, snakemake

    config = {
        "books": [short_book_entry(name="alice-raw", engine="espeak", drop_chapters=[1, 2, 3, 4, 5, 6, 8, 9])],
        "cache_dir": str(shared_cache),
        "output": {"formats": ["m4b"], "loudness": None},
    }
    snakemake(tmp_path, config=config)
    book = tmp_path / "results" / "alice-raw"
    logs = sorted((book / "logs" / "encode").glob("*.m4a.log"))
    assert logs and all(encode_loudness(p) is None for p in logs)  # no chapter measured
    wav = next((book / "audio").glob("*.wav"))
    raw, finished = measure(wav), measure(book / "alice-raw.m4b")
    assert abs(raw.integrated - finished.integrated) < 0.5


@pytest.mark.skipif(not shutil.which("espeak-ng"), reason="espeak-ng is not installed")
def test_opus_over_the_ceiling_is_encoded_again_with_a_lower_limiter(tmp_path):
    from snakebook.audio.encode import encode_within_ceiling

    raw, wav = tmp_path / "raw.wav", tmp_path / "speech.wav"
    subprocess.run(
        ["espeak-ng", "-w", str(raw), "Pack my box with five dozen liquor jugs. Sphinx of black quartz, judge my vow!"],
        check=True,
    )
    subprocess.run(["ffmpeg", "-loglevel", "error", "-i", str(raw), "-ar", "22050", "-ac", "1", str(wav)], check=True)
    ceiling = -9.0  # far under what a +6 dB gain with a limiter at -1 dBFS gives
    out = tmp_path / "speech.opus"
    encode_within_ceiling(wav, out, "t", format="opus", options=None, gain=GainPlan(6.0, -1.0), ceiling=ceiling)
    assert measure(out, true_peak=True).peak <= ceiling
