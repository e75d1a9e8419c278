"""Coqui TTS (the coqui-tts package): XTTS-v2 with built-in or cloned voices, and any other Coqui model.

``model:`` is either a local model folder or a Coqui model name:

- a folder (or its ``model.pth``) with ``config.json`` beside it. When ``config.json`` says ``"model": "xtts"``
  the folder is an XTTS-v2 model in the standard layout (``config.json``, ``model.pth``, ``vocab.json`` and,
  for built-in speakers, ``speakers_xtts.pth``); anything else (VITS, Glow-TTS, Tacotron2, YourTTS, ...) is
  loaded with coqui-tts's own ``TTS(model_path=..., config_path=...)``.
- a model name such as ``tts_models/multilingual/multi-dataset/xtts_v2`` (or just ``xtts_v2``): looked up
  only in the local Coqui model cache (``$TTS_HOME/tts``, ``$XDG_DATA_HOME/tts`` or ``~/.local/share/tts``).
  Nothing is ever downloaded; a model that is not there is a planning-time error.

XTTS voices: ``speaker_wav:`` (one or more reference WAVs) clones a voice, computed once per job;
otherwise ``speaker:`` names one of the model's built-in speakers. Inputs are kept within XTTS's
per-language limits (250 characters for English, fewer for Chinese, Japanese, Korean...).

engine_params: XTTS ``temperature``, ``top_k``, ``top_p``, ``length_penalty``, ``repetition_penalty``,
``speed``; other models ``speed`` (divides ``length_scale``), ``length_scale``, ``noise_scale``,
``noise_scale_dp`` where the model has them (VITS, Glow-TTS).

Devices: ``device: cuda`` runs on the job's pinned GPU (see :mod:`snakebook.gpu`) and is an error without one;
``device: auto`` asks the scheduler for a GPU and falls back to the CPU with a warning; ``device: cpu``
never asks for a GPU. torch and coqui-tts are optional (``make coqui``) and imported only when loading.
"""

from __future__ import annotations

import importlib.util
import json
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..language import FALLBACK, normalise_tag
from .base import Engine, file_fingerprint, primary_language

INSTALL_COMMAND = "make coqui"
INSTALL_DETAIL = ".venv/bin/pip install -c envs/coqui.txt -r envs/coqui.txt"
CHECKPOINT_NAMES = ("model.pth", "model_file.pth", "best_model.pth", "checkpoint.pth")

# XTTS-v2 input limits per language, in characters (coqui-tts's VoiceBpeTokenizer.char_limits); longer
# inputs are cut by the tokenizer with a warning, so sentences are split below these.
XTTS_CHAR_LIMITS = {
    "en": 250,
    "de": 253,
    "fr": 273,
    "es": 239,
    "it": 213,
    "pt": 203,
    "pl": 224,
    "zh": 82,
    "ar": 166,
    "cs": 186,
    "ru": 182,
    "nl": 251,
    "tr": 226,
    "ja": 71,
    "hu": 224,
    "ko": 95,
    "hi": 150,
}
XTTS_LANGUAGES = (
    "en",
    "es",
    "fr",
    "de",
    "it",
    "pt",
    "pl",
    "tr",
    "ru",
    "nl",
    "cs",
    "ar",
    "zh-cn",
    "hu",
    "ko",
    "ja",
    "hi",
)
XTTS_PARAMS = {
    "temperature": float,
    "top_k": int,
    "top_p": float,
    "length_penalty": float,
    "repetition_penalty": float,
    "speed": float,
}
MODEL_PARAMS = {"speed": float, "length_scale": float, "noise_scale": float, "noise_scale_dp": float}


def coqui_missing() -> list[str]:
    """The Python packages of the Coqui set that are not importable here."""
    return [name for name in ("torch", "TTS", "torchaudio", "torchcodec") if importlib.util.find_spec(name) is None]


def coqui_cache_dir() -> Path:
    """Where coqui-tts keeps downloaded models (its ``get_user_data_dir("tts")`` on Linux)."""
    if os.environ.get("TTS_HOME"):
        return Path(os.environ["TTS_HOME"]).expanduser() / "tts"
    if os.environ.get("XDG_DATA_HOME"):
        return Path(os.environ["XDG_DATA_HOME"]).expanduser() / "tts"
    return Path("~/.local/share/tts").expanduser()


def cached_model_folder(name: str) -> Path | None:
    """The cache folder of a Coqui model name (``tts_models/en/ljspeech/vits`` or just ``vits``), if present."""
    cache = coqui_cache_dir()
    full = name.strip("/").replace("/", "--")
    if (cache / full).is_dir():
        return cache / full
    if cache.is_dir():
        matches = sorted(p for p in cache.iterdir() if p.is_dir() and p.name.endswith("--" + full))
        if len(matches) == 1:
            return matches[0]
    return None


def xtts_language(language: str | None, languages: list[str]) -> str | None:
    """The XTTS language code for a book language (``zh-CN`` and ``zh`` -> ``zh-cn``), if the model has it."""
    tag = (normalise_tag(language) or FALLBACK).lower()  # XTTS codes are lower case: zh-cn
    primary = primary_language(tag)
    for candidate in (tag, primary):
        if candidate in languages:
            return candidate
    return next((code for code in languages if primary_language(code) == primary), None)


@lru_cache(maxsize=8)
def _speaker_names(path: str, mtime_ns: int) -> tuple[str, ...]:
    import torch

    return tuple(torch.load(path, map_location="cpu", weights_only=True))


def speaker_names(path: Path) -> tuple[str, ...]:
    if path.suffix == ".json":
        return tuple(json.loads(path.read_text(encoding="utf-8")))
    return _speaker_names(str(path), path.stat().st_mtime_ns)


class CoquiEngine(Engine):
    name = "coqui"

    def __init__(self, settings, book=None):
        super().__init__(settings, book)
        self._folder: Path | None = None
        self._config: dict | None = None
        self._language: str | None = settings.language
        self._model = None  # Xtts, or coqui-tts's TTS api object
        self._voice = None  # XTTS: (gpt_cond_latent, speaker_embedding)
        self._device = "cpu"

    @classmethod
    def language_support(cls, language: str | None) -> str | None:
        code = xtts_language(language, list(XTTS_LANGUAGES))
        note = "" if not coqui_missing() else f", after `{INSTALL_COMMAND}`"
        return f"an XTTS-v2 model ('{code}'{note})" if code else None

    # --- the model folder -------------------------------------------------------
    @property
    def PARAMS(self) -> dict:  # base.Engine.PARAMS, which for Coqui depends on the model kind
        return XTTS_PARAMS if self.is_xtts else MODEL_PARAMS

    @property
    def folder(self) -> Path:
        if self._folder is None:
            name = self.settings.model or self.settings.voice
            if not name:
                raise self.error(
                    "engine: coqui needs `model:`, a Coqui model folder (config.json + model.pth) or the name of a "
                    "model already in the local Coqui model cache (e.g. tts_models/multilingual/multi-dataset/xtts_v2)."
                )
            path = Path(name).expanduser()
            if path.is_file() and path.suffix == ".pth":
                path = path.parent
            if not path.exists():
                cached = cached_model_folder(name)
                if cached is None:
                    looks_like_path = os.sep in name.strip("/") and not name.startswith(
                        ("tts_models/", "vocoder_models/")
                    )
                    if looks_like_path:
                        raise self.error(f"the Coqui model folder '{name}' does not exist.")
                    raise self.error(
                        f"the Coqui model '{name}' is not in the local model cache ({coqui_cache_dir()}); snakebook never "
                        "downloads models. Download it once where there is network (e.g. `tts --model_name "
                        f"{name} --list_speaker_idxs`), copy its folder into the cache, or set `model:` to a local model folder."
                    )
                path = cached
            self._folder = path
        return self._folder

    @property
    def config_path(self) -> Path:
        return self.folder / "config.json"

    @property
    def checkpoint_path(self) -> Path:
        for name in CHECKPOINT_NAMES:
            if (self.folder / name).is_file():
                return self.folder / name
        raise self.error(f"the Coqui model folder '{self.folder}' has no model.pth.")

    @property
    def config(self) -> dict:
        if self._config is None:
            if not self.config_path.is_file():
                raise self.error(f"the Coqui model folder '{self.folder}' has no config.json.")
            try:
                self._config = json.loads(self.config_path.read_text(encoding="utf-8"))
            except ValueError as error:
                raise self.error(f"'{self.config_path}' is not valid JSON ({error}).") from None
        return self._config

    @property
    def is_xtts(self) -> bool:
        return str(self.config.get("model", "")).lower() == "xtts"

    def _xtts_file(self, key: str, default: str) -> Path:
        named = (self.config.get("model_args") or {}).get(key)
        candidate = self.folder / default
        if not candidate.is_file() and named and Path(named).is_file():
            return Path(named)
        return candidate

    @property
    def vocab_path(self) -> Path:
        return self._xtts_file("tokenizer_file", "vocab.json")

    @property
    def speakers_path(self) -> Path | None:
        if self.is_xtts:
            path = self.folder / "speakers_xtts.pth"
            return path if path.is_file() else None
        for name in ("speakers.pth", "speakers.json", "speaker_ids.json"):
            if (self.folder / name).is_file():
                return self.folder / name
        return None

    def model_languages(self) -> list[str] | None:
        """The languages the model speaks, or None when its folder does not say."""
        config = self.config
        languages = config.get("languages")
        if isinstance(languages, list) and languages:
            return [str(code).lower() for code in languages]
        if self.is_xtts:
            return list(XTTS_LANGUAGES)
        if isinstance(languages, dict) and languages:  # language_ids
            return [str(code).lower() for code in languages]
        parts = self.folder.name.split("--")  # cache folders: tts_models--en--ljspeech--vits
        if len(parts) == 4 and parts[0] == "tts_models" and parts[1] != "multilingual":
            return [parts[1].lower()]
        if config.get("use_phonemes") and config.get("phoneme_language"):
            return [primary_language(config["phoneme_language"])]
        cleaner = str(config.get("text_cleaner") or "")
        if cleaner.startswith("english"):
            return ["en"]
        return None

    def model_language(self, language: str | None) -> str | None:
        """The model's own code for ``language`` (``zh`` -> ``zh-cn``); None when the folder does not say."""
        languages = self.model_languages()
        return xtts_language(language, languages) if languages else None

    # --- planning time ------------------------------------------------------------
    def check(self, language: str | None) -> None:
        self.check_device()
        missing = coqui_missing()
        if missing:
            raise self.error(
                f"engine: coqui needs the optional Coqui TTS install, and {', '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} not installed in this environment. Install it with "
                f"`{INSTALL_COMMAND}` (which runs `{INSTALL_DETAIL}`), or choose engine: piper or espeak."
            )
        self._language = language or self._language
        self.checkpoint_path  # noqa: B018 - raises when absent
        self.params()
        languages = self.model_languages()
        if languages is not None:
            wanted = language or "en"
            if xtts_language(wanted, languages) is None:
                raise self.unsupported_language(
                    wanted, f"the Coqui model '{self.folder.name}' speaks {', '.join(languages)}"
                )
        if self.is_xtts:
            if not self.vocab_path.is_file():
                raise self.error(f"the XTTS model folder '{self.folder}' has no vocab.json.")
        self._check_voice()

    def _check_voice(self) -> None:
        for wav in self.settings.speaker_wav:
            if not Path(wav).expanduser().is_file():
                raise self.error(f"the reference WAV '{wav}' (speaker_wav) does not exist.")
        speaker = self.settings.speaker
        if self.settings.speaker_wav:
            return
        path = self.speakers_path
        if speaker in (None, ""):
            if self.is_xtts:
                hint = f" (built-in speakers: {self._speaker_list(path)})" if path else ""
                raise self.error(
                    "an XTTS model needs a voice: `speaker_wav:` with one or more reference WAVs to clone, or "
                    f"`speaker:` naming a built-in speaker{hint}."
                )
            return  # single-speaker models, and multi-speaker ones checked when loaded
        if path is None:
            if self.is_xtts:
                raise self.error(
                    f"speaker '{speaker}' was asked for, but the XTTS model folder '{self.folder}' has no speakers_xtts.pth; "
                    "use `speaker_wav:` to clone a voice instead."
                )
            return
        names = speaker_names(path)
        if str(speaker) not in names:
            raise self.error(
                f"the Coqui model '{self.folder.name}' has no speaker '{speaker}'; it has: {self._speaker_list(path)}."
            )

    @staticmethod
    def _speaker_list(path: Path) -> str:
        names = speaker_names(path)
        shown = ", ".join(names[:20])
        return shown + (f" and {len(names) - 20} more" if len(names) > 20 else "")

    @property
    def sample_rate(self) -> int:
        audio = self.config.get("audio") or {}
        if self.is_xtts:
            return int(
                audio.get("output_sample_rate")
                or (self.config.get("model_args") or {}).get("output_sample_rate")
                or 24000
            )
        return int(audio.get("sample_rate") or 22050)

    def max_chars(self, language: str | None) -> int:
        if self.is_xtts:
            return XTTS_CHAR_LIMITS.get(primary_language(language or self._language) or "en", 200)
        return 400

    def identity(self) -> dict:
        from importlib.metadata import version

        files = [self.config_path, self.checkpoint_path]
        if self.is_xtts:
            files += [self.vocab_path] + (
                [self.speakers_path] if self.speakers_path and not self.settings.speaker_wav else []
            )
        elif self.speakers_path:
            files.append(self.speakers_path)
        return {
            "engine": self.name,
            "coqui_tts": version("coqui-tts"),
            "files": [file_fingerprint(path) for path in files],
            "speaker": None if self.settings.speaker is None else str(self.settings.speaker),
            "speaker_wav": [file_fingerprint(Path(wav).expanduser()) for wav in self.settings.speaker_wav],
            "language": self.model_language(self._language),
            "params": self.params(),
        }

    # --- run time -------------------------------------------------------------------
    def load(self, threads: int = 1, device: str | None = None) -> None:
        import torch

        torch.set_num_threads(max(1, int(threads)))
        self._device = self.resolve_device(
            device,
            torch.cuda.is_available,
            "coqui needs a CUDA build of torch (the one `make coqui` installs on x86_64) and a visible GPU.",
        )
        if self.is_xtts:
            self._load_xtts()
        else:
            self._load_model()

    def _load_xtts(self) -> None:
        import torch
        from TTS.tts.configs.xtts_config import XttsConfig
        from TTS.tts.models.xtts import Xtts

        config = XttsConfig()
        config.load_json(str(self.config_path))
        model = Xtts(config)
        use_speakers = self.speakers_path if not self.settings.speaker_wav else None
        model.load_checkpoint(
            config,
            checkpoint_dir=str(self.folder),
            checkpoint_path=str(self.checkpoint_path),
            vocab_path=str(self.vocab_path),
            speaker_file_path=str(use_speakers) if use_speakers else None,
            eval=True,
            use_deepspeed=False,
        )
        model.to(self._device)
        with torch.inference_mode():
            if self.settings.speaker_wav:
                latent, embedding = model.get_conditioning_latents(
                    audio_path=[str(Path(wav).expanduser()) for wav in self.settings.speaker_wav],
                    gpt_cond_len=config.gpt_cond_len,
                    gpt_cond_chunk_len=config.gpt_cond_chunk_len,
                    max_ref_length=config.max_ref_len,
                    sound_norm_refs=config.sound_norm_refs,
                )
            else:
                speakers = model.speaker_manager.speakers
                voice = speakers[str(self.settings.speaker)]
                latent, embedding = voice["gpt_cond_latent"], voice["speaker_embedding"]
        self._voice = (latent.to(self._device), embedding.to(self._device))
        self._xtts_config = config
        self._model = model

    def _load_model(self) -> None:
        from TTS.api import TTS

        api = TTS(model_path=str(self.checkpoint_path), config_path=str(self.config_path), progress_bar=False)
        api.to(self._device)
        model = api.synthesizer.tts_model
        params = self.params()
        length_scale = params.get("length_scale")
        if "speed" in params:
            length_scale = (length_scale or getattr(model, "length_scale", 1.0)) / params["speed"]
        for key, value in (
            ("length_scale", length_scale),
            ("inference_noise_scale", params.get("noise_scale")),
            ("inference_noise_scale_dp", params.get("noise_scale_dp")),
        ):
            if value is None:
                continue
            if not hasattr(model, key):
                raise self.error(f"the Coqui model '{self.folder.name}' ({type(model).__name__}) has no {key} to set.")
            setattr(model, key, float(value))
        if api.is_multi_speaker and not self.settings.speaker_wav:
            speakers = [str(name) for name in (api.speakers or [])]
            if self.settings.speaker is None or str(self.settings.speaker) not in speakers:
                raise self.error(
                    f"the Coqui model '{self.folder.name}' has several speakers; choose one with `speaker:` "
                    f"(it has: {', '.join(speakers[:20])}{' ...' if len(speakers) > 20 else ''})."
                )
        output_rate = int(api.synthesizer.output_sample_rate)
        if output_rate != self.sample_rate:
            raise self.error(
                f"the Coqui model '{self.folder.name}' speaks at {output_rate} Hz but its config.json says "
                f"{self.sample_rate} Hz; fix audio.sample_rate in config.json."
            )
        self._model = api

    def reseed(self, seed: int) -> None:
        """Seed the next take. XTTS and VITS sample (sampling, noise), so another seed gives another take:
        snakebook.qa retries a flagged utterance this way and keeps the best. Engines without this method
        are deterministic and are only flagged."""
        import random

        import torch

        random.seed(seed)
        np.random.seed(seed % 2**32)
        torch.manual_seed(seed)

    def synthesize(self, text: str) -> np.ndarray:
        import torch

        with torch.inference_mode():
            if self.is_xtts:
                config = self._xtts_config
                params = self.params()
                latent, embedding = self._voice
                out = self._model.inference(
                    text,
                    self.model_language(self._language),
                    latent,
                    embedding,
                    temperature=params.get("temperature", config.temperature),
                    length_penalty=params.get("length_penalty", config.length_penalty),
                    repetition_penalty=params.get("repetition_penalty", config.repetition_penalty),
                    top_k=params.get("top_k", config.top_k),
                    top_p=params.get("top_p", config.top_p),
                    speed=params.get("speed", 1.0),
                    enable_text_splitting=False,
                )
                wav = out["wav"]
            else:
                api = self._model
                wav = api.tts(
                    text=text,
                    speaker=None
                    if self.settings.speaker is None or self.settings.speaker_wav
                    else str(self.settings.speaker),
                    language=self.model_language(self._language) if api.is_multi_lingual else None,
                    speaker_wav=[str(Path(w).expanduser()) for w in self.settings.speaker_wav] or None,
                    split_sentences=False,
                )
        if isinstance(wav, torch.Tensor):
            wav = wav.detach().cpu().numpy()
        audio = np.asarray(wav, dtype=np.float32).reshape(-1)
        peak = float(np.abs(audio).max()) if audio.size else 0.0
        return audio / peak if peak > 1.0 else audio
