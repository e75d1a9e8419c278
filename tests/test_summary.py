"""Run summaries (results/{book}/summary.json, results/summary.tsv) and the failure table at the end of a run."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys

import pytest
from helpers import job_counts, snakemake, write_tiny_epub, write_wav

from snakebook.failures import failure_table, parse_failures
from snakebook.summary import book_summary, clean_error, write_summaries

needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="needs espeak-ng (apt-get install espeak-ng)"
)

FRENCH = [
    (
        "Le premier jour",
        [
            "Le chat dort au soleil, pendant que le chien aboie dans la cour de la ferme.",
            "La fermière appelle les poules, qui courent vers elle en criant très fort.",
        ],
    ),
    (
        "Le second jour",
        [
            "Il pleut sur la ville depuis le matin, et les rues sont vides et grises.",
            "Le soir, le chat rentre à la maison et s'endort près du feu. Fin de l'histoire.",
        ],
    ),
]


def read_tsv(path):
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


@pytest.fixture(scope="module")
def library_with_a_broken_book(tmp_path_factory):
    """A real keep-going run: one good French book (espeak-ng) and one broken 'EPUB'."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("needs espeak-ng (apt-get install espeak-ng)")
    workdir = tmp_path_factory.mktemp("summary")
    good = write_tiny_epub(workdir / "petit.epub", FRENCH, language="fr", title="Le Petit Chat")
    broken = workdir / "broken.epub"
    broken.write_bytes(b"this is not a zip archive at all")
    config = {"books": [{"path": str(good), "engine": "espeak"}, str(broken)], "cache_dir": str(workdir / "cache")}
    result = snakemake(workdir, "--keep-going", config=config, check=False, env={"SNAKEBOOK_PROGRESS_SECONDS": "0"})
    return workdir, config, result


@pytest.mark.slow
def test_keep_going_run_ends_with_one_failure_table(library_with_a_broken_book):
    workdir, _config, result = library_with_a_broken_book
    assert result.returncode != 0
    output = result.stdout + result.stderr
    table = output[output.index("1 of 2 books failed") :]
    header, row = table.splitlines()[1:3]
    assert header.split() == ["book", "rule", "log", "reason"]
    assert row.split()[:3] == ["broken", "extract_book", "results/broken/logs/extract_book.log"]
    assert "not a valid ZIP/EPUB" in row and "Traceback" not in table
    assert (workdir / "results" / "petit" / "petit.m4b").exists()  # the other book is finished


@pytest.mark.slow
def test_summary_tsv_and_json_per_book_and_chapter(library_with_a_broken_book):
    workdir, *_ = library_with_a_broken_book
    rows = read_tsv(workdir / "results" / "summary.tsv")
    by_key = {(row["book"], row["chapter"]): row for row in rows}
    assert by_key[("broken", "all")]["state"] == "failed"
    assert by_key[("broken", "all")]["log"] == "results/broken/logs/extract_book.log"
    assert "not a valid ZIP/EPUB" in by_key[("broken", "all")]["error"]
    book = by_key[("petit", "all")]
    assert book["state"] == "done" and book["title"] == "Le Petit Chat"
    chapters = [row for row in rows if row["book"] == "petit" and row["chapter"] != "all"]
    info = json.loads((workdir / "results" / "petit" / "book.json").read_text())
    assert [row["title"] for row in chapters] == [c["title"] for c in info["chapters"]] and chapters
    for row in chapters:
        assert row["state"] == "done" and row["engine"] == "espeak" and row["voice"].startswith("fr")
        assert float(row["audio_seconds"]) > 1 and int(row["sentences"]) >= 3 and int(row["characters"]) > 20
        assert float(row["synthesis_seconds"]) > 0 and float(row["real_time_factor"]) > 0
        assert "espeak-ng=" in row["versions"] and "snakemake=" in row["versions"]
    total = sum(float(row["audio_seconds"]) for row in chapters)
    assert float(book["audio_seconds"]) == pytest.approx(total, abs=0.01)

    summary = json.loads((workdir / "results" / "petit" / "summary.json").read_text())
    assert summary["state"] == "done" and summary["chapters_done"] == summary["chapters_total"] == len(chapters)
    assert summary["language"] == "fr" and summary["audiobook"].endswith("petit.m4b")
    # the job log a user can `tail -f`: progress lines up to 100 %
    log = (workdir / "results" / "petit" / "logs" / "synthesize" / "001.log").read_text()
    assert "progress petit 001: " in log and "sentences (100%)" in log


@pytest.mark.slow
def test_rerun_from_the_cache_is_counted_as_cache_hits(library_with_a_broken_book):
    workdir, config, _result = library_with_a_broken_book
    (workdir / "results" / "petit" / "audio" / "001.wav").unlink()
    config = {**config, "books": config["books"][:1]}  # only the good book: this run succeeds
    result = snakemake(workdir, config=config)
    assert job_counts(result.stdout + result.stderr).get("synthesize_chapter") == 1
    rows = {row["chapter"]: row for row in read_tsv(workdir / "results" / "summary.tsv") if row["book"] == "petit"}
    assert rows["001"]["from_cache"] == rows["001"]["sentences"]
    assert rows["001"]["real_time_factor"] == ""  # the engine made nothing: no speed to show
    assert rows["all"]["state"] == "done"
    # the command line writes the same table, at any time
    listed = subprocess.run(
        [sys.executable, "-m", "snakebook.summary", str(workdir / "results")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert listed.splitlines()[0].startswith("book\tchapter\ttitle\tstate")
    assert f"petit\t001\t{rows['001']['title']}\tdone" in listed


SNAKEMAKE_LOG = """\
[Sun Nov 29 07:12:39 2026]
Error in rule synthesize_chapter:
    message: None
    jobid: 8
    input: results/moby/chapters/003.txt, results/moby/chapters/003.json
    output: results/moby/audio/003.wav, results/moby/speech/003.txt
    log: {log} (check log file(s) for error details)
    wildcards: book=moby, chapter=003
Logfile {log}:
================================================================================
Select jobs to execute...
Error in rule assemble_audiobook:
    jobid: 3
    output: results/alice/alice.m4b
    log: {other} (check log file(s) for error details)
Error in rule synthesize_chapter:
    jobid: 9
    log: {log2} (check log file(s) for error details)
    wildcards: book=moby, chapter=004
"""


def test_failures_are_read_from_the_snakemake_log_and_the_job_logs(tmp_path):
    log = tmp_path / "003.log"
    log.write_text(
        "2026-11-29 07:12:38,954 INFO progress moby 003: 3/9 sentences\n"
        "2026-11-29 07:12:38,954 ERROR ERROR moby: the voice 'x.onnx' speaks only 'en'\n"
    )
    text = SNAKEMAKE_LOG.format(log=log, other=tmp_path / "killed.log", log2=tmp_path / "004.log")
    failures = parse_failures(text)
    assert [(f.rule, f.book, f.chapter) for f in failures] == [
        ("synthesize_chapter", "moby", "003"),
        ("assemble_audiobook", "alice", None),
        ("synthesize_chapter", "moby", "004"),
    ]
    assert failures[0].reason == "moby: the voice 'x.onnx' speaks only 'en'"
    assert "without an error line" in failures[1].reason  # e.g. killed for memory: no ERROR line
    table = failure_table(failures, total_books=3).splitlines()
    assert table[0].startswith("2 of 3 books failed")
    assert table[1].split() == ["book", "rule", "log", "reason"]
    assert table[2].startswith("alice  assemble_audiobook")
    moby = table[3]
    assert moby.startswith("moby   synthesize_chapter 003")
    assert moby.endswith("the voice 'x.onnx' speaks only 'en' (+1 more failed jobs)")
    assert failure_table([], 3) == ""
    assert "--keep-going finishes the other books" in failure_table(failures, 3, keep_going=False)


def test_chapter_states_from_files(tmp_path):
    results = tmp_path / "results"
    book = results / "b"
    (book / "logs" / "synthesize").mkdir(parents=True)
    (book / "book.json").write_text(
        json.dumps(
            {
                "title": "B",
                "chapters": [
                    {"index": 1, "id": "001", "title": "One", "chars": 10},
                    {"index": 2, "id": "002", "title": "Two", "chars": 20},
                ],
            }
        )
    )
    (book / "logs" / "synthesize" / "001.log").write_text("2026-01-01 10:00:00,000 ERROR ERROR b: engine broke\n")
    summary = book_summary(results, "b", {"engine": "piper"})
    assert [c["state"] for c in summary["chapters"]] == ["failed", "pending"]
    assert summary["state"] == "failed" and summary["error"] == "b: engine broke"
    assert summary["chapters"][1]["engine"] == "piper"  # not synthesised yet: from the book's settings
    # a job killed without an ERROR line still fails its chapter when the run says it failed
    killed = str(book / "logs" / "synthesize" / "002.log")
    assert book_summary(results, "b", failed_logs=[killed])["chapters"][1]["state"] == "failed"
    # an unknown book (extraction never ran) is pending; the tsv has a row for it
    write_summaries(results, {"b": {}, "never": {"path": "x.epub"}})
    rows = read_tsv(results / "summary.tsv")
    assert [(r["book"], r["chapter"], r["state"]) for r in rows] == [
        ("b", "all", "failed"),
        ("b", "001", "failed"),
        ("b", "002", "pending"),
        ("never", "all", "pending"),
    ]
    assert clean_error("2026-01-01 10:00:00,000 ERROR ERROR b: two\tspaces") == "b: two spaces"


def test_a_book_whose_other_job_failed_is_failed(tmp_path):
    """Chapters done, m4b missing, and a job of the book that is not synthesis (e.g. loudness) failed in this run."""
    results = tmp_path / "results"
    book = results / "b"
    (book / "audio").mkdir(parents=True)
    (book / "speech").mkdir()
    (book / "book.json").write_text(json.dumps({"title": "B", "chapters": [{"index": 1, "id": "001", "title": "One"}]}))
    from helpers import write_wav

    write_wav(book / "audio" / "001.wav", [0.0] * 2205, 22050)
    (book / "speech" / "001.keys.json").write_text(json.dumps({"utterances": 2, "from_cache": 2, "engine": "piper"}))
    assert book_summary(results, "b")["state"] == "pending"
    failed = "results/b/logs/loudness/001.log"
    (book / "logs" / "loudness").mkdir(parents=True)
    (book / "logs" / "loudness" / "001.log").write_text("2026-01-01 10:00:00,000 ERROR ERROR b: no loudness\n")
    summary = book_summary(results, "b", failed_logs=[str(tmp_path / failed)])
    assert summary["state"] == "failed" and summary["error"] == "b: no loudness"
    assert summary["chapters"][0]["state"] == "done" and summary["chapters"][0]["audio_seconds"] == 0.1
    group = parse_failures("Error in group chapter:\n    jobs: 3\n    log: results/b/logs/synthesize/001.log\n")
    assert [(f.rule, f.book) for f in group] == [("group chapter", "b")]


def test_a_failed_encode_fails_its_chapter_until_its_output_exists(tmp_path):
    results = tmp_path / "results"
    book = results / "b"
    (book / "logs" / "encode").mkdir(parents=True)
    (book / "book.json").write_text(json.dumps({"title": "B", "chapters": [{"index": 1, "id": "001", "title": "One"}]}))
    (book / "logs" / "encode" / "001.mp3.log").write_text("2026-01-01 10:00:00,000 ERROR ERROR b: lame broke\n")
    chapter = book_summary(results, "b")["chapters"][0]
    assert chapter["state"] == "failed" and chapter["log"].endswith("encode/001.mp3.log")
    (book / "encoded").mkdir()
    (book / "encoded" / "001.mp3").write_bytes(b"ID3")  # a later run made it: the old log no longer counts
    assert book_summary(results, "b")["chapters"][0]["state"] == "pending"


def test_an_unchanged_book_reuses_its_summary_and_any_change_rereads_it(tmp_path):
    """The end of a no-op run over a large library reads no WAV, keys file or log of an unchanged book."""
    results = tmp_path / "results"
    book = results / "b"
    (book / "audio").mkdir(parents=True)
    (book / "speech").mkdir()
    (book / "book.json").write_text(json.dumps({"title": "B", "chapters": [{"index": 1, "id": "001", "chars": 5}]}))
    write_wav(book / "audio" / "001.wav", [0.0] * 22050, 22050)
    (book / "speech" / "001.keys.json").write_text(json.dumps({"utterances": 3, "engine": "espeak"}))
    (book / "b.m4b").write_bytes(b"m4b")
    first = write_summaries(results, {"b": {}})[0]
    assert first["state"] == "done" and first["chapters"][0]["audio_seconds"] == 1.0
    # mark the stored summary: a reused summary keeps the mark, a re-read one does not
    stored = json.loads((book / "summary.json").read_text())
    (book / "summary.json").write_text(json.dumps({**stored, "title": "from the stored summary"}))
    assert write_summaries(results, {"b": {}})[0]["title"] == "from the stored summary"
    assert read_tsv(results / "summary.tsv")[0]["title"] == "from the stored summary"
    # a failed job of the book in this run, other settings, a removed chapter WAV: read again
    failed = str(book / "logs" / "encode" / "001.m4a.log")
    assert write_summaries(results, {"b": {}}, failed_logs=[failed])[0]["title"] == "B"
    (book / "summary.json").write_text(json.dumps({**stored, "title": "from the stored summary"}))
    assert write_summaries(results, {"b": {"engine": "piper"}})[0]["title"] == "B"
    (book / "summary.json").write_text(json.dumps({**stored, "title": "from the stored summary"}))
    (book / "audio" / "001.wav").unlink()
    again = write_summaries(results, {"b": {}})[0]
    assert again["title"] == "B" and again["state"] == "pending"
    assert again["chapters"][0]["state"] == "pending"
