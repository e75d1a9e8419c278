"""Single HTML and Markdown files: headings make chapters (the heading level is chosen as for a TOC)."""

from __future__ import annotations

from pathlib import Path

from ..errors import SnakebookError
from ..model import Book
from . import gutenberg
from .html_text import Block, epub_types, iter_blocks, parse_html
from .options import ReadOptions
from .plaintext import decode_text
from .safety import check_file, check_xml
from .structure import Mark, build_chapters, heading_marks

NOTE_TYPES = {"footnotes", "endnotes", "rearnotes", "footnote", "endnote", "rearnote", "notes"}


def _strip_gutenberg(blocks: list[Block]) -> list[Block]:
    """Cut a Project Gutenberg HTML book down to the text between its START and END lines."""
    start = next((i for i, b in enumerate(blocks) if gutenberg.START.search(b.text)), None)
    end = next((i for i, b in enumerate(blocks) if gutenberg.END.search(b.text)), None)
    if start is not None:
        blocks = blocks[start + 1 :]
        end = next((i for i, b in enumerate(blocks) if gutenberg.END.search(b.text)), None)
    if end is not None:
        blocks = blocks[:end]
    return blocks


def html_book(markup: bytes | str, options: ReadOptions, book_name: str, fallback_title: str) -> Book:
    if isinstance(markup, bytes):
        check_xml(markup, book_name, fallback_title)
    soup = parse_html(markup)
    body = soup.body or soup

    def skip(tag) -> bool:
        if tag.get("id") in ("pg-header", "pg-footer") or "pg-boilerplate" in (tag.get("class") or []):
            return True
        types = epub_types(tag)
        if types & {"toc", "cover", "titlepage", "copyright-page", "colophon", "imprint"} and tag.name in (
            "section",
            "div",
            "nav",
        ):
            return True
        return bool(types & NOTE_TYPES) and not options.keep_notes

    blocks = _strip_gutenberg(list(iter_blocks(body, skip=skip)))
    if not any(b.text for b in blocks):
        raise SnakebookError("the document has no readable text.", book_name)
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    meta = {m.get("name", "").lower(): m.get("content", "") for m in soup.find_all("meta") if m.get("name")}
    html = soup.find("html")
    language = (html.get("lang") or html.get("xml:lang")) if html else None
    book = Book(
        title=title or fallback_title,
        authors=[meta["author"]] if meta.get("author") else [],
        language=language or meta.get("language") or meta.get("dc.language"),
        description=meta.get("description") or None,
    )
    marks: list[Mark] = heading_marks(blocks)
    book.chapters = build_chapters(blocks, marks, options)
    return book


def read_html(path, options: ReadOptions, book_name: str) -> Book:
    check_file(path, book_name)
    return html_book(Path(path).read_bytes(), options, book_name, Path(path).stem)


def read_markdown(path, options: ReadOptions, book_name: str) -> Book:
    import markdown

    check_file(path, book_name)
    text = decode_text(Path(path).read_bytes(), book_name).replace("\r\n", "\n")
    title = None
    if text.startswith("---\n"):  # YAML front matter: only the title and language are used
        head, _, rest = text[4:].partition("\n---\n")
        if rest:
            text = rest
            for line in head.split("\n"):
                key, _, value = line.partition(":")
                if key.strip().lower() == "title":
                    title = value.strip().strip("'\"")
    html = markdown.markdown(text, extensions=["extra", "sane_lists"], output_format="html")
    book = html_book(f"<html><body>{html}</body></html>", options, book_name, title or Path(path).stem)
    if title:
        book.title = title
    return book
