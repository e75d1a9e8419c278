rule synthesize_chapter:
    input:
        text="results/{book}/chapters/{chapter}.txt",
        book="results/{book}/book.json",
    output:
        wav="results/{book}/audio/{chapter}.wav",
        speech="results/{book}/speech/{chapter}.txt",
    params:
        sound=synthesis_params,
        cache_dir=CACHE_DIR,
    log:
        "results/{book}/logs/synthesize/{chapter}.log",
    threads: config["synthesis"]["threads"]
    resources:
        mem_mb=config["synthesis"]["mem_mb"],
        gpu=gpu_count,
    script:
        "../scripts/synthesize_chapter.py"
