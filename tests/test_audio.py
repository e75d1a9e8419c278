"""Unit tests of the audio helpers with real ffmpeg and mutagen."""

from __future__ import annotations

import json
import subprocess
import wave

import numpy as np
import pytest
from helpers import m4b_tags

from snakebook.audio.assemble import assemble_book
from snakebook.audio.booktags import BookTags
from snakebook.audio.chapters import chapter_marks, ffmetadata
from snakebook.audio.encode import encode_chapter
from snakebook.audio.wav import WavWriter, wav_duration
from snakebook.cache import float_to_int16


def tone(path, seconds, rate=22050, freq=440.0):
    writer = WavWriter(path, rate)
    t = np.arange(int(seconds * rate)) / rate
    writer.write_pcm(float_to_int16(0.3 * np.sin(2 * np.pi * freq * t)).tobytes())
    writer.write_silence(250)
    writer.commit()


def test_wav_writer_is_atomic(tmp_path):
    target = tmp_path / "a.wav"
    writer = WavWriter(target, 16000)
    writer.write_silence(1000)
    assert not target.exists()  # only the .part file exists until commit
    writer.abort()
    assert not target.exists() and not list(tmp_path.iterdir())
    tone(target, 1.0, rate=16000)
    assert abs(wav_duration(target) - 1.25) < 1e-3
    with wave.open(str(target)) as handle:
        assert handle.getnchannels() == 1 and handle.getsampwidth() == 2


def test_chapter_marks_and_ffmetadata_escape():
    marks = chapter_marks(["One", "Two; =#x"], [1.5, 2.25])
    assert [(m.start, m.end) for m in marks] == [(0.0, 1.5), (1.5, 3.75)]
    text = ffmetadata(marks)
    assert "START=1500" in text and "END=3750" in text
    assert "title=Two\\; \\=\\#x" in text
    with pytest.raises(ValueError):
        chapter_marks(["a"], [1.0, 2.0])


def test_assemble_m4b_markers_tags_and_cover(tmp_path):
    wavs, m4as = [], []
    for i, seconds in enumerate([2.0, 3.5, 1.25]):
        wav = tmp_path / f"{i}.wav"
        tone(wav, seconds, freq=300 + 100 * i)
        m4a = tmp_path / f"{i}.m4a"
        encode_chapter(wav, m4a, "48k")
        wavs.append(wav)
        m4as.append(m4a)
    cover = tmp_path / "cover.png"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "color=c=red:s=32x32", "-frames:v", "1", str(cover)],
        check=True,
    )
    book = {
        "title": "Test Book",
        "authors": ["A. Writer", "B. Writer"],
        "language": "fr",
        "date": "1869-05-01",
        "chapters": [{"title": "Début"}, {"title": "Milieu"}, {"title": "Fin"}],
    }
    out = tmp_path / "book.m4b"
    assemble_book(
        "m4b",
        m4as,
        book,
        out,
        tags=BookTags.from_book(book),
        cover=cover.read_bytes(),
        wav_seconds=sum(wav_duration(w) for w in wavs),
    )
    probe = json.loads(
        subprocess.run(
            [
                "ffprobe",
                "-v",
                "error",
                "-print_format",
                "json",
                "-show_chapters",
                "-show_format",
                "-show_streams",
                str(out),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    assert [c["tags"]["title"] for c in probe["chapters"]] == ["Début", "Milieu", "Fin"]
    durations = [wav_duration(w) for w in wavs]
    assert abs(float(probe["chapters"][1]["start_time"]) - durations[0]) < 0.01
    assert abs(float(probe["chapters"][2]["start_time"]) - sum(durations[:2])) < 0.01
    assert abs(float(probe["format"]["duration"]) - sum(durations)) < 0.3
    audio = [s for s in probe["streams"] if s["codec_type"] == "audio"][0]
    assert audio["tags"]["language"] == "fra"
    tags = m4b_tags(out)
    assert tags["artist"] == "A. Writer, B. Writer" and tags["year"] == "1869" and tags["genre"] == "Audiobook"
    assert tags["cover"][:4] == b"\x89PNG"
    assert not list(tmp_path.glob("assemble-*"))  # the work folder is gone
