"""The whole pipeline through profiles/slurm on a real SLURM controller (started by .ci/start-slurm.sh).

profiles/slurm is used as it is, with only what differs on the test cluster set: partition and account,
CPUs and memory per synthesis job that fit one small machine, and quick status polling. Asserts that every
chapter's synthesis ran inside a SLURM job that Snakemake submitted with sbatch, that the job was given a gres
GPU (SLURM's record of the job, and CUDA_VISIBLE_DEVICES inside it), and that the m4b is valid.

Skipped where no controller answers, except in CI (CI=true), where it must run.
Test cluster settings: SNAKEBOOK_SLURM_PARTITION (debug), SNAKEBOOK_SLURM_ACCOUNT (local).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from helpers import ROOT, ffprobe, short_book_entry, snakemake

from snakebook import cluster
from snakebook.errors import SnakebookError

pytestmark = [pytest.mark.slurm, pytest.mark.slow]
BOOK = "alice-short"
PARTITION = os.environ.get("SNAKEBOOK_SLURM_PARTITION", "debug")
ACCOUNT = os.environ.get("SNAKEBOOK_SLURM_ACCOUNT", "local")


def require_cluster() -> None:
    """Skip (fail in CI) unless the executor plugin is installed and a SLURM controller answers."""
    try:
        cluster.preflight("slurm")
    except SnakebookError as error:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the SLURM test, but: {error}")
        pytest.skip(f"no usable SLURM cluster here (start one with `bash .ci/start-slurm.sh`): {error}")


def accounting_works() -> bool:
    """sacct needs slurmdbd; without it the plugin must poll squeue (start-slurm.sh's default, WITH_DBD=0)."""
    if shutil.which("sacct") is None:
        return False
    result = subprocess.run(["sacct", "-n", "-X", "-S", "now-1minutes"], capture_output=True, text=True, timeout=30)
    return result.returncode == 0


def status_env(tmp_path: Path) -> dict:
    """Without slurmdbd, a PATH without `sacct` (the rest of the SLURM tools kept).

    The plugin falls back from `squeue` to `sacct` whenever `scontrol show config` does not answer within its
    10 s (a busy machine), and with accounting off `sacct` never reports a job: the run would wait for ever.
    """
    if accounting_works() or shutil.which("sacct") is None:
        return {}
    folder = tmp_path / "bin-without-sacct"
    folder.mkdir(exist_ok=True)
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        if not os.path.isdir(directory):
            continue
        for entry in os.scandir(directory):
            target = folder / entry.name
            if entry.name != "sacct" and not target.exists() and not target.is_symlink():
                target.symlink_to(entry.path)
    return {"PATH": str(folder)}


def shipped_profile(tmp_path: Path, **changes) -> dict:
    """profiles/slurm as shipped, with the test cluster's partition and account, quick polling, and ``changes``."""
    settings = yaml.safe_load((ROOT / "profiles" / "slurm" / "config.yaml").read_text())
    settings["default-resources"].update(slurm_partition=PARTITION, slurm_account=ACCOUNT)
    settings.update({"latency-wait": 5, "slurm-init-seconds-before-status-checks": 1})
    if not accounting_works():
        settings["slurm-status-command"] = "squeue"
    settings.update(changes)
    return settings


def write_profile(tmp_path: Path, settings: dict) -> Path:
    path = tmp_path / "profile.yaml"
    path.write_text(yaml.safe_dump(settings, sort_keys=False))
    return path


def slurm_test_profile(tmp_path: Path) -> Path:
    settings = yaml.safe_load((ROOT / "profiles" / "slurm" / "config.yaml").read_text())
    settings["default-resources"].update(slurm_partition=PARTITION, slurm_account=ACCOUNT)
    # The test node: a few CPUs and two fake GPUs; keep the GPU request (gpu: 1) as it is.
    for rule in ("synthesize_chapter", "synthesize_part"):
        settings["set-resources"][rule].update(cpus_per_gpu=1, mem_mb=1000, runtime=20)
    settings.update(
        {"jobs": 4, "latency-wait": 5, "slurm-init-seconds-before-status-checks": 1, "slurm-keep-successful-logs": True}
    )
    if not accounting_works():
        settings["slurm-status-command"] = "squeue"
    path = tmp_path / "profile.yaml"
    path.write_text(yaml.safe_dump(settings, sort_keys=False))
    return path


def scontrol_job(job_id: str) -> dict[str, str]:
    out = subprocess.run(
        ["scontrol", "show", "job", "--oneliner", job_id], capture_output=True, text=True, timeout=30
    ).stdout
    return dict(field.split("=", 1) for field in out.split() if "=" in field)


def sacct_tres(job_id: str) -> str:
    return subprocess.run(
        ["sacct", "-X", "-n", "-P", "-j", job_id, "--format=AllocTRES"], capture_output=True, text=True, timeout=30
    ).stdout


def test_pipeline_through_slurm(tmp_path, shared_cache):
    require_cluster()
    accounting = accounting_works()
    workdir = tmp_path / "work"
    workdir.mkdir()
    started = time.monotonic()
    result = snakemake(
        workdir,
        "--workflow-profile",
        str(slurm_test_profile(tmp_path)),
        config={"books": [short_book_entry()], "cache_dir": str(shared_cache)},
        timeout=1500,
        env=status_env(tmp_path),
    )
    wall = time.monotonic() - started
    output = result.stdout + result.stderr

    submitted = re.findall(r"has been submitted with SLURM jobid (\d+)", output)
    assert submitted, output[-3000:]
    print(f"SLURM test: {len(submitted)} jobs submitted with sbatch, wall time {wall:.0f} s")

    # Every chapter was synthesised inside one of those SLURM jobs, on a gres GPU.
    logs = sorted((workdir / "results" / BOOK / "logs" / "synthesize").glob("*.log"))
    chapters = sorted((workdir / "results" / BOOK / "chapters").glob("*.txt"))
    assert len(logs) == len(chapters) == 3
    for log in logs:
        text = log.read_text()
        placement = re.search(r"job placement: host=\S+ .*SLURM_JOB_ID=(\S+) CUDA_VISIBLE_DEVICES=(\S+)", text)
        assert placement, f"{log.name}: no job placement line:\n{text[:2000]}"
        job_id, gpus = placement.groups()
        assert job_id in submitted, f"{log.name}: ran in job {job_id}, not one Snakemake submitted ({submitted})"
        assert re.fullmatch(r"\d+(,\d+)*", gpus), f"{log.name}: no GPU inside the job (CUDA_VISIBLE_DEVICES={gpus})"
        record = scontrol_job(job_id)
        assert record.get("JobState") == "COMPLETED", record
        assert record.get("Partition") == PARTITION, record
        requested = record.get("TresPerJob", "") + record.get("TresPerNode", "")
        assert "gres:gpu:1" in requested or "gres/gpu" in requested, f"job {job_id} asked for no GPU: {record}"
        if accounting:  # the accounting record too (a cluster with slurmdbd: WITH_DBD=1)
            assert "gres/gpu=1" in sacct_tres(job_id), f"sacct: job {job_id} was allocated no GPU"

    # Extraction and assembly went through SLURM too (small CPU jobs, no GPU).
    for rule in ("extract_book", "assemble_audiobook"):
        rule_logs = list((workdir / ".snakemake" / "slurm_logs" / f"rule_{rule}").rglob("*.log"))
        assert rule_logs, f"no SLURM log of {rule}"
        assert all(path.stem in submitted for path in rule_logs)

    info = ffprobe(workdir / "results" / BOOK / f"{BOOK}.m4b")
    assert len(info["chapters"]) == 3
    assert info["streams"][0]["codec_name"] == "aac"
    assert float(info["format"]["duration"]) > 60


# ---- what SLURM would refuse: stopped before submitting, with the rule, the resource and the profile line -------


def node_cpus() -> int:
    out = subprocess.run(
        ["sinfo", "-h", "-N", "-p", PARTITION, "-o", "%c"], capture_output=True, text=True, timeout=30
    ).stdout.split()
    return max(int(value.rstrip("+")) for value in out)


def test_shipped_profile_on_small_nodes_says_which_line_to_edit(tmp_path):
    """The profile as shipped asks 4 CPUs per GPU; the test node has fewer: one paragraph, nothing submitted."""
    require_cluster()
    cpus = node_cpus()
    if cpus >= 4:
        pytest.skip(f"the test node has {cpus} CPUs (start the cluster with FAKE_CPUS=2 to see this refusal)")
    profile = write_profile(tmp_path, shipped_profile(tmp_path))
    workdir = tmp_path / "work"
    workdir.mkdir()
    result = snakemake(
        workdir,
        "--workflow-profile",
        str(profile),
        config={"books": [short_book_entry()]},
        check=False,
        timeout=300,
        env=status_env(tmp_path),
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    message = next((line for line in output.splitlines() if line.startswith("SLURM would refuse")), "")
    assert "synthesize_chapter" in message and f"partition '{PARTITION}'" in message, output[-3000:]
    assert "4 CPUs" in message and f"has {cpus}" in message
    assert f"`cpus_per_gpu: 4` under `set-resources: synthesize_chapter:` in {profile}" in message
    assert "has been submitted" not in output and "Traceback" not in output


def test_memory_beyond_the_largest_node(tmp_path):
    require_cluster()
    settings = shipped_profile(tmp_path)
    for rule in ("synthesize_chapter", "synthesize_part"):
        settings["set-resources"][rule].update(cpus_per_gpu=1)
    settings["set-resources"]["synthesize_chapter"]["mem_mb"] = 10_000_000
    workdir = tmp_path / "work"
    workdir.mkdir()
    result = snakemake(
        workdir,
        "--workflow-profile",
        str(write_profile(tmp_path, settings)),
        config={"books": [short_book_entry()]},
        check=False,
        timeout=300,
        env=status_env(tmp_path),
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "asks for 10000000 MB of memory per job" in output and "`mem_mb: 10000000`" in output, output[-3000:]
    assert "has been submitted" not in output
