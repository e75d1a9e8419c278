"""ID3v2.4 tags with CHAP/CTOC chapter frames (mutagen), shared by mp3 and wav."""

from __future__ import annotations

from mutagen.id3 import (
    APIC,
    CHAP,
    COMM,
    CTOC,
    ID3,
    MVIN,
    MVNM,
    TALB,
    TCOM,
    TCON,
    TDRC,
    TIT2,
    TIT3,
    TLAN,
    TPE1,
    TPE2,
    TPOS,
    TPUB,
    TRCK,
    TSOA,
    TSOP,
    TSOT,
    TXXX,
    CTOCFlags,
)
from mutagen.id3._tags import save_frame  # mutagen's own frame writer (pinned mutagen==1.48.1)

from ..booktags import BookTags
from ..chapters import ChapterMark


def id3_frames(
    tags: BookTags, marks: list[ChapterMark], cover: bytes | None, track: tuple[int, int] | None = None
) -> list:
    title = marks[0].title if track and marks else tags.title
    frames = [
        TIT2(encoding=3, text=title),
        TALB(encoding=3, text=tags.title),
        TSOA(encoding=3, text=tags.title_sort),
        TCON(encoding=3, text=tags.genre),
    ]
    if not track:
        frames.append(TSOT(encoding=3, text=tags.title_sort))
    if tags.subtitle:
        frames.append(TIT3(encoding=3, text=tags.subtitle))
    if tags.authors:
        frames += [
            TPE1(encoding=3, text=tags.artist),
            TPE2(encoding=3, text=tags.artist),
            TSOP(encoding=3, text=tags.author_sort),
        ]
    if tags.narrator:
        frames += [TCOM(encoding=3, text=tags.narrator), TXXX(encoding=3, desc="narrator", text=tags.narrator)]
    if tags.series:
        frames += [MVNM(encoding=3, text=tags.series), TXXX(encoding=3, desc="series", text=tags.series)]
        if tags.series_part:
            frames += [
                MVIN(encoding=3, text=tags.series_part),
                TXXX(encoding=3, desc="series-part", text=tags.series_part),
            ]
    if tags.year:
        frames.append(TDRC(encoding=3, text=tags.year))
    if tags.language:
        frames.append(TLAN(encoding=3, text=tags.language_639_2))
    if tags.publisher:
        frames.append(TPUB(encoding=3, text=tags.publisher))
    if tags.description:
        frames.append(COMM(encoding=3, lang="eng", desc="", text=tags.description))
    if tags.isbn:
        frames.append(TXXX(encoding=3, desc="ISBN", text=tags.isbn))
    if track:
        frames += [TRCK(encoding=3, text=f"{track[0]}/{track[1]}"), TPOS(encoding=3, text="1/1")]
    frames.append(TXXX(encoding=3, desc="media kind", text="audiobook"))
    if cover:
        mime = "image/png" if cover[:8] == b"\x89PNG\r\n\x1a\n" else "image/jpeg"
        frames.append(APIC(encoding=3, mime=mime, type=3, desc="Cover", data=cover))
    if marks and not track:
        ids = [f"ch{i:04d}" for i in range(len(marks))]
        frames.append(
            CTOC(
                element_id="toc",
                flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                child_element_ids=ids,
                sub_frames=[TIT2(encoding=3, text="Chapters")],
            )
        )
        for element, mark in zip(ids, marks, strict=True):
            frames.append(
                CHAP(
                    element_id=element,
                    start_time=int(round(mark.start * 1000)),
                    end_time=int(round(mark.end * 1000)),
                    sub_frames=[TIT2(encoding=3, text=mark.title)],
                )
            )
    return frames


class ChapterOrderedID3(ID3):
    """ID3 tags whose CHAP frames are written in chapter order.

    mutagen writes frames sorted by their size, so CHAP frames land in the order of their title lengths.
    The CTOC frame still says the right order, but readers that list CHAP frames as they stand in the file
    (ffmpeg and so mpv and many Android players) show the chapters shuffled. Here the CHAP frames are left
    out of mutagen's sort and appended by start time (ID3v2.4 sets no order among frames).
    """

    def _write(self, config):
        chapters = sorted((f for f in self.values() if isinstance(f, CHAP)), key=lambda f: f.start_time)
        for frame in chapters:
            del self[frame.HashKey]
        try:
            data = super()._write(config)
        finally:
            for frame in chapters:
                self.add(frame)
        return data + b"".join(save_frame(frame, config=config) for frame in chapters)


def fill_id3(id3: ID3, frames: list) -> None:
    id3.clear()
    for frame in frames:
        id3.add(frame)


def read_id3(id3: ID3 | None) -> dict:
    id3 = id3 or {}

    def text(key):
        frame = id3.get(key)
        return str(frame.text[0]) if frame is not None and frame.text else None

    chapters = []
    toc = next((f for f in id3.values() if isinstance(f, CTOC) and f.flags & CTOCFlags.TOP_LEVEL), None)
    chaps = {f.element_id: f for f in id3.values() if isinstance(f, CHAP)}
    order = list(toc.child_element_ids) if toc else sorted(chaps, key=lambda e: chaps[e].start_time)
    for element in order:
        chap = chaps.get(element)
        if chap is not None:
            title = chap.sub_frames.get("TIT2")
            chapters.append((str(title.text[0]) if title else element, chap.start_time / 1000.0))
    apic = next((f for f in id3.values() if isinstance(f, APIC)), None)
    return {
        "tags": {
            "title": text("TIT2"),
            "album": text("TALB"),
            "artist": text("TPE1"),
            "album_artist": text("TPE2"),
            "narrator": text("TCOM"),
            "genre": text("TCON"),
            "year": text("TDRC"),
            "series": text("MVNM"),
            "series_part": text("MVIN"),
            "subtitle": text("TIT3"),
            "isbn": text("TXXX:ISBN"),
            "language": text("TLAN"),
            "publisher": text("TPUB"),
            "description": text("COMM::eng"),
            "media_kind": text("TXXX:media kind"),
            "track": text("TRCK"),
        },
        "chapters": chapters,
        "cover": bytes(apic.data) if apic is not None else None,
    }
