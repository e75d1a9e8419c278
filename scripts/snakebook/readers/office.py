"""Word processor formats: DOCX through mammoth; ODT, RTF, DOC and others through Calibre's ebook-convert.

mammoth maps Word's heading styles to ``<h1>``..``<h6>``, so a DOCX book's chapters come from its headings.
Formats without a well-kept Python reader are converted to EPUB by Calibre when it is installed; when it is
not, the error names the book and the command that installs it.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import SnakebookError
from ..model import Book
from .options import ReadOptions
from .safety import check_file, check_zip

CALIBRE_INSTALL = "sudo apt-get install calibre   (or: conda install -c conda-forge calibre; or see https://calibre-ebook.com/download)"


def read_docx(path, options: ReadOptions, book_name: str) -> Book:
    check_zip(path, book_name)
    try:
        import mammoth
    except ImportError:
        return read_with_calibre(path, options, book_name, hint="pip install mammoth")
    from .markup import html_book

    try:
        with open(path, "rb") as handle:
            result = mammoth.convert_to_html(handle)
    except Exception as exc:  # mammoth raises KeyError/ValueError/zip errors for broken documents
        raise SnakebookError(
            f"cannot read the DOCX document ({type(exc).__name__}: {exc}); it is damaged or not DOCX.", book_name
        ) from None
    book = html_book(f"<html><body>{result.value}</body></html>", options, book_name, Path(path).stem)
    book.title = Path(path).stem.replace("_", " ") if book.title == Path(path).stem else book.title
    return book


def read_with_calibre(path, options: ReadOptions, book_name: str, hint: str | None = None) -> Book:
    check_file(path, book_name)
    converter = shutil.which("ebook-convert")
    suffix = Path(path).suffix.lower()
    if converter is None:
        alternative = f" (or {hint})" if hint else ""
        raise SnakebookError(
            f"reading '{suffix}' files needs Calibre's ebook-convert, which is not installed. Install it with: "
            f"{CALIBRE_INSTALL}{alternative}; or convert the book to EPUB yourself.",
            book_name,
        )
    from .epub import read_epub

    with tempfile.TemporaryDirectory(prefix="snakebook-calibre-") as tmp:
        target = Path(tmp) / "converted.epub"
        try:
            result = subprocess.run([converter, str(path), str(target)], capture_output=True, text=True, timeout=1800)
        except subprocess.TimeoutExpired:
            raise SnakebookError(
                "Calibre's ebook-convert took more than 30 minutes; convert the book to EPUB yourself.", book_name
            ) from None
        if result.returncode != 0 or not target.is_file():
            tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
            raise SnakebookError(f"Calibre's ebook-convert could not convert the book ({tail[0]}).", book_name)
        return read_epub(target, options, book_name)
