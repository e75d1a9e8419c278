"""The one interface every TTS engine implements."""

from __future__ import annotations

import hashlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import SnakebookError
from ..language import primary_subtag

log = logging.getLogger("snakebook")

DEVICES = ("cpu", "cuda", "auto")


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
    def from_config(cls, config: dict) -> EngineSettings:
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


def primary_language(language: str | None) -> str | None:
    """'fr-FR' -> 'fr', 'pt_BR' -> 'pt', None -> None: the part every engine agrees on (:mod:`snakebook.language`)."""
    return primary_subtag(language)


def who_speaks(language: str | None) -> str:
    """Which engines (and voices or models) speak ``language``, for planning-time error messages."""
    from . import ENGINES, engine_class

    found = []
    for name in ENGINES:
        try:
            support = engine_class(name).language_support(language)
        except Exception:  # a broken optional engine must not hide the others
            support = None
        if support:
            found.append(f"{name}: {support}")
    return "; ".join(found) if found else "none of the installed engines"


class Engine(ABC):
    """A TTS engine: loaded once per job, then asked for one utterance at a time."""

    name: str = ""
    #: Whether :meth:`synthesize` reads inline IPA as ``[[ phonemes ]]`` (Piper does). Engines that
    #: don't get a lexicon's replacement spelling instead (see snakebook.text.prepare).
    accepts_phonemes: bool = False
    # engine_params this engine understands, with their types (checked at planning time).
    PARAMS: dict[str, type] = {}

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
        """Whether a job with these settings should ask the scheduler for a GPU (``gpu=1``).

        By default ``device: cuda`` and ``device: auto`` do: auto means "a GPU when there is one", so the job
        asks for one (a local run without ``--resources gpu=N`` does not limit it; on a CPU-only machine it
        runs on the CPU with a warning). Use ``device: cpu`` to run without asking for a GPU.
        """
        return settings.device in ("cuda", "auto")

    @classmethod
    def language_support(cls, language: str | None) -> str | None:
        """What of this engine speaks ``language`` (a phrase for error messages), or None."""
        return None

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

    # --- shared helpers -----------------------------------------------------
    def error(self, message: str) -> SnakebookError:
        return SnakebookError(message, self.book)

    def unsupported_language(self, language: str | None, problem: str) -> SnakebookError:
        """The planning-time error for a book whose language this voice cannot speak.

        ``problem`` says what is wrong, e.g. "the Piper voice 'x.onnx' speaks only 'en'".
        """
        return self.error(
            f"the book's language is '{language}', but {problem}. "
            f"Engines and voices that speak '{primary_language(language)}': {who_speaks(language)}. "
            "Choose one for this book (`engine:`, `voice:` or `model:` in its `books` entry), or set `language:` "
            "if the book's language was detected wrongly."
        )

    def params(self) -> dict:
        """The engine_params, checked against :attr:`PARAMS` (unknown keys and wrong types are errors)."""
        checked = {}
        for key, value in (self.settings.params or {}).items():
            if key not in self.PARAMS:
                accepted = ", ".join(sorted(self.PARAMS)) or "none"
                raise self.error(
                    f"engine_params '{key}' is not a parameter of the {self.name} engine; it accepts: {accepted}."
                )
            kind = self.PARAMS[key]
            try:
                if kind is bool:
                    ok = isinstance(value, bool)
                    checked[key] = value
                else:
                    ok = not isinstance(value, bool)
                    checked[key] = kind(value)
            except (TypeError, ValueError):
                ok = False
            if not ok:
                raise self.error(f"engine_params '{key}' must be a {kind.__name__}, not {value!r}.")
        return checked

    def check_device(self) -> None:
        if self.settings.device not in DEVICES:
            raise self.error(f"device '{self.settings.device}' is not one of: {', '.join(DEVICES)}.")

    def resolve_device(self, requested: str | None, cuda_available: Callable[[], bool], fix: str) -> str:
        """'cpu' or 'cuda' for this job, pinning one GPU (see :mod:`snakebook.gpu`) when a GPU is wanted.

        ``device: cuda`` without a usable GPU is an error (``fix`` says how to get one); ``device: auto``
        falls back to the CPU with a warning.
        """
        from ..gpu import claim_gpu, release_gpu

        requested = (requested or self.settings.device or "cpu").lower()
        if requested == "cpu":
            return "cpu"
        slot = claim_gpu()
        if slot is not None and cuda_available():
            return "cuda"
        why = "no GPU is visible to this job" if slot is None else f"GPU {slot.device} is not usable from {self.name}"
        release_gpu()
        if requested == "cuda":
            raise self.error(
                f"device: cuda was asked for the {self.name} engine but {why}; {fix} Or use device: auto or cpu."
            )
        log.warning("%s: device: auto, but %s; running %s on the CPU", self.book or "snakebook", why, self.name)
        return "cpu"
