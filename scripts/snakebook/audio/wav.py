"""Streaming 16-bit mono WAV writing and WAV facts."""

from __future__ import annotations

import wave
from contextlib import ExitStack
from pathlib import Path

from ..fileio import atomic_path


class WavWriter:
    """Write a WAV piece by piece to a temporary file beside ``path`` (:func:`snakebook.fileio.atomic_path`);
    it becomes ``path`` on :meth:`commit` and is removed on :meth:`abort`.

    ``durable`` (the default) fsyncs on commit: a chapter WAV that Snakemake sees as finished is whole
    even after a power loss.
    """

    def __init__(self, path: str | Path, sample_rate: int, *, durable: bool = True):
        self.path = Path(path)
        self.sample_rate = sample_rate
        self._stack = ExitStack()
        self.part = self._stack.enter_context(atomic_path(self.path, durable=durable))
        try:
            self._handle = wave.open(str(self.part), "wb")
        except BaseException as error:
            self._discard(error)
            raise
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
        try:
            self._handle.close()
        except BaseException as error:
            self._discard(error)
            raise
        self._stack.close()  # renames the temporary file to ``path``

    def abort(self) -> None:
        try:
            self._handle.close()
        finally:
            self._discard(RuntimeError("WAV writing aborted"))

    def _discard(self, error: BaseException) -> None:
        """Leave the block of :func:`atomic_path` as failed: the temporary file is removed, nothing renamed."""
        self._stack.__exit__(type(error), error, error.__traceback__)


def wav_duration(path: str | Path) -> float:
    with wave.open(str(path), "rb") as handle:
        return handle.getnframes() / float(handle.getframerate())
