"""Rule script: measure_loudness (see snakebook.audio.loudness)."""

from snakebook.audio.outputs import measure_job
from snakebook.entry import rule_entry

with rule_entry(snakemake.log[0], snakemake.wildcards.book):
    measure_job(snakemake.input[0], snakemake.output[0], snakemake.params.loudness, snakemake.wildcards.book)
