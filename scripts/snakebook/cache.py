"""Sentence-level audio cache shared by every synthesis job.

Key: a hash of everything that changes the sound (the engine's identity: engine,
model fingerprint, voice, speaker, parameters) and the exact text spoken.
Value: that utterance's audio as a 16-bit mono WAV. Writes go to a unique
temporary file in the same folder and are renamed into place, so a killed job
never leaves a truncated entry and concurrent writers of one key are harmless
(the last rename wins; both wrote the same audio).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import wave
from pathlib import Path

import numpy as np


def utterance_key(identity: dict, text: str) -> str:
    payload = json.dumps({"identity": identity, "text": text}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def float_to_int16(audio: np.ndarray) -> np.ndarray:
    return (np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2")


class AudioCache:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.wav"

    def has(self, key: str) -> bool:
        return self.path(key).is_file()

    def put(self, key: str, audio: np.ndarray, sample_rate: int) -> Path:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{key[:12]}.", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as raw, wave.open(raw, "wb") as out:
                out.setnchannels(1)
                out.setsampwidth(2)
                out.setframerate(sample_rate)
                out.writeframes(float_to_int16(audio).tobytes())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target

    def get_pcm(self, key: str, sample_rate: int) -> bytes | None:
        """The entry's 16-bit PCM bytes, or None if absent, unreadable or at another rate."""
        path = self.path(key)
        try:
            with wave.open(str(path), "rb") as handle:
                if handle.getframerate() != sample_rate or handle.getsampwidth() != 2 or handle.getnchannels() != 1:
                    return None
                return handle.readframes(handle.getnframes())
        except (FileNotFoundError, wave.Error, EOFError):
            return None
