"""profiles/ssh through a real OpenSSH server (started by .ci/start-sshd.sh on 127.0.0.1).

Two "workstations" are two aliases of one sshd in a throw-away ssh config (ws1 with 2 fake GPUs, ws2 with 1),
so every job really goes through ssh: the remote side logs its SSH_CONNECTION. The filesystem is shared by
construction (the same machine), which is what profiles/ssh needs.

Skipped where no sshd answers, except in CI (CI=true), where it must run.
The server: SNAKEBOOK_TEST_SSHD (default /tmp/snakebook-sshd, the BASE of .ci/start-sshd.sh).
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import ROOT, ffprobe, short_book_entry, snakemake_command, snakemake_env, wait_for

from snakebook import cluster
from snakebook.errors import SnakebookError

pytestmark = pytest.mark.ssh
PROFILE = ROOT / "profiles" / "ssh"
SSHD = Path(os.environ.get("SNAKEBOOK_TEST_SSHD", "/tmp/snakebook-sshd"))
BOOK = "alice-short"
HOSTS = "ws1 2\nws2 1\n"


@pytest.fixture(scope="module")
def ssh_config() -> Path:
    """The test server's ssh config (aliases ws1, ws2), or skip (fail in CI) when no server answers."""
    config = SSHD / "ssh_config"
    why = None
    if not config.is_file():
        why = f"no {config}"
    elif not cluster.executor_plugin_installed("cluster-generic"):
        why = "the cluster-generic executor plugin is not installed (make slurm)"
    else:
        result = subprocess.run(["ssh", "-F", str(config), "ws1", "true"], capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            why = f"`ssh -F {config} ws1 true` fails: {result.stderr.strip()}"
    if why:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the ssh tests (.ci/run starts the sshd), but: {why}")
        pytest.skip(f"no test sshd here (start one with `bash .ci/start-sshd.sh`): {why}")
    return config


def dead_config(tmp_path: Path, live: Path) -> Path:
    """A copy of the ssh config whose aliases point at a closed port on 127.0.0.1: workstations switched off."""
    path = tmp_path / "ssh_config_dead"
    path.write_text(re.sub(r"(?m)^(\s*Port)\s+\d+", r"\1 9", live.read_text()))
    return path


def env_for(tmp_path: Path, config: Path, hosts: str = HOSTS) -> dict:
    (tmp_path / "hosts").write_text(hosts)
    return {
        **os.environ,
        "SNAKEBOOK_HOSTS": str(tmp_path / "hosts"),
        "SNAKEBOOK_SSH_CONFIG": str(config),
        "SNAKEBOOK_SSH_TIMEOUT": "5",
    }


def script(name: str, *args: str, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(PROFILE / name), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def placements(folder: Path) -> list[dict]:
    """The job wrapper's placement/end lines of every job in .snakemake/ssh (one dict per job)."""
    jobs = []
    for log in sorted(folder.glob("*.log")):
        text = log.read_text()
        start = re.search(r"job placement: workstation=(\S+) host=\S+ ssh=(\S+) gpu_slot=(\S+) start=(\S+)", text)
        end = re.search(r"job end: workstation=\S+ gpu_slot=\S+ end=(\S+) exit=(\d+)", text)
        if start:
            jobs.append(
                {
                    "log": log.name,
                    "workstation": start[1],
                    "ssh": start[2],
                    "slot": start[3],
                    "start": float(start[4]),
                    "end": float(end[1]) if end else None,
                    "exit": int(end[2]) if end else None,
                }
            )
    return jobs


def assert_slots_distinct_and_released(jobs: list[dict]) -> None:
    gpu_jobs = [job for job in jobs if job["slot"] != "-"]
    for a in gpu_jobs:
        assert a["end"] is not None, f"{a['log']} never ended"
        for b in gpu_jobs:
            if a is not b and (a["workstation"], a["slot"]) == (b["workstation"], b["slot"]):
                assert a["end"] <= b["start"] or b["end"] <= a["start"], f"GPU slot shared at once: {a}, {b}"
    for job in gpu_jobs:  # released: nobody holds the slot's lock any more
        lock = Path("/tmp") / f"snakebook-ssh-gpus-{job['workstation']}" / f"gpu{job['slot']}.lock"
        with open(lock, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(handle, fcntl.LOCK_UN)


# ---- the profile's scripts through real ssh (seconds) ------------------------------------------------------


def fake_job(tmp_path: Path, name: str, body: str, gpus: int = 1) -> Path:
    path = tmp_path / f"{name}.sh"
    path.write_text(f'#!/bin/sh\n# properties = {{"rule": "{name}", "resources": {{"gpu": {gpus}}}}}\n{body}\n')
    return path


def test_submit_status_through_ssh(tmp_path, ssh_config):
    env = env_for(tmp_path, ssh_config)
    ids = []
    for number in range(4):  # 4 GPU jobs on 3 GPU slots: one waits for a slot to come free
        job = fake_job(
            tmp_path,
            f"job{number}",
            'echo "gpu=$CUDA_VISIBLE_DEVICES on $SNAKEBOOK_WORKSTATION"; '
            f"while [ ! -e {tmp_path}/go ]; do sleep 0.1; done",
        )
        result = script("submit.sh", str(job), cwd=tmp_path, env=env)
        assert result.returncode == 0, result.stderr
        assert re.fullmatch(r"ws[12]:job\d-\d+-\d+:\d+", result.stdout.strip()), result.stdout
        ids.append(result.stdout.strip())
    assert [job_id.split(":")[0] for job_id in ids] == ["ws1", "ws2", "ws1", "ws1"]  # one turn per GPU
    assert all(script("status.sh", job_id, cwd=tmp_path, env=env).stdout.strip() == "running" for job_id in ids)
    (tmp_path / "go").touch()
    wait_for(
        lambda: all(script("status.sh", job_id, cwd=tmp_path, env=env).stdout.strip() == "success" for job_id in ids),
        120,
        "the four jobs to succeed",
    )
    jobs = placements(tmp_path / ".snakemake" / "ssh")
    assert len(jobs) == 4
    assert all(re.fullmatch(r"127\.0\.0\.1,\d+,127\.0\.0\.1,\d+", job["ssh"]) for job in jobs), jobs
    assert {(job["workstation"], job["slot"]) for job in jobs} == {("ws1", "0"), ("ws1", "1"), ("ws2", "0")}
    assert_slots_distinct_and_released(jobs)


def test_failed_and_cancelled_jobs(tmp_path, ssh_config):
    env = env_for(tmp_path, ssh_config)
    failing = script("submit.sh", str(fake_job(tmp_path, "fails", "exit 3", gpus=0)), cwd=tmp_path, env=env)
    endless = script("submit.sh", str(fake_job(tmp_path, "endless", "sleep 600", gpus=0)), cwd=tmp_path, env=env)
    failing_id, endless_id = failing.stdout.strip(), endless.stdout.strip()
    wait_for(
        lambda: script("status.sh", failing_id, cwd=tmp_path, env=env).stdout.strip() == "failed",
        60,
        "the failing job to be reported failed",
    )
    assert script("status.sh", endless_id, cwd=tmp_path, env=env).stdout.strip() == "running"
    assert script("cancel.sh", endless_id, cwd=tmp_path, env=env).returncode == 0
    status = wait_for(
        lambda: (lambda r: r if r.stdout.strip() == "failed" else None)(
            script("status.sh", endless_id, cwd=tmp_path, env=env)
        ),
        60,
        "the cancelled job to be reported failed",
    )
    assert "stopped without recording an exit code" in status.stderr


def test_unreachable_workstation_is_one_paragraph_in_seconds(tmp_path, ssh_config):
    env = env_for(tmp_path, dead_config(tmp_path, ssh_config))
    result = script("submit.sh", str(fake_job(tmp_path, "job", "true")), cwd=tmp_path, env=env)
    assert result.returncode == 1 and result.stdout == ""
    assert "could not start job job on workstation ws1" in result.stderr and "Connection refused" in result.stderr
    assert "\n" not in result.stderr.strip()
    # status: a lost workstation is reported failed after three unanswered checks, not polled for ever
    answers = [script("status.sh", "ws1:job-1-1:1", cwd=tmp_path, env=env) for _ in range(3)]
    assert [a.stdout.strip() for a in answers] == ["running", "running", "failed"]
    assert "did not answer 3 status checks" in answers[-1].stderr


# ---- the preflight: every workstation checked before any job is started ---------------------------------------


def test_preflight_passes_for_working_workstations(tmp_path, ssh_config):
    (tmp_path / "hosts").write_text(HOSTS)
    cluster.check_workstations(tmp_path / "hosts", str(ROOT), sys.executable, str(ssh_config), timeout=5)


@pytest.mark.parametrize("problem", ["unreachable", "no key", "no project", "no hosts file"])
def test_preflight_names_the_problem(tmp_path, ssh_config, problem):
    config, workdir, hosts = ssh_config, str(ROOT), tmp_path / "hosts"
    hosts.write_text(HOSTS)
    if problem == "unreachable":
        config = dead_config(tmp_path, ssh_config)
    elif problem == "no key":
        config = tmp_path / "ssh_config_nokey"
        config.write_text(
            re.sub(r"(?m)^(\s*IdentityFile)\s+\S+", rf"\1 {tmp_path}/missing-key", ssh_config.read_text())
        )
    elif problem == "no project":
        workdir = str(tmp_path / "not-installed-here")
    else:
        hosts = tmp_path / "no-hosts"
    with pytest.raises(SnakebookError) as caught:
        cluster.check_workstations(hosts, workdir, sys.executable, str(config), timeout=5)
    message = str(caught.value)
    expected = {
        "unreachable": "Workstation ws1 does not answer ssh within 5 s",
        "no key": "Workstation ws1 refuses the login without a password",
        "no project": "Workstation ws2 has no project folder",
        "no hosts file": "hosts.example",
    }[problem]
    assert expected in message, message
    assert "\n\n" not in message and "Traceback" not in message


def test_wrapper_checks_the_workstations(tmp_path, ssh_config):
    """scripts/run_on_cluster.py profiles/ssh: ready with the live server, one paragraph with a dead one."""
    wrapper = [sys.executable, str(ROOT / "scripts" / "run_on_cluster.py"), str(PROFILE)]
    env = {**env_for(tmp_path, ssh_config), "SNAKEBOOK_CHECK_ONLY": "1"}
    ready = subprocess.run(wrapper, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert ready.returncode == 0 and "is ready" in ready.stdout, ready.stderr
    env["SNAKEBOOK_SSH_CONFIG"] = str(dead_config(tmp_path, ssh_config))
    dead = subprocess.run(wrapper, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert dead.returncode == 1
    assert "Workstation ws1 does not answer ssh" in dead.stderr and "Workstation ws2 does not answer" in dead.stderr
    assert "\n\n" not in dead.stderr.strip() and "Traceback" not in dead.stderr


# ---- the whole pipeline through profiles/ssh (minutes) ---------------------------------------------------------


def ssh_profile(tmp_path: Path) -> Path:
    """profiles/ssh as shipped, with the script paths made absolute and quicker polling for the test."""
    settings = yaml.safe_load((PROFILE / "config.yaml").read_text())
    for kind in ("submit", "status", "cancel"):
        settings[f"cluster-generic-{kind}-cmd"] = str(PROFILE / f"{kind}.sh")
    settings.update({"seconds-between-status-checks": 2, "latency-wait": 5})
    path = tmp_path / "profile.yaml"
    path.write_text(yaml.safe_dump(settings, sort_keys=False))
    return path


def run_book(tmp_path: Path, env: dict, cache: Path, wait: bool = True):
    workdir = tmp_path / "work"
    workdir.mkdir(exist_ok=True)
    command = snakemake_command(
        workdir,
        "--workflow-profile",
        str(ssh_profile(tmp_path)),
        config={"books": [short_book_entry()], "cache_dir": str(cache)},
    )
    output = open(tmp_path / "snakemake.out", "a")
    process = subprocess.Popen(
        command, cwd=workdir, env=snakemake_env(env), stdout=output, stderr=subprocess.STDOUT, start_new_session=True
    )
    if wait:
        process.wait(timeout=1200)
    return process


@pytest.mark.slow
def test_pipeline_through_ssh(tmp_path, ssh_config):
    env = env_for(tmp_path, ssh_config)
    process = run_book(tmp_path, env, tmp_path / "cache")
    output = (tmp_path / "snakemake.out").read_text()
    assert process.returncode == 0, output[-5000:]
    work = tmp_path / "work"
    submitted = re.findall(r"with external jobid '(ws[12]):", output)
    jobs = placements(work / ".snakemake" / "ssh")
    print(f"ssh test: {len(submitted)} jobs through ssh; placement:")
    for job in jobs:
        print(f"  {job['log']}: workstation={job['workstation']} ssh={job['ssh']} gpu_slot={job['slot']}")
    assert len(jobs) == len(submitted) > 3 and {"ws1", "ws2"} <= set(submitted)
    assert all(job["exit"] == 0 and job["ssh"] != "-" for job in jobs)
    assert_slots_distinct_and_released(jobs)
    # every chapter's synthesis ran through ssh on a workstation GPU slot (its own log says so)
    logs = sorted((work / "results" / BOOK / "logs" / "synthesize").glob("*.log"))
    assert len(logs) == 3
    for log in logs:
        line = re.search(
            r"job placement: host=\S+ workstation=(ws[12]) ssh=(127\.0\.0\.1,\S+) SLURM_JOB_ID=- "
            r"CUDA_VISIBLE_DEVICES=(\d)",
            log.read_text(),
        )
        assert line, f"{log.name} did not run through ssh on a GPU slot:\n{log.read_text()[:1500]}"
    info = ffprobe(work / "results" / BOOK / f"{BOOK}.m4b")
    assert len(info["chapters"]) == 3 and float(info["format"]["duration"]) > 60


@pytest.mark.slow
def test_lost_workstations_fail_clearly_then_rerun_resumes(tmp_path, ssh_config):
    """Mid-synthesis, the workstations go away (jobs killed, ssh refused): the run fails those chapters with a
    clear message instead of waiting for ever; with the workstations back, a rerun finishes from the cache."""
    live_env = env_for(tmp_path, ssh_config)
    config_file = tmp_path / "ssh_config"  # the run's own copy, switched to a dead one mid-run
    shutil.copy(ssh_config, config_file)
    env = {**live_env, "SNAKEBOOK_SSH_CONFIG": str(config_file)}
    cache = tmp_path / "cache"
    process = run_book(tmp_path, env, cache, wait=False)
    out = tmp_path / "snakemake.out"
    try:
        chapter_jobs = wait_for(
            lambda: (
                re.findall(r"group job \S+ with external jobid '(ws\d):(\S+?):(\d+)'", out.read_text())
                if len(list(cache.rglob("*.wav"))) >= 5
                else None
            ),
            600,
            "chapter jobs that have spoken a few sentences",
        )
        shutil.copy(dead_config(tmp_path, ssh_config), config_file)  # switched off: ssh refused
        for _, _, pid in chapter_jobs:  # ... and the jobs on them gone
            try:
                os.killpg(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass
        process.wait(timeout=600)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            process.wait(timeout=120)
    output = out.read_text()
    assert process.returncode != 0
    assert "did not answer 3 status checks in a row" in output or "stopped without recording an exit code" in output
    assert "could not start job" in output and "Connection refused" in output  # the retry, on no workstation
    work = tmp_path / "work"
    assert not (work / "results" / BOOK / f"{BOOK}.m4b").exists()

    # workstations back: the rerun finishes, and the interrupted chapters reuse what they had spoken
    shutil.copy(ssh_config, config_file)
    process = run_book(tmp_path, env, cache)
    output = out.read_text()
    assert process.returncode == 0, output[-5000:]
    from_cache = [
        int(n)
        for log in (work / "results" / BOOK / "logs" / "synthesize").glob("*.log")
        for n in re.findall(r"\(\d+ synthesised, (?:\d+ by other jobs, )?(\d+) from cache\)", log.read_text())[-1:]
    ]
    print(f"rerun: utterances from the cache per chapter {from_cache}")
    assert sum(from_cache) >= 3  # at least the sentences spoken before the workstations went away
    assert len(ffprobe(work / "results" / BOOK / f"{BOOK}.m4b")["chapters"]) == 3
