"""Does each sentence's audio fit its text? Per-utterance measures, flags, and the retry policy.

For every utterance the synthesis measures its audio (:func:`measure`): length, speaking rate (letters and
digits of the spoken text per second of voiced audio), leading, trailing and longest internal silence, peak
and clipping. :func:`flags` compares the measures with hard limits (audio far too long or too short for the
text, a long silence inside it, near-silent output, clipping) and with the book's own distribution (speaking
rate far from the median of the book). Limits are the ``qa:`` settings (:class:`QaSettings`).

Engines whose output varies from run to run (sampling models such as Coqui XTTS and VITS; they have a
``reseed`` method) retry a flagged utterance with another seed up to ``qa.retries`` times and keep the best
take (:func:`best_take`); deterministic engines (Piper, espeak-ng) only flag. ``results/{book}/qa/NNN.tsv``
holds every utterance's measures, ``results/{book}/qa.tsv`` every flagged one with its time in the book.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

from .settings import QaSettings

FRAME_S = 0.01  # silence is judged on 10 ms frames
SILENCE_DB = -40.0  # a frame this far below the utterance's loudest frame is silence ...
FLOOR_DBFS = -60.0  # ... or below this absolute level
FULL_SCALE = 32767 / 32768
ERROR, WARNING = "error", "warning"


@dataclass
class Measures:
    duration: float  # seconds
    letters: int  # letters and digits of the spoken text
    voiced: float  # seconds of non-silent audio
    rate: float  # letters per second of voiced audio (0 when nothing is voiced)
    lead: float  # seconds of silence before the voice
    trail: float  # seconds of silence after the voice
    pause: float  # longest silence inside the utterance, seconds
    peak_dbfs: float
    clipped: float  # fraction of samples at full scale
    flatness: float = 0.0  # median spectral flatness of the voiced audio: speech ~0.01-0.1, noise ~0.5


@dataclass
class Flag:
    measure: str  # rate, pause, silence, peak, clipping ...
    severity: str  # error (hard limit) or warning (outlier against the book)
    detail: str


def qa_settings(config: dict | None) -> QaSettings:
    """The typed ``qa:`` section (snakebook.settings) from its config mapping."""
    from .settings import section

    return section("qa", {"qa": config or {}})


def spoken_letters(text: str) -> int:
    """Letters and digits of what the engine was given (inline ``[[ phonemes ]]`` count as their letters)."""
    return sum(1 for c in re.sub(r"\[\[|\]\]", "", text) if c.isalnum())


def _as_float(audio) -> np.ndarray:
    if isinstance(audio, (bytes, bytearray, memoryview)):
        return np.frombuffer(audio, dtype="<i2").astype(np.float32) / 32768.0
    audio = np.asarray(audio)
    if audio.dtype == np.int16:
        return audio.astype(np.float32) / 32768.0
    return audio.astype(np.float32).reshape(-1)


def measure(audio, sample_rate: int, text: str) -> Measures:
    """Measures of one utterance's audio (float samples in [-1, 1], int16 samples, or 16-bit PCM bytes)."""
    samples = _as_float(audio)
    letters = spoken_letters(text)
    duration = samples.size / sample_rate if sample_rate else 0.0
    if samples.size == 0:
        return Measures(0.0, letters, 0.0, 0.0, 0.0, 0.0, 0.0, -120.0, 0.0)
    frame = max(1, int(sample_rate * FRAME_S))
    count = samples.size // frame or 1
    framed = np.resize(samples, count * frame).reshape(count, frame) if samples.size >= frame else samples[None, :]
    rms = np.sqrt(np.mean(np.square(framed, dtype=np.float64), axis=1))
    loud = float(rms.max())
    threshold = max(loud * 10 ** (SILENCE_DB / 20), 10 ** (FLOOR_DBFS / 20))
    voiced_frames = rms >= threshold
    peak = float(np.abs(samples).max())
    peak_dbfs = 20 * math.log10(peak) if peak > 0 else -120.0
    clipped = float(np.mean(np.abs(samples) >= FULL_SCALE))
    if not voiced_frames.any():
        return Measures(duration, letters, 0.0, 0.0, duration, 0.0, 0.0, peak_dbfs, clipped)
    where = np.flatnonzero(voiced_frames)
    first, last = int(where[0]), int(where[-1])
    lead = first * frame / sample_rate
    trail = max(0.0, duration - (last + 1) * frame / sample_rate)
    longest = run = 0
    for value in voiced_frames[first : last + 1]:
        run = 0 if value else run + 1
        longest = max(longest, run)
    voiced = float(voiced_frames.sum()) * frame / sample_rate
    rate = letters / voiced if voiced > 0 else 0.0
    flatness = _flatness(samples[first * frame : (last + 1) * frame])
    return Measures(
        round(duration, 3),
        letters,
        round(voiced, 3),
        round(rate, 2),
        round(lead, 3),
        round(trail, 3),
        round(longest * frame / sample_rate, 3),
        round(peak_dbfs, 2),
        round(clipped, 6),
        round(flatness, 4),
    )


def _flatness(samples: np.ndarray, size: int = 512) -> float:
    """Median spectral flatness (geometric over arithmetic mean of the power spectrum) of 512-sample frames."""
    count = samples.size // size
    if count == 0:
        return 0.0
    frames = samples[: count * size].reshape(count, size) * np.hanning(size).astype(np.float32)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2 + 1e-12
    energy = power.mean(axis=1)
    loud = energy >= energy.max() * 1e-3  # the frames that carry the voice
    flat = np.exp(np.mean(np.log(power[loud]), axis=1)) / energy[loud]
    return float(np.median(flat))


def flags(m: Measures, settings: QaSettings, median_rate: float | None = None) -> list[Flag]:
    """What is wrong with one utterance: hard limits, and (given the book's median rate) outliers."""
    out: list[Flag] = []
    if m.letters and m.peak_dbfs < settings.min_peak_dbfs:
        out.append(Flag("peak", ERROR, f"near-silent: peak {m.peak_dbfs:.1f} dBFS < {settings.min_peak_dbfs:g}"))
        return out  # the other measures of silence mean nothing
    if m.flatness > settings.max_flatness:
        out.append(
            Flag(
                "noise",
                ERROR,
                f"spectral flatness {m.flatness:.2f} > {settings.max_flatness:g}: noise or babble, not speech",
            )
        )
    if m.clipped > settings.max_clipped:
        out.append(Flag("clipping", ERROR, f"{m.clipped:.2%} of samples at full scale"))
    if m.pause > settings.max_pause:
        out.append(Flag("pause", ERROR, f"{m.pause:.2f} s of silence inside (limit {settings.max_pause:g} s)"))
    if max(m.lead, m.trail) > settings.max_edge_silence:
        out.append(
            Flag(
                "edge_silence",
                ERROR,
                f"{m.lead:.2f} s silence before, {m.trail:.2f} s after (limit {settings.max_edge_silence:g} s)",
            )
        )
    if m.letters >= settings.rate_min_letters:
        if m.rate < settings.min_rate:
            out.append(
                Flag(
                    "rate",
                    ERROR,
                    f"{m.rate:.1f} letters/s: audio far too long for the text (limit {settings.min_rate:g})",
                )
            )
        elif m.rate > settings.max_rate:
            out.append(
                Flag(
                    "rate",
                    ERROR,
                    f"{m.rate:.1f} letters/s: audio far too short for the text (limit {settings.max_rate:g})",
                )
            )
        elif median_rate and not (median_rate / settings.rate_ratio <= m.rate <= median_rate * settings.rate_ratio):
            out.append(
                Flag(
                    "rate",
                    WARNING,
                    f"{m.rate:.1f} letters/s against the book's median "
                    f"{median_rate:.1f} (ratio limit {settings.rate_ratio:g})",
                )
            )
    return out


def median_rate(measures: list[Measures], settings: QaSettings, minimum: int = 10) -> float | None:
    """The median speaking rate of the utterances long enough to have one (None with fewer than ``minimum``)."""
    rates = [m.rate for m in measures if m.letters >= settings.rate_min_letters and m.rate > 0]
    return float(np.median(rates)) if len(rates) >= minimum else None


def score(found: list[Flag]) -> int:
    """Lower is better: an error weighs ten warnings."""
    return sum(10 if f.severity == ERROR else 1 for f in found)


def best_take(takes: list[tuple[object, list[Flag]]]) -> int:
    """Index of the take to keep: the fewest/lightest flags, the first among equals."""
    return min(range(len(takes)), key=lambda k: (score(takes[k][1]), k))


def fails(found: list[Flag], settings: QaSettings) -> bool:
    if settings.fail_on == "warning":
        return bool(found)
    if settings.fail_on == "error":
        return any(f.severity == ERROR for f in found)
    return False


# ----------------------------------------------------------------------------------- per-chapter records


@dataclass
class UtteranceRecord:
    index: int  # 1-based, in the chapter
    offset: float  # seconds from the start of the chapter WAV
    takes: int  # 1 + retries made
    measures: Measures
    text: str
    flags: list[Flag] = field(default_factory=list)
    action: str = ""  # "", "flagged", "retried: take 2 of 3 kept", "vanished words"

    def row(self) -> dict:
        row = {"index": self.index, "offset": f"{self.offset:.3f}", "takes": self.takes}
        row.update(asdict(self.measures))
        row["flags"] = "; ".join(f"{f.severity} {f.measure}: {f.detail}" for f in self.flags)
        row["action"] = self.action
        row["text"] = re.sub(r"\s+", " ", self.text).strip()
        return row


CHAPTER_COLUMNS = ["index", "offset", "takes", *[f.name for f in fields(Measures)], "flags", "action", "text"]


def write_chapter_tsv(path, records: list[UtteranceRecord], vanished=()) -> None:
    """``qa/NNN.tsv``: every utterance's measures (and, as rows of their own, words that vanished)."""
    import io

    from .fileio import write_text

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, CHAPTER_COLUMNS, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writeheader()
    for record in records:
        writer.writerow(record.row())
    for item in vanished:
        writer.writerow(
            {
                "index": 0,
                "offset": "",
                "flags": f"warning words: '{item.word}' is not in what is spoken",
                "action": "vanished word",
                "text": item.sentence,
            }
        )
    write_text(path, buffer.getvalue())


def read_chapter_tsv(path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def _measures(row: dict) -> Measures:
    kinds = {f.name: f.type for f in fields(Measures)}
    return Measures(**{name: (int(row[name]) if kinds[name] in (int, "int") else float(row[name])) for name in kinds})


BOOK_COLUMNS = ["chapter", "time", "utterance", "measure", "severity", "detail", "action", "text"]


def _clock(seconds: float) -> str:
    seconds = max(0.0, seconds)
    return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{seconds % 60:06.3f}"


def book_report(chapters: list[tuple[str, str, float]], settings: QaSettings, out_tsv) -> list[dict]:
    """``qa.tsv``: every flagged utterance of the book, with its time in the final audio.

    ``chapters``: (chapter id, path of qa/NNN.tsv, chapter WAV duration in seconds) in book order. Outliers
    are judged against the whole book's median rate; hard limits as in the chapter jobs.
    """
    import io

    from .fileio import write_text

    loaded = [(chapter, read_chapter_tsv(path), length) for chapter, path, length in chapters]
    all_measures = [_measures(r) for _c, rows, _l in loaded for r in rows if int(r["index"] or 0) > 0]
    median = median_rate(all_measures, settings)
    flagged: list[dict] = []
    start = 0.0
    for chapter, rows, length in loaded:
        for row in rows:
            if int(row["index"] or 0) <= 0:  # a vanished-word row
                flagged.append(
                    {
                        "chapter": chapter,
                        "time": "",
                        "utterance": "",
                        "measure": "words",
                        "severity": WARNING,
                        "detail": row["flags"].removeprefix("warning words: "),
                        "action": row["action"],
                        "text": row["text"],
                    }
                )
                continue
            found = flags(_measures(row), settings, median)
            for flag in found:
                action = row["action"] or ("flagged" if flag.severity == ERROR else "warned")
                flagged.append(
                    {
                        "chapter": chapter,
                        "time": _clock(start + float(row["offset"])),
                        "utterance": row["index"],
                        "measure": flag.measure,
                        "severity": flag.severity,
                        "detail": flag.detail,
                        "action": action,
                        "text": row["text"],
                    }
                )
        start += length
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, BOOK_COLUMNS, delimiter="\t", lineterminator="\n")
    writer.writeheader()
    writer.writerows(flagged)
    write_text(out_tsv, buffer.getvalue())
    return flagged


def wav_seconds(path) -> float:
    import wave

    with wave.open(str(Path(path)), "rb") as handle:
        return handle.getnframes() / handle.getframerate()


# ------------------------------------------------------------------------------------- during synthesis


class ChapterQa:
    """What :func:`snakebook.synth.synthesize_chapter` calls: takes (with retries), measures, the chapter file."""

    def __init__(self, config: dict | None, sample_rate: int, book_name: str | None, chapter: str):
        import logging

        self.settings = qa_settings(config)
        self.rate = sample_rate
        self.book = book_name
        self.chapter = chapter
        self.records: list[UtteranceRecord] = []
        self.takes: dict[str, tuple[int, str]] = {}  # text -> (takes made, action) for utterances made in this job
        self.log = logging.getLogger("snakebook")

    def _median(self) -> float | None:
        return median_rate([r.measures for r in self.records], self.settings)

    def synthesize(self, engine, text: str):
        """Speak ``text``; when the take is flagged and the engine varies, try other seeds and keep the best."""
        audio = engine.synthesize(text)
        reseed = getattr(engine, "reseed", None)
        if not self.settings.enabled or reseed is None or self.settings.retries <= 0:
            return audio  # nothing to retry with: the take is measured once, by record()
        found = flags(measure(audio, self.rate, text), self.settings, self._median())
        if not found:
            return audio
        import zlib

        takes = [(audio, found)]
        for attempt in range(1, self.settings.retries + 1):
            reseed(zlib.crc32(text.encode("utf-8")) + attempt)
            take = engine.synthesize(text)
            takes.append((take, flags(measure(take, self.rate, text), self.settings, self._median())))
            self.log.info(
                "%s %s: retry %d of a flagged utterance (%s): %s",
                self.book,
                self.chapter,
                attempt,
                "; ".join(f.detail for f in takes[-2][1]),
                "now clean" if not takes[-1][1] else "; ".join(f.detail for f in takes[-1][1]),
            )
            if not takes[-1][1]:
                break
        kept = best_take(takes)
        action = f"retried: take {kept + 1} of {len(takes)} kept"
        self.takes[text] = (len(takes), action)
        self.log.info("%s %s: %s for: %s", self.book, self.chapter, action, text[:80])
        return takes[kept][0]

    def record(self, offset_seconds: float, pcm, text: str) -> None:
        """Measure an utterance as it goes into the chapter WAV (cached ones too)."""
        if not self.settings.enabled:
            return
        takes, action = self.takes.get(text, (1, ""))
        self.records.append(
            UtteranceRecord(
                len(self.records) + 1, offset_seconds, takes, measure(pcm, self.rate, text), text, action=action
            )
        )

    def finish(self, qa_tsv, chapter_text: str, speech: str, lexicon_words=()) -> None:
        """Flag, check the words, write ``qa/NNN.tsv``, log; fail the chapter when ``qa.fail_on`` says so."""
        from .coverage import check_speech
        from .errors import SnakebookError

        median = self._median()
        flagged = []
        for record in self.records:
            record.flags = flags(record.measures, self.settings, median)
            if record.flags and not record.action:
                record.action = "flagged"
            if record.flags:
                flagged.append(record)
        vanished = check_speech(chapter_text, speech, lexicon_words)
        if qa_tsv:
            write_chapter_tsv(qa_tsv, self.records, vanished)
        for record in flagged[:20]:
            self.log.warning(
                "%s %s: QA utterance %d at %.2f s (%s): %s",
                self.book,
                self.chapter,
                record.index,
                record.offset,
                "; ".join(f.detail for f in record.flags),
                record.text[:100],
            )
        for item in vanished[:20]:
            self.log.warning(
                "%s %s: the word '%s' is not in what is spoken: %s",
                self.book,
                self.chapter,
                item.word,
                item.sentence[:160],
            )
        failing = [r for r in flagged if fails(r.flags, self.settings)]
        if failing:
            first = failing[0]
            raise SnakebookError(
                f"chapter {self.chapter}: {len(failing)} utterance(s) fail the audio checks (qa.fail_on: "
                f"{self.settings.fail_on}); the first, at {first.offset:.2f} s, '{first.text[:80]}': "
                f"{'; '.join(f.detail for f in first.flags)}. See {qa_tsv or 'the log'}; tune the qa: limits "
                "or set qa.fail_on: never to only warn.",
                self.book,
            )


def lexicon_words(settings: dict, book_lexicon=None) -> list[str]:
    """The words a lexicon may respell (they may legitimately not reach the speech as printed)."""
    from .errors import SnakebookError
    from .text.lexicon import lexicon_entries

    out: list[str] = []
    for source in (book_lexicon, (settings.get("text") or {}).get("lexicon"), settings.get("lexicon")):
        try:
            out += [str(word) for word in lexicon_entries(source)]
        except (SnakebookError, OSError, ValueError):  # reported by text preparation, not here
            continue
    return out


def qa_report(tables, wavs, config: dict | None, out_tsv, book_name: str | None = None) -> list[dict]:
    """The qa_book rule: qa/NNN.tsv of every chapter and its WAV (for the offsets) -> ``qa.tsv``; logs a summary."""
    import logging

    chapters = [(Path(table).stem, str(table), wav_seconds(wav)) for table, wav in zip(tables, wavs, strict=True)]
    flagged = book_report(chapters, qa_settings(config), out_tsv)
    counts: dict[str, int] = {}
    for row in flagged:
        counts[f"{row['severity']} {row['measure']}"] = counts.get(f"{row['severity']} {row['measure']}", 0) + 1
    logging.getLogger("snakebook").info(
        "%s: %d flags in %d chapters: %s", book_name, len(flagged), len(chapters), counts or "none"
    )
    return flagged
