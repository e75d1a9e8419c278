"""EPUB 2 and 3 (ebooklib for the package, BeautifulSoup for the content)."""

from __future__ import annotations

import posixpath
import re
import warnings
from dataclasses import dataclass
from urllib.parse import unquote

from ..errors import SnakebookError
from ..model import Book, Chapter, Cover
from .html_text import Block, blocks_to_text, epub_types, iter_blocks, parse_html
from .options import ReadOptions
from .safety import check_zip

SKIP_DOC_TYPES = {"cover", "titlepage", "halftitlepage", "toc", "landmarks", "loi", "lot", "copyright-page",
                  "imprint", "colophon", "frontispiece", "index", "seriespage", "other-credits", "acknowledgments"}
NOTE_TYPES = {"footnotes", "endnotes", "rearnotes", "footnote", "endnote", "rearnote", "notes"}


@dataclass
class TocEntry:
    title: str
    href: str
    depth: int


def _flatten_toc(toc, depth=1):
    for node in toc:
        if isinstance(node, tuple):
            section, children = node
            if getattr(section, "href", None):
                yield TocEntry(section.title or "", section.href, depth)
            yield from _flatten_toc(children, depth + 1)
        elif isinstance(node, list):
            yield from _flatten_toc(node, depth)
        elif getattr(node, "href", None):
            yield TocEntry(node.title or "", node.href, depth)


def _meta(book, name):
    return [value for value, _attrs in book.get_metadata("DC", name) if value]


def _cover(book) -> Cover | None:
    import ebooklib

    candidates = list(book.get_items_of_type(ebooklib.ITEM_COVER))
    for _value, attrs in book.get_metadata("OPF", "cover"):
        item = book.get_item_with_id(attrs.get("content", ""))
        if item is not None:
            candidates.append(item)
    for item in book.get_items():
        if "cover-image" in (getattr(item, "properties", None) or []):
            candidates.append(item)
    for item in candidates:
        if item.media_type.startswith("image/"):
            return Cover(item.get_content(), item.media_type)
    return None


def _norm(text: str) -> str:
    return re.sub(r"[\W_]+", " ", text).strip().lower()


def _drop_title_headings(blocks: list[Block], title: str) -> list[Block]:
    """Drop leading heading blocks that only repeat the chapter title (it is spoken separately)."""
    wanted = _norm(title)
    out = list(blocks)
    while out and out[0].kind == "heading" and (_norm(out[0].text) and _norm(out[0].text) in wanted or not out[0].text):
        out.pop(0)
    while out and not out[0].text:
        out.pop(0)
    return out


def read_epub(path, options: ReadOptions, book_name: str) -> Book:
    import ebooklib
    from ebooklib import epub

    check_zip(path, book_name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            package = epub.read_epub(str(path), options={"ignore_ncx": False})
    except Exception as exc:  # ebooklib raises many kinds for broken packages
        raise SnakebookError(f"cannot read the EPUB package ({type(exc).__name__}: {exc}); the file is damaged or not an EPUB.", book_name) from None

    titles = _meta(package, "title")
    book = Book(
        title=titles[0] if titles else book_name,
        authors=_meta(package, "creator"),
        language=(_meta(package, "language") or [None])[0],
        publisher=(_meta(package, "publisher") or [None])[0],
        date=(_meta(package, "date") or [None])[0],
        description=(_meta(package, "description") or [None])[0],
        identifiers=_meta(package, "identifier"),
        cover=_cover(package),
    )

    nav_names = {item.get_name() for item in package.get_items_of_type(ebooklib.ITEM_NAVIGATION)}
    nav_names |= {item.get_name() for item in package.get_items() if "nav" in (getattr(item, "properties", None) or [])}

    # The reading stream: blocks of every linear spine document, in order.
    stream: list[tuple[str, Block]] = []
    first_block_of: dict[str, int] = {}
    anchor_at: dict[tuple[str, str], int] = {}
    for idref, linear in package.spine:
        item = package.get_item_with_id(idref)
        if item is None or linear == "no" or item.get_name() in nav_names:
            continue
        if not item.media_type.endswith(("xhtml+xml", "html")):
            continue
        soup = parse_html(item.get_content())
        body = soup.body or soup
        if epub_types(body) & SKIP_DOC_TYPES:
            continue
        name = item.get_name()
        first_block_of[name] = len(stream)

        def skip(tag):
            types = epub_types(tag)
            if types & SKIP_DOC_TYPES and tag.name in ("section", "div", "nav", "aside"):
                return True
            return bool(types & NOTE_TYPES) and not options.keep_notes

        for block in iter_blocks(body, skip=skip):
            for anchor in block.ids:
                anchor_at.setdefault((name, anchor), len(stream))
            stream.append((name, block))

    entries = list(_flatten_toc(package.toc))
    level = options.toc_level or 1
    entries = [e for e in entries if e.depth <= level]
    starts: list[tuple[int, str]] = []
    for entry in entries:
        href = unquote(entry.href)
        file_part, _, anchor = href.partition("#")
        file_part = posixpath.normpath(file_part)
        position = anchor_at.get((file_part, anchor)) if anchor else first_block_of.get(file_part)
        if position is None and anchor:
            position = first_block_of.get(file_part)
        if position is None:
            continue
        if starts and starts[-1][0] == position:
            continue
        starts.append((position, entry.title.strip()))
    starts.sort(key=lambda s: s[0])

    if not starts:  # no usable TOC: one chapter per spine document
        for name, position in first_block_of.items():
            heading = next((b.text for n, b in stream[position:] if n == name and b.kind == "heading"), None)
            starts.append((position, heading or ""))

    for i, (position, title) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(stream)
        blocks = [b for _n, b in stream[position:end]]
        if not title:
            title = next((b.text for b in blocks if b.kind == "heading"), f"Chapter {i + 1}")
        text = blocks_to_text(_drop_title_headings(blocks, title))
        if text.strip():
            book.chapters.append(Chapter(title=title, text=text))
    if not book.chapters:
        raise SnakebookError("the EPUB has no readable text (no chapters with text were found in its spine).", book_name)
    return book
