"""The end of a run: which books failed, where and why (one table), and the run summary.

Called from the workflow's ``onsuccess``/``onerror`` handlers (``rules/report.smk``). Snakemake's own
log of the run names each failed job (``Error in rule X:`` with its wildcards and log file); the
job's log holds the one-paragraph reason its rule script wrote (``ERROR book: ...``). With
``keep-going`` the other books are finished by then, so the table is the whole story::

    2 of 5 books failed (the others are finished; per chapter: results/summary.tsv):
    book    rule               log                                    reason
    broken  extract_book       results/broken/logs/extract_book.log  the file is not a valid ZIP/EPUB ...
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .summary import error_line, write_summaries

_BOOK_IN_PATH = re.compile(r"(?:^|/)results/([^/]+)/")


@dataclass
class JobFailure:
    """One failed job: its rule, book, chapter (if any), log file and one-line reason."""

    rule: str
    book: str | None
    chapter: str | None
    log: str | None
    reason: str


def _field(block: list[str], name: str) -> str | None:
    prefix = f"{name}:"
    for line in block:
        stripped = line.strip()
        if stripped.startswith(prefix):
            return stripped[len(prefix) :].strip()
    return None


def _wildcards(text: str | None) -> dict[str, str]:
    values = {}
    for part in (text or "").split(","):
        key, sep, value = part.strip().partition("=")
        if sep:
            values[key.strip()] = value.strip()
    return values


def parse_failures(snakemake_log: str) -> list[JobFailure]:
    """The failed jobs named in the text of a Snakemake run log (``Error in rule X:`` blocks)."""
    lines = snakemake_log.splitlines()
    failures: list[JobFailure] = []
    seen = set()
    for index, line in enumerate(lines):
        match = re.match(r"\s*Error in (rule|group) (\S+?):\s*$", line)
        if not match:
            continue
        block = []
        for follow in lines[index + 1 :]:
            if not follow.startswith((" ", "\t")) or not follow.strip():
                break
            block.append(follow)
        rule = match.group(2) if match.group(1) == "rule" else f"group {match.group(2)}"
        log_field = _field(block, "log")
        log = log_field.split(" (check log", 1)[0].split(",")[0].strip() if log_field else None
        wildcards = _wildcards(_field(block, "wildcards"))
        book = wildcards.get("book")
        if book is None:
            for text in (log, _field(block, "output"), _field(block, "input")):
                found = _BOOK_IN_PATH.search(text or "")
                if found:
                    book = found.group(1)
                    break
        key = (rule, book, wildcards.get("chapter"), log)
        if key in seen:
            continue
        seen.add(key)
        message = _field(block, "message")
        reason = (
            error_line(log)
            or (message if message and message != "None" else None)
            or "the job failed without an error line (killed, or out of memory?); read its log"
        )
        failures.append(JobFailure(rule, book, wildcards.get("chapter"), log, reason))
    return failures


def read_failures(logfiles: Iterable[str | Path] | str | Path | None) -> list[JobFailure]:
    """Failures named in Snakemake's log file(s) of this run (the ``log`` an ``onerror`` handler gets)."""
    if logfiles is None:
        return []
    if isinstance(logfiles, (str, Path)):
        logfiles = [logfiles]
    failures: list[JobFailure] = []
    for path in logfiles:
        try:
            text = Path(path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        failures.extend(parse_failures(text))
    return failures


def failure_table(failures: list[JobFailure], total_books: int, keep_going: bool = True) -> str:
    """One row per failed book: the first rule that failed, its log and reason (more failures are counted)."""
    by_book: dict[str, list[JobFailure]] = {}
    for failure in failures:
        by_book.setdefault(failure.book or "(workflow)", []).append(failure)
    if not by_book:
        return ""
    rows = [("book", "rule", "log", "reason")]
    for book, items in sorted(by_book.items()):
        first = items[0]
        rule = first.rule + (f" {first.chapter}" if first.chapter else "")
        reason = first.reason + (f" (+{len(items) - 1} more failed jobs)" if len(items) > 1 else "")
        if reason.startswith(f"{book}: "):
            reason = reason[len(book) + 2 :]
        rows.append((book, rule, first.log or "-", reason))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    body = "\n".join("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3] for row in rows)
    count = len(by_book)
    others = (
        "the others are finished"
        if keep_going
        else "the run stopped at the first failure: --keep-going finishes the other books"
    )
    head = f"{count} of {total_books} books failed ({others}; per chapter: results/summary.tsv):"
    return f"{head}\n{body}"


def finish_run(
    books: dict[str, dict], logfiles, *, keep_going: bool = True, results: str | Path = "results", stream=None
) -> str:
    """The end-of-run handler: write the summaries, print the failure table (if any); return the table."""
    stream = stream or sys.stderr
    failures = read_failures(logfiles)
    try:
        write_summaries(results, books, failed_logs=[f.log for f in failures if f.log])
    except OSError as error:  # a summary that cannot be written must not hide the failure table
        print(f"snakebook: could not write the run summary: {error}", file=stream)
    table = failure_table(failures, len(books), keep_going)
    if table:
        print(f"\n{table}\n", file=stream)
    return table
