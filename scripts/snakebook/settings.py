"""A book's settings: the one typed definition, and the checks every config goes through.

HOW TO ADD A KEY (one field = one line; tests/test_settings.py fails when this file and the schema drift):

* A key a book can set (in its ``books`` entry or a ``config/books.tsv`` column): add one line to
  :class:`BookSettings`, ``my_key: int | None = key(None, "what it does", view="output", scope="both")``
  (``scope="both"``: also a global default at the top level of the config; ``"book"``: per book only), then
  the same key in ``config/schema.yaml`` under ``definitions/book_keys`` and in the ``books`` entry's
  ``properties`` (plus top-level ``properties`` when scope is "both", and a default in ``config/config.yaml``).
  Read it from the typed view it belongs to (``book.voice_settings``, ``book.text``, ``book.pauses``,
  ``book.output``, ``book.extract``), adding the field to that view's dataclass when it has one.
* A key of a global section (``pauses``, ``text``, ``output``, ``synthesis``, ...): add a field to the section's
  dataclass below (:class:`OutputSettings`, ...) and the property in the section's schema.
* A new top-level key: add it to ``config/schema.yaml``'s ``properties`` (unknown top-level keys are an error).

Command-line values arrive as strings for nested keys (``--config 'pauses={sentence: 500}'``);
:func:`coerce` converts them by the schema's types before validation.
"""

from __future__ import annotations

import copy
import difflib
import logging
from dataclasses import asdict, dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import SnakebookError
from .fileio import load_yaml

log = logging.getLogger("snakebook")

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "config" / "schema.yaml"


def key(default: Any, doc: str, *, view: str, scope: str = "both") -> Any:
    """One settings field: its default, what it does, the typed view it belongs to, where it may be set."""
    if isinstance(default, (list, dict)):
        return field(
            default_factory=lambda: copy.deepcopy(default), metadata={"doc": doc, "view": view, "scope": scope}
        )
    return field(default=default, metadata={"doc": doc, "view": view, "scope": scope})


# --------------------------------------------------------------------------- global sections
@dataclass(frozen=True)
class PauseSettings:
    """``pauses:`` silence lengths in milliseconds."""

    sentence: int = 350
    clause: int = 150  # between the pieces of a sentence too long for the engine in one go
    line: int = 250
    paragraph: int = 700
    heading: int = 900
    scene_break: int = 1500
    before_title: int = 500
    after_title: int = 1200
    chapter_end: int = 1500

    @classmethod
    def from_config(cls, config: dict | None) -> PauseSettings:
        """The pauses of a ``pauses:`` mapping (as it reaches a job's params); unknown keys are left out."""
        config = config or {}
        return cls(**{name: int(value) for name, value in config.items() if name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class TextSettings:
    """``text:`` switches of text preparation, plus the lexicons (global ``lexicon`` and the book's own)."""

    normalise: bool = True
    urls: str = "brief"  # brief: "gutenberg dot org"; skip: drop them; full: read them out
    acronyms: str = "spell"  # spell: "BBC" -> "B B C"; keep: leave them to the engine
    caps: bool = True  # ALL-CAPS words that are words ("GEORGIA, a state") -> "Georgia"
    roman_numerals: bool = True

    lexicon: dict | str | list | None = None  # the global `lexicon` key
    book_lexicon: dict | str | list | None = None  # the book entry's own `lexicon` (wins over the global one)

    @classmethod
    def from_config(cls, config: dict | None) -> TextSettings:
        """The switches of a ``text:`` mapping (as it reaches a job's params), without the lexicons.

        Text preparation keys its cached rule set on these switches (hashable); lexicons go their own way.
        """
        config = config or {}
        return cls(**{name: config[name] for name in TEXT_SWITCHES if name in config})


TEXT_SWITCHES = ("normalise", "urls", "acronyms", "caps", "roman_numerals")


@dataclass(frozen=True)
class OutputSettings:
    """``output:`` what the finished audiobook is (snakebook.audio); ``bitrate``/``formats`` may be set per book."""

    formats: list | None = None  # m4b, mp3, opus, flac, wav; None: [format]
    format: str = "m4b"  # the older single-format key
    bitrate: str = "64k"  # AAC bitrate of the m4b (output.m4b.bitrate wins)
    per_chapter: bool = False
    loudness: dict | None = field(default_factory=lambda: {"target": -19.0, "true_peak": -1.5})
    m4b: dict | None = None  # per format: bitrate, sample_rate, channels
    mp3: dict | None = None
    opus: dict | None = None
    flac: dict | None = None
    wav: dict | None = None
    layout: str | None = None  # audiobookshelf
    library: str = "results/library"

    @property
    def format_list(self) -> list[str]:
        return list(self.formats or [self.format])

    def format_options(self, name: str) -> dict:
        """One format's encoding settings (the m4b's bitrate defaults to ``bitrate``)."""
        options = dict(getattr(self, name, None) or {})
        if name == "m4b" and not options.get("bitrate"):
            options["bitrate"] = self.bitrate
        return options


@dataclass(frozen=True)
class SynthesisSettings:
    """``synthesis:`` resources of one synthesis job."""

    threads: int = 1
    mem_mb: int = 2000
    part_chars: int = 20000  # longer chapters: several jobs over sentence ranges (snakebook.parts); 0: never
    share: bool = True  # jobs help each other through the cache (snakebook.sharing); never changes the audio


@dataclass(frozen=True)
class QaSettings:
    """``qa:`` the audio checks of every utterance (snakebook.qa); defaults from tests/bench/bench_qa.py."""

    enabled: bool = True
    retries: int = 2  # extra takes of a flagged utterance (engines whose output varies only)
    fail_on: str = "never"  # never: flags warn | error: hard-limit flags fail the chapter | warning: any flag does
    min_rate: float = 6.0  # letters per second of voiced audio below this: far too long for the text
    max_rate: float = 40.0  # above this: far too short for the text (truncated)
    rate_ratio: float = 1.7  # a rate this many times above or below the book's median is an outlier
    rate_min_letters: int = 20  # rate checks apply to utterances with at least this many letters
    max_pause: float = 2.0  # seconds of silence inside an utterance
    max_edge_silence: float = 2.0  # seconds of silence before or after the voice
    min_peak_dbfs: float = -30.0  # a quieter peak is near-silent output
    max_clipped: float = 0.001  # fraction of samples at full scale
    max_flatness: float = 0.3  # spectral flatness above this is noise or babble, not speech


SECTIONS: dict[str, type] = {
    "pauses": PauseSettings,
    "text": TextSettings,
    "output": OutputSettings,
    "synthesis": SynthesisSettings,
    "qa": QaSettings,
}

VOICE_KEYS = ("engine", "model", "voice", "speaker", "speaker_wav", "device", "engine_params")


def section(name: str, config: dict, **overrides) -> Any:
    """The typed view of a global section; keys the dataclass does not know are kept out (the schema has them)."""
    cls = SECTIONS[name]
    known = {f.name for f in fields(cls)}
    values = {k: v for k, v in (config.get(name) or {}).items() if k in known}
    values.update({k: v for k, v in overrides.items() if v is not None})
    return cls(**values)


# --------------------------------------------------------------------------- typed views of one book
@dataclass(frozen=True)
class VoiceSettings:
    """Who speaks a book: engine and voice keys, after per-book overrides (and `voices:` by language)."""

    engine: str = "piper"
    model: str | None = None
    voice: str | None = None
    speaker: str | int | None = None
    speaker_wav: list[str] = field(default_factory=list)
    language: str | None = None
    device: str = "cpu"
    engine_params: dict = field(default_factory=dict)
    own: bool = False  # the book's entry chose its voice itself (then `voices:` does not apply)

    def engine_settings(self, language: str | None = None):
        from .engines.base import EngineSettings

        return EngineSettings(
            engine=self.engine,
            model=self.model,
            voice=self.voice,
            speaker=self.speaker,
            speaker_wav=list(self.speaker_wav),
            language=language or self.language,
            device=self.device,
            params=dict(self.engine_params),
        )

    def for_language(self, voices: dict | None, language: str | None) -> VoiceSettings:
        """The voice for a book in ``language``: its own if it chose one, else ``voices[language]``
        (exact tag, then primary subtag), else this (the global default)."""
        if self.own or not voices or not language:
            return self
        from .language import normalise_tag, primary_subtag

        table = {normalise_tag(tag) or str(tag): value for tag, value in voices.items()}
        tag = normalise_tag(language)
        chosen = table.get(tag) or table.get(primary_subtag(language))
        if not chosen:
            return self
        values = {k: v for k, v in chosen.items() if k in VOICE_KEYS}
        if "engine" in values and values["engine"] != self.engine:
            # Another engine: the default's model/voice/speaker belong to the default engine, not to this one.
            values = {"model": None, "voice": None, "speaker": None, "speaker_wav": [], "engine_params": {}, **values}
        if isinstance(values.get("speaker_wav"), str):
            values["speaker_wav"] = [values["speaker_wav"]]
        return replace(self, **values)


@dataclass(frozen=True)
class ExtractSettings:
    """How a book is read: chapter depth, notes, language, metadata and chapter edits."""

    toc_level: int | None = None
    keep_notes: bool = False
    language: str | None = None
    title: str | None = None
    authors: list | str | None = None
    drop_chapters: list = field(default_factory=list)
    rename_chapters: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- the book
@dataclass(frozen=True)
class BookSettings:
    """Everything one book is made with. Per-book keys are fields; global sections are read through views."""

    path: str = key("", "the ebook file", view="book", scope="book")
    name: str = key("", "the book's id: results/{name}/ (default: a slug of the file name)", view="book", scope="book")
    # voice
    engine: str = key("piper", "TTS engine: piper, coqui, espeak", view="voice")
    model: str | None = key(None, "engine model (Piper .onnx, Coqui model folder or name)", view="voice")
    voice: str | None = key(None, "Piper voice .onnx, or espeak-ng voice name", view="voice")
    speaker: str | int | None = key(None, "speaker name or id of a multi-speaker model", view="voice")
    speaker_wav: list | str | None = key([], "reference WAV(s) for voice cloning (XTTS)", view="voice")
    language: str | None = key(None, "override the book's language (e.g. fr, pt-BR)", view="voice")
    device: str = key("cpu", "cpu, cuda or auto", view="voice")
    engine_params: dict = key({}, "engine parameters (speed, length_scale, temperature, ...)", view="voice")
    # text
    lexicon: dict | str | list | None = key(None, "pronunciations: a mapping or YAML/JSON/TSV/PLS file(s)", view="text")
    # extraction
    toc_level: int | None = key(None, "table-of-contents depth that makes chapters", view="extract")
    keep_notes: bool = key(False, "read footnote/endnote sections aloud", view="extract")
    title: str | None = key(None, "override the book's title", view="extract", scope="book")
    authors: list | str | None = key(None, "override the book's authors", view="extract", scope="book")
    drop_chapters: list = key([], "chapters to leave out (1-based index or exact title)", view="extract", scope="book")
    rename_chapters: dict = key({}, "index or title -> new chapter title", view="extract", scope="book")
    # output
    bitrate: str | None = key(None, "AAC bitrate of this book (default: output.bitrate)", view="output", scope="book")
    formats: list | None = key(
        None, "this book's output formats (default: output.formats)", view="output", scope="book"
    )
    cover: str | None = key(
        None, "cover image path, or none; default: the ebook's (checked), else generated", view="output"
    )
    # tags of the audiobook (default: what the ebook says; the narrator: the voice)
    subtitle: str | None = key(None, "override the subtitle", view="tags", scope="book")
    narrator: str | None = key(None, "the narrator tag (default: the voice)", view="tags", scope="book")
    series: str | None = key(None, "series name", view="tags", scope="book")
    series_part: str | float | int | None = key(None, "place in the series", view="tags", scope="book")
    isbn: str | None = key(None, "ISBN", view="tags", scope="book")
    # Not settings: the global sections and which keys the book's own entry set (for `voices:`).
    config: dict = field(default_factory=dict, repr=False, compare=False, metadata={"internal": True})
    chosen: frozenset = field(default_factory=frozenset, repr=False, compare=False, metadata={"internal": True})

    # --- typed views ------------------------------------------------------
    @property
    def voice_settings(self) -> VoiceSettings:  # (`voice` is the per-book key)
        wav = self.speaker_wav or []
        return VoiceSettings(
            engine=self.engine,
            model=self.model,
            voice=self.voice,
            speaker=self.speaker,
            speaker_wav=[wav] if isinstance(wav, str) else list(wav),
            language=self.language,
            device=self.device,
            engine_params=dict(self.engine_params or {}),
            own=bool(self.chosen & {"engine", "model", "voice", "speaker", "speaker_wav"}),
        )

    def voice_for(self, language: str | None) -> VoiceSettings:
        """The voice that speaks this book when its language is ``language`` (see ``voices:``)."""
        return self.voice_settings.for_language(self.config.get("voices"), self.language or language)

    @property
    def text(self) -> TextSettings:
        own = self.lexicon if "lexicon" in self.chosen else None
        return section("text", self.config, lexicon=self.config.get("lexicon"), book_lexicon=own)

    @property
    def pauses(self) -> PauseSettings:
        return section("pauses", self.config)

    @property
    def output(self) -> OutputSettings:
        return section("output", self.config, bitrate=self.bitrate, formats=self.formats)

    @property
    def tag_overrides(self) -> dict:
        """The audiobook tags this book's entry sets (snakebook.audio.booktags.OVERRIDE_KEYS)."""
        return {
            k: getattr(self, k)
            for k in ("title", "subtitle", "authors", "narrator", "series", "series_part", "isbn")
            if getattr(self, k) not in (None, "", [])
        }

    @property
    def synthesis(self) -> SynthesisSettings:
        return section("synthesis", self.config)

    @property
    def extract(self) -> ExtractSettings:
        return ExtractSettings(**{f.name: getattr(self, f.name) for f in fields(ExtractSettings)})

    def get(self, name: str, default: Any = None) -> Any:
        """Dict-style reading of a per-book key (for code not yet moved to the typed views)."""
        value = getattr(self, name, None) if name in book_keys() or name in ("path", "name") else None
        return default if value is None else value

    def __getitem__(self, name: str) -> Any:
        return getattr(self, name)

    def as_dict(self) -> dict:
        """The per-book keys as a plain dict (for Snakemake params, which must be plain data)."""
        return {f.name: copy.deepcopy(getattr(self, f.name)) for f in fields(self) if not f.metadata.get("internal")}

    def sound(self, language: str | None) -> dict:
        """What changes a chapter's sound, as plain data: the synthesis job's params (see snakebook.synth)."""
        voice = self.voice_for(language)
        text = asdict(self.text)
        book_lexicon = text.pop("book_lexicon")
        sound = {k: copy.deepcopy(getattr(voice, k)) for k in VOICE_KEYS}
        sound.update(language=self.language, lexicon=book_lexicon, text=text, pauses=asdict(self.pauses))
        return sound


def book_keys(scope: str | None = None) -> list[str]:
    """The keys a book entry may set (scope "book" or "both"); ``scope="both"``: those also set globally."""
    return [
        f.name
        for f in fields(BookSettings)
        if not f.metadata.get("internal")
        and f.name not in ("path", "name")
        and (scope is None or f.metadata["scope"] == scope)
    ]


def make_book(path: str, name: str, entry: dict, config: dict) -> BookSettings:
    """One book's settings: global defaults (top-level keys of scope "both"), then the entry's own keys."""
    values = {k: copy.deepcopy(config[k]) for k in book_keys("both") if config.get(k) is not None}
    values.update({k: copy.deepcopy(v) for k, v in entry.items() if k in book_keys() and v is not None})
    sections = {k: v for k, v in config.items() if k not in ("books",)}
    return BookSettings(
        path=str(path), name=name, config=sections, chosen=frozenset(k for k in entry if entry[k] is not None), **values
    )


# --------------------------------------------------------------------------- schema-driven checks
@lru_cache(maxsize=1)
def load_schema(path: str | None = None) -> dict:
    with open(path or SCHEMA_PATH, encoding="utf-8") as handle:
        return load_yaml(handle)


def resolve(node: dict, schema: dict) -> dict:
    """Follow a local ``$ref`` (``#/definitions/...``)."""
    while isinstance(node, dict) and "$ref" in node:
        target: Any = schema
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _types(node: dict) -> list[str]:
    kind = node.get("type", [])
    return [kind] if isinstance(kind, str) else list(kind)


_PY_TYPES = {
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "array": list,
    "object": dict,
    "null": type(None),
    "string": str,
}


def _is_type(value: Any, kind: str) -> bool:
    if isinstance(value, bool) and kind in ("integer", "number"):
        return False
    return isinstance(value, _PY_TYPES[kind])


def coerce(value: Any, node: dict, schema: dict) -> Any:
    """``value`` with strings converted to the schema's types where the schema does not take a string.

    Snakemake parses nested ``--config`` values (``pauses={sentence: 500}``) as strings only. A string
    that does not convert is left as it is, for validation to refuse with the key's name.
    """
    node = resolve(node, schema)
    for alternative in node.get("oneOf", []) + node.get("anyOf", []):
        alternative = resolve(alternative, schema)
        if any(_is_type(value, kind) for kind in _types(alternative)) or (
            isinstance(value, str) and "string" not in _types(alternative)
        ):
            converted = coerce(value, alternative, schema)
            if any(_is_type(converted, kind) for kind in _types(alternative)):
                return converted
    kinds = _types(node)
    if isinstance(value, str) and kinds and "string" not in kinds:
        import yaml

        try:
            parsed = load_yaml(value) if value.strip() else None
        except yaml.YAMLError:
            return value
        if any(_is_type(parsed, kind) for kind in kinds):
            value = parsed
        elif "array" in kinds and not isinstance(parsed, dict):
            value = [part.strip() for part in value.split(",")]  # a sheet cell "1, 2" or "a.wav,b.wav"
        elif "number" in kinds and isinstance(parsed, int) and not isinstance(parsed, bool):
            value = float(parsed)
        else:
            return value
    elif isinstance(value, str) and set(kinds) & {"integer", "number", "boolean"}:
        # string or a number (speaker "2", drop_chapters items, series_part): a number when it reads as one
        import yaml

        try:
            parsed = load_yaml(value)
        except yaml.YAMLError:
            parsed = value
        if isinstance(parsed, (int, float)) and any(_is_type(parsed, kind) for kind in kinds if kind != "string"):
            value = parsed
    if isinstance(value, dict):
        properties = node.get("properties", {})
        patterns = node.get("patternProperties", {})
        extra = node.get("additionalProperties")
        out = {}
        for name, item in value.items():
            sub = properties.get(name)
            if sub is None:
                import re

                sub = next((s for p, s in patterns.items() if re.search(p, str(name))), None)
            if sub is None and isinstance(extra, dict):
                sub = extra
            out[name] = coerce(item, sub, schema) if sub is not None else item
        return out
    if isinstance(value, list) and isinstance(node.get("items"), dict):
        return [coerce(item, node["items"], schema) for item in value]
    return value


def nearest(name: str, valid) -> str:
    """' (did you mean `x`?)' for the closest valid key, or a list of them when nothing is close."""
    valid = sorted(valid)
    close = difflib.get_close_matches(str(name), valid, n=1, cutoff=0.6)
    if close:
        return f"did you mean `{close[0]}`?"
    return "valid keys: " + ", ".join(valid) + "."


def unknown_key_error(name: str, where: str, valid) -> SnakebookError:
    return SnakebookError(f"unknown config key `{name}` {where}; {nearest(name, valid)}")


def check_keys(config: dict, schema: dict) -> None:
    """Unknown keys at the top level, in a ``books`` entry, or in a section with fixed keys are errors."""
    properties = schema.get("properties", {})
    for name, value in config.items():
        if name not in properties:
            raise unknown_key_error(name, "at the top level of the config", properties)
        node = resolve(properties[name], schema)
        if (
            isinstance(value, dict)
            and node.get("properties")
            and node.get("additionalProperties") is False
            and not node.get("patternProperties")
        ):
            for sub in value:
                if sub not in node["properties"]:
                    raise unknown_key_error(sub, f"in `{name}`", node["properties"])
    valid = {"path", "name", *book_keys()}
    for index, entry in enumerate(config.get("books") or [], start=1):
        if isinstance(entry, dict):
            for name in entry:
                if name not in valid:
                    raise unknown_key_error(
                        name, f"in `books` entry {index} ({entry.get('path') or entry.get('name') or '?'})", valid
                    )


def apply_deprecations(config: dict) -> None:
    """Old spellings that still work, with a message: ``text.lexicon`` is now the top-level ``lexicon``."""
    text = config.get("text")
    if isinstance(text, dict) and "lexicon" in text:
        old = text.pop("lexicon")
        if old:
            log.warning(
                "config key `text.lexicon` is deprecated; use the top-level `lexicon` key instead "
                "(a book's `lexicon` adds to it)."
            )
            if config.get("lexicon"):
                raise SnakebookError("both `lexicon` and the deprecated `text.lexicon` are set; keep only `lexicon`.")
            config["lexicon"] = old


def prepare_config(config: dict, schema: dict | None = None) -> dict:
    """Make ``config`` (in place) ready for validation: old spellings, command-line strings, unknown keys."""
    schema = schema or load_schema()
    apply_deprecations(config)
    coerced = coerce(config, schema, schema)
    config.clear()
    config.update(coerced)
    check_keys(config, schema)
    return config


def validate_config(config: dict, schema: dict | None = None) -> None:
    """JSON-schema validation with one-paragraph messages naming the key (defaults are filled in)."""
    import jsonschema

    schema = schema or load_schema()
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        error = jsonschema.exceptions.best_match(errors)
        where = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        raise SnakebookError(f"config key `{where}`: {error.message}.")
