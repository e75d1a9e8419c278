"""What the workflow needs from a book's settings: light checks while planning, the voice check in a job.

Planning (building the job graph) only validates settings and names outputs: no model is loaded, no engine
process is started (see tests/bench/bench_planning.py). Whether a book's voice can speak its language is
checked by the ``check_book`` job (:func:`check_book`), so a bad book fails alone while the others go on.
"""

from __future__ import annotations

from .engines import EngineSettings, engine_class, make_engine
from .errors import SnakebookError
from .settings import BookSettings, VoiceSettings, make_book


def as_book(settings: BookSettings | dict, book: str | None = None) -> BookSettings:
    if isinstance(settings, BookSettings):
        return settings
    values = dict(settings)
    path = values.pop("path", "")
    name = values.pop("name", None) or book or ""
    return make_book(path, name, values, {})


def book_language(settings: BookSettings | dict, info: dict | None) -> str | None:
    language = settings.language if isinstance(settings, BookSettings) else settings.get("language")
    return language or (info or {}).get("language")


def sound_settings(book: BookSettings, info: dict | None = None) -> dict:
    """The synthesis job's params: everything that changes a chapter's sound, as plain data."""
    return book.sound(book_language(book, info))


def voice_settings(book: BookSettings, info: dict | None = None) -> EngineSettings:
    language = book_language(book, info)
    return book.voice_for(language).engine_settings(language)


def uses_gpu(settings: BookSettings | dict, info: dict | None = None) -> bool:
    engine_settings = voice_settings(as_book(settings), info)
    return engine_class(engine_settings.engine).uses_gpu(engine_settings)


def check_settings(book: BookSettings) -> None:
    """Planning-time checks of one book's voice settings: engine known, engine_params names and types.

    Light: reads no model file and starts no process (engines whose parameters depend on the model, such as
    Coqui, are checked by the ``check_book`` job instead).
    """
    for voice in [
        book.voice_settings,
        *(book.voice_settings.for_language(book.config.get("voices"), tag) for tag in book.config.get("voices") or {}),
    ]:
        cls = engine_class(voice.engine)
        accepted = getattr(cls, "PARAMS", {})  # Coqui: a property (depends on the model), checked later
        if not isinstance(accepted, dict):
            continue
        for name in voice.engine_params:
            if name not in accepted:
                raise SnakebookError(
                    f"engine_params '{name}' is not a parameter of the {voice.engine} engine; it "
                    f"accepts: {', '.join(sorted(accepted)) or 'none'}.",
                    book.name,
                )


def voice_plan(book: BookSettings, info: dict | None = None) -> dict:
    """The check_book job's params (plain data): the book's voice and its language override.

    With ``info`` (book.json) the voice is resolved for the book's language here, so the params hold only
    what speaks this book (another language's entry in `voices:` does not re-run its check); without it
    they carry `voices:` and the job resolves the voice itself.
    """
    language = book_language(book, info) if info else None
    voice = book.voice_for(language) if language else book.voice_settings
    return {
        "voice": {k: getattr(voice, k) for k in voice.__dataclass_fields__},
        "language": book.language,
        "book_language": language,
        "voices": {} if language else dict(book.config.get("voices") or {}),
    }


def check_book(settings: BookSettings | dict, info: dict, book: str) -> dict:
    """Raise SnakebookError if this book cannot be spoken as configured (language, model files, voice).

    ``settings``: the book's settings, or its :func:`voice_plan`. Runs in the ``check_book`` job (it may read
    a voice's files or start espeak-ng); returns what the book will be spoken with (results/{book}/voice.json).
    """
    if isinstance(settings, dict) and "voices" in settings and "voice" in settings:
        plan = settings
    else:
        plan = voice_plan(as_book(settings, book))
    language = plan["language"] or (info or {}).get("language")
    voice = VoiceSettings(**plan["voice"]).for_language(plan["voices"], language)
    engine_settings = voice.engine_settings(language)
    engine = make_engine(engine_settings, book)
    engine.check(language)
    return {
        "book": book,
        "language": language,
        "engine": engine_settings.engine,
        "model": engine_settings.model,
        "voice": engine_settings.voice,
        "speaker": engine_settings.speaker,
        "speaker_wav": engine_settings.speaker_wav,
        "device": engine_settings.device,
        "engine_params": engine_settings.params,
        "sample_rate": engine.sample_rate,
    }


plan_checks = check_book  # the old name
