"""Rule script: report_book, the book's report page, cover and plots (see snakebook.report)."""

from pathlib import Path

from snakebook.entry import rule_entry
from snakebook.progress import heartbeat
from snakebook.report import write_book_report

with rule_entry(snakemake.log[0], snakemake.wildcards.book), heartbeat("making the report page"):
    write_book_report(
        snakemake.wildcards.book,
        Path(snakemake.input.book).parent.parent,  # (the results folder)
        Path(snakemake.output.page).parent,
        snakemake.params.settings,
    )
