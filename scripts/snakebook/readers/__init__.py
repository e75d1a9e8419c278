"""One module per input format, all returning :class:`snakebook.model.Book`.

A format is added by writing a module with a ``read_*`` function and adding
its suffixes to :data:`READERS`.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from ..errors import SnakebookError
from ..model import Book
from .options import ReadOptions

# suffix -> (module, function)
READERS: dict[str, tuple[str, str]] = {
    ".epub": ("epub", "read_epub"),
    ".txt": ("plaintext", "read_text"),
    ".text": ("plaintext", "read_text"),
    ".pdf": ("pdf", "read_pdf"),
    ".fb2": ("fb2", "read_fb2"),
    ".fb2.zip": ("fb2", "read_fb2"),
    ".mobi": ("mobi", "read_mobi"),
    ".prc": ("mobi", "read_mobi"),
    ".azw": ("mobi", "read_mobi"),
    ".azw3": ("mobi", "read_mobi"),
    ".kf8": ("mobi", "read_mobi"),
    ".html": ("markup", "read_html"),
    ".htm": ("markup", "read_html"),
    ".xhtml": ("markup", "read_html"),
    ".md": ("markup", "read_markdown"),
    ".markdown": ("markup", "read_markdown"),
    ".docx": ("office", "read_docx"),
    ".odt": ("office", "read_with_calibre"),
    ".rtf": ("office", "read_with_calibre"),
    ".doc": ("office", "read_with_calibre"),
    ".lit": ("office", "read_with_calibre"),
}


def supported_suffixes() -> list[str]:
    return sorted(READERS)


def book_suffix(path: Path) -> str:
    return "".join(path.suffixes[-2:]).lower() if path.name.lower().endswith(".fb2.zip") else path.suffix.lower()


def read_book(path: str | Path, options: ReadOptions | None = None, book_name: str | None = None) -> Book:
    """Read any supported ebook into a :class:`Book`."""
    path = Path(path)
    book_name = book_name or path.name
    options = options or ReadOptions()
    if not path.is_file():
        raise SnakebookError(f"the file '{path}' does not exist or is not a regular file.", book_name)
    suffix = book_suffix(path)
    if suffix not in READERS:
        raise SnakebookError(
            f"the format '{suffix or '(no suffix)'}' is not supported; supported formats: {', '.join(supported_suffixes())}.",
            book_name,
        )
    if path.stat().st_size == 0:
        raise SnakebookError(f"the file '{path.name}' is empty (0 bytes); re-export or re-download it.", book_name)
    module_name, function_name = READERS[suffix]
    reader = getattr(import_module(f"{__name__}.{module_name}"), function_name)
    try:
        book = reader(path, options, book_name)
    except SnakebookError:
        raise
    except RecursionError:
        raise SnakebookError("the file is nested too deeply to read; it is broken or hostile.", book_name) from None
    except MemoryError:
        raise SnakebookError(
            "reading the file needed more memory than is available; it is broken or hostile.", book_name
        ) from None
    from .finish import finish_book

    return finish_book(book, options, book_name)
