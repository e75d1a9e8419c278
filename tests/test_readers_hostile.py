"""Hostile and broken files stop with one clear SnakebookError naming the book."""

from __future__ import annotations

import zipfile

import pytest
from helpers import DATA

from snakebook.errors import SnakebookError
from snakebook.readers import read_book

LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
    + b"]>\n"
)


def epub_with(tmp_path, name, members: dict[str, bytes]):
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        for member, data in members.items():
            archive.writestr(member, data)
    return path


CONTAINER = (
    b'<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
    b'<rootfiles><rootfile full-path="content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>'
)


def assert_refused(path, *words):
    with pytest.raises(SnakebookError) as info:
        read_book(path)
    message = str(info.value)
    assert message.startswith(f"{path.name}: ") and "\n" not in message
    for word in words:
        assert word in message.lower()


def test_zip_bomb(tmp_path):
    path = epub_with(
        tmp_path, "bomb.epub", {"META-INF/container.xml": CONTAINER, "big.xhtml": b"\0" * (300 * 1024 * 1024)}
    )
    assert_refused(path, "zip bomb")


def test_path_traversal_member(tmp_path):
    path = epub_with(tmp_path, "traversal.epub", {"META-INF/container.xml": CONTAINER, "../../evil.xhtml": b"<html/>"})
    assert_refused(path, "path traversal")


@pytest.mark.parametrize("member", ["content.opf", "toc.ncx", "chapter.xhtml"])
def test_billion_laughs_in_epub(tmp_path, member):
    members = {
        "META-INF/container.xml": CONTAINER,
        "content.opf": b"<package/>",
        "toc.ncx": b"<ncx/>",
        "chapter.xhtml": b"<html/>",
    }
    members[member] = LAUGHS + b"<html>&lol9;</html>"
    assert_refused(epub_with(tmp_path, f"laughs-{member}.epub", members), "entit")


def test_billion_laughs_in_fb2(tmp_path):
    path = tmp_path / "laughs.fb2"
    path.write_bytes(LAUGHS + b"<FictionBook><body><p>&lol9;</p></body></FictionBook>")
    assert_refused(path, "entit")


@pytest.mark.parametrize("name", ["renamed.epub", "renamed.mobi", "renamed.pdf", "renamed.fb2", "renamed.docx"])
def test_non_ebooks_renamed(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"not really a book " * 200)
    assert_refused(path)


@pytest.mark.parametrize("name", ["empty.epub", "empty.txt", "empty.pdf", "empty.fb2", "empty.mobi"])
def test_empty_files(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"")
    assert_refused(path, "empty")


def test_truncated_epub(tmp_path):
    data = (DATA / "idpf-wasteland.epub").read_bytes()
    path = tmp_path / "truncated.epub"
    path.write_bytes(data[: len(data) // 2])
    assert_refused(path)
