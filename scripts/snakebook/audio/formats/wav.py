"""wav: 16-bit PCM, tags (and CHAP frames) in an ID3 chunk, which mutagen, ffprobe and many players read."""

from __future__ import annotations

from mutagen.wave import WAVE

from .base import OutputFormat
from .id3 import fill_id3, id3_frames, read_id3


class WavFormat(OutputFormat):
    name = "wav"
    suffix = ".wav"
    chapter_suffix = ".wav"
    muxer = "wav"
    codec = "pcm_s16le"
    defaults = {"bitrate": None, "sample_rate": None, "channels": 1}
    chapters_in_file = False  # the RIFF/WAVE container has no chapter list ffmpeg writes; ID3 CHAP frames instead

    def join_args(self) -> list[str]:
        return ["-rf64", "auto"]  # past 4 GiB (about 27 h of 22 kHz mono) a plain RIFF header overflows

    def write_tags(self, path, tags, marks, cover, track=None) -> None:
        audio = WAVE(str(path))
        if audio.tags is None:
            audio.add_tags()
        fill_id3(audio.tags, id3_frames(tags, marks, cover, track))
        audio.save()

    def read_back(self, path) -> dict:
        audio = WAVE(str(path))
        out = read_id3(audio.tags)
        out["duration"] = audio.info.length
        return out
