"""Coqui TTS with tiny randomly initialised VITS and XTTS model folders (the sound is noise; the code path is real).

The folders are built on the fly from coqui-tts's own config classes (tests/tiny_models.py) and loaded
by the engine exactly as a real model folder is. Needs `make coqui`.
"""

from __future__ import annotations

import json
import wave

import numpy as np
import pytest
from helpers import short_book_entry, snakemake, write_tiny_epub, write_wav

from snakebook.audio.wav import wav_duration
from snakebook.engines import EngineSettings, make_engine
from snakebook.errors import SnakebookError

pytestmark = pytest.mark.coqui
pytest.importorskip("TTS", reason="needs the optional Coqui install: make coqui")  # CI installs it; runs there


@pytest.fixture(scope="module")
def tiny_vits(tmp_path_factory):
    from tiny_models import make_tiny_vits

    return make_tiny_vits(tmp_path_factory.mktemp("coqui") / "tiny-vits")


@pytest.fixture(scope="module")
def tiny_xtts(tmp_path_factory):
    from tiny_models import make_tiny_xtts

    # 60 audio tokens (~3 s of noise per utterance) keep the random GPT, which never stops by itself, quick.
    return make_tiny_xtts(
        tmp_path_factory.mktemp("coqui") / "tiny-xtts", speakers=("rand", "other"), max_audio_tokens=60
    )


@pytest.fixture(scope="module")
def piper_reference_wav(tmp_path_factory):
    """A narrator reference recording for XTTS cloning, spoken by the bundled Piper voice."""
    engine = make_engine(EngineSettings(engine="piper"), "reference")
    engine.check("en")
    engine.ensure_loaded()
    audio = engine.synthesize("This is the narrator's voice. Listen to it for a few seconds, then clone it.")
    path = tmp_path_factory.mktemp("ref") / "narrator.wav"
    return write_wav(path, audio, engine.sample_rate)


def speak(settings: EngineSettings, text: str, language: str = "en") -> tuple[np.ndarray, object]:
    engine = make_engine(settings, "book")
    engine.check(language)
    engine.ensure_loaded(threads=2)
    return engine.synthesize(text), engine


def test_vits_folder_speaks(tiny_vits):
    audio, engine = speak(EngineSettings(engine="coqui", model=str(tiny_vits)), "Hello world, this is a test.")
    assert engine.sample_rate == 22050 and engine.max_chars("en") == 400
    assert audio.dtype == np.float32 and audio.size > 1000 and np.abs(audio).max() <= 1.0
    # the checkpoint path itself works too, and a speed parameter reaches the model
    _, fast = speak(EngineSettings(engine="coqui", model=str(tiny_vits / "model.pth"), params={"speed": 2.0}), "Hi.")
    assert fast._model.synthesizer.tts_model.length_scale == pytest.approx(0.5)


def test_vits_from_the_local_model_cache(tiny_vits, tmp_path, monkeypatch):
    cache = tmp_path / "tts-home" / "tts" / "tts_models--en--tiny--vits"
    cache.mkdir(parents=True)
    for name in ("model.pth", "config.json"):
        (cache / name).write_bytes((tiny_vits / name).read_bytes())
    monkeypatch.setenv("TTS_HOME", str(tmp_path / "tts-home"))
    audio, engine = speak(EngineSettings(engine="coqui", model="tts_models/en/tiny/vits"), "Cached.")
    assert engine.folder == cache and audio.size > 0
    with pytest.raises(SnakebookError, match="'tts_models/en/ljspeech/vits' is not in the local model cache"):
        make_engine(EngineSettings(engine="coqui", model="tts_models/en/ljspeech/vits"), "b").check("en")


def test_multi_speaker_vits(tmp_path):
    from tiny_models import make_tiny_vits

    folder = make_tiny_vits(tmp_path / "multi", speakers=["alice", "bob"])
    audio, _ = speak(EngineSettings(engine="coqui", model=str(folder), speaker="bob"), "Two voices.")
    assert audio.size > 0
    with pytest.raises(SnakebookError, match="has no speaker 'carol'; it has: alice, bob"):
        make_engine(EngineSettings(engine="coqui", model=str(folder), speaker="carol"), "b").check("en")
    engine = make_engine(EngineSettings(engine="coqui", model=str(folder)), "b")
    engine.check("en")
    with pytest.raises(SnakebookError, match="has several speakers; choose one with `speaker:`"):
        engine.ensure_loaded()


def test_xtts_builtin_speaker_and_cloning(tiny_xtts, piper_reference_wav):
    audio, engine = speak(EngineSettings(engine="coqui", model=str(tiny_xtts), speaker="other"), "Hello.")
    assert engine.sample_rate == 24000 and engine.max_chars("en") == 250
    assert audio.dtype == np.float32 and audio.size > 0
    with pytest.raises(SnakebookError, match="has no speaker 'nobody'; it has: rand, other"):
        make_engine(EngineSettings(engine="coqui", model=str(tiny_xtts), speaker="nobody"), "b").check("en")
    cloned, engine = speak(
        EngineSettings(
            engine="coqui", model=str(tiny_xtts), speaker_wav=[str(piper_reference_wav)], params={"temperature": 0.5}
        ),
        "Cloned.",
    )
    assert cloned.size > 0
    latent, embedding = engine._voice  # computed once, from the Piper recording
    assert latent.shape[-1] == 64 and embedding.shape == (1, 512, 1)


def test_device_cuda_without_a_gpu_is_a_clear_error(tiny_vits, monkeypatch):
    monkeypatch.setenv("SNAKEBOOK_GPUS", "")
    engine = make_engine(EngineSettings(engine="coqui", model=str(tiny_vits), device="cuda"), "gpu-book")
    engine.check("en")
    with pytest.raises(
        SnakebookError, match="gpu-book: device: cuda was asked for the coqui engine but no GPU is visible"
    ):
        engine.ensure_loaded()
    engine = make_engine(EngineSettings(engine="coqui", model=str(tiny_vits), device="auto"), "gpu-book")
    engine.ensure_loaded()
    assert engine._device == "cpu"


@pytest.mark.slow
def test_pipeline_with_a_vits_model_folder(tiny_vits, tmp_path):
    config = {
        "books": [short_book_entry()],
        "engine": "coqui",
        "model": str(tiny_vits),
        "cache_dir": str(tmp_path / "cache"),
    }
    snakemake(tmp_path, config=config)
    out = tmp_path / "results" / "alice-short"
    wavs = sorted((out / "audio").glob("*.wav"))
    assert len(wavs) == 3 and all(wav_duration(w) > 1 for w in wavs)
    with wave.open(str(wavs[0])) as w:
        assert w.getframerate() == 22050
    logs = "".join(log.read_text() for log in (out / "logs" / "synthesize").glob("*.log"))
    assert "loaded coqui" in logs  # by whichever jobs made sentences (they help each other: snakebook.sharing)
    assert (out / "alice-short.m4b").stat().st_size > 10_000


@pytest.mark.slow
def test_pipeline_with_xtts_cloning_a_piper_voice(tiny_xtts, piper_reference_wav, tmp_path):
    book = write_tiny_epub(tmp_path / "tiny.epub", [("Opening", ["It was a quiet morning."])], title="Tiny XTTS")
    config = {
        "books": [{"path": str(book), "name": "tiny-xtts"}],
        "engine": "coqui",
        "model": str(tiny_xtts),
        "speaker_wav": [str(piper_reference_wav)],
        "device": "auto",
        "cache_dir": str(tmp_path / "cache"),
    }
    result = snakemake(tmp_path, "--resources", "gpu=1", config=config)
    out = tmp_path / "results" / "tiny-xtts"
    speech = (out / "speech" / "001.txt").read_text()
    assert "quiet morning" in speech
    with wave.open(str(out / "audio" / "001.wav")) as w:
        assert w.getframerate() == 24000 and w.getnframes() / 24000 > 2
    log = (out / "logs" / "synthesize" / "001.log").read_text()
    assert "running coqui on the CPU" in log  # device: auto on a machine without a GPU
    assert (out / "tiny-xtts.m4b").is_file()
    # a second run does nothing: the model is not even loaded
    again = snakemake(tmp_path, "--resources", "gpu=1", config=config)
    assert "Nothing to be done" in again.stdout + again.stderr
    assert json.loads((out / "book.json").read_text())["chapters"][0]["title"] == "Opening"
    assert result.returncode == 0
