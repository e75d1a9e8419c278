"""Finished books: a stamp that lets the rerun of a built library skip planning the books that did not change.

Design note. Snakemake decides what to (re)run by building the whole job graph: for a library of 100 books x 30
chapters that is ~10,000 jobs, each with its input functions, file times and recorded params, before it can
say "nothing to be done". That is ~30 CPU-seconds on a small machine for a library that is already built,
and the same again for a dry run. Yet most books of a library did not change since their last build.

So, at the end of a run that planned a book fully (the default target, no ``--forcerun`` / ``--until`` /
``--omit-from``) and finished every job of it, the book gets ``results/{book}/finished.json``:

- ``plan``: a digest of everything Snakemake's rerun triggers (params, input sets, code, software
  environment) are computed from: the config (less the list of books), this book's settings, the workflow's own files
  (Snakefile, rules, schema, envs, the snakebook package) and the Snakemake version;
- ``files``: the time and size of every input and output file of every job of the book in that run's job
  graph (the book file itself, its cover or lexicon inputs, chapter texts, WAVs, encoded chapters, the
  audiobook, report pages), i.e. what Snakemake's ``mtime`` trigger compares.

The next run's default target leaves out every book whose stamp still holds (same plan digest; every file
there with the same time and size), so Snakemake never builds their jobs. Anything else (a changed setting,
an edited or touched book, a removed or rewritten chapter file, a workflow update, a run killed half-way
through a job, which removes that job's outputs first) breaks the stamp, and the book is planned by
Snakemake as before. A stamp is only ever an allowance to skip a question whose answer is known; it is
never needed for correctness, and deleting it (or ``--forceall``, ``--forcerun``, explicit targets)
brings back full planning. Checking a stamp is stat calls only: a 3,000-chapter library is checked in a
fraction of a second.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from .fileio import write_json
from .library import BOOK_TABLE_KEYS

STAMP = "finished.json"
STAMP_FORMAT = "snakebook-finished/1"
# The workflow's own files: what its rules, params, schema and environments are made of.
WORKFLOW_FILES = ("Snakefile", "rules/*.smk", "config/*.yaml", "envs/*", "scripts/*.py", "scripts/snakebook/**/*.py")

_WORKFLOW_DIGESTS: dict[str, str] = {}


def workflow_digest(basedir: str | Path) -> str:
    """A digest of the workflow's own files (once per process: ~100 small files)."""
    basedir = Path(basedir)
    key = str(basedir.resolve())
    if key not in _WORKFLOW_DIGESTS:
        digest = hashlib.sha1()
        paths = sorted({path for pattern in WORKFLOW_FILES for path in basedir.glob(pattern) if path.is_file()})
        for path in paths:
            digest.update(str(path.relative_to(basedir)).encode("utf-8") + b"\0")
            digest.update(path.read_bytes() + b"\0")
        _WORKFLOW_DIGESTS[key] = digest.hexdigest()
    return _WORKFLOW_DIGESTS[key]


def plan_digest(config: Mapping, settings: Mapping, workflow: str, snakemake_version: str) -> str:
    """What the book's jobs' params, input sets and code are computed from, as one digest.

    The config without the keys that only say which books there are (a book added to the library does
    not unsettle the others); the book's own entry is in ``settings``.
    """
    shared = {key: value for key, value in config.items() if key not in BOOK_TABLE_KEYS}
    text = json.dumps([STAMP_FORMAT, shared, dict(settings), workflow, snakemake_version], sort_keys=True, default=str)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def stamp_path(book: str, results: str | Path = "results") -> Path:
    return Path(results) / book / STAMP


def _stat(path: str) -> list[int] | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return [found.st_mtime_ns, found.st_size]


def still_finished(book: str, plan: str, results: str | Path = "results") -> bool:
    """True if the book's stamp holds: the same plan digest, and every recorded file unchanged."""
    try:
        stamp = json.loads(stamp_path(book, results).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(stamp, dict) or stamp.get("format") != STAMP_FORMAT or stamp.get("plan") != plan:
        return False
    files = stamp.get("files")
    if not isinstance(files, dict) or not files:
        return False
    return all(_stat(path) == recorded for path, recorded in files.items())


def write_stamp(book: str, plan: str, paths: Iterable[str], results: str | Path = "results") -> bool:
    """Record the book as finished under ``plan`` with the current time and size of ``paths``.

    Paths that do not exist (a temporary output already removed) are left out. Rewrites the stamp only
    when it changes (the book folder's times feed the summary's fingerprint). Returns True if written.
    """
    files = {path: found for path in sorted(set(paths)) if (found := _stat(path)) is not None}
    if not files:
        return False
    stamp = {"format": STAMP_FORMAT, "plan": plan, "files": files}
    target = stamp_path(book, results)
    try:
        if json.loads(target.read_text(encoding="utf-8")) == stamp:
            return False
    except (OSError, ValueError):
        pass
    write_json(target, stamp, indent=None)
    return True
