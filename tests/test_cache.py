"""The sentence audio cache: keys, entry validation, atomic first-writer-wins writes, admin (stats/prune)."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from snakebook.cache import AudioCache, decode_entry, encode_entry, utterance_key
from snakebook.cache_admin import main as cache_admin
from snakebook.cache_admin import prune_cache, read_live_set
from snakebook.engines import EngineSettings, make_engine
from snakebook.synth import synthesize_chapter

RATE = 22050
IDENTITY = {"engine": "piper", "model": "abc", "speaker_id": None, "length_scale": 1.0}


def tone(seconds: float = 0.2, freq: float = 440.0, rate: int = RATE) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


# --- keys -----------------------------------------------------------------------------------------
def test_key_covers_every_identity_field_and_the_text():
    base = utterance_key(IDENTITY, "Hello there.")
    assert utterance_key(dict(reversed(list(IDENTITY.items()))), "Hello there.") == base  # order-free
    assert utterance_key(IDENTITY, "Hello there!") != base
    for field, value in (("engine", "espeak"), ("model", "abd"), ("speaker_id", 3), ("length_scale", 1.1)):
        assert utterance_key({**IDENTITY, field: value}, "Hello there.") != base, field
    assert utterance_key({**IDENTITY, "speaker_wav": ["f00"]}, "Hello there.") != base


def test_piper_identity_covers_model_config_speaker_and_params(tmp_path):
    default = make_engine(EngineSettings())
    ident = default.identity()
    assert {
        "engine",
        "piper_tts",
        "model",
        "config",
        "speaker_id",
        "length_scale",
        "noise_scale",
        "noise_w_scale",
        "volume",
    } <= set(ident)
    assert make_engine(EngineSettings(params={"length_scale": 1.2})).identity() != ident
    assert make_engine(EngineSettings(params={"speed": 1.5})).identity() != ident
    # The same voice under another path is the same voice (content fingerprint) ...
    model = tmp_path / "voice.onnx"
    os.symlink(default.model_path, model)
    shutil.copy(default.config_path, tmp_path / "voice.onnx.json")
    assert make_engine(EngineSettings(voice=str(model))).identity() == ident
    # ... but an edited voice config (here: another espeak dialect) is another voice.
    config = json.loads((tmp_path / "voice.onnx.json").read_text())
    config.setdefault("espeak", {})["voice"] = "en-gb"
    (tmp_path / "voice.onnx.json").write_text(json.dumps(config))
    assert make_engine(EngineSettings(voice=str(model))).identity() != ident


# --- entries --------------------------------------------------------------------------------------
def test_entry_round_trip_is_a_playable_wav(tmp_path):
    cache = AudioCache(tmp_path / "c")
    key = utterance_key(IDENTITY, "one")
    audio = tone()
    path = cache.put(key, audio, RATE)
    assert path == cache.path(key) and cache.has(key)
    pcm = cache.get_pcm(key, RATE)
    assert np.array_equal(np.frombuffer(pcm, "<i2"), (np.clip(audio, -1, 1) * 32767).astype("<i2"))
    with wave.open(str(path), "rb") as handle:  # players ignore the checksum chunk
        assert (handle.getnchannels(), handle.getsampwidth(), handle.getframerate()) == (1, 2, RATE)
        assert handle.readframes(handle.getnframes()) == pcm
    assert cache.get_pcm(key, 16000) is None  # another rate is a miss, not an error
    assert not list(cache.temp_files())


@pytest.mark.parametrize("damage", ["truncate", "flip", "zeros", "empty", "wrong-key", "plain-wav"])
def test_damaged_entry_is_a_miss_and_is_removed(tmp_path, damage):
    cache = AudioCache(tmp_path / "c")
    key = utterance_key(IDENTITY, "two")
    path = cache.put(key, tone(), RATE)
    blob = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(blob[: len(blob) // 2])
    elif damage == "flip":
        middle = len(blob) // 2
        path.write_bytes(blob[:middle] + bytes([blob[middle] ^ 0x40]) + blob[middle + 1 :])
    elif damage == "zeros":  # what a crash can leave on a filesystem without ordered writes
        path.write_bytes(b"\0" * len(blob))
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "wrong-key":  # a valid entry of another key copied under this name
        other = utterance_key(IDENTITY, "other")
        path.write_bytes(encode_entry(other, b"\1\0" * 100, RATE))
    elif damage == "plain-wav":  # a WAV without the checksum chunk
        with wave.open(str(path), "wb") as out:
            out.setnchannels(1), out.setsampwidth(2), out.setframerate(RATE)
            out.writeframes(b"\1\0" * 100)
    assert cache.get_pcm(key, RATE) is None
    assert not path.exists()
    cache.put(key, tone(freq=220), RATE)
    assert cache.get_pcm(key, RATE) is not None


def test_leftover_temp_file_of_a_killed_writer_is_never_read(tmp_path):
    cache = AudioCache(tmp_path / "c")
    key = utterance_key(IDENTITY, "three")
    cache.path(key).parent.mkdir(parents=True)
    half = encode_entry(key, b"\1\0" * 5000, RATE)[:4000]
    leftover = cache.path(key).parent / f".{key[:16]}.node7.4242.abcd.tmp"
    leftover.write_bytes(half)
    assert cache.get_pcm(key, RATE) is None and not cache.has(key)
    assert [p for p, _ in cache.temp_files()] == [leftover]


def test_first_complete_entry_wins_and_a_damaged_one_is_replaced(tmp_path):
    cache = AudioCache(tmp_path / "c")
    key = utterance_key(IDENTITY, "four")
    cache.put_pcm(key, b"\1\0" * 10, RATE)
    cache.put_pcm(key, b"\2\0" * 10, RATE)
    assert cache.get_pcm(key, RATE) == b"\1\0" * 10
    cache.path(key).write_bytes(b"garbage")
    cache.put_pcm(key, b"\3\0" * 10, RATE)
    assert cache.get_pcm(key, RATE) == b"\3\0" * 10
    assert not list(cache.temp_files())


def _writer(root: str, keys: list[str], marker: int, start, results) -> None:
    cache = AudioCache(root)
    start.wait()
    seen = {}
    for key in keys:
        cache.put_pcm(key, bytes([marker, 0]) * (2000 + marker), RATE)
        seen[key] = cache.get_pcm(key, RATE)
    results.put((marker, seen))


def test_concurrent_writers_of_the_same_keys_leave_a_consistent_cache(tmp_path):
    """Four processes write different audio for the same 60 keys at once: every reader sees one whole entry."""
    root = str(tmp_path / "c")
    keys = [utterance_key(IDENTITY, f"sentence {i}") for i in range(60)]
    context = multiprocessing.get_context("fork")
    start, results = context.Barrier(4), context.Queue()
    workers = [context.Process(target=_writer, args=(root, keys, marker, start, results)) for marker in (1, 2, 3, 4)]
    for worker in workers:
        worker.start()
    seen = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    cache = AudioCache(root)
    assert sorted(k for k, _, _ in cache.entries()) == sorted(keys)
    assert not list(cache.temp_files())
    for key in keys:
        final = cache.get_pcm(key, RATE)
        assert final is not None and final[0] in (1, 2, 3, 4)
        assert len(final) == 2 * (2000 + final[0])  # one writer's entry, whole
        # first writer wins: every writer read back the entry that stayed
        assert all(s[key] == final for _, s in seen)


# --- synthesis with the real Piper voice ----------------------------------------------------------
def test_synthesis_uses_the_cache_and_remakes_a_damaged_entry(tmp_path):
    chapter = tmp_path / "001.txt"
    chapter.write_text("The first sentence is here. The second one follows it.\n\nA new paragraph starts.\n")
    cache_dir = tmp_path / "cache"
    kwargs = dict(language="en", cache_dir=cache_dir, book_name="t")
    first = synthesize_chapter(
        chapter, "A Title", tmp_path / "a.wav", tmp_path / "a.txt", {}, **kwargs, keys_json=tmp_path / "a.keys.json"
    )
    assert (first.utterances, first.synthesized, first.cached) == (4, 4, 0)
    record = json.loads((tmp_path / "a.keys.json").read_text())
    assert len(record["keys"]) == 4 and record["synthesised"] == 4
    assert not (tmp_path / "a.keys.json.part").exists()

    again = synthesize_chapter(chapter, "A Title", tmp_path / "b.wav", tmp_path / "b.txt", {}, **kwargs)
    assert (again.synthesized, again.cached) == (0, 4) and again.load_seconds == 0.0  # model never loaded
    assert (tmp_path / "a.wav").read_bytes() == (tmp_path / "b.wav").read_bytes()

    AudioCache(cache_dir).path(record["keys"][2]).write_bytes(b"RIFF....broken")
    fixed = synthesize_chapter(chapter, "A Title", tmp_path / "c.wav", tmp_path / "c.txt", {}, **kwargs)
    assert (fixed.synthesized, fixed.cached) == (1, 3)


# --- cache_admin ----------------------------------------------------------------------------------
def _book(results: Path, book: str, chapter: str, keys: list[str], part: bool = False) -> None:
    speech = results / book / "speech"
    speech.mkdir(parents=True, exist_ok=True)
    name = f"{chapter}.keys.json" + (".part" if part else "")
    (speech / name).write_text(json.dumps({"format": "snakebook-cache-keys/1", "keys": keys}))


def test_stats_and_prune_keep_what_current_books_use(tmp_path, capsys):
    cache = AudioCache(tmp_path / "cache")
    keys = [utterance_key(IDENTITY, f"s{i}") for i in range(10)]
    for key in keys:
        cache.put_pcm(key, b"\1\0" * 100, RATE)
    results = tmp_path / "results"
    _book(results, "book-a", "001", keys[:3])
    _book(results, "book-a", "002", keys[2:5])
    _book(results, "book-b", "001", keys[5:6], part=True)  # a job still running
    old = time.time() - 7200
    for key in keys[:9]:
        os.utime(cache.path(key), (old, old))
    stale = cache.path(keys[0]).parent / f".{keys[0][:16]}.h.1.x.tmp"
    stale.write_bytes(b"half")
    os.utime(stale, (old, old))

    assert cache_admin(["stats", "--cache", str(cache.root), "--results", str(results), "--json", "--verify"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert (stats["entries"], stats["live_entries"], stats["unused_entries"], stats["damaged"]) == (10, 6, 4, 0)
    assert stats["temp_files"] == 1 and stats["manifests"] == 3
    assert stats["books"]["book-a"] == {"chapters": 2, "keys": 5, "cached": 5}

    assert cache_admin(["prune", "--cache", str(cache.root), "--results", str(results), "--dry-run", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["removed_entries"] == 3
    assert len(list(cache.entries())) == 10

    assert cache_admin(["prune", "--cache", str(cache.root), "--results", str(results), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["removed_entries"], result["kept_young"], result["removed_temp"]) == (3, 1, 1)
    assert sorted(k for k, _, _ in cache.entries()) == sorted(keys[:6] + keys[9:])
    assert all(cache.get_pcm(k, RATE) for k in keys[:6])

    prune_cache(cache, read_live_set([results]), min_age_s=0)
    assert sorted(k for k, _, _ in cache.entries()) == sorted(keys[:6])


def test_prune_refuses_without_any_book_records(tmp_path, capsys):
    cache = AudioCache(tmp_path / "cache")
    cache.put_pcm(utterance_key(IDENTITY, "x"), b"\1\0", RATE)
    assert (
        cache_admin(["prune", "--cache", str(cache.root), "--results", str(tmp_path / "nowhere"), "--min-age", "0"])
        == 2
    )
    assert "no book records" in capsys.readouterr().err
    assert len(list(cache.entries())) == 1
    assert (
        cache_admin(
            ["prune", "--cache", str(cache.root), "--results", str(tmp_path / "nowhere"), "--min-age", "0", "--all"]
        )
        == 0
    )
    assert not list(cache.entries())


def test_decode_rejects_trailing_garbage():
    key = utterance_key(IDENTITY, "y")
    blob = encode_entry(key, b"\1\0" * 8, RATE)
    assert decode_entry(key, blob) == (RATE, b"\1\0" * 8)
    with pytest.raises(ValueError):
        decode_entry(key, blob + b"xx")
