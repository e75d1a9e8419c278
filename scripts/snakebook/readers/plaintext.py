"""Plain text: encoding detection (charset-normalizer), Project Gutenberg stripping, chapter-heading lines.

Chapter headings are found in this order of trust:

1. the entries of a contents list ("CONTENTS", "INHOUD", ...) that appear again later as stand-alone lines,
2. keyword headings ("CHAPTER I", "Chapter 1", "STAVE ONE", "Part II", ...),
3. stand-alone upper-case lines after a gap of two blank lines.

A contents list is itself never read, so "Chapter 1" in the contents and in the text is counted once.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from .. import coverage
from ..chaptertext import BREAK, SCENE_BREAK
from ..errors import SnakebookError
from ..language import normalise_tag
from ..model import Book
from . import gutenberg
from .html_text import Block
from .options import ReadOptions
from .safety import check_file
from .structure import Mark, build_chapters, norm

NUMBER = r"(?:[IVXLCDM]+|\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|[a-z]+teen|twenty[-\w]*|thirty[-\w]*|first|second|third|fourth|fifth|last)"
KEYWORD_HEADING = re.compile(
    rf"^(?:(?P<part>part|book|volume|deel|teil|livre|partie|часть|книга)|chapter|stave|canto|letter|hoofdstuk|kapitel|chapitre|глава)"
    rf"\s+{NUMBER}\b[.:]?(?:\s*[-—.:]?\s*.{{0,70}})?$",
    re.IGNORECASE,
)
CONTENTS_HEADING = re.compile(
    r"^(?:table of contents|contents|inhoud|inhoudsopgave|inhalt|table des mati[eè]res|sommaire|[íi]ndice|содержание|оглавление)\.?$",
    re.IGNORECASE,
)
PAGE_REF = re.compile(r"(?:[\s.·]*(?:p\.|page|bladz\.?)?\s*\d+\.?|\s+[IVXLC]+\.?)$", re.IGNORECASE)


def decode_text(data: bytes, book_name: str) -> str:
    """Bytes to text: a BOM wins, then UTF-16/32 without a BOM (told by where its zero bytes are), then strict
    UTF-8, then charset-normalizer's best guess."""
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    wide = _wide_encoding(data)
    if wide:
        try:
            return data.decode(wide)
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:2_000_000]).best()
    if best is None:
        raise SnakebookError(
            "the text file's encoding cannot be recognised (is it really text?); save it as UTF-8.", book_name
        )
    encoding = best.encoding
    # Western 8-bit texts: prefer cp1252 (a superset of Latin-1's printable range) when it decodes cleanly.
    if encoding in ("latin_1", "iso8859_15", "cp1250", "iso8859_2") and best.language in (
        "Dutch",
        "English",
        "German",
        "French",
        "Spanish",
        "Italian",
        "Portuguese",
        "Danish",
        "Swedish",
        "Norwegian",
        "Finnish",
        "Unknown",
    ):
        encoding = "cp1252"
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return data.decode(best.encoding, errors="replace")


def _wide_encoding(data: bytes) -> str | None:
    """UTF-32 or UTF-16 (and which byte order) for text without a byte-order mark, else None.

    Such text is valid UTF-8 byte for byte when its letters are ASCII (a zero byte is a valid character),
    so it must be recognised before UTF-8 is tried: text has no NUL characters, but UTF-16 of Latin or
    Cyrillic text has a zero in one byte of many code units (always the same one of the pair), and UTF-32
    has two zero bytes in every unit.
    """
    sample = data[:65536]
    if len(sample) < 8 or b"\x00" not in sample:
        return None
    units4 = len(sample) // 4
    if len(data) % 4 == 0 and units4:
        zeros = [sum(1 for i in range(offset, units4 * 4, 4) if sample[i] == 0) / units4 for offset in range(4)]
        if zeros[2] > 0.95 and zeros[3] > 0.95:
            return "utf-32-le"
        if zeros[0] > 0.95 and zeros[1] > 0.95:
            return "utf-32-be"
    if len(data) % 2:
        return None
    units = len(sample) // 2
    even = sum(1 for i in range(0, units * 2, 2) if sample[i] == 0) / units
    odd = sum(1 for i in range(1, units * 2, 2) if sample[i] == 0) / units
    if odd > 0.05 and even < 0.01:
        return "utf-16-le"
    if even > 0.05 and odd < 0.01:
        return "utf-16-be"
    return None


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n").replace("\ufeff", "")


def paragraphs(text: str) -> list[tuple[str, int]]:
    """(paragraph, blank lines before it). Lines inside a paragraph are kept (poetry); prose lines are joined later."""
    out: list[tuple[str, int]] = []
    blanks = 0
    current: list[str] = []
    for line in text.split("\n"):
        if line.strip():
            current.append(line.rstrip())
            continue
        if current:
            out.append(("\n".join(current), blanks))
            current, blanks = [], 0
        blanks += 1
    if current:
        out.append(("\n".join(current), blanks))
    return out


def _is_verse(lines: list[str]) -> bool:
    """Short lines, some indented or starting with capitals after a line without final punctuation: keep breaks."""
    if len(lines) < 2:
        return False
    lengths = [len(line.strip()) for line in lines]
    return max(lengths) < 55 and sum(lengths) / len(lengths) < 45


def paragraph_text(raw: str) -> str:
    lines = [re.sub(r"\s+", " ", line).strip() for line in raw.split("\n")]
    lines = [line for line in lines if line]
    if _is_verse(lines):
        return "\n".join(lines)
    return " ".join(lines)


def _scene_break(text: str) -> bool:
    return bool(re.fullmatch(r"[\s*·•~#=_-]{3,}", text)) and any(c in text for c in "*·•~#")


def _heading_candidates(paras: list[tuple[str, int]]) -> list[tuple[int, str, str]]:
    """(index, heading text, kind) for every stand-alone line that could be a heading."""
    found = []
    for i, (raw, blanks) in enumerate(paras):
        lines = [line.strip() for line in raw.split("\n") if line.strip()]
        if not lines or len(lines) > 3:
            continue
        first = lines[0]
        match = KEYWORD_HEADING.match(first)
        if match and len(first) <= 90 and (blanks >= 1 or i == 0):
            found.append(
                (
                    i,
                    " ".join(lines) if len(lines) > 1 and all(line.isupper() for line in lines) else first,
                    "part" if match.group("part") else "chapter",
                )
            )
            continue
        letters = re.sub(r"[^\w]", "", " ".join(lines))
        if (
            blanks >= 2
            and len(" ".join(lines)) <= 80
            and letters
            and " ".join(lines).upper() == " ".join(lines)
            and re.search(r"[^\W\d_]{2}", " ".join(lines))
            and len(lines) <= 2
        ):
            found.append((i, " ".join(lines), "caps"))
    return found


def _contents_titles(paras: list[tuple[str, int]]) -> tuple[int, int, list[str]]:
    """Find a contents list: (first paragraph index, last paragraph index, entry titles)."""
    for i, (raw, _blanks) in enumerate(paras[:400]):
        if not CONTENTS_HEADING.match(raw.strip()):
            continue
        titles: list[str] = []
        end = i
        for j in range(i + 1, min(len(paras), i + 400)):
            lines = [line.strip() for line in paras[j][0].split("\n") if line.strip()]
            with_refs = sum(1 for line in lines if PAGE_REF.search(line))
            if (
                not lines
                or any(len(line) > 90 for line in lines)
                or len(lines) > 3
                and with_refs < len(lines) / 2
                or titles
                and norm(PAGE_REF.sub("", lines[0])) == norm(titles[0])
                or paras[j][1] >= 3
                and len(titles) > 2
                and not with_refs
            ):
                break
            for line in lines:
                entry = PAGE_REF.sub("", line).strip(" .")
                if entry and not re.fullmatch(r"(?:bladz|page|p)\.?", entry, re.IGNORECASE):
                    titles.append(entry)
            end = j
        if len(titles) >= 3:
            return i, end, titles
    return -1, -1, []


def split_text(text: str, options: ReadOptions) -> list:
    """Chapters of a plain text (already decoded and stripped of boilerplate)."""
    paras = paragraphs(text)
    c_start, c_end, entries = _contents_titles(paras)
    candidates = [c for c in _heading_candidates(paras) if not c_start <= c[0] <= c_end]

    chosen: list[tuple[int, str, str]] = []
    if entries:
        wanted = {norm(e) for e in entries}
        # A heading may span two lines where the contents has it on one (or the reverse).
        chosen = [
            c
            for c in candidates
            if norm(c[1]) in wanted
            or any(
                norm(c[1]).startswith(w) or w.startswith(norm(c[1]))
                for w in wanted
                if len(w) > 12 and len(norm(c[1])) > 12
            )
        ]
        # A title listed twice in the contents list (Chapter 1 ... Chapter 1 again) counts once per heading.
        if len(chosen) < 3:
            chosen = []
    if not chosen:
        keyword = [c for c in candidates if c[2] != "caps"]
        chosen = (
            keyword if len(keyword) >= 2 else [c for c in candidates if c[2] == "caps"] if len(candidates) >= 3 else []
        )

    if c_start >= 0:  # the word account (no-op unless recording): the contents list is not read
        coverage.dropped("\n".join(raw for raw, _blanks in paras[c_start : c_end + 1]), "contents")
    blocks: list[Block] = []
    index_of: dict[int, int] = {}
    for i, (raw, _blanks) in enumerate(paras):
        if c_start <= i <= c_end:
            continue
        index_of[i] = len(blocks)
        body = paragraph_text(raw)
        if _scene_break(body):
            blocks.append(Block(BREAK, SCENE_BREAK))
        elif any(i == c[0] for c in chosen):
            blocks.append(Block("heading", " ".join(body.split("\n")), level=1))
        else:
            blocks.append(Block("p", body))
    has_parts = any(c[2] == "part" for c in chosen) and any(c[2] == "chapter" for c in chosen)
    marks = [Mark(index_of[i], title, 1 if kind == "part" or not has_parts else 2) for i, title, kind in chosen]
    # The title page and anything else before a contents list are front matter.
    if c_end >= 0:
        first_after = next((index_of[i] for i in sorted(index_of) if i > c_end), None)
        if first_after is not None:
            blocks_before = sum(len(b.text) for b in blocks[:first_after])
            if blocks_before < 3000:
                coverage.dropped("\n".join(b.text for b in blocks[:first_after]), "title page")
                blocks = blocks[first_after:]
                marks = [Mark(m.position - first_after, m.title, m.depth) for m in marks if m.position >= first_after]
    return build_chapters(blocks, marks, options)


def read_text(path, options: ReadOptions, book_name: str) -> Book:
    check_file(path, book_name)
    text = normalise_newlines(decode_text(Path(path).read_bytes(), book_name))
    coverage.source(Path(path).name, text)  # the word account (no-op unless recording)
    meta = {}
    for key in ("Title", "Author", "Language", "Release Date"):
        match = re.search(rf"^{key}:\s*(.+)$", text[:5000], re.MULTILINE)
        if match:
            meta[key] = match.group(1).strip()
    body = gutenberg.strip_text(text)
    chapters = split_text(body, options)
    if not chapters:
        raise SnakebookError("the text file has no readable text.", book_name)
    language = normalise_tag(meta.get("Language"))
    return Book(
        title=meta.get("Title") or Path(path).stem,
        authors=[meta["Author"]] if meta.get("Author") else [],
        language=language,
        chapters=chapters,
        date=meta.get("Release Date"),
    )
