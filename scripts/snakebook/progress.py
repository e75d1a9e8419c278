"""Progress lines a user can ``tail -f``: a job's log says every few seconds how far it is.

- :class:`SynthesisProgress` is fed by the synthesis loop after each utterance and logs, at most
  every ``interval`` seconds, one line: sentences done/total, audio seconds made, real-time factor
  (seconds of synthesis per second of audio made by the engine) and the chapter's ETA::

      progress alice 002: 120/415 sentences (29%), 312.4 s audio, RTF 0.21, ETA 1:05

- :func:`heartbeat` wraps a step with no natural unit of progress (extracting a book, encoding a
  chapter, assembling the m4b): a background thread logs ``still <doing>, 0:15 elapsed`` every
  ``interval`` seconds until the step ends.

The interval is 5 seconds; the environment variable ``SNAKEBOOK_PROGRESS_SECONDS`` changes it
(``0`` logs after every sentence). The first and the last line are always written.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

DEFAULT_INTERVAL = 5.0
INTERVAL_VARIABLE = "SNAKEBOOK_PROGRESS_SECONDS"

log = logging.getLogger("snakebook")


def progress_interval(default: float = DEFAULT_INTERVAL) -> float:
    """Seconds between progress lines: ``SNAKEBOOK_PROGRESS_SECONDS`` when set to a number >= 0."""
    value = os.environ.get(INTERVAL_VARIABLE, "").strip()
    try:
        seconds = float(value)
    except ValueError:
        return default
    return seconds if seconds >= 0 else default


def format_duration(seconds: float | None) -> str:
    """``75`` -> ``1:15``, ``3725`` -> ``1:02:05``; unknown -> ``?``."""
    if seconds is None or seconds != seconds or seconds < 0:
        return "?"
    whole = int(round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class SynthesisProgress:
    """Progress of one chapter's synthesis, logged at most every ``interval`` seconds.

    ``total`` is the number of utterances, ``to_synthesise`` how many of them are not in the
    cache (the ETA counts only those: cached sentences cost almost nothing). ``clock`` is
    injectable for tests.
    """

    def __init__(
        self,
        label: str,
        total: int,
        to_synthesise: int,
        *,
        interval: float | None = None,
        logger: logging.Logger | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.label = label
        self.total = total
        self.to_synthesise = to_synthesise
        self.interval = progress_interval() if interval is None else interval
        self.log = logger or log
        self.clock = clock
        self.started = clock()
        self.last_line: float | None = None
        self.done = 0
        self.synthesised = 0
        self.audio_seconds = 0.0
        self.engine_audio_seconds = 0.0  # audio the engine made in this job (not from the cache)
        self.engine_seconds = 0.0  # time spent in the engine
        self.lines: list[str] = []

    def utterance_done(self, audio_seconds: float, *, synthesised: bool, engine_seconds: float = 0.0) -> None:
        """Count one finished utterance (spoken by the engine, or read from the cache)."""
        self.done += 1
        self.audio_seconds += audio_seconds
        if synthesised:
            self.synthesised += 1
            self.engine_audio_seconds += audio_seconds
            self.engine_seconds += engine_seconds
        now = self.clock()
        if self.last_line is None or now - self.last_line >= self.interval or self.done == self.total:
            self.emit(now)

    @property
    def real_time_factor(self) -> float | None:
        """Seconds of synthesis per second of audio made by the engine (below 1: faster than real time)."""
        if self.engine_audio_seconds <= 0:
            return None
        return self.engine_seconds / self.engine_audio_seconds

    def eta_seconds(self) -> float | None:
        """Seconds left for the chapter, from the engine's speed so far; 0 when nothing is left to make."""
        left = max(self.to_synthesise - self.synthesised, 0)
        if self.done >= self.total or left == 0:
            return 0.0
        if self.synthesised == 0:
            return None
        return left * self.engine_seconds / self.synthesised

    def line(self) -> str:
        percent = 100 * self.done // self.total if self.total else 100
        rtf = self.real_time_factor
        text = (
            f"progress {self.label}: {self.done}/{self.total} sentences ({percent}%), "
            f"{self.audio_seconds:.1f} s audio, RTF {'-' if rtf is None else f'{rtf:.2f}'}, "
            f"ETA {format_duration(self.eta_seconds())}"
        )
        if self.to_synthesise < self.total:
            text += f" ({self.done - self.synthesised} from cache)"
        return text

    def record(self) -> dict:
        """The engine's speed for the chapter's record (``speech/NNN.keys.json``)."""
        return {
            "engine_seconds": round(self.engine_seconds, 3),
            "engine_audio_seconds": round(self.engine_audio_seconds, 3),
        }

    def emit(self, now: float | None = None) -> None:
        now = self.clock() if now is None else now
        self.last_line = now
        text = self.line()
        self.lines.append(text)
        self.log.info("%s", text)


@contextmanager
def heartbeat(
    doing: str,
    *,
    interval: float | None = None,
    logger: logging.Logger | None = None,
    status: Callable[[], str] | None = None,
) -> Iterator[None]:
    """Log ``still <doing>, M:SS elapsed`` every ``interval`` seconds while the block runs.

    ``status`` (optional) adds a few words on how far the step is. A block shorter than the
    interval logs nothing.
    """
    interval = progress_interval() if interval is None else interval
    logger = logger or log
    started = time.monotonic()
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(max(interval, 1.0)):
            extra = ""
            if status is not None:
                try:
                    extra = f", {status()}"
                except Exception:  # a status probe must never break the step it watches
                    extra = ""
            logger.info("still %s, %s elapsed%s", doing, format_duration(time.monotonic() - started), extra)

    thread = threading.Thread(target=beat, name=f"heartbeat: {doing}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
