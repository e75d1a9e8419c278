"""The engine interface, the registry and the planning-time checks every engine shares (no torch needed)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from snakebook.engines import ENGINES, EngineSettings, engine_class, make_engine
from snakebook.engines import coqui as coqui_module
from snakebook.engines.base import Engine, primary_language
from snakebook.errors import SnakebookError
from snakebook.planning import plan_checks, uses_gpu


def fake_xtts_folder(folder: Path, languages: list[str] | None = None) -> Path:
    """The files of an XTTS folder, with a config.json but no real weights: enough for planning-time checks."""
    folder.mkdir(parents=True, exist_ok=True)
    config = {"model": "xtts", "audio": {"sample_rate": 22050, "output_sample_rate": 24000}}
    if languages:
        config["languages"] = languages
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "model.pth").write_bytes(b"not really weights")
    (folder / "vocab.json").write_text("{}")
    return folder


@pytest.fixture
def coqui_installed(monkeypatch):
    """Planning-time checks as if the optional Coqui set were installed (they read files, not weights)."""
    monkeypatch.setattr(coqui_module, "coqui_missing", lambda: [])


def test_registry_has_every_engine_behind_one_interface():
    assert set(ENGINES) >= {"piper", "coqui", "espeak"}
    for name in ENGINES:
        cls = engine_class(name)
        assert issubclass(cls, Engine) and cls.name == name
    with pytest.raises(SnakebookError, match="unknown engine 'festival'"):
        engine_class("festival")


def test_primary_language():
    assert primary_language("fr-FR") == "fr"
    assert primary_language("pt_BR") == "pt"
    assert primary_language("zh-cn") == "zh"
    assert primary_language(None) is None


def test_engine_params_are_checked_against_each_engines_own_list():
    piper = make_engine(EngineSettings(params={"temperature": 0.5}), "my-book")
    with pytest.raises(
        SnakebookError, match="'temperature' is not a parameter of the piper engine; it accepts: .*speed"
    ):
        piper.check("en")
    piper = make_engine(EngineSettings(params={"speed": "fast"}), "my-book")
    with pytest.raises(SnakebookError, match="'speed' must be a float"):
        piper.check("en")
    assert make_engine(EngineSettings(params={"speed": 2}), "b").params() == {"speed": 2.0}
    espeak = make_engine(EngineSettings(engine="espeak", params={"speed": 1.5, "pitch": 40}), "b")
    assert espeak.params() == {"speed": 1.5, "pitch": 40}


def test_unsupported_language_is_a_planning_error_naming_book_language_and_who_speaks_it():
    with pytest.raises(SnakebookError) as caught:
        plan_checks({"engine": "piper"}, {"language": "ru"}, "anna-karenina")
    message = str(caught.value)
    assert message.startswith("anna-karenina: the book's language is 'ru'")
    assert "Piper voice" in message and "speaks only 'en'" in message
    assert "espeak: voice 'ru'" in message  # espeak-ng speaks it
    assert "coqui: an XTTS-v2 model ('ru'" in message


def test_a_language_nothing_speaks_says_so():
    with pytest.raises(SnakebookError, match="the book's language is 'tlh'") as caught:
        plan_checks({"engine": "espeak"}, {"language": "tlh"}, "klingon-poems")
    assert "espeak-ng has no voice for it" in str(caught.value)
    assert "espeak:" not in str(caught.value).split("Engines and voices")[1]


def test_espeak_language_check_uses_espeak_ng_voices():
    from snakebook.engines.espeak import voice_for_language

    assert voice_for_language("en") == "en-gb"  # espeak-ng's own preference for plain "en"
    assert voice_for_language("en-US") == "en-us"
    assert voice_for_language("pt-BR") == "pt-br" and voice_for_language("fr-CA") == "fr-fr"
    assert voice_for_language("ru-RU") == "ru"
    plan_checks({"engine": "espeak"}, {"language": "en"}, "en-book")
    plan_checks({"engine": "espeak"}, {"language": "ar"}, "ar-book")
    plan_checks({"engine": "espeak"}, {"language": "fr-FR"}, "fr-book")
    plan_checks({"engine": "espeak", "voice": "en-us+f3"}, {"language": "en"}, "voice-variant")
    with pytest.raises(SnakebookError, match="espeak-ng could not speak with voice 'nonexistent'"):
        plan_checks({"engine": "espeak", "voice": "nonexistent"}, {"language": "en"}, "b")


def test_coqui_not_installed_stops_planning_with_the_install_command(monkeypatch, tmp_path):
    monkeypatch.setattr(coqui_module.importlib.util, "find_spec", lambda name: None)
    settings = {"engine": "coqui", "model": str(fake_xtts_folder(tmp_path / "xtts")), "speaker_wav": []}
    with pytest.raises(SnakebookError) as caught:
        plan_checks(settings, {"language": "en"}, "my-book")
    message = str(caught.value)
    assert message.startswith("my-book: engine: coqui needs the optional Coqui TTS install")
    assert "torch, TTS, torchaudio, torchcodec are not installed" in message
    assert "`make coqui`" in message and "pip install -c envs/coqui.txt -r envs/coqui.txt" in message


def test_coqui_model_name_is_resolved_only_from_the_local_cache(monkeypatch, tmp_path, coqui_installed):
    monkeypatch.setenv("TTS_HOME", str(tmp_path / "home"))
    with pytest.raises(SnakebookError) as caught:
        plan_checks({"engine": "coqui", "model": "tts_models/en/ljspeech/vits"}, {"language": "en"}, "b")
    message = str(caught.value)
    assert "'tts_models/en/ljspeech/vits' is not in the local model cache" in message
    assert str(tmp_path / "home" / "tts") in message and "never downloads" in message
    cached = tmp_path / "home" / "tts" / "tts_models--en--ljspeech--vits"
    cached.mkdir(parents=True)
    (cached / "config.json").write_text(json.dumps({"model": "vits", "audio": {"sample_rate": 22050}}))
    (cached / "model_file.pth").write_bytes(b"x")
    for name in ("tts_models/en/ljspeech/vits", "vits"):
        engine = make_engine(EngineSettings(engine="coqui", model=name), "b")
        engine.check("en-GB")
        assert engine.folder == cached and engine.checkpoint_path.name == "model_file.pth"
    with pytest.raises(SnakebookError, match="'tts_models--en--ljspeech--vits' speaks en"):
        plan_checks({"engine": "coqui", "model": "vits"}, {"language": "de"}, "b")


def test_coqui_folder_checks(tmp_path, coqui_installed):
    with pytest.raises(SnakebookError, match="engine: coqui needs `model:`"):
        plan_checks({"engine": "coqui"}, {"language": "en"}, "b")
    with pytest.raises(SnakebookError, match="folder '/no/such/folder' does not exist"):
        plan_checks({"engine": "coqui", "model": "/no/such/folder"}, {"language": "en"}, "b")
    folder = fake_xtts_folder(tmp_path / "xtts", ["en", "de", "zh-cn", "ja"])
    with pytest.raises(SnakebookError, match="XTTS model needs a voice: `speaker_wav:`"):
        plan_checks({"engine": "coqui", "model": str(folder)}, {"language": "en"}, "b")
    with pytest.raises(SnakebookError, match="reference WAV '/no/ref.wav'"):
        plan_checks({"engine": "coqui", "model": str(folder), "speaker_wav": "/no/ref.wav"}, {"language": "en"}, "b")
    ref = tmp_path / "ref.wav"
    ref.write_bytes(b"RIFF")
    settings = {"engine": "coqui", "model": str(folder), "speaker_wav": [str(ref)]}
    plan_checks(settings, {"language": "zh-CN"}, "b")
    with pytest.raises(SnakebookError, match="the book's language is 'fr'.*speaks en, de, zh-cn, ja"):
        plan_checks(settings, {"language": "fr"}, "b")
    with pytest.raises(
        SnakebookError, match="'top_q' is not a parameter of the coqui engine; it accepts: length_penalty"
    ):
        plan_checks({**settings, "engine_params": {"top_q": 1}}, {"language": "en"}, "b")
    (folder / "vocab.json").unlink()
    with pytest.raises(SnakebookError, match="has no vocab.json"):
        plan_checks(settings, {"language": "en"}, "b")


def test_xtts_input_limits_per_language(tmp_path):
    engine = make_engine(EngineSettings(engine="coqui", model=str(fake_xtts_folder(tmp_path / "x"))), "b")
    assert engine.max_chars("en") == 250
    assert engine.max_chars("zh-cn") == 82 and engine.max_chars("ja") == 71 and engine.max_chars("ko") == 95
    assert engine.sample_rate == 24000


def test_which_jobs_ask_for_a_gpu():
    assert uses_gpu({"engine": "coqui", "device": "cuda"})
    assert uses_gpu({"engine": "coqui", "device": "auto"})
    assert not uses_gpu({"engine": "coqui", "device": "cpu"})
    assert not uses_gpu({"engine": "piper"})
    assert uses_gpu({"engine": "piper", "device": "cuda"})
    assert not uses_gpu({"engine": "espeak", "device": "cuda"})


class _Probe(Engine):
    name = "probe"

    def check(self, language):
        pass

    sample_rate = 16000

    def identity(self):
        return {}

    def load(self, threads=1, device=None):
        pass

    def synthesize(self, text):
        raise NotImplementedError


def test_device_cuda_without_a_gpu_is_an_error_and_auto_falls_back_with_a_warning(monkeypatch, caplog):
    monkeypatch.setenv("SNAKEBOOK_GPUS", "")  # no GPU visible, whatever the machine has
    engine = _Probe(EngineSettings(device="cuda"), "my-book")
    with pytest.raises(
        SnakebookError, match="my-book: device: cuda was asked for the probe engine but no GPU is visible"
    ):
        engine.resolve_device(None, lambda: True, "get a GPU.")
    with caplog.at_level(logging.WARNING, logger="snakebook"):
        assert engine.resolve_device("auto", lambda: True, "x") == "cpu"
    assert "device: auto, but no GPU is visible to this job; running probe on the CPU" in caplog.text
    assert engine.resolve_device("cpu", lambda: True, "x") == "cpu"
    with pytest.raises(SnakebookError, match="device 'tpu' is not one of: cpu, cuda, auto"):
        _Probe(EngineSettings(device="tpu"), "b").check_device()
