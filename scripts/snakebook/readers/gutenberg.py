"""Project Gutenberg's header, footer and licence: recognised so that they are never read aloud."""

from __future__ import annotations

import re

START = re.compile(
    r"^[ \t]*\*{3}[ \t]*START OF (?:THE|THIS) PROJECT GUTENBERG E-?BOOK[^\n]*$"
    r"|^[ \t]*\*END\*THE SMALL PRINT![^\n]*$",
    re.IGNORECASE | re.MULTILINE,
)
END = re.compile(
    r"^[ \t]*\*{3}[ \t]*END OF (?:THE|THIS) PROJECT GUTENBERG E-?BOOK[^\n]*$"
    r"|^[ \t]*End of (?:the |this )?Project Gutenberg'?s? [^\n]*$",
    re.IGNORECASE | re.MULTILINE,
)
PRODUCED_BY = re.compile(
    r"\A\s*(?:(?:Produced|Prepared|Transcribed|E-?text prepared) by[^\n]*(?:\n[^\n]+)*\n\s*\n)", re.IGNORECASE
)
_LICENCE_WORDS = re.compile(
    r"project gutenberg(?:-tm)?|gutenberg literary archive|full license|public domain in the united states|"
    r"terms of (?:use|this license)|refund|trademark|warrant(?:y|ies)|creative commons|all rights reserved|"
    r"this work is licensed|licen[cs]e",
    re.IGNORECASE,
)


def strip_text(text: str) -> str:
    """The body of a Project Gutenberg plain text, without its header, footer and licence."""
    from .. import coverage  # the word account: what is left out, and why (no-op unless recording)

    start = START.search(text)
    if start:
        coverage.dropped(text[: start.end()], "licence")
        text = text[start.end() :]
    end = END.search(text)
    if end:
        coverage.dropped(text[end.start() :], "licence")
        text = text[: end.start()]
    if start:
        produced = PRODUCED_BY.match(text)
        if produced:
            coverage.dropped(produced.group(0), "title page")
        text = PRODUCED_BY.sub("", text, count=1)
    return text


def is_licence(text: str) -> bool:
    """True for a licence, copyright or Project Gutenberg boilerplate page (not for a story that mentions one)."""
    if START.search(text) or END.search(text):
        return True
    hits = len(_LICENCE_WORDS.findall(text))
    words = max(len(text.split()), 1)
    return hits >= 3 and hits / words > 0.01 or hits >= 2 and words < 150 and "gutenberg" in text.lower()
