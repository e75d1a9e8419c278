"""Rule script: check_book (see snakebook.planning.check_book)."""

from snakebook.entry import rule_entry
from snakebook.fileio import write_json
from snakebook.model import read_book_json
from snakebook.planning import check_book

book = snakemake.wildcards.book
with rule_entry(snakemake.log[0], book) as log:
    voice = check_book(snakemake.params.plan, read_book_json(snakemake.input.book), book)
    write_json(snakemake.output[0], voice)
    log.info("%s: %s engine, language %s", book, voice["engine"], voice["language"])
