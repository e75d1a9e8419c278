"""Joining encoded m4a chapters into one m4b by copying their packets, with memory flat in book length.

ffmpeg's MP4 muxer keeps an entry of ~64 bytes for every packet it writes until it writes the ``moov``
(AAC: 21.5 packets a second at 22.05 kHz, 1.55 million for 20 hours), so its memory grew with the book
(65 MB for a 2-hour book, 162 MB for 20 hours). Here the chapters' sample tables are merged chapter by
chapter instead: the sample sizes (``stsz``, the only table as long as the book) are copied from each
chapter straight into the output, the packets are copied by the kernel (``copy_file_range``), and what is
kept in memory is a few numbers per chapter and per chunk of about a megabyte.

The timeline is the one ffmpeg's concat join makes: chapter *k*'s audio starts at the sum of the previous
chapters' durations as ffprobe reports them (the chapter markers), each chapter keeps its own packets
(encoder priming included), and where a chapter's priming packet would start before the previous
chapter's last packet it is moved to just after it, as ffmpeg moves a non-increasing timestamp. The first
chapter's priming is cut by an edit list, so the markers are exact to the sample.

The file is laid out for streaming (``moov`` before ``mdat``, what ``-movflags +faststart`` gives, without
its second pass) with a QuickTime chapter text track (Apple players, ffmpeg), a Nero ``chpl`` list
(mutagen, many Android and desktop players) and an empty ``ilst`` followed by room for the tags and cover,
so mutagen writes them in place instead of moving the whole audio.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from ..chapters import ChapterMark

MOVIE_TIMESCALE = 1000  # as ffmpeg's muxer: movie and chapter-track times in milliseconds
CHPL_LIMIT = 255  # the Nero chapter list counts chapters in one byte
COPY_BLOCK = 1 << 20
ENCD = struct.pack(">I4sI", 12, b"encd", 0x100)  # text sample atom: the title is UTF-8 (ffmpeg writes it too)
UINT32 = 0xFFFFFFFF


class NotJoinable(Exception):
    """The chapters are not single-track AAC MP4 files this join understands (ffmpeg joins them then)."""


# --- reading ---------------------------------------------------------------------------------------------


def _boxes(f: BinaryIO, start: int, end: int) -> Iterator[tuple[bytes, int, int, int]]:
    """``(kind, offset, header_size, size)`` of each box between ``start`` and ``end``."""
    pos = start
    while pos + 8 <= end:
        f.seek(pos)
        size, kind = struct.unpack(">I4s", f.read(8))
        header = 8
        if size == 1:
            size = struct.unpack(">Q", f.read(8))[0]
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise NotJoinable(f"a damaged {kind!r} box at byte {pos}")
        yield kind, pos, header, size
        pos += size


def _children(f: BinaryIO, box: tuple[bytes, int, int, int]) -> dict[bytes, list[tuple[bytes, int, int, int]]]:
    out: dict[bytes, list] = {}
    _, pos, header, size = box
    for child in _boxes(f, pos + header, pos + size):
        out.setdefault(child[0], []).append(child)
    return out


def _one(found: dict, kind: bytes, where: str) -> tuple[bytes, int, int, int]:
    boxes = found.get(kind) or []
    if len(boxes) != 1:
        raise NotJoinable(f"{len(boxes)} {kind.decode('latin-1')} boxes in {where}")
    return boxes[0]


def _payload(f: BinaryIO, box: tuple[bytes, int, int, int]) -> bytes:
    _, pos, header, size = box
    f.seek(pos + header)
    return f.read(size - header)


def _raw(f: BinaryIO, box: tuple[bytes, int, int, int]) -> bytes:
    _, pos, _, size = box
    f.seek(pos)
    return f.read(size)


@dataclass
class Chapter:
    """What the join needs of one encoded chapter: small, whatever the chapter's length."""

    path: Path
    ftyp: bytes
    mvhd: bytes  # payload
    tkhd: bytes  # payload
    mdhd: bytes  # payload
    hdlr: bytes  # whole boxes, copied
    smhd: bytes
    dinf: bytes
    stsd: bytes  # payload
    sgpd: bytes | None  # whole box (AAC's roll group), copied when every chapter has the same
    timescale: int
    media_time: int  # samples the edit list skips (encoder priming)
    stts: list[tuple[int, int]]  # (count, delta)
    samples: int
    sample_size: int  # stsz's uniform size, 0 when each sample has its own
    stsz_at: int  # file offset of the per-sample sizes
    chunks: list[int]  # offsets, relative to the start of the mdat's data
    stsc: list[tuple[int, int, int]]  # (first chunk, samples per chunk, description index)
    data_at: int  # the mdat's data
    data_size: int
    rolls: bool = field(default=False)  # sbgp: every sample in roll group 1


def _esds_fields(stsd: bytes) -> tuple[int, bytes]:
    """Where the DecoderConfigDescriptor's bitrates start in ``stsd``, and ``stsd`` with them blanked."""
    at = stsd.find(b"esds")
    if at < 0:
        raise NotJoinable("no esds (not AAC)")
    pos = at + 4 + 4  # version/flags
    for tag in (3, 4):
        if stsd[pos] != tag:
            raise NotJoinable("an unexpected esds layout")
        pos += 1
        while stsd[pos] & 0x80:
            pos += 1
        pos += 1
        if tag == 3:
            flags = stsd[pos + 2]
            pos += 3 + (2 if flags & 0x80 else 0) + (2 if flags & 0x20 else 0)
            if flags & 0x40:
                pos += 1 + stsd[pos]
    bitrates = pos + 2 + 3  # object type, stream type, buffer size
    return bitrates, stsd[:bitrates] + b"\0" * 8 + stsd[bitrates + 8 :]


def _top(f: BinaryIO) -> dict[bytes, list[tuple[bytes, int, int, int]]]:
    """The file's top-level boxes by kind."""
    top: dict[bytes, list[tuple[bytes, int, int, int]]] = {}
    for box in _boxes(f, 0, f.seek(0, os.SEEK_END)):
        top.setdefault(box[0], []).append(box)
    return top


def movie_duration(path: str | Path) -> float:
    """An MP4's duration as ffmpeg (and ffprobe's ``format.duration``) reads it: the movie header's duration over
    its timescale. Read from the ``moov`` alone, without starting a process (one ffprobe costs ~0.1 CPU-s)."""
    path = Path(path)
    with open(path, "rb") as f:
        top = _top(f)
        mvhd = _payload(f, _one(_children(f, _one(top, b"moov", path.name)), b"mvhd", "moov"))
    timescale, duration = struct.unpack(">II", mvhd[12:20]) if mvhd[0] == 0 else struct.unpack(">IQ", mvhd[20:32])
    if not timescale:
        raise NotJoinable("a movie header without a timescale")
    return duration / timescale


def scan_chapter(path: str | Path) -> Chapter:
    path = Path(path)
    with open(path, "rb") as f:
        top = _top(f)
        moov = _children(f, _one(top, b"moov", path.name))
        if b"mvex" in moov:
            raise NotJoinable("a fragmented MP4")
        trak = _children(f, _one(moov, b"trak", path.name))
        mdia = _children(f, _one(trak, b"mdia", "trak"))
        minf = _children(f, _one(mdia, b"minf", "mdia"))
        stbl = _children(f, _one(minf, b"stbl", "minf"))
        hdlr = _raw(f, _one(mdia, b"hdlr", "mdia"))
        if hdlr[16:20] != b"soun" or b"smhd" not in minf:
            raise NotJoinable("not an audio track")
        mdhd = _payload(f, _one(mdia, b"mdhd", "mdia"))
        timescale = struct.unpack(">I", mdhd[12:16] if mdhd[0] == 0 else mdhd[20:24])[0]
        media_time = 0
        if b"edts" in trak:
            elst = _payload(f, _one(_children(f, _one(trak, b"edts", "trak")), b"elst", "edts"))
            count = struct.unpack(">I", elst[4:8])[0]
            if count != 1:
                raise NotJoinable(f"an edit list of {count} entries")
            media_time = struct.unpack(">i", elst[12:16])[0] if elst[0] == 0 else struct.unpack(">q", elst[16:24])[0]
            if media_time < 0:
                raise NotJoinable("an empty edit")
        stsd = _payload(f, _one(stbl, b"stsd", "stbl"))
        if struct.unpack(">I", stsd[4:8])[0] != 1 or stsd[12:16] != b"mp4a":
            raise NotJoinable("not one AAC sample description")
        stts_data = _payload(f, _one(stbl, b"stts", "stbl"))
        stts = [struct.unpack_from(">II", stts_data, 8 + 8 * i) for i in range(struct.unpack(">I", stts_data[4:8])[0])]
        stsz_box = _one(stbl, b"stsz", "stbl")
        f.seek(stsz_box[1] + stsz_box[2])
        sample_size, samples = struct.unpack(">4xII", f.read(12))
        stsc_data = _payload(f, _one(stbl, b"stsc", "stbl"))
        stsc = [
            struct.unpack_from(">III", stsc_data, 8 + 12 * i) for i in range(struct.unpack(">I", stsc_data[4:8])[0])
        ]
        if b"stco" in stbl:
            data = _payload(f, _one(stbl, b"stco", "stbl"))
            chunks = list(struct.unpack_from(f">{struct.unpack('>I', data[4:8])[0]}I", data, 8))
        else:
            data = _payload(f, _one(stbl, b"co64", "stbl"))
            chunks = list(struct.unpack_from(f">{struct.unpack('>I', data[4:8])[0]}Q", data, 8))
        if b"ctts" in stbl or b"stss" in stbl and samples:
            raise NotJoinable("reordered or non-sync samples")
        mdat = _one(top, b"mdat", path.name)
        data_at, data_size = mdat[1] + mdat[2], mdat[3] - mdat[2]
        if any(not data_at <= c < data_at + data_size for c in chunks) or sum(n for n, _ in stts) != samples:
            raise NotJoinable("sample tables that do not fit the file")
        sgpd = _raw(f, stbl[b"sgpd"][0]) if len(stbl.get(b"sgpd", [])) == 1 else None
        rolls = False
        if sgpd is not None and len(stbl.get(b"sbgp", [])) == 1:
            sbgp = _payload(f, stbl[b"sbgp"][0])
            rolls = sbgp[:12] == b"\0\0\0\0roll\0\0\0\1" and struct.unpack(">II", sbgp[12:20]) == (samples, 1)
        return Chapter(
            path=path,
            ftyp=_raw(f, _one(top, b"ftyp", path.name)),
            mvhd=_payload(f, _one(moov, b"mvhd", "moov")),
            tkhd=_payload(f, _one(trak, b"tkhd", "trak")),
            mdhd=mdhd,
            hdlr=hdlr,
            smhd=_raw(f, _one(minf, b"smhd", "minf")),
            dinf=_raw(f, _one(minf, b"dinf", "minf")),
            stsd=stsd,
            sgpd=sgpd,
            timescale=timescale,
            media_time=media_time,
            stts=stts,
            samples=samples,
            sample_size=sample_size,
            stsz_at=stsz_box[1] + stsz_box[2] + 12,
            chunks=[c - data_at for c in chunks],
            stsc=stsc,
            data_at=data_at,
            data_size=data_size,
            rolls=rolls,
        )


# --- writing ---------------------------------------------------------------------------------------------


class Later:
    """A part of the output of known length whose bytes are produced while writing (``write(file)``)."""

    def __init__(self, length: int, write) -> None:
        self.length = length
        self.write = write


def _length(parts: list) -> int:
    return sum(p.length if isinstance(p, Later) else len(p) for p in parts)


def box(kind: bytes, *parts) -> list:
    flat: list = []
    for part in parts:
        flat.extend(part if isinstance(part, list) else [part])
    return [struct.pack(">I4s", 8 + _length(flat), kind), *flat]


def full_box(kind: bytes, version: int, flags: int, *parts) -> list:
    return box(kind, struct.pack(">I", version << 24 | flags), *parts)


def _runs(values: Iterator[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for value in values:
        if runs and runs[-1][1] == value:
            runs[-1] = (runs[-1][0] + 1, value)
        else:
            runs.append((1, value))
    return runs


def _table(kind: bytes, rows: list[tuple], row: str) -> list:
    return full_box(kind, 0, 0, struct.pack(">I", len(rows)), b"".join(struct.pack(row, *r) for r in rows))


def _language(code: str | None) -> int | None:
    if not code or len(code) != 3 or not code.isascii() or not code.isalpha():
        return None
    a, b, c = (ord(ch) - 0x60 for ch in code.lower())
    return a << 10 | b << 5 | c


def _mdhd(template: bytes, timescale: int, duration: int, language: int | None) -> list:
    old_language = template[20:22] if template[0] == 0 else template[32:34]
    lang = struct.pack(">H", language) if language is not None else old_language
    if duration > UINT32:
        return full_box(b"mdhd", 1, 0, struct.pack(">QQIQ", 0, 0, timescale, duration), lang, b"\0\0")
    return full_box(b"mdhd", 0, 0, struct.pack(">III", 0, 0, timescale), struct.pack(">I", duration), lang, b"\0\0")


def _tkhd(template: bytes, track_id: int, duration: int) -> list:
    """The chapter's tkhd (flags, volume, matrix as its encoder wrote them) with this track's id and duration."""
    rest = template[24:] if template[0] == 0 else template[36:]
    flags = struct.unpack(">I", template[:4])[0] & 0xFFFFFF
    return full_box(b"tkhd", 0, flags, struct.pack(">IIIII", 0, 0, track_id, 0, duration), rest)


def _elst(segment: int, media_time: int) -> list:
    return box(b"edts", full_box(b"elst", 0, 0, struct.pack(">IIiI", 1, segment, media_time, 0x10000)))


def _up(value: int, from_scale: int, to_scale: int) -> int:
    return -(-value * to_scale // from_scale)


# What ffmpeg's MP4 muxer writes for its QuickTime chapter track (ffmpeg 5.1): Apple players and ffmpeg read it.
TEXT_TKHD = bytes.fromhex(  # flags 2: in the movie, not enabled (players list it as chapters, never play it)
    "0000000200000000000000000000000200000000000000000000000000000000000000000000000000010000000000000000"
    "00000000000000010000000000000000000000000000400000000000000000000000"
)
TEXT_GMHD = bytes.fromhex(
    "0000004c676d686400000018676d696e000000000040800080008000000000000000002c7465787400010000000000000000"
    "0000000000000001000000000000000000000000000040000000"
)
TEXT_ENTRY = bytes.fromhex(
    "0000003b7465787400000000000000010000000100000000000000000000000000000000000000010000000000000000000d"
    "667461620001000100"
)
TEXT_HDLR = struct.pack(">I4s", 48, b"hdlr") + b"\0" * 8 + b"text" + b"\0" * 12 + b"SubtitleHandler\0"
DINF = bytes.fromhex("0000002464696e660000001c6472656600000000000000010000000c75726c2000000001")


def _text_track(marks: list[ChapterMark], duration_ms: int, data_at: int) -> tuple[list, bytes]:
    """The chapter track (one text sample per chapter, stored at ``data_at``) and its samples."""
    starts = [int(round(m.start * 1000)) for m in marks]
    durations = [b - a for a, b in zip(starts, starts[1:], strict=False)] + [
        int(round(marks[-1].end * 1000)) - starts[-1]
    ]
    samples = [struct.pack(">H", len(t)) + t + ENCD for t in (m.title.encode("utf-8")[:0xFFFF] for m in marks)]
    stbl = box(
        b"stbl",
        full_box(b"stsd", 0, 0, struct.pack(">I", 1), TEXT_ENTRY),
        _table(b"stts", _runs(iter(durations)), ">II"),
        _table(b"stsc", [(1, len(samples), 1)], ">III"),
        full_box(
            b"stsz", 0, 0, struct.pack(">II", 0, len(samples)), b"".join(struct.pack(">I", len(s)) for s in samples)
        ),
        _table(b"stco", [(data_at,)], ">I"),
    )
    tkhd = bytearray(TEXT_TKHD)
    tkhd[20:24] = struct.pack(">I", duration_ms)
    trak = box(
        b"trak",
        box(b"tkhd", bytes(tkhd)),
        _elst(duration_ms, 0),
        box(
            b"mdia",
            full_box(b"mdhd", 0, 0, struct.pack(">IIIIHH", 0, 0, MOVIE_TIMESCALE, sum(durations), 0, 0)),
            TEXT_HDLR,
            box(b"minf", TEXT_GMHD, DINF, stbl),
        ),
    )
    return trak, b"".join(samples)


def chpl_title(title: str) -> str:
    """A title as the Nero list holds it: at most 255 bytes of UTF-8, cut between characters."""
    return title.encode("utf-8")[:255].decode("utf-8", "ignore")


def _chpl(marks: list[ChapterMark]) -> list:
    entries = []
    for mark in marks[:CHPL_LIMIT]:
        title = chpl_title(mark.title).encode("utf-8")
        entries.append(struct.pack(">QB", int(round(mark.start * 1000)) * 10_000, len(title)) + title)
    return full_box(b"chpl", 1, 0, b"\0" * 4, bytes([len(entries)]), b"".join(entries))


def _copy(source: Path, dst: BinaryIO, offset: int, length: int) -> None:
    """``length`` bytes of ``source`` from ``offset`` to ``dst``'s position: in the kernel where it can."""
    dst.flush()
    out_at = dst.tell()
    done = 0
    with open(source, "rb") as src:
        if hasattr(os, "copy_file_range"):
            try:
                while done < length:
                    n = os.copy_file_range(src.fileno(), dst.fileno(), length - done, offset + done, out_at + done)
                    if n == 0:
                        break
                    done += n
            except OSError:
                pass  # a filesystem without it: through a buffer
        src.seek(offset + done)
        dst.seek(out_at + done)
        while done < length:
            block = src.read(min(COPY_BLOCK, length - done))
            if not block:
                raise NotJoinable(f"{source.name} ended early")
            dst.write(block)
            done += len(block)


class _Durations:
    """The output's sample durations as (count, duration) runs, merged as they come."""

    def __init__(self) -> None:
        self.runs: list[tuple[int, int]] = []

    def add(self, duration: int, count: int = 1) -> None:
        if self.runs and self.runs[-1][1] == duration:
            self.runs[-1] = (self.runs[-1][0] + count, duration)
        else:
            self.runs.append((count, duration))


def timeline(chapters: list[Chapter], marks: list[ChapterMark], timescale: int) -> tuple[list[tuple[int, int]], int]:
    """The joined track's sample durations (stts runs) and its length in samples, without the first priming.

    Chapter k's samples keep their spacing from the chapter's own table, its first real sample (after the
    priming its edit list skips) at the marker; a sample that would not come after the previous one is moved
    to one tick after it (what ffmpeg does to a non-increasing timestamp in a stream copy).
    """
    durations = _Durations()
    shift = chapters[0].media_time
    last: tuple[int, int] | None = None  # the previous sample's time and own duration
    for chapter, mark in zip(chapters, marks, strict=True):
        start_us = int(round(mark.start * 1_000_000))  # ffprobe's (and the concat demuxer's) microseconds
        dts = (start_us * timescale * 2 + 1_000_000) // 2_000_000 - chapter.media_time + shift
        for count, delta in chapter.stts:
            if delta <= 0:
                raise NotJoinable(f"{chapter.path.name} has samples of no duration")
            placed = 0
            while placed < count:  # one by one while a sample has to move past the previous one
                natural = dts + placed * delta
                at = natural if last is None else max(natural, last[0] + 1)
                if last is not None:
                    durations.add(at - last[0])
                last = (at, delta)
                placed += 1
                if at == natural:
                    break
            if placed < count:  # the rest of the run follows at its own spacing
                durations.add(delta, count - placed)
                last = (dts + (count - 1) * delta, delta)
            dts += count * delta
    if last is None:
        raise NotJoinable("chapters without samples")
    durations.add(last[1])
    return durations.runs, last[0] + last[1] - shift


def join_m4a(
    chapter_files: list[str | Path],
    out: str | Path,
    marks: list[ChapterMark],
    language: str | None = None,
    tag_room: int = 0,
) -> None:
    """Join AAC chapters (``.m4a``) into one ``.m4b`` at ``out`` (raises :class:`NotJoinable` if they are not).

    ``tag_room``: bytes kept free after the empty ``ilst`` for the tags and cover written next.
    """
    if not chapter_files or len(chapter_files) != len(marks):
        raise NotJoinable("no chapters, or not one marker per chapter")
    scans: dict[str, Chapter] = {}
    for path in chapter_files:
        if str(path) not in scans:
            try:
                scans[str(path)] = scan_chapter(path)
            except (OSError, struct.error, IndexError, ValueError) as error:  # ffmpeg's join then says what is wrong
                raise NotJoinable(f"{Path(path).name}: {error}") from None
    chapters = [scans[str(path)] for path in chapter_files]
    first = chapters[0]
    try:
        bitrate_at, plain_stsd = _esds_fields(first.stsd)
        layouts = {str(chapter.path): _esds_fields(chapter.stsd) for chapter in scans.values()}
    except IndexError:
        raise NotJoinable("a damaged esds") from None
    for chapter in scans.values():
        if chapter.timescale != first.timescale or layouts[str(chapter.path)] != (bitrate_at, plain_stsd):
            raise NotJoinable(f"{chapter.path.name} is encoded differently from {first.path.name}")
    timescale = first.timescale
    stts, length = timeline(chapters, marks, timescale)
    total_samples = sum(c.samples for c in chapters)
    media_duration = length + first.media_time
    presentation_ms = _up(length, timescale, MOVIE_TIMESCALE)
    text_ms = int(round(marks[-1].end * 1000))
    stsc: list[tuple[int, int, int]] = []
    chunk_count = 0
    for chapter in chapters:
        for first_chunk, per_chunk, index in chapter.stsc:
            if not stsc or stsc[-1][1:] != (per_chunk, index):
                stsc.append((chunk_count + first_chunk, per_chunk, index))
        chunk_count += len(chapter.chunks)
    data_size = sum(c.data_size for c in chapters)
    _, text_samples = _text_track(marks, text_ms, 0)
    mdat_header = 8 if 8 + len(text_samples) + data_size <= UINT32 else 16
    stsd = bytearray(first.stsd)
    max_rate = max(struct.unpack_from(">I", c.stsd, bitrate_at)[0] for c in scans.values())
    stsd[bitrate_at : bitrate_at + 8] = struct.pack(">II", max_rate, int(data_size * 8 * timescale / max(length, 1)))

    def write_sizes(f: BinaryIO) -> None:
        for chapter in chapters:
            if chapter.sample_size:
                f.write(struct.pack(">I", chapter.sample_size) * chapter.samples)
            else:
                _copy(chapter.path, f, chapter.stsz_at, 4 * chapter.samples)

    def moov_parts(wide: bool, data_at: int) -> list:
        def write_chunks(f: BinaryIO) -> None:
            position = data_at + len(text_samples)
            for chapter in chapters:
                f.write(
                    struct.pack(
                        f">{len(chapter.chunks)}{'Q' if wide else 'I'}", *(position + c for c in chapter.chunks)
                    )
                )
                position += chapter.data_size

        tables = [
            box(b"stsd", bytes(stsd)),
            _table(b"stts", stts, ">II"),
            _table(b"stsc", stsc, ">III"),
            full_box(b"stsz", 0, 0, struct.pack(">II", 0, total_samples), Later(4 * total_samples, write_sizes)),
            full_box(
                b"co64" if wide else b"stco",
                0,
                0,
                struct.pack(">I", chunk_count),
                Later((8 if wide else 4) * chunk_count, write_chunks),
            ),
        ]
        if first.sgpd is not None and all(c.rolls and c.sgpd == first.sgpd for c in scans.values()):
            tables += [
                first.sgpd,
                full_box(b"sbgp", 0, 0, b"roll", struct.pack(">II", 1, total_samples), struct.pack(">I", 1)),
            ]
        audio = box(
            b"trak",
            _tkhd(first.tkhd, 1, presentation_ms),
            _elst(presentation_ms, first.media_time),
            box(b"tref", box(b"chap", struct.pack(">I", 2))),
            box(
                b"mdia",
                _mdhd(first.mdhd, timescale, media_duration, _language(language)),
                first.hdlr,
                box(b"minf", first.smhd, first.dinf, box(b"stbl", *tables)),
            ),
        )
        text, _ = _text_track(marks, text_ms, data_at)
        rest = first.mvhd[20:] if first.mvhd[0] == 0 else first.mvhd[32:]  # rate, volume, matrix, next track id
        mvhd = struct.pack(">IIIII", 0, 0, 0, MOVIE_TIMESCALE, max(presentation_ms, text_ms)) + rest[:-4]
        meta = full_box(
            b"meta",
            0,
            0,
            full_box(b"hdlr", 0, 0, b"\0" * 4 + b"mdirappl" + b"\0" * 9),
            box(b"ilst"),
            box(b"free", b"\0" * max(0, tag_room)),
        )
        return box(b"moov", box(b"mvhd", mvhd, struct.pack(">I", 3)), audio, text, box(b"udta", meta, _chpl(marks)))

    # The moov's length depends on the width of the offsets it holds, never on their values.
    wide = False
    moov_length = _length(moov_parts(wide, 0))
    if len(first.ftyp) + moov_length + mdat_header + len(text_samples) + data_size > UINT32:
        wide = True
        moov_length = _length(moov_parts(wide, 0))
    data_at = len(first.ftyp) + moov_length + mdat_header
    moov = moov_parts(wide, data_at)
    mdat_size = mdat_header + len(text_samples) + data_size
    with open(out, "wb") as f:
        f.write(first.ftyp)
        _write_parts(f, moov)
        if f.tell() != data_at - mdat_header:
            raise AssertionError("the moov came out a different length than planned")
        f.write(
            struct.pack(">I4s", mdat_size, b"mdat") if mdat_header == 8 else struct.pack(">I4sQ", 1, b"mdat", mdat_size)
        )
        f.write(text_samples)
        for chapter in chapters:
            _copy(chapter.path, f, chapter.data_at, chapter.data_size)
        if f.tell() != data_at + len(text_samples) + data_size:
            raise AssertionError("the audio is not where the moov says")


def _write_parts(f: BinaryIO, parts: list) -> None:
    for part in parts:
        if isinstance(part, Later):
            start = f.tell()
            part.write(f)
            if f.tell() - start != part.length:
                raise AssertionError("a table came out longer or shorter than planned")
        else:
            f.write(part)
