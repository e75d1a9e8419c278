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
}


def supported_suffixes() -> list[str]:
    return sorted(READERS)


def read_book(path: str | Path, options: ReadOptions | None = None, book_name: str | None = None) -> Book:
    """Read any supported ebook into a :class:`Book`."""
    path = Path(path)
    book_name = book_name or path.name
    options = options or ReadOptions()
    if not path.is_file():
        raise SnakebookError(f"the file '{path}' does not exist or is not a regular file.", book_name)
    suffix = "".join(path.suffixes[-2:]).lower() if path.name.lower().endswith(".fb2.zip") else path.suffix.lower()
    if suffix not in READERS:
        raise SnakebookError(
            f"the format '{suffix or '(no suffix)'}' is not supported; supported formats: {', '.join(supported_suffixes())}.",
            book_name,
        )
    module_name, function_name = READERS[suffix]
    reader = getattr(import_module(f"{__name__}.{module_name}"), function_name)
    book = reader(path, options, book_name)
    if options.language:
        book.language = options.language
    return book
