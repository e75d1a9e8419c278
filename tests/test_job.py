"""Shell entry of the rule scripts (snakebook.job): the command line rebuilds what a script reads from `snakemake`."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest
from helpers import ROOT, ffprobe

from snakebook.audio.loudness import measure
from snakebook.errors import SnakebookError
from snakebook.job import JOB_CONFIG_ENV, JOB_CONFIG_KEYS, job_config, parse_job

RULES = "\n".join(path.read_text() for path in sorted((ROOT / "rules").glob("*.smk")))


def job_rules() -> dict[str, list[str]]:
    """{rule: the fields of its job_shell(...)} for every rule run through snakebook.job."""
    found = {}
    for name, body in re.findall(r"^(?:rule|checkpoint) (\w+):\n((?:    .*\n|\n)+)", RULES, re.MULTILINE):
        call = re.search(r"^    shell:\n        job_shell\(([^)]*)\)", body, re.MULTILINE)
        if call:
            rule, *fields = re.findall(r'"([^"]+)"', call.group(1))
            assert rule == name, f"rule {name} runs scripts/{rule}.py"
            found[name] = fields
    return found


def test_the_hot_rules_run_without_snakemakes_script_wrapper():
    assert {"synthesize_chapter", "synthesize_part", "encode_chapter", "assemble_audiobook"} <= set(job_rules())
    assert "rule measure_loudness" not in RULES  # folded into encode_chapter
    assert not (ROOT / "scripts" / "measure_loudness.py").exists()


@pytest.mark.parametrize("rule", sorted(job_rules()))
def test_every_value_a_rule_script_reads_is_on_its_command_line(rule):
    fields = {field.removesuffix("+") for field in job_rules()[rule]}
    fields |= {f"config.{key}" for key in JOB_CONFIG_KEYS}  # from the environment (snakebook.job)
    script = (ROOT / "scripts" / f"{rule}.py").read_text()
    reads = {f"{section}.{name}" for section, name in re.findall(r"snakemake\.(\w+)\.(\w+)", script)}
    reads = {read for read in reads if not read.startswith("config.")}  # config.get("key"): below
    reads |= {f"config.{key}" for key in re.findall(r"snakemake\.config(?:\.get\(|\[)\"(\w+)\"", script)}
    reads |= {section for section in re.findall(r"snakemake\.(\w+)\[", script) if section != "config"}
    reads |= {"threads"} if "snakemake.threads" in script else set()
    assert reads, rule
    missing = sorted(read for read in reads if read not in fields and read.split(".")[0] not in fields)
    assert not missing, f"rule {rule}: scripts/{rule}.py reads {missing}; add them to its job_shell(...)"


def test_config_keys_come_from_the_environment_snakemake_sets(monkeypatch):
    monkeypatch.setenv(JOB_CONFIG_ENV, job_config({"qa": None, "cache_dir": "/c", "books": ["a.epub"]}))
    job = parse_job(["synthesize_chapter"])
    assert job.config.get("qa") is None and job.config["cache_dir"] == "/c" and job.config["synthesis"] is None
    with pytest.raises(SnakebookError, match="books"):  # a key jobs do not get: never a silent default
        job.config.get("books")
    monkeypatch.delenv(JOB_CONFIG_ENV)
    with pytest.raises(SnakebookError, match=JOB_CONFIG_ENV):
        parse_job(["qa_book"]).config.get("qa")


def test_command_line_rebuilds_the_snakemake_object():
    sound = {"engine": "espeak", "pauses": {"sentence": 350}, "speaker_wav": [], "model": None}
    job = parse_job(
        [
            "synthesize_chapter",
            "--input.text",
            "results/b/chapters/001.txt",
            "--input.wavs+",
            "a.wav",
            "b.wav",
            "--input.cover+",
            "--output",
            "out.m4a",
            "--log",
            "logs/x.log",
            "--params.sound",
            repr(sound),
            "--params.root",
            repr("results/library"),
            "--threads",
            "2",
            "--wildcards.book",
            "b",
        ]
    )
    assert job.rule == "synthesize_chapter" and job.input.text == "results/b/chapters/001.txt"
    assert job.input.wavs == ["a.wav", "b.wav"] and job.input.cover == []
    assert job.input == ["results/b/chapters/001.txt", "a.wav", "b.wav"]  # all inputs by position, as Snakemake's
    assert job.output[0] == "out.m4a" and job.log[0] == "logs/x.log"
    assert job.params.sound == sound and job.params.root == "results/library"
    assert job.threads == 2 and job.wildcards.book == "b"
    with pytest.raises(AttributeError, match="wildcards.part"):
        _ = job.wildcards.part


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--input.text", "a"], "usage"),
        (["encode_chapter", "stray"], "before any --field"),
        (["encode_chapter", "--input.wav", "a.wav", "b.wav"], "takes one value"),
        (["encode_chapter", "--params.encode", "{'format': m4b}"], "not a Python literal"),
        (["encode_chapter", "--resources.mem_mb", "5"], "unknown field"),
    ],
)
def test_a_bad_command_line_is_one_clear_error(argv, message):
    with pytest.raises(SnakebookError, match=message):
        parse_job(argv)


@pytest.mark.skipif(not shutil.which("espeak-ng"), reason="espeak-ng is not installed")
def test_encode_job_measures_loudness_and_encodes_without_importing_snakemake(tmp_path):
    """scripts/job.py encode_chapter as the rule's shell: runs it: one job measures, logs the record and encodes."""
    raw, wav = tmp_path / "raw.wav", tmp_path / "001.wav"
    subprocess.run(["espeak-ng", "-a", "40", "-w", str(raw), "A quiet sentence, spoken far under the target."])
    subprocess.run(["ffmpeg", "-loglevel", "error", "-i", str(raw), "-ar", "22050", "-ac", "1", str(wav)], check=True)
    out, log = tmp_path / "001.m4a", tmp_path / "logs" / "001.m4a.log"
    encode = {"format": "m4b", "options": {}, "loudness": {"target": -19.0, "true_peak": -1.5}}
    argv = ["encode_chapter", "--input.wav", str(wav), "--output", str(out), "--log", str(log)]
    argv += ["--params.encode", repr(encode), "--wildcards.book", "quiet"]
    # `python -X importtime scripts/job.py ...`, as the rule's shell: runs it; stderr names every module imported.
    command = [sys.executable, "-X", "importtime", str(ROOT / "scripts" / "job.py"), *argv]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    modules = {line.split("|")[-1].strip().split(".")[0] for line in result.stderr.splitlines() if "|" in line}
    assert "snakebook" in modules
    heavy = modules & {"snakemake", "numpy", "PIL", "pygal", "langdetect"}
    assert not heavy, heavy
    record = json.loads(re.search(r"loudness (\{.*\})$", log.read_text(), re.MULTILINE).group(1))
    assert record["integrated"] < -25 and record["target"] == -19.0  # espeak-ng at amplitude 40: far under
    assert record["plan"]["gain_db"] >= -19.0 - record["integrated"]  # (plus what a limiter takes, added back)
    assert abs(measure(out).integrated - -19.0) <= 1.0  # the one gain was applied in the encode
    assert float(ffprobe(out)["format"]["duration"]) > 1.0
