"""`snakemake --report` for a small two-book library, opened in a real headless browser (Chromium).

The screenshots are kept as test artefacts in ``$SNAKEBOOK_TEST_ARTIFACTS`` (default ``test-artifacts/``
at the repository root): ``report-landing.png`` and one ``report-book-<book>.png`` per book.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import shutil
import struct
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
from helpers import ROOT, ffprobe, job_counts, short_book_entry, snakemake, write_tiny_epub

import snakebook.report as report_module

pytestmark = pytest.mark.slow

ALICE = "Alice's Adventures in Wonderland"
FRENCH_TITLE = "Le Petit Chat"
FRENCH = [
    (
        "Le premier jour",
        [
            "Le chat dort au soleil, pendant que le chien aboie dans la cour de la ferme.",
            "La fermière appelle les poules, qui courent vers elle en criant très fort.",
        ],
    )
]
ARTIFACTS = Path(os.environ.get("SNAKEBOOK_TEST_ARTIFACTS") or ROOT / "test-artifacts")


def chromium_binary() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.fixture(scope="module")
def library(tmp_path_factory, shared_cache):
    """Two books in two languages: one chapter of Alice (Piper, English, with a cover), a French book (espeak-ng)."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("needs espeak-ng (apt-get install espeak-ng)")
    workdir = tmp_path_factory.mktemp("report")
    french = write_tiny_epub(workdir / "petit-chat.epub", FRENCH, language="fr", title=FRENCH_TITLE)
    books = [
        short_book_entry(name="alice", drop_chapters=[1, 2, 3, 4, 5, 6, 8, 9, 10]),
        {"path": str(french), "name": "petit-chat", "engine": "espeak"},
    ]
    config = {"books": books, "cache_dir": str(shared_cache)}
    snakemake(workdir, config=config)
    for name in ("report.html", "report.zip"):
        snakemake(workdir, "--report", str(workdir / name), config=config)
    return workdir


def test_report_files_and_book_pages(library):
    html_report = library / "report.html"
    assert 1_000_000 < html_report.stat().st_size < 15_000_000  # Snakemake's viewer (~3 MB) + two small books
    with zipfile.ZipFile(library / "report.zip") as archive:
        names = archive.namelist()
    assert any(name.endswith("/report.html") for name in names)
    assert sum(name.endswith("book.html") for name in names) == 2

    out = library / "results" / "alice"
    page = (out / "report" / "book.html").read_text(encoding="utf-8")
    info = json.loads((out / "book.json").read_text())
    assert f"<h1>{html.escape(ALICE)}</h1>" in page and "Lewis Carroll" in page
    assert 'class="cover"' in page and 'src="data:image/jpeg;base64,' in page  # the EPUB's cover, scaled
    for chapter in info["chapters"]:  # the chapter table from chapters.tsv, and a player per chapter
        assert f"<td>{html.escape(chapter['title'])}</td>" in page
    assert "<audio " not in page  # players are on the chapter pages (a page stays under Chromium's 2 MB data: URLs)
    for chapter in info["chapters"]:  # a page per chapter: its player next to the text that was spoken
        chapter_page = (out / "report" / "chapters" / f"{chapter['id']}.html").read_text(encoding="utf-8")
        assert chapter_page.count("<audio ") == 1 and html.escape(chapter["title"]) in chapter_page
        spoken = (out / "speech" / f"{chapter['id']}.txt").read_text(encoding="utf-8").splitlines()
        assert all(html.escape(line) in chapter_page for line in spoken[:5])
        assert len(chapter_page) < 1_400_000
    for plot in ("durations", "speed", "cache", "cover"):
        root = ElementTree.parse(out / "report" / f"{plot}.svg").getroot()
        assert root.tag.endswith("svg")
    assert "Chapter durations" in (out / "report" / "durations.svg").read_text()
    for plot in ("durations", "speed", "cache"):  # nothing loaded from the network (pygal's tooltips script)
        assert not re.search(r'(src|href)="(https?:)?//', (out / "report" / f"{plot}.svg").read_text())


def embedded_player(page: str, folder: Path) -> dict:
    """The Ogg file a chapter page embeds, written to ``folder`` and read back with ffprobe."""
    uri = re.search(r'<audio [^>]*src="data:audio/ogg;base64,([^"]+)"', page).group(1)
    (folder / "player.ogg").write_bytes(base64.b64decode(uri))
    return ffprobe(folder / "player.ogg")


def test_chapter_players_are_small_speech_opus(library, tmp_path):
    """The players are Opus for speech at 16 kHz, mono (the cheap settings the chapter jobs encode with)."""
    page = (library / "results" / "alice" / "report" / "chapters" / "001.html").read_text(encoding="utf-8")
    facts = embedded_player(page, tmp_path)
    stream = facts["streams"][0]
    assert (facts["format"]["format_name"], stream["codec_name"], stream["channels"]) == ("ogg", "opus", 1)
    head = (tmp_path / "player.ogg").read_bytes()
    head = head[head.index(b"OpusHead") :]
    assert struct.unpack("<I", head[12:16])[0] == 16_000  # the encoder's input rate (Opus always decodes at 48 kHz)
    seconds = float(facts["format"]["duration"])
    assert abs(seconds - float(ffprobe(library / "results" / "alice" / "audio" / "001.wav")["format"]["duration"])) < 1
    assert float(facts["format"]["bit_rate"]) < 24_000  # 16 kbit/s and Ogg's overhead


def test_big_books_get_excerpts(library, tmp_path, monkeypatch):
    """Past FULL_AUDIO_SECONDS of audio (estimated from the book's characters), a player holds EXCERPT_SECONDS."""
    monkeypatch.setattr(report_module, "FULL_AUDIO_SECONDS", 30)
    report_module.write_chapter_report("alice", library / "results", "001", tmp_path / "001.html")
    page = (tmp_path / "001.html").read_text(encoding="utf-8")
    seconds = float(embedded_player(page, tmp_path)["format"]["duration"])
    assert abs(seconds - report_module.EXCERPT_SECONDS) < 1
    assert f"the first {report_module.EXCERPT_SECONDS} s here" in page


def dry_run_counts(workdir: Path, config: dict) -> dict[str, int]:
    run = snakemake(workdir, "--dry-run", "--rerun-triggers", "mtime", config=config)
    return job_counts(run.stdout + run.stderr)


def touch_changed(path: Path) -> None:
    """Change a file's content and make it newer (Snakemake ignores a newer file whose content is the same)."""
    with open(path, "ab") as handle:
        handle.write(b"\n")
    later = path.stat().st_mtime + 60
    os.utime(path, (later, later))


def test_book_page_does_not_wait_for_the_audiobook(library):
    """The book's page needs the chapter pages, not the m4b: it is made beside the last chapter's assembly."""
    config = {"books": [{"path": str(library / "petit-chat.epub"), "name": "petit-chat", "engine": "espeak"}]}
    out = library / "results" / "petit-chat"
    touch_changed(out / "petit-chat.m4b")  # a report that needed the audiobook would be made again
    counts = dry_run_counts(library, config)
    assert "report_book" not in counts and "report_chapter" not in counts
    touch_changed(out / "report" / "chapters" / "001.html")  # a changed chapter page does make the book page again
    counts = dry_run_counts(library, config)
    assert counts.get("report_book") == 1 and "report_chapter" not in counts


def test_report_false_makes_no_pages(library):
    """`report: false` (libraries, benchmarks): a run asks for no report job, even where pages are missing."""
    config = {"books": [{"path": str(library / "petit-chat.epub"), "name": "petit-chat", "engine": "espeak"}]}
    out = library / "results" / "petit-chat"
    touch_changed(out / "report" / "chapters" / "001.html")
    assert dry_run_counts(library, config).get("report_book") == 1  # the default makes them
    assert "report_book" not in dry_run_counts(library, {**config, "report": False})
    assert report_module.report_page_targets({"petit-chat": None}, ["snakemake"], out.parent, enabled=False) == []


def open_book_page(page, title: str):
    """From the report's start page: the book -> 2. Chapters -> the first one; return the frame showing it."""
    book = page.get_by_role("link", name=title, exact=True)
    if book.count() == 0:  # Snakemake lists a few categories in the menu itself, more under "Results"
        page.get_by_role("link", name="Results").first.click()
    book.click()
    page.get_by_role("link", name="2. Chapters").click()
    page.locator("tr", has_text="1. ").first.locator("a").first.click()
    page.wait_for_function("() => Array.from(document.querySelectorAll('iframe')).length > 0")
    frame = next(frame for frame in page.frames if frame != page.main_frame)
    frame.wait_for_load_state()
    return frame


@pytest.mark.parametrize("kind", ["html", "zip"])
def test_report_in_headless_chromium(library, tmp_path, kind):
    binary = chromium_binary()
    if binary is None:
        pytest.skip("needs Chromium (apt-get install chromium; `make browser`)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright (envs/dev.txt)")
    if kind == "html":
        start = library / "report.html"
    else:
        with zipfile.ZipFile(library / "report.zip") as archive:
            archive.extractall(tmp_path)
        start = next(tmp_path.glob("*/report.html"))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=binary, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
            page.on(
                "console",
                lambda message: errors.append(f"console: {message.text}") if message.type == "error" else None,
            )
            for title, book in ((ALICE, "alice"), (FRENCH_TITLE, "petit-chat")):
                page.goto(start.as_uri())
                page.get_by_text(FRENCH_TITLE).first.wait_for()
                landing = page.inner_text("body")
                assert ALICE in landing and FRENCH_TITLE in landing  # both titles on the start page
                if book == "alice":
                    page.screenshot(path=str(ARTIFACTS / f"report-landing-{kind}.png"))
                frame = open_book_page(page, title)
                frame.wait_for_function(
                    "() => { const a = document.querySelector('audio');"
                    " return a !== null && a.readyState >= 1 && isFinite(a.duration) && a.duration > 0; }",
                    timeout=30_000,
                )
                durations = frame.evaluate("() => Array.from(document.querySelectorAll('audio')).map(a => a.duration)")
                assert durations and all(d > 1 for d in durations)
                assert title in frame.inner_text("body")
                page.screenshot(path=str(ARTIFACTS / f"report-book-{book}-{kind}.png"))
        finally:
            browser.close()
    assert errors == []
    assert (ARTIFACTS / f"report-book-alice-{kind}.png").stat().st_size > 10_000
