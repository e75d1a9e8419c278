"""Audio checks of every utterance (snakebook.qa): real engine audio passes, damaged audio is flagged,
flags reach qa.tsv, qa.fail_on fails a chapter, and engines whose output varies retry flagged takes."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from helpers import snakemake, write_tiny_epub

from snakebook import qa
from snakebook.engines import EngineSettings, make_engine

SENTENCES = [
    "Alice was beginning to get very tired of sitting by her sister on the bank.",
    "So she was considering in her own mind whether the pleasure of making a daisy-chain would be worth the trouble.",
    "There was nothing so very remarkable in that.",
    "Down, down, down. Would the fall never come to an end?",
]


@pytest.fixture(scope="module")
def piper_takes():
    engine = make_engine(EngineSettings(engine="piper"), "qa")
    engine.check("en")
    engine.ensure_loaded()
    return engine.sample_rate, [(text, engine.synthesize(text)) for text in SENTENCES]


def table(path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_clean_piper_sentences_pass(piper_takes):
    rate, takes = piper_takes
    settings = qa.qa_settings({})
    measures = [qa.measure(audio, rate, text) for text, audio in takes]
    for (text, _audio), m in zip(takes, measures, strict=True):
        assert qa.flags(m, settings, median_rate=17.0) == [], (text, m)
        assert 10 < m.rate < 25 and m.pause < 1.0 and m.flatness < 0.05
    # the same audio as 16-bit PCM bytes (what the cache returns) measures the same
    pcm = (np.clip(takes[0][1], -1, 1) * 32767).astype("<i2").tobytes()
    assert qa.measure(pcm, rate, takes[0][0]).duration == pytest.approx(measures[0].duration, abs=0.01)


@pytest.mark.parametrize(
    "damage, measure",
    [
        ("truncated", "rate"),
        ("padded", "pause"),
        ("repeated", "rate"),
        ("clipped", "clipping"),
        ("noise", "noise"),
        ("silent", "peak"),
        ("lead", "edge_silence"),
    ],
)
def test_damaged_audio_is_flagged(piper_takes, damage, measure):
    rate, takes = piper_takes
    text, audio = takes[1]
    audio = np.asarray(audio, dtype=np.float32)
    bad = {
        "truncated": lambda: audio[: audio.size // 3],
        "padded": lambda: np.concatenate(
            [audio[: audio.size // 2], np.zeros(3 * rate, np.float32), audio[audio.size // 2 :]]
        ),
        "repeated": lambda: np.concatenate([audio, audio, audio]),
        "clipped": lambda: np.clip(audio * 8, -1, 1),
        "noise": lambda: np.random.default_rng(1).standard_normal(audio.size).astype(np.float32) * 0.05,
        "silent": lambda: audio * 0.001,
        "lead": lambda: np.concatenate([np.zeros(3 * rate, np.float32), audio]),
    }[damage]()
    found = qa.flags(qa.measure(bad, rate, text), qa.qa_settings({}), median_rate=17.0)
    assert measure in {f.measure for f in found}, found
    assert qa.fails(found, qa.qa_settings({"fail_on": "warning"}))
    assert qa.fails(found, qa.qa_settings({"fail_on": "error"})) == (damage != "repeated")  # 3x: an outlier only
    assert not qa.fails(found, qa.qa_settings({}))  # fail_on: never only warns


def test_the_best_take_is_kept(piper_takes):
    rate, takes = piper_takes
    text, audio = takes[0]
    settings = qa.qa_settings({})
    bad = qa.flags(qa.measure(np.clip(audio * 8, -1, 1), rate, text), settings)
    good = qa.flags(qa.measure(audio, rate, text), settings)
    assert qa.best_take([("bad", bad), ("good", good), ("bad again", bad)]) == 1
    assert qa.best_take([("first", good), ("second", good)]) == 0


def test_book_report_places_flags_in_the_final_audio(tmp_path, piper_takes):
    rate, takes = piper_takes
    records = []
    offset = 0.5
    for index, (text, audio) in enumerate(takes, start=1):
        if index == 3:
            audio = np.clip(np.asarray(audio) * 8, -1, 1)  # clipped
        records.append(qa.UtteranceRecord(index, offset, 1, qa.measure(audio, rate, text), text))
        offset += len(audio) / rate + 0.35
    qa.write_chapter_tsv(tmp_path / "001.tsv", records[:2])
    qa.write_chapter_tsv(tmp_path / "002.tsv", records[2:])
    flagged = qa.book_report(
        [("001", tmp_path / "001.tsv", 60.0), ("002", tmp_path / "002.tsv", 30.0)],
        qa.qa_settings({}),
        tmp_path / "qa.tsv",
    )
    assert [(r["chapter"], r["utterance"], r["measure"]) for r in flagged] == [("002", "3", "clipping")]
    # chapter 002 starts after chapter 001's 60 s; the utterance's own offset comes on top
    assert flagged[0]["time"] == qa._clock(60.0 + records[2].offset)
    assert table(tmp_path / "qa.tsv")[0]["text"] == SENTENCES[2]


@pytest.mark.slow
def test_piper_only_flags_and_fail_on_fails_the_chapter(tmp_path):
    book = write_tiny_epub(tmp_path / "tiny.epub", [("Opening", SENTENCES[:2])], title="Tiny QA")
    # An impossible speaking-rate floor flags every utterance; Piper is deterministic: flagged, never retried.
    config = {
        "books": [{"path": str(book), "name": "tiny-qa"}],
        "cache_dir": str(tmp_path / "cache"),
        "qa": {"min_rate": 100.0},
    }
    snakemake(tmp_path, config=config)
    out = tmp_path / "results" / "tiny-qa"
    rows = table(out / "qa" / "001.tsv")
    assert rows and all(r["takes"] == "1" and r["action"] == "flagged" for r in rows if len(r["text"]) > 30)
    flagged = table(out / "qa.tsv")
    assert {r["measure"] for r in flagged} == {"rate"} and all(r["chapter"] == "001" for r in flagged)
    assert "retry" not in (out / "logs" / "synthesize" / "001.log").read_text()
    # qa.fail_on: error makes the same flags fail the chapter, with one paragraph naming the book
    (out / "audio" / "001.wav").unlink()
    config["qa"] = {"min_rate": 100.0, "fail_on": "error"}
    result = snakemake(tmp_path, config=config, check=False)
    assert result.returncode != 0
    assert "tiny-qa: chapter 001:" in result.stderr and "fail the audio checks (qa.fail_on: error)" in result.stderr
    assert not (out / "audio" / "001.wav").exists()


@pytest.mark.slow
@pytest.mark.coqui
def test_coqui_babble_is_retried_with_other_seeds(tmp_path):
    pytest.importorskip("TTS", reason="needs the optional Coqui install: make coqui")
    from tiny_models import make_tiny_vits

    model = make_tiny_vits(tmp_path / "tiny-vits")
    book = write_tiny_epub(tmp_path / "tiny.epub", [("Opening", SENTENCES[:2])], title="Tiny Babble")
    # The random model babbles; an impossible rate floor flags every take, so every utterance is retried.
    config = {
        "books": [{"path": str(book), "name": "babble"}],
        "engine": "coqui",
        "model": str(model),
        "cache_dir": str(tmp_path / "cache"),
        "qa": {"min_rate": 100.0, "retries": 2},
    }
    snakemake(tmp_path, config=config)
    out = tmp_path / "results" / "babble"
    log = (out / "logs" / "synthesize" / "001.log").read_text()
    assert "retry 1 of a flagged utterance" in log and "retry 2 of a flagged utterance" in log
    rows = [r for r in table(out / "qa" / "001.tsv") if int(r["index"]) > 0]
    retried = [r for r in rows if r["letters"] and int(r["letters"]) >= 20]
    assert retried and all(r["takes"] == "3" and r["action"].startswith("retried: take") for r in retried)
    assert any(r["action"].startswith("retried") for r in table(out / "qa.tsv"))
    # The cache keeps the accepted take: remaking the chapter synthesises nothing and retries nothing.
    (out / "audio" / "001.wav").unlink()
    snakemake(tmp_path, config=config)
    again = (out / "logs" / "synthesize" / "001.log").read_text()
    assert "retry" not in again and "loaded coqui" not in again
