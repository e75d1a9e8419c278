"""PDF with a text layer (pypdf): running heads, page numbers, hyphenation, ligatures, drop caps.

Chapters come from the PDF outline when it has one, else from chapter-heading lines (as in plain text).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter

from .. import coverage
from ..errors import SnakebookError
from ..model import Book
from .options import ReadOptions
from .plaintext import split_text
from .safety import check_file

LIGATURES = {
    "\ufb00": "ff",
    "\ufb01": "fi",
    "\ufb02": "fl",
    "\ufb03": "ffi",
    "\ufb04": "ffl",
    "\ufb05": "st",
    "\ufb06": "st",
}
PAGE_NUMBER = re.compile(r"^\s*(?:[-–—]\s*)?(?:\d{1,4}|[ivxlcdm]{1,7})(?:\s*[-–—])?\s*$", re.IGNORECASE)


def _shape(line: str) -> str:
    return re.sub(r"\d+|\b[ivxlcdm]+\b", "#", line.strip().lower())


def _clean_pages(pages: list[list[str]]) -> list[list[str]]:
    """Remove running heads/feet (lines repeating, digits aside, at the top or bottom of many pages) and page numbers."""
    edges = Counter()
    for lines in pages:
        for line in {*lines[:2], *lines[-2:]}:
            edges[_shape(line)] += 1
    threshold = max(3, len(pages) // 20)
    repeated = {shape for shape, count in edges.items() if count >= threshold and len(shape) < 80}
    out = []
    for lines in pages:
        lines = list(lines)
        for _ in range(2):
            if lines and (PAGE_NUMBER.match(lines[0]) or _shape(lines[0]) in repeated):
                coverage.dropped(lines.pop(0), "running head")  # the word account (no-op unless recording)
            if lines and (PAGE_NUMBER.match(lines[-1]) or _shape(lines[-1]) in repeated):
                coverage.dropped(lines.pop(), "running head")
        out.append(lines)
    return out


def _page_paragraphs(lines: list[str], width: int) -> list[str]:
    """Join a page's lines into paragraphs: a line much shorter than the measure ends one."""
    paras: list[str] = []
    current = ""
    for i, line in enumerate(lines):
        line = line.strip()
        if not line:
            continue
        if re.fullmatch(r"[A-Z]", line) and i + 1 < len(lines) and re.match(r"[A-Z]", lines[i + 1].strip()):
            current += (" " if current else "") + line + "\x00"  # a drop cap: glued to the next line
            continue
        if re.fullmatch(r"[AI]", line) and i + 1 < len(lines) and re.match(r"[a-z]", lines[i + 1].strip()):
            current += (" " if current else "") + line  # a one-letter word set as a drop cap
            continue
        if current.endswith("\x00"):
            current = current[:-1] + line
        elif current.endswith("-") and re.match(r"[a-z]", line) and re.search(r"[a-z]-$", current):
            current = current[:-1] + line
        else:
            current = f"{current} {line}" if current else line
        if len(line) < width * 0.7 and re.search(r"[.!?:;\"”’)\]]$", line):
            paras.append(current)
            current = ""
    if current:
        paras.append(current.replace("\x00", ""))
    return paras


def _is_caption(paragraph: str) -> bool:
    letters = [c for c in paragraph if c.isalpha()]
    return (
        len(paragraph) > 40
        and bool(letters)
        and all(c.isupper() for c in letters)
        and not re.match(r"(?:CHAPTER|PART|BOOK)\b", paragraph)
    )


def read_pdf(path, options: ReadOptions, book_name: str) -> Book:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    check_file(path, book_name)
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            try:
                reader.decrypt("")
            except Exception:
                raise SnakebookError(
                    "the PDF is encrypted with a password; remove the protection first.", book_name
                ) from None
        raw_pages = [(page.extract_text() or "") for page in reader.pages]
        info = reader.metadata or {}
    except SnakebookError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise SnakebookError(
            f"cannot read the PDF ({type(exc).__name__}: {exc}); the file is damaged or not a PDF.", book_name
        ) from None
    if sum(len(p.strip()) for p in raw_pages) < 50:
        raise SnakebookError(
            "the PDF has no text layer (it is scanned images); run OCR on it first, e.g. `ocrmypdf in.pdf out.pdf`.",
            book_name,
        )

    pages = []
    for number, text in enumerate(raw_pages, start=1):
        coverage.source(f"page {number}", text)  # the word account (no-op unless recording)
        text = unicodedata.normalize("NFC", "".join(LIGATURES.get(c, c) for c in text)).replace("\u00ad", "")
        pages.append([line for line in text.split("\n") if line.strip()])
    pages = _clean_pages(pages)
    widths = sorted(len(line) for lines in pages for line in lines if len(line) > 20)
    width = widths[int(len(widths) * 0.8)] if widths else 60
    paragraphs: list[str] = []
    for lines in pages:
        for paragraph in _page_paragraphs(lines, width):
            if _is_caption(paragraph):
                coverage.dropped(paragraph, "illustration caption")
                continue
            # A paragraph cut by the page break continues on the next page.
            if paragraphs and re.search(r"[a-z,;]-?$", paragraphs[-1]) and re.match(r"[a-z]", paragraph):
                paragraphs[-1] = (
                    paragraphs[-1][:-1] if paragraphs[-1].endswith("-") else paragraphs[-1] + " "
                ) + paragraph
            else:
                paragraphs.append(paragraph)
    text = "\n\n".join(_heading_lines(paragraphs))
    chapters = split_text(text, options)
    title = str(info.get("/Title") or "").strip() or next((p for p in paragraphs[:3] if len(p) < 100), book_name)
    author = str(info.get("/Author") or "").strip()
    return Book(title=title, authors=[author] if author else [], chapters=chapters)


def _heading_lines(paragraphs: list[str]) -> list[str]:
    """Put chapter headings ("CHAPTER I. MR. SHERLOCK HOLMES.") on their own, separated from the text after them."""
    out: list[str] = []
    for index, paragraph in enumerate(paragraphs):
        if paragraph is None:
            continue
        following = paragraphs[index + 1] if index + 1 < len(paragraphs) else ""
        if (
            re.fullmatch(r"(?:CHAPTER|PART|BOOK|STAVE)\s+[IVXLC\d]+\.?(?:\s+[A-Z][A-Z .,'’&;:-]*)?", paragraph)
            and following
            and len(following) < 60
            and following.upper() == following
        ):
            paragraph = f"{paragraph} {following}"  # a heading set on two lines
            paragraphs[index + 1] = None
        match = re.match(
            r"^((?:CHAPTER|PART|BOOK|STAVE)\s+[IVXLC\d]+\.?(?:\s+[A-Z][A-Z0-9 .,'’&;:-]*[A-Z.])?)(?=\s|$)(.*)$",
            paragraph,
            re.S,
        )
        if match and match.group(2).strip():
            head, rest = match.group(1), match.group(2).strip()
            # "CHAPTER I. MR. SHERLOCK HOLMES. IN the year": the title's words, then the text.
            # The upper-case title may run on; stop where the ordinary text starts (first word with lower case).
            words = head.split()
            while len(words) > 2 and not any(c.isupper() for c in words[-1]):
                rest = f"{words.pop()} {rest}"
            if len(words) > 3 and words[-1] in ("I", "A"):
                rest = f"{words.pop()} {rest}"
            out.extend(["", " ".join(words), "", rest])
        elif match:
            out.extend(["", paragraph])
        else:
            out.append(paragraph)
    return out
