"""Rule script: write_captions (see snakebook.audio.captions)."""

from snakebook.audio.outputs import captions_job
from snakebook.entry import rule_entry

with rule_entry(snakemake.log[0], snakemake.wildcards.book):
    captions_job(
        snakemake.input.encoded,
        snakemake.input.cues,
        snakemake.input.book,
        {snakemake.wildcards.caption: snakemake.output[0]},
        snakemake.wildcards.book,
    )
