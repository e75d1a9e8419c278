"""Rule script: assemble_audiobook (see snakebook.audio.m4b)."""

from snakebook.audio.m4b import assemble_m4b
from snakebook.entry import rule_entry
from snakebook.model import read_book_json

with rule_entry(snakemake.log[0], snakemake.wildcards.book) as log:  # noqa: F821
    info = read_book_json(snakemake.input.book)  # noqa: F821
    assemble_m4b(
        snakemake.input.encoded,  # noqa: F821
        snakemake.input.wavs,  # noqa: F821
        info,
        snakemake.output[0],  # noqa: F821
        cover=info.get("cover"),
        book_name=snakemake.wildcards.book,  # noqa: F821
    )
    log.info("wrote %s with %d chapters", snakemake.output[0], len(info["chapters"]))  # noqa: F821
