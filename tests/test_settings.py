"""The one definition of a book's settings (snakebook.settings) against config/schema.yaml, and the config checks."""

from __future__ import annotations

import copy
import subprocess
import types
import typing
from dataclasses import fields

import pytest
import yaml
from helpers import ROOT, SAMPLE_EPUB, snakemake, snakemake_command, snakemake_env

from snakebook.errors import SnakebookError
from snakebook.library import book_table
from snakebook.planning import check_book, check_settings, sound_settings
from snakebook.settings import (
    SECTIONS,
    BookSettings,
    VoiceSettings,
    book_keys,
    coerce,
    load_schema,
    make_book,
    prepare_config,
    resolve,
    validate_config,
)

SCHEMA = load_schema()
JSON_TYPES = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    list: "array",
    dict: "object",
    type(None): "null",
}


def default_config() -> dict:
    with open(ROOT / "config" / "config.yaml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def json_types(annotation) -> set[str]:
    """The JSON types a Python annotation allows (``list[str] | str | None`` -> array, string, null)."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return set().union(*(json_types(arg) for arg in typing.get_args(annotation)))
    return {JSON_TYPES[typing.get_origin(annotation) or annotation]}


def entry_schema() -> dict:
    return next(
        resolve(alt, SCHEMA)
        for alt in SCHEMA["properties"]["books"]["items"]["oneOf"]
        if resolve(alt, SCHEMA).get("type") == "object"
    )


def test_book_entry_schema_and_settings_definition_agree():
    properties = entry_schema()["properties"]
    assert set(properties) - {"path", "name"} == set(book_keys())
    hints = typing.get_type_hints(BookSettings)
    for name in book_keys():
        schema_types = resolve(properties[name], SCHEMA)["type"]
        schema_types = {schema_types} if isinstance(schema_types, str) else set(schema_types)
        expected = json_types(hints[name])
        if "number" in expected:  # JSON's number takes integers too
            expected.discard("integer")
        assert expected == schema_types, name
    assert entry_schema()["additionalProperties"] is False


def test_global_keys_are_top_level_properties_and_book_only_keys_are_not():
    top = SCHEMA["properties"]
    for name in book_keys("both"):
        assert name in top, name
    for name in book_keys("book"):
        assert name not in top, name


def test_every_field_documents_itself():
    for item in fields(BookSettings):
        if not item.metadata.get("internal"):
            assert item.metadata["doc"], item.name


@pytest.mark.parametrize("name", sorted(SECTIONS))
def test_section_dataclasses_match_the_schema_sections(name):
    node = resolve(SCHEMA["properties"][name], SCHEMA)
    in_schema = set(node.get("properties", {}))
    for pattern in node.get("patternProperties", {}):
        in_schema |= set(pattern.strip("^$()").split("|"))
    in_schema.discard("lexicon")  # text.lexicon: the deprecated spelling of the top-level `lexicon`
    in_class = {f.name for f in fields(SECTIONS[name])} - {"lexicon", "book_lexicon"}
    assert in_class == in_schema


def test_shipped_config_is_valid_and_complete():
    config = prepare_config(default_config())
    validate_config(config)


# --------------------------------------------------------------------------- command-line strings
@pytest.mark.parametrize(
    ("node", "text", "expected"),
    [
        ({"type": "integer"}, "500", 500),
        ({"type": "number"}, "1.25", 1.25),
        ({"type": "number"}, "2", 2),
        ({"type": "boolean"}, "true", True),
        ({"type": ["boolean"]}, "false", False),
        ({"type": "array", "items": {"type": ["integer", "string"]}}, "[1, 2]", [1, 2]),
        ({"type": "array", "items": {"type": ["integer", "string"]}}, "1, Preface", [1, "Preface"]),
        ({"type": "object"}, "{3: Loomings}", {3: "Loomings"}),
        ({"type": ["integer", "null"]}, "null", None),
        ({"type": ["string", "null"]}, "500", "500"),  # a string key keeps its string
    ],
)
def test_strings_convert_by_the_schema_type(node, text, expected):
    assert coerce(text, node, {}) == expected


def test_nested_command_line_values_are_converted_and_bad_ones_refused():
    config = default_config()
    config.update(
        pauses={**config["pauses"], "sentence": "500"},
        synthesis={"threads": "2"},
        keep_notes="true",
        books=[{"path": "a.epub", "drop_chapters": ["1", "Preface"], "toc_level": "2"}],
    )
    prepare_config(config)
    validate_config(config)
    assert config["pauses"]["sentence"] == 500 and config["synthesis"]["threads"] == 2
    assert config["keep_notes"] is True
    assert config["books"][0]["toc_level"] == 2 and config["books"][0]["drop_chapters"] == [1, "Preface"]

    bad = default_config()
    bad["pauses"] = {"sentence": "5x0"}
    prepare_config(bad)
    with pytest.raises(SnakebookError, match=r"`pauses.sentence`: '5x0' is not of type 'integer'"):
        validate_config(bad)


# --------------------------------------------------------------------------- unknown keys
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"enigne": "espeak"}, r"unknown config key `enigne` at the top level .* did you mean `engine`\?"),
        (
            {"books": [{"path": "a.epub", "drop_chapter": [1]}]},
            r"unknown config key `drop_chapter` in `books` entry 1 \(a.epub\); did you mean `drop_chapters`\?",
        ),
        ({"text": {"normalize": False}}, r"unknown config key `normalize` in `text`; did you mean `normalise`\?"),
        ({"zzz": 1}, r"unknown config key `zzz` .* valid keys: .*engine"),
    ],
)
def test_unknown_keys_name_the_nearest_valid_one(change, message):
    config = default_config()
    config.update(change)
    with pytest.raises(SnakebookError, match=message):
        prepare_config(config)


def test_old_text_lexicon_still_works_with_a_deprecation_message(caplog):
    config = default_config()
    config["text"] = {**config["text"], "lexicon": {"Hermione": "Her-my-oh-nee"}}
    prepare_config(config)
    assert config["lexicon"] == {"Hermione": "Her-my-oh-nee"} and "lexicon" not in config["text"]
    assert "deprecated" in caplog.text and "`lexicon`" in caplog.text
    both = default_config()
    both.update(lexicon={"a": "b"}, text={"lexicon": {"c": "d"}})
    with pytest.raises(SnakebookError, match="keep only `lexicon`"):
        prepare_config(both)


# --------------------------------------------------------------------------- typed views
def test_views_merge_global_defaults_and_the_books_own_keys():
    config = prepare_config(default_config())
    config.update(engine="espeak", lexicon={"Cthulhu": "Kuh-thoo-loo"}, output={"format": "m4b", "bitrate": "64k"})
    book = make_book("a.epub", "a", {"bitrate": "96k", "lexicon": {"Alice": "A-lice"}, "drop_chapters": [1]}, config)
    assert book.voice_settings.engine == "espeak" and not book.voice_settings.own
    assert book.output.bitrate == "96k" and book.pauses.sentence == 350
    assert book.text.lexicon == {"Cthulhu": "Kuh-thoo-loo"} and book.text.book_lexicon == {"Alice": "A-lice"}
    assert book.extract.drop_chapters == [1]
    sound = sound_settings(book, {"language": "en"})
    assert sound["text"]["lexicon"] == {"Cthulhu": "Kuh-thoo-loo"} and sound["lexicon"] == {"Alice": "A-lice"}
    assert sound["pauses"]["sentence"] == 350 and sound["engine"] == "espeak"
    plain = make_book("b.epub", "b", {}, config)
    assert plain.text.book_lexicon is None  # the global lexicon is not counted twice


def test_voices_by_language():
    voices = {"fr": {"engine": "espeak", "voice": "fr"}, "pt-BR": {"voice": "/v/pt_BR.onnx"}}
    default = VoiceSettings(engine="piper", voice="/v/en.onnx", engine_params={"noise_w": 0.5})
    french = default.for_language(voices, "fr-CA")  # primary subtag
    assert (french.engine, french.voice, french.engine_params) == ("espeak", "fr", {})  # nothing of Piper's kept
    assert default.for_language(voices, "pt_br").voice == "/v/pt_BR.onnx"  # exact tag, normalised
    assert default.for_language(voices, "pt").voice == "/v/en.onnx"  # pt-BR does not speak for all of pt
    assert default.for_language(voices, "de") == default
    own = VoiceSettings(engine="piper", voice="/v/mine.onnx", own=True)
    assert own.for_language(voices, "fr") == own  # a book that chose its voice keeps it


def test_voice_check_uses_the_voice_for_the_books_language():
    config = prepare_config(default_config())
    config["voices"] = {"fr": {"engine": "espeak"}}
    book = make_book(str(SAMPLE_EPUB), "fr-book", {}, config)
    checked = check_book(book, {"language": "fr"}, "fr-book")
    assert checked["engine"] == "espeak" and checked["language"] == "fr"
    with pytest.raises(SnakebookError, match="fr-book.*'ru'"):  # Piper's bundled voice speaks English only
        check_book(book, {"language": "ru"}, "fr-book")


def test_engine_params_are_checked_while_planning_without_loading_anything():
    config = prepare_config(default_config())
    config["voices"] = {"fr": {"engine": "espeak", "engine_params": {"length_scale": 1.1}}}
    book = make_book(str(SAMPLE_EPUB), "b", {}, config)
    with pytest.raises(SnakebookError, match="'length_scale' is not a parameter of the espeak engine"):
        check_settings(book)


def test_book_settings_reach_extraction_as_plain_data():
    config = prepare_config(default_config())
    config["books"] = [{"path": str(SAMPLE_EPUB), "title": "T", "keep_notes": True}]
    book = book_table(copy.deepcopy(config))["epubjs-alice-in-wonderland"]
    plain = book.as_dict()
    assert plain["title"] == "T" and plain["keep_notes"] is True and plain["path"] == str(SAMPLE_EPUB)
    assert "config" not in plain and book.get("bitrate") is None and book["title"] == "T"


# --------------------------------------------------------------------------- real Snakemake
def test_command_line_nested_values_and_typos(tmp_path):
    """As a user types them: YAML and JSON spellings of nested keys, booleans, lists; then a typo."""
    for values in (
        [f'books=["{SAMPLE_EPUB}"]', "pauses={sentence: 500}", "synthesis={threads: 2}", "keep_notes=true"],
        [
            f"books=[{{path: {SAMPLE_EPUB}, drop_chapters: [1, 2], toc_level: 1}}]",
            'pauses={"sentence": 500}',
            "engine_params={speed: 1.1}",
        ],
    ):
        command = snakemake_command(tmp_path, "-n", "--config", *values)
        result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, env=snakemake_env())
        assert result.returncode == 0, (result.stdout + result.stderr)[-2000:]
    result = snakemake(tmp_path, "-n", config={"books": [str(SAMPLE_EPUB)], "enigne": "espeak"}, check=False)
    assert result.returncode != 0 and "did you mean `engine`?" in result.stdout + result.stderr
    assert not (tmp_path / "results").exists()
