"""A rule script run by ``shell:`` without Snakemake: ``python scripts/job.py RULE --input.text PATH ...``.

A ``script:`` job pays ~0.3 s before the script's first line (Snakemake's wrapper imports snakemake and unpickles
the job); per chapter and per book that was most of a short job's fixed cost. Here the command line, written by
``job_shell`` in rules/common.smk, carries what the rule script reads from ``snakemake``, and
``scripts/RULE.py`` (the one body of the rule) runs with a :class:`Job` of the same shape as ``snakemake``:

- ``--input.NAME PATH``, ``--output.NAME PATH``: one path; ``--input.NAME+ PATH...``: a list of zero or more;
  ``--input``, ``--output``, ``--log`` alone: unnamed paths;
- ``--params.NAME VALUE``: a Python literal (``job_shell`` writes the ``repr``);
- ``--wildcards.NAME VALUE``, ``--threads N``.

The config keys the scripts read (:data:`JOB_CONFIG_KEYS`; never rerun triggers) come from the environment
(:data:`JOB_CONFIG_ENV`), which the job's own Snakemake sets while reading the workflow; any other key is an
error, never a silent default.

``scripts/job.py`` is run by path, so ``scripts/`` is on the module path as with ``script:`` (under
``--sdm conda`` the package is found there).
"""

from __future__ import annotations

import ast
import json
import os
import runpy
import sys
from pathlib import Path

from .errors import SnakebookError

JOB_CONFIG_ENV = "SNAKEBOOK_JOB_CONFIG"
JOB_CONFIG_KEYS = ("qa", "cache_dir", "synthesis")


def job_config(config: dict) -> str:
    """The value of :data:`JOB_CONFIG_ENV`: the config keys rule scripts read, as JSON."""
    return json.dumps({key: config.get(key) for key in JOB_CONFIG_KEYS}, sort_keys=True)


class Named(list):
    """Values by position and by name, as Snakemake's ``input``, ``output``, ``log``, ``params`` and ``wildcards``."""

    def __init__(self, section: str = ""):
        super().__init__()
        self._section = section
        self._names: dict = {}

    def add(self, name: str | None, value, many: bool = False) -> None:
        if many:
            self.extend(value)
        else:
            self.append(value)
        if name:
            self._names[name] = value

    def __getattr__(self, name: str):
        try:
            return self.__dict__["_names"][name]
        except KeyError:
            field = f"{self.__dict__.get('_section', '')}.{name}"
            raise AttributeError(f'{field} is not passed to this job: add "{field}" to its job_shell(...)') from None

    def get(self, name: str, default=None):
        return self._names.get(name, default)


class Job:
    """What a rule's body reads: ``input``, ``output``, ``log``, ``params``, ``wildcards``, ``threads``, ``config``."""

    def __init__(self, rule: str):
        self.rule = rule
        self.input, self.output, self.log = Named("input"), Named("output"), Named("log")
        self.params, self.wildcards = Named("params"), Named("wildcards")
        self.threads = 1
        self.config = JobConfig(rule, os.environ.get(JOB_CONFIG_ENV))


class JobConfig(dict):
    """The config keys of :data:`JOB_CONFIG_ENV`; asking for another one is an error."""

    def __init__(self, rule: str, text: str | None):
        super().__init__(json.loads(text) if text else {})
        self.rule = rule

    def __missing__(self, key):
        raise SnakebookError(
            f"rule {self.rule} reads config key {key!r}, which jobs do not get: add it to JOB_CONFIG_KEYS in "
            f"snakebook/job.py" + ("" if self else f" (and run the job from Snakemake, which sets {JOB_CONFIG_ENV})")
        )

    def get(self, key, default=None):
        return self[key]


FILES = ("input", "output", "log")


def _literal(rule: str, field: str, text: str):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        raise SnakebookError(f"job {rule}: --{field} is not a Python literal: {text[:200]!r}") from None


def parse_job(argv: list[str]) -> Job:
    """``RULE --field value... ...`` (see the module's description) -> :class:`Job`."""
    if not argv or argv[0].startswith("--"):
        raise SnakebookError("usage: python scripts/job.py RULE --input.NAME PATH ... (see snakebook/job.py)")
    job = Job(argv[0])
    fields: list[tuple[str, list[str]]] = []
    for token in argv[1:]:
        if token.startswith("--"):
            fields.append((token[2:], []))
        elif not fields:
            raise SnakebookError(f"job {job.rule}: {token!r} comes before any --field")
        else:
            fields[-1][1].append(token)
    for field, values in fields:
        section, _, name = field.partition(".")
        many = field.endswith("+") or (section in FILES and not name)
        name = name.removesuffix("+")
        if not many and len(values) != 1:
            raise SnakebookError(f"job {job.rule}: --{field} takes one value, got {len(values)}: {values!r}")
        if section in FILES:
            getattr(job, section).add(name or None, values if many else values[0], many)
        elif section == "params" and name:
            job.params.add(name, _literal(job.rule, field, values[0]))
        elif section == "wildcards" and name:
            job.wildcards.add(name, values[0])
        elif section == "threads":
            job.threads = int(values[0])
        else:
            raise SnakebookError(f"job {job.rule}: unknown field --{field}")
    return job


def run_rule_script(scripts: str | Path, argv: list[str]) -> None:
    """Run ``scripts/RULE.py`` with ``snakemake`` = the :class:`Job` of ``argv``; a bad command line exits 2."""
    try:
        job = parse_job(argv)
        script = Path(scripts) / f"{job.rule}.py"
        if not script.is_file():
            raise SnakebookError(f"no rule script {script}")
    except SnakebookError as error:
        print(f"ERROR {error}", file=sys.stderr)
        sys.exit(2)
    runpy.run_path(str(script), init_globals={"snakemake": job}, run_name="__main__")
