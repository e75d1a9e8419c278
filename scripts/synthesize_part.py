"""Rule script: synthesize_part, one sentence range of a long chapter into the cache (see snakebook.parts)."""

from snakebook.cache import DEFAULT_CACHE_DIR
from snakebook.entry import rule_entry
from snakebook.model import read_book_json
from snakebook.parts import synthesize_part

with rule_entry(snakemake.log[0], snakemake.wildcards.book):
    chapter = read_book_json(snakemake.input.meta)  # (title, language, lexicon of this chapter)
    synthesize_part(
        snakemake.input.text,
        chapter["title"],
        snakemake.wildcards.part,
        snakemake.output.cache_keys,
        {**snakemake.params.sound, "qa": snakemake.config.get("qa") or {}},  # qa: as synthesize_chapter
        language=chapter["language"],
        cache_dir=snakemake.config.get("cache_dir") or DEFAULT_CACHE_DIR,
        threads=snakemake.threads,
        book_name=snakemake.wildcards.book,
        book_lexicon=chapter["lexicon"],
        share=(snakemake.config.get("synthesis") or {}).get("share", True),  # as synthesize_chapter
    )
