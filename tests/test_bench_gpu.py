"""tests/bench/bench_gpu.py on a machine without a GPU: one clear line at once, exit 0, nothing measured."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent / "bench" / "bench_gpu.py"


@pytest.mark.skipif(shutil.which("nvidia-smi") is not None, reason="a GPU machine runs the real benchmark instead")
def test_without_a_gpu_it_says_so_and_measures_nothing(tmp_path):
    report = tmp_path / "gpu.json"
    result = subprocess.run(
        [sys.executable, str(BENCH), "--json", str(report)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("skipped: no CUDA GPU here")
    assert "--cpu-smoke" in result.stdout  # says how to check the script anyway
    assert not report.exists()
