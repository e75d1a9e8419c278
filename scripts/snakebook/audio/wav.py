"""Streaming 16-bit mono WAV writing and WAV facts."""

from __future__ import annotations

import os
import wave
from pathlib import Path


class WavWriter:
    """Write a WAV piece by piece to ``path + '.part'``; rename into place on :meth:`commit`."""

    def __init__(self, path: str | Path, sample_rate: int):
        self.path = Path(path)
        self.sample_rate = sample_rate
        self.part = self.path.with_name(self.path.name + ".part")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = wave.open(str(self.part), "wb")
        self._handle.setnchannels(1)
        self._handle.setsampwidth(2)
        self._handle.setframerate(sample_rate)
        self.frames = 0

    def write_pcm(self, pcm: bytes) -> None:
        self._handle.writeframes(pcm)
        self.frames += len(pcm) // 2

    def write_silence(self, milliseconds: int) -> None:
        frames = int(round(self.sample_rate * milliseconds / 1000.0))
        if frames > 0:
            self.write_pcm(b"\x00\x00" * frames)

    def commit(self) -> None:
        self._handle.close()
        os.replace(self.part, self.path)

    def abort(self) -> None:
        try:
            self._handle.close()
        finally:
            self.part.unlink(missing_ok=True)


def wav_duration(path: str | Path) -> float:
    with wave.open(str(path), "rb") as handle:
        return handle.getnframes() / float(handle.getframerate())


def write_wav(path: str | Path, audio, sample_rate: int) -> Path:
    """Write float samples in [-1, 1] as a 16-bit mono WAV (atomically)."""
    import numpy as np

    writer = WavWriter(path, sample_rate)
    writer.write_pcm((np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2").tobytes())
    writer.commit()
    return Path(path)
