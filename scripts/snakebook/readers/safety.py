"""Guards against hostile files: zip bombs, path traversal names, XML entity bombs, empty or oversized files.

Every reader calls these before handing bytes to a parser, so a hostile file stops with one clear
:class:`SnakebookError` naming the book instead of exhausting memory or writing outside a folder.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path, PurePosixPath

from ..errors import SnakebookError

MAX_TOTAL_UNCOMPRESSED = 1024 * 1024 * 1024  # 1 GiB
MAX_MEMBER_UNCOMPRESSED = 256 * 1024 * 1024
MAX_RATIO = 200
MAX_MEMBERS = 20000
MAX_FILE_BYTES = 512 * 1024 * 1024  # a single-file book (text, FB2, PDF, MOBI) larger than this is refused

# An internal DTD subset that declares entities is how "billion laughs" and external-entity attacks start;
# no real ebook needs one (XHTML's named entities come from the public DTD, which no parser here loads).
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
_ENTITY_DECLARATION_UTF16 = ("<!ENTITY".encode("utf-16-le"), "<!ENTITY".encode("utf-16-be"))


def check_file(path: str | Path, book: str, what: str = "book") -> int:
    """Refuse empty or absurdly large files; return the size."""
    size = Path(path).stat().st_size
    if size == 0:
        raise SnakebookError(
            f"the {what} file '{Path(path).name}' is empty (0 bytes); re-export or re-download it.", book
        )
    if size > MAX_FILE_BYTES:
        raise SnakebookError(
            f"the {what} file is {size} bytes, more than the {MAX_FILE_BYTES} allowed for one ebook.", book
        )
    return size


def _unsafe_member_name(name: str) -> bool:
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or "\x00" in name:
        return True
    return ".." in PurePosixPath(name.replace("\\", "/")).parts


def check_zip(path: str | Path, book: str) -> None:
    """Refuse archives that would expand to absurd sizes, or whose member names escape the archive."""
    check_file(path, book)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise SnakebookError(
            f"the file is not a valid ZIP/EPUB container ({exc}); it may be another kind of file renamed, "
            "or damaged: re-export or re-download it.",
            book,
        ) from None
    if len(infos) > MAX_MEMBERS:
        raise SnakebookError(
            f"the archive has {len(infos)} members, more than the {MAX_MEMBERS} allowed; it looks hostile.", book
        )
    total = 0
    for info in infos:
        if _unsafe_member_name(info.filename):
            raise SnakebookError(
                f"archive member name '{info.filename}' points outside the archive (path traversal); refusing a hostile file.",
                book,
            )
        total += info.file_size
        if (
            info.file_size > MAX_MEMBER_UNCOMPRESSED
            or (info.compress_size and info.file_size > 1024 * 1024 and info.file_size / info.compress_size > MAX_RATIO)
            or (info.compress_size == 0 and info.file_size > 1024 * 1024)
        ):
            raise SnakebookError(
                f"archive member '{info.filename}' expands to {info.file_size} bytes "
                f"(compression ratio {info.file_size / max(info.compress_size, 1):.0f}:1): refusing a likely zip bomb.",
                book,
            )
    if total > MAX_TOTAL_UNCOMPRESSED:
        raise SnakebookError(
            f"the archive expands to {total} bytes, more than the 1 GiB allowed: refusing a likely zip bomb.", book
        )


def check_xml(data: bytes, book: str, what: str) -> None:
    """Refuse XML that declares entities in its DTD (billion laughs, external entities)."""
    head = data if len(data) < 4_000_000 else data[:4_000_000]
    if _ENTITY_DECLARATION.search(head) or any(marker in head for marker in _ENTITY_DECLARATION_UTF16):
        raise SnakebookError(
            f"'{what}' declares XML entities in its DTD, which real ebooks never need and which is how XML entity "
            "bombs ('billion laughs') work; refusing a hostile or broken file.",
            book,
        )


def check_zip_xml(
    path: str | Path, book: str, suffixes=(".xml", ".opf", ".ncx", ".xhtml", ".html", ".htm", ".svg", ".smil", ".pls")
) -> None:
    """Run :func:`check_xml` over every XML-like member of an archive (after :func:`check_zip`)."""
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if info.filename.lower().endswith(suffixes) or info.filename == "mimetype":
                with archive.open(info) as handle:
                    check_xml(handle.read(MAX_MEMBER_UNCOMPRESSED), book, info.filename)


def xml_parser():
    """An lxml parser that never resolves entities, reaches the network or builds huge trees."""
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, recover=True)
