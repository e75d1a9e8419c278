"""The one interface every TTS engine implements."""

from __future__ import annotations

import hashlib
import os
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass
class EngineSettings:
    """What the config says about the voice of one book."""

    engine: str = "piper"
    model: str | None = None
    voice: str | None = None
    speaker: str | int | None = None
    speaker_wav: list[str] = field(default_factory=list)
    language: str | None = None
    device: str = "cpu"  # cpu, cuda, auto
    params: dict = field(default_factory=dict)  # speed, length_scale, temperature, ...

    @classmethod
    def from_config(cls, config: dict) -> "EngineSettings":
        wav = config.get("speaker_wav") or []
        if isinstance(wav, str):
            wav = [wav]
        return cls(
            engine=config.get("engine", "piper"),
            model=config.get("model"),
            voice=config.get("voice"),
            speaker=config.get("speaker"),
            speaker_wav=list(wav),
            language=config.get("language"),
            device=config.get("device", "cpu"),
            params=dict(config.get("engine_params") or {}),
        )


def file_fingerprint(path: str | Path) -> str:
    """Content hash of a model or reference file, cached next to nothing: size+mtime keyed in memory."""
    path = Path(path)
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _FINGERPRINTS:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        _FINGERPRINTS[key] = digest.hexdigest()[:16]
    return _FINGERPRINTS[key]


_FINGERPRINTS: dict = {}


class Engine(ABC):
    """A TTS engine: loaded once per job, then asked for one utterance at a time."""

    name: str = ""

    def __init__(self, settings: EngineSettings, book: str | None = None):
        self.settings = settings
        self.book = book
        self.is_loaded = False

    def ensure_loaded(self, threads: int = 1, device: str | None = None) -> None:
        """Load the model unless this job already did (models load once per job)."""
        if not self.is_loaded:
            self.load(threads=threads, device=device)
            self.is_loaded = True

    # --- planning time (no model loaded) -----------------------------------
    @classmethod
    def uses_gpu(cls, settings: EngineSettings) -> bool:
        """Whether a job with these settings should ask the scheduler for a GPU."""
        return False

    @abstractmethod
    def check(self, language: str | None) -> None:
        """Raise :class:`SnakebookError` if this voice cannot speak ``language`` or a file is missing."""

    @property
    @abstractmethod
    def sample_rate(self) -> int: ...

    def max_chars(self, language: str | None) -> int:
        """Longest input the engine handles well, in characters."""
        return 400

    @abstractmethod
    def identity(self) -> dict:
        """Everything that changes the sound, for the audio cache key."""

    # --- run time -----------------------------------------------------------
    @abstractmethod
    def load(self, threads: int = 1, device: str | None = None) -> None:
        """Load the model once for this job."""

    @abstractmethod
    def synthesize(self, text: str) -> np.ndarray:
        """Speak one utterance: mono float32 samples in [-1, 1] at :attr:`sample_rate`."""

    @staticmethod
    def threads_from_env(default: int = 1) -> int:
        try:
            return max(1, int(os.environ.get("SNAKEBOOK_THREADS", default)))
        except ValueError:
            return default
