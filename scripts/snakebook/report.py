"""One book in ``snakemake --report``: cover, metadata, chapter table, a player per chapter, spoken text, plots.

Every page is self-contained (images and audio are data URIs, nothing is loaded from elsewhere), so it works
inside the single-file ``report.html`` as well as from the ``.zip``. The files, in ``results/{book}/report/``:

- ``chapters/NNN.html`` (rule ``report_chapter``, one job per chapter, run once the chapter is synthesised,
  on a core that has nothing more urgent to do): the chapter's audio player next to the text that was
  spoken. Books with up to :data:`FULL_AUDIO_SECONDS` of audio (estimated from their characters, so that
  each chapter can decide alone) get whole chapters (up to :data:`MAX_PLAYER_SECONDS` each); bigger books
  the first :data:`EXCERPT_SECONDS` of each chapter, so the report stays small (Opus at 16 kbit/s: 120 kB
  a minute).
- ``book.html`` (rule ``report_book``, once the chapter pages exist; it does not wait for the audiobook):
  the cover, the book's metadata and the run's figures, the chapter table from ``chapters.tsv`` with
  duration, synthesis time, real-time factor and cache use, and the plots.
- ``cover.svg``: the cover (scaled to a thumbnail), or a title card for a book without one.
- ``durations.svg``, ``speed.svg``, ``cache.svg``: chapter durations, synthesis speed (real-time factor)
  and sentences from the cache, per chapter (pygal: small, pure-Python SVG charts, no JavaScript).

The report costs the listener little: its jobs come after every other ready job (the audiobook never waits
for them), the players are encoded by the chapter jobs with the cheapest Opus settings that keep speech clear
(:data:`PLAYER_OPTIONS`; ~4x less CPU than libopus's defaults), and the book's job only joins figures that exist
(``tests/bench/bench_report.py``).
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import logging
import tempfile
from pathlib import Path

from .audio.ffmpeg import run_ffmpeg
from .errors import SnakebookError
from .fileio import atomic_path, write_text
from .progress import format_duration

# (snakebook.summary and pygal are imported where they are used: Snakemake's main process imports this
# module for its labels and targets, and a chapter job needs neither.)

log = logging.getLogger("snakebook")

FULL_AUDIO_SECONDS = 20 * 60  # books up to this much audio get whole chapters in the report
EXCERPT_SECONDS = 45  # otherwise: this much of each chapter
# A chapter job knows its own audio but not yet the others': a book's audio is estimated from its characters
# (book.json) at the default Piper voice's pace, 16 characters a second (measured on the sample book).
CHARACTERS_PER_SECOND = 16
# One chapter page holds at most this much audio: in the single-file report.html a page travels as a data:
# URL, which Chromium refuses past 2 MB (8 min at 16 kbit/s, base64 twice: ~1.7 MB).
MAX_PLAYER_SECONDS = 8 * 60
PLAYER_BITRATE = "16k"
# Opus for speech (SILK, "voip") at 16 kHz, the encoder's lowest complexity: the quality class of libopus's
# defaults at this bitrate (16 kHz is all SILK codes) for ~4x less CPU; at complexity 10 and 48 kHz the
# players cost 11 CPU-seconds for the 9-minute sample book, more than a fifth of its synthesis.
PLAYER_OPTIONS = [
    "-ac",
    "1",
    "-ar",
    "16000",
    "-c:a",
    "libopus",
    "-b:a",
    PLAYER_BITRATE,
    "-application",
    "voip",
    "-compression_level",
    "0",
]
COVER_WIDTH = 320


# --- audio and images ---------------------------------------------------------------------------------


def player_audio(wav: str | Path, seconds: float | None, book: str | None = None) -> bytes:
    """The chapter (or its first ``seconds``) as Opus in Ogg, mono, small enough to embed."""
    with tempfile.TemporaryDirectory(prefix="snakebook-report-") as folder:
        out = Path(folder) / "player.ogg"
        limit = ["-t", f"{seconds:.3f}"] if seconds else []
        run_ffmpeg(["-i", str(wav), *limit, "-vn", *PLAYER_OPTIONS, str(out)], book, "making the report's audio player")
        return out.read_bytes()


def cover_thumbnail(cover: str | Path, book: str | None = None) -> tuple[bytes, str]:
    """The cover scaled to :data:`COVER_WIDTH` pixels wide, as JPEG (or the file itself if Pillow cannot).

    A JPEG no wider than that (the checked cover of a typical EPUB) is used as it is, read from its header alone.
    """
    cover = Path(cover)
    if cover.suffix.lower() == ".svg":
        return cover.read_bytes(), "image/svg+xml"
    from PIL import Image

    try:
        with Image.open(cover) as image:
            if image.format == "JPEG" and image.width <= COVER_WIDTH:
                return cover.read_bytes(), "image/jpeg"
            image.draft("RGB", (COVER_WIDTH, COVER_WIDTH * 4))  # JPEG: decode at a fraction of the size
            image = image.convert("RGB")
            if image.width > COVER_WIDTH:
                height = max(2, round(image.height * COVER_WIDTH / image.width))
                image = image.resize((COVER_WIDTH, height), Image.Resampling.LANCZOS)
            buffer = io.BytesIO()
            image.save(buffer, "JPEG", quality=85)
            return buffer.getvalue(), "image/jpeg"
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        log.warning("%s: could not scale the cover %s (%s); the report shows it as it is", book, cover, error)
    mime = {".png": "image/png", ".gif": "image/gif", ".webp": "image/webp"}.get(cover.suffix.lower(), "image/jpeg")
    return cover.read_bytes(), mime


def data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def cover_svg(title: str, authors: list[str], cover: tuple[bytes, str] | None) -> str:
    """An SVG of the cover: the image itself, or a title card when the book has none."""
    esc = html.escape
    if cover:
        uri = data_uri(*cover)
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            f'width="{COVER_WIDTH}" height="{int(COVER_WIDTH * 1.5)}" viewBox="0 0 {COVER_WIDTH} '
            f'{int(COVER_WIDTH * 1.5)}"><title>{esc(title)}</title>'
            f'<image href="{uri}" xlink:href="{uri}" width="100%" height="100%" '
            f'preserveAspectRatio="xMidYMid meet"/></svg>\n'
        )
    byline = esc(", ".join(authors))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{COVER_WIDTH}" height="{int(COVER_WIDTH * 1.5)}">'
        f'<title>{esc(title)}</title><rect width="100%" height="100%" fill="#234"/>'
        f'<text x="50%" y="40%" fill="#fff" font-family="serif" font-size="22" text-anchor="middle">{esc(title)}'
        f'</text><text x="50%" y="52%" fill="#cde" font-family="serif" font-size="15" text-anchor="middle">'
        f"{byline}</text></svg>\n"
    )


# --- plots ------------------------------------------------------------------------------------------


def _chart(kind: str, title: str, y_title: str, chapters: list[dict]):
    import pygal
    from pygal.style import CleanStyle

    chart = getattr(pygal, kind)(
        title=title,
        y_title=y_title,
        x_title="chapter",
        style=CleanStyle,
        js=[],
        width=800,
        height=360,
        show_legend=kind == "StackedBar",
        legend_at_bottom=True,
        truncate_label=-1,
        x_label_rotation=0 if len(chapters) <= 20 else 90,
        show_minor_x_labels=len(chapters) <= 40,
        disable_xml_declaration=False,
        print_values=False,
    )
    chart.x_labels = [str(c.get("index") or c["chapter"]) for c in chapters]
    chart.x_labels_major = chart.x_labels[:: max(1, len(chapters) // 20)]
    return chart


def _values(chapters: list[dict], key: str, scale: float = 1.0):
    return [
        {"value": round(c[key] * scale, 3) if c.get(key) is not None else None, "label": c.get("title") or c["chapter"]}
        for c in chapters
    ]


def plot_durations(chapters: list[dict]) -> bytes:
    chart = _chart("Bar", "Chapter durations", "minutes", chapters)
    chart.add("audio", _values(chapters, "audio_seconds", 1 / 60))
    return chart.render()


def plot_speed(chapters: list[dict]) -> bytes:
    chart = _chart("Bar", "Synthesis speed (real-time factor: seconds of work per second of audio)", "RTF", chapters)
    chart.add("real-time factor", _values(chapters, "real_time_factor"))
    return chart.render()


def plot_cache(chapters: list[dict]) -> bytes:
    chart = _chart("StackedBar", "Sentences: synthesised vs. from the cache", "sentences", chapters)
    made = [
        {"value": (c["sentences"] or 0) - (c["from_cache"] or 0), "label": c.get("title") or c["chapter"]}
        if c.get("sentences") is not None
        else None
        for c in chapters
    ]
    chart.add("synthesised", made)
    chart.add("from cache", _values(chapters, "from_cache"))
    return chart.render()


# --- the page ---------------------------------------------------------------------------------------


def read_chapter_table(tsv: str | Path) -> list[dict]:
    with open(tsv, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def spoken_excerpt(lines: list[str], fraction: float) -> tuple[list[str], bool]:
    """The first lines of what was spoken covering about ``fraction`` of its characters; (lines, cut)."""
    if fraction >= 1:
        return lines, False
    wanted = fraction * sum(len(line) for line in lines)
    kept, total = [], 0
    for line in lines:
        if total >= wanted:
            return kept, True
        kept.append(line)
        total += len(line)
    return kept, False


PAGE_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #1b2631; background: #fff; max-width: 75em; }
header { display: flex; gap: 1.5em; align-items: flex-start; }
header img.cover { width: 200px; box-shadow: 0 2px 8px #0004; }
h1 { margin: 0 0 .2em 0; } .byline { font-size: 1.15em; margin: 0 0 .8em 0; }
table { border-collapse: collapse; font-size: .9em; } td, th { padding: .25em .6em; border-bottom: 1px solid #ddd; }
th { text-align: left; background: #f2f4f7; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
dl.meta { display: grid; grid-template-columns: max-content auto; gap: .15em 1em; margin: 0; }
dl.meta dt { font-weight: 600; } dl.meta dd { margin: 0; }
section.chapter { display: grid; grid-template-columns: minmax(16em, 22em) 1fr; gap: 1em; padding: .8em 0;
  border-top: 1px solid #ddd; }
section.chapter pre { white-space: pre-wrap; max-height: 75vh; overflow: auto; margin: 0; background: #f8f9fb;
  padding: .5em; font-size: .85em; }
.note { color: #566573; font-size: .85em; } .plots img { max-width: 100%; } .failed { color: #b03a2e; }
"""


def _num(value, digits: int = 2) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def book_page(
    summary: dict,
    info: dict,
    table: list[dict],
    cover: tuple[bytes, str] | None,
    plots: dict[str, bytes],
) -> str:
    """The HTML of the book's page (self-contained: the images are data URIs)."""
    esc = html.escape
    title = summary["title"]
    chapters = {c["chapter"]: c for c in summary["chapters"]}
    parts = [
        f'<!DOCTYPE html>\n<html lang="{esc(summary.get("language") or "en")}"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title><style>{PAGE_STYLE}</style></head><body>"
    ]
    parts.append("<header>")
    if cover:
        parts.append(f'<img class="cover" alt="cover of {esc(title)}" src="{data_uri(*cover)}">')
    meta = [
        ("Authors", ", ".join(info.get("authors") or []) or "unknown"),
        ("Language", summary.get("language") or "unknown"),
        ("Publisher", info.get("publisher")),
        ("Date", info.get("date")),
        ("Identifiers", ", ".join(info.get("identifiers") or [])),
        ("Source", Path(str(info.get("source") or "")).name),
        ("Engine / voice", f"{summary.get('engine') or '?'} / {summary.get('voice') or '?'}"),
        ("Chapters", f"{summary['chapters_done']} of {summary['chapters_total']} done"),
        ("Audio", format_duration(summary.get("audio_seconds"))),
        (
            "Synthesis",
            f"{_num(summary.get('synthesis_seconds'), 1)} s, real-time factor "
            f"{_num(summary.get('real_time_factor')) or '-'}",
        ),
        ("Sentences", f"{summary.get('sentences') or 0}, {summary.get('from_cache') or 0} from the cache"),
        ("Software", ", ".join(f"{k} {v}" for k, v in sorted((summary.get("versions") or {}).items()))),
    ]
    parts.append(
        f'<div><h1>{esc(title)}</h1><p class="byline">{esc(", ".join(info.get("authors") or []))}</p><dl class="meta">'
    )
    parts += [f"<dt>{esc(k)}</dt><dd>{esc(str(v))}</dd>" for k, v in meta if v]
    parts.append("</dl>")
    if info.get("description"):
        parts.append(f'<p class="note">{esc(str(info["description"])[:600])}</p>')
    parts.append("</div></header>")

    parts.append(
        "<h2>Chapters</h2><table><thead><tr><th>#</th><th>title</th><th>characters</th><th>duration</th>"
        "<th>synthesis s</th><th>RTF</th><th>sentences</th><th>from cache</th><th>first words</th>"
        "</tr></thead><tbody>"
    )
    records = info.get("chapters") or []
    for row, record in zip(table, records, strict=False):
        chapter = chapters.get(record["id"], {})
        parts.append(
            f'<tr><td class="num">{esc(row.get("index") or "")}</td><td>{esc(row.get("title") or "")}</td>'
            f'<td class="num">{esc(row.get("characters") or "")}</td>'
            f'<td class="num">{format_duration(chapter.get("audio_seconds"))}</td>'
            f'<td class="num">{_num(chapter.get("synthesis_seconds"), 1)}</td>'
            f'<td class="num">{_num(chapter.get("real_time_factor"))}</td>'
            f'<td class="num">{chapter.get("sentences") or ""}</td>'
            f'<td class="num">{chapter.get("from_cache") if chapter.get("from_cache") is not None else ""}</td>'
            f"<td>{esc(row.get('first_words') or '')}</td></tr>"
        )
    parts.append("</tbody></table>")

    parts.append(
        '<p class="note">Each chapter has a page of its own with its audio and the text that was spoken '
        "(<b>2. Chapters</b> in the report).</p>"
    )
    parts.append('<h2>Plots</h2><div class="plots">')
    for name, svg in plots.items():
        parts.append(f'<img alt="{esc(name)}" src="{data_uri(svg, "image/svg+xml")}">')
    parts.append("</div></body></html>\n")
    return "".join(parts)


def player_seconds(chapter_seconds: float, book_seconds: float) -> float | None:
    """How much of a chapter its page plays: all of it (None), or its first seconds (see the module doc)."""
    if book_seconds > FULL_AUDIO_SECONDS:
        limit = EXCERPT_SECONDS
    else:
        limit = MAX_PLAYER_SECONDS
    return None if chapter_seconds <= limit else float(limit)


def chapter_page(
    summary: dict, record: dict, chapter: dict, player: tuple[bytes, float | None] | None, lines: list[str]
) -> str:
    """A chapter's page: its player next to what was spoken, and its figures."""
    esc = html.escape
    language = esc(summary.get("language") or "")
    heading = f"{record.get('index')}. {record.get('title')}"
    parts = [
        f'<!DOCTYPE html>\n<html lang="{language or "en"}"><head><meta charset="utf-8">'
        f"<title>{esc(heading)}</title><style>{PAGE_STYLE}</style></head><body>"
        f'<p class="byline">{esc(summary["title"])}</p><h1>{esc(heading)}</h1>'
        f'<section class="chapter" id="chapter-{esc(record["id"])}"><div>'
    ]
    seconds = None
    if player:
        data, seconds = player
        parts.append(
            f'<audio controls preload="metadata" data-chapter="{esc(record["id"])}" '
            f'src="{data_uri(data, "audio/ogg")}"></audio>'
        )
        excerpt = f", the first {seconds:.0f} s here (all of it is in the audiobook)" if seconds else ""
        parts.append(f'<p class="note">{format_duration(chapter.get("audio_seconds"))} in all{excerpt}</p>')
    else:
        parts.append(f'<p class="note failed">no audio ({esc(chapter.get("state") or "pending")})</p>')
    figures = [
        ("characters", chapter.get("characters")),
        ("sentences", chapter.get("sentences")),
        ("from the cache", chapter.get("from_cache")),
        ("synthesis", f"{_num(chapter.get('synthesis_seconds'), 1)} s" if chapter.get("synthesis_seconds") else None),
        ("real-time factor", _num(chapter.get("real_time_factor")) or None),
        ("engine / voice", f"{chapter.get('engine') or '?'} / {chapter.get('voice') or '?'}"),
    ]
    parts.append('<dl class="meta">')
    parts += [f"<dt>{esc(k)}</dt><dd>{esc(str(v))}</dd>" for k, v in figures if v is not None]
    parts.append("</dl></div>")
    fraction = (seconds / chapter["audio_seconds"]) if seconds and chapter.get("audio_seconds") else 1.0
    shown, cut = spoken_excerpt(lines, fraction)
    parts.append(
        f'<pre lang="{language}">{esc(chr(10).join(shown))}{" …" if cut else ""}</pre></section></body></html>\n'
    )
    return "".join(parts)


def _read_book_json(book_dir: Path, book: str) -> dict:
    try:
        return json.loads((book_dir / "book.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise SnakebookError(f"cannot read its book.json for the report ({error}).", book) from None


def estimated_book_seconds(info: dict) -> float:
    """A book's audio, estimated from its characters (see :data:`CHARACTERS_PER_SECOND`)."""
    return sum(int(c.get("chars") or 0) for c in info.get("chapters") or []) / CHARACTERS_PER_SECOND


def write_chapter_report(
    book: str, results: str | Path, chapter_id: str, page: str | Path, settings: dict | None = None
) -> dict:
    """Write one chapter's page (its player and spoken text, see the module doc) to ``page``; return its summary.

    Run by the chapter's own job once the chapter is synthesised: it reads only that chapter's files and
    ``book.json``.
    """
    from .summary import chapter_summary

    book_dir = Path(results) / book
    info = _read_book_json(book_dir, book)
    record = next((r for r in info.get("chapters") or [] if r.get("id") == chapter_id), None)
    if record is None:
        raise SnakebookError(f"its book.json has no chapter {chapter_id} (extract the book again).", book)
    chapter = chapter_summary(book_dir, record, settings)
    wav = book_dir / "audio" / f"{chapter_id}.wav"
    speech = book_dir / "speech" / f"{chapter_id}.txt"
    lines = speech.read_text(encoding="utf-8").splitlines() if speech.exists() else []
    player = None
    if wav.exists():
        seconds = player_seconds(chapter.get("audio_seconds") or 0, estimated_book_seconds(info))
        player = (player_audio(wav, seconds, book), seconds)
    heading = {"title": info.get("title") or book, "language": info.get("language") or (settings or {}).get("language")}
    write_text(page, chapter_page(heading, record, chapter, player, lines))
    log.info(
        "%s: report page for chapter %s (%s)",
        book,
        chapter_id,
        "no audio" if player is None else "whole chapter" if player[1] is None else f"first {player[1]:.0f} s",
    )
    return chapter


def write_book_report(book: str, results: str | Path, out_dir: str | Path, settings: dict | None = None) -> dict:
    """Write the book's page, cover and plots (see the module doc) into ``out_dir``; return the book's summary.

    The chapter pages are the chapter jobs' (:func:`write_chapter_report`); this only joins the figures the
    run has written (book.json, chapters.tsv, the chapters' keys and WAV headers).
    """
    from .summary import book_summary

    book_dir = Path(results) / book
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    info = _read_book_json(book_dir, book)
    summary = book_summary(results, book, settings)
    table = read_chapter_table(book_dir / "chapters.tsv")
    # The checked cover the audiobook embeds (snakebook.audio.cover) when there is one, else the ebook's own.
    checked = book_dir / "cover" / "cover.jpg"
    source = checked if checked.exists() else Path(info["cover"]) if info.get("cover") else None
    cover = cover_thumbnail(source, book) if source and source.exists() else None
    plots = {
        "chapter durations": plot_durations(summary["chapters"]),
        "synthesis speed": plot_speed(summary["chapters"]),
        "sentences from the cache": plot_cache(summary["chapters"]),
    }
    for name, svg in zip(("durations", "speed", "cache"), plots.values(), strict=True):
        with atomic_path(out_dir / f"{name}.svg") as tmp:
            tmp.write_bytes(svg)
    write_text(out_dir / "cover.svg", cover_svg(summary["title"], info.get("authors") or [], cover))
    write_text(out_dir / "book.html", book_page(summary, info, table, cover, plots))
    log.info("%s: report page for %d chapters, %d plots", book, len(summary["chapters"]), len(plots))
    return summary


def chapter_labels(book_json: str | Path, chapter: str) -> dict:
    """A chapter page's label in the report's table: ``"2. Title"``.

    One label only: Snakemake's report turns a second label with exactly two values (a two-chapter
    book's titles) into a toggle, which breaks the table.
    """
    try:
        records = json.loads(Path(book_json).read_text(encoding="utf-8")).get("chapters") or []
    except (OSError, ValueError):
        records = []
    title = next((r.get("title") for r in records if r.get("id") == chapter), None)
    number = str(int(chapter)) if chapter.isdigit() else chapter
    return {"chapter": f"{number}. {title}" if title else number}


def report_page_targets(books, argv: list[str], results: str | Path = "results", enabled: bool = True) -> list[str]:
    """The book pages a run or ``snakemake --report`` asks for (the workflow's default target).

    A run asks for every book's page. Building the report (``--report`` on the command line) leaves
    out the books whose last run failed (their ``summary.json`` says so) and that have no page, so a
    library with one broken book still gets its report; a book never run still stops the report
    (Snakemake: "marked for report but does not exist": run the workflow first).
    """
    reporting = any(arg == "--report" or arg.startswith("--report=") for arg in argv)
    if not enabled and not reporting:
        return []  # config `report: false`: a run makes no pages (`--report` still shows those that exist)
    pages = []
    for book in sorted(books):
        page = Path(results) / book / "report" / "book.html"
        if reporting and not page.exists():
            if not enabled:
                continue  # never made (`report: false`): the report shows the books that have pages
            try:
                state = json.loads((Path(results) / book / "summary.json").read_text(encoding="utf-8")).get("state")
            except (OSError, ValueError):
                state = None
            if state == "failed":
                log.warning("%s: left out of the report: its last run failed (see results/summary.tsv)", book)
                continue
        pages.append(str(page))
    return pages


def book_title(book_json: str | Path) -> str:
    """The title in a book.json (the report's category for the book)."""
    try:
        return json.loads(Path(book_json).read_text(encoding="utf-8")).get("title") or Path(book_json).parent.name
    except (OSError, ValueError):
        return Path(book_json).parent.name
