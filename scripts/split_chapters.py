"""Rule script: split_chapters, one tagged file per chapter plus a playlist (see snakebook.audio.library)."""

from snakebook.audio.outputs import per_chapter_job
from snakebook.entry import rule_entry

with rule_entry(snakemake.log[0], snakemake.wildcards.book):
    per_chapter_job(
        snakemake.wildcards.fmt,
        snakemake.input.encoded,
        snakemake.input.book,
        snakemake.output[0],
        snakemake.params.tags,
        snakemake.input.cover[0] if snakemake.input.cover else None,
        snakemake.wildcards.book,
    )
