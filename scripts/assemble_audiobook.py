"""Rule script: assemble_audiobook (see snakebook.audio.assemble)."""

from snakebook.audio.outputs import assemble_job
from snakebook.entry import rule_entry
from snakebook.progress import heartbeat

with rule_entry(snakemake.log[0], snakemake.wildcards.book), heartbeat("assembling the audiobook"):
    assemble_job(
        snakemake.wildcards.fmt,
        snakemake.input.encoded,
        snakemake.input.wavs,
        snakemake.input.book,
        snakemake.output[0],
        snakemake.params.tags,
        snakemake.input.cover[0] if snakemake.input.cover else None,
        snakemake.wildcards.book,
    )
