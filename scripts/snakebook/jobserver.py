"""The job server: local jobs start as a fork of a warm Python instead of a cold one.

Why: every rule script runs as ``python scripts/job.py RULE ...`` (:mod:`snakebook.job`). A cold Python pays
~0.45 CPU-s before a chapter's first line of work (the interpreter, numpy, the package, ffmpeg and engine
glue), three times per chapter (synthesis, encode, report page). In a library of short chapters that fixed
cost was most of the build; in a book it delays each chapter's first utterance.

How: on a local run, the Snakemake main process starts one server (``onstart`` in rules/common.smk) and
tells its jobs where it listens (:data:`SERVER_ENV`, a Unix socket in a private temporary folder: no
network, mode 0700). ``scripts/job.py`` is then a small client (:func:`run_on_server`): it sends its command
line, working folder, environment and its stdin/stdout/stderr (passed as file descriptors) to the server,
which forks a child that already has the package and its libraries imported. The child takes over the
client's files, folder, environment and signal defaults, runs the rule script exactly as a cold job would
(:func:`snakebook.job.run_rule_script`) and exits; the client exits with the child's status. The server is
single-threaded (forking from a threaded process is unsafe) and imports nothing that starts threads or
touches a GPU (no torch, no CUDA, no onnxruntime session: those are made in the child, as before).

What stays as it was:

- Each job is a fresh fork of the same clean state: nothing one job did is seen by the next.
- Exit codes, the job's log and its messages on screen; a signal to the client (Snakemake cancelling a job,
  Ctrl-C) is passed on to the child, and a client that dies (SIGKILL) has its child stopped. A child whose
  server dies is stopped too (``PR_SET_PDEATHSIG``), and a server whose Snakemake dies (even of SIGKILL) exits
  and removes its socket folder.
- Anything unusual falls back to a cold start, with the same result: no server (cluster jobs, ``--sdm
  conda``, a job run by hand), a server of another Python or another ``scripts/`` folder, a refused or broken
  connection before the job started.

Benchmark files: Snakemake's ``benchmark:`` sampling follows the job's process tree, which is now the
client, so the wall time it writes is exact but its memory and CPU columns would be the client's (10 MB for
a Piper job of 480: a trap for whoever sizes ``mem_mb`` from them). The server measures the child itself
(``wait4``: CPU seconds and peak RSS, children included), the client writes that as the last line of the
job's log (:data:`USAGE_LINE`), and the server lists every job it ran (:data:`USAGE_RECORDS`). At the end of
the run (``onsuccess``/``onerror``) :func:`mend_benchmarks` puts the job's own figures into its benchmark
file: ``max_rss`` and ``cpu_time`` from ``wait4``, ``mean_load`` from them, and ``NA`` where ``wait4`` has
nothing (``max_vms``, ``max_uss``, ``max_pss``, ``io_in``, ``io_out``). A run stopped by Ctrl-C calls neither
hook: its benchmark files keep the client's figures, and the logs have the job's. ``SNAKEBOOK_JOB_SERVER=off
snakemake ...`` runs every job cold, with Snakemake's own sampling of the whole job.
"""

from __future__ import annotations

# (_socket, not socket, signal or json: their imports would cost the client more than all the rest of it)
import _socket
import marshal
import os
import sys

SERVER_ENV = "SNAKEBOOK_JOB_SERVER"  # the socket's path; "off" (set before Snakemake starts): no server
USAGE_LINE = "job server: child {pid} used {cpu:.2f} CPU-s, peak RSS {rss_mb:.0f} MB"
USAGE_PATTERN = r"job server: child \d+ used (?P<cpu>[\d.]+) CPU-s, peak RSS (?P<rss>[\d.]+) MB"  # (read back)
# What the server imports before it forks: what most jobs need and that is safe to fork (no threads, no GPU).
WARM_MODULES = (
    "numpy",
    "ctypes",
    "snakebook.job",
    "snakebook.entry",
    "snakebook.progress",
    "snakebook.synth",
    "snakebook.cluster",
    "snakebook.engines.espeak",
    "snakebook.engines.piper",  # (not piper.voice: importing onnxruntime starts a thread)
    "snakebook.audio.outputs",
    "snakebook.audio.encode",
    "snakebook.text.prepare",
    "ftfy",
    "num2words",
    "snakebook.report",
    "snakebook.summary",
    "snakebook.extract",
)
SOCKET_FOLDER_PREFIX = "snakebook-jobs-"  # the private temporary folder of a server's socket
USAGE_RECORDS = "jobs.tsv"  # in the server's folder: each job's log (absolute path), CPU-s and peak RSS MB
# wait4 has no figure for these benchmark columns: after the mend they read NA rather than the client's
CLIENT_ONLY_COLUMNS = ("max_vms", "max_uss", "max_pss", "io_in", "io_out")
_HEADER_BYTES = 4  # the request's length, big-endian, then the request (marshal: both sides are one Python)
_FORWARDED = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2")
STOP_GRACE_S = 10.0  # a child whose client went away gets SIGTERM, then SIGKILL after this long


def _identity(scripts: str | os.PathLike) -> dict:
    return {"executable": os.path.realpath(sys.executable), "scripts": os.path.realpath(scripts)}


# --- the client (scripts/job.py): imports nothing beyond the standard library's basics ----------------------------


def run_on_server(scripts: str | os.PathLike, argv: list[str]) -> int | None:
    """Run the job ``argv`` on the server named by :data:`SERVER_ENV`; its exit status, or None to run it here.

    None: no server, or it refused (another Python or scripts folder) before the job started.
    """
    path = os.environ.get(SERVER_ENV)
    if not path or path == "off":
        return None
    client = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        client.connect(path)
        request = marshal.dumps({**_identity(scripts), "argv": argv, "cwd": os.getcwd(), "env": dict(os.environ)})
        fds = b"".join(fd.to_bytes(4, sys.byteorder) for fd in (0, 1, 2))
        client.sendmsg([len(request).to_bytes(_HEADER_BYTES, "big")], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, fds)])
        client.sendall(request)
        answer = client.recv(1)
    except OSError:
        client.close()
        return None
    if answer != b"R":
        client.close()
        return None
    return _wait_for_child(client)


def _wait_for_child(client) -> int:
    import _signal

    def forward(signum, _frame):
        try:
            client.sendall(b"S%d\n" % signum)
        except OSError:
            pass

    for name in _FORWARDED:
        _signal.signal(getattr(_signal, name), forward)
    reply = b""
    while True:
        try:
            chunk = client.recv(4096)
        except InterruptedError:
            continue
        if not chunk:
            break
        reply += chunk
    try:
        status = marshal.loads(reply)
    except (EOFError, ValueError, TypeError):
        sys.stderr.write("ERROR snakebook: the job server went away while running this job (see its log)\n")
        return 1
    _record_usage(status)
    if status.get("signal"):
        signum = int(status["signal"])
        _signal.signal(signum, _signal.SIG_DFL)
        os.kill(os.getpid(), signum)  # die of the same signal, as a cold job would
    return int(status.get("code", 1))


def job_usage(log: str | os.PathLike) -> dict | None:
    """{cpu, rss_mb} of a job the server ran, from the :data:`USAGE_LINE` at the end of its log; None otherwise."""
    import re

    try:
        with open(log, encoding="utf-8", errors="replace") as handle:
            tail = handle.read()[-4096:]
    except OSError:
        return None
    found = list(re.finditer(USAGE_PATTERN, tail))
    return {"cpu": float(found[-1]["cpu"]), "rss_mb": float(found[-1]["rss"])} if found else None


def _record_usage(status: dict) -> None:
    log = status.get("log")
    if not log:
        return
    try:
        with open(log, "a", encoding="utf-8") as out:
            out.write(USAGE_LINE.format(**status) + "\n")
    except OSError:
        pass


# --- the server ----------------------------------------------------------------------------------------------------


def serve(path: str, scripts: str, parent: int | None = None) -> None:
    """Listen on the Unix socket ``path`` and run each job in a fork; end when ``parent`` (Snakemake) ends."""
    import importlib
    import selectors
    import signal
    import socket
    import time

    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # numpy's BLAS must not start threads before a fork
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if scripts not in sys.path:
        sys.path.insert(0, scripts)
    for name in WARM_MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # an optional engine that is not installed: its jobs import it themselves
            pass
    _rehearse()
    if _threads() > 1:
        return  # a warm module started a thread: forking could copy a held lock, so every job runs cold
    identity = _identity(scripts)
    records = os.path.join(os.path.dirname(path), USAGE_RECORDS)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "accept")
    jobs: dict[int, dict] = {}  # child pid -> {client, pidfd, log, stopping (since when), gone (the client)}
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the clients; they pass it on
    try:
        while True:
            for key, _ in selector.select(timeout=1.0):
                if key.data == "accept":
                    try:
                        client, _ = listener.accept()
                    except OSError:
                        continue
                    if _start(client, identity, selector, jobs) is None:
                        client.close()
                elif key.data[0] == "client":
                    _from_client(key.data[1], selector, jobs)
                else:
                    _finished(key.data[1], selector, jobs, records)
            now = time.monotonic()
            for pid, job in list(jobs.items()):
                if job["stopping"] and now - job["stopping"] > STOP_GRACE_S:
                    _kill(pid, signal.SIGKILL)
            if parent is not None and os.getppid() != parent:
                return  # Snakemake is gone: its jobs' clients are too, and theirs are stopped above
    finally:
        for pid in jobs:
            _kill(pid, signal.SIGTERM)
        listener.close()
        _remove_own_files(path, records)


def _remove_own_files(path: str, records: str) -> None:
    """The socket, the job list and the private folder :func:`start_server` made for them: removed by the server
    itself too, so that a Snakemake killed with SIGKILL (no exit handlers) leaves nothing in the temporary folder."""
    for name in (path, records):
        try:
            os.unlink(name)
        except OSError:
            pass
    folder = os.path.dirname(path)
    if os.path.basename(folder).startswith(SOCKET_FOLDER_PREFIX):
        try:
            os.rmdir(folder)
        except OSError:
            pass


def _rehearse() -> None:
    """Plan a few English sentences once, so that every fork finds the text rules' regular expressions compiled
    (Python compiles a pattern at its first use: ~0.2 CPU-s a job otherwise). Nothing is written anywhere."""
    try:
        from .text.prepare import make_preparer
        from .text.speech import Pauses, plan_utterances

        sample = "Mr. Smith paid $3.50 on 1 May 1999, at 10:30 a.m.; the 2nd time… “Quite so!” -- he said (1/2 of it)."
        for phonemes in (False, True):
            prepare = make_preparer("en", {}, phonemes=phonemes)
            plan_utterances("Chapter I", sample, language="en", max_chars=180, pauses=Pauses(), prepare=prepare)
    except Exception:  # a rehearsal only: the jobs do the real thing
        pass


def _threads() -> int:
    """The process's OS threads (Linux; 1 where it cannot tell)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 1


def _kill(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except OSError:
        pass


def _receive(client) -> tuple[dict, list[int]]:
    import socket

    client.settimeout(10.0)
    message, ancillary, _flags, _ = client.recvmsg(_HEADER_BYTES, socket.CMSG_SPACE(3 * 4))
    fds: list[int] = []
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds += [int.from_bytes(data[i : i + 4], sys.byteorder) for i in range(0, len(data) - 3, 4)]
    if len(message) != _HEADER_BYTES:
        for fd in fds:
            os.close(fd)
        raise OSError("short request")
    size = int.from_bytes(message, "big")
    body = bytearray()
    while len(body) < size:
        chunk = client.recv(min(1 << 20, size - len(body)))
        if not chunk:
            raise OSError("short request")
        body += chunk
    client.settimeout(None)
    try:
        return marshal.loads(bytes(body)), fds
    except (EOFError, ValueError, TypeError):
        for fd in fds:
            os.close(fd)
        raise OSError("unreadable request") from None


def _start(client, identity, selector, jobs) -> int | None:
    import selectors

    try:
        request, fds = _receive(client)
    except OSError:
        return None
    try:
        if not isinstance(request, dict) or len(fds) != 3 or any(request.get(k) != v for k, v in identity.items()):
            client.sendall(b"N")
            return None
        pid = os.fork()
        if pid == 0:
            _child(request, fds)  # never returns
    except OSError:  # the client went away, or no fork: it runs the job itself, or it is gone
        return None
    finally:
        for fd in fds:
            os.close(fd)
    try:
        client.sendall(b"R")
    except OSError:
        pass  # a client gone already: its child is stopped when the connection reads as closed
    pidfd = os.pidfd_open(pid)
    log = _log_of(request["argv"])
    if log:
        log = os.path.join(request["cwd"], log)
    jobs[pid] = {"client": client, "pidfd": pidfd, "log": log, "stopping": 0.0, "gone": False}
    selector.register(client, selectors.EVENT_READ, ("client", pid))
    selector.register(pidfd, selectors.EVENT_READ, ("child", pid))
    return pid


def _log_of(argv: list[str]) -> str | None:
    """The job's log file (``--log PATH``), for the usage line."""
    for i, token in enumerate(argv[:-1]):
        if token == "--log":
            return argv[i + 1]
    return None


def _from_client(pid: int, selector, jobs: dict) -> None:
    import signal
    import time

    job = jobs.get(pid)
    if job is None:
        return
    try:
        data = job["client"].recv(256)
    except OSError:
        data = b""
    if not data:  # the client died (e.g. SIGKILL): stop its job as Snakemake meant to
        selector.unregister(job["client"])
        job["gone"] = True
        job["stopping"] = time.monotonic()
        _kill(pid, signal.SIGTERM)
        return
    for line in data.split(b"\n"):
        if line.startswith(b"S") and line[1:].isdigit():
            _kill(pid, int(line[1:]))


def _finished(pid: int, selector, jobs: dict, records: str) -> None:
    job = jobs.pop(pid)
    _, status, usage = os.wait4(pid, 0)
    selector.unregister(job["pidfd"])
    os.close(job["pidfd"])
    if not job["gone"]:
        selector.unregister(job["client"])
    reply = {
        "pid": pid,
        "code": os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 1,
        "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss_mb": usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024) / 2**20,
        "log": job["log"],
    }
    try:
        job["client"].sendall(marshal.dumps(reply))
    except OSError:
        pass
    job["client"].close()
    if job["log"] and "\t" not in job["log"] and "\n" not in job["log"]:
        try:
            with open(records, "a", encoding="utf-8") as out:
                out.write(f"{job['log']}\t{reply['cpu']:.3f}\t{reply['rss_mb']:.2f}\n")
        except OSError:
            pass


def _child(request: dict, fds: list[int]) -> None:
    """In the fork: become the job (its files, folder, environment, signals), run it, exit with its status."""
    import signal

    code = 1
    try:
        try:
            _die_with_parent()
            for fd, target in zip(fds, (0, 1, 2), strict=True):
                os.dup2(fd, target)
            os.closerange(3, _max_fd())
            for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGCHLD"):
                signal.signal(getattr(signal, name), signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            os.chdir(request["cwd"])
            os.environ.clear()
            os.environ.update(request["env"])
            sys.argv = [os.path.join(request["scripts"], "job.py"), *request["argv"]]
            from .job import run_rule_script

            run_rule_script(request["scripts"], request["argv"])
            code = 0
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
            if done.code is not None and not isinstance(done.code, int):
                print(done.code, file=sys.stderr)
        except KeyboardInterrupt:
            code = 130
        except BaseException:
            import traceback

            traceback.print_exc()
            code = 1
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            except Exception:
                pass
    finally:
        os._exit(code)


def _max_fd() -> int:
    try:
        return os.sysconf("SC_OPEN_MAX")
    except (OSError, ValueError):
        return 1024


def _die_with_parent() -> None:
    """Linux: the child gets SIGTERM if the server dies (no job runs on without the one that reports it)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, 15, 0, 0, 0)  # PR_SET_PDEATHSIG, SIGTERM
    except (OSError, AttributeError):
        pass


# --- started and stopped by the Snakemake main process -----------------------------------------------------------


def benchmark_of(log: str | os.PathLike) -> str:
    """A job's benchmark file from its log: the rules keep them side by side
    (``results/{book}/logs/X.log`` <-> ``results/{book}/benchmarks/X.tsv``; ``test_packaging`` holds them to it)."""
    head, sep, tail = str(log).rpartition("/logs/")
    if not sep or not tail.endswith(".log"):
        raise ValueError(f"not a job log under results/{{book}}/logs/: {log}")
    return f"{head}/benchmarks/{tail.removesuffix('.log')}.tsv"


def mend_benchmarks() -> int:
    """Put each job's own CPU and peak RSS into the benchmark file of every job this run's server ran (see the
    module doc); the number of files mended. Called at the end of a local run, in Snakemake's main process."""
    path = os.environ.get(SERVER_ENV)
    if not path or path == "off":
        return 0
    try:
        with open(os.path.join(os.path.dirname(path), USAGE_RECORDS), encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return 0
    mended = 0
    for line in lines:
        try:
            log, cpu, rss = line.split("\t")
            mended += _mend_benchmark(benchmark_of(log), float(cpu), float(rss))
        except (ValueError, OSError):
            continue  # a job without a benchmark file, or one Snakemake did not write (a failed job)
    return mended


def read_benchmark(path: str | os.PathLike) -> dict | None:
    """A Snakemake benchmark file's one row as {column: text}; None for a file of several rows (``repeat``)."""
    with open(path, encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    names, values = (lines[0].split("\t"), lines[1].split("\t")) if len(lines) == 2 else ([], [None])
    return dict(zip(names, values, strict=True)) if len(names) == len(values) else None


def _mend_benchmark(path: str, cpu: float, rss_mb: float) -> bool:
    from .fileio import write_text

    row = read_benchmark(path)
    if not row or "max_rss" not in row or "cpu_time" not in row:
        return False
    names = list(row)
    row["max_rss"], row["cpu_time"] = f"{rss_mb:.2f}", f"{cpu:.2f}"
    try:
        seconds = float(row.get("s", "0"))
    except ValueError:
        seconds = 0.0
    if "mean_load" in row:
        row["mean_load"] = f"{100 * cpu / seconds:.2f}" if seconds > 0 else "NA"
    for name in CLIENT_ONLY_COLUMNS:
        if name in row:
            row[name] = "NA"
    write_text(path, "\t".join(names) + "\n" + "\t".join(row[name] for name in names) + "\n")
    return True


def start_server(scripts: str | os.PathLike) -> str | None:
    """Start the server for this Snakemake process's local jobs; return its socket's path (None: not started).

    Sets :data:`SERVER_ENV` for the jobs and stops the server when this process exits.
    """
    import atexit
    import shutil
    import subprocess
    import tempfile

    if os.environ.get(SERVER_ENV) == "off" or not hasattr(os, "pidfd_open") or not hasattr(_socket, "AF_UNIX"):
        return None
    folder = tempfile.mkdtemp(prefix=SOCKET_FOLDER_PREFIX)  # mode 0700: only this user reaches the socket
    path = os.path.join(folder, "socket")
    scripts = os.path.realpath(scripts)
    search = os.pathsep.join(p for p in (scripts, os.environ.get("PYTHONPATH")) if p)
    process = subprocess.Popen(
        [sys.executable, "-m", "snakebook.jobserver", path, scripts, str(os.getpid())],
        env={**os.environ, "PYTHONPATH": search},
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # Ctrl-C at the terminal reaches the clients, which pass it on
    )

    def stop() -> None:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(folder, ignore_errors=True)

    atexit.register(stop)
    # Jobs that start before the socket exists run cold (the client finds no server), so nothing waits here.
    os.environ[SERVER_ENV] = path
    return path


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2], int(sys.argv[3]))
