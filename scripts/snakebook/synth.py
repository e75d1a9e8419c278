"""The synthesis step: one chapter's text -> what is spoken (speech/NNN.txt) -> audio/NNN.wav.

Every utterance goes through the sentence cache, so a killed job resumes where
it stopped and an edited book re-synthesises only the sentences that changed.
The model is loaded once per job, and only if some utterance is not cached.
The cache keys a chapter uses are recorded in speech/NNN.keys.json (written as
``.part`` when the job starts, renamed when it ends), so ``cache_admin prune``
knows which entries current books need.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from .audio.wav import WavWriter
from .cache import AudioCache, utterance_key
from .chaptertext import read_chapter
from .engines import EngineSettings, make_engine
from .errors import SnakebookError
from .fileio import write_json, write_text
from .progress import SynthesisProgress
from .qa import ChapterQa, lexicon_words
from .sharing import BookFolders, SharedEngine, downstream_seconds, help_book, log_help
from .summary import synthesis_facts
from .text.speech import Pauses, plan_utterances

log = logging.getLogger("snakebook")


@dataclass
class SynthesisReport:
    utterances: int = 0
    synthesized: int = 0
    by_other_jobs: int = 0  # missing when the job started, made meanwhile by a job helping it
    cached: int = 0
    characters: int = 0
    load_seconds: float = 0.0
    synth_seconds: float = 0.0
    audio_seconds: float = 0.0


def prepare_text_function(
    language: str | None, settings: dict, *, phonemes: bool = False, book_lexicon=None, book_name=None
):
    """The per-sentence text preparation (normalisation, lexicon).

    Its libraries (num2words, roman, ftfy, ...) are part of the runtime set: a missing one stops the job with
    a clear error, never a silent fall-back to un-normalised text.
    """
    try:
        from .text.prepare import make_preparer
    except ImportError as missing:
        if (missing.name or "").split(".")[0] in ("", "snakebook"):
            raise  # a bug in the package, not a missing install
        raise SnakebookError(
            f"{book_name or 'snakebook'}: preparing the text to speak needs the Python package '{missing.name}', "
            "which is not installed here; run `make setup` (or `pip install -r envs/requirements.txt` in the "
            "environment that runs the jobs)."
        ) from None
    return make_preparer(language, settings, phonemes=phonemes, book_lexicon=book_lexicon)


def plan_chapter(chapter_text_path, title, settings: dict, *, language, book_name=None, book_lexicon=None):
    """(engine, not loaded; leading silence in ms; utterances) of a chapter: what every job over it agrees on.

    The chapter job and its part jobs (:mod:`snakebook.parts`) both plan through here, so they
    compute the same utterances and therefore the same cache keys.
    """
    engine = make_engine(EngineSettings.from_config(settings), book_name)
    engine.check(language)
    text = read_chapter(chapter_text_path)
    pauses = Pauses.from_config(settings.get("pauses"))
    lead_ms, utterances = plan_utterances(
        title,
        text,
        language=language,
        max_chars=engine.max_chars(language),
        pauses=pauses,
        prepare=prepare_text_function(
            language, settings, phonemes=engine.accepts_phonemes, book_lexicon=book_lexicon, book_name=book_name
        ),
    )
    return engine, lead_ms, utterances


def synthesize_chapter(
    chapter_text_path: str | Path,
    title: str | None,
    out_wav: str | Path,
    speech_txt: str | Path,
    settings: dict,
    *,
    language: str | None,
    cache_dir: str | Path,
    threads: int = 1,
    book_name: str | None = None,
    keys_json: str | Path | None = None,
    book_lexicon: dict | None = None,
    cues_tsv: str | Path | None = None,
    qa_tsv: str | Path | None = None,
    share: bool = False,
) -> SynthesisReport:
    """Write a chapter's WAV, speech text, cues and QA table from the sentence cache, making what is missing.

    ``share``: once the chapter is written, help the book's other running chapters (:mod:`snakebook.sharing`).
    """
    engine, lead_ms, utterances = plan_chapter(
        chapter_text_path, title, settings, language=language, book_name=book_name, book_lexicon=book_lexicon
    )
    speech = "".join(u.text.replace("\n", " ") + "\n" for u in utterances)  # speech/NNN.txt, after the WAV

    cache = AudioCache(cache_dir)
    identity = engine.identity()
    rate = engine.sample_rate
    keys = [utterance_key(identity, u.text) for u in utterances]
    report = SynthesisReport(utterances=len(utterances), characters=sum(len(u.text) for u in utterances))
    manifest = KeysManifest(keys_json, cache, identity, rate, keys, book_name, engine.name)
    manifest.write_planned()
    # One pass in reading order: each entry is read (and its checksum verified) once; a missing or damaged one
    # is claimed, synthesised, published, and read back so the WAV holds exactly what the cache keeps. One that
    # another job is making now (snakebook.sharing) is waited for while this job makes later ones of its own.
    # The model is loaded at the first sentence to make, so a fully cached chapter never loads it.
    missing_at_start = {key for key in set(keys) if not cache.has(key)}
    to_make = len(missing_at_start)  # for the log; damaged entries add to it
    progress = SynthesisProgress(f"{book_name} {Path(out_wav).stem}", len(utterances), to_make)  # tail -f the log
    chapter_qa = ChapterQa(settings.get("qa"), rate, book_name, Path(out_wav).stem)  # audio checks (snakebook.qa)
    shared = SharedEngine(engine, threads=threads, device=settings.get("device"))
    made_here: dict[str, float] = {}  # key -> engine seconds, for what this job synthesised

    def make(key: str, text: str) -> None:
        nonlocal synth_started
        if not engine.is_loaded:
            shared.get()
            report.load_seconds = shared.load_seconds
            log.info("%s: %d of %d utterances to synthesise", book_name, max(to_make, 1), len(utterances))
            synth_started = time.perf_counter()
        spoken = time.perf_counter()
        cache.put(key, chapter_qa.synthesize(engine, text), rate)  # retries flagged takes
        made_here[key] = time.perf_counter() - spoken

    ahead = 0  # the next own sentence to look at while waiting for one another job makes

    def make_ahead(start: int) -> bool:
        """Make one later missing sentence of this chapter that nobody has claimed; False if there is none."""
        nonlocal ahead
        ahead = max(ahead, start)
        for index in range(ahead, len(keys)):
            key = keys[index]
            if key in made_here or cache.has(key) or not cache.claim(key):
                continue
            try:
                if not cache.has(key):
                    make(key, utterances[index].text)
            finally:
                cache.release(key)
            ahead = index + 1
            return True
        return False

    synth_started = None
    writer = WavWriter(out_wav, rate)
    cues: list[tuple[int, int, str]] = []  # (first sample, end sample, book text) of each utterance: captions
    try:
        writer.write_silence(lead_ms)
        for index, (key, utterance) in enumerate(zip(keys, utterances, strict=True)):
            pcm = cache.get_pcm(key, rate)
            while pcm is None:
                if key in made_here:
                    raise SnakebookError(
                        f"the audio cache '{cache.root}' does not keep what is written to it "
                        f"(entry {key} unreadable right after writing); check that filesystem.",
                        book_name,
                    )
                if cache.claim(key):
                    try:
                        if cache.get_pcm(key, rate) is None:  # not made meanwhile
                            make(key, utterance.text)
                    finally:
                        cache.release(key)
                elif not make_ahead(index + 1):
                    time.sleep(0.05)  # another job is making it and nothing else of ours is left to make
                pcm = cache.get_pcm(key, rate)
            chapter_qa.record(writer.frames / rate, pcm, utterance.text)
            cues.append((writer.frames, writer.frames + len(pcm) // 2, utterance.source))
            writer.write_pcm(pcm)
            writer.write_silence(utterance.pause_after_ms)
            progress.utterance_done(
                len(pcm) / 2 / rate, synthesised=key in made_here, engine_seconds=made_here.get(key, 0.0)
            )
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    report.synthesized = len(made_here)
    report.by_other_jobs = len(missing_at_start - set(made_here))
    if synth_started is not None:
        report.synth_seconds = time.perf_counter() - synth_started
    report.cached = report.utterances - report.synthesized - report.by_other_jobs
    chapter_qa.finish(qa_tsv, read_chapter(chapter_text_path), speech, lexicon_words(settings, book_lexicon))
    write_text(speech_txt, speech)
    if cues_tsv:
        write_cues(cues_tsv, cues, rate, writer.frames)
    report.audio_seconds = writer.frames / rate
    manifest.record.update(progress.record(), **synthesis_facts(engine, identity, keys_json))
    manifest.commit(report)
    log.info(
        "%s: %d utterances (%d synthesised, %d by other jobs, %d from cache), %d characters, %.1f s of audio, "
        "synthesis %.2f s",
        book_name,
        report.utterances,
        report.synthesized,
        report.by_other_jobs,
        report.cached,
        report.characters,
        report.audio_seconds,
        report.synth_seconds,
    )
    if share:  # the chapter is written: help the chapters still running (snakebook.sharing)
        folders = BookFolders.beside(chapter_text_path, speech_txt)
        made_chars = {key: len(u.text) for key, u in zip(keys, utterances, strict=True) if key in made_here}
        if made_chars:  # engine seconds per character: this job's own, else the book's so far (a join job)
            pace = sum(made_here.values()) / sum(made_chars.values())
        else:
            pace = folders.engine_rtf() * report.audio_seconds / max(report.characters, 1)
        log_help(
            book_name,
            help_book(
                folders,
                shared,
                cache,
                settings,
                book_name=book_name,
                exclude=Path(out_wav).stem,
                downstream=lambda: downstream_seconds(report.audio_seconds),
                pace=pace,
            ),
        )
    return report


def write_cues(path: str | Path, cues: list[tuple[int, int, str]], rate: int, frames: int) -> None:
    """speech/NNN.cues.tsv: each utterance's first and end sample in the chapter WAV and its book text.

    Read by the captions (:mod:`snakebook.audio.captions`); an empty text continues the sentence before it.
    """
    lines = [f"# sample_rate={rate} frames={frames}", "start\tend\ttext"]
    lines += [f"{start}\t{end}\t{' '.join(text.split())}" for start, end, text in cues]
    write_text(path, "\n".join(lines) + "\n")


KEYS_FORMAT = "snakebook-cache-keys/1"


class KeysManifest:
    """speech/NNN.keys.json: which cache entries a chapter is made of (the live set for ``cache_admin prune``).

    Written as ``.part`` before synthesis starts, so entries a running job depends on are live
    too, and renamed into place with the final counts when the chapter is done.
    """

    def __init__(self, path, cache: AudioCache, identity: dict, rate: int, keys: list[str], book, engine_name):
        self.path = Path(path) if path else None
        self.record = {
            "format": KEYS_FORMAT,
            "book": book,
            "engine": engine_name,
            "cache_dir": str(cache.root.resolve()),
            "identity": identity,
            "sample_rate": rate,
            "keys": list(dict.fromkeys(keys)),
        }

    @property
    def part(self) -> Path:
        return self.path.with_name(self.path.name + ".part")

    def _write(self, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_json(target, self.record, indent=1)

    def write_planned(self) -> None:
        if self.path:
            self._write(self.part)

    def commit(self, report: SynthesisReport) -> None:
        if not self.path:
            return
        self.record.update(utterances=report.utterances, synthesised=report.synthesized, from_cache=report.cached)
        if report.by_other_jobs:
            self.record.update(by_other_jobs=report.by_other_jobs)
        # What the run summary and the report show (snakebook.summary): size, speed, audio length.
        self.record.update(
            characters=report.characters,
            audio_seconds=round(report.audio_seconds, 3),
            synth_seconds=round(report.synth_seconds, 3),
            load_seconds=round(report.load_seconds, 3),
        )
        self._write(self.path)
        self.part.unlink(missing_ok=True)
