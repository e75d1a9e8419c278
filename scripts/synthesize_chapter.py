"""Rule script: synthesize_chapter (see snakebook.synth)."""

from snakebook.cache import DEFAULT_CACHE_DIR
from snakebook.cluster import job_placement
from snakebook.entry import rule_entry
from snakebook.model import read_book_json
from snakebook.synth import synthesize_chapter

with rule_entry(snakemake.log[0], snakemake.wildcards.book) as log:
    log.info(job_placement())  # host, SLURM job, GPUs: shows where a cluster ran this chapter
    chapter = read_book_json(snakemake.input.meta)  # (title, language, lexicon of this chapter)
    # qa: from the config, not a param: tuning the audio checks must not make every chapter rerun.
    sound = {**snakemake.params.sound, "qa": snakemake.config.get("qa") or {}}
    synthesize_chapter(
        snakemake.input.text,
        chapter["title"],
        snakemake.output.wav,
        snakemake.output.speech,
        sound,
        language=chapter["language"],
        cache_dir=snakemake.config.get("cache_dir") or DEFAULT_CACHE_DIR,
        threads=snakemake.threads,
        book_name=snakemake.wildcards.book,
        keys_json=snakemake.output.cache_keys,
        book_lexicon=chapter["lexicon"],
        cues_tsv=snakemake.output.cues,
        qa_tsv=snakemake.output.qa,
        # share: from the config, not a param (how jobs divide the work never changes the audio).
        share=(snakemake.config.get("synthesis") or {}).get("share", True),
    )
