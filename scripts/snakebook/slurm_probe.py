"""Local Snakemake runs never wait for the SLURM executor plugin's import-time probe.

snakemake-executor-plugin-slurm (2.8.0) runs ``scontrol show config`` while it is imported, to word
the ``--help`` text of its status command (``_get_status_command_help`` ->
``should_recommend_squeue_status_command`` -> ``get_min_job_age``). Snakemake imports every
installed executor plugin at start, so with the plugin installed and ``scontrol`` on the PATH but
no controller answering, *every* Snakemake start waits for scontrol's own timeout (about 9 s),
local runs and dry runs included. Measured on a no-op of a 600-chapter library: 11.0 s with the
probe waiting, 1.95 s without (tests/bench/bench_slurm_probe.py measures it again).

``make slurm`` installs ``envs/snakebook-slurm-probe.pth`` into the venv; Python runs it at start
and, only for a ``snakemake`` process whose command line names no executor, profile or anything
SLURM, loads the plugin's ``job_status_query`` module first with ``get_min_job_age`` answering
"unknown" at once. The plugin then imports that module as usual. Cluster runs (``--executor
slurm``, ``--workflow-profile profiles/slurm``, job steps) are untouched and keep the real probe.
``SNAKEBOOK_SLURM_PROBE=1`` keeps it everywhere.

The same local runs also skip the plugin's other import-time cost: its ``efficiency_report`` module
imports pandas (0.53 s, a fifth of a Snakemake start) for a CSV report that only a SLURM run writes. Its
one function, ``create_efficiency_report``, is pre-loaded as a stand-in that imports the real module when
called (:func:`_lazy_efficiency_report`). Measured on a dry run of the sample book, four runs each: 3.2-3.6 -> 2.35-2.75 s.
"""

from __future__ import annotations

import importlib.util
import os
import sys

MODULE = "snakemake_executor_plugin_slurm.job_status_query"
REPORT_MODULE = "snakemake_executor_plugin_slurm.efficiency_report"


def is_local_run(argv: list[str]) -> bool:
    """Whether this command line is a Snakemake run that cannot use a cluster executor."""
    if not argv or os.path.basename(argv[0]) != "snakemake":
        return False
    if os.environ.get("SNAKEBOOK_SLURM_PROBE") == "1" or os.environ.get("SNAKEMAKE_PROFILE"):
        return False
    for index, arg in enumerate(argv[1:], start=1):
        if "slurm" in arg.lower() or arg.startswith("--profile"):
            return False
        if arg in ("-e", "--executor") or arg.startswith("--executor="):
            value = arg.partition("=")[2] or (argv[index + 1] if index + 1 < len(argv) else "")
            if value not in ("local", "dryrun", "touch"):
                return False
    return True


def skip_for_local_run(argv: list[str] | None = None) -> bool:
    """Pre-load the plugin's probe module with an instant ``get_min_job_age`` (see the module doc)."""
    try:
        if not is_local_run(list(sys.argv if argv is None else argv)) or MODULE in sys.modules:
            return False
        package = importlib.util.find_spec("snakemake_executor_plugin_slurm")  # does not import it
        if package is None or not package.submodule_search_locations:
            return False
        path = os.path.join(list(package.submodule_search_locations)[0], "job_status_query.py")
        spec = importlib.util.spec_from_file_location(MODULE, path)
        if spec is None or spec.loader is None:
            return False
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.get_min_job_age = lambda: None  # "MinJobAge unknown": only the --help wording depends on it
        sys.modules[MODULE] = module
        sys.modules.setdefault(REPORT_MODULE, _lazy_efficiency_report())
        return True
    except Exception:  # never stand in the way of a run: worst case the plugin probes as before
        return False


def _lazy_efficiency_report():
    """A stand-in for the plugin's ``efficiency_report`` module: the real one (and pandas) loads when it is used."""
    import types

    stand_in = types.ModuleType(REPORT_MODULE, "snakebook.slurm_probe: loads the real module when it is used")

    def create_efficiency_report(*args, **kwargs):
        if sys.modules.get(REPORT_MODULE) is stand_in:
            del sys.modules[REPORT_MODULE]
        real = importlib.import_module(REPORT_MODULE)
        return real.create_efficiency_report(*args, **kwargs)

    stand_in.create_efficiency_report = create_efficiency_report
    return stand_in
