"""Work sharing between synthesis jobs (snakebook.sharing, claims in snakebook.cache).

Unit: a claim is exclusive while its holder lives, released claims and claims of dead or silent holders
are taken over, and which chapters a finished job helps. End to end (real Snakemake, real Piper): a book
of three uneven chapters on two cores, where a finished job must help; every sentence is synthesised
exactly once over all jobs, no claim is left behind, and each chapter WAV is byte for byte what a run
without sharing writes from the same cache.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from helpers import snakemake

from snakebook.cache import CLAIM_STALE_S, AudioCache
from snakebook.sharing import BookFolders, downstream_seconds, worth_helping

KEY = "ab" + "0" * 62


def test_a_claim_is_exclusive_until_released(tmp_path):
    mine, theirs = AudioCache(tmp_path), AudioCache(tmp_path)  # two jobs (here: one process) on one cache
    assert mine.claim(KEY)
    assert not theirs.claim(KEY)  # a live holder: the other job skips the sentence
    assert theirs.claimed(KEY) and not mine.claimed(KEY)  # "claimed" means: by someone else
    mine.release(KEY)
    assert not theirs.claimed(KEY)
    assert theirs.claim(KEY)
    theirs.release(KEY)
    assert not any((tmp_path / "claims").iterdir())


def test_a_claim_of_a_dead_process_is_taken_over(tmp_path):
    cache = AudioCache(tmp_path)
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # its pid is now free: a job killed while it held a claim
    cache.claim_path(KEY).parent.mkdir(parents=True)
    cache.claim_path(KEY).write_text(f"{os.uname().nodename} {child.pid} 0\n")
    assert not cache.claimed(KEY)
    assert cache.claim(KEY)
    cache.release(KEY)


def test_a_claim_nobody_touches_is_taken_over(tmp_path):
    cache = AudioCache(tmp_path)
    path = cache.claim_path(KEY)
    path.parent.mkdir(parents=True)
    path.write_text("some-other-node 4242 0\n")  # another host: its pid cannot be checked from here
    assert cache.claimed(KEY)  # fresh: its holder is working on it
    old = time.time() - CLAIM_STALE_S - 5
    os.utime(path, (old, old))  # a lost node stops touching its claims
    assert not cache.claimed(KEY)
    assert cache.claim(KEY)
    cache.release(KEY)


def test_which_chapters_a_finished_job_helps(tmp_path):
    folders = BookFolders(tmp_path / "chapters", tmp_path / "audio", tmp_path / "speech")
    for folder in (folders.chapters, folders.audio, folders.speech):
        folder.mkdir()
    for chapter in ("001", "002", "003", "004", "005"):
        (folders.chapters / f"{chapter}.txt").write_text("text\n")
    (folders.audio / "001.wav").write_bytes(b"")  # finished
    (folders.speech / "002.keys.json.part").write_text("{}")  # its chapter job runs
    (folders.speech / "003-1of2.keys.json.part").write_text("{}")  # a part job of 003 runs
    # 004 and 005 wait for a slot. Early in a book (as many waiting as slots): only the running ones.
    assert folders.to_help(exclude="002", slots=2) == ["003"]
    # At the end of a book (fewer waiting than slots), the waiting ones too.
    assert folders.to_help(exclude="002", slots=4) == ["003", "004", "005"]
    assert folders.unfinished() == ["002", "003", "004", "005"]
    # The engine's pace so far (for a job that made nothing itself, e.g. a split chapter's join), from the
    # finished manifests; a running one (.part) and one with no figures do not count.
    assert folders.engine_rtf() == 0.0
    (folders.speech / "001.keys.json").write_text(json.dumps({"engine_seconds": 30.0, "engine_audio_seconds": 200.0}))
    (folders.speech / "003-2of2.keys.json").write_text(json.dumps({"engine_seconds": 10, "engine_audio_seconds": 50}))
    (folders.speech / "006.keys.json").write_text(json.dumps({"keys": []}))
    assert folders.engine_rtf() == 40.0 / 250.0


def test_a_helper_stops_when_its_own_chapter_can_finish_beside_the_rest():
    """Ending with X seconds of work left, the book ends (left - X)/slots + max(downstream, X/(slots-1)) from
    now: least at X = downstream * (slots - 1), where the rule stops helping."""

    def book_end(left, downstream, slots, stop_at):
        return (left - stop_at) / slots + max(downstream, stop_at / (slots - 1))

    for left, downstream, slots in ((120, 20, 2), (300, 19, 2), (200, 15, 4)):
        best = min(range(0, left + 1), key=lambda x: book_end(left, downstream, slots, x))
        assert best == downstream * (slots - 1)
        assert worth_helping(best + 1, downstream, slots) and not worth_helping(best, downstream, slots)
    assert worth_helping(5, 0.0, 2)  # ending would start nothing (e.g. another part of its chapter still runs)
    assert worth_helping(5, 20, 1)  # one slot: nobody else to finish the rest
    assert downstream_seconds(0) == 0 and 18 < downstream_seconds(34 * 60) < 28  # the Carol: 3 s join, 18 s encode


SENTENCES = [
    "The old miller walked to the market before breakfast, as he had done for forty years.",
    "A quiet student wrote a long letter in the rain and forgot to post it.",
    "The baker's daughter repaired the fence after the storm, whistling all the while.",
    "Our neighbour counted the sheep late in the evening and always came to a different number.",
]


def write_uneven_book(path: Path) -> Path:
    chapters = []
    for number, paragraphs in (("I", 6), ("II", 2), ("III", 2)):  # one long chapter, two short ones
        body = "\n\n".join(
            " ".join(SENTENCES[(i + j) % 4] for j in range(2)) + f" Part {i}." for i in range(paragraphs)
        )
        chapters.append(f"CHAPTER {number}. The {number}\n\n{body}")
    path.write_text("Uneven\n\nby Test Author\n\n\n\n" + "\n\n\n\n".join(chapters) + "\n", encoding="utf-8")
    return path


def test_finished_jobs_help_and_nothing_is_made_twice(tmp_path):
    source = write_uneven_book(tmp_path / "uneven.txt")
    cache = tmp_path / "cache"
    config = {"books": [{"path": str(source), "name": "uneven"}], "cache_dir": str(cache)}
    shared = tmp_path / "shared"
    shared.mkdir()
    snakemake(shared, "--cores", "2", "results/uneven/qa.tsv", config=config)  # the chapters, not the m4b
    results = shared / "results" / "uneven"
    logs = "".join(path.read_text() for path in sorted((results / "logs" / "synthesize").glob("*.log")))
    helped = sum(int(n) for n in re.findall(r"helped other chapters with (\d+) sentences", logs))
    assert helped > 0, "a job that finished first should have helped the chapters still to do"
    manifests = [json.loads(path.read_text()) for path in sorted((results / "speech").glob("*.keys.json"))]
    assert len(manifests) == 3
    unique = set().union(*(m["keys"] for m in manifests))
    made_by_chapter_jobs = sum(m["synthesised"] for m in manifests)
    assert made_by_chapter_jobs + helped == len(unique)  # every sentence made once, by one job
    assert len(list(cache.glob("??/*.wav"))) == len(unique)
    assert not list((cache / "claims").iterdir())  # every claim released

    alone = tmp_path / "alone"  # the same book, sharing off, from the same cache: the same bytes
    alone.mkdir()
    snakemake(alone, "--cores", "1", "results/uneven/qa.tsv", config={**config, "synthesis": {"share": False}})
    for chapter in ("001", "002", "003"):
        wav = f"results/uneven/audio/{chapter}.wav"
        assert (shared / wav).read_bytes() == (alone / wav).read_bytes()


def test_prune_removes_claims_left_by_killed_jobs(tmp_path):
    from snakebook.cache_admin import prune_cache

    cache = AudioCache(tmp_path)
    path = cache.claim_path(KEY)
    path.parent.mkdir(parents=True)
    path.write_text("some-other-node 4242 0\n")
    assert prune_cache(cache, None, min_age_s=3600).removed_temp == 0  # young: maybe a running job's
    old = time.time() - 7200
    os.utime(path, (old, old))
    assert prune_cache(cache, None, min_age_s=3600).removed_temp == 1
    assert not path.exists()
