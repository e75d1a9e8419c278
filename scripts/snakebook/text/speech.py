"""From chapter text to the list of utterances an engine speaks, with pauses."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..chaptertext import BREAK, HEADING, parse
from ..settings import PauseSettings as Pauses  # the one definition of the pauses (re-exported here)
from .sentences import chunk_sentence, merge_fragments, split_sentences


@dataclass
class Utterance:
    text: str
    pause_after_ms: int
    source: str = ""  # the book's text this utterance starts (captions); "" for the rest of a split sentence


def _add_pause(utterances: list[Utterance], pause_ms: int) -> None:
    if utterances:
        utterances[-1].pause_after_ms = max(utterances[-1].pause_after_ms, pause_ms)


SENTENCE_END = re.compile(r"[.!?…:;。！？]['\"’”»)\]]*$")


def _speak_block(
    text: str, language: str | None, max_chars: int, pause_ms: int, prepare, clause_ms: int | None = None
) -> list[Utterance]:
    """Utterances of a block; a piece that does not end its sentence is followed by the shorter clause pause."""
    clause_ms = min(pause_ms, Pauses.clause) if clause_ms is None else clause_ms
    pieces: list[str] = []
    sources: list[str] = []  # book text of the sentence each piece starts, "" for continuations
    for sentence in split_sentences(text, language):
        spoken = prepare(sentence)
        if spoken.strip():
            chunks = chunk_sentence(spoken.strip(), max_chars)
            pieces.extend(chunks)
            sources.extend([sentence.strip()] + [""] * (len(chunks) - 1))
    merged = merge_fragments(pieces, max_chars)
    return [
        Utterance(piece, pause_ms if SENTENCE_END.search(piece) else clause_ms, source)
        for piece, source in zip(merged, _merged_sources(pieces, sources, merged), strict=True)
    ]


def _merged_sources(pieces: list[str], sources: list[str], merged: list[str]) -> list[str]:
    """The book text of each merged piece: the sources of the pieces it was made of, joined."""
    out: list[str] = []
    index = 0
    for piece in merged:
        parts: list[str] = []
        length = -1
        while index < len(pieces) and length < len(piece):
            length += len(pieces[index]) + 1
            if sources[index]:
                parts.append(sources[index])
            index += 1
        out.append(" ".join(parts))
    return out


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
    for element in parse(text):
        if element.kind == BREAK:
            _add_pause(utterances, pauses.scene_break)
            continue
        if element.kind == HEADING:
            _add_pause(utterances, pauses.heading)
            utterances.extend(_speak_block(element.text, language, max_chars, pauses.sentence, prepare, pauses.clause))
            _add_pause(utterances, pauses.heading)
            continue
        lines = element.lines
        for number, line in enumerate(lines):
            block = _speak_block(line, language, max_chars, pauses.sentence, prepare, pauses.clause)
            utterances.extend(block)
            if number < len(lines) - 1:
                _add_pause(utterances, pauses.line)
        _add_pause(utterances, pauses.paragraph)
    if utterances:
        utterances[-1].pause_after_ms = pauses.chapter_end
    return pauses.before_title, utterances
