"""espeak-ng: the engine on Russian and Arabic text, and the whole pipeline on the Russian FB2 sample."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest
from helpers import DATA, snakemake

from snakebook.audio.wav import wav_duration
from snakebook.engines import EngineSettings, make_engine
from snakebook.engines.espeak import read_wav_bytes

RUSSIAN = "Все счастливые семьи похожи друг на друга, каждая несчастливая семья несчастлива по-своему."
ARABIC = "مرحبا بكم في هذا الكتاب عن الصحة والغذاء."


def speak(language: str, text: str, **settings) -> tuple[np.ndarray, int]:
    engine = make_engine(EngineSettings(engine="espeak", **settings), "book")
    engine.check(language)
    engine.ensure_loaded()
    audio = engine.synthesize(text)
    return audio, engine.sample_rate


@pytest.mark.parametrize(
    ("language", "text"), [("ru", RUSSIAN), ("ar", ARABIC), ("fr-FR", "Bonjour, le monde.")], ids=["ru", "ar", "fr"]
)
def test_espeak_speaks_the_language(language, text):
    audio, rate = speak(language, text)
    assert rate == 22050  # read from the WAV espeak-ng wrote
    assert audio.dtype == np.float32 and np.abs(audio).max() <= 1.0
    assert 1.0 < len(audio) / rate < 20.0
    assert float(np.sqrt(np.mean(audio**2))) > 0.01  # speech, not silence


def test_espeak_speed_and_voice_parameters():
    normal, rate = speak("ru", RUSSIAN)
    fast, _ = speak("ru", RUSSIAN, params={"speed": 2.0})
    assert len(fast) < 0.7 * len(normal)
    variant, _ = speak("en", "Hello there.", voice="en-us+f3", params={"pitch": 70})
    assert len(variant) > 0


def test_identity_changes_with_what_changes_the_sound():
    a = make_engine(EngineSettings(engine="espeak"), "b")
    a.check("ru")
    b = make_engine(EngineSettings(engine="espeak", params={"speed": 1.2}), "b")
    b.check("ru")
    c = make_engine(EngineSettings(engine="espeak"), "b")
    c.check("ar")
    assert len({json.dumps(e.identity(), sort_keys=True) for e in (a, b, c)}) == 3


def test_read_wav_bytes_handles_a_streamed_header():
    samples = (np.sin(np.arange(1000) / 5) * 10000).astype("<i2")
    fmt = struct.pack("<4sIHHIIHH", b"fmt ", 16, 1, 1, 16000, 32000, 2, 16)
    data = b"RIFF" + struct.pack("<I", 0x7FFFFFFF) + b"WAVE" + fmt + b"data" + struct.pack("<I", 0x7FFFFFFF)
    audio, rate = read_wav_bytes(data + samples.tobytes())
    assert rate == 16000 and len(audio) == 1000
    assert np.allclose(audio * 32768, samples, atol=1)


@pytest.mark.slow
def test_pipeline_speaks_the_russian_fb2_sample_with_espeak(tmp_path):
    book = DATA / "fbreader-anna-karenina-excerpt-ru-cp1251.fb2"
    config = {
        "books": [{"path": str(book), "name": "anna-ru"}],
        "engine": "espeak",
        "cache_dir": str(tmp_path / "cache"),
    }
    snakemake(tmp_path, config=config)
    out = tmp_path / "results" / "anna-ru"
    info = json.loads((out / "book.json").read_text(encoding="utf-8"))
    assert info["language"].startswith("ru")
    wavs = sorted((out / "audio").glob("*.wav"))
    assert wavs and len(wavs) == len(info["chapters"])
    assert sum(wav_duration(w) for w in wavs) > 60
    speech = "".join(p.read_text(encoding="utf-8") for p in sorted((out / "speech").glob("*.txt")))
    assert "Анна" in speech or "Облонск" in speech  # Cyrillic text was what got spoken
    assert (out / "anna-ru.m4b").stat().st_size > 10_000


@pytest.mark.slow
def test_pipeline_speaks_the_arabic_epub_with_espeak(tmp_path):
    book = DATA / "idpf-regime-anticancer-ar.epub"
    # One chapter of five (~4,500 characters, ~8 minutes of speech): encoding the whole book takes minutes.
    entry = {"path": str(book), "name": "regime-ar", "drop_chapters": [1, 2, 3, 5]}
    config = {"books": [entry], "engine": "espeak", "cache_dir": str(tmp_path / "cache")}
    snakemake(tmp_path, config=config)
    out = tmp_path / "results" / "regime-ar"
    info = json.loads((out / "book.json").read_text(encoding="utf-8"))
    assert info["language"].startswith("ar")
    speech = "".join(p.read_text(encoding="utf-8") for p in sorted((out / "speech").glob("*.txt")))
    assert any("\u0600" <= ch <= "\u06ff" for ch in speech)  # Arabic script was spoken
    assert sum(wav_duration(w) for w in (out / "audio").glob("*.wav")) > 30
    assert (out / "regime-ar.m4b").stat().st_size > 10_000


@pytest.mark.slow
def test_piper_on_the_russian_book_stops_at_planning_and_espeak_is_suggested(tmp_path):
    book = DATA / "fbreader-anna-karenina-excerpt-ru-cp1251.fb2"
    result = snakemake(tmp_path, config={"books": [{"path": str(book), "name": "anna-ru"}]}, check=False)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "anna-ru: the book's language is 'ru'" in output and "espeak: voice 'ru'" in output
    assert not (tmp_path / "results" / "anna-ru" / "audio").exists()  # nothing was synthesised
