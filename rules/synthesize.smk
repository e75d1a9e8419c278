rule synthesize_chapter:
    input:
        text="results/{book}/chapters/{chapter}.txt",
        meta="results/{book}/chapters/{chapter}.json",
    output:
        wav="results/{book}/audio/{chapter}.wav",
        speech="results/{book}/speech/{chapter}.txt",
        cache_keys="results/{book}/speech/{chapter}.keys.json",
    log:
        "results/{book}/logs/synthesize/{chapter}.log",
    priority: chapter_priority
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
    script:
        "../scripts/synthesize_chapter.py"
