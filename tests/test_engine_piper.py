"""Piper through the shared engine helpers: engine_params speed makes measurably shorter speech."""

from __future__ import annotations

import pytest
from helpers import snakemake, write_tiny_epub

from snakebook.audio.wav import wav_duration
from snakebook.engines import EngineSettings, make_engine

TEXT = "The quick brown fox jumps over the lazy dog, and then it runs far away into the quiet green woods."


def test_speed_divides_length_scale():
    engine = make_engine(EngineSettings(params={"speed": 1.6}), "b")
    engine.check("en")
    engine.ensure_loaded()
    fast = engine.synthesize(TEXT)
    normal = make_engine(EngineSettings(), "b")
    normal.ensure_loaded()
    slow = normal.synthesize(TEXT)
    assert len(fast) < 0.8 * len(slow)
    assert engine.identity() != normal.identity()  # the cache keeps them apart


def test_long_sentences_are_split_short_enough_to_keep_a_job_under_600_mb():
    """A job's peak memory follows its longest utterance (PiperEngine.max_chars); slower speech: shorter ones."""
    from snakebook.text.sentences import chunk_sentence

    normal = make_engine(EngineSettings(), "b")
    slow = make_engine(EngineSettings(params={"speed": 0.5}), "b")
    assert normal.max_chars("en") == 180 and slow.max_chars("en") == 90
    dickens = (
        "It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of "
        "foolishness, it was the epoch of belief, it was the epoch of incredulity, it was the season of Light, "
        "it was the season of Darkness, it was the spring of hope, it was the winter of despair."
    )
    pieces = chunk_sentence(dickens, normal.max_chars("en"))
    assert len(pieces) > 1 and all(len(piece) <= 180 for piece in pieces)
    assert " ".join(pieces) == dickens  # cut at clause boundaries, nothing lost


@pytest.mark.slow
def test_pipeline_with_a_non_default_piper_speed(tmp_path):
    book = write_tiny_epub(
        tmp_path / "speed.epub", [("Speed", [TEXT, "A second sentence follows the first one."])], title="Speed Test"
    )
    durations = {}
    for speed in (1.0, 1.5):
        workdir = tmp_path / f"speed-{speed}"
        workdir.mkdir()
        config = {
            "books": [{"path": str(book), "name": "speed"}],
            "engine_params": {"speed": speed},
            "cache_dir": str(tmp_path / "cache"),
        }
        snakemake(workdir, config=config)
        durations[speed] = wav_duration(workdir / "results" / "speed" / "audio" / "001.wav")
    # pauses between sentences do not scale with speed, so the whole chapter is a little less than 1/1.5 shorter
    assert durations[1.5] < 0.85 * durations[1.0]
