import asyncio
import atexit
import json
import logging
import os
import shlex
import sys
import threading

import snakemake
from snakemake.common import NOTHING_TO_BE_DONE_MSG
from snakemake.logging import logger

from snakemake.settings.types import DeploymentMethod
from snakemake.utils import validate

try:  # the package in scripts/snakebook/, installed into the venv by `make setup` (pip install -e .)
    import snakebook  # noqa: F401
except ImportError:
    raise WorkflowError(
        "The snakebook package is not installed in the Python that runs Snakemake: run `make setup`, or "
        f"`pip install -e {workflow.basedir}` in that environment (see README, Development)."
    ) from None

from snakebook.audio.formats import BY_CHAPTER_SUFFIX, FORMATS
from snakebook.audio.outputs import voice_name
from snakebook.cluster import preflight, show_group_job_errors
from snakebook.errors import SnakebookError
from snakebook.failures import finish_run
from snakebook.finished import (
    plan_digest,
    stamp_path,
    still_finished,
    workflow_digest,
    write_stamp,
)
from snakebook.job import JOB_CONFIG_ENV, job_config
from snakebook.jobserver import mend_benchmarks, start_server
from snakebook.library import book_table
from snakebook.parts import parse_part, part_names
from snakebook.report import book_title, chapter_labels, report_page_targets
from snakebook.planning import (
    check_settings,
    sound_settings,
    uses_gpu,
    voice_plan,
)
from snakebook.settings import prepare_config
from snakebook.sharing import SLOTS_ENV

show_group_job_errors()  # a failed chapter group job (sbatch refusal, lost workstation) says why

# Settings (snakebook.settings): old spellings, command-line strings converted by the schema's types,
# unknown keys named with the nearest valid one; then the schema; then the book table (books, library,
# sheet), each book's settings checked without loading any engine.
try:
    prepare_config(config)
except SnakebookError as error:
    raise WorkflowError(str(error)) from None

validate(config, schema="../config/schema.yaml")

try:
    BOOKS = book_table(
        config, explicit_books="books" in workflow.config_settings.overwrite_config
    )
    for _settings in BOOKS.values():
        check_settings(_settings)
except SnakebookError as error:
    raise WorkflowError(str(error)) from None


wildcard_constraints:
    book="|".join(sorted(BOOKS)) if BOOKS else "[^/]+",
    chapter=r"\d+",


# --- finished books (snakebook.finished): a built, unchanged book is left out of the default target ---
_FINISHED = {
    "checked": False,  # the stamps were read (once per run, when the default target is planned)
    "plans": {},  # book -> its plan digest, for the books this run plans
    "skipped": set(),  # books left out of the default target: their finished.json holds
    "nothing to be done": False,
    "stamped": False,
}


class NothingToBeDone(logging.Filter):
    """Notes Snakemake's "Nothing to be done": a run that ends there calls neither onsuccess nor onerror."""

    def filter(self, record):
        if record.msg == NOTHING_TO_BE_DONE_MSG:
            _FINISHED["nothing to be done"] = True
        return True


def stamp_when_nothing_was_to_be_done():
    """At exit: a run whose complete job graph needed nothing (e.g. a touched book) stamps its books."""
    if _FINISHED["nothing to be done"] and not _FINISHED["stamped"]:
        stamp_finished_books()


def plans_fully():
    """True if this run executes (or dry-runs) the default target, nothing forced, cut short or touched.

    Other operations (--report, --summary, --delete-all-output, --list-changes, ...) have no executor and
    always see every book.
    """
    dag = workflow.dag_settings
    return (
        workflow.executor_plugin is not None
        and not workflow.touch
        and not (dag.forceall or dag.forcerun or dag.until or dag.omit_from)
        and not (dag.allowed_rules or dag.target_jobs or dag.batch is not None)
        and set(dag.targets) <= {"all"}
    )


def planned_books():
    """The books this run's default target plans: all but the finished, unchanged ones (stamps read once)."""
    if not _FINISHED["checked"] and plans_fully():
        _FINISHED["checked"] = True
        logger.addFilter(NothingToBeDone())
        atexit.register(stamp_when_nothing_was_to_be_done)
        code = workflow_digest(workflow.basedir)
        for book in BOOKS:
            plan = plan_digest(
                config, BOOKS[book].as_dict(), code, snakemake.__version__
            )
            if still_finished(book, plan):
                _FINISHED["skipped"].add(book)
            else:
                _FINISHED["plans"][book] = plan
        if _FINISHED["skipped"]:
            logger.info(
                f"snakebook: {len(_FINISHED['skipped'])} of {len(BOOKS)} books unchanged since they were "
                "finished (results/BOOK/finished.json); not planned again (--forceall or explicit targets "
                "plan them)"
            )
    return [book for book in sorted(BOOKS) if book not in _FINISHED["skipped"]]


def stamp_finished_books():
    """End of a run that planned the default target: stamp each planned book all of whose jobs finished."""
    plans = _FINISHED["plans"]
    if not plans or workflow.dryrun:
        return
    _FINISHED["stamped"] = True
    dag = workflow.dag
    files, unfinished = {}, set()
    for job in dag.jobs:
        book = job.wildcards_dict.get("book")
        if book in plans:
            if dag.needrun(job) and not dag.finished(job):
                unfinished.add(book)
            files.setdefault(book, set()).update(
                map(str, job.input), map(str, job.output)
            )
    for book, paths in files.items():
        if book not in unfinished:
            try:
                write_stamp(book, plans[book], paths)
            # A stamp is an allowance to skip planning, never a reason to fail a run.
            except OSError as error:
                logger.warning(
                    f"snakebook: {book}: could not write its finished.json: {error}"
                )


def all_outputs(wildcards):
    """Every book's m4b, plus the missing chapter WAVs and speech files of extracted books.

    Listing them makes a deleted chapter come back on the next run (Snakemake rebuilds a missing
    intermediate file only when it is a target or a job that uses it has to run). Books not
    extracted yet contribute only their m4b: its own input function waits for the checkpoint,
    so the extractions of all books are scheduled at once. Finished, unchanged books are left out
    (planned_books).
    """
    # A finished book's stamp stands for it (a source file no job makes): "Nothing to be done" as before.
    planned = planned_books()
    targets = [str(stamp_path(book)) for book in sorted(_FINISHED["skipped"])]
    for book in planned:
        targets += book_targets(book)
        targets.append(f"results/{book}/qa.tsv")  # flagged utterances (snakebook.qa)
        if not os.path.exists(f"results/{book}/book.json"):
            continue
        ids = book_chapter_ids(
            book
        )  # may defer until Snakemake has registered the checkpoint
        # Only the missing ones: an existing chapter file is checked through the jobs that use it, and each
        # target costs Snakemake a dependency lookup (6,000 of them for 3,000 chapters).
        targets += [
            path
            for chapter in ids
            for path in (
                f"results/{book}/audio/{chapter}.wav",
                f"results/{book}/speech/{chapter}.txt",
            )
            if not os.path.exists(path)
        ]
    return targets


def book_source(wildcards):
    return BOOKS[wildcards.book].path


def book_settings(wildcards):
    return BOOKS[wildcards.book].as_dict()


def book_voice_plan(wildcards):
    """The voice for the book's language found by extraction (a change re-runs the check).

    Waits for the checkpoint (book_info), so the params are the same on the first run, when book.json
    does not exist yet, as on every later one; read without waiting, they differed, and a finished
    book re-ran check_book on its next run.
    """
    return voice_plan(BOOKS[wildcards.book], book_info(wildcards.book))


_BOOK_INFO = {}
# book -> its book.json, once Snakemake has registered the book's checkpoint output
_EXTRACTED = {}


def book_info(book):
    """book.json of an extracted book (waits for the checkpoint).

    Read once per version of the file, however many chapters ask; the checkpoint is asked once per book
    (Snakemake's Checkpoint.get copies the set of every registered checkpoint output on each call, and
    registered outputs stay registered for the rest of the run). Nothing here may fail for one book:
    whether its voice can speak it is the check_book job's question (a failed job, not a stopped workflow).
    """
    path = _EXTRACTED.get(book)
    if path is None:
        path = _EXTRACTED[book] = checkpoints.extract_book.get(book=book).output.book
    key = (book, os.stat(path).st_mtime_ns)
    if key not in _BOOK_INFO:
        with open(path, encoding="utf-8") as handle:
            _BOOK_INFO[key] = json.load(handle)
    return _BOOK_INFO[key]


def book_chapter_ids(book):
    return [chapter["id"] for chapter in book_info(book)["chapters"]]


def chapter_ids(wildcards):
    return book_chapter_ids(wildcards.book)


def chapter_wavs(wildcards):
    return expand(
        "results/{book}/audio/{chapter}.wav",
        book=wildcards.book,
        chapter=chapter_ids(wildcards),
    )


def chapter_qa_tables(wildcards):
    return expand(
        "results/{book}/qa/{chapter}.tsv",
        book=wildcards.book,
        chapter=chapter_ids(wildcards),
    )


def chapter_m4as(wildcards):
    return expand(
        "results/{book}/encoded/{chapter}.m4a",
        book=wildcards.book,
        chapter=chapter_ids(wildcards),
    )


# --- outputs (rules/assemble.smk, snakebook.audio) ---------------------------------------------
BOOK_FORMATS = "|".join(FORMATS)
CHAPTER_SUFFIXES = "|".join(
    sorted({f.chapter_suffix.lstrip(".") for f in FORMATS.values()})
)
CHAPTER_FORMAT = {suffix.lstrip("."): f.name for suffix, f in BY_CHAPTER_SUFFIX.items()}


def book_formats(book):
    return BOOKS[book].output.format_list


def book_targets(book):
    """The finished files of a book: one per format, captions, per-chapter folders, the library placement."""
    output = BOOKS[book].output
    targets = [f"results/{book}/{book}.{fmt}" for fmt in output.format_list]
    targets += [
        f"results/{book}/{book}.{kind}" for kind in config.get("captions") or []
    ]
    if output.per_chapter:
        targets += [f"results/{book}/per_chapter/{fmt}" for fmt in output.format_list]
    if output.layout:
        targets.append(f"results/{book}/library.json")
    return targets


def _encoded(book, fmt):
    suffix = FORMATS[fmt].chapter_suffix
    return [f"results/{book}/encoded/{c}{suffix}" for c in book_chapter_ids(book)]


def encoded_chapters(wildcards):
    return _encoded(wildcards.book, wildcards.fmt)


def first_format_chapters(wildcards):
    """The chapters of the book's first format: where each chapter starts in the joined book."""
    return _encoded(wildcards.book, book_formats(wildcards.book)[0])


def book_audio_files(wildcards):
    return [
        f"results/{wildcards.book}/{wildcards.book}.{fmt}"
        for fmt in book_formats(wildcards.book)
    ]


def chapter_cues(wildcards):
    return [
        f"results/{wildcards.book}/speech/{c}.cues.tsv" for c in chapter_ids(wildcards)
    ]


def encode_params(wildcards):
    """Format, its encoding options and the loudness target: a change re-encodes, never re-synthesises."""
    output = BOOKS[wildcards.book].output
    fmt = CHAPTER_FORMAT[wildcards.suffix]
    return {
        "format": fmt,
        "options": output.format_options(fmt),
        "loudness": output.loudness,
    }


def _cover_setting(book):
    return BOOKS[book].cover


def book_cover(wildcards):
    if str(_cover_setting(wildcards.book) or "").lower() == "none":
        return []
    return [f"results/{wildcards.book}/cover/cover.jpg"]


def cover_source(wildcards):
    return _cover_setting(wildcards.book)


def tag_params(wildcards):
    """Per-book tag overrides and the narrator (the voice, unless the book names one)."""
    settings = BOOKS[wildcards.book]
    voice = settings.voice_settings
    return {
        "overrides": settings.tag_overrides,
        "narrator": voice_name(
            {
                "engine": voice.engine,
                "voice": voice.voice,
                "model": voice.model,
                "language": voice.language,
            }
        ),
    }


def chapter_speech(wildcards):
    return expand(
        "results/{book}/speech/{chapter}.txt",
        book=wildcards.book,
        chapter=chapter_ids(wildcards),
    )


def report_pages(wildcards):
    """Every book's report page (rules/report.smk): made as its chapters finish, shown by `snakemake --report`."""
    books = {book: BOOKS[book] for book in planned_books()}
    return report_page_targets(books, sys.argv, enabled=config.get("report", True))


def report_chapter_pages(wildcards):
    """A book's chapter pages in the report (rule report_chapter), one per chapter."""
    return expand(
        "results/{book}/report/chapters/{chapter}.html",
        book=wildcards.book,
        chapter=chapter_ids(wildcards),
    )


def report_category(wildcards, input):
    """A book's category in `snakemake --report`: its title."""
    return book_title(input.book)


def report_chapter_labels(wildcards, input):
    """A chapter page's labels in `snakemake --report`: its number and title."""
    return chapter_labels(input.book, wildcards.chapter)


_PER_BOOK = {}


def per_book(name, book, make):
    """``make(settings, info)`` once per book and version of its book.json (the same for every chapter)."""
    info = book_info(book)
    key = (name, book, id(info))
    if key not in _PER_BOOK:
        _PER_BOOK[key] = make(BOOKS[book], info)
    return _PER_BOOK[key]


def synthesis_params(wildcards):
    return per_book("sound", wildcards.book, sound_settings)


def chapter_parts(wildcards):
    """The part manifests a long chapter waits for (snakebook.parts); [] for a chapter under part_chars.

    The split depends on the chapter's length alone (never on --cores), so finished chapters stay finished.
    """
    chars = book_chapter_chars(wildcards.book).get(wildcards.chapter, 0)
    names = part_names(chars, config["synthesis"].get("part_chars", 0))
    return expand(
        "results/{book}/speech/{chapter}-{part}.keys.json",
        book=wildcards.book,
        chapter=wildcards.chapter,
        part=names,
    )


_CHAPTER_CHARS = {}


def book_chapter_chars(book):
    """{chapter id: characters}, built once per version of book.json (book_info keeps that object)."""
    info = book_info(book)
    key = (book, id(info))
    if key not in _CHAPTER_CHARS:
        _CHAPTER_CHARS[key] = {
            c["id"]: int(c.get("chars") or 0) for c in info["chapters"]
        }
    return _CHAPTER_CHARS[key]


def chapter_priority(wildcards, input):
    """Longest chapters first, so the run ends on short ones and no core idles while one long chapter finishes.

    A split chapter's job only joins its parts (cache hits): it goes first, like an encode, so its AAC follows.
    """
    if input.get("parts"):
        return ENCODE_PRIORITY - 1
    return min(os.path.getsize(input.text) // 1000, ENCODE_PRIORITY - 2)


def part_priority(wildcards, input):
    """A part is scheduled by its own length, among the chapters."""
    count = parse_part(wildcards.part)[1]
    return min(os.path.getsize(input.text) // 1000 // count, ENCODE_PRIORITY - 2)


# Encoding a finished chapter (~1-2 s) goes before the next synthesis: the chapters' AAC is ready
# as soon as the last synthesis ends, and assembly follows at once.
ENCODE_PRIORITY = 10000


def gpu_count(wildcards):
    return 1 if per_book("gpu", wildcards.book, uses_gpu) else 0


def synthesis_slots():
    """How many synthesis jobs run at once: --cores over synthesis threads (and --resources gpu=N, if set)."""
    value = lambda name: getattr(
        workflow.global_resources.get(name),
        "value",
        workflow.global_resources.get(name),
    )
    cores = value("_cores") or 1
    slots = max(1, int(cores) // max(1, config["synthesis"]["threads"]))
    gpus = value("gpu")
    return min(slots, int(gpus)) if isinstance(gpus, int) and gpus > 0 else slots


# Work sharing (snakebook.sharing): a synthesis job that finished its chapter helps the others; at the end of a
# book it also takes sentences of chapters still waiting for a slot, if fewer wait than there are slots.
os.environ[SLOTS_ENV] = str(synthesis_slots())


# --- shell entry points (snakebook.job) -------------------------------------------------------------------------
# Rule scripts run as `python scripts/job.py RULE ...` under shell: rather than script:, whose wrapper costs ~0.3 s
# a job (it imports snakemake and unpickles the job). With --sdm conda, `python` is the job env's; otherwise the
# Python that runs this Snakemake (the venv; on a cluster node, the job's own Snakemake, from the same shared venv).
_JOB_PYTHON = (
    "python"
    if DeploymentMethod.CONDA in workflow.deployment_settings.deployment_method
    else sys.executable
)
_JOB_SCRIPT = os.path.join(workflow.basedir, "scripts", "job.py")
# (braces doubled: shell: formats the command)
# -S: no site import (0.01 s a job) while job.py only hands the job to the job server; it imports site itself
# when it runs the job (no server).
JOB_COMMAND = shlex.join([_JOB_PYTHON, "-S", _JOB_SCRIPT])
JOB_COMMAND = JOB_COMMAND.replace("{", "{{").replace("}", "}}")
# The config keys the scripts read (qa, cache_dir, synthesis): never rerun triggers, so not params; every job's
# Snakemake (cluster nodes included) sets them in the environment its jobs inherit.
os.environ[JOB_CONFIG_ENV] = job_config(config)


def job_shell(rule, *fields):
    """The shell command that runs scripts/RULE.py (snakebook.job): one `--FIELD value` per thing it reads.

    `input.NAME`, `output.NAME`: one path; `input.NAME+`: a list; `input`, `output`, `log`: the unnamed paths;
    `params.NAME`: its repr (a Python literal; params stay rerun triggers exactly as with script:);
    `wildcards.NAME`, `threads`.
    """
    parts = [JOB_COMMAND, rule]
    for field in fields:
        name = field.removesuffix("+")
        value = f"{{{name}!r:q}}" if name.startswith("params.") else f"{{{name}:q}}"
        parts.append(f"--{field} {value}")
    return " ".join(parts)


def scheduler_heartbeat(scheduler, seconds=1.0):
    """Wake Snakemake's scheduling loop every `seconds` (one daemon timer chain; it never multiplies)."""

    def tick():
        scheduler._open_jobs.release()
        timer = threading.Timer(seconds, tick)
        timer.daemon = True
        timer.start()

    if hasattr(scheduler, "_open_jobs"):
        tick()


def keep_input_sizes(scheduler):
    """Stat each ready job's inputs once, not at every scheduling round (local runs).

    Snakemake's scheduler sizes every input of every ready job at each round (its greedy selector breaks
    priority ties by input size): in a library every chapter is ready once its book is extracted, and the
    rounds (one per finished job) each statted them all again: in a 6 x 30-chapter build, 780 of the main
    thread's 1,359 py-spy samples (180 after); 10 x 30: main process 69 -> 35 CPU-s. An input of a job waiting
    to run is a finished file that no job writes again before it runs, so its size is kept; sizes only break
    ties, never decide what may run.
    """
    sizes = getattr(scheduler, "_input_sizes", None)
    if not isinstance(sizes, dict) or not hasattr(scheduler, "update_input_sizes"):
        return

    async def update_input_sizes(jobs):
        async def size(path):
            return path, await path.size() if await path.exists() else None

        new = {path for job in jobs for path in job.input if path not in sizes}
        if new:
            sizes.update(await asyncio.gather(*[size(path) for path in new]))

    scheduler.update_input_sizes = update_input_sizes


onstart:
    # Local runs: no job rate limit (--cores limits them). Snakemake's limiter (default 100 jobs/1s) starts a 1 s
    # re-evaluation timer at every scheduling round and every finished job starts one more such chain, so the
    # main process re-scanned every ready job's inputs many times a second: a whole core during a library's
    # build (snakemake/snakemake#3744). Cluster runs keep the limiter (it paces submissions).
    if workflow.is_main_process and workflow.local_exec:
        _scheduler = getattr(workflow, "scheduler", None)
        if getattr(_scheduler, "job_rate_limiter", None) is not None:
            _scheduler.job_rate_limiter = None
            # One steady 1 s wake-up instead (the limiter's timers also woke the main thread, which is where
            # Python runs the Ctrl-C handler: without any, a SIGINT could wait for the next finished job).
            scheduler_heartbeat(_scheduler)
        keep_input_sizes(_scheduler)
        # Local jobs start as forks of one warm Python (snakebook.jobserver): ~0.4 CPU-s less per job. Not with
        # --sdm conda (the jobs' Python is another one); SNAKEBOOK_JOB_SERVER=off runs every job cold.
        if _JOB_PYTHON == sys.executable:
            start_server(os.path.join(workflow.basedir, "scripts"))
    # Cluster profiles: stop with one paragraph (plugin, sbatch, controller, resources the partition cannot
    # give, workstations that do not answer) before submitting anything.
    if workflow.is_main_process and workflow.executor_plugin is not None:
        try:
            preflight(workflow.executor_plugin.name, workflow=workflow)
        except SnakebookError as error:
            raise WorkflowError(str(error)) from None
