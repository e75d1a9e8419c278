"""The per-sentence text preparation an engine gets: pronunciation hints, lexicon, normalisation.

``make_preparer(language, settings)`` is called once per chapter by
:mod:`snakebook.synth`; the function it returns is applied to every sentence
after splitting and before chunking (see :func:`snakebook.text.speech.plan_utterances`).
"""

from __future__ import annotations

import re

from ..chaptertext import HINT
from ..language import text_language
from .lexicon import Entry, Lexicon, ipa_for_espeak, lexicon_entries
from .normalise import TextOptions, normalise

PRIVATE_USE = re.compile("[\ue000-\uf8ff]")


def make_preparer(language: str | None, settings: dict | None, *, phonemes: bool = False, book_lexicon=None):
    """Return ``prepare(sentence) -> str`` for one book.

    ``settings`` is the sound-settings dict (:func:`snakebook.planning.sound_settings`): its ``text``
    section holds the switches of :class:`TextOptions` and the global ``lexicon``; its own ``lexicon``
    key is the book's. ``book_lexicon`` holds entries found in the book itself (EPUB PLS); the
    user's entries win over the book's, the book's own setting over the global one. ``phonemes`` says
    whether the engine reads inline ``[[ phonemes ]]`` (:attr:`Engine.accepts_phonemes`).
    """
    settings = settings or {}
    text_config = dict(settings.get("text") or {})
    lang = text_language(language or settings.get("language"))
    options = TextOptions.from_config(text_config)
    entries: dict[str, Entry] = {}
    entries.update(lexicon_entries(book_lexicon))
    entries.update(lexicon_entries(text_config.get("lexicon")))
    entries.update(lexicon_entries(settings.get("lexicon")))
    lexicon = Lexicon(entries)

    def prepare(sentence: str) -> str:
        kept: list[str] = []

        def keep(text: str) -> str:
            kept.append(text)
            return chr(0xE000 + len(kept) - 1)

        def say(printed: str, phones: str | None, spelling: str | None) -> str:
            if phonemes and phones:
                return keep(f"[[ {ipa_for_espeak(phones, lang)} ]]")
            if spelling:
                return keep(spelling)
            return printed

        text = PRIVATE_USE.sub("", sentence)
        if len(text) > 0xF8FF - 0xE000:  # absurd input: no room for placeholders, skip the lexicon
            return normalise(text, lang, options)
        text = HINT.sub(lambda m: say(m.group(1), m.group(2), None), text)
        text = lexicon.apply(text, lambda printed, entry: say(printed, entry.phonemes, entry.say))
        text = normalise(text, lang, options)
        return PRIVATE_USE.sub(lambda m: kept[ord(m.group(0)) - 0xE000], text)

    return prepare
