"""The finished audiobook in every format: encoding, stream-copy joins, markers, tags, cover, layout, checks.

Unit tests use real espeak-ng speech and real ffmpeg/mutagen; the slow tests read a real Snakemake run
with the Piper voice (tests/finished_outputs.py) back with ffprobe and mutagen.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from finished_outputs import ALL_FORMATS, PIPER_BOOK
from helpers import ffprobe

from snakebook.audio.assemble import assemble_book, chapter_layout
from snakebook.audio.booktags import BookTags
from snakebook.audio.chapters import ChapterMark
from snakebook.audio.cover import MAX_SIDE, prepare_cover
from snakebook.audio.encode import encode_chapter
from snakebook.audio.formats import FORMATS, output_format
from snakebook.audio.library import abs_metadata, library_folder, safe_name, write_per_chapter
from snakebook.audio.verify import output_problems, verify_output
from snakebook.errors import SnakebookError

needs_espeak = pytest.mark.skipif(not shutil.which("espeak-ng"), reason="espeak-ng is not installed")

BOOK = {
    "title": "The Test Book",
    "authors": ["Ann Writer"],
    "language": "en-GB",
    "date": "1901-02-03",
    "publisher": "Test Press",
    "description": "A book for tests.",
    "identifiers": ["isbn:9780000000002"],
    "series": "Tests",
    "series_index": "2",
    "subtitle": "A Subtitle",
    "chapters": [{"title": "One"}, {"title": "Two; =#\\ tricky"}, {"title": "Trois — été"}],
}
SENTENCES = [
    "Chapter one. It was a bright cold day in April, and the clocks were striking thirteen.",
    "Chapter two. The hallway smelt of boiled cabbage and old rag mats.",
    "Chapter three. Outside, even through the shut window-pane, the world looked cold.",
]


@pytest.fixture(scope="module")
def speech_wavs(tmp_path_factory) -> list[Path]:
    """Three short chapters of real espeak-ng speech, 22.05 kHz mono like Piper's."""
    if not shutil.which("espeak-ng"):
        pytest.skip("espeak-ng is not installed")
    folder = tmp_path_factory.mktemp("speech")
    wavs = []
    for number, text in enumerate(SENTENCES, start=1):
        raw, wav = folder / f"{number}.raw.wav", folder / f"{number:03d}.wav"
        subprocess.run(["espeak-ng", "-w", str(raw), text], check=True)
        subprocess.run(
            [
                "ffmpeg",
                "-loglevel",
                "error",
                "-y",
                "-i",
                str(raw),
                "-ar",
                "22050",
                "-ac",
                "1",
                "-c:a",
                "pcm_s16le",
                str(wav),
            ],
            check=True,
        )
        wavs.append(wav)
    return wavs


@pytest.fixture(scope="module")
def cover_jpeg(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("cover") / "c.jpg"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "color=c=navy:s=64x96", "-frames:v", "1", str(path)],
        check=True,
    )
    return path.read_bytes()


def tags() -> BookTags:
    return BookTags.from_book(BOOK, {"narrator": "Test Narrator"})


def player_view(fmt: str, path: Path) -> str:
    """The chapter list as a player shows it (mutagen: what the file's own chapter list says)."""
    back = output_format(fmt).read_back(path)
    lines = [f"{fmt}: {back['tags']['album']} by {back['tags']['artist']}, read by {back['tags']['narrator']}"]
    for number, (title, start) in enumerate(back["chapters"], start=1):
        minutes, seconds = divmod(start, 60)
        lines.append(f"  {number:2d}. {int(minutes):02d}:{seconds:06.3f}  {title}")
    return "\n".join(lines)


@needs_espeak
@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_each_format_joins_chapters_with_markers_tags_and_cover(fmt, speech_wavs, cover_jpeg, tmp_path):
    kind = FORMATS[fmt]
    encoded = []
    for wav in speech_wavs:
        out = tmp_path / f"{wav.stem}{kind.chapter_suffix}"
        encode_chapter(wav, out, format=fmt)
        encoded.append(out)
    out = tmp_path / f"book{kind.suffix}"
    marks = assemble_book(fmt, encoded, BOOK, out, tags=tags(), cover=cover_jpeg, book_name="test")
    assert [p.name for p in tmp_path.iterdir() if ".part" in p.name] == []

    probe = ffprobe(out)
    codec = {"m4b": "aac", "mp3": "mp3", "opus": "opus", "flac": "flac", "wav": "pcm_s16le"}[fmt]
    assert probe["streams"][0]["codec_name"] == codec
    duration = float(probe["format"]["duration"])
    assert abs(duration - marks[-1].end) < 0.5
    titles = [c["title"] for c in BOOK["chapters"]]
    # in file order, as ffmpeg-based players (mpv, many Android apps) list them: not sorted here
    ffprobe_chapters = [(float(c["start_time"]), c["tags"]["title"]) for c in probe["chapters"]]
    assert [t for _s, t in ffprobe_chapters] == titles
    back = kind.read_back(out)
    assert [t for t, _s in back["chapters"]] == titles
    for (start, _title), mark in zip(ffprobe_chapters, marks, strict=True):
        assert abs(start - mark.start) < 0.1
    for (_title, start), mark in zip(back["chapters"], marks, strict=True):
        assert abs(start - mark.start) < 0.1
    seen = back["tags"]
    assert seen["album"] == "The Test Book" and seen["artist"] == "Ann Writer" and seen["genre"] == "Audiobook"
    assert seen["narrator"] == "Test Narrator" and seen["series"] == "Tests" and seen["series_part"] == "2"
    assert seen["subtitle"] == "A Subtitle" and seen["isbn"] == "9780000000002" and seen["year"] == "1901"
    assert seen["language"] in ("en-GB", "eng")
    assert back["cover"] == cover_jpeg
    print(player_view(fmt, out))


@needs_espeak
def test_m4b_has_quicktime_chapter_track_and_nero_list(speech_wavs, tmp_path):
    encoded = []
    for wav in speech_wavs:
        encode_chapter(wav, tmp_path / f"{wav.stem}.m4a")
        encoded.append(tmp_path / f"{wav.stem}.m4a")
    out = tmp_path / "book.m4b"
    assemble_book("m4b", encoded, BOOK, out, tags=tags(), book_name="test")
    probe = ffprobe(out)
    assert any(s["codec_type"] == "data" and s.get("codec_tag_string") == "text" for s in probe["streams"])
    assert b"chpl" in out.read_bytes()[:200_000] or b"chpl" in out.read_bytes()
    from mutagen.mp4 import MP4

    assert MP4(str(out)).tags["stik"] == [2]  # media kind: audiobook


@needs_espeak
def test_more_than_255_chapters_all_in_quicktime_track(speech_wavs, tmp_path, caplog):
    """The Nero list stops at 255; the QuickTime chapter track keeps every chapter, and the log says so."""
    one = tmp_path / "one.m4a"
    encode_chapter(speech_wavs[0], one)
    count = 260
    book = {"title": "Many", "authors": ["A"], "chapters": [{"title": f"Part {i}"} for i in range(1, count + 1)]}
    out = tmp_path / "many.m4b"
    with caplog.at_level(logging.WARNING, logger="snakebook"):
        marks = assemble_book("m4b", [one] * count, book, out, tags=BookTags.from_book(book), book_name="many")
    assert "QuickTime chapter track" in caplog.text and "255" in caplog.text
    probe = ffprobe(out)
    assert len(probe["chapters"]) == count
    assert abs(float(probe["chapters"][-1]["start_time"]) - marks[-1].start) < 0.1
    assert len(FORMATS["m4b"].read_back(out)["chapters"]) == 255


@needs_espeak
def test_a_file_that_does_not_match_fails_its_check(speech_wavs, tmp_path):
    encoded = tmp_path / "001.mp3"
    encode_chapter(speech_wavs[0], encoded, format="mp3")
    book = {"title": "T", "authors": ["A"], "chapters": [{"title": "Only"}]}
    out = tmp_path / "t.mp3"
    marks = assemble_book("mp3", [encoded], book, out, tags=BookTags.from_book(book), book_name="t")
    assert output_problems(FORMATS["mp3"], out, marks, BookTags.from_book(book), None) == []
    wrong = [ChapterMark("Other", 0.0, marks[0].end + 5.0)]
    problems = output_problems(FORMATS["mp3"], out, wrong, BookTags.from_book(book), b"cover")
    assert any("lasts" in p for p in problems) and any("titled" in p for p in problems)
    assert any("cover" in p for p in problems)
    with pytest.raises(SnakebookError, match="failed its check"):
        verify_output(FORMATS["mp3"], out, wrong, BookTags.from_book(book), None, "t")


# --- covers ---------------------------------------------------------------------------------------------------
def _png(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` (the pixel data is a few bytes)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def _size(path: Path) -> tuple[int, int]:
    from PIL import Image

    with Image.open(path) as image:
        assert image.format == "JPEG"
        return image.size


def test_cover_with_absurd_claimed_size_is_replaced(tmp_path, caplog):
    source = tmp_path / "bomb.png"
    source.write_bytes(_png(40_000, 40_000))
    with caplog.at_level(logging.WARNING, logger="snakebook"):
        how = prepare_cover(source, "Title", "Author", tmp_path / "cover.jpg", "bomb")
    assert how == "generated" and "40000 x 40000" in caplog.text
    assert _size(tmp_path / "cover.jpg") == (1400, 1400)


def test_cover_that_fails_to_decode_is_replaced(tmp_path, caplog):
    source = tmp_path / "broken.jpg"
    source.write_bytes(b"\xff\xd8\xff\xe0" + b"garbage" * 50)
    with caplog.at_level(logging.WARNING, logger="snakebook"):
        assert prepare_cover(source, "T", "A", tmp_path / "cover.jpg", "b") == "generated"
    assert "replaced" in caplog.text


def test_large_webp_gif_and_png_covers_become_jpegs_players_show(tmp_path):
    from PIL import Image

    for name, size in (("big.png", (3000, 4000)), ("c.webp", (600, 900)), ("c.gif", (300, 450))):
        source = tmp_path / name
        Image.new("RGB", size, (200, 30, 30)).save(source)
        out = tmp_path / f"{name}.jpg"
        assert prepare_cover(source, "T", "A", out, "b") == "converted"
        width, height = _size(out)
        assert max(width, height) <= MAX_SIDE and abs(width / height - size[0] / size[1]) < 0.01


def test_svg_cover_is_rendered_or_replaced(tmp_path):
    source = tmp_path / "c.svg"
    source.write_text(
        '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="300" height="450">'
        '<rect width="300" height="450" fill="teal"/></svg>'
    )
    assert prepare_cover(source, "T", "A", tmp_path / "cover.jpg", "b") in ("converted", "generated")
    _size(tmp_path / "cover.jpg")


def test_no_cover_gets_a_generated_one(tmp_path):
    assert (
        prepare_cover(None, "A Very Long Title That Wraps Onto Lines", "Some Author", tmp_path / "c.jpg") == "generated"
    )
    from PIL import Image

    with Image.open(tmp_path / "c.jpg") as image:
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
    assert len(colours) > 2  # text on the solid colour


# --- names, per-chapter files, library layout -------------------------------------------------------------------
def test_safe_names_for_every_filesystem():
    assert safe_name('What? A "Title": <1/2>') == "What A Title 1 2"
    assert safe_name("CON") == "_CON" and safe_name("...") == "Untitled"
    assert len(safe_name("é" * 300).encode("utf-8")) <= 150
    assert safe_name("Trailing dots. ") == "Trailing dots"


@needs_espeak
def test_per_chapter_files_have_track_numbers_and_a_playlist(speech_wavs, cover_jpeg, tmp_path):
    encoded = []
    for wav in speech_wavs:
        encode_chapter(wav, tmp_path / f"{wav.stem}.opus", format="opus")
        encoded.append(tmp_path / f"{wav.stem}.opus")
    marks = chapter_layout(encoded, [c["title"] for c in BOOK["chapters"]])
    written = write_per_chapter(FORMATS["opus"], encoded, marks, tmp_path / "per", tags(), cover_jpeg, "test-book")
    assert [p.name for p in written] == ["01 - One.opus", "02 - Two; =# tricky.opus", "03 - Trois — été.opus"]
    back = FORMATS["opus"].read_back(written[1])
    assert back["tags"]["track"] == "2" and back["tags"]["title"] == "Two; =#\\ tricky"
    assert back["tags"]["album"] == "The Test Book" and back["cover"] == cover_jpeg
    playlist = (tmp_path / "per" / "test-book.m3u8").read_text().splitlines()
    assert playlist[0] == "#EXTM3U" and [line for line in playlist if not line.startswith("#")] == [
        p.name for p in written
    ]


def test_library_folder_and_metadata_json():
    folder = library_folder("/lib", tags())
    assert folder == Path("/lib/Ann Writer/Tests/2 - The Test Book")
    meta = abs_metadata(tags(), [ChapterMark("One", 0.0, 1.5), ChapterMark("Two", 1.5, 3.0)])
    assert meta["series"] == ["Tests #2"] and meta["narrators"] == ["Test Narrator"]
    assert meta["chapters"][1] == {"id": 1, "start": 1.5, "end": 3.0, "title": "Two"}


def test_epub_series_subtitle_and_isbn_reach_book_json(tmp_path):
    from ebooklib import epub

    from snakebook.readers.epub import read_epub
    from snakebook.readers.options import ReadOptions

    book = epub.EpubBook()
    book.set_identifier("urn:isbn:978-3-16-148410-0")
    book.set_title("Main Title")
    book.set_language("en")
    book.add_author("A Writer")
    book.add_metadata("DC", "title", "The Subtitle", {"id": "t2"})
    book.add_metadata(None, "meta", "subtitle", {"refines": "#t2", "property": "title-type"})
    book.add_metadata(None, "meta", "Collection", {"property": "belongs-to-collection", "id": "c1"})
    book.add_metadata(None, "meta", "3", {"refines": "#c1", "property": "group-position"})
    chapter = epub.EpubHtml(title="C1", file_name="c1.xhtml", lang="en")
    chapter.content = "<html><body><h1>C1</h1><p>Hello there, world of tests.</p></body></html>"
    book.add_item(chapter)
    book.toc, book.spine = [chapter], [chapter]
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    epub.write_epub(str(tmp_path / "s.epub"), book)
    read = read_epub(tmp_path / "s.epub", ReadOptions(), "s")
    assert (read.subtitle, read.series, read.series_index) == ("The Subtitle", "Collection", "3")
    assert "isbn:9783161484100" in read.identifiers

    calibre = epub.EpubBook()
    calibre.set_identifier("x")
    calibre.set_title("T")
    calibre.set_language("en")
    calibre.add_metadata(None, "meta", "", {"name": "calibre:series", "content": "Cal"})
    calibre.add_metadata(None, "meta", "", {"name": "calibre:series_index", "content": "2.0"})
    calibre.add_item(chapter)
    calibre.toc, calibre.spine = [chapter], [chapter]
    calibre.add_item(epub.EpubNcx())
    calibre.add_item(epub.EpubNav())
    epub.write_epub(str(tmp_path / "c.epub"), calibre)
    read = read_epub(tmp_path / "c.epub", ReadOptions(), "c")
    assert (read.series, read.series_index) == ("Cal", "2")


# --- the real pipeline ----------------------------------------------------------------------------------------
@pytest.mark.slow
def test_pipeline_makes_every_format_checked(piper_book):
    info = json.loads((piper_book / "book.json").read_text())
    titles = [c["title"] for c in info["chapters"]]
    book_tags = BookTags.from_book(
        info,
        {"series": "Wonderland", "series_part": 1, "subtitle": "Three Chapters", "isbn": "978-0-00-000000-2"},
        narrator="Piper en_US-joe-medium",
    )
    cover = (piper_book / "cover" / "cover.jpg").read_bytes()
    assembled = (piper_book / "logs" / "assemble_audiobook.m4b.log").read_text()
    assert "checked with ffprobe and mutagen" in assembled
    assert "with ffmpeg" not in assembled  # the pipeline's chapters were joined by mp4join, not the fallback
    for fmt in ALL_FORMATS:
        kind = FORMATS[fmt]
        out = piper_book / f"{PIPER_BOOK}{kind.suffix}"
        encoded = [piper_book / "encoded" / f"{c['id']}{kind.chapter_suffix}" for c in info["chapters"]]
        marks = chapter_layout(encoded, titles)
        assert output_problems(kind, out, marks, book_tags, cover) == []  # the same check, done again here
        back = kind.read_back(out)
        assert back["tags"]["narrator"] == "Piper en_US-joe-medium" and back["tags"]["series"] == "Wonderland"
        assert back["cover"] == cover
        print(player_view(fmt, out))
        folder = piper_book / "per_chapter" / fmt
        files = sorted(p.name for p in folder.iterdir() if not p.name.endswith(".m3u8") and p.name[0] != ".")
        assert files == [f"{n:02d} - {safe_name(t)}{kind.chapter_suffix}" for n, t in enumerate(titles, start=1)]
        assert (folder / f"{PIPER_BOOK}.m3u8").exists()


@pytest.mark.slow
def test_pipeline_places_book_for_audiobookshelf_by_hard_link(piper_book):
    record = json.loads((piper_book / "library.json").read_text())
    folder = Path(record["folder"])
    assert folder.parts[-3:] == ("Lewis Carroll", "Wonderland", "1 - Alice's Adventures in Wonderland")
    m4b = folder / "Alice's Adventures in Wonderland.m4b"
    assert os.path.samefile(m4b, piper_book / f"{PIPER_BOOK}.m4b")  # a hard link, no second encode
    meta = json.loads((folder / "metadata.json").read_text())
    assert meta["series"] == ["Wonderland #1"] and len(meta["chapters"]) == 3
    assert meta["narrators"] == ["Piper en_US-joe-medium"] and meta["isbn"] == "978-0-00-000000-2"
    assert (folder / "reader.txt").read_text().strip() == "Piper en_US-joe-medium"
    assert (folder / "cover.jpg").read_bytes()[:3] == b"\xff\xd8\xff"
    assert {Path(p).suffix for p in record["files"]} >= {f".{f}" for f in ALL_FORMATS} | {".jpg"}


@pytest.mark.slow
def test_cover_none_gives_a_book_without_cover(espeak_book):
    from mutagen.mp4 import MP4

    assert "covr" not in (MP4(str(espeak_book / f"{espeak_book.name}.m4b")).tags or {})
    assert not (espeak_book / "cover" / "cover.jpg").exists()


@needs_espeak
def test_mp3_chapters_stand_in_chapter_order_in_the_file(speech_wavs, tmp_path):
    """mutagen sorts frames by size; ffmpeg-based players list CHAP frames in file order, so order matters."""
    one = tmp_path / "one.mp3"
    encode_chapter(speech_wavs[0], one, format="mp3")
    titles = ["A very long first chapter title indeed", "Second, shorter", "Third", "4"]
    book = {"title": "Order", "authors": ["A"], "chapters": [{"title": t} for t in titles]}
    out = tmp_path / "order.mp3"
    assemble_book("mp3", [one] * len(titles), book, out, tags=BookTags.from_book(book), book_name="order")
    assert [c["tags"]["title"] for c in ffprobe(out)["chapters"]] == titles
