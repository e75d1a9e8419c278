"""The book table: which books to make, and the settings of each (:class:`snakebook.settings.BookSettings`).

Books come from three places, combined: the ``books`` list, a ``library`` folder (searched recursively unless
``library_recursive: false``) and a book sheet (``sheet: config/books.tsv``, in the style of Snakemake sample
sheets: one row a book, columns ``book`` (id, optional), ``path`` and any per-book key). A ``books`` entry or
sheet row whose file lies in the library overrides that library book's settings. Everything is checked before
any work: a book listed twice, two files that would get the same id, a file that does not exist, an unknown
column or key and a bad value are errors naming the entry (or row and column).
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import SnakebookError
from .readers import supported_suffixes
from .settings import BookSettings, book_keys, coerce, load_schema, make_book, nearest, resolve
from .slug import book_slug

SHEET_ID_COLUMN = "book"
# The config keys that make the book table (which books there are), as against how each book is made.
BOOK_TABLE_KEYS = ("books", "library", "library_recursive", "sheet")


@dataclass
class Entry:
    """One book as the config names it, before merging with the global settings."""

    origin: str  # "`books` entry 2", "sheet config/books.tsv row 3", "library file"
    path: str
    values: dict = field(default_factory=dict)  # per-book keys (and `name`)
    overrides: list[str] = field(default_factory=list)


def library_books(folder: str | Path, recursive: bool = True) -> list[Path]:
    """Every supported ebook in ``folder`` (and its sub-folders); other files and hidden ones are skipped."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise SnakebookError(f"library folder '{folder}' does not exist or is not a folder (config key `library`).")
    suffixes = tuple(supported_suffixes())
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [Path(root) / name for name in files if not name.startswith(".") and name.lower().endswith(suffixes)]
        if not recursive:
            break
    if not found:
        where = "or its sub-folders " if recursive else ""
        raise SnakebookError(f"library folder '{folder}' {where}holds no supported ebook ({', '.join(suffixes)}).")
    return sorted(found)


def sheet_schema() -> dict:
    """The JSON schema of one sheet row: the ``books`` entry's, with the id in column ``book``."""
    schema = load_schema()
    entry = next(
        resolve(alt, schema)
        for alt in schema["properties"]["books"]["items"]["oneOf"]
        if resolve(alt, schema).get("type") == "object"
    )
    properties = dict(entry["properties"])
    properties[SHEET_ID_COLUMN] = properties.pop("name")
    return {
        "definitions": schema["definitions"],
        "type": "object",
        "properties": properties,
        "required": ["path"],
        "additionalProperties": False,
    }


def read_sheet(path: str | Path) -> list[Entry]:
    """The rows of a book sheet (TSV; CSV when the name ends in .csv), checked against :func:`sheet_schema`."""
    import jsonschema

    path = Path(path).expanduser()
    if not path.is_file():
        raise SnakebookError(f"the book sheet '{path}' (config key `sheet`) does not exist.")
    schema = sheet_schema()
    columns = set(schema["properties"])
    delimiter = "," if path.suffix.lower() == ".csv" else "\t"
    with open(path, encoding="utf-8-sig", newline="") as handle:
        lines = [line for line in handle if line.strip() and not line.lstrip().startswith("#")]
    reader = csv.DictReader(lines, delimiter=delimiter)
    header = [name.strip() for name in reader.fieldnames or []]
    for name in header:
        if name not in columns:
            raise SnakebookError(f"the book sheet '{path}' has an unknown column `{name}`; {nearest(name, columns)}")
    if "path" not in header:
        raise SnakebookError(f"the book sheet '{path}' has no `path` column (columns: {', '.join(header)}).")
    validator = jsonschema.Draft202012Validator(schema)
    entries = []
    for number, raw in enumerate(reader, start=1):
        where = f"book sheet '{path}' row {number}"
        if None in raw:
            raise SnakebookError(f"{where} has more cells than the header has columns.")
        row = {k.strip(): v.strip() for k, v in raw.items() if v is not None and v.strip() != ""}
        row = coerce(row, schema, schema)
        for error in validator.iter_errors(row):
            column = error.absolute_path[0] if error.absolute_path else "path"
            raise SnakebookError(f"{where}, column `{column}`: {error.message}.")
        values = {k: v for k, v in row.items() if k != "path"}
        if SHEET_ID_COLUMN in values:
            values["name"] = values.pop(SHEET_ID_COLUMN)
        entries.append(Entry(where, row["path"], values))
    return entries


def _book_entries(config: dict) -> list[Entry]:
    entries = []
    for index, item in enumerate(config.get("books") or [], start=1):
        values = {"path": item} if isinstance(item, str) else dict(item)
        origin = f"`books` entry {index}"
        if not values.get("path"):
            raise SnakebookError(f"{origin} has no `path`: {item!r}.")
        entries.append(Entry(origin, str(values.pop("path")), values))
    return entries


def _key(path: str | Path) -> str:
    return os.path.realpath(os.path.expanduser(str(path)))


def book_table(config: dict, explicit_books: bool = True) -> dict[str, BookSettings]:
    """id -> settings of every book to make.

    ``explicit_books``: whether ``books`` was given on purpose (command line, a --configfile) rather than
    being config/config.yaml's sample; with ``library`` or ``sheet`` an implicit list is dropped, except
    entries for files in the library (those override the library book's settings).
    """
    library: dict[str, Entry] = {}
    if config.get("library"):
        for path in library_books(config["library"], config.get("library_recursive", True)):
            library[_key(path)] = Entry(f"library file '{path}'", str(path))
    sheet = read_sheet(config["sheet"]) if config.get("sheet") else []
    books = _book_entries(config)
    if (library or config.get("sheet")) and not explicit_books:
        books = [entry for entry in books if _key(entry.path) in library]

    listed: dict[str, Entry] = {}
    extra: list[Entry] = []
    for entry in books + sheet:
        if not os.path.exists(os.path.expanduser(entry.path)):
            raise SnakebookError(f"the ebook of {entry.origin} does not exist: '{entry.path}'.")
        key = _key(entry.path)
        if key in listed:
            raise SnakebookError(
                f"the book '{entry.path}' is listed twice: in {listed[key].origin} and in "
                f"{entry.origin}; keep one (a row or entry overrides a library book by its path)."
            )
        listed[key] = entry
        if key in library:
            library[key].values.update(entry.values)
            library[key].overrides.append(entry.origin)
        else:
            extra.append(entry)
    entries = list(library.values()) + extra
    if not entries:
        raise SnakebookError(
            "no books to make: set `books` (a list of ebook paths), `library` (a folder) or `sheet` "
            "(a book sheet such as config/books.tsv) in the config."
        )

    table: dict[str, BookSettings] = {}
    origins: dict[str, Entry] = {}
    for entry in entries:
        slug = entry.values.get("name") or book_slug(entry.path)
        if slug in table:
            first = origins[slug]
            raise SnakebookError(
                f"two books would get the same id '{slug}': '{first.path}' ({first.origin}) and '{entry.path}' "
                f"({entry.origin}); give one of them its own id (`name:` in a `books` entry, or the sheet's "
                "`book` column)."
            )
        values = {k: v for k, v in entry.values.items() if k in book_keys()}
        table[slug] = make_book(entry.path, slug, values, config)
        origins[slug] = entry
    return table
