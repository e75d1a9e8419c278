"""The interface every output format implements, and the stream-copy join they share."""

from __future__ import annotations

import tempfile
from pathlib import Path

from ..booktags import BookTags
from ..chapters import ChapterMark, ffmetadata
from ..ffmpeg import run_ffmpeg


def _concat_line(path: str | Path) -> str:
    return "file '" + str(Path(path).resolve()).replace("'", "'\\''") + "'"


class OutputFormat:
    """One finished-audiobook format.

    ``suffix`` is the book file's (``.m4b``), ``chapter_suffix`` the encoded chapter's (``.m4a``): the
    chapters are encoded once, in parallel with synthesis, and joined by stream copy.
    """

    name = ""
    suffix = ""
    chapter_suffix = ""
    muxer = ""  # ffmpeg -f for chapters and the book
    codec = ""
    defaults: dict = {"bitrate": None, "sample_rate": None, "channels": 1}
    chapters_in_file = True  # the book file carries chapter markers players read
    peak_headroom_db = 0.0  # how far the codec's decoded peaks may pass its input's (the limiter sits lower)

    def options(self, settings: dict | None) -> dict:
        """This format's settings (config ``output.<format>``) over its defaults; unset values keep defaults."""
        merged = dict(self.defaults)
        merged.update({key: value for key, value in (settings or {}).items() if value is not None})
        return merged

    def codec_args(self, options: dict) -> list[str]:
        args = ["-c:a", self.codec]
        if options.get("bitrate"):
            args += ["-b:a", str(options["bitrate"])]
        if options.get("sample_rate"):
            args += ["-ar", str(options["sample_rate"])]
        if options.get("channels"):
            args += ["-ac", str(options["channels"])]
        return args

    def join(
        self,
        chapter_files: list[str | Path],
        out: str | Path,
        marks: list[ChapterMark],
        book: str | None = None,
        language: str | None = None,
        tag_room: int = 0,
    ) -> None:
        """Concatenate encoded chapters into ``out`` without re-encoding (ffmpeg's concat demuxer).

        ``tag_room``: about how many bytes the tags and cover written next take (formats that can keep room
        for them, m4b, do, so that writing them moves no audio).
        """
        with tempfile.TemporaryDirectory(prefix="join-", dir=Path(out).parent) as work:
            listing = Path(work) / "chapters.txt"
            listing.write_text("\n".join(_concat_line(p) for p in chapter_files) + "\n", encoding="utf-8")
            metadata = Path(work) / "metadata.txt"
            metadata.write_text(ffmetadata(marks), encoding="utf-8")
            run_ffmpeg(
                [
                    "-f",
                    "concat",
                    "-safe",
                    "0",
                    "-i",
                    str(listing),
                    "-f",
                    "ffmetadata",
                    "-i",
                    str(metadata),
                    "-map",
                    "0:a",
                    "-map_metadata",
                    "1",
                    "-map_chapters",
                    "1" if self.chapters_in_file else "-1",
                    *self.join_codec_args(),
                    *self.join_args(),
                    *(["-metadata:s:a:0", f"language={language}"] if language else []),
                    "-f",
                    self.muxer,
                    str(out),
                ],
                book,
                f"joining the {self.name} chapters",
            )

    def join_args(self) -> list[str]:
        return []

    def join_codec_args(self) -> list[str]:
        """How the join writes the audio: a stream copy (formats whose frames do not number themselves)."""
        return ["-c", "copy"]

    def write_tags(
        self,
        path: str | Path,
        tags: BookTags,
        marks: list[ChapterMark],
        cover: bytes | None,
        track: tuple[int, int] | None = None,
    ) -> None:
        raise NotImplementedError

    def read_back(self, path: str | Path) -> dict:
        """What a player sees: ``{"tags": {name: value}, "chapters": [(title, start)], "cover": bytes | None}``."""
        raise NotImplementedError
