"""EPUB 2 and 3 (ebooklib for the package, lxml for nav/NCX, BeautifulSoup for the content).

Chapters come from the EPUB3 nav, else the NCX, else headings, else spine documents. TOC entries that
point into a file (``file.xhtml#anchor``) cut the reading stream there; chapters running over several files
are joined, because the stream is one sequence of blocks over all linear spine documents.
"""

from __future__ import annotations

import posixpath
import re
import warnings
from urllib.parse import unquote

from .. import coverage
from ..errors import SnakebookError
from ..model import Book, Cover
from .html_text import Block, epub_types, iter_blocks, parse_html
from .options import ReadOptions
from .safety import check_zip, check_zip_xml, xml_parser
from .structure import Mark, build_chapters, heading_marks, looks_unsplit

SKIP_DOC_TYPES = {
    "cover",
    "titlepage",
    "halftitlepage",
    "toc",
    "landmarks",
    "loi",
    "lot",
    "copyright-page",
    "imprint",
    "colophon",
    "frontispiece",
    "index",
    "seriespage",
    "other-credits",
    "acknowledgments",
    "page-list",
    "pagelist",
}
NOTE_TYPES = {"footnotes", "endnotes", "rearnotes", "footnote", "endnote", "rearnote", "notes"}
BOILERPLATE_IDS = {"pg-header", "pg-footer", "pg-machine-header", "pg-start-separator", "pg-end-separator"}
RUNNING_HEAD_CLASSES = {"oeb-header", "oeb-footer", "running-head", "runninghead", "pagenum", "page-number"}
EPUB_NS = "http://www.idpf.org/2007/ops"
ISBN = re.compile(r"(?:urn:)?(?:isbn:?)?\s*((?:97[89][\s-]?)?(?:\d[\s-]?){9}[\dXx])$", re.IGNORECASE)


def _meta(book, name):
    return [value.strip() for value, _attrs in book.get_metadata("DC", name) if value and value.strip()]


def _identifiers(book) -> list[str]:
    out = []
    for value, attrs in book.get_metadata("DC", "identifier"):
        if not value:
            continue
        value = value.strip()
        scheme = " ".join(str(v) for k, v in (attrs or {}).items() if k.endswith("scheme")).lower()
        match = ISBN.match(value)
        digits = re.sub(r"[^\dXx]", "", match.group(1)) if match else ""
        if match and (
            "isbn" in scheme or "isbn" in value.lower() or len(digits) == 13 and digits.startswith(("978", "979"))
        ):
            out.append(f"isbn:{digits.upper()}")
        else:
            out.append(value)
    return out


def _series_and_subtitle(package) -> tuple[str | None, str | None, str | None]:
    """(series, series index, subtitle) from EPUB3 ``belongs-to-collection``/``title-type`` or Calibre's meta."""
    metas = package.get_metadata("OPF", "meta")
    refines: dict[str, dict[str, str]] = {}
    for value, attrs in metas:
        if attrs.get("refines") and attrs.get("property") and value:
            refines.setdefault(attrs["refines"].lstrip("#"), {})[attrs["property"]] = value.strip()
    series = index = None
    for value, attrs in metas:
        if attrs.get("property") == "belongs-to-collection" and value and value.strip():
            details = refines.get(attrs.get("id", ""), {})
            if details.get("collection-type", "series") == "series":
                series, index = value.strip(), details.get("group-position")
                break
    if series is None:
        named = {attrs.get("name"): attrs.get("content") for _value, attrs in metas if attrs.get("name")}
        series, index = (named.get("calibre:series") or "").strip() or None, named.get("calibre:series_index")
    subtitle = None
    titles = package.get_metadata("DC", "title")
    for value, attrs in titles[1:]:
        kind = refines.get((attrs or {}).get("id", ""), {}).get("title-type")
        if value and value.strip() and kind in (None, "subtitle"):
            subtitle = value.strip()
            break
    if index:
        index = index.strip().removesuffix(".0") or None
    return series, index if series else None, subtitle


def _pls_lexicon(package) -> dict:
    """Pronunciations from the PLS lexicons in the package (EPUB 3 ``application/pls+xml`` items)."""
    from ..text.lexicon import parse_pls

    entries: dict = {}
    for item in package.get_items():
        if item.media_type == "application/pls+xml":
            entries.update(parse_pls(item.get_content()))
    return entries


def _cover(book) -> Cover | None:
    import ebooklib

    candidates = list(book.get_items_of_type(ebooklib.ITEM_COVER))
    for _value, attrs in book.get_metadata("OPF", "cover"):
        item = book.get_item_with_id((attrs or {}).get("content", ""))
        if item is not None:
            candidates.append(item)
    for item in book.get_items():
        if "cover-image" in (getattr(item, "properties", None) or []):
            candidates.append(item)
    # The cover page (guide type "cover", or a spine document called cover) shows the image.
    pages = [g.get("href", "") for g in book.guide if g.get("type") == "cover"]
    pages += [
        item.get_name()
        for item in book.get_items()
        if "cover" in item.get_name().lower() and item.media_type.endswith(("xhtml+xml", "html"))
    ]
    for page in pages:
        item = book.get_item_with_href(page.partition("#")[0])
        if item is None:
            continue
        soup = parse_html(item.get_content())
        for tag in soup.find_all(["img", "image"]):
            src = tag.get("src") or tag.get("xlink:href") or tag.get("href")
            if src:
                image = book.get_item_with_href(
                    posixpath.normpath(posixpath.join(posixpath.dirname(item.get_name()), unquote(src)))
                )
                if image is not None:
                    candidates.append(image)
    candidates += [i for i in book.get_items() if i.media_type.startswith("image/") and "cover" in i.get_name().lower()]
    for item in candidates:
        if item.media_type.startswith("image/"):
            return Cover(item.get_content(), item.media_type)
    return None


def _resolve(base: str, href: str) -> tuple[str, str]:
    file_part, _, anchor = unquote(href.strip()).partition("#")
    if not file_part:
        return base, anchor
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), file_part)), anchor


def _walk_nav_list(ol, depth: int, base: str, entries: list) -> None:
    for li in ol.findall("{*}li"):
        link = li.find("{*}a")
        child_depth = depth
        if link is not None and link.get("href"):
            title = " ".join("".join(link.itertext()).split())
            entries.append((title, *_resolve(base, link.get("href")), depth))
            child_depth = depth + 1
        for sub in li.findall("{*}ol"):
            _walk_nav_list(sub, child_depth, base, entries)


def _walk_nav_points(parent, depth: int, base: str, entries: list) -> None:
    for point in parent.findall("{*}navPoint"):
        label = point.find("{*}navLabel/{*}text")
        content = point.find("{*}content")
        if content is not None and content.get("src"):
            title = " ".join("".join(label.itertext()).split()) if label is not None else ""
            entries.append((title, *_resolve(base, content.get("src")), depth))
        _walk_nav_points(point, depth + 1, base, entries)


def _nav_items(package) -> list:
    import ebooklib

    items = list(package.get_items_of_type(ebooklib.ITEM_NAVIGATION))
    items += [i for i in package.get_items() if "nav" in (getattr(i, "properties", None) or []) and i not in items]
    return [i for i in items if i.media_type.endswith(("xhtml+xml", "html"))]


def _parse_xml_item(item):
    """The root element of an XML package member, or None when it is not well-formed (hardened parser)."""
    from lxml import etree

    try:
        return etree.fromstring(item.get_content(), xml_parser())
    except etree.XMLSyntaxError:
        return None


def _nav_entries(package) -> list[tuple[str, str, str, int]]:
    """(title, file, anchor, depth) from the EPUB3 navigation document's ``toc`` nav."""

    for item in _nav_items(package):
        root = _parse_xml_item(item)
        if root is None:
            continue
        for nav in root.iter("{*}nav"):
            if "toc" not in (nav.get(f"{{{EPUB_NS}}}type") or "").split():
                continue
            entries: list[tuple[str, str, str, int]] = []
            for ol in nav.findall("{*}ol"):
                _walk_nav_list(ol, 1, item.get_name(), entries)
            return entries
    return []


def _ncx_entries(package) -> list[tuple[str, str, str, int]]:

    for item in package.get_items():
        if not (item.media_type == "application/x-dtbncx+xml" or item.get_name().lower().endswith(".ncx")):
            continue
        root = _parse_xml_item(item)
        if root is None:
            continue
        entries: list[tuple[str, str, str, int]] = []
        nav_map = root.find("{*}navMap")
        if nav_map is not None:
            _walk_nav_points(nav_map, 1, item.get_name(), entries)
        return entries
    return []


def _skip_factory(options: ReadOptions):
    def reason(tag) -> str:
        if tag.get("id") in BOILERPLATE_IDS or "pg-boilerplate" in (tag.get("class") or []):
            return "licence"
        if tag.get("hidden") is not None or tag.name == "nav" or RUNNING_HEAD_CLASSES & set(tag.get("class") or []):
            return "navigation" if tag.name == "nav" else "hidden" if tag.get("hidden") is not None else "running head"
        types = epub_types(tag)
        if types & SKIP_DOC_TYPES and tag.name in ("section", "div", "nav", "aside", "body", "header"):
            return coverage.matter_reason(sorted(types & SKIP_DOC_TYPES)[0])
        return "notes" if types & NOTE_TYPES and not options.keep_notes else ""

    def skip(tag) -> bool:
        why = reason(tag)
        if why:
            coverage.dropped(coverage.visible_text(tag), why)  # the word account (no-op unless recording)
        return bool(why)

    return skip


def read_epub(path, options: ReadOptions, book_name: str) -> Book:
    from ebooklib import epub

    check_zip(path, book_name)
    check_zip_xml(path, book_name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            package = epub.read_epub(str(path), options={"ignore_ncx": False})
    except Exception as exc:  # ebooklib raises many kinds for broken packages
        raise SnakebookError(
            f"cannot read the EPUB package ({type(exc).__name__}: {exc}); the file is damaged or not an EPUB.",
            book_name,
        ) from None

    titles = _meta(package, "title")
    series, series_index, subtitle = _series_and_subtitle(package)
    book = Book(
        title=titles[0] if titles else book_name,
        authors=_meta(package, "creator"),
        language=(_meta(package, "language") or [None])[0],
        publisher=(_meta(package, "publisher") or [None])[0],
        date=(_meta(package, "date") or [None])[0],
        description=(_meta(package, "description") or [None])[0],
        identifiers=_identifiers(package),
        cover=_cover(package),
        lexicon=_pls_lexicon(package),
        subtitle=subtitle,
        series=series,
        series_index=series_index,
    )

    nav_names = {item.get_name() for item in _nav_items(package)}

    # The reading stream: blocks of every linear spine document, in order.
    stream: list[Block] = []
    first_block_of: dict[str, int] = {}
    doc_title: dict[str, str] = {}
    anchor_at: dict[tuple[str, str], int] = {}
    skip = _skip_factory(options)
    for idref, linear in package.spine:
        item = package.get_item_with_id(idref)
        if item is None or not item.media_type.endswith(("xhtml+xml", "html")):
            continue
        left_out = "contents" if item.get_name() in nav_names else "non-linear" if linear == "no" else ""
        if left_out and not coverage.active():
            continue
        soup = parse_html(item.get_content())
        body = soup.body or soup
        coverage.source(item.get_name(), coverage.visible_text(body))  # the word account (no-op unless recording)
        if not left_out and epub_types(body) & SKIP_DOC_TYPES:
            left_out = coverage.matter_reason(sorted(epub_types(body) & SKIP_DOC_TYPES)[0])
        if left_out:
            coverage.dropped(coverage.visible_text(body), left_out)
            continue
        name = item.get_name()
        first_block_of[name] = len(stream)
        doc_title[name] = soup.title.get_text(" ", strip=True) if soup.title else ""
        for block in iter_blocks(body, skip=skip):
            for anchor in block.ids:
                anchor_at.setdefault((name, anchor), len(stream))
            stream.append(block)

    def marks_from(entries) -> list[Mark]:
        marks = []
        for title, file_part, anchor, depth in entries:
            position = anchor_at.get((file_part, anchor)) if anchor else first_block_of.get(file_part)
            if position is None and anchor:
                position = first_block_of.get(file_part)
            if position is not None and position < len(stream):
                marks.append(Mark(position, title, depth))
        return marks

    chapters = []
    for entries in (_nav_entries(package), _ncx_entries(package)):
        marks = marks_from(entries)
        if marks:
            chapters = build_chapters(stream, marks, options)
            break
    if (not chapters or looks_unsplit(chapters)) and not options.toc_level:
        by_headings = build_chapters(stream, heading_marks(stream), options)
        if len(by_headings) > len(chapters) and not looks_unsplit(by_headings):
            chapters = by_headings
    if not chapters or looks_unsplit(chapters) and not options.toc_level:  # one chapter per spine document
        marks = []
        for name, position in first_block_of.items():
            first = [b for b in stream[position : position + 5] if b.text]
            heading = next((b.text for b in first if b.kind == "heading"), "")
            if not heading and first and len(first[0].text) <= 80 and "\n" not in first[0].text:
                heading = first[0].text
            titles = list(doc_title.values())
            if not heading and titles.count(doc_title.get(name, "")) == 1:
                heading = doc_title[name]
            marks.append(Mark(position, heading, 1))
        by_files = build_chapters(stream, marks, options)
        if not chapters or len(by_files) > len(chapters) and not looks_unsplit(by_files):
            chapters = by_files
    book.chapters = chapters
    if not book.chapters:
        raise SnakebookError(
            "the EPUB has no readable text (no chapters with text were found in its spine).", book_name
        )
    return book
