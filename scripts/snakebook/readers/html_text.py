"""Turn (X)HTML into the chapter text convention, block by block.

Shared by every reader whose content is HTML (EPUB, HTML, Markdown, MOBI).
A *block* is a paragraph-like unit; it remembers the element ids seen since the
previous block so that table-of-contents anchors can be located in the stream.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field

from bs4 import BeautifulSoup, NavigableString, Tag, XMLParsedAsHTMLWarning

from ..chaptertext import BREAK, SCENE_BREAK, join_elements, make_hint

BLOCK_TAGS = {
    "p",
    "div",
    "section",
    "article",
    "aside",
    "blockquote",
    "li",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "pre",
    "table",
    "tr",
    "td",
    "th",
    "figure",
    "figcaption",
    "header",
    "footer",
    "main",
    "nav",
    "hr",
    "body",
    "hgroup",
    "address",
    "center",
    "poem",
    "stanza",
}
HEADING_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
SKIP_TAGS = {"script", "style", "head", "title", "img", "svg", "math", "object", "video", "audio", "iframe", "noscript"}


def epub_types(tag: Tag) -> set[str]:
    """The ``epub:type`` (and ARIA ``role``) semantics of an element."""
    values: list[str] = []
    for name in ("epub:type", "type", "role"):
        value = tag.attrs.get(name) if tag.attrs else None
        if isinstance(value, list):
            values.extend(value)
        elif value:
            values.extend(str(value).split())
    return {v.split(":")[-1].replace("doc-", "") for v in values}


def is_noteref(tag: Tag) -> bool:
    types = epub_types(tag)
    if "noteref" in types:
        return True
    # A superscript that only holds a link or a number is a footnote marker.
    if tag.name == "sup":
        text = tag.get_text(strip=True)
        return bool(tag.find("a")) or bool(re.fullmatch(r"[\[\(]?[0-9*†‡§a-z]{1,3}[\]\)]?", text))
    return False


def is_pagebreak(tag: Tag) -> bool:
    return "pagebreak" in epub_types(tag) or "page-break" in (tag.get("class") or [])


@dataclass
class Block:
    kind: str  # "p", "heading", "break"
    text: str
    ids: list[str] = field(default_factory=list)
    types: set[str] = field(default_factory=set)
    level: int = 0  # heading level (1 for h1 ...), 0 for other blocks


def _inline_text(node: Tag, hints: bool = True) -> str:
    if hints and node.attrs and node.get("ssml:ph"):  # EPUB 3 pronunciation hint, see Chapter
        return make_hint(_inline_text(node, hints=False), str(node["ssml:ph"]))
    parts: list[str] = []
    for child in node.children:
        if isinstance(child, NavigableString):
            if child.__class__.__name__ in ("Comment", "ProcessingInstruction", "Doctype", "CData", "Declaration"):
                continue
            parts.append(re.sub(r"\s+", " ", str(child)))
        elif isinstance(child, Tag):
            if child.name in SKIP_TAGS or is_noteref(child) or is_pagebreak(child):
                continue
            if child.name == "br":
                parts.append("\n")
            else:
                parts.append(_inline_text(child))
    return "".join(parts)


def clean_inline(text: str) -> str:
    """Collapse white space inside lines; keep explicit line breaks."""
    text = text.replace("\u00ad", "")  # soft hyphen
    lines = [
        re.sub(r"[ \t\r\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+", " ", line).strip() for line in text.split("\n")
    ]
    return "\n".join(line for line in lines if line)


def _has_block_child(tag: Tag) -> bool:
    return any(isinstance(c, Tag) and (c.name in BLOCK_TAGS or c.name in HEADING_TAGS) for c in tag.descendants)


VERSE_HINTS = ("line", "stanza", "verse", "poem", "lg")


def _is_line_group(tag: Tag, types: set[str]) -> bool:
    """A stanza marked up as one element per verse line (``<div class="linegroup"><div>line</div>...``)."""
    classes = " ".join(tag.get("class") or []).lower()
    if not (
        types & {"verse", "stanza", "poem", "z3998:verse", "z3998:stanza"} or any(h in classes for h in VERSE_HINTS)
    ):
        return False
    children = [c for c in tag.children if isinstance(c, Tag)]
    if len(children) < 2 or any(c.name not in ("div", "p", "span", "br") for c in children):
        return False
    return all(not _has_block_child(c) and len(c.get_text()) < 160 for c in children)


def iter_blocks(root: Tag, skip=None):
    """Yield :class:`Block` objects in document order under ``root``.

    ``skip(tag)`` may return True to drop an element and everything inside it
    (its ids are still reported so anchors stay addressable).
    """
    pending_ids: list[str] = []

    def walk(tag: Tag, inherited_types: frozenset):
        if tag.get("id"):
            pending_ids.append(tag["id"])
        if tag.name in SKIP_TAGS or is_pagebreak(tag):
            for sub in tag.find_all(id=True):
                pending_ids.append(sub["id"])
            return
        types = epub_types(tag)
        if skip is not None and skip(tag):
            for sub in tag.find_all(id=True):
                pending_ids.append(sub["id"])
            return
        all_types = inherited_types | frozenset(types)
        if tag.name == "hr":
            yield Block(BREAK, SCENE_BREAK, _take_ids(), set(all_types))
            return
        if (
            tag.name in HEADING_TAGS
            or tag.name in BLOCK_TAGS
            and tag.name not in ("body",)
            and not _has_block_child(tag)
        ):
            for sub in tag.find_all(id=True):
                pending_ids.append(sub["id"])
            text = clean_inline(_inline_text(tag))
            if text:
                kind = "heading" if tag.name in HEADING_TAGS or "title" in types else "p"
                level = int(tag.name[1]) if tag.name in HEADING_TAGS else (1 if kind == "heading" else 0)
                if kind == "heading":
                    text = " ".join(text.split("\n"))
                yield Block(kind, text, _take_ids(), set(all_types), level)
            return
        if _is_line_group(tag, types):
            lines = [clean_inline(_inline_text(child)) for child in tag.children if isinstance(child, Tag)]
            for sub in tag.find_all(id=True):
                pending_ids.append(sub["id"])
            text = "\n".join(" ".join(line.split("\n")) for line in lines if line)
            if text:
                yield Block("p", text, _take_ids(), set(all_types))
            return
        # Mixed content: a container with loose text and block children.
        run: list[str] = []
        for child in tag.children:
            if isinstance(child, Tag) and (
                child.name in BLOCK_TAGS or child.name in HEADING_TAGS or _has_block_child(child)
            ):
                loose = clean_inline("".join(run))
                run = []
                if loose:
                    yield Block("p", loose, _take_ids(), set(all_types))
                yield from walk(child, all_types)
            elif isinstance(child, Tag):
                if child.get("id"):
                    pending_ids.append(child["id"])
                if child.name in SKIP_TAGS or is_noteref(child) or is_pagebreak(child):
                    continue
                run.append("\n" if child.name == "br" else _inline_text(child))
            elif isinstance(child, NavigableString) and child.__class__.__name__ == "NavigableString":
                run.append(re.sub(r"\s+", " ", str(child)))
        loose = clean_inline("".join(run))
        if loose:
            yield Block("p", loose, _take_ids(), set(all_types))

    def _take_ids() -> list[str]:
        ids = list(pending_ids)
        pending_ids.clear()
        return ids

    yield from walk(root, frozenset())
    if pending_ids:
        yield Block("p", "", _take_ids(), set())


def parse_html(markup: bytes | str) -> BeautifulSoup:
    """Parse (X)HTML leniently; the lxml parser does not expand external entities."""
    with warnings.catch_warnings():  # XHTML is parsed as HTML on purpose (lenient); say nothing about it
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        return BeautifulSoup(markup, "lxml")


def blocks_to_text(blocks) -> str:
    """Join blocks into chapter text (the format of :mod:`snakebook.chaptertext`)."""
    return join_elements(blocks)
