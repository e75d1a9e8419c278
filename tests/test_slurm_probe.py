"""snakebook.slurm_probe: local Snakemake runs skip the SLURM plugin's import-time `scontrol show config`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from snakebook.slurm_probe import MODULE, REPORT_MODULE, is_local_run

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("argv", "local"),
    [
        (["/venv/bin/snakemake", "--cores", "2"], True),
        (["/venv/bin/snakemake", "-n", "--executor", "local"], True),
        (["/venv/bin/snakemake", "--workflow-profile", "profiles/slurm"], False),
        (["/venv/bin/snakemake", "--executor", "slurm"], False),
        (["/venv/bin/snakemake", "-e", "cluster-generic"], False),
        (["/venv/bin/snakemake", "--executor=slurm-jobstep"], False),
        (["/venv/bin/snakemake", "--profile", "mycluster"], False),
        (["/venv/bin/python", "-m", "pytest"], False),
        ([], False),
    ],
)
def test_only_plain_local_snakemake_runs_skip_the_probe(argv, local, monkeypatch):
    monkeypatch.delenv("SNAKEBOOK_SLURM_PROBE", raising=False)
    monkeypatch.delenv("SNAKEMAKE_PROFILE", raising=False)
    assert is_local_run(argv) is local


def test_the_probe_can_be_kept(monkeypatch):
    monkeypatch.setenv("SNAKEBOOK_SLURM_PROBE", "1")
    assert not is_local_run(["/venv/bin/snakemake", "--cores", "2"])


# A fresh interpreter posing as a local `snakemake` run: the start-up hook, then the plugin's import.
LOCAL_START = (
    "import sys; sys.argv = ['/x/snakemake', '--cores', '1']\n"
    "from snakebook.slurm_probe import skip_for_local_run\n"
    "assert skip_for_local_run()\n"
    "import snakemake_executor_plugin_slurm as plugin\n"
)


def run_as_local_start(checks: str) -> None:
    pytest.importorskip("snakemake_executor_plugin_slurm")
    result = subprocess.run(
        [sys.executable, "-c", LOCAL_START + checks],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin"},
        timeout=120,
    )  # the package is installed
    assert result.returncode == 0, result.stderr


def test_the_plugin_imports_with_the_instant_probe_and_keeps_working():
    """The plugin imports and sees no MinJobAge."""
    run_as_local_start(
        f"assert sys.modules['{MODULE}'].get_min_job_age() is None\nassert plugin.ExecutorSettings is not None\n"
    )


def test_a_local_run_imports_pandas_only_when_an_efficiency_report_is_made():
    """The plugin's efficiency_report module (pandas: ~0.5 s a start) is a stand-in until it is used."""
    run_as_local_start(
        "assert 'pandas' not in sys.modules, 'pandas imported at start'\n"
        "try:\n"
        "    plugin.create_efficiency_report()\n"  # the real function: it needs its arguments
        "except TypeError as error:\n"
        "    assert 'argument' in str(error), error\n"
        "else:\n"
        "    raise AssertionError('the stand-in did not call the real function')\n"
        f"real = sys.modules['{REPORT_MODULE}']\n"
        "assert 'pandas' in sys.modules and real.pd is sys.modules['pandas']\n"
        "assert real.create_efficiency_report.__module__ == real.__name__\n"
    )
