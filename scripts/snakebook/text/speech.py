"""From chapter text to the list of utterances an engine speaks, with pauses."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .sentences import chunk_sentence, merge_fragments, split_sentences

SCENE_BREAK = "* * *"


@dataclass(frozen=True)
class Pauses:
    """Silence lengths in milliseconds."""

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
    def from_config(cls, config: dict | None) -> Pauses:
        config = config or {}
        return cls(**{key: int(value) for key, value in config.items() if key in cls.__dataclass_fields__})


@dataclass
class Utterance:
    text: str
    pause_after_ms: int


def _add_pause(utterances: list[Utterance], pause_ms: int) -> None:
    if utterances:
        utterances[-1].pause_after_ms = max(utterances[-1].pause_after_ms, pause_ms)


SENTENCE_END = re.compile(r"[.!?…:;。！？]['\"’”»)\]]*$")


def _speak_block(text: str, language: str | None, max_chars: int, pause_ms: int, prepare,
                 clause_ms: int | None = None) -> list[Utterance]:
    """Utterances of a block; a piece that does not end its sentence is followed by the shorter clause pause."""
    clause_ms = min(pause_ms, Pauses.clause) if clause_ms is None else clause_ms
    pieces: list[str] = []
    for sentence in split_sentences(text, language):
        sentence = prepare(sentence)
        if sentence.strip():
            pieces.extend(chunk_sentence(sentence.strip(), max_chars))
    return [Utterance(piece, pause_ms if SENTENCE_END.search(piece) else clause_ms)
            for piece in merge_fragments(pieces, max_chars)]


def plan_utterances(
    title: str | None,
    text: str,
    *,
    language: str | None,
    max_chars: int,
    pauses: Pauses,
    prepare=lambda s: s,
) -> tuple[int, list[Utterance]]:
    """Return (leading silence in ms, utterances) for one chapter.

    ``prepare`` turns a sentence into what the engine should read (normalisation,
    lexicon); it is applied after sentence splitting so abbreviations still help
    the splitter, and before chunking so the length limit holds for the real input.
    """
    utterances: list[Utterance] = []
    if title and title.strip():
        utterances.extend(_speak_block(title, language, max_chars, pauses.sentence, prepare, pauses.clause))
        _add_pause(utterances, pauses.after_title)
    for paragraph in text.split("\n\n"):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        if paragraph == SCENE_BREAK:
            _add_pause(utterances, pauses.scene_break)
            continue
        if paragraph.startswith("# "):
            _add_pause(utterances, pauses.heading)
            utterances.extend(_speak_block(paragraph[2:], language, max_chars, pauses.sentence, prepare, pauses.clause))
            _add_pause(utterances, pauses.heading)
            continue
        lines = [line for line in paragraph.split("\n") if line.strip()]
        for number, line in enumerate(lines):
            block = _speak_block(line, language, max_chars, pauses.sentence, prepare, pauses.clause)
            utterances.extend(block)
            if number < len(lines) - 1:
                _add_pause(utterances, pauses.line)
        _add_pause(utterances, pauses.paragraph)
    if utterances:
        utterances[-1].pause_after_ms = pauses.chapter_end
    return pauses.before_title, utterances
