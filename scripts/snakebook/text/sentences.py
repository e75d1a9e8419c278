"""Sentence splitting (pysbd) and chunking to an engine's maximum input length."""

from __future__ import annotations

import re
from functools import lru_cache

from ..chaptertext import inside_hint
from ..language import text_language
from .languages import words_for

PYSBD_LANGUAGES = {
    "en",
    "hi",
    "mr",
    "zh",
    "es",
    "am",
    "ar",
    "hy",
    "bg",
    "ur",
    "ru",
    "pl",
    "fa",
    "nl",
    "da",
    "fr",
    "my",
    "el",
    "it",
    "ja",
    "de",
    "kk",
    "sk",
}
CLAUSE_BREAK = re.compile(r"(?:(?<=[,;:\u2014\u2013)\]])|(?<=\.\.\.))\s+|\s+(?=[\u2014\u2013(])|(?<=[，、；：])")
PHONEME_BLOCK = re.compile(r"\[\[.*?\]\]")
BLOCK_SPACE = "\ue0ff"  # stands for a space inside [[ phonemes ]] while chunking: a block is never cut


@lru_cache(maxsize=16)
def _segmenter(language: str):
    import pysbd

    return pysbd.Segmenter(language=language if language in PYSBD_LANGUAGES else "en", clean=False)


def split_sentences(text: str, language: str | None = None) -> list[str]:
    """Split a paragraph into sentences with pysbd, which knows abbreviations per language."""
    text = text.strip()
    if not text:
        return []
    language = text_language(language)
    pieces = [s for s in _segmenter(language).segment(text) if s.strip()]
    return [
        part.strip()
        for piece in _rejoin(text, pieces)
        for part in _split_after_final_abbreviations(piece, language)
        if part.strip()
    ]


@lru_cache(maxsize=16)
def _final_abbreviation(language: str) -> re.Pattern | None:
    words = words_for(language)
    if words.code != language or not words.sentence_final:
        return None
    alternation = "|".join(re.escape(a) for a in sorted(words.sentence_final, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternation})(?=\s+[\"'“‘«„¿¡(\[]*(\w))")


def _split_after_final_abbreviations(sentence: str, language: str) -> list[str]:
    """Where a sentence ends at an abbreviation pysbd takes for a mid-sentence one ("usw. Er wohnte"):
    after one of the language's sentence-final abbreviations, before a capital (maybe behind a quote)."""
    pattern = _final_abbreviation(language)
    if pattern is None:
        return [sentence]
    parts, start = [], 0
    for match in pattern.finditer(sentence):
        if match.group(1).isupper() and not inside_hint(sentence[: match.end()]):
            parts.append(sentence[start : match.end()])
            start = match.end()
    return [*parts, sentence[start:]]


def _continues(previous: str, following: str) -> bool:
    """Whether pysbd split where no sentence ends: inside a hint ("⟦N.|nɔrθ⟧") or before a lower-case
    word or a comma (after an abbreviation it does not know: "59,265 sq. m., of which")."""
    if inside_hint(previous):
        return True
    first = following.lstrip()[:1]
    return bool(first) and (first.islower() or first in ",;:)]")


def _rejoin(text: str, pieces: list[str]) -> list[str]:
    spans: list[list[int]] = []
    position = 0
    for piece in pieces:
        start = text.find(piece, position)
        if start < 0:  # pysbd changed the text after all: keep its pieces
            return pieces
        end = start + len(piece)
        position = end
        if spans and _continues(text[spans[-1][0] : spans[-1][1]], piece):
            spans[-1][1] = end
        else:
            spans.append([start, end])
    return [text[start:end] for start, end in spans]


def _split_words(text: str, max_chars: int) -> list[str]:
    chunks: list[str] = []
    current = ""
    for word in text.split():
        if len(word) > max_chars and not word.startswith("[["):  # an enormous token: cut it, there is no better place
            if current:
                chunks.append(current)
                current = ""
            chunks.extend(word[i : i + max_chars] for i in range(0, len(word), max_chars))
            continue
        candidate = f"{current} {word}" if current else word
        if len(candidate) > max_chars:
            chunks.append(current)
            current = word
        else:
            current = candidate
    if current:
        chunks.append(current)
    return chunks


def chunk_sentence(sentence: str, max_chars: int) -> list[str]:
    """Split an over-long sentence at clause boundaries, then at word boundaries, never mid-word.

    A ``[[ phoneme ]]`` block counts as one word: it is never cut.
    """
    if len(sentence) <= max_chars:
        return [sentence]
    if "[[" in sentence:
        guarded = PHONEME_BLOCK.sub(lambda m: m.group(0).replace(" ", BLOCK_SPACE), sentence)
        return [piece.replace(BLOCK_SPACE, " ") for piece in _chunk(guarded, max_chars)]
    return _chunk(sentence, max_chars)


def _chunk(sentence: str, max_chars: int) -> list[str]:
    pieces: list[str] = []
    current = ""
    for clause in CLAUSE_BREAK.split(sentence):
        if not clause:
            continue
        candidate = f"{current} {clause}" if current else clause
        if len(candidate) <= max_chars:
            current = candidate
            continue
        if current:
            pieces.append(current)
        if len(clause) <= max_chars:
            current = clause
        else:
            pieces.extend(_split_words(clause, max_chars)[:-1])
            current = _split_words(clause, max_chars)[-1]
    if current:
        pieces.append(current)
    return pieces


def merge_fragments(pieces: list[str], max_chars: int, min_chars: int = 12) -> list[str]:
    """Merge tiny fragments (a lone "Oh!") into a neighbour when the result still fits."""
    out: list[str] = []
    for piece in pieces:
        if out and (len(piece) < min_chars or len(out[-1]) < min_chars) and len(out[-1]) + 1 + len(piece) <= max_chars:
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out
