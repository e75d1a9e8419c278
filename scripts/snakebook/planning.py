"""Checks and settings the workflow needs while planning, before any synthesis."""

from __future__ import annotations

from .engines import EngineSettings, engine_class, make_engine

# Settings that change what a chapter sounds like (its synthesis params).
SOUND_KEYS = ("engine", "model", "voice", "speaker", "speaker_wav", "device", "engine_params", "lexicon")


def book_language(settings: dict, info: dict | None) -> str | None:
    return settings.get("language") or (info or {}).get("language")


def sound_settings(settings: dict, config: dict) -> dict:
    sound = {key: settings.get(key) for key in SOUND_KEYS}
    sound["pauses"] = dict(config.get("pauses") or {})
    sound["text"] = dict(config.get("text") or {})
    sound["language"] = settings.get("language")
    return sound


def uses_gpu(settings: dict) -> bool:
    engine_settings = EngineSettings.from_config(settings)
    return engine_class(engine_settings.engine).uses_gpu(engine_settings)


def plan_checks(settings: dict, info: dict, book: str) -> None:
    """Raise SnakebookError if this book cannot be spoken as configured (language, model files)."""
    engine = make_engine(EngineSettings.from_config(settings), book)
    engine.check(book_language(settings, info))
