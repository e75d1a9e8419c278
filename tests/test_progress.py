"""Progress lines in the job logs: sentences done/total, audio made, real-time factor, ETA; heartbeats."""

from __future__ import annotations

import json
import logging
import shutil
import threading

import pytest

from snakebook.progress import SynthesisProgress, format_duration, heartbeat, progress_interval


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


class Collect(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines: list[str] = []
        self.seen = threading.Event()

    def emit(self, record):
        self.lines.append(record.getMessage())
        self.seen.set()


@pytest.fixture
def collected():
    handler = Collect()
    logger = logging.getLogger("snakebook.test-progress")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield logger, handler
    logger.removeHandler(handler)


def test_lines_come_at_most_every_interval_with_first_and_last(collected):
    logger, handler = collected
    clock = FakeClock()
    progress = SynthesisProgress("book 001", total=20, to_synthesise=20, interval=5, logger=logger, clock=clock)
    for _ in range(20):
        clock.now += 1.0  # one second of engine work per sentence
        progress.utterance_done(2.0, synthesised=True, engine_seconds=1.0)
    # the first sentence, then one line per 5 s of work, and the last sentence
    assert len(handler.lines) == 1 + 3 + 1
    assert handler.lines[0].startswith("progress book 001: 1/20 sentences (5%)")
    assert handler.lines[-1].startswith("progress book 001: 20/20 sentences (100%), 40.0 s audio")


def test_real_time_factor_and_eta_count_only_what_the_engine_makes(collected):
    logger, handler = collected
    clock = FakeClock()
    progress = SynthesisProgress("b 002", total=10, to_synthesise=6, interval=0, logger=logger, clock=clock)
    for _ in range(4):  # four sentences from the cache: no engine time, no RTF yet
        progress.utterance_done(3.0, synthesised=False)
    assert progress.real_time_factor is None
    assert "RTF -" in handler.lines[-1] and "(4 from cache)" in handler.lines[-1]
    assert progress.eta_seconds() is None  # no speed known yet
    for _ in range(2):  # two made at 0.5 s per 2.5 s of audio: RTF 0.2, four left at 0.5 s each
        progress.utterance_done(2.5, synthesised=True, engine_seconds=0.5)
    assert progress.real_time_factor == pytest.approx(0.2)
    assert progress.eta_seconds() == pytest.approx(2.0)
    assert handler.lines[-1] == (
        "progress b 002: 6/10 sentences (60%), 17.0 s audio, RTF 0.20, ETA 0:02 (4 from cache)"
    )
    assert progress.record() == {"engine_seconds": 1.0, "engine_audio_seconds": 5.0}


def test_format_duration_and_interval_from_environment(monkeypatch):
    assert format_duration(75) == "1:15"
    assert format_duration(3725) == "1:02:05"
    assert format_duration(None) == "?"
    monkeypatch.setenv("SNAKEBOOK_PROGRESS_SECONDS", "0")
    assert progress_interval() == 0
    monkeypatch.setenv("SNAKEBOOK_PROGRESS_SECONDS", "soon")
    assert progress_interval() == 5.0


def test_heartbeat_logs_while_a_long_step_runs(collected):
    logger, handler = collected
    with heartbeat("extracting the book", interval=1, logger=logger, status=lambda: "page 3 of 9"):
        assert handler.seen.wait(timeout=30), "no heartbeat line while the step ran"
    lines = list(handler.lines)
    assert lines[0].startswith("still extracting the book, 0:0") and lines[0].endswith("elapsed, page 3 of 9")
    handler.lines.clear()
    with heartbeat("a short step", interval=600, logger=logger):
        pass
    assert handler.lines == []  # a step shorter than the interval logs nothing


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng (apt-get install espeak-ng)")
def test_real_synthesis_logs_progress_and_records_speed(tmp_path, monkeypatch, caplog):
    """A real chapter through the real synthesis step (espeak-ng): one line per sentence at interval 0."""
    from snakebook.synth import synthesize_chapter

    monkeypatch.setenv("SNAKEBOOK_PROGRESS_SECONDS", "0")
    text = tmp_path / "001.txt"
    text.write_text("Le chat dort. Le chien aboie.\n\nIl pleut sur la ville. Fin du chapitre.\n", encoding="utf-8")
    keys = tmp_path / "001.keys.json"
    settings = {"engine": "espeak", "language": "fr"}
    with caplog.at_level(logging.INFO, logger="snakebook"):
        report = synthesize_chapter(
            text,
            "Chapitre un",
            tmp_path / "001.wav",
            tmp_path / "001.txt.spoken",
            settings,
            language="fr",
            cache_dir=tmp_path / "cache",
            book_name="petit",
            keys_json=keys,
        )
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("progress petit 001:")]
    assert len(lines) == report.utterances >= 5
    assert lines[-1].startswith(f"progress petit 001: {report.utterances}/{report.utterances} sentences (100%)")
    assert "ETA 0:00" in lines[-1]
    record = json.loads(keys.read_text())
    assert record["engine_seconds"] > 0 and record["engine_audio_seconds"] > 0
    assert record["voice"].startswith("fr") and record["versions"]["espeak-ng"][0].isdigit()
    assert record["audio_seconds"] == pytest.approx(report.audio_seconds, abs=0.01)
