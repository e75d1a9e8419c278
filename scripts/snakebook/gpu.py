"""GPU pinning: each synthesis job that runs on a GPU claims one device for its lifetime.

Snakemake bounds how many GPU jobs run at once (``--resources gpu=N``; the synthesis rule asks for
``gpu=1`` only when its engine runs on a GPU), but it does not say *which* GPU a job should use. So a
job claims one device of the visible device list with a lock file (``filelock``; the lock goes away
when the process ends, also when it is killed), then narrows ``CUDA_VISIBLE_DEVICES`` to that device
before torch or onnxruntime touch CUDA. N jobs on N GPUs therefore never share one; a job that finds
every device claimed waits for one to come free.

The visible device list is, in order of precedence:

- ``SNAKEBOOK_GPUS`` (comma-separated ids): an explicit list, e.g. to keep snakebook off some GPUs,
  or a fake list in tests;
- ``CUDA_VISIBLE_DEVICES``: set by SLURM (``--gpus``/``--gres``) or by the user;
- the GPUs ``nvidia-smi`` lists; none when it is absent (a CPU-only machine).

Under SLURM each job's ``CUDA_VISIBLE_DEVICES`` is its own allocation (cgroups renumber from 0), so the
lock files live in a folder per SLURM job: jobs of one allocation (a local run inside ``salloc``) still
pin distinct devices, and separate SLURM jobs never wait on each other's locks.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

log = logging.getLogger("snakebook")

# Locks held by this process (one device per job); kept referenced so they last as long as the job.
_HELD: list[FileLock] = []


@dataclass(frozen=True)
class GpuSlot:
    device: str  # the id in the visible device list (an index or a GPU UUID)
    lock_path: Path | None  # None when the scheduler assigned the device (nothing to lock)


def _parse_ids(value: str) -> list[str]:
    ids = [part.strip() for part in value.split(",") if part.strip()]
    # CUDA stops at the first invalid id; -1 (or an empty value) means "no GPU".
    return [] if not ids or ids[0] in ("-1", "none", "NoDevFiles") else ids


def _nvidia_smi_ids() -> list[str]:
    if not shutil.which("nvidia-smi"):
        return []
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=index", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.strip() for line in out.splitlines() if line.strip().isdigit()]


def visible_devices(env: dict | None = None) -> list[str]:
    """The GPUs this job may choose from (see the module docstring)."""
    env = os.environ if env is None else env
    for key in ("SNAKEBOOK_GPUS", "CUDA_VISIBLE_DEVICES"):
        if key in env:
            return _parse_ids(env[key])
    return _nvidia_smi_ids()


def lock_dir(env: dict | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("SNAKEBOOK_GPU_LOCK_DIR"):
        return Path(env["SNAKEBOOK_GPU_LOCK_DIR"])
    name = "snakebook-gpu-locks"
    if env.get("SLURM_JOB_ID"):
        name += f"-slurm{env['SLURM_JOB_ID']}"
    return Path(tempfile.gettempdir()) / f"{name}-{os.getuid() if hasattr(os, 'getuid') else 0}"


def claim_gpu(wait_seconds: float | None = None, poll: float = 0.5) -> GpuSlot | None:
    """Claim one visible GPU for this process and narrow ``CUDA_VISIBLE_DEVICES`` to it.

    Returns None when no GPU is visible. Claiming twice in one process returns the same device.
    Waits (polling) while every device is claimed by another job; ``wait_seconds`` bounds the wait
    (None: wait as long as it takes, which is what the scheduler's gpu resource makes short).
    """
    if _HELD:
        return GpuSlot(os.environ.get("CUDA_VISIBLE_DEVICES", ""), Path(_HELD[0].lock_file))
    devices = visible_devices()
    if not devices:
        return None
    folder = lock_dir()
    folder.mkdir(parents=True, exist_ok=True)
    # Start at a different device per process so that simultaneous starts rarely race for the same lock.
    start = os.getpid() % len(devices)
    order = devices[start:] + devices[:start]
    started = time.monotonic()
    warned = False
    while True:
        for device in order:
            safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in device)
            lock = FileLock(str(folder / f"gpu-{safe}.lock"), timeout=0)
            try:
                lock.acquire()
            except Timeout:
                continue
            _HELD.append(lock)
            os.environ["CUDA_VISIBLE_DEVICES"] = device
            log.info("pinned GPU %s (of %s; lock %s)", device, ",".join(devices), lock.lock_file)
            return GpuSlot(device, Path(lock.lock_file))
        waited = time.monotonic() - started
        if wait_seconds is not None and waited >= wait_seconds:
            raise TimeoutError(f"every GPU ({', '.join(devices)}) stayed claimed by other jobs for {waited:.0f} s")
        if not warned:
            log.info("all GPUs (%s) are in use by other jobs; waiting for one to come free", ",".join(devices))
            warned = True
        time.sleep(poll)


def release_gpu() -> None:
    """Give the claimed GPU back (a job's end does this by itself)."""
    while _HELD:
        _HELD.pop().release()
