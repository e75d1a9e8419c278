"""Loudness: measure a chapter (EBU R128 / ITU-R BS.1770 with ffmpeg's ebur128) and one linear gain per chapter.

Each chapter is measured once and brought to the target by a single gain in its encode: no per-sentence
normalising, no compression. A limiter is added only where the gain would push the peaks over the
ceiling. The measurement reads sample peaks (cheap: ~1 CPU-second per hour of 22 kHz audio, ~15 % of the
AAC encode; true-peak oversampling would cost ~60 %); the limiter therefore holds the samples
``TRUE_PEAK_MARGIN`` dB under the true-peak ceiling, which covers the inter-sample overshoot of speech.
"""

from __future__ import annotations

import math
import re
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import SnakebookError
from .ffmpeg import ffmpeg_binary

DEFAULT_TARGET = -19.0  # LUFS integrated
DEFAULT_CEILING = -1.5  # dBTP
TRUE_PEAK_MARGIN = 1.0  # dB between the limiter's sample ceiling and the true-peak ceiling
SILENT = -70.0  # below the absolute gate: nothing to measure


@dataclass
class Loudness:
    integrated: float  # LUFS
    peak: float  # dBFS (sample peak)
    lra: float  # LU

    def to_json(self) -> dict:
        return asdict(self)


def _number(text: str, label: str) -> float:
    match = re.search(rf"{label}:\s*(-?inf|-?[0-9.]+)", text)
    if not match:
        raise ValueError(label)
    value = match.group(1)
    return -math.inf if value.endswith("inf") else float(value)


def measure(
    path: str | Path,
    book: str | None = None,
    *,
    start: float | None = None,
    duration: float | None = None,
    true_peak: bool = False,
    filters: list[str] | None = None,
) -> Loudness:
    """Integrated loudness, loudness range and peak (sample peak, or true peak) of an audio file or a part of it.

    ``filters`` are applied before measuring (to measure what a gain plan makes of the audio).
    """
    span = [
        *(["-ss", f"{start:.3f}"] if start is not None else []),
        *(["-t", f"{duration:.3f}"] if duration is not None else []),
    ]
    scan = f"ebur128=peak={'true' if true_peak else 'sample'}:framelog=verbose"
    command = [
        ffmpeg_binary(),
        "-hide_banner",
        "-nostdin",
        "-nostats",
        *span,
        "-i",
        str(path),
        "-vn",
        "-af",
        ",".join([*(filters or []), scan]),
        "-f",
        "null",
        "-",
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    summary = result.stderr[result.stderr.rfind("Summary:") :]
    if result.returncode != 0 or "Summary:" not in result.stderr:
        detail = " ".join(result.stderr.strip().splitlines()[-3:])
        raise SnakebookError(
            f"measuring the loudness of {path} failed (ffmpeg exit {result.returncode}): {detail}", book
        )
    try:
        return Loudness(integrated=_number(summary, r"\bI"), peak=_number(summary, "Peak"), lra=_number(summary, "LRA"))
    except ValueError:
        raise SnakebookError(f"cannot read ffmpeg's loudness summary for {path}: {summary[:300]!r}", book) from None


@dataclass
class GainPlan:
    gain_db: float
    limit_db: float | None  # sample ceiling of the limiter; None: no limiter needed

    def filters(self) -> list[str]:
        """The ffmpeg audio filters that apply this plan (empty when there is nothing to do)."""
        out = []
        if abs(self.gain_db) >= 0.05:
            out.append(f"volume={self.gain_db:.2f}dB")
        if self.limit_db is not None:
            limit = 10 ** (self.limit_db / 20)
            # level=0: no "auto level" make-up gain; a short attack keeps speech transients natural.
            out.append(f"alimiter=limit={limit:.4f}:attack=5:release=50:level=0")
        return out

    def to_json(self) -> dict:
        return asdict(self)


def plan_gain(measured: Loudness, target: float = DEFAULT_TARGET, ceiling: float = DEFAULT_CEILING) -> GainPlan:
    """One linear gain to ``target``; a limiter only if the gained sample peak would pass the ceiling margin."""
    if not math.isfinite(measured.integrated) or measured.integrated <= SILENT:
        return GainPlan(0.0, None)  # silence (or nearly): leave it alone
    gain = target - measured.integrated
    sample_ceiling = ceiling - TRUE_PEAK_MARGIN
    limit = sample_ceiling if measured.peak + gain > sample_ceiling else None
    return GainPlan(round(gain, 2), limit)


def plan_chapter_gain(
    path: str | Path,
    measured: Loudness,
    target: float = DEFAULT_TARGET,
    ceiling: float = DEFAULT_CEILING,
    book: str | None = None,
) -> GainPlan:
    """:func:`plan_gain`, then, where the limiter works, one check of the result and a correction of the gain.

    A limiter takes some loudness with the peaks it holds (0.3-0.6 LU on Piper speech); measuring the
    gained and limited chapter once (a cheap pass) and adding back the shortfall keeps the chapter on
    target. Without a limiter the gain is exact and nothing is measured again.
    """
    plan = plan_gain(measured, target, ceiling)
    if plan.limit_db is None:
        return plan
    after = measure(path, book, filters=plan.filters())
    if math.isfinite(after.integrated):
        plan.gain_db = round(plan.gain_db + min(max(target - after.integrated, 0.0), 3.0), 2)
    return plan


def loudness_settings(value) -> tuple[float, float] | None:
    """Config ``output.loudness`` (null, or {target, true_peak}) -> (target LUFS, ceiling dBTP) or None."""
    if value is None or value is False:
        return None
    value = value if isinstance(value, dict) else {}
    return float(value.get("target", DEFAULT_TARGET)), float(value.get("true_peak", DEFAULT_CEILING))
