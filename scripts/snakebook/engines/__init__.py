"""TTS engines behind one interface (:class:`Engine`), chosen by the ``engine`` config key.

An engine is added by writing one module and one line in :data:`ENGINES`.
"""

from __future__ import annotations

from importlib import import_module

from ..errors import SnakebookError
from .base import Engine, EngineSettings

ENGINES: dict[str, tuple[str, str]] = {
    "piper": ("piper", "PiperEngine"),
    "coqui": ("coqui", "CoquiEngine"),
    "espeak": ("espeak", "EspeakEngine"),
}


def engine_class(name: str) -> type[Engine]:
    if name not in ENGINES:
        raise SnakebookError(f"unknown engine '{name}'; choose one of: {', '.join(sorted(ENGINES))}.")
    module_name, class_name = ENGINES[name]
    return getattr(import_module(f"{__name__}.{module_name}"), class_name)


def make_engine(settings: EngineSettings, book: str | None = None) -> Engine:
    return engine_class(settings.engine)(settings, book)


__all__ = ["Engine", "EngineSettings", "ENGINES", "engine_class", "make_engine"]
