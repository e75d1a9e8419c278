"""The job server (snakebook.jobserver): local jobs run as forks of one warm Python, with the same results.

A real server process and real clients (``scripts/job.py``); the rule scripts here are tiny test rules in a
scripts folder of their own (a copy of job.py beside them), so that what the job saw can be checked.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
from helpers import ROOT, snakemake, wait_for, write_book

from snakebook.jobserver import (
    SERVER_ENV,
    SOCKET_FOLDER_PREFIX,
    USAGE_LINE,
    benchmark_of,
    job_usage,
    read_benchmark,
)

pytestmark = pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="the job server needs Linux pidfds")

REPORT_RULE = """
import json, os, sys
from snakebook.entry import rule_entry
with rule_entry(snakemake.log[0], "testbook"):
    with open(snakemake.output[0], "w") as out:
        json.dump({"pid": os.getpid(), "ppid": os.getppid(), "cwd": os.getcwd(), "argv": sys.argv,
                   "marker": os.environ.get("JOBSERVER_TEST_MARKER"), "numpy": "numpy" in sys.modules}, out)
    print("to stdout", flush=True)
    print("to stderr", file=sys.stderr, flush=True)
    sys.exit(int(snakemake.params.code))
"""

SLEEP_RULE = """
import os, time
from pathlib import Path
Path(snakemake.output[0]).write_text(str(os.getpid()))
time.sleep(60)
"""


@pytest.fixture
def scripts(tmp_path) -> Path:
    folder = tmp_path / "scripts"
    folder.mkdir()
    shutil.copy(ROOT / "scripts" / "job.py", folder / "job.py")
    (folder / "report_rule.py").write_text(REPORT_RULE)
    (folder / "sleep_rule.py").write_text(SLEEP_RULE)
    return folder


def _env(**extra) -> dict:
    env = dict(os.environ)  # (the package is installed: `make setup`)
    env.pop(SERVER_ENV, None)
    env.update(extra)
    return env


@pytest.fixture
def server(tmp_path, scripts):
    """A running server for ``scripts``; yields (socket path, server process)."""
    path = str(tmp_path / "jobs.socket")
    process = subprocess.Popen(
        [sys.executable, "-m", "snakebook.jobserver", path, str(scripts.resolve()), str(os.getpid())],
        env=_env(),
    )
    wait_for(lambda: os.path.exists(path), 30, "the job server's socket")
    yield path, process
    process.terminate()
    process.wait(10)


def _client(scripts: Path, rule: str, workdir: Path, *fields: str, **env) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(scripts / "job.py"), rule, *fields],
        cwd=workdir,
        env=_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _report(scripts, workdir, code=0, **env):
    out, log = workdir / "seen.json", workdir / "job.log"
    client = _client(
        scripts, "report_rule", workdir, "--output", str(out), "--log", str(log), "--params.code", str(code), **env
    )
    stdout, stderr = client.communicate(timeout=60)
    return client, json.loads(out.read_text()), log.read_text(), stdout, stderr


def test_a_job_runs_in_a_fork_of_the_server_as_it_would_cold(server, scripts, tmp_path):
    path, process = server
    workdir = tmp_path / "work"
    workdir.mkdir()
    client, seen, log, stdout, stderr = _report(
        scripts, workdir, code=3, **{SERVER_ENV: path, "JOBSERVER_TEST_MARKER": "from the client"}
    )
    assert seen["ppid"] == process.pid and seen["pid"] != client.pid  # a fork of the server
    assert seen["numpy"]  # ... which had numpy imported already
    assert seen["cwd"] == str(workdir)
    assert seen["marker"] == "from the client"  # the client's environment, not the server's
    assert seen["argv"][1:] == [
        "report_rule",
        "--output",
        str(workdir / "seen.json"),
        "--log",
        str(workdir / "job.log"),
        "--params.code",
        "3",
    ]
    assert client.returncode == 3  # the job's exit status
    assert "to stdout" in stdout and "to stderr" in stderr  # the client's own stdout and stderr
    last = log.strip().splitlines()[-1]
    assert last.startswith(USAGE_LINE.split("{")[0]) and f"child {seen['pid']} used" in last
    usage = job_usage(workdir / "job.log")  # read back, as the benchmarks do
    assert usage and usage["rss_mb"] > 10 and usage["cpu"] >= 0


def test_without_a_server_the_job_runs_in_the_client(scripts, tmp_path):
    workdir = tmp_path / "work"
    workdir.mkdir()
    for value in (str(tmp_path / "no-such.socket"), "off", ""):
        client, seen, log, _, _ = _report(scripts, workdir, **{SERVER_ENV: value})
        assert seen["pid"] == client.pid and client.returncode == 0
        assert "job server" not in log


def test_a_server_for_another_scripts_folder_is_not_used(server, tmp_path):
    path, _ = server
    other = tmp_path / "other-scripts"
    other.mkdir()
    shutil.copy(ROOT / "scripts" / "job.py", other / "job.py")
    (other / "report_rule.py").write_text(REPORT_RULE)
    workdir = tmp_path / "work"
    workdir.mkdir()
    client, seen, _, _, _ = _report(other, workdir, **{SERVER_ENV: path})
    assert seen["pid"] == client.pid  # refused by the server: run cold, same result


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")


@pytest.mark.parametrize("how", ["SIGTERM", "SIGINT", "SIGKILL"])
def test_stopping_the_client_stops_its_job(server, scripts, tmp_path, how):
    """Snakemake cancelling a job (SIGTERM), Ctrl-C (SIGINT) and a killed client (SIGKILL): the job ends too."""
    path, _ = server
    workdir = tmp_path / "work"
    workdir.mkdir()
    started = workdir / "pid"
    client = _client(scripts, "sleep_rule", workdir, "--output", str(started), **{SERVER_ENV: path})
    wait_for(lambda: started.exists() and started.read_text(), 30, "the job to start")
    child = int(started.read_text())
    assert child != client.pid
    client.send_signal(getattr(signal, how))
    client.wait(30)
    assert client.returncode != 0
    if how != "SIGKILL":
        assert client.returncode == -getattr(signal, how) or (how == "SIGINT" and client.returncode in (1, 130))
    wait_for(lambda: not _alive(child), 30, "the job to end")


def test_a_server_whose_snakemake_is_killed_removes_its_folder(tmp_path, scripts):
    """SIGKILL to Snakemake runs no exit handler: the server notices its parent gone and removes its own files."""
    folder = tmp_path / f"{SOCKET_FOLDER_PREFIX}test"
    folder.mkdir(mode=0o700)
    path = folder / "socket"
    starter = (
        "import os, subprocess, sys, time\n"
        f"subprocess.Popen([sys.executable, '-m', 'snakebook.jobserver', {str(path)!r}, {str(scripts.resolve())!r},"
        " str(os.getpid())])\n"
        "time.sleep(120)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", starter], env=_env())
    wait_for(lambda: path.exists(), 30, "the job server's socket")
    parent.kill()
    parent.wait(10)
    wait_for(lambda: not folder.exists(), 30, "the server to remove its socket folder")


def test_a_snakemake_run_uses_the_server_and_leaves_nothing_behind(tmp_path):
    """A real local run: the jobs report the server's usage line; the server and its socket are gone after it."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    folder = tmp_path / "books"
    folder.mkdir()
    write_book(folder / "book.txt", chapters=2)
    workdir = tmp_path / "work"
    workdir.mkdir()
    config = {"library": str(folder), "engine": "espeak", "cache_dir": str(tmp_path / "cache")}
    snakemake(workdir, config=config, env={"TMPDIR": str(temp)})
    logs = list((workdir / "results").glob("*/logs/synthesize/*.log"))
    assert len(logs) == 2 and all("job server: child" in log.read_text() for log in logs)
    for log in logs:  # the end of the run put the job's own figures into its benchmark file
        usage, figures = job_usage(log), read_benchmark(benchmark_of(log))
        assert abs(float(figures["max_rss"]) - usage["rss_mb"]) <= 0.5, (figures, usage)  # (the log rounds to MB)
        assert abs(float(figures["cpu_time"]) - usage["cpu"]) <= 0.011, (figures, usage)
        assert usage["rss_mb"] > 15 and figures["max_vms"] == figures["io_in"] == "NA", figures
    assert not list(temp.iterdir())  # the socket's folder is removed
    servers = [
        process
        for process in psutil.process_iter(["cmdline"])
        if f"snakebook.jobserver {temp}" in " ".join(process.info["cmdline"] or [])
    ]
    assert not servers  # and the server has ended
    # SNAKEBOOK_JOB_SERVER=off: every job cold, the same outputs
    for path in (workdir / "results").glob("*/audio/*.wav"):
        path.unlink()
    snakemake(workdir, config=config, env={SERVER_ENV: "off"})
    logs = list((workdir / "results").glob("*/logs/synthesize/*.log"))
    assert len(logs) == 2 and not any("job server" in log.read_text() for log in logs)
    assert all(read_benchmark(benchmark_of(log))["max_vms"] != "NA" for log in logs)  # Snakemake's own sampling
