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
