"""Running the workflow through a cluster profile (profiles/slurm, profiles/ssh).

Before anything is submitted, :func:`preflight` checks what the profile's executor needs (its Snakemake
executor plugin; for SLURM also ``sbatch`` and a controller that answers) and raises one
:class:`SnakebookError` with a paragraph saying what is missing and how to fix it. It is called

* by the workflow itself (``onstart`` in rules/common.smk), for ``snakemake --workflow-profile ...``;
* by ``scripts/run_on_cluster.py PROFILE [snakemake options]``, which also catches the one case the
  workflow cannot see: a profile naming an executor whose plugin is not installed, which Snakemake
  rejects while parsing its command line, before reading the Snakefile.

:func:`job_placement` is the line a rule logs to show where it ran (host, SLURM job, GPUs it was given).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from .errors import SnakebookError

# Executor name -> the package that provides it (the base install has none of these).
EXECUTOR_PACKAGES = {
    "slurm": "snakemake-executor-plugin-slurm",
    "cluster-generic": "snakemake-executor-plugin-cluster-generic",
}
INSTALL_HINT = "Install the cluster extras with `make slurm` (or `.venv/bin/pip install -r envs/slurm.txt`)"
# Executors that come with Snakemake itself and need no check.
BUILTIN_EXECUTORS = {"local", "dryrun", "touch"}
CONTROLLER_TIMEOUT_S = 20

Which = Callable[[str], "str | None"]
Run = Callable[..., subprocess.CompletedProcess]


def job_placement(environ: Mapping[str, str] | None = None) -> str:
    """Where this job runs: host, SLURM job id and the GPUs it was given ('-' where there is none)."""
    env = os.environ if environ is None else environ
    fields = {
        "host": socket.gethostname(),
        "SLURM_JOB_ID": env.get("SLURM_JOB_ID") or "-",
        "CUDA_VISIBLE_DEVICES": env.get("CUDA_VISIBLE_DEVICES") or "-",
    }
    return "job placement: " + " ".join(f"{key}={value}" for key, value in fields.items())


def executor_plugin_installed(executor: str) -> bool:
    """Whether Snakemake can find the executor plugin ``executor`` (module snakemake_executor_plugin_<name>)."""
    return importlib.util.find_spec("snakemake_executor_plugin_" + executor.replace("-", "_")) is not None


def check_executor_plugin(executor: str, installed: Callable[[str], bool] | None = None) -> None:
    if executor in BUILTIN_EXECUTORS or (installed or executor_plugin_installed)(executor):
        return
    package = EXECUTOR_PACKAGES.get(executor, f"snakemake-executor-plugin-{executor}")
    raise SnakebookError(
        f"This run uses the Snakemake executor '{executor}', but its plugin ({package}) is not installed "
        f"here: the base install runs everything on this machine and has no executor plugins. "
        f"{INSTALL_HINT} and run again, or leave out the cluster profile to run locally."
    )


def check_slurm(which: Which = shutil.which, run: Run = subprocess.run, timeout: float = CONTROLLER_TIMEOUT_S) -> None:
    """Raise SnakebookError unless ``sbatch`` exists and the SLURM controller answers ``scontrol ping``."""
    if which("sbatch") is None:
        raise SnakebookError(
            "The SLURM profile submits every job with `sbatch`, but there is no `sbatch` on this machine's PATH. "
            "Run snakebook on a login node of your SLURM cluster (where `sbatch --version` works), or install "
            "the SLURM client tools (Debian/Ubuntu: `apt-get install slurm-client`, with the cluster's "
            "/etc/slurm/slurm.conf), or leave out `--workflow-profile profiles/slurm` to run locally."
        )
    if which("scontrol") is None:
        return  # sbatch itself will say whether the controller answers
    try:
        result = run(["scontrol", "ping"], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        reply = f"no answer within {timeout:g} s"
    except OSError as error:
        reply = str(error)
    else:
        output = (result.stdout or "") + (result.stderr or "")
        if result.returncode == 0 and " is UP" in output:
            return
        reply = next((line.strip() for line in output.splitlines() if line.strip(" *")), "no output")
    conf = os.environ.get("SLURM_CONF") or "/etc/slurm/slurm.conf"
    raise SnakebookError(
        f"The SLURM controller does not answer, so no job can be submitted (`scontrol ping`: {reply}). "
        f"Check that slurmctld is running and that {conf} names it (`scontrol ping`, `sinfo` should work), "
        "ask your cluster's administrators if it is down, then run again; finished chapters are kept."
    )


def preflight(executor: str | None, which: Which = shutil.which, run: Run = subprocess.run,
              installed: Callable[[str], bool] | None = None) -> None:
    """Check what the executor needs before anything is submitted (see the module docstring)."""
    if not executor or executor in BUILTIN_EXECUTORS:
        return
    check_executor_plugin(executor, installed)
    if executor == "slurm":
        check_slurm(which, run)


def profile_file(profile: str | Path) -> Path:
    """The YAML file of a profile given as a folder (config.yaml or profile.yaml) or as the file itself."""
    path = Path(profile)
    if path.is_file():
        return path
    for name in ("profile.yaml", "config.yaml"):
        if (path / name).is_file():
            return path / name
    raise SnakebookError(f"No Snakemake profile at {path}: expected a folder with config.yaml, or a YAML file.")


def profile_executor(profile: str | Path) -> str | None:
    import yaml

    with open(profile_file(profile), encoding="utf-8") as handle:
        settings = yaml.safe_load(handle) or {}
    return settings.get("executor")


USAGE = """usage: run_on_cluster.py PROFILE [SNAKEMAKE OPTIONS...]

Check that the profile's executor can work here (plugin installed; for SLURM: sbatch, controller up),
then run `snakemake --workflow-profile PROFILE [SNAKEMAKE OPTIONS...]`. Example:
    .venv/bin/python scripts/run_on_cluster.py profiles/slurm --config books='["my.epub"]'
Set SNAKEBOOK_CHECK_ONLY=1 to check without running."""


def main(argv: Sequence[str]) -> int:
    """Entry point of scripts/run_on_cluster.py: preflight, then exec Snakemake with the profile."""
    if not argv or argv[0] in {"-h", "--help"}:
        print(USAGE)
        return 0 if argv else 2
    profile, *options = argv
    try:
        executor = profile_executor(profile)
        preflight(executor)
    except SnakebookError as error:
        print(f"snakebook: {error}", file=sys.stderr)
        return 1
    if os.environ.get("SNAKEBOOK_CHECK_ONLY"):
        print(f"snakebook: profile {profile} (executor {executor or 'local'}) is ready")
        return 0
    snakemake = Path(sys.executable).with_name("snakemake")
    command = [str(snakemake) if snakemake.exists() else "snakemake", "--workflow-profile", str(profile), *options]
    os.execvp(command[0], command)
    return 1  # not reached
