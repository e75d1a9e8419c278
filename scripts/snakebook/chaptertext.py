"""The chapter-text format: what ``results/{book}/chapters/NNN.txt`` holds, written and read here only.

Readers write a chapter with :func:`join_elements`; text preparation, extraction and the reader's
finishing step read it with :func:`parse` and :func:`plain_text`. The format is plain UTF-8 text
a person can read and edit:

- paragraphs are separated by one blank line (:data:`PARAGRAPH_SEP`);
- a single newline inside a paragraph is a line break (verse: each line is spoken with a short pause);
- a paragraph that starts with ``# `` (:data:`HEADING_PREFIX`) is a heading inside the chapter;
- a paragraph that is exactly ``* * *`` (:data:`SCENE_BREAK`) is a scene break (a long pause);
- ``⟦printed|phonemes⟧`` (U+27E6, :data:`HINT_SEP`, U+27E7) anywhere in a paragraph is a
  pronunciation hint: the printed text and how to say it in IPA (from an EPUB's ``ssml:ph``); text
  preparation turns it into phonemes or, for engines without phoneme input, into the printed text.

The file ends with one newline. Titles are not in the file: they live in ``book.json``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .fileio import write_text

PARAGRAPH_SEP = "\n\n"
LINE_SEP = "\n"
HEADING_PREFIX = "# "
SCENE_BREAK = "* * *"
HINT_OPEN, HINT_SEP, HINT_CLOSE = "\u27e6", "|", "\u27e7"
#: A hint: group 1 is the printed text, group 2 the phonemes.
HINT = re.compile(f"{HINT_OPEN}([^{HINT_OPEN}{HINT_CLOSE}|]*)\\|([^{HINT_OPEN}{HINT_CLOSE}]*){HINT_CLOSE}")

# Element kinds (the readers' Block kinds use the same names).
PARAGRAPH, HEADING, BREAK = "p", "heading", "break"


@dataclass(frozen=True)
class Element:
    """One paragraph-level piece of a chapter: a paragraph (one or more lines), a heading or a scene break."""

    kind: str
    text: str = ""

    @property
    def lines(self) -> list[str]:
        """The verse lines of a paragraph (one line for prose)."""
        return [line.strip() for line in self.text.split(LINE_SEP) if line.strip()]


# ---------------------------------------------------------------------------- writing


def heading(text: str) -> str:
    """A heading paragraph: on one line, behind the heading prefix."""
    return HEADING_PREFIX + " ".join(text.split())


def make_hint(printed: str, phonemes: str) -> str:
    """The inline hint for ``printed`` said as ``phonemes`` (IPA); just ``printed`` when there are none."""
    clean = re.sub(rf"[{HINT_OPEN}{HINT_CLOSE}|\s]+", " ", phonemes).strip()
    printed = re.sub(rf"[{HINT_OPEN}{HINT_CLOSE}|]", "", printed)
    return f"{HINT_OPEN}{printed}{HINT_SEP}{clean}{HINT_CLOSE}" if clean and printed.strip() else printed


def join_elements(elements: Iterable) -> str:
    """Chapter text from elements in reading order: anything with ``kind`` and ``text`` (:class:`Element`,
    a reader's ``Block``). Empty elements are skipped, repeated scene breaks collapse into one, and a
    scene break at either end is dropped (it separates nothing)."""
    out: list[str] = []
    for element in elements:
        if element.kind == BREAK:
            if out and out[-1] != SCENE_BREAK:
                out.append(SCENE_BREAK)
            continue
        text = element.text.strip() if element.text else ""
        if not text:
            continue
        out.append(heading(text) if element.kind == HEADING else text)
    while out and out[-1] == SCENE_BREAK:
        out.pop()
    return PARAGRAPH_SEP.join(out)


def write_chapter(path: str | Path, text: str) -> None:
    """Write chapter text to ``path`` (atomically), ending with one newline."""
    write_text(path, text.rstrip("\n") + "\n")


# ---------------------------------------------------------------------------- reading


def read_chapter(path: str | Path) -> str:
    return Path(path).read_text(encoding="utf-8")


def parse(text: str) -> list[Element]:
    """The elements of chapter text, in order (blank paragraphs skipped)."""
    elements: list[Element] = []
    for paragraph in re.split(r"\n[ \t]*\n", text):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        if paragraph == SCENE_BREAK:
            elements.append(Element(BREAK))
        elif paragraph.startswith(HEADING_PREFIX):
            elements.append(Element(HEADING, " ".join(paragraph[len(HEADING_PREFIX) :].split())))
        else:
            elements.append(Element(PARAGRAPH, paragraph))
    return elements


def strip_hints(text: str) -> str:
    """Text with each hint replaced by its printed text: what a reader of the page sees."""
    return HINT.sub(lambda m: m.group(1), text)


def inside_hint(text: str) -> bool:
    """Whether ``text`` ends inside an open hint (a sentence splitter must not cut there)."""
    return text.count(HINT_OPEN) > text.count(HINT_CLOSE)


def plain_text(text: str, *, headings: bool = True) -> str:
    """The words of chapter text without markers: hints as printed, no heading prefixes, no scene breaks,
    paragraphs and lines joined by spaces. ``headings=False`` leaves headings out (language detection)."""
    words = [
        element.text
        for element in parse(strip_hints(text))
        if element.kind == PARAGRAPH or element.kind == HEADING and headings
    ]
    return " ".join(" ".join(words).split())
