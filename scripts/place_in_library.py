"""Rule script: place_in_library, the Audiobookshelf layout (see snakebook.audio.library)."""

from snakebook.audio.outputs import library_job
from snakebook.entry import rule_entry

with rule_entry(snakemake.log[0], snakemake.wildcards.book):
    library_job(
        snakemake.params.root,
        snakemake.input.audio,
        snakemake.input.encoded,
        snakemake.input.book,
        snakemake.input.cover[0] if snakemake.input.cover else None,
        snakemake.params.tags,
        snakemake.output[0],
    )
