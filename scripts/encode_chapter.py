"""Rule script: encode_chapter (see snakebook.audio.encode)."""

from snakebook.audio.encode import encode_chapter
from snakebook.entry import rule_entry

with rule_entry(snakemake.log[0], snakemake.wildcards.book):  # noqa: F821
    encode_chapter(
        snakemake.input[0],  # noqa: F821
        snakemake.output[0],  # noqa: F821
        snakemake.params.bitrate,  # noqa: F821
        snakemake.wildcards.book,  # noqa: F821
    )
