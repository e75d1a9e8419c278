"""Rule script: extract_book (see snakebook.extract)."""

from snakebook.entry import rule_entry
from snakebook.extract import extract_book
from snakebook.progress import heartbeat

with rule_entry(snakemake.log[0], snakemake.wildcards.book) as log, heartbeat("extracting the book"):
    book = extract_book(
        snakemake.input[0],
        snakemake.params.settings,
        snakemake.output.book,
        snakemake.output.chapters,
        snakemake.output.tsv,
        coverage_tsv=snakemake.output.coverage,
    )
    log.info("%s: %d chapters, language %s", book.title, len(book.chapters), book.language)
