"""The synthesis step: one chapter's text -> what is spoken (speech/NNN.txt) -> audio/NNN.wav.

Every utterance goes through the sentence cache, so a killed job resumes where
it stopped and an edited book re-synthesises only the sentences that changed.
The model is loaded once per job, and only if some utterance is not cached.
The cache keys a chapter uses are recorded in speech/NNN.keys.json (written as
``.part`` when the job starts, renamed when it ends), so ``cache_admin prune``
knows which entries current books need.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from .audio.wav import WavWriter
from .cache import AudioCache, utterance_key
from .engines import EngineSettings, make_engine
from .errors import SnakebookError
from .text.speech import Pauses, plan_utterances

log = logging.getLogger("snakebook")


@dataclass
class SynthesisReport:
    utterances: int = 0
    synthesized: int = 0
    cached: int = 0
    characters: int = 0
    load_seconds: float = 0.0
    synth_seconds: float = 0.0
    audio_seconds: float = 0.0


def prepare_text_function(language: str | None, settings: dict, *, phonemes: bool = False, book_lexicon=None):
    """The per-sentence text preparation (normalisation, lexicon); identity when none is available."""
    try:
        from .text.prepare import make_preparer
    except ImportError:
        return lambda sentence: sentence
    return make_preparer(language, settings, phonemes=phonemes, book_lexicon=book_lexicon)


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
) -> SynthesisReport:
    engine = make_engine(EngineSettings.from_config(settings), book_name)
    engine.check(language)
    text = Path(chapter_text_path).read_text(encoding="utf-8")
    pauses = Pauses.from_config(settings.get("pauses"))
    lead_ms, utterances = plan_utterances(
        title, text, language=language, max_chars=engine.max_chars(language), pauses=pauses,
        prepare=prepare_text_function(language, settings, phonemes=engine.accepts_phonemes, book_lexicon=book_lexicon),
    )
    speech_txt = Path(speech_txt)
    speech_txt.parent.mkdir(parents=True, exist_ok=True)
    tmp_speech = speech_txt.with_name(speech_txt.name + ".part")
    tmp_speech.write_text("".join(u.text.replace("\n", " ") + "\n" for u in utterances), encoding="utf-8")

    cache = AudioCache(cache_dir)
    identity = engine.identity()
    rate = engine.sample_rate
    keys = [utterance_key(identity, u.text) for u in utterances]
    report = SynthesisReport(utterances=len(utterances), characters=sum(len(u.text) for u in utterances))
    manifest = KeysManifest(keys_json, cache, identity, rate, keys, book_name, engine.name)
    manifest.write_planned()
    # One pass in reading order: each entry is read (and its checksum verified) once; a missing or
    # damaged one is synthesised, published, and read back so the WAV holds exactly what the cache keeps.
    # The model is loaded at the first missing sentence, so a fully cached chapter never loads it.
    to_make = sum(1 for key in set(keys) if not cache.has(key))  # for the log; damaged entries add to it
    synth_started = None
    writer = WavWriter(out_wav, rate)
    try:
        writer.write_silence(lead_ms)
        for key, utterance in zip(keys, utterances, strict=True):
            pcm = cache.get_pcm(key, rate)
            if pcm is None:
                if not engine.is_loaded:
                    started = time.perf_counter()
                    engine.ensure_loaded(threads=threads, device=settings.get("device"))
                    report.load_seconds = time.perf_counter() - started
                    log.info("%s: loaded %s in %.2f s; %d of %d utterances to synthesise", book_name,
                             engine.name, report.load_seconds, max(to_make, 1), len(utterances))
                    synth_started = time.perf_counter()
                cache.put(key, engine.synthesize(utterance.text), rate)
                report.synthesized += 1
                if report.synthesized % 25 == 0:
                    log.info("%s: %d/%d utterances synthesised", book_name, report.synthesized, max(to_make, 1))
                pcm = cache.get_pcm(key, rate)
                if pcm is None:
                    raise SnakebookError(f"the audio cache '{cache.root}' does not keep what is written to it "
                                         f"(entry {key} unreadable right after writing); check that filesystem.",
                                         book_name)
            writer.write_pcm(pcm)
            writer.write_silence(utterance.pause_after_ms)
        writer.commit()
    except BaseException:
        writer.abort()
        tmp_speech.unlink(missing_ok=True)
        raise
    if synth_started is not None:
        report.synth_seconds = time.perf_counter() - synth_started
    report.cached = report.utterances - report.synthesized
    os.replace(tmp_speech, speech_txt)
    report.audio_seconds = writer.frames / rate
    manifest.commit(report)
    log.info(
        "%s: %d utterances (%d synthesised, %d from cache), %d characters, %.1f s of audio, synthesis %.2f s",
        book_name, report.utterances, report.synthesized, report.cached, report.characters,
        report.audio_seconds, report.synth_seconds,
    )
    return report


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
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(self.record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, target)

    def write_planned(self) -> None:
        if self.path:
            self._write(self.part)

    def commit(self, report: SynthesisReport) -> None:
        if not self.path:
            return
        self.record.update(utterances=report.utterances, synthesised=report.synthesized, from_cache=report.cached)
        self._write(self.path)
        self.part.unlink(missing_ok=True)
