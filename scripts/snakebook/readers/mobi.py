"""MOBI / AZW / AZW3 (KF8) through the ``mobi`` package (KindleUnpack).

KindleUnpack turns a KF8 book into an EPUB and a legacy MOBI7 book into an OEB folder (``content.opf``,
``toc.ncx``, ``book.html``, images). The folder is zipped as an EPUB, so both kinds then go through the
EPUB reader: NCX chapters split at their ``filepos`` anchors, the cover and the metadata come along.
DRM-protected books cannot be read.
"""

from __future__ import annotations

import logging
import shutil
import zipfile
from pathlib import Path

from ..errors import SnakebookError
from ..model import Book
from .epub import read_epub
from .options import ReadOptions
from .safety import check_file

CONTAINER = """<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
<rootfiles><rootfile full-path="content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>
"""


def _zip_oeb_folder(folder: Path, target: Path) -> None:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/container.xml", CONTAINER)
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                archive.write(file, file.relative_to(folder).as_posix())


def read_mobi(path, options: ReadOptions, book_name: str) -> Book:
    import mobi

    check_file(path, book_name)
    with open(path, "rb") as handle:
        header = handle.read(68)
    if len(header) < 68 or header[60:68] not in (b"BOOKMOBI", b"TEXtREAd"):
        raise SnakebookError(
            "the file is not a MOBI/AZW ebook (no BOOKMOBI header); it may be another format renamed.", book_name
        )
    try:
        from loguru import logger

        logger.disable("mobi")
    except ImportError:
        pass
    logging.getLogger("mobi").setLevel(logging.ERROR)
    tempdir = None
    try:
        try:
            tempdir, extracted = mobi.extract(str(path))
        except Exception as exc:  # KindleUnpack raises plain Exceptions for DRM and damage
            message = str(exc)
            if "drm" in message.lower() or "encrypt" in message.lower():
                raise SnakebookError(
                    "the book is DRM-protected; only DRM-free MOBI/AZW files can be read.", book_name
                ) from None
            raise SnakebookError(
                f"cannot unpack the MOBI/AZW file ({type(exc).__name__}: {message}); it is damaged or unsupported.",
                book_name,
            ) from None
        extracted = Path(extracted)
        if extracted.suffix == ".epub":
            return read_epub(extracted, options, book_name)
        if extracted.suffix == ".html" and (extracted.parent / "content.opf").is_file():
            epub_path = Path(tempdir) / "mobi7.epub"
            _zip_oeb_folder(extracted.parent, epub_path)
            return read_epub(epub_path, options, book_name)
        if extracted.suffix == ".pdf":
            from .pdf import read_pdf

            return read_pdf(extracted, options, book_name)
        raise SnakebookError("the MOBI/AZW file unpacked to nothing readable.", book_name)
    finally:
        if tempdir:
            shutil.rmtree(tempdir, ignore_errors=True)
