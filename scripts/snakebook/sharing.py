"""Work sharing: a synthesis job that has finished its own sentences helps the chapters still running.

Why: Snakemake schedules whole jobs. A book with fewer or more uneven chapters than the cores can
balance (three chapters on two cores, five long "Staves" on four) ends with one chapter running alone
while the other cores idle. Splitting every chapter into many small jobs would balance it, but each job
pays its start-up and model load. Instead the jobs share work through the sentence cache:

- every missing sentence is *claimed* before it is synthesised (:meth:`snakebook.cache.AudioCache.claim`),
  so no two jobs make the same one;
- a chapter job goes through its own sentences in reading order; one that another job is making is
  skipped for a moment: it makes a later one of its own meanwhile, and reads the other's audio from
  the cache when it is there (the chapter WAV is therefore exactly what one job alone would write);
- when its chapter is written, it *helps*: it takes unclaimed missing sentences from the end of the
  chapters whose jobs are running (the owner works forward, helpers backward, so they meet late), until
  none is left, then ends;
- at the end of a book, when fewer chapters wait to start than there are job slots (so some slot would
  soon have nothing to do), it also helps those waiting chapters; their jobs then find their sentences
  made and only join them. Earlier in a book a finished job ends at once and Snakemake starts the next
  chapter in its slot (so chapters are encoded as they come, not all at the end);
- it stops helping when what is left is no more than its own chapter's encode can run beside
  (:func:`worth_helping`): a helper holds back its chapter's encode (Snakemake starts it when the job ends),
  so helping to the last sentence ended a book of few long chapters with that encode alone on one core
  (the Christmas Carol: 19 s of AAC after the last sentence, on one of two cores). Work left in a chapter
  still waiting for a slot goes to that chapter's own job, which starts late and loads its model first, so
  then it stops only when its downstream is several such starts long (a 34-minute chapter's 23 s encode,
  not a 3-minute chapter's 3 s).

The number of job slots (``--cores`` divided by the synthesis threads) is told to the jobs by the
Snakemake process in the environment variable ``SNAKEBOOK_JOB_SLOTS`` (rules/common.smk); without it a
job assumes one slot and only helps running chapters.

Nothing about the outputs changes: the same files, the same cache keys and audio, and a killed job leaves
at most claims that the next job takes over (:data:`snakebook.cache.CLAIM_STALE_S`).
The layout is the rules' (``chapters/NNN.txt`` + ``.json``, ``audio/NNN.wav``, ``speech/NNN*.keys.json.part``
while a chapter's jobs run): a job finds its siblings beside its own files.
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("snakebook")

RUNNING_SUFFIX = ".keys.json.part"  # written by a chapter or part job when it starts (synth.KeysManifest)
SLOTS_ENV = "SNAKEBOOK_JOB_SLOTS"
RESCAN_S = 2.0  # a helper looks again at which chapters need help this often
# What a chapter costs once its last sentence is made: the encode (AAC with the loudness pass and the limiter
# check: 38 CPU-s per hour of audio, the Christmas Carol's encode jobs measured by wait4) and, for a split
# chapter, the join (a chapter job reading the cache: ~5 CPU-s per hour), plus a job's start.
DOWNSTREAM_FIXED_S = 1.0
WAITING_JOB_START_S = 0.5  # a synthesis job's start before its model load (the job server's fork, planning)
ENCODE_S_PER_AUDIO_S = 40 / 3600


def job_slots() -> int:
    """How many synthesis jobs Snakemake runs at once here (from the environment; 1 when not told)."""
    try:
        return max(1, int(os.environ.get(SLOTS_ENV, "1")))
    except ValueError:
        return 1


@dataclass
class BookFolders:
    """Where a book's chapter texts, chapter WAVs and speech files are (the rules' layout)."""

    chapters: Path
    audio: Path
    speech: Path

    @classmethod
    def beside(cls, chapter_text: str | Path, speech_file: str | Path) -> BookFolders:
        """The folders of the book a chapter job works on (from its own input and output paths)."""
        chapters = Path(chapter_text).parent
        return cls(chapters, chapters.parent / "audio", Path(speech_file).parent)

    def unfinished(self) -> list[str]:
        """Chapter ids whose WAV does not exist yet."""
        try:
            names = os.listdir(self.chapters)
        except OSError:
            return []
        ids = sorted(name[:-4] for name in names if name.endswith(".txt") and name[:-4].isdigit())
        return [chapter for chapter in ids if not (self.audio / f"{chapter}.wav").exists()]

    def to_help(self, exclude: str | None, slots: int) -> list[str]:
        """Chapters worth helping: the running ones, and at the end of a book (fewer chapters waiting to
        start than ``slots``) the waiting ones too."""
        unfinished = [chapter for chapter in self.unfinished() if chapter != exclude]
        running = set(self.running())
        waiting = [chapter for chapter in unfinished if chapter not in running]
        return unfinished if len(waiting) < slots else [c for c in unfinished if c in running]

    def engine_rtf(self) -> float:
        """The engine's real-time factor so far in this book (engine seconds per second of audio made), from the
        finished chapters' and parts' keys manifests; 0 when none made anything yet."""
        import json

        spent = audio = 0.0
        for path in self.speech.glob("*.keys.json"):
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(record.get("engine_seconds"), (int, float)) and isinstance(
                record.get("engine_audio_seconds"), (int, float)
            ):
                spent += record["engine_seconds"]
                audio += record["engine_audio_seconds"]
        return spent / audio if audio > 0 else 0.0

    def running(self) -> list[str]:
        """Unfinished chapters with a chapter or part job running now (its keys manifest is still ``.part``)."""
        try:
            names = os.listdir(self.speech)
        except OSError:
            return []
        started = {name.split(".", 1)[0].split("-", 1)[0] for name in names if name.endswith(RUNNING_SUFFIX)}
        return [chapter for chapter in sorted(started) if not (self.audio / f"{chapter}.wav").exists()]


def downstream_seconds(audio_seconds: float) -> float:
    """About how long a chapter of ``audio_seconds`` takes to join and encode after its last sentence."""
    return DOWNSTREAM_FIXED_S + audio_seconds * ENCODE_S_PER_AUDIO_S if audio_seconds > 0 else 0.0


def worth_helping(left_seconds: float, downstream: float, slots: int) -> bool:
    """Whether a job done with its own sentences should go on helping.

    ``left_seconds``: engine time (one core) of the unclaimed sentences it could take; ``downstream``: what its
    own chapter needs once the job ends (:func:`downstream_seconds`; 0 when ending starts nothing). With
    ``slots`` jobs at work, ending when X is left lets the downstream run beside the others' last X/(slots-1)
    seconds: the book ends at (left - X)/slots + max(downstream, X/(slots - 1)) from now, least at
    X = downstream * (slots - 1); helping to the end gives left/slots + downstream.
    """
    return slots < 2 or downstream <= 0 or left_seconds > downstream * (slots - 1)


@dataclass
class SharedEngine:
    """The job's engine, loaded at the first sentence it has to make (never, if everything is cached)."""

    engine: object
    threads: int = 1
    device: str | None = None
    load_seconds: float = 0.0

    def get(self):
        if not self.engine.is_loaded:
            started = time.perf_counter()
            self.engine.ensure_loaded(threads=self.threads, device=self.device)
            self.load_seconds = time.perf_counter() - started
            log.info("loaded %s in %.2f s", self.engine.name, self.load_seconds)
        return self.engine


@dataclass
class _Plan:
    qa: object
    todo: list[tuple[str, str]] = field(default_factory=list)  # (key, text), first sentence last


def help_book(
    folders: BookFolders,
    shared: SharedEngine,
    cache,
    settings: dict,
    *,
    book_name: str | None,
    exclude: str | None = None,
    slots: int | None = None,
    downstream=None,
    pace: float = 0.0,
) -> Counter:
    """Make unclaimed missing sentences of the book's other chapters until none is left; {chapter: made}.

    Which chapters: :meth:`BookFolders.to_help` (``slots``: :func:`job_slots` unless given). Only
    chapters spoken with the same voice (the same engine identity) are helped. ``downstream()``: seconds
    that the job's own chapter needs once the job ends, and ``pace``: engine seconds per character (the
    job's own so far); with both, the job ends early when :func:`worth_helping` says so.
    """
    from .cache import utterance_key
    from .model import read_book_json
    from .qa import ChapterQa
    from .synth import plan_chapter

    identity = shared.engine.identity()
    rate = shared.engine.sample_rate
    plans: dict[str, _Plan | None] = {}
    made: Counter = Counter()
    tried: set[str] = set()  # made once by this job: never again (whatever the cache then says)
    slots = slots or job_slots()
    spent, spoken = 0.0, 0  # engine seconds and characters of the sentences made here (the pace)
    while True:
        best, best_left, left_chars, waiting_left = None, 0, 0, False
        running = set(folders.running())
        for chapter in folders.to_help(exclude, slots):
            if chapter not in plans:
                plans[chapter] = _plan(folders, chapter, settings, identity, book_name, plan_chapter, read_book_json)
                if plans[chapter] is not None:
                    plans[chapter].qa = ChapterQa(settings.get("qa"), rate, book_name, chapter)
                    plans[chapter].todo = [
                        (utterance_key(identity, text), text) for text in reversed(plans[chapter].todo)
                    ]
            plan = plans[chapter]
            if plan is None:
                continue
            plan.todo = [(key, text) for key, text in plan.todo if key not in tried and not cache.has(key)]
            unclaimed = [len(text) for key, text in plan.todo if not cache.claimed(key)]
            left_chars += sum(unclaimed)
            waiting_left = waiting_left or bool(unclaimed and chapter not in running)
            if len(unclaimed) > best_left:
                best, best_left = chapter, len(unclaimed)
        if best is None:
            return made
        rate_now = spent / spoken if spoken >= 200 else pace  # (a few sentences of its own first)
        # Work left in a chapter still waiting for a slot is left to its own job, which starts only when a slot
        # frees and loads its model first, so that work is not done beside the downstream but after it: ending
        # early pays only for a downstream several such starts long (a 34-minute chapter's 23 s encode, not a
        # 3-minute chapter's 3 s: the Christmas Carol's and the sample book's ends, measured).
        needed = downstream() if downstream is not None and rate_now else 0.0
        if waiting_left and needed <= 4 * (shared.load_seconds + WAITING_JOB_START_S):
            needed = 0.0
        if needed and not worth_helping(left_chars * rate_now, needed, slots):
            log.info(
                "%s: stopped helping: ~%.0f s of engine work left, less than this chapter's join and encode "
                "(~%.0f s) can run beside",
                book_name,
                left_chars * rate_now,
                needed,
            )
            return made
        plan = plans[best]
        rescan = time.monotonic() + RESCAN_S  # a scan stats every sentence left: not after each sentence
        for key, text in plan.todo:  # from the chapter's end: its own job works from the start
            if time.monotonic() > rescan:
                break
            if key in tried or cache.has(key) or not cache.claim(key):
                continue
            try:
                if not cache.has(key):
                    tried.add(key)
                    engine = shared.get()
                    started = time.perf_counter()
                    audio = plan.qa.synthesize(engine, text)
                    spent += time.perf_counter() - started
                    spoken += len(text)
                    cache.put(key, audio, rate)
                    made[best] += 1
            finally:
                cache.release(key)


def _plan(folders, chapter, settings, identity, book_name, plan_chapter, read_book_json) -> _Plan | None:
    """The texts a chapter speaks, if it is spoken with ``identity``; None (not helped) otherwise."""
    try:
        meta = read_book_json(folders.chapters / f"{chapter}.json")
        engine, _lead, utterances = plan_chapter(
            folders.chapters / f"{chapter}.txt",
            meta.get("title"),
            settings,
            language=meta.get("language"),
            book_name=book_name,
            book_lexicon=meta.get("lexicon"),
        )
        if engine.identity() != identity:
            return None
    except Exception as error:  # noqa: BLE001 - helping is optional: the chapter's own job reports its problems
        log.info("%s: not helping chapter %s (%s)", book_name, chapter, error)
        return None
    return _Plan(qa=None, todo=[u.text for u in utterances])


def log_help(book_name: str | None, made: Counter) -> None:
    if made:
        log.info(
            "%s: helped other chapters with %d sentences (%s)",
            book_name,
            sum(made.values()),
            ", ".join(f"{chapter}: {count}" for chapter, count in sorted(made.items())),
        )
