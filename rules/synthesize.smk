# Whether the book's voice can speak it (language, model files), once per book after extraction: a book
# that cannot be spoken fails here alone (planning never loads an engine), and the others go on.
rule check_book:
    input:
        # ancient: a re-extraction alone does not redo the check (nor, through it, every chapter); the
        # book's language is in the params, so a changed language or voice does.
        book=ancient("results/{book}/book.json"),
    output:
        "results/{book}/voice.json",
    log:
        "results/{book}/logs/check_book.log",
    conda:
        "../envs/base.yaml"
    resources:
        mem_mb=500,
    params:
        plan=book_voice_plan,
    shell:
        job_shell(
            "check_book",
            "input.book",
            "output",
            "log",
            "params.plan",
            "wildcards.book",
        )


rule synthesize_chapter:
    input:
        text="results/{book}/chapters/{chapter}.txt",
        meta="results/{book}/chapters/{chapter}.json",
        voice="results/{book}/voice.json",
        # A long chapter's sentence ranges, made first by synthesize_part jobs (in parallel); this job
        # then finds every sentence in the cache and only joins. Empty for chapters under part_chars.
        parts=chapter_parts,
    output:
        wav="results/{book}/audio/{chapter}.wav",
        speech="results/{book}/speech/{chapter}.txt",
        cache_keys="results/{book}/speech/{chapter}.keys.json",
        cues="results/{book}/speech/{chapter}.cues.tsv",
        qa="results/{book}/qa/{chapter}.tsv",
    log:
        "results/{book}/logs/synthesize/{chapter}.log",
    benchmark:
        "results/{book}/benchmarks/synthesize/{chapter}.tsv"
    priority: chapter_priority
    conda:
        "../envs/base.yaml"
    threads: config["synthesis"]["threads"]
    resources:
        mem_mb=config["synthesis"]["mem_mb"],
        gpu=gpu_count,
    # The cache location (config cache_dir) and the qa settings are read by the job, not params: moving the
    # cache or tuning the audio checks must not make every chapter rerun.
    params:
        sound=synthesis_params,
    shell:
        job_shell(
            "synthesize_chapter",
            "input.text",
            "input.meta",
            "output.wav",
            "output.speech",
            "output.cache_keys",
            "output.cues",
            "output.qa",
            "log",
            "params.sound",
            "threads",
            "wildcards.book",
        )


# One sentence range (part K of N) of a chapter longer than synthesis.part_chars, into the sentence
# cache (snakebook.parts). Its output is the range's cache-keys manifest, removed once the chapter is joined.
rule synthesize_part:
    input:
        text="results/{book}/chapters/{chapter}.txt",
        meta="results/{book}/chapters/{chapter}.json",
        voice="results/{book}/voice.json",
    output:
        cache_keys=temp("results/{book}/speech/{chapter}-{part}.keys.json"),
    log:
        "results/{book}/logs/synthesize/{chapter}-{part}.log",
    benchmark:
        "results/{book}/benchmarks/synthesize/{chapter}-{part}.tsv"
    wildcard_constraints:
        part=r"\d+of\d+",
    priority: part_priority
    conda:
        "../envs/base.yaml"
    threads: config["synthesis"]["threads"]
    resources:
        mem_mb=config["synthesis"]["mem_mb"],
        gpu=gpu_count,
    params:
        sound=synthesis_params,
    shell:
        job_shell(
            "synthesize_part",
            "input.text",
            "input.meta",
            "output.cache_keys",
            "log",
            "params.sound",
            "threads",
            "wildcards.book",
            "wildcards.part",
        )
