"""Rule script: extract_book (see snakebook.extract)."""

from snakebook.entry import rule_entry
from snakebook.extract import extract_book

with rule_entry(snakemake.log[0], snakemake.wildcards.book) as log:  # noqa: F821
    book = extract_book(
        snakemake.input[0],  # noqa: F821
        snakemake.params.settings,  # noqa: F821
        snakemake.output.book,  # noqa: F821
        snakemake.output.chapters,  # noqa: F821
        snakemake.output.tsv,  # noqa: F821
    )
    log.info("%s: %d chapters, language %s", book.title, len(book.chapters), book.language)
