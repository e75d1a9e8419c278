"""GPU pinning with a fake device list: concurrent jobs each get a distinct device, extra jobs wait."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from snakebook import gpu

# One "job": claim a GPU, report which and when, hold it for a while, exit (which frees the lock).
JOB = """
import json, os, sys, time
from snakebook.gpu import claim_gpu
asked = time.time()
slot = claim_gpu()
got = time.time()
print(json.dumps({{"device": slot.device, "visible": os.environ["CUDA_VISIBLE_DEVICES"], "waited": got - asked,
                  "got": got}}), flush=True)
time.sleep(float(sys.argv[1]))
print(json.dumps({{"released": time.time()}}), flush=True)
"""


def start_jobs(count: int, env: dict, hold: float) -> list[subprocess.Popen]:
    code = JOB.format()
    return [
        subprocess.Popen([sys.executable, "-c", code, str(hold)], stdout=subprocess.PIPE, text=True, env=env)
        for _ in range(count)
    ]


def finish(jobs: list[subprocess.Popen]) -> list[dict]:
    results = []
    for job in jobs:
        out, _ = job.communicate(timeout=60)
        assert job.returncode == 0
        lines = [json.loads(line) for line in out.splitlines()]
        results.append({**lines[0], **lines[1]})
    return results


@pytest.fixture
def fake_gpus(tmp_path, monkeypatch):
    env = dict(os.environ)
    env.pop("CUDA_VISIBLE_DEVICES", None)
    env.pop("SLURM_JOB_ID", None)
    env["SNAKEBOOK_GPUS"] = "0,1,2"
    env["SNAKEBOOK_GPU_LOCK_DIR"] = str(tmp_path / "locks")
    return env


def test_concurrent_jobs_each_pin_a_distinct_device(fake_gpus):
    results = finish(start_jobs(3, fake_gpus, hold=2.0))
    assert sorted(r["device"] for r in results) == ["0", "1", "2"]
    assert all(r["visible"] == r["device"] for r in results)  # CUDA_VISIBLE_DEVICES narrowed to the claim
    assert all(r["waited"] < 1.5 for r in results)


def test_a_job_beyond_the_device_count_waits_for_a_free_device(fake_gpus):
    fake_gpus["SNAKEBOOK_GPUS"] = "0,1"
    results = finish(start_jobs(4, fake_gpus, hold=2.0))
    first, later = sorted(results, key=lambda r: r["got"])[:2], sorted(results, key=lambda r: r["got"])[2:]
    assert sorted(r["device"] for r in first) == ["0", "1"]
    # every later job got its device only after some earlier job had released that very device
    for job in later:
        released = min(r["released"] for r in first if r["device"] == job["device"])
        assert job["got"] >= released - 0.05
    # and no two jobs ever held the same device at once
    for a in results:
        for b in results:
            if a is not b and a["device"] == b["device"]:
                assert a["released"] <= b["got"] + 0.05 or b["released"] <= a["got"] + 0.05


def test_visible_devices_precedence_and_parsing():
    assert gpu.visible_devices({"SNAKEBOOK_GPUS": "2, 3", "CUDA_VISIBLE_DEVICES": "0"}) == ["2", "3"]
    assert gpu.visible_devices({"CUDA_VISIBLE_DEVICES": "GPU-aaa,GPU-bbb"}) == ["GPU-aaa", "GPU-bbb"]
    assert gpu.visible_devices({"CUDA_VISIBLE_DEVICES": ""}) == []
    assert gpu.visible_devices({"CUDA_VISIBLE_DEVICES": "-1"}) == []


def test_under_slurm_the_locks_are_per_slurm_job(tmp_path):
    a = gpu.lock_dir({"SLURM_JOB_ID": "101"})
    b = gpu.lock_dir({"SLURM_JOB_ID": "102"})
    assert a != b and "slurm101" in a.name
    assert gpu.lock_dir({"SNAKEBOOK_GPU_LOCK_DIR": str(tmp_path)}) == tmp_path


def test_slurm_assigned_device_is_used_as_is(fake_gpus):
    # The scheduler's CUDA_VISIBLE_DEVICES (here a single GPU UUID) is the list; the job keeps that device.
    fake_gpus.pop("SNAKEBOOK_GPUS")
    fake_gpus["CUDA_VISIBLE_DEVICES"] = "GPU-1234"
    fake_gpus["SLURM_JOB_ID"] = "77"
    results = finish(start_jobs(1, fake_gpus, hold=0.1))
    assert results[0]["device"] == results[0]["visible"] == "GPU-1234"


def test_claim_in_process_is_idempotent_and_releasable(monkeypatch, tmp_path):
    monkeypatch.setenv("SNAKEBOOK_GPUS", "5")
    monkeypatch.setenv("SNAKEBOOK_GPU_LOCK_DIR", str(tmp_path))
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "5,6")  # restored by monkeypatch afterwards
    try:
        slot = gpu.claim_gpu()
        assert slot.device == "5" and os.environ["CUDA_VISIBLE_DEVICES"] == "5"
        assert gpu.claim_gpu().device == "5"
        started = time.monotonic()
        other = subprocess.run(
            [
                sys.executable,
                "-c",
                "from snakebook.gpu import claim_gpu\n"
                "try:\n    claim_gpu(wait_seconds=0.6, poll=0.1)\nexcept TimeoutError as e:\n    print('timeout', e)",
            ],
            capture_output=True,
            text=True,
            env={**os.environ},
            timeout=60,
        )
        assert "timeout every GPU (5) stayed claimed" in other.stdout and time.monotonic() - started >= 0.6
    finally:
        gpu.release_gpu()
    assert not gpu._HELD
