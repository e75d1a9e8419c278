import json
import os
import sys
from pathlib import Path

from snakemake.utils import validate

sys.path.insert(0, str(Path(workflow.basedir) / "scripts"))

from snakebook.cluster import preflight  # noqa: E402
from snakebook.errors import SnakebookError  # noqa: E402
from snakebook.library import book_table  # noqa: E402
from snakebook.planning import (  # noqa: E402
    plan_checks,
    sound_settings,
    uses_gpu,
)

validate(config, schema="../config/schema.yaml")

try:
    BOOKS = book_table(config)
except SnakebookError as error:
    raise WorkflowError(str(error)) from None


wildcard_constraints:
    book="|".join(sorted(BOOKS)) if BOOKS else "[^/]+",
    chapter=r"\d+",


def all_outputs(wildcards):
    """Every book's m4b, plus the chapter WAVs and speech files of extracted books.

    Listing the chapter files makes a deleted chapter come back on the next run. Books not
    extracted yet contribute only their m4b: its own input function waits for the checkpoint,
    so the extractions of all books are scheduled at once.
    """
    targets = []
    for book in sorted(BOOKS):
        targets.append(f"results/{book}/{book}.m4b")
        if not os.path.exists(f"results/{book}/book.json"):
            continue
        ids = book_chapter_ids(
            book
        )  # may defer until Snakemake has registered the checkpoint
        targets += expand("results/{book}/audio/{chapter}.wav", book=book, chapter=ids)
        targets += expand("results/{book}/speech/{chapter}.txt", book=book, chapter=ids)
    return targets


def book_source(wildcards):
    return BOOKS[wildcards.book]["path"]


def book_settings(wildcards):
    return BOOKS[wildcards.book]


_BOOK_INFO = {}


def book_info(book):
    """book.json of an extracted book (waits for the checkpoint), checked for speakability.

    Read and checked once per version of the file, however many chapters ask.
    """
    path = checkpoints.extract_book.get(book=book).output.book
    key = (book, os.stat(path).st_mtime_ns)
    if key not in _BOOK_INFO:
        with open(path, encoding="utf-8") as handle:
            info = json.load(handle)
        try:
            plan_checks(BOOKS[book], info, book)
        except SnakebookError as error:
            raise WorkflowError(str(error)) from None
        _BOOK_INFO[key] = info
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


def chapter_m4as(wildcards):
    return expand(
        "results/{book}/encoded/{chapter}.m4a",
        book=wildcards.book,
        chapter=chapter_ids(wildcards),
    )


def synthesis_params(wildcards):
    return sound_settings(BOOKS[wildcards.book], config)


def chapter_priority(wildcards, input):
    """Longest chapters first, so the run ends on short ones and no core idles while one long chapter finishes."""
    return min(os.path.getsize(input.text) // 1000, ENCODE_PRIORITY - 1)


# Encoding a finished chapter (~1-2 s) goes before the next synthesis: the chapters' AAC is ready
# as soon as the last synthesis ends, and assembly follows at once.
ENCODE_PRIORITY = 10000


def gpu_count(wildcards):
    return 1 if uses_gpu(BOOKS[wildcards.book]) else 0


onstart:
    # Cluster profiles: stop with one paragraph (plugin, sbatch, controller) before submitting anything.
    if workflow.is_main_process and workflow.executor_plugin is not None:
        try:
            preflight(workflow.executor_plugin.name)
        except SnakebookError as error:
            raise WorkflowError(str(error)) from None
