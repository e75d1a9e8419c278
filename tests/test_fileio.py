"""The one way files reach their final name: atomic, optionally durable, optionally never replacing."""

from __future__ import annotations

import os

import pytest

from snakebook.audio.wav import WavWriter
from snakebook.cache import AudioCache
from snakebook.fileio import atomic_path, atomic_write, is_temporary, load_yaml, write_json, write_text


def test_a_failed_block_leaves_neither_the_file_nor_a_temporary(tmp_path):
    target = tmp_path / "sub" / "out.txt"
    with pytest.raises(RuntimeError), atomic_write(target) as handle:
        handle.write("half")
        raise RuntimeError("killed")
    assert not target.exists() and list((tmp_path / "sub").iterdir()) == []
    write_text(target, "whole", durable=True)
    assert target.read_text() == "whole"


def test_temporary_names_keep_the_suffix_and_are_recognised(tmp_path):
    with atomic_path(tmp_path / "a.m4a") as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".m4a" and is_temporary(tmp.name)
        tmp.write_bytes(b"x")
    assert not is_temporary("a.m4a") and not is_temporary(".hidden")


def test_exclusive_never_replaces_an_existing_file(tmp_path):
    target = tmp_path / "entry.json"
    write_json(target, {"first": True})
    with pytest.raises(FileExistsError), atomic_write(target, exclusive=True) as handle:
        handle.write("second")
    assert target.read_text().startswith('{\n  "first": true')
    assert [p.name for p in tmp_path.iterdir()] == ["entry.json"]


def test_wav_writer_and_cache_use_the_shared_temporaries(tmp_path):
    writer = WavWriter(tmp_path / "c.wav", 16000)
    writer.write_silence(10)
    assert is_temporary(writer.part.name) and writer.part.parent == tmp_path
    writer.commit()
    assert [p.name for p in tmp_path.iterdir()] == ["c.wav"]
    cache = AudioCache(tmp_path / "cache")
    key = "ab" * 32
    cache.put_pcm(key, b"\x00\x00" * 100, 16000)
    leftover = cache.path(key).parent / f".{cache.path(key).name}.k1ll3d.part.wav"  # a killed writer's file
    leftover.write_bytes(b"junk")
    assert [p for p, _stat in cache.temp_files()] == [leftover]
    assert [k for k, _p, _s in cache.entries()] == [key]


def test_written_files_get_the_usual_mode_not_mkstemps_0600(tmp_path):
    old = os.umask(0o022)
    try:
        write_text(tmp_path / "out.txt", "x")
    finally:
        os.umask(old)
    assert (tmp_path / "out.txt").stat().st_mode & 0o777 == 0o644


def test_load_yaml_reads_as_safe_load_does_and_refuses_python_objects():
    import yaml

    text = "a: 1\nb: [x, 2.5, null, true]\nc: {d: 'é'}\nwhen: 2026-11-29\n"
    assert load_yaml(text) == yaml.safe_load(text)
    assert load_yaml(text.encode()) == yaml.safe_load(text)
    with pytest.raises(yaml.YAMLError):
        load_yaml("!!python/object/apply:os.system ['true']")
    with pytest.raises(yaml.YAMLError):
        load_yaml("a: [unclosed")
