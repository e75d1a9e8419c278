"""Rule script: qa_book (see snakebook.qa.book_report)."""

from snakebook.entry import rule_entry
from snakebook.qa import qa_report

with rule_entry(snakemake.log[0], snakemake.wildcards.book) as log:
    qa_report(
        snakemake.input.tables,
        snakemake.input.wavs,
        snakemake.config.get("qa"),
        snakemake.output[0],
        snakemake.wildcards.book,
    )
