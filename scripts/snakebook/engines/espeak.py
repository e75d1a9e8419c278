"""espeak-ng through the system binary: every language and voice espeak-ng has (over 100), on the CPU.

The voice is ``voice:`` when given (any name ``espeak-ng -v`` takes, variants included: ``en-us+f3``),
otherwise the book's language (``fr-FR`` -> ``fr-fr``, else ``fr``). Text goes in on stdin as UTF-8 and the
WAV comes back on stdout; the sample rate is read from that WAV (22050 Hz for espeak-ng's own voices,
16000 Hz for MBROLA voices).

engine_params: ``speed`` (a factor: 1.0 = espeak-ng's 175 words per minute), ``wpm`` (words per minute,
wins over speed), ``pitch`` (0-99, default 50), ``volume`` (a factor, 1.0 = amplitude 100), ``gap`` (extra
pause between words, in units of 10 ms at the default speed).
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from functools import lru_cache

import numpy as np

from ..language import FALLBACK, normalise_tag
from .base import Engine, primary_language

DEFAULT_WPM = 175
INSTALL_HINT = "install it with `sudo apt-get install espeak-ng` (or `make system-deps` as root)"


def espeak_binary() -> str | None:
    return shutil.which("espeak-ng") or shutil.which("espeak")


@lru_cache(maxsize=4)
def _run_voices(binary: str) -> tuple[tuple[str, str, str, tuple[tuple[str, int], ...]], ...]:
    """(language, voice name, voice file, ((other language, priority), ...)) for every voice espeak-ng lists."""
    out = subprocess.run([binary, "--voices"], capture_output=True, text=True, timeout=60, check=True).stdout
    voices = []
    for line in out.splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 5:
            others = tuple((lang.lower(), int(prio)) for lang, prio in re.findall(r"\((\S+) (\d+)\)", line))
            voices.append((fields[1].lower(), fields[3], fields[4], others))
    return tuple(voices)


def espeak_voices() -> tuple[tuple[str, str, str, tuple[tuple[str, int], ...]], ...]:
    binary = espeak_binary()
    if not binary:
        return ()
    try:
        return _run_voices(binary)
    except (OSError, subprocess.SubprocessError):
        return ()


def voice_for_language(language: str | None) -> str | None:
    """The espeak-ng voice for a language tag: the exact tag if espeak-ng has a voice for it, else the voice
    espeak-ng itself prefers for it (``en`` -> ``en-gb``), else the same for its primary language."""
    voices = espeak_voices()
    tag = (normalise_tag(language) or FALLBACK).lower()  # espeak-ng names voices in lower case
    for candidate in (tag, primary_language(tag)):
        if any(lang == candidate for lang, _, _, _ in voices):
            return candidate
        serving = [(prio, lang) for lang, _, _, others in voices for other, prio in others if other == candidate]
        if serving:
            return min(serving)[1]
    return None


def read_wav_bytes(data: bytes) -> tuple[np.ndarray, int]:
    """Mono float32 samples and the sample rate from a 16-bit PCM WAV, also one written to a pipe.

    espeak-ng's ``--stdout`` cannot seek back to fill in the sizes, so its RIFF and data sizes are
    placeholders; the data chunk is taken to run to the end of the stream.
    """
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a WAV stream")
    pos, rate, channels, bits = 12, None, 1, 16
    while pos + 8 <= len(data):
        chunk, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        body = pos + 8
        if chunk == b"fmt ":
            _fmt, channels, rate, _byte_rate, _align, bits = struct.unpack("<HHIIHH", data[body : body + 16])
        elif chunk == b"data":
            if rate is None:
                raise ValueError("WAV data before its format chunk")
            if bits != 16:
                raise ValueError(f"unsupported WAV sample width: {bits} bits")
            payload = (
                data[body:]
                if size in (0, 0xFFFFFFFF, 0x7FFFFFFF) or body + size > len(data)
                else data[body : body + size]
            )
            payload = payload[: len(payload) // (2 * channels) * 2 * channels]
            samples = np.frombuffer(payload, dtype="<i2").astype(np.float32) / 32768.0
            if channels > 1:
                samples = samples.reshape(-1, channels).mean(axis=1)
            return samples, int(rate)
        pos = body + size + (size & 1)
    raise ValueError("WAV stream without a data chunk")


class EspeakEngine(Engine):
    name = "espeak"
    PARAMS = {"speed": float, "wpm": int, "pitch": int, "volume": float, "gap": int}

    def __init__(self, settings, book=None):
        super().__init__(settings, book)
        self._rate: int | None = None
        self._language: str | None = settings.language

    @classmethod
    def uses_gpu(cls, settings) -> bool:
        return False  # espeak-ng runs on the CPU whatever `device` says

    @classmethod
    def language_support(cls, language: str | None) -> str | None:
        voice = voice_for_language(language)
        return f"voice '{voice}'" if voice else None

    # --- planning time ------------------------------------------------------
    def _binary(self) -> str:
        binary = espeak_binary()
        if not binary:
            raise self.error(f"engine: espeak needs the espeak-ng program, which is not installed; {INSTALL_HINT}.")
        return binary

    def voice(self, language: str | None = None) -> str:
        if self.settings.voice:
            return self.settings.voice
        voice = voice_for_language(language or self._language)
        if voice is None:
            raise self.unsupported_language(
                language or self._language, "espeak-ng has no voice for it (`espeak-ng --voices` lists them)"
            )
        return voice

    def check(self, language: str | None) -> None:
        self._binary()
        self.params()
        self._language = language or self._language
        if self.settings.voice:
            # Whatever -v accepts (names, files, +variants): let espeak-ng itself say whether it knows it.
            self._probe()
        else:
            self.voice(language)

    def _command(self) -> list[str]:
        params = self.params()
        wpm = params.get("wpm") or round(DEFAULT_WPM * params.get("speed", 1.0))
        command = [self._binary(), "--stdout", "-b", "1", "-v", self.voice(), "-s", str(max(80, min(wpm, 900)))]
        if "pitch" in params:
            command += ["-p", str(params["pitch"])]
        if "volume" in params:
            command += ["-a", str(round(100 * params["volume"]))]
        if "gap" in params:
            command += ["-g", str(params["gap"])]
        return command

    def _speak(self, text: str) -> tuple[np.ndarray, int]:
        command = self._command()
        result = subprocess.run(command, input=text.encode("utf-8"), capture_output=True, timeout=600)
        stderr = result.stderr.decode("utf-8", "replace").strip()
        if result.returncode != 0 or not result.stdout:
            raise self.error(
                f"espeak-ng could not speak with voice '{self.voice()}' ({stderr or 'no output'}); "
                "`espeak-ng --voices` lists the voices it has."
            )
        if "Failed to read voice" in stderr or "Error" in stderr:
            raise self.error(f"espeak-ng: {stderr} (voice '{self.voice()}'; `espeak-ng --voices` lists the voices).")
        return read_wav_bytes(result.stdout)

    def _probe(self) -> int:
        if self._rate is None:
            _, self._rate = self._speak("a")
        return self._rate

    @property
    def sample_rate(self) -> int:
        return self._probe()

    def max_chars(self, language: str | None) -> int:
        return 1000  # espeak-ng has no input limit worth the name; keep utterances sentence-sized anyway

    def identity(self) -> dict:
        return {"engine": self.name, "binary": espeak_version(self._binary()), "command": self._command()[1:]}

    # --- run time -------------------------------------------------------------
    def load(self, threads: int = 1, device: str | None = None) -> None:
        self._probe()  # nothing to load: one process per utterance; this checks that the voice works

    def synthesize(self, text: str) -> np.ndarray:
        samples, rate = self._speak(text)
        self._rate = rate
        return samples


@lru_cache(maxsize=4)
def espeak_version(binary: str) -> str:
    try:
        return subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return binary
