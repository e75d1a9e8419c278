"""Rule script: report_book (see snakebook.report)."""

from pathlib import Path

from snakebook.entry import rule_entry
from snakebook.progress import heartbeat
from snakebook.report import write_book_report

with rule_entry(snakemake.log[0], snakemake.wildcards.book), heartbeat("making the report page"):  # noqa: F821
    write_book_report(
        snakemake.wildcards.book,  # noqa: F821
        Path(snakemake.input.book).parent.parent,  # noqa: F821  (the results folder)
        Path(snakemake.output.page).parent,  # noqa: F821
        snakemake.params.settings,  # noqa: F821
    )
