"""What happened to every word of the book: a word-level account of extraction and of text preparation.

Extraction (``results/{book}/coverage.tsv``)
    While a reader works it reports, to the :class:`Recorder` active in this context, the full visible text
    of every *source document* (EPUB spine item, PDF page, FB2 section, the plain text file) with
    :func:`source`, and every piece of text it leaves out on purpose with :func:`dropped` and a reason
    (cover, title page, contents, licence, notes, running head ...). Nothing else is trusted: after reading,
    :func:`account` aligns the words of the sources with the words of the chapters (titles included), in
    order, so every source word is either found in a chapter or counted as dropped, with the reason of the
    report that covers it. A dropped word no report explains is ``unexplained``: a reader that skips a
    paragraph type by mistake shows up there, named with its text.

Text preparation (:func:`check_speech`)
    Every alphabetic word of ``chapters/NNN.txt`` must reach ``speech/NNN.txt`` unchanged or through a known
    rule (a number, an abbreviation, a lexicon entry, a symbol, a URL, an acronym spelled out), in order.
    Words that vanished are listed with their sentence.

Words are runs of letters and digits that hold at least one letter, compared case-insensitively after
NFKC (ligatures) and with words hyphenated across a line break joined.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
import unicodedata
from bisect import bisect_left
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from .chaptertext import HINT  # ⟦printed|phonemes⟧ pronunciation hints: the printed text (group 1) counts

WORD = re.compile(r"[^\W_]+")
ANCHOR = 3  # words in the anchors that re-synchronise the alignment after a gap
LOOKAHEAD = 12  # words passed over at most, on either side, before looking for the next anchor

UNEXPLAINED = "unexplained"


def words(text: str) -> list[str]:
    """The words of ``text`` as compared here (lower case, NFKC, line-break hyphenation joined)."""
    text = HINT.sub(r"\1", text)
    text = unicodedata.normalize("NFKC", text).replace("\u00ad", "")
    text = re.sub(r"([^\W\d_])-[ \t]*\r?\n\s*([^\W\d_])", r"\1\2", text)
    return [w.lower() for w in WORD.findall(text) if not w.isdigit()]


@dataclass
class Recorder:
    """Collects what a reader reports: source documents and deliberate drops."""

    sources: list[tuple[str, str]] = field(default_factory=list)  # (name, full visible text)
    drops: list[tuple[str, str]] = field(default_factory=list)  # (text, reason)


_ACTIVE: contextvars.ContextVar[Recorder | None] = contextvars.ContextVar("snakebook_coverage", default=None)


@contextlib.contextmanager
def recording():
    """Collect the reports of the readers run inside this block."""
    recorder = Recorder()
    token = _ACTIVE.set(recorder)
    try:
        yield recorder
    finally:
        _ACTIVE.reset(token)


def active() -> bool:
    return _ACTIVE.get() is not None


def source(name: str, text: str) -> None:
    """A reader saw source document ``name`` whose whole visible text is ``text`` (no-op when not recording)."""
    recorder = _ACTIVE.get()
    if recorder is not None and text:
        recorder.sources.append((name, text))


def dropped(text: str, reason: str) -> None:
    """A reader leaves ``text`` out on purpose, because of ``reason`` (no-op when not recording)."""
    recorder = _ACTIVE.get()
    if recorder is not None and text and text.strip():
        recorder.drops.append((text, reason))


_MATTER = (
    (
        re.compile(
            r"content|toc|inhoud|inhalt|sommaire|mati[eè]res|[íi]ndice|содержание|оглавление|المحتويات|فهرس|"
            r"landmarks|navigation"
        ),
        "contents",
    ),
    (re.compile(r"licen[cs]e|gutenberg|copyright|uncopyright|rights"), "licence"),
    (re.compile(r"cover|couverture"), "cover"),
    (re.compile(r"title|imprint|colophon|titre|titel|also by|about this"), "title page"),
    (re.compile(r"index|illustrations|figures|tables|plates"), "index or list"),
    (re.compile(r"note"), "notes"),
)


def matter_reason(title: str) -> str:
    """A short reason for a region dropped because of its title ("Contents" -> contents)."""
    low = (title or "").lower()
    for pattern, reason in _MATTER:
        if pattern.search(low):
            return reason
    return f"front/back matter ({title})"


# ----------------------------------------------------------------------------------------------- alignment


def _gram_index(tokens: list[str], size: int) -> dict[tuple, list[int]]:
    index: dict[tuple, list[int]] = defaultdict(list)
    for i in range(len(tokens) - size + 1):
        index[tuple(tokens[i : i + size])].append(i)
    return index


def _next(index: dict, tokens: list[str], at: int, size: int, after: int) -> int:
    """Distance from ``after`` to the next place (>= after) in the indexed sequence of tokens[at:at+size]."""
    if at + size > len(tokens):
        return -1
    positions = index[size].get(tuple(tokens[at : at + size]), ())
    k = bisect_left(positions, after)
    return positions[k] - after if k < len(positions) else -1


def align(source_tokens: list[str], target_tokens: list[str], max_gap: int | None = None) -> list[int]:
    """For each target token, the index of the source token it is (or -1 when it is not in the source).

    Monotone: source and target are in the same order. At a mismatch the nearer of two anchors wins:
    the next place in the source where the next few target words occur (the source words before it were
    left out), or the next place in the target where the next few source words occur (the target words
    before it were added: a title, a changed spelling). With neither, both words are passed over.
    """
    match = [-1] * len(target_tokens)
    src_index = {size: _gram_index(source_tokens, size) for size in (ANCHOR, 2, 1)}
    tgt_index = {size: _gram_index(target_tokens, size) for size in (ANCHOR, 2, 1)}
    i = j = 0
    n, m = len(source_tokens), len(target_tokens)
    while j < m and i < n:
        if source_tokens[i] == target_tokens[j]:
            match[j] = i
            i += 1
            j += 1
            continue
        # Cheapest way to the next common anchor: pass over t target words then jump in the source,
        # or pass over s source words then jump in the target.
        best = None
        # A few words added ("2." -> "two"), dropped, or changed one for one ("Mr" -> "mister"): the next
        # two words agree again after a short step on one side or both.
        for step in range(1, 4):
            for di, dj in ((step, 0), (0, step), (step, step)):
                if (
                    i + di < n
                    and j + dj < m
                    and source_tokens[i + di : i + di + 2] == target_tokens[j + dj : j + dj + 2]
                ):
                    best = (step, (i + di, j + dj))
                    break
            if best:
                break
        for lead in range(LOOKAHEAD):
            if best is not None and best[0] <= lead:
                break
            for index, tokens, at, other, swap in (
                (src_index, target_tokens, j + lead, i, False),
                (tgt_index, source_tokens, i + lead, j, True),
            ):
                if at >= len(tokens):
                    continue
                for size, penalty in ((ANCHOR, 0), (2, 3)):  # two-word anchors, close by, where words change densely
                    gap = _next(index, tokens, at, size, other)
                    if gap < 0 or max_gap is not None and gap > max_gap or size == 2 and gap > 2 * LOOKAHEAD:
                        continue
                    cost = lead + gap + penalty
                    if best is None or cost < best[0]:
                        best = (cost, (i + gap, j + lead) if not swap else (i + lead, j + gap))
            if best is not None and best[0] <= lead:
                break
        if best is None:  # near the end, or words changed densely: single words close by, else step both
            ahead_source = _next(src_index, target_tokens, j, 1, i)
            ahead_target = _next(tgt_index, source_tokens, i, 1, j)
            if 0 <= ahead_source <= LOOKAHEAD and (ahead_target < 0 or ahead_source <= ahead_target):
                i += ahead_source
            elif 0 <= ahead_target <= LOOKAHEAD:
                j += ahead_target
            else:
                i += 1
                j += 1
        else:
            i, j = best[1]
    return match


# -------------------------------------------------------------------------------------- extraction account


@dataclass
class Block:
    """A run of one source document's words that went to one place."""

    source: str
    destination: str  # chapter id ("001"), or "dropped: <reason>"
    words: int
    text: str  # the first words


@dataclass
class Coverage:
    sources: list[tuple[str, int]]  # (source name, words)
    rows: list[tuple[str, int, str, int, str]]  # (source, source words, destination, words, first words)
    blocks: list[Block]  # dropped runs, in book order
    source_words: int
    kept_words: int
    added_words: int  # chapter words not found in any source (titles made up, spelling changes)

    @property
    def percent_kept(self) -> float:
        return round(100.0 * self.kept_words / self.source_words, 2) if self.source_words else 100.0

    def dropped_by_reason(self) -> dict[str, int]:
        counts: Counter = Counter()
        for block in self.blocks:
            counts[block.destination.removeprefix("dropped: ")] += block.words
        return dict(counts.most_common())

    @property
    def unexplained(self) -> list[Block]:
        return [b for b in self.blocks if b.destination == f"dropped: {UNEXPLAINED}"]

    def largest_dropped(self, count: int = 5) -> list[Block]:
        return sorted(self.blocks, key=lambda b: -b.words)[:count]

    def summary(self) -> dict:
        return {
            "source_words": self.source_words,
            "kept_words": self.kept_words,
            "percent_kept": self.percent_kept,
            "dropped_words": self.dropped_by_reason(),
            "added_words": self.added_words,
            "unexplained_words": sum(b.words for b in self.unexplained),
        }

    def write_tsv(self, path) -> None:
        from .fileio import write_text

        lines = ["source\tsource_words\tdestination\twords\tfirst_words"]
        for src, total, destination, count, text in self.rows:
            lines.append("\t".join((_cell(src), str(total), destination, str(count), _cell(text))))
        write_text(path, "\n".join(lines) + "\n")


def _cell(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _reason_index(drops: list[tuple[str, str]]) -> tuple[dict[tuple, str], dict[str, str], dict[str, str]]:
    """Anchors (3-word runs), single words, and the words of tiny reports (shorter than an anchor, such as a
    "Chapter 1" line) of the reported drops -> reason. The smallest report covering a word wins: it is the
    most specific (an index inside a region that a licence at its end made a licence region)."""
    grams: dict[tuple, str] = {}
    singles: dict[str, str] = {}
    tiny: dict[str, str] = {}
    for tokens, reason in sorted(((words(text), reason) for text, reason in drops), key=lambda d: len(d[0])):
        for i in range(len(tokens) - ANCHOR + 1):
            grams.setdefault(tuple(tokens[i : i + ANCHOR]), reason)
        for token in tokens:
            singles.setdefault(token, reason)
            if len(tokens) < ANCHOR:
                tiny.setdefault(token, reason)
    return grams, singles, tiny


def _reasons(tokens: list[str], grams: dict, singles: dict, tiny: dict) -> list[str]:
    """A reason for each word of an unmatched run: a reported drop covering it, else ``unexplained``."""
    out = [""] * len(tokens)
    for i in range(len(tokens) - ANCHOR + 1):
        reason = grams.get(tuple(tokens[i : i + ANCHOR]))
        if reason:
            for k in range(i, i + ANCHOR):
                out[k] = out[k] or reason
    if len(tokens) < ANCHOR + 2:  # a short run (a word or two): reported on its own, e.g. a page number line
        out = [r or singles.get(t, "") for r, t in zip(out, tokens, strict=True)]
    out = [r or tiny.get(t, "") for r, t in zip(out, tokens, strict=True)]
    # Words between two covered words of the same reason share it (an anchor broken by one odd word).
    for i, reason in enumerate(out):
        if not reason:
            before = next((out[k] for k in range(i - 1, -1, -1) if out[k]), "")
            after = next((out[k] for k in range(i + 1, len(out)) if out[k]), "")
            if before and before == after:
                out[i] = before
    return [r or UNEXPLAINED for r in out]


def _claim_title_words(tokens, destination_of, start, end, title_words, longest=40) -> None:
    """Words of a short unmatched run (a heading) that are spoken as the title of the chapter next to it."""
    if end - start > longest:
        return
    neighbours = [destination_of[k] for k in (end, start - 1) if 0 <= k < len(tokens) and destination_of[k]]
    for destination in neighbours:
        left = title_words.get(destination)
        if not left:
            continue
        for k in range(start, end):
            if not destination_of[k] and left[tokens[k]] > 0:
                left[tokens[k]] -= 1
                destination_of[k] = destination


def account(recorder: Recorder, chapters: list[tuple[str, str, str]]) -> Coverage:
    """Where every source word went. ``chapters``: (destination, title, text) in reading order, where the
    destination is the chapter id, or ``dropped: <reason>`` for a chapter the user dropped."""
    src_tokens: list[str] = []
    src_doc: list[int] = []
    names: list[str] = []
    for number, (name, text) in enumerate(recorder.sources):
        tokens = words(text)
        names.append(name)
        src_tokens += tokens
        src_doc += [number] * len(tokens)
    tgt_tokens: list[str] = []
    tgt_dest: list[str] = []
    title_words: dict[str, Counter] = {}
    for destination, title, text in chapters:
        tokens = words(text)
        tgt_tokens += tokens
        tgt_dest += [destination] * len(tokens)
        title_words.setdefault(destination, Counter()).update(words(title))

    # Titles are aligned apart: a title may come from the table of contents rather than the text.
    match = align(src_tokens, tgt_tokens)
    destination_of: list[str] = [""] * len(src_tokens)
    for j, i in enumerate(match):
        if i >= 0:
            destination_of[i] = tgt_dest[j]
    grams, singles, tiny = _reason_index(recorder.drops)
    i = 0
    while i < len(src_tokens):
        if destination_of[i]:
            i += 1
            continue
        end = i
        while end < len(src_tokens) and not destination_of[end] and src_doc[end] == src_doc[i]:
            end += 1
        _claim_title_words(src_tokens, destination_of, i, end, title_words)
        run = [k for k in range(i, end) if not destination_of[k]]
        for k, reason in zip(run, _reasons([src_tokens[k] for k in run], grams, singles, tiny), strict=True):
            destination_of[k] = f"dropped: {reason}"
        i = end

    # Runs of one source going to one destination, in order; rows merge them per (source, destination).
    blocks: list[Block] = []
    runs: list[tuple[int, str, int, int]] = []  # (doc, destination, start, end)
    for i, destination in enumerate(destination_of):
        if runs and runs[-1][0] == src_doc[i] and runs[-1][1] == destination:
            runs[-1] = (*runs[-1][:3], i + 1)
        else:
            runs.append((src_doc[i], destination, i, i + 1))
    per_doc = Counter(src_doc)
    rows: dict[tuple[int, str], list] = {}
    for doc, destination, start, end in runs:
        sample = " ".join(_original_words(src_tokens[start:end], 12))
        if destination.startswith("dropped: "):
            blocks.append(Block(names[doc], destination, end - start, sample))
        row = rows.setdefault((doc, destination), [names[doc], per_doc[doc], destination, 0, sample])
        row[3] += end - start
    kept = sum(1 for d in destination_of if not d.startswith("dropped: "))
    return Coverage(
        sources=[(name, per_doc[number]) for number, name in enumerate(names)],
        rows=[tuple(row) for row in rows.values()],
        blocks=blocks,
        source_words=len(src_tokens),
        kept_words=kept,
        added_words=sum(1 for i in match if i < 0),
    )


def _original_words(tokens: list[str], count: int) -> list[str]:
    return tokens[:count] + (["..."] if len(tokens) > count else [])


def format_unexplained(coverage: Coverage, limit: int = 10) -> str:
    """One line per unexplained dropped run (source, words, first words), for the log."""
    lines = [f"  {b.source}: {b.words} words: {b.text}" for b in coverage.unexplained[:limit]]
    more = len(coverage.unexplained) - limit
    if more > 0:
        lines.append(f"  ... and {more} more runs")
    return "\n".join(lines)


# -------------------------------------------------------------------------------- chapter text -> speech

ROMAN = re.compile(r"^[ivxlcdm]+(?:e|er|re|es|ème|th|st|nd|rd)?$")  # and ordinals: XVIe, Ier


@dataclass
class Vanished:
    word: str
    sentence: str


def _known_rule(word: str, lexicon_words: set[str], short_forms: set[str]) -> bool:
    """Words text preparation may legitimately change: numbers with letters (1st, 3rd, 10s), roman numerals,
    abbreviations (a short word before a full stop) and acronyms (upper case), lexicon entries."""
    return any(c.isdigit() for c in word) or bool(ROMAN.match(word)) or word in lexicon_words or word in short_forms


def _short_forms(text: str) -> set[str]:
    """Abbreviations ("Mr.", "sq.", "N.") and acronyms or all-caps words ("BBC", "GEORGIA") of a text."""
    found = {w.lower() for w in re.findall(r"\b([^\W\d_]{1,5})\.", text)}
    found |= {w.lower() for w in re.findall(r"\b[^\W\d_a-z]{2,}\b", text) if w.isupper()}
    found |= {w.lower() for w in re.findall(r"[&%$€£§°]\s*(\w+)", text)}  # symbols said as words around them
    found |= {w.lower() for w in re.findall(r"\d\s?([^\W\d_]{1,3})\b", text)}  # units: 12 ha, 5 km, 3 kg
    return found


def check_speech(chapter_text: str, speech_text: str, lexicon_words=()) -> list[Vanished]:
    """Alphabetic words of a chapter that do not reach what is spoken, in order, with their sentence.

    A word counts as arrived when it is found in order in the speech (or between the neighbours it was found
    with, where dense expansions confuse the alignment), or when a known rule changes it: numbers, roman
    numerals, abbreviations and acronyms, lexicon entries and pronunciation hints, and words of a URL or
    e-mail address (``text.urls``).
    """
    lexicon_words = {w for entry in lexicon_words for w in words(str(entry))}
    lexicon_words |= {w for printed in (m.group(1) for m in HINT.finditer(chapter_text)) for w in words(printed)}
    chapter_text = HINT.sub(r"\1", chapter_text)
    short_forms = _short_forms(chapter_text)
    url_words = {w for url in re.findall(r"(?:https?://|www\.)\S+|\S+@\S+\.\w+", chapter_text) for w in words(url)}
    sentences = [s for s in re.split(r"(?<=[.!?…])\s+|\n+", chapter_text) if s.strip()]
    tgt: list[str] = []
    where: list[int] = []
    for number, sentence in enumerate(sentences):
        tokens = words(sentence)
        tgt += tokens
        where += [number] * len(tokens)
    spoken = words(re.sub(r"\[\[.*?\]\]", " ", speech_text))  # inline phonemes: words said by a lexicon or hint
    match = align(spoken, tgt, max_gap=60)
    before = []  # source index of the last matched word up to each target word
    last = 0
    for i in match:
        last = i if i >= 0 else last
        before.append(last)
    after = []
    nxt = len(spoken)
    for i in reversed(match):
        nxt = i if i >= 0 else nxt
        after.append(nxt)
    after.reverse()
    out = []
    for j, i in enumerate(match):
        word = tgt[j]
        if i >= 0 or _known_rule(word, lexicon_words, short_forms) or word in url_words:
            continue
        # Where the alignment lost its way (dense expansions): the word spoken between its neighbours counts.
        if word in spoken[max(0, before[j] - 5) : after[j] + 6]:
            continue
        out.append(Vanished(word, sentences[where[j]].strip()))
    return out


def visible_text(node) -> str:
    """The text a reader of an (X)HTML element sees (BeautifulSoup), without scripts, styles, images, maths.

    Inline elements join their neighbours (``explain<i>myself</i>`` is one word, as the readers see it);
    block elements and line breaks separate words.
    """
    if node is None:
        return ""
    from bs4 import NavigableString, Tag

    from .readers.html_text import BLOCK_TAGS, HEADING_TAGS, SKIP_TAGS, is_noteref, is_pagebreak

    parts: list[str] = []

    def walk(tag) -> None:
        for child in tag.children:
            if isinstance(child, Tag):
                # Note markers and page-break markers are not text (the readers leave them out by design).
                if child.name in SKIP_TAGS or is_noteref(child) or is_pagebreak(child):
                    continue
                block = child.name in BLOCK_TAGS or child.name in HEADING_TAGS or child.name == "br"
                if block:
                    parts.append(" ")
                walk(child)
                if block:
                    parts.append(" ")
            elif type(child) is NavigableString:
                parts.append(str(child))

    walk(node)
    return "".join(parts)
