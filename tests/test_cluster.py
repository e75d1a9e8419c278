"""Cluster preflight (snakebook.cluster): one clear paragraph for each thing a cluster run can lack.

The cases: executor plugin not installed, `sbatch` missing, SLURM controller down. Each is tested on the
function, through scripts/run_on_cluster.py, and (where Snakemake can get that far) through a real
`snakemake --workflow-profile` run that reaches the workflow's onstart check.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import ROOT, VENV_BIN, short_book_entry, snakemake, wait_for

from snakebook import cluster
from snakebook.errors import SnakebookError

SLURM_PROFILE = ROOT / "profiles" / "slurm"
SSH_PROFILE = ROOT / "profiles" / "ssh"
WRAPPER = ROOT / "scripts" / "run_on_cluster.py"
SLURM_CLIENT_TOOLS = {
    "sacct",
    "sacctmgr",
    "salloc",
    "sattach",
    "sbatch",
    "sbcast",
    "scancel",
    "scontrol",
    "sdiag",
    "sinfo",
    "sprio",
    "squeue",
    "sreport",
    "srun",
    "sshare",
    "sstat",
    "strigger",
}


def one_paragraph(text: str) -> None:
    assert "Traceback" not in text
    assert "\n\n" not in text.strip()


def completed(returncode: int, stdout: str = "", stderr: str = ""):
    return lambda *args, **kwargs: subprocess.CompletedProcess(args, returncode, stdout, stderr)


# ---- the functions -------------------------------------------------------------------------------------------


def test_missing_plugin_says_what_to_install():
    with pytest.raises(SnakebookError) as caught:
        cluster.preflight("slurm", installed=lambda name: False)
    message = str(caught.value)
    assert "snakemake-executor-plugin-slurm" in message and "make slurm" in message
    one_paragraph(message)


def test_missing_cluster_generic_plugin_is_named():
    with pytest.raises(SnakebookError, match="snakemake-executor-plugin-cluster-generic"):
        cluster.preflight("cluster-generic", installed=lambda name: False)


def test_missing_sbatch_says_where_to_run():
    with pytest.raises(SnakebookError) as caught:
        cluster.preflight("slurm", which=lambda tool: None, installed=lambda name: True)
    assert "sbatch" in str(caught.value) and "login node" in str(caught.value)
    one_paragraph(str(caught.value))


def test_controller_down_quotes_scontrol():
    run = completed(1, "Slurmctld(primary) at head is DOWN\n*****\n** RESTORE SLURMCTLD DAEMON TO SERVICE **\n")
    with pytest.raises(SnakebookError) as caught:
        cluster.preflight("slurm", which=lambda tool: f"/usr/bin/{tool}", run=run, installed=lambda name: True)
    message = str(caught.value)
    assert "does not answer" in message and "at head is DOWN" in message and "slurmctld" in message
    one_paragraph(message)


def test_controller_that_hangs_is_a_clear_error_too():
    def hang(*args, timeout=None, **kwargs):
        raise subprocess.TimeoutExpired(args[0], timeout)

    with pytest.raises(SnakebookError, match="no answer within"):
        cluster.check_slurm(which=lambda tool: f"/usr/bin/{tool}", run=hang, timeout=3)


def test_controller_up_passes():
    cluster.preflight(
        "slurm",
        which=lambda tool: f"/usr/bin/{tool}",
        run=completed(0, "Slurmctld(primary) at head is UP\n"),
        installed=lambda name: True,
    )


def test_local_runs_need_nothing():
    for executor in (None, "local", "dryrun", "touch"):
        cluster.preflight(executor, which=lambda tool: None, installed=lambda name: False)


def test_job_placement_names_slurm_job_and_gpus():
    line = cluster.job_placement({"SLURM_JOB_ID": "42", "CUDA_VISIBLE_DEVICES": "1"})
    assert "SLURM_JOB_ID=42" in line and "CUDA_VISIBLE_DEVICES=1" in line
    assert "SLURM_JOB_ID=- CUDA_VISIBLE_DEVICES=-" in cluster.job_placement({})


def test_job_placement_names_workstation_and_ssh_connection():
    line = cluster.job_placement(
        {"SNAKEBOOK_WORKSTATION": "ws1", "SSH_CONNECTION": "10.0.0.1 5000 10.0.0.2 22", "CUDA_VISIBLE_DEVICES": "0"}
    )
    assert "workstation=ws1 ssh=10.0.0.1,5000,10.0.0.2,22 SLURM_JOB_ID=- CUDA_VISIBLE_DEVICES=0" in line


# ---- SLURM: resources against the partition's nodes (the real cluster: tests/test_slurm.py) -------------------


def test_gres_and_time_parsing():
    assert [cluster.gres_gpus(g) for g in ("gpu:2", "gpu:a100:4(S:0-1)", "gpu:2,shard:8", "(null)", "")] == [
        2,
        4,
        2,
        0,
        0,
    ]
    assert [cluster.slurm_minutes(t) for t in ("30", "2:00:00", "1-12:00:00", "UNLIMITED", "infinite")] == [
        30,
        120,
        2160,
        None,
        None,
    ]


SMALL = ([cluster.Node("n1", cpus=2, mem_mb=4000, gpus=2), cluster.Node("n2", cpus=8, mem_mb=2000, gpus=0)], 60)
SYNTH = {"slurm_partition": "gpu", "gpu": 1, "cpus_per_gpu": 4, "mem_mb": 3000, "runtime": 30}


def refusal(rules, offer=SMALL) -> str:
    with pytest.raises(SnakebookError) as caught:
        cluster.check_slurm_resources(rules, lambda partition: offer, "prof.yaml", lambda rule, key: key != "runtime")
    one_paragraph(str(caught.value))
    return str(caught.value)


def test_slurm_resources_that_fit_pass():
    cluster.check_slurm_resources(
        {
            "synthesize_chapter": {**SYNTH, "cpus_per_gpu": 2},
            "assemble_audiobook": {"slurm_partition": "gpu", "_cores": 8, "mem_mb": 2000},
        },
        lambda partition: SMALL,
    )


@pytest.mark.parametrize(
    "change, words",
    [
        (
            {},
            [
                "4 CPUs (1 GPU(s) x cpus_per_gpu 4)",
                "has 2",
                "`cpus_per_gpu: 4` under `set-resources: synthesize_chapter:`",
            ],
        ),
        ({"cpus_per_gpu": 1, "mem_mb": 9000}, ["9000 MB of memory", "has 4000", "`mem_mb: 9000`"]),
        ({"cpus_per_gpu": 1, "gpu": 3}, ["3 GPU(s)", "has 2", "`gpu: 3`"]),
        (
            {"cpus_per_gpu": 1, "runtime": 120},
            ["120 minutes", "time limit is 60", "`runtime: 120` under `default-resources:`"],
        ),
    ],
)
def test_slurm_resource_refusals_name_rule_resource_and_line(change, words):
    message = refusal({"synthesize_chapter": {**SYNTH, **change}}, ([cluster.Node("n", 2, 4000, 2)], 60))
    assert "synthesize_chapter" in message and "partition 'gpu'" in message and "prof.yaml" in message
    for word in words:
        assert word in message, message


def test_slurm_no_single_node_has_it_all():
    message = refusal(
        {
            "synthesize_chapter": {**SYNTH, "cpus_per_gpu": 1, "gpu": 1, "mem_mb": 3000, "_cores": 1},
            "big_cpu_job": {"slurm_partition": "gpu", "cpus_per_task": 8, "mem_mb": 3000},
        }
    )
    assert "big_cpu_job" in message and "no single node" in message


def test_slurm_unknown_partition():
    assert "has no nodes or does not exist" in refusal({"extract_book": {"slurm_partition": "nope"}}, ([], None))


def test_group_job_errors_are_shown_once_patched():
    assert cluster.show_group_job_errors() is True
    assert cluster.show_group_job_errors() is True  # idempotent: wrapped once


# ---- profiles/ssh: the hosts file (the real sshd: tests/test_ssh.py) --------------------------------------------


def test_hosts_file_and_submit_command(tmp_path):
    hosts = tmp_path / "hosts"
    hosts.write_text("# comment\nws1 2\n\nws2   # one GPU by default\nlocalhost 0\n")
    assert cluster.read_hosts(hosts) == [("ws1", 2), ("ws2", 1), ("localhost", 0)]
    submit = str(SSH_PROFILE / "submit.sh")
    assert cluster.ssh_profile_hosts(submit, {}) == SSH_PROFILE / "hosts"
    assert cluster.ssh_profile_hosts(submit, {"SNAKEBOOK_HOSTS": str(hosts)}) == hosts
    assert cluster.ssh_profile_hosts("qsub -V", {}) is None and cluster.ssh_profile_hosts(None, {}) is None


def test_localhost_workstation_check(tmp_path):
    (tmp_path / "hosts").write_text("localhost 1\n")
    cluster.check_workstations(tmp_path / "hosts", str(ROOT), sys.executable)
    with pytest.raises(SnakebookError, match="has no Python at"):
        cluster.check_workstations(tmp_path / "hosts", str(ROOT), str(tmp_path / "no-python"))


def test_profiles_name_their_executors():
    assert cluster.profile_executor(SLURM_PROFILE) == "slurm"
    assert cluster.profile_executor(SSH_PROFILE) == "cluster-generic"
    with pytest.raises(SnakebookError, match="No Snakemake profile"):
        cluster.profile_executor(ROOT / "profiles" / "no-such-profile")


def test_slurm_profile_resources():
    profile = yaml.safe_load((SLURM_PROFILE / "config.yaml").read_text())
    synth = profile["set-resources"]["synthesize_chapter"]
    assert synth["gpu"] == 1 and synth["cpus_per_gpu"] >= 1 and synth["mem_mb"] > 0 and synth["runtime"] > 0
    assert {"slurm_partition", "slurm_account"} <= set(profile["default-resources"])
    assert profile["retries"] >= 1 and profile["slurm-requeue"] is True
    for key in ("rerun-incomplete", "keep-going", "rerun-triggers"):  # what profiles/default would have given
        assert key in profile


# ---- the wrapper ---------------------------------------------------------------------------------------------


def test_wrapper_without_plugin_prints_one_paragraph(monkeypatch, capsys):
    monkeypatch.setattr(cluster, "executor_plugin_installed", lambda name: False)
    assert cluster.main([str(SLURM_PROFILE), "--cores", "1"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("snakebook: ") and "snakemake-executor-plugin-slurm" in err and "make slurm" in err
    one_paragraph(err)


def no_slurm_path(tmp_path: Path) -> str:
    """A PATH like this machine's, less the SLURM client tools (a machine that is not a login node)."""
    bin_dir = tmp_path / "bin-without-slurm"
    bin_dir.mkdir()
    for folder in ("/usr/local/bin", "/usr/bin", "/bin"):
        if not os.path.isdir(folder):
            continue
        for entry in os.scandir(folder):
            target = bin_dir / entry.name
            if entry.name not in SLURM_CLIENT_TOOLS and not target.exists():
                target.symlink_to(entry.path)
    return f"{VENV_BIN}{os.pathsep}{bin_dir}"


def test_wrapper_without_sbatch(tmp_path):
    env = {**os.environ, "PATH": no_slurm_path(tmp_path), "SNAKEBOOK_CHECK_ONLY": "1"}
    if not cluster.executor_plugin_installed("slurm"):
        pytest.skip("the SLURM executor plugin is not installed (make slurm): the wrapper stops earlier")
    result = subprocess.run(
        [sys.executable, str(WRAPPER), str(SLURM_PROFILE)], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 1
    assert "no `sbatch`" in result.stderr
    one_paragraph(result.stderr)


def dead_controller_conf(tmp_path: Path) -> Path:
    """A slurm.conf whose controller is a closed port on 127.0.0.1."""
    conf = tmp_path / "slurm.conf"
    conf.write_text(
        "ClusterName=nowhere\nSlurmctldHost=nowhere(127.0.0.1)\nSlurmctldPort=9\nAuthType=auth/munge\n"
        "NodeName=nowhere NodeAddr=127.0.0.1 CPUs=1 State=UNKNOWN\n"
        "PartitionName=debug Nodes=nowhere Default=YES State=UP\n"
    )
    return conf


needs_scontrol = pytest.mark.skipif(
    shutil.which("scontrol") is None,
    reason="no SLURM client tools here (scontrol); `bash .ci/start-slurm.sh` installs them",
)


@needs_scontrol
def test_wrapper_with_controller_down(tmp_path):
    if not cluster.executor_plugin_installed("slurm"):
        pytest.skip("the SLURM executor plugin is not installed (make slurm): the wrapper stops earlier")
    env = {**os.environ, "SLURM_CONF": str(dead_controller_conf(tmp_path)), "SNAKEBOOK_CHECK_ONLY": "1"}
    result = subprocess.run(
        [sys.executable, str(WRAPPER), str(SLURM_PROFILE)], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "SLURM controller does not answer" in result.stderr and "DOWN" in result.stderr
    one_paragraph(result.stderr)


# ---- snakemake --workflow-profile, straight (the workflow's onstart check) --------------------------------------


def slurm_workflow_profile(tmp_path: Path) -> Path:
    """profiles/slurm with a partition/account that need no real cluster (nothing is submitted)."""
    settings = yaml.safe_load((SLURM_PROFILE / "config.yaml").read_text())
    settings["default-resources"].update(slurm_partition="debug", slurm_account="local")
    path = tmp_path / "slurm-profile.yaml"
    path.write_text(yaml.safe_dump(settings))
    return path


def run_straight(tmp_path: Path, env: dict) -> subprocess.CompletedProcess:
    workdir = tmp_path / "work"
    workdir.mkdir()
    return snakemake(
        workdir,
        "--workflow-profile",
        str(slurm_workflow_profile(tmp_path)),
        "--jobs",
        "2",
        config={"books": [short_book_entry()]},
        check=False,
        env=env,
        timeout=300,
    )


@pytest.mark.slow
def test_snakemake_with_profile_without_sbatch(tmp_path):
    if not cluster.executor_plugin_installed("slurm"):
        pytest.skip("the SLURM executor plugin is not installed (make slurm)")
    result = run_straight(tmp_path, {"PATH": no_slurm_path(tmp_path)})
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "no `sbatch` on this machine's PATH" in output
    assert "Traceback" not in output and "has been submitted" not in output


@pytest.mark.slow
@needs_scontrol
def test_snakemake_with_profile_and_controller_down(tmp_path):
    if not cluster.executor_plugin_installed("slurm"):
        pytest.skip("the SLURM executor plugin is not installed (make slurm)")
    result = run_straight(tmp_path, {"SLURM_CONF": str(dead_controller_conf(tmp_path))})
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "SLURM controller does not answer" in output
    assert "Traceback" not in output and "has been submitted" not in output


# ---- profiles/ssh: the submit command of the cluster-generic executor ------------------------------------------


def test_ssh_submit_starts_job_with_a_gpu_slot(tmp_path):
    """submit.sh on `localhost` (no ssh): prints HOST:TOKEN:PID and gives each GPU job its own GPU."""
    (tmp_path / "hosts").write_text("# test\nlocalhost 2\n")
    seen = []
    for number in range(2):
        out = tmp_path / f"job{number}.out"
        script = tmp_path / f"job{number}.sh"
        script.write_text(
            '#!/bin/sh\n# properties = {"rule": "synthesize_chapter", "resources": {"gpu": 1}}\n'
            f'echo "gpu=$CUDA_VISIBLE_DEVICES" > {out}.part; sleep 2; mv {out}.part {out}\n'
        )
        result = subprocess.run(
            ["bash", str(SSH_PROFILE / "submit.sh"), str(script)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=30,
            env={**os.environ, "SNAKEBOOK_HOSTS": str(tmp_path / "hosts")},
        )
        assert result.returncode == 0, result.stderr
        assert re.fullmatch(r"localhost:synthesize_chapter-\d+-\d+:\d+", result.stdout.strip())
        seen.append(out)
    wait_for(lambda: all(path.exists() for path in seen), 60, "both jobs to write their GPU")
    assert sorted(path.read_text().strip() for path in seen) == ["gpu=0", "gpu=1"]


def test_ssh_submit_without_hosts_says_so(tmp_path):
    script = tmp_path / "job.sh"
    script.write_text('#!/bin/sh\n# properties = {"rule": "extract_book", "resources": {}}\ntrue\n')
    env = {**os.environ, "SNAKEBOOK_HOSTS": str(tmp_path / "missing")}
    result = subprocess.run(
        ["bash", str(SSH_PROFILE / "submit.sh"), str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
    )
    assert result.returncode == 1 and "hosts.example" in result.stderr
