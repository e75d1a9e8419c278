"""Rule script: synthesize_chapter (see snakebook.synth)."""

from snakebook.cache import DEFAULT_CACHE_DIR
from snakebook.cluster import job_placement
from snakebook.entry import rule_entry
from snakebook.model import read_book_json
from snakebook.synth import synthesize_chapter

with rule_entry(snakemake.log[0], snakemake.wildcards.book) as log:  # noqa: F821
    log.info(job_placement())  # host, SLURM job, GPUs: shows where a cluster ran this chapter
    chapter = read_book_json(snakemake.input.meta)  # noqa: F821  (title, language, lexicon of this chapter)
    sound = snakemake.params.sound  # noqa: F821
    synthesize_chapter(
        snakemake.input.text,  # noqa: F821
        chapter["title"],
        snakemake.output.wav,  # noqa: F821
        snakemake.output.speech,  # noqa: F821
        sound,
        language=chapter["language"],
        cache_dir=snakemake.config.get("cache_dir") or DEFAULT_CACHE_DIR,  # noqa: F821
        threads=snakemake.threads,  # noqa: F821
        book_name=snakemake.wildcards.book,  # noqa: F821
        keys_json=snakemake.output.cache_keys,  # noqa: F821
        book_lexicon=chapter["lexicon"],
    )
