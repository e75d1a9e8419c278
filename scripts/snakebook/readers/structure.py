"""From a stream of blocks and a list of chapter starts to the chapters a listener expects.

Every reader turns its book into one reading stream of :class:`~.html_text.Block` objects and a list of
:class:`Mark` objects (chapter starts from a table of contents, from headings, or from chapter-heading
lines in plain text). :func:`build_chapters` then

* picks the table-of-contents level that gives real chapters (unless the user set ``toc_level``),
* cuts the stream at the marks, so chapters may start in the middle of a file or run across files,
* drops what is not read aloud: contents lists, title pages, licences, covers, empty regions,
* folds heading-only regions (a "Part II" page) into the chapter after them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .. import coverage
from ..model import Chapter
from . import gutenberg
from .html_text import Block, blocks_to_text
from .options import ReadOptions


@dataclass
class Mark:
    position: int  # index of the first block of the chapter in the stream
    title: str
    depth: int = 1  # 1 = top level of the table of contents


# Titles of regions that are never read aloud (front and back matter), in the languages of the corpus and a few more.
SKIP_TITLES = re.compile(
    r"^(?:table of contents|(?:detailed |brief |full |analytical )?contents|toc|inhoud(?:sopgave)?|inhalt(?:sverzeichnis)?|sommaire|"
    r"table des mati[eè]res|[íi]ndice|содержание|оглавление|المحتويات|فهرس|"
    r"list of (?:illustrations|figures|tables|plates)|illustrations|index|cover|front cover|couverture|"
    r"title ?page|half ?title(?: ?page)?|page de titre|titelseite|imprint|colophon|copyright(?: page)?|"
    r"uncopyright|licen[cs]e|the full project gutenberg licen[cs]e.*|about this e?book|also by .*|"
    r"landmarks|navigation|start reading|commencer la lecture)$",
    re.IGNORECASE,
)
NOTES_TITLES = re.compile(r"^(?:notes?|end ?notes|foot ?notes|rear ?notes|notes on the text)$", re.IGNORECASE)
# A chapter title that is only a label and a number ("STAVE ONE.", "Chapter 4", "Book II") gains its subtitle.
LABEL_TITLE = re.compile(
    r"^(?:chapter|stave|book|part|canto|letter|section|volume|hoofdstuk|kapitel|chapitre|глава|часть)\s+"
    r"(?:[ivxlcdm]+|\d+|[a-z]+)\.?$",
    re.IGNORECASE,
)

TITLE_PAGE_CHARS = 1000  # a leading region shorter than this, before any substantial chapter, is front matter
SUBSTANTIAL_CHARS = 1000
HEADING_ONLY_CHARS = 200  # less body text than this below the headings: a part title page, folded forward


def norm(text: str) -> str:
    return re.sub(r"[\W_]+", " ", text).strip().lower()


def clean_title(title: str) -> str:
    title = re.sub(r"\s+", " ", title or "").strip()
    return title.strip(" .:;,-–—") if len(title) > 2 and title.endswith((":", ";", ",")) else title


def _body_chars(blocks: list[Block]) -> int:
    return sum(len(b.text) for b in blocks if b.kind == "p")


def _drop_title_headings(blocks: list[Block], title: str) -> tuple[list[Block], str]:
    """Drop leading headings that only repeat the chapter title (the title is spoken separately).

    When the title is a bare label ("STAVE ONE.") and the next heading is a subtitle, the subtitle joins it.
    """
    wanted = norm(title)
    out = list(blocks)
    while out and (not out[0].text or out[0].kind == "break"):
        out.pop(0)
    if (
        out
        and out[0].kind == "heading"
        and norm(out[0].text)
        and (norm(out[0].text) in wanted or wanted in norm(out[0].text))
    ):
        if len(norm(out[0].text)) > len(wanted) and wanted:
            title = clean_title(out[0].text)
        coverage.dropped(out.pop(0).text, "heading replaced by the title")
        while out and (not out[0].text or out[0].kind == "break"):
            out.pop(0)
        if (
            LABEL_TITLE.match(title.strip())
            and out
            and out[0].kind == "heading"
            and len(out[0].text) <= 80
            and re.search(r"[^\W\d_]{3}", out[0].text)
            and not LABEL_TITLE.match(out[0].text.strip())
        ):
            title = f"{title.strip().rstrip('.')}: {out[0].text.strip().rstrip('.')}"
            out.pop(0)
    return out, title


def is_contents(blocks: list[Block], other_titles: set[str]) -> bool:
    """A region that mostly lists other chapters' titles (a contents page without a telling title)."""
    paragraphs = [b for b in blocks if b.text]
    if len(paragraphs) < 3:
        return False
    lines = [norm(line) for b in paragraphs for line in b.text.split("\n") if norm(line)]
    if not lines:
        return False
    listed = sum(1 for line in lines if line in other_titles or re.sub(r"\s*\d+$", "", line) in other_titles)
    short = sum(1 for line in lines if len(line) < 70)
    return listed >= 3 and listed / len(lines) >= 0.3 and short / len(lines) >= 0.8


@dataclass
class _Region:
    title: str
    blocks: list[Block]
    depth: int


def _regions(blocks: list[Block], marks: list[Mark]) -> list[_Region]:
    marks = sorted(marks, key=lambda m: (m.position, m.depth))
    unique: list[Mark] = []
    for mark in marks:
        if unique and unique[-1].position == mark.position:
            continue
        unique.append(mark)
    regions = []
    if unique and unique[0].position > 0:
        lead = blocks[: unique[0].position]
        heading = next((b.text for b in lead if b.kind == "heading"), "")
        regions.append(_Region(heading, lead, 0))
    for i, mark in enumerate(unique):
        end = unique[i + 1].position if i + 1 < len(unique) else len(blocks)
        regions.append(_Region(clean_title(mark.title), blocks[mark.position : end], mark.depth))
    return regions


def _left_out(region: _Region, reason: str) -> None:
    """Tell the word account (snakebook.coverage) that a region is not read, and why."""
    coverage.dropped("\n".join(b.text for b in region.blocks), reason)


def _clean_regions(regions: list[_Region], options: ReadOptions) -> list[Chapter]:
    """Drop front/back matter and empty regions, fold heading-only regions forward, make chapters."""
    titles = {norm(r.title) for r in regions if r.title}
    kept: list[_Region] = []
    for region in regions:
        text_chars = sum(len(b.text) for b in region.blocks)
        if not text_chars:
            continue
        title = region.title
        if title and SKIP_TITLES.match(norm(title)) and not (region.depth == 0 and text_chars > SUBSTANTIAL_CHARS * 5):
            _left_out(region, coverage.matter_reason(title))
            continue
        if title and NOTES_TITLES.match(norm(title)) and not options.keep_notes and _body_chars(region.blocks) < 20000:
            _left_out(region, "notes")
            continue
        body = "\n".join(b.text for b in region.blocks)
        if gutenberg.is_licence(body) or is_contents(region.blocks, titles - {norm(title)}):
            _left_out(region, "licence" if gutenberg.is_licence(body) else "contents")
            continue
        kept.append(region)

    # Leading title pages, dedications and edition notes: short regions before the first substantial one.
    while (
        kept
        and (sum(len(b.text) for b in kept[0].blocks) < TITLE_PAGE_CHARS or _body_chars(kept[0].blocks) < 300)
        and any(sum(len(b.text) for b in r.blocks) >= SUBSTANTIAL_CHARS for r in kept[1:])
    ):
        _left_out(kept.pop(0), "title page")
    if kept and kept[0].depth == 0 and sum(len(b.text) for b in kept[0].blocks) < SUBSTANTIAL_CHARS and len(kept) > 1:
        _left_out(kept.pop(0), "title page")

    chapters: list[Chapter] = []
    carry: list[Block] = []
    for i, region in enumerate(kept):
        if (
            _body_chars(region.blocks) < HEADING_ONLY_CHARS
            and i + 1 < len(kept)
            and all(b.kind != "p" or len(b.text) < 120 for b in region.blocks)
        ):
            # A part title page: its headings (and epigraph) open the next chapter.
            heads = [b for b in region.blocks if b.text]
            if region.title and not any(b.kind == "heading" and norm(b.text) == norm(region.title) for b in heads):
                heads.insert(0, Block("heading", region.title))
            carry += heads
            continue
        own, title = _drop_title_headings(region.blocks, region.title)
        body = carry + own
        carry = []
        if not title:
            # No heading either: left empty, finish_book names it in the book's language ("Chapitre 3").
            title = next((b.text for b in body if b.kind == "heading"), "")
        text = blocks_to_text(body)
        if text.strip():
            chapters.append(Chapter(title=title, text=text))
    return chapters


def _score(chapters: list[Chapter]) -> tuple[int, float]:
    total = sum(len(c.text) for c in chapters) or 1
    return len(chapters), max((len(c.text) for c in chapters), default=0) / total


def build_chapters(blocks: list[Block], marks: list[Mark], options: ReadOptions) -> list[Chapter]:
    """Chapters from ``marks``, at the level the user asked for or the one that gives real chapters."""
    if not marks:
        return _clean_regions([_Region("", blocks, 0)], options)
    depths = sorted({m.depth for m in marks})
    if options.toc_level:
        chosen = [m for m in marks if m.depth <= options.toc_level] or [m for m in marks if m.depth == depths[0]]
        return _clean_regions(_regions(blocks, chosen), options)
    best: list[Chapter] = []
    for depth in depths:
        chapters = _clean_regions(_regions(blocks, [m for m in marks if m.depth <= depth]), options)
        count, share = _score(chapters)
        if count >= 3 and share <= 0.5:
            return chapters
        if count > len(best):
            best = chapters
    return best


def heading_marks(blocks: list[Block]) -> list[Mark]:
    """Chapter starts from the headings of an HTML-like stream (h1 → depth 1, the next level used → 2, ...)."""
    levels = sorted({b.level for b in blocks if b.kind == "heading" and b.level})
    rank = {level: i + 1 for i, level in enumerate(levels[:3])}
    return [Mark(i, b.text, rank[b.level]) for i, b in enumerate(blocks) if b.kind == "heading" and b.level in rank]


def looks_unsplit(chapters: list[Chapter]) -> bool:
    """True when the chapters found are too few and one of them holds most of the book."""
    count, share = _score(chapters)
    return count < 3 and share > 0.5
