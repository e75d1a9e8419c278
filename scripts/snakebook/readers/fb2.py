"""FictionBook 2 (``.fb2`` and ``.fb2.zip``), read natively with lxml.

The XML declares its own encoding (often windows-1251), which lxml honours when given bytes. Sections are
chapters (the table-of-contents level is chosen as for EPUB), the notes body is dropped unless
``keep_notes``, and the ``<coverpage>`` image comes from the base64 ``<binary>``.
"""

from __future__ import annotations

import base64
import binascii
import re
import zipfile
from pathlib import Path

from .. import coverage
from ..chaptertext import BREAK, SCENE_BREAK
from ..errors import SnakebookError
from ..model import Book, Cover
from .html_text import Block, clean_inline
from .options import ReadOptions
from .safety import MAX_FILE_BYTES, check_file, check_xml, check_zip, xml_parser
from .structure import Mark, build_chapters

XLINK = "{http://www.w3.org/1999/xlink}href"


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _inline(element) -> str:
    """Text of an inline element without note references (``<a type="note">``)."""
    parts = [element.text or ""]
    for child in element:
        name = _local(child.tag)
        if name == "a" and (child.get("type") == "note" or (child.get(XLINK) or "").startswith("#n")):
            pass
        elif name == "image":
            pass
        else:
            parts.append(_inline(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _text(element) -> str:
    return clean_inline(re.sub(r"\s+", " ", _inline(element)))


def _load(path: Path, book_name: str) -> bytes:
    if path.name.lower().endswith(".zip"):
        check_zip(path, book_name)
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.lower().endswith(".fb2")]
            if not names:
                raise SnakebookError("the .fb2.zip archive holds no .fb2 file.", book_name)
            with archive.open(names[0]) as handle:
                return handle.read(MAX_FILE_BYTES)
    check_file(path, book_name)
    return path.read_bytes()


def read_fb2(path, options: ReadOptions, book_name: str) -> Book:
    from lxml import etree

    data = _load(Path(path), book_name)
    check_xml(data, book_name, Path(path).name)
    try:
        root = etree.fromstring(data, xml_parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise SnakebookError(
            f"the FB2 file is not well-formed XML ({exc}); the file is damaged or not FB2.", book_name
        ) from None
    if root is None or _local(root.tag) != "FictionBook":
        raise SnakebookError("the file is not a FictionBook (FB2) document.", book_name)

    info = next(iter(root.iterfind("{*}description/{*}title-info")), None)
    publish = next(iter(root.iterfind("{*}description/{*}publish-info")), None)

    def field(parent, name):
        found = parent.find(f"{{*}}{name}") if parent is not None else None
        return (
            " ".join("".join(found.itertext()).split())
            if found is not None and "".join(found.itertext()).strip()
            else None
        )

    authors = []
    for author in info.findall("{*}author") if info is not None else []:
        name = " ".join(
            filter(None, (field(author, "first-name"), field(author, "middle-name"), field(author, "last-name")))
        )
        if name or field(author, "nickname"):
            authors.append(name or field(author, "nickname"))
    book = Book(
        title=field(info, "book-title") or Path(path).stem,
        authors=authors,
        language=field(info, "lang"),
        date=field(info, "date"),
        description=field(info, "annotation"),
        publisher=field(publish, "publisher"),
        identifiers=[f"isbn:{re.sub(r'[^0-9Xx]', '', isbn)}" for isbn in [field(publish, "isbn")] if isbn],
    )
    binaries = {b.get("id"): b for b in root.iterfind("{*}binary")}
    cover_image = info.find("{*}coverpage/{*}image") if info is not None else None
    if cover_image is not None:
        binary = binaries.get((cover_image.get(XLINK) or "").lstrip("#"))
        if binary is not None:
            try:
                book.cover = Cover(
                    base64.b64decode("".join(binary.text.split()) if binary.text else ""),
                    binary.get("content-type") or "image/jpeg",
                )
            except (binascii.Error, ValueError):
                book.cover = None

    blocks: list[Block] = []
    marks: list[Mark] = []

    def walk(element, depth):
        for child in element:
            name = _local(child.tag)
            if name == "section":
                title = child.find("{*}title")
                if title is not None:
                    marks.append(
                        Mark(
                            len(blocks),
                            " ".join(_text(p) for p in title.iter("{*}p") if _text(p)) or _text(title),
                            depth,
                        )
                    )
                walk(child, depth + 1)
            elif name == "title":
                text = " ".join(_text(p) for p in child.iter("{*}p") if _text(p)) or _text(child)
                if text:
                    blocks.append(Block("heading", text, level=min(depth, 6)))
            elif name in ("p", "text-author"):
                if _text(child):
                    blocks.append(Block("p", _text(child)))
            elif name == "subtitle":
                if _text(child):
                    blocks.append(Block("heading", _text(child), level=6))
            elif name in ("epigraph", "cite", "annotation"):
                walk(child, depth)
            elif name == "poem":
                for part in child:
                    pname = _local(part.tag)
                    if pname == "stanza":
                        lines = [_text(v) for v in part.iter("{*}v") if _text(v)]
                        if lines:
                            blocks.append(Block("p", "\n".join(lines)))
                    elif pname in ("title", "epigraph", "text-author", "subtitle"):
                        walk([part] if pname != "epigraph" else part, depth)
            elif name == "table":
                for row in child.iter("{*}tr"):
                    cells = [_text(c) for c in row if _text(c)]
                    if cells:
                        blocks.append(Block("p", ", ".join(cells)))
            elif name == "empty-line":
                continue
            elif name == "hr":
                blocks.append(Block(BREAK, SCENE_BREAK))

    for number, body in enumerate(root.iterfind("{*}body"), start=1):
        for part, child in enumerate(body, start=1):  # the word account (no-op unless recording)
            coverage.source(f"body {number} {_local(child.tag)} {part}", " ".join(child.itertext()))
        if body.get("name") in ("notes", "comments") and not options.keep_notes:
            coverage.dropped(" ".join(body.itertext()), "notes")
            continue
        if body.get("name") in ("notes", "comments"):
            marks.append(Mark(len(blocks), "Notes", 1))
        walk(body, 1)
    if not blocks:
        raise SnakebookError("the FB2 file has no readable text.", book_name)
    book.chapters = build_chapters(blocks, marks, options)
    return book
