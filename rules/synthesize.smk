from snakebook.planning import book_language  # noqa: E402


def chapter_speech(wildcards):
    """What a chapter's speech takes from book.json (title, language, book lexicon), as a param:
    an edit elsewhere in the book then reruns only the chapters it touches."""
    info = book_info(wildcards.book)
    chapter = next(c for c in info["chapters"] if c["id"] == wildcards.chapter)
    return {
        "title": chapter["title"],
        "language": book_language(BOOKS[wildcards.book], info),
        "lexicon": info.get("lexicon"),
    }


rule synthesize_chapter:
    input:
        text="results/{book}/chapters/{chapter}.txt",
    output:
        wav="results/{book}/audio/{chapter}.wav",
        speech="results/{book}/speech/{chapter}.txt",
        cache_keys="results/{book}/speech/{chapter}.keys.json",
    log:
        "results/{book}/logs/synthesize/{chapter}.log",
    conda:
        "../envs/base.yaml"
    threads: config["synthesis"]["threads"]
    resources:
        mem_mb=config["synthesis"]["mem_mb"],
        gpu=gpu_count,
    # The cache location (config cache_dir) is read by the script, not a param: moving the
    # cache must not make every chapter rerun.
    params:
        sound=synthesis_params,
        chapter=chapter_speech,
    script:
        "../scripts/synthesize_chapter.py"
