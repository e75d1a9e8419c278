"""Pronunciation: user lexicons, PLS lexicons from EPUBs, and inline hints.

A lexicon maps a word (as printed) to how to say it: a replacement spelling
(``say``), phonemes in IPA (``phonemes``), or both. Engines that accept
phonemes get ``[[ phonemes ]]`` (Piper's inline syntax); the others get the
replacement spelling, or the word unchanged when there is none.

Config forms accepted (``text: lexicon:`` globally, ``lexicon:`` per book)::

    lexicon:
      Hermione: Her-my-oh-nee                      # replacement spelling
      Cthulhu: {say: Kuh-thoo-loo, phonemes: kəˈθuːluː}
    lexicon: path/to/words.yaml                    # the same mapping in a YAML/JSON file
    lexicon: path/to/words.pls                     # a W3C PLS file
    lexicon: [global.yaml, book.pls]               # several, later ones win

An entry written all in lower case matches any capitalisation; an entry with
capitals matches only as written. Entries may contain dots or symbols
("Va.", "℔").

Inline hints (see :mod:`snakebook.chaptertext`, which writes and reads them): ``⟦printed|phonemes⟧``
in chapter text, written by the EPUB reader from ``ssml:ph`` attributes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from ..chaptertext import HINT_CLOSE, HINT_OPEN
from ..errors import SnakebookError
from ..fileio import load_yaml

PLS_NS = "{http://www.w3.org/2005/01/pronunciation-lexicon}"


@dataclass(frozen=True)
class Entry:
    say: str | None = None
    phonemes: str | None = None


def parse_pls(data: bytes | str) -> dict[str, dict]:
    """Entries of a W3C Pronunciation Lexicon (PLS 1.0): grapheme -> {"phonemes": ..., "say": ...}.

    Only IPA phonemes are kept (``alphabet="ipa"``, the default of EPUB 3); an
    ``<alias>`` becomes the replacement spelling.
    """
    try:
        root = ElementTree.fromstring(data if isinstance(data, bytes) else data.encode("utf-8"))
    except ElementTree.ParseError:
        return {}
    alphabet = (root.get("alphabet") or "ipa").lower()
    entries: dict[str, dict] = {}
    for lexeme in root.iter(f"{PLS_NS}lexeme"):
        phoneme = lexeme.find(f"{PLS_NS}phoneme")
        alias = lexeme.find(f"{PLS_NS}alias")
        entry: dict = {}
        if phoneme is not None and phoneme.text and (phoneme.get("alphabet") or alphabet) == "ipa":
            entry["phonemes"] = phoneme.text.strip()
        if alias is not None and alias.text:
            entry["say"] = alias.text.strip()
        if not entry:
            continue
        for grapheme in lexeme.iter(f"{PLS_NS}grapheme"):
            if grapheme.text and grapheme.text.strip():
                entries[grapheme.text.strip()] = entry
    return entries


def _entry(value) -> Entry:
    if isinstance(value, str):
        return Entry(say=value)
    if isinstance(value, dict):
        say = value.get("say") or value.get("alias") or value.get("spelling")
        phonemes = value.get("phonemes") or value.get("ipa")
        return Entry(say=str(say) if say else None, phonemes=str(phonemes) if phonemes else None)
    raise SnakebookError(f"a lexicon entry must be a spelling or a mapping with say/phonemes, not {value!r}.")


def _load_file(path: Path) -> dict:
    if not path.is_file():
        raise SnakebookError(f"the lexicon file '{path}' does not exist (config key `lexicon`).")
    raw = path.read_bytes()
    if path.suffix.lower() in (".pls", ".xml"):
        return parse_pls(raw)
    if path.suffix.lower() == ".json":
        return json.loads(raw)
    if path.suffix.lower() in (".tsv", ".txt"):
        out = {}
        for line in raw.decode("utf-8").splitlines():
            if line.strip() and not line.startswith("#") and "\t" in line:
                word, say = line.split("\t", 1)
                out[word.strip()] = say.strip()
        return out
    data = load_yaml(raw) or {}
    if not isinstance(data, dict):
        raise SnakebookError(f"the lexicon file '{path}' must hold a mapping of word: spelling.")
    return data


def lexicon_entries(source) -> dict[str, Entry]:
    """Entries from a config value: a mapping, a file path, or a list of those (later wins)."""
    if not source:
        return {}
    if isinstance(source, (list, tuple)):
        merged: dict[str, Entry] = {}
        for item in source:
            merged.update(lexicon_entries(item))
        return merged
    if isinstance(source, (str, Path)):
        source = _load_file(Path(source).expanduser())
    if not isinstance(source, dict):
        raise SnakebookError(
            f"`lexicon` must be a mapping, a file path or a list of them, not {type(source).__name__}."
        )
    return {str(word): _entry(value) for word, value in source.items() if str(word).strip()}


def ipa_for_espeak(phonemes: str, language: str) -> str:
    """Small fixes so dictionary IPA uses the symbols espeak-ng based voices know (ASCII g, English r)."""
    phonemes = phonemes.replace("g", "ɡ").replace("'", "ˈ")
    if language == "en":
        phonemes = phonemes.replace("r", "ɹ")
    return phonemes


class Lexicon:
    """Applies entries to a sentence, marking what it replaced so normalisation leaves it alone."""

    def __init__(self, entries: dict[str, Entry]):
        self.entries = entries
        exact = {w: e for w, e in entries.items() if w != w.lower()}
        folded = {w.lower(): e for w, e in entries.items() if w == w.lower()}
        self._exact, self._folded = exact, folded
        self._pattern = None
        if entries:
            words = sorted({*exact, *folded}, key=len, reverse=True)
            alternation = "|".join(re.escape(w) for w in words)
            self._pattern = re.compile(rf"(?<![\w{HINT_OPEN}])(?:{alternation})(?![\w{HINT_CLOSE}])", re.IGNORECASE)

    def __bool__(self) -> bool:
        return bool(self.entries)

    def find(self, word: str) -> Entry | None:
        return self._exact.get(word) or self._folded.get(word.lower())

    def apply(self, text: str, mark) -> str:
        """Replace each lexicon word through ``mark(printed, entry)``, which returns the new text."""
        if self._pattern is None:
            return text

        def one(match: re.Match) -> str:
            entry = self.find(match.group(0))
            return match.group(0) if entry is None else mark(match.group(0), entry)

        return self._pattern.sub(one, text)
