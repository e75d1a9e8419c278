"""Rule script: report_chapter, one chapter's report page (see snakebook.report)."""

from pathlib import Path

from snakebook.entry import rule_entry
from snakebook.progress import heartbeat
from snakebook.report import write_chapter_report

with rule_entry(snakemake.log[0], snakemake.wildcards.book), heartbeat("making the chapter's report page"):
    write_chapter_report(
        snakemake.wildcards.book,
        Path(snakemake.input.book).parent.parent,  # (the results folder)
        snakemake.wildcards.chapter,
        snakemake.output.page,
    )
