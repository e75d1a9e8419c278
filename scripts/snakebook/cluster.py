"""Running the workflow through a cluster profile (profiles/slurm, profiles/ssh).

Before anything is submitted, :func:`preflight` checks what the profile's executor needs (its Snakemake
executor plugin; for SLURM also ``sbatch`` and a controller that answers) and raises one
:class:`SnakebookError` with a paragraph saying what is missing and how to fix it. It is called

* by the workflow itself (``onstart`` in rules/common.smk), for ``snakemake --workflow-profile ...``;
* by ``scripts/run_on_cluster.py PROFILE [snakemake options]``, which also catches the one case the
  workflow cannot see: a profile naming an executor whose plugin is not installed, which Snakemake
  rejects while parsing its command line, before reading the Snakefile.

Given the running workflow (``workflow=``), it also checks what would otherwise fail job by job:

* SLURM: every rule's resources (GPUs, CPUs per GPU or per task, memory, runtime) against what the largest
  node of the chosen partition offers (``sinfo``/``scontrol``), so a request SLURM would refuse ("Requested
  node configuration is not available") stops the run with the rule, the resource and the profile line;
* profiles/ssh: every workstation of the hosts file answers ssh (bounded connect timeout, ``BatchMode``,
  so never a password prompt or a hang), the key is accepted, and the project folder, its Python and the
  snakebook package are there.

:func:`job_placement` is the line a rule logs to show where it ran (host, workstation and ssh connection,
SLURM job, GPUs it was given).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import SnakebookError
from .fileio import load_yaml

# Executor name -> the package that provides it (the base install has none of these).
EXECUTOR_PACKAGES = {
    "slurm": "snakemake-executor-plugin-slurm",
    "cluster-generic": "snakemake-executor-plugin-cluster-generic",
}
INSTALL_HINT = "Install the cluster extras with `make slurm` (or `.venv/bin/pip install -r envs/slurm.txt`)"
# Executors that come with Snakemake itself and need no check.
BUILTIN_EXECUTORS = {"local", "dryrun", "touch"}
CONTROLLER_TIMEOUT_S = 20
SSH_TIMEOUT_S = 10  # seconds a workstation has to answer (SNAKEBOOK_SSH_TIMEOUT), as in profiles/ssh/common.sh

Which = Callable[[str], "str | None"]
Run = Callable[..., subprocess.CompletedProcess]


def job_placement(environ: Mapping[str, str] | None = None) -> str:
    """Where this job runs: host, SLURM job id and the GPUs it was given ('-' where there is none)."""
    env = os.environ if environ is None else environ
    fields = {
        "host": socket.gethostname(),
        "workstation": env.get("SNAKEBOOK_WORKSTATION") or "-",  # profiles/ssh: the hosts-file name
        "ssh": (env.get("SSH_CONNECTION") or "-").replace(" ", ","),  # client ip,port,server ip,port
        "SLURM_JOB_ID": env.get("SLURM_JOB_ID") or "-",
        "CUDA_VISIBLE_DEVICES": env.get("CUDA_VISIBLE_DEVICES") or "-",
    }
    return "job placement: " + " ".join(f"{key}={value}" for key, value in fields.items())


def show_group_job_errors() -> bool:
    """Make Snakemake print why a group job failed (sbatch's refusal, a lost workstation), not just that it did.

    Snakemake 9 drops the executor's message when a *group* job fails (``GroupJob.log_error`` ignores ``msg``),
    so a chapter group that SLURM refuses shows only "Error in group chapter" and "Logfile ... not found",
    never sbatch's reason. Called once from rules/common.smk; a no-op (False) if Snakemake changes shape.
    """
    try:
        from snakemake.jobs import GroupJob
        from snakemake.logging import logger
    except ImportError:
        return False
    original = getattr(GroupJob, "log_error", None)
    if original is None or getattr(original, "_snakebook", False):
        return original is not None

    def log_error(self, msg=None, *args, **kwargs):
        if msg:
            logger.error(f"Error in group {self.groupid}: {msg}")
        return original(self, msg, *args, **kwargs)

    log_error._snakebook = True
    GroupJob.log_error = log_error
    return True


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


# ---- SLURM: the profile's resources against the partition's nodes ----------------------------------------------


@dataclass(frozen=True)
class Node:
    name: str
    cpus: int
    mem_mb: int
    gpus: int


def gres_gpus(gres: str) -> int:
    """GPUs in a node's gres string: 'gpu:2', 'gpu:a100:4(S:0-1)', 'gpu:2,shard:8' -> 2, 4, 2; '(null)' -> 0."""
    total = 0
    for item in gres.split(","):
        parts = re.sub(r"\(.*?\)", "", item).strip().split(":")
        if parts[0] == "gpu" and parts[-1].isdigit():
            total += int(parts[-1])
    return total


def slurm_minutes(value: str) -> int | None:
    """A SLURM time limit in minutes ('30', '2:00:00', '1-12:00:00'); None for UNLIMITED/INFINITE."""
    value = value.strip()
    if not value or value.upper() in {"UNLIMITED", "INFINITE", "N/A", "NONE"}:
        return None
    days, _, clock = value.rpartition("-")
    parts = [int(part) for part in clock.split(":")]
    hours, minutes, seconds = ([0] * (3 - len(parts)) + parts) if len(parts) > 1 else (0, parts[0], 0)
    return int(days or 0) * 1440 + hours * 60 + minutes + (1 if seconds else 0)


def partition_offer(partition: str, run: Run = subprocess.run) -> tuple[list[Node], int | None]:
    """The nodes of a partition (from sinfo) and its time limit in minutes (None: unlimited)."""
    nodes_out = run(
        ["sinfo", "-h", "-N", "-p", partition, "-o", "%N|%c|%m|%G"],
        capture_output=True,
        text=True,
        timeout=CONTROLLER_TIMEOUT_S,
    ).stdout
    nodes = {}
    for line in nodes_out.splitlines():
        fields = line.strip().split("|")
        if len(fields) == 4 and fields[1].rstrip("+").isdigit():
            memory = fields[2].rstrip("+")
            nodes[fields[0]] = Node(
                fields[0], int(fields[1].rstrip("+")), int(memory) if memory.isdigit() else 0, gres_gpus(fields[3])
            )
    limit_out = run(
        ["sinfo", "-h", "-p", partition, "-o", "%l"], capture_output=True, text=True, timeout=CONTROLLER_TIMEOUT_S
    ).stdout.split()
    return list(nodes.values()), slurm_minutes(limit_out[0]) if limit_out else None


def _number(value: Any) -> int | None:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def slurm_request(resources: Mapping[str, Any]) -> dict[str, int]:
    """What one job of a rule asks SLURM for, as the SLURM executor plugin turns resources into sbatch options."""
    gpus = _number(resources.get("gpu")) or 0
    gres = str(resources.get("gres") or "")
    if not gpus and gres:
        gpus = gres_gpus(gres)
    if gpus and _number(resources.get("cpus_per_gpu")):
        cpus = gpus * _number(resources.get("cpus_per_gpu"))
    else:
        cpus = _number(resources.get("cpus_per_task")) or _number(resources.get("_cores")) or 1
    request = {"gpus": gpus, "cpus": cpus}
    for key in ("mem_mb", "runtime"):
        if _number(resources.get(key)) is not None:
            request[key] = _number(resources.get(key))
    return request


def _setting(resource: str, resources: Mapping[str, Any]) -> str:
    """The profile key a user edits to change a request."""
    if resource == "cpus":
        return "cpus_per_gpu" if resources.get("gpu") and resources.get("cpus_per_gpu") else "cpus_per_task"
    return {"gpus": "gpu" if resources.get("gpu") else "gres", "mem_mb": "mem_mb", "runtime": "runtime"}[resource]


def check_slurm_resources(
    rules: Mapping[str, Mapping[str, Any]],
    offer: Callable[[str], tuple[list[Node], int | None]],
    profile: str = "profiles/slurm/config.yaml",
    set_in_profile: Callable[[str, str], bool] = lambda rule, key: True,
) -> None:
    """Raise SnakebookError for the first rule whose jobs no node of its partition can take.

    ``rules``: rule name -> its resources (partition in ``slurm_partition``); ``offer(partition)``: the nodes and
    time limit (see :func:`partition_offer`); ``set_in_profile(rule, key)``: whether the value comes from the
    rule's ``set-resources`` entry (else from ``default-resources``), to name the line to edit.
    """
    offers: dict[str, tuple[list[Node], int | None]] = {}
    for rule, resources in rules.items():
        partition = str(resources.get("slurm_partition") or "")
        if not partition:
            continue
        if partition not in offers:
            offers[partition] = offer(partition)
        nodes, time_limit = offers[partition]
        if not nodes:
            raise SnakebookError(
                f"The SLURM partition '{partition}' (slurm_partition, asked for by rule {rule}) has no nodes or does "
                f"not exist on this cluster, so SLURM would refuse every job. Edit `slurm_partition: {partition}` "
                f"under `default-resources:` in {profile} (`sinfo -s` lists the partitions), then run again."
            )
        request = slurm_request(resources)
        largest = {
            "gpus": max(n.gpus for n in nodes),
            "cpus": max(n.cpus for n in nodes),
            "mem_mb": max(n.mem_mb for n in nodes),
        }
        if time_limit is not None:
            largest["runtime"] = time_limit
        units = {"gpus": "GPU(s)", "cpus": "CPUs", "mem_mb": "MB of memory", "runtime": "minutes of run time"}
        for resource in ("gpus", "cpus", "mem_mb", "runtime"):
            asked, has = request.get(resource), largest.get(resource)
            if asked is None or has is None or asked <= has:
                continue
            key = _setting(resource, resources)
            value = resources.get(key)
            where = f"under `set-resources: {rule}:`" if set_in_profile(rule, key) else "under `default-resources:`"
            whose = (
                "the partition's time limit is" if resource == "runtime" else f"the largest node of '{partition}' has"
            )
            per_gpu = f" ({request['gpus']} GPU(s) x cpus_per_gpu {value})" if key == "cpus_per_gpu" else ""
            raise SnakebookError(
                f"SLURM would refuse every {rule} job on partition '{partition}' (\"Requested node configuration is "
                f'not available"): the profile asks for {asked} {units[resource]}{per_gpu} per job, and {whose} '
                f"{has}. Edit `{key}: {value}` {where} in {profile} (at most {has}"
                f"{' / GPU' if key == 'cpus_per_gpu' and request['gpus'] > 1 else ''}), or choose a partition with "
                f"bigger nodes (`sinfo -N -o '%P %N %c %m %G %l'` lists what each node offers), then run again."
            )
        if not any(
            n.gpus >= request["gpus"] and n.cpus >= request["cpus"] and n.mem_mb >= request.get("mem_mb", 0)
            for n in nodes
        ):
            raise SnakebookError(
                f"SLURM would refuse every {rule} job on partition '{partition}': no single node offers "
                f"{request['gpus']} GPU(s), {request['cpus']} CPUs and {request.get('mem_mb', 0)} MB together "
                f"(`sinfo -N -p {partition} -o '%N %c %m %G'`). Lower those requests under `set-resources: {rule}:` "
                f"in {profile}, or choose another partition, then run again."
            )


def workflow_profile_path(argv: Sequence[str] | None = None) -> str:
    """The workflow profile named on Snakemake's command line (for messages), else the shipped SLURM profile."""
    argv = list(sys.argv if argv is None else argv)
    for i, arg in enumerate(argv):
        for flag in ("--workflow-profile", "--profile"):
            value = (
                arg.split("=", 1)[1]
                if arg.startswith(flag + "=")
                else (argv[i + 1] if arg == flag and i + 1 < len(argv) else None)
            )
            if value:
                path = Path(value)
                return str(path / "config.yaml") if path.is_dir() else str(path)
    return "profiles/slurm/config.yaml"


def _resource_value(resource: Any) -> Any:
    """A rule's resource as a plain value (Snakemake's Resource objects), or None when it needs a job to compute."""
    if not hasattr(resource, "is_evaluable"):
        return resource
    if not resource.is_evaluable():
        return resource.value
    raw = getattr(resource, "raw", None)  # default-resources strings such as slurm_partition=gpu
    return raw.strip("'\"") if isinstance(raw, str) and not raw.startswith(("lambda", "system_tmpdir")) else None


def workflow_rule_resources(workflow: Any) -> tuple[dict[str, dict[str, Any]], Callable[[str, str], bool]]:
    """Every rule's resources (with the profile's set-resources and default-resources applied) from Snakemake."""
    overwrite = getattr(getattr(workflow, "resource_settings", None), "overwrite_resources", None) or {}
    rules = {}
    for rule in workflow.rules:
        if rule.name == "all" or getattr(rule, "norun", False):
            continue
        values = {name: _resource_value(value) for name, value in dict(rule.resources).items()}
        rules[rule.name] = {name: value for name, value in values.items() if value is not None}
    return rules, lambda rule, key: key in overwrite.get(rule, {})


# ---- profiles/ssh: the workstations of the hosts file -----------------------------------------------------------


def read_hosts(path: Path) -> list[tuple[str, int]]:
    """The `HOST GPUS` lines of a profiles/ssh hosts file."""
    hosts = []
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split("#", 1)[0].split()
        if fields:
            hosts.append((fields[0], int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else 1))
    return hosts


REMOTE_CHECK = """cd {workdir} 2>/dev/null || {{ echo snakebook-check: no-folder; exit 0; }}
[ -x {python} ] || {{ echo snakebook-check: no-python; exit 0; }}
{python} -c 'import snakemake, snakebook' 2>/dev/null || {{ echo snakebook-check: no-packages; exit 0; }}
echo snakebook-check: ok
"""


def check_workstation(
    host: str,
    workdir: str,
    python: str,
    ssh_config: str | None = None,
    timeout: float = SSH_TIMEOUT_S,
    run: Run = subprocess.run,
) -> str | None:
    """None when the job scripts can run on ``host``; else a sentence saying why not and what to do."""
    script = REMOTE_CHECK.format(workdir=shlex.quote(workdir), python=shlex.quote(python))
    ssh = ["ssh", "-o", "BatchMode=yes", "-o", f"ConnectTimeout={timeout:g}", "-o", "LogLevel=ERROR"]
    ssh += ["-F", ssh_config] if ssh_config else []
    command = ["bash", "-s"] if host == "localhost" else [*ssh, host, "bash", "-s"]
    shown = "`ssh" + (f" -F {ssh_config}" if ssh_config else "") + f" {host} true`"
    try:
        result = run(command, input=script, capture_output=True, text=True, timeout=timeout + 60)
    except subprocess.TimeoutExpired:
        return (
            f"Workstation {host} accepted the connection but did not finish a short check within "
            f"{timeout + 60:g} s; check its load and {shown}."
        )
    answer = re.search(r"snakebook-check: (\S+)", result.stdout or "")
    if answer is None:
        error = " ".join((result.stderr or "").split()) or f"ssh exit code {result.returncode}"
        if "Permission denied" in error or "no such identity" in error:
            return (
                f"Workstation {host} refuses the login without a password ({error}): snakebook connects with "
                f"BatchMode, so it needs a key that {host} accepts; set one up (`ssh-copy-id {host}`, or "
                f"IdentityFile in your ssh config) and check that {shown} asks for nothing."
            )
        if "Host key verification failed" in error:
            return (
                f"Workstation {host}'s host key is not known here ({error}); connect once by hand "
                f"(`ssh {host}`) to accept it, then run again."
            )
        return (
            f"Workstation {host} does not answer ssh within {timeout:g} s ({error}); switch it on, fix the "
            f"name or address in your ssh config, or remove it from the hosts file."
        )
    missing = {
        "no-folder": f"has no project folder {workdir}",
        "no-python": f"has no Python at {python} (the project's .venv)",
        "no-packages": f"cannot import snakemake and snakebook with {python}",
    }
    if answer.group(1) in missing:
        return (
            f"Workstation {host} {missing[answer.group(1)]}: profiles/ssh runs each job in the same folder, "
            f"with the same .venv, as on this machine, so install snakebook there at the same path "
            f"(`make setup`, and `make slurm`) on a filesystem shared with this machine."
        )
    return None


def check_workstations(
    hosts_file: Path,
    workdir: str,
    python: str,
    ssh_config: str | None = None,
    timeout: float = SSH_TIMEOUT_S,
    run: Run = subprocess.run,
) -> None:
    """Check every workstation of a hosts file at once; raise one paragraph naming each one that cannot work."""
    if not hosts_file.is_file():
        raise SnakebookError(
            f"profiles/ssh needs a list of workstations, but there is no {hosts_file}: copy "
            f"{hosts_file.with_name('hosts.example')} to {hosts_file} (one `HOST GPUS` line per workstation) "
            "or point SNAKEBOOK_HOSTS at such a file, then run again."
        )
    hosts = read_hosts(hosts_file)
    if not hosts:
        raise SnakebookError(f"{hosts_file} lists no workstation: add one `HOST GPUS` line per workstation.")
    with ThreadPoolExecutor(max_workers=min(8, len(hosts))) as pool:
        problems = list(
            pool.map(lambda host: check_workstation(host[0], workdir, python, ssh_config, timeout, run), hosts)
        )
    problems = [problem for problem in problems if problem]
    if problems:
        raise SnakebookError(
            f"Not every workstation in {hosts_file} can run jobs, so nothing was started: "
            + " ".join(problems)
            + " Then run the same command again."
        )


def ssh_profile_hosts(submit_cmd: str | None, environ: Mapping[str, str] | None = None) -> Path | None:
    """The hosts file profiles/ssh's submit.sh will use, or None when the submit command is not that script."""
    env = os.environ if environ is None else environ
    if not submit_cmd:
        return None
    script = Path(shlex.split(submit_cmd)[0])
    if script.name != "submit.sh" or not (script.parent / "common.sh").is_file():
        return None
    return Path(env["SNAKEBOOK_HOSTS"]) if env.get("SNAKEBOOK_HOSTS") else script.parent / "hosts"


def preflight(
    executor: str | None,
    which: Which = shutil.which,
    run: Run = subprocess.run,
    installed: Callable[[str], bool] | None = None,
    workflow: Any = None,
) -> None:
    """Check what the executor needs before anything is submitted (see the module docstring)."""
    if not executor or executor in BUILTIN_EXECUTORS:
        return
    check_executor_plugin(executor, installed)
    if executor == "slurm":
        check_slurm(which, run)
        if workflow is not None and which("sinfo"):
            rules, set_in_profile = workflow_rule_resources(workflow)
            check_slurm_resources(
                rules, lambda partition: partition_offer(partition, run), workflow_profile_path(), set_in_profile
            )
    if executor == "cluster-generic" and workflow is not None:
        hosts = ssh_profile_hosts(getattr(workflow.executor_settings, "submit_cmd", None))
        if hosts is not None:
            timeout = float(os.environ.get("SNAKEBOOK_SSH_TIMEOUT") or SSH_TIMEOUT_S)
            check_workstations(
                hosts, os.getcwd(), sys.executable, os.environ.get("SNAKEBOOK_SSH_CONFIG") or None, timeout, run
            )


def profile_file(profile: str | Path) -> Path:
    """The YAML file of a profile given as a folder (config.yaml or profile.yaml) or as the file itself."""
    path = Path(profile)
    if path.is_file():
        return path
    for name in ("profile.yaml", "config.yaml"):
        if (path / name).is_file():
            return path / name
    raise SnakebookError(f"No Snakemake profile at {path}: expected a folder with config.yaml, or a YAML file.")


def profile_settings(profile: str | Path) -> dict:
    with open(profile_file(profile), encoding="utf-8") as handle:
        return load_yaml(handle) or {}


def profile_executor(profile: str | Path) -> str | None:
    return profile_settings(profile).get("executor")


def check_profile_workstations(profile: str | Path, run: Run = subprocess.run) -> None:
    """profiles/ssh: check the hosts of the profile's hosts file (what the workflow's onstart check does too)."""
    submit = profile_settings(profile).get("cluster-generic-submit-cmd")
    if not submit:
        return
    hosts = ssh_profile_hosts(str(profile_file(profile).parent / str(submit)))
    if hosts is not None:
        timeout = float(os.environ.get("SNAKEBOOK_SSH_TIMEOUT") or SSH_TIMEOUT_S)
        check_workstations(
            hosts, os.getcwd(), sys.executable, os.environ.get("SNAKEBOOK_SSH_CONFIG") or None, timeout, run
        )


USAGE = """usage: run_on_cluster.py PROFILE [SNAKEMAKE OPTIONS...]

Check that the profile's executor can work here (plugin installed; for SLURM: sbatch, controller up;
for profiles/ssh: every workstation of the hosts file answers and has the project), then run
`snakemake --workflow-profile PROFILE [SNAKEMAKE OPTIONS...]`. Example:
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
        if executor == "cluster-generic":
            check_profile_workstations(profile)
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
