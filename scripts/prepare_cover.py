"""Rule script: prepare_cover (see snakebook.audio.cover)."""

from snakebook.audio.outputs import cover_job
from snakebook.entry import rule_entry

with rule_entry(snakemake.log[0], snakemake.wildcards.book):
    cover_job(
        snakemake.input.book,
        snakemake.params.source,
        snakemake.output[0],
        snakemake.wildcards.book,
        snakemake.params.tags,
    )
