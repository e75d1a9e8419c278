"""Rule script: encode_chapter, the chapter's loudness measured and its one format encoded (snakebook.audio.encode)."""

from snakebook.audio.outputs import encode_job
from snakebook.entry import rule_entry
from snakebook.progress import heartbeat

with rule_entry(snakemake.log[0], snakemake.wildcards.book), heartbeat("encoding the chapter"):
    encode_job(snakemake.input.wav, snakemake.output[0], snakemake.params.encode, snakemake.wildcards.book)
