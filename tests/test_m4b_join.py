"""The m4b join that merges the chapters' MP4 sample tables (snakebook.audio.formats.mp4join), against ffmpeg's.

Real AAC chapters (ffmpeg's encoder, odd lengths so each ends in a short packet), joined both ways and read
back with ffprobe, ffmpeg's decoder and mutagen: the same packets, the same timeline, exact markers.
"""

from __future__ import annotations

import json
import logging
import struct
import subprocess
from pathlib import Path

import pytest

from snakebook.audio.assemble import assemble_book, chapter_layout, tag_room
from snakebook.audio.booktags import BookTags
from snakebook.audio.encode import encode_chapter
from snakebook.audio.formats import FORMATS, mp4join
from snakebook.audio.formats.base import OutputFormat
from snakebook.audio.formats.mp4join import NotJoinable, join_m4a
from snakebook.audio.verify import output_problems

SECONDS = [1.2345, 0.7771, 2.5003]
TITLES = ["One", "Deux — été", "Three; =#\\ tricky"]


def tone_wav(path: Path, seconds: float, rate: int = 22050) -> Path:
    """A gliding tone (every packet differs, so a misplaced packet changes the decoded audio)."""
    subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"aevalsrc='0.3*sin(2*PI*(200+300*t)*t)':s={rate}:d={seconds}",
            "-c:a",
            "pcm_s16le",
            str(path),
        ],
        check=True,
    )
    return path


@pytest.fixture(scope="module")
def chapters(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("m4a")
    out = []
    for number, seconds in enumerate(SECONDS, start=1):
        m4a = folder / f"{number:03d}.m4a"
        encode_chapter(tone_wav(folder / f"{number:03d}.wav", seconds), m4a, format="m4b")
        out.append(m4a)
    return out


def ffprobe_json(path: Path, *args: str) -> dict:
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", *args, str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def packets(path: Path) -> list[tuple[int, int]]:
    """(dts, size) of every audio packet as ffmpeg's demuxer hands them out."""
    facts = ffprobe_json(path, "-select_streams", "a", "-show_entries", "packet=dts,size")
    return [(int(p["dts"]), int(p["size"])) for p in facts["packets"]]


def packet_md5(path: Path) -> str:
    return subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:a", "-c", "copy", "-f", "md5", "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def decoded(path: Path) -> bytes:
    return subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:a", "-f", "s16le", "-"], capture_output=True, check=True
    ).stdout


def top_boxes(path: Path) -> dict[bytes, int]:
    """Where each top-level box starts."""
    out, data, pos = {}, path.read_bytes(), 0
    while pos < len(data):
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if size == 1:
            size = struct.unpack(">Q", data[pos + 8 : pos + 16])[0]
        out[kind] = pos
        pos += size
    return out


@pytest.fixture(scope="module")
def joined(chapters, tmp_path_factory) -> tuple[Path, Path, list]:
    """The same chapters joined by ffmpeg's concat (the old way) and by mp4join."""
    folder = tmp_path_factory.mktemp("joined")
    files = [chapters[0], chapters[1], chapters[2], chapters[1]]
    marks = chapter_layout(files, [*TITLES, "Four"])
    old, new = folder / "ffmpeg.m4b", folder / "tables.m4b"
    OutputFormat.join(FORMATS["m4b"], files, old, marks)
    join_m4a(files, new, marks, language="fra")
    return old, new, marks


def test_same_packets_and_timeline_as_ffmpeg_concat(joined):
    old, new, _ = joined
    assert packet_md5(new) == packet_md5(old)
    before, after = packets(old), packets(new)
    assert [size for _, size in after] == [size for _, size in before]
    # Same spacing of every packet (priming packets moved past the previous chapter's last one alike);
    # the new file's edit list starts at the first real sample, so its timestamps sit 1024 samples earlier.
    assert [dts - after[0][0] for dts, _ in after] == [dts - before[0][0] for dts, _ in before]


def test_audio_starts_at_the_first_real_sample_and_markers_are_exact(joined):
    old, new, marks = joined
    # ffmpeg's concat kept the first chapter's encoder priming (1024 samples) as audio; the edit list cuts it
    assert decoded(new) == decoded(old)[2 * 1024 :]
    facts = ffprobe_json(new, "-show_chapters", "-show_format", "-show_streams")
    assert float(facts["format"]["duration"]) == pytest.approx(marks[-1].end, abs=0.001)
    assert [(c["tags"]["title"], float(c["start_time"])) for c in facts["chapters"]] == [
        (m.title, round(m.start, 3)) for m in marks
    ]
    audio = next(s for s in facts["streams"] if s["codec_type"] == "audio")
    assert audio["tags"]["language"] == "fra"
    back = FORMATS["m4b"].read_back(new)
    assert back["chapters"] == [(m.title, round(m.start, 3)) for m in marks]


def test_tags_and_cover_are_written_without_moving_the_audio(chapters, tmp_path):
    cover = tmp_path / "c.jpg"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "color=c=teal:s=300x300", "-frames:v", "1", str(cover)],
        check=True,
    )
    book = {"title": "Joined", "authors": ["A. Writer"], "description": "x" * 3000, "chapters": []}
    book["chapters"] = [{"title": t} for t in TITLES]
    tags = BookTags.from_book(book, {"narrator": "Test Narrator"})
    marks = chapter_layout(chapters, TITLES)
    out = tmp_path / "book.m4b"
    join_m4a(chapters, out, marks, tag_room=tag_room(tags, cover.read_bytes()))
    audio_at = top_boxes(out)[b"mdat"]
    FORMATS["m4b"].write_tags(out, tags, marks, cover.read_bytes())
    assert top_boxes(out)[b"mdat"] == audio_at  # the tags went into the room kept for them
    assert list(top_boxes(out)) == [b"ftyp", b"moov", b"mdat"]  # moov first: players can stream it
    assert output_problems(FORMATS["m4b"], out, marks, tags, cover.read_bytes()) == []


def test_past_4_gib_offsets_and_sizes_are_64_bit(chapters, tmp_path, monkeypatch):
    """A 4 GiB book takes hours to make here; lowering the limit sends a small one down the same path."""
    marks = chapter_layout(chapters, TITLES)
    small, wide = tmp_path / "small.m4b", tmp_path / "wide.m4b"
    join_m4a(chapters, small, marks)
    monkeypatch.setattr(mp4join, "UINT32", 1000)
    join_m4a(chapters, wide, marks)
    data = wide.read_bytes()
    assert b"co64" in data and b"stco" in data  # audio offsets wide; the chapter track's one offset stays small
    mdat = top_boxes(wide)[b"mdat"]
    assert struct.unpack(">I4s", data[mdat : mdat + 8]) == (1, b"mdat")  # 64-bit box size
    assert packet_md5(wide) == packet_md5(small)
    assert decoded(wide) == decoded(small)
    facts = ffprobe_json(wide, "-show_chapters")
    assert [c["tags"]["title"] for c in facts["chapters"]] == TITLES


def test_chapters_encoded_differently_are_joined_by_ffmpeg(chapters, tmp_path, caplog):
    other = tmp_path / "other.m4a"
    encode_chapter(tone_wav(tmp_path / "other.wav", 1.0, rate=16000), other, format="m4b")
    files = [chapters[0], other]
    marks = chapter_layout(files, ["A", "B"])
    with pytest.raises(NotJoinable, match="encoded differently"):
        join_m4a(files, tmp_path / "no.m4b", marks)
    book = {"title": "Mixed", "authors": ["A. Writer"], "chapters": [{"title": "A"}, {"title": "B"}]}
    out = tmp_path / "mixed.m4b"
    with caplog.at_level(logging.INFO, logger="snakebook"):
        assemble_book("m4b", files, book, out, tags=BookTags.from_book(book), book_name="mixed")
    assert "joining the m4b chapters with ffmpeg" in caplog.text
    assert [c[0] for c in FORMATS["m4b"].read_back(out)["chapters"]] == ["A", "B"]


def test_a_file_that_is_not_mp4_is_not_joinable(chapters, tmp_path):
    fake = tmp_path / "fake.m4a"
    fake.write_bytes(b"\0\0\0\x10notmp4 at all" * 4)
    with pytest.raises(NotJoinable):
        join_m4a([chapters[0], fake], tmp_path / "x.m4b", chapter_layout([chapters[0], chapters[0]], ["A", "B"]))


def test_a_title_longer_than_the_nero_list_holds_is_cut_between_characters(chapters, tmp_path):
    long_title = "Chapitre où l'été s'achève, " * 12  # 360 bytes of UTF-8
    book = {"title": "Long titles", "authors": ["A. Writer"], "chapters": [{"title": long_title}, {"title": "Two"}]}
    out = tmp_path / "titles.m4b"
    assemble_book("m4b", chapters[:2], book, out, tags=BookTags.from_book(book), book_name="titles")  # checked
    nero = FORMATS["m4b"].read_back(out)["chapters"][0][0]
    assert long_title.startswith(nero) and len(nero.encode("utf-8")) in range(250, 256)
    assert ffprobe_json(out, "-show_chapters")["chapters"][0]["tags"]["title"] == long_title  # QuickTime track


def test_tags_larger_than_the_room_kept_move_the_audio_and_stay_right(chapters, tmp_path):
    book = {"title": "No room", "authors": ["A. Writer"], "chapters": [{"title": t} for t in TITLES]}
    tags = BookTags.from_book(book)
    cover = tmp_path / "c.jpg"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "color=c=red:s=200x200", "-frames:v", "1", str(cover)],
        check=True,
    )
    marks = chapter_layout(chapters, TITLES)
    out, reference = tmp_path / "book.m4b", tmp_path / "reference.m4b"
    join_m4a(chapters, out, marks, tag_room=0)
    join_m4a(chapters, reference, marks, tag_room=0)
    audio_at = top_boxes(out)[b"mdat"]
    FORMATS["m4b"].write_tags(out, tags, marks, cover.read_bytes())
    assert top_boxes(out)[b"mdat"] > audio_at  # mutagen moved the audio and the offsets of both tracks
    assert output_problems(FORMATS["m4b"], out, marks, tags, cover.read_bytes()) == []
    assert packet_md5(out) == packet_md5(reference) and decoded(out) == decoded(reference)
