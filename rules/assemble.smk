rule encode_chapter:
    input:
        "results/{book}/audio/{chapter}.wav",
    output:
        "results/{book}/encoded/{chapter}.m4a",
    log:
        "results/{book}/logs/encode/{chapter}.log",
    priority: ENCODE_PRIORITY
    conda:
        "../envs/base.yaml"
    resources:
        mem_mb=500,
    params:
        bitrate=lambda wildcards: BOOKS[wildcards.book].get("bitrate")
        or config["output"]["bitrate"],
    script:
        "../scripts/encode_chapter.py"


rule assemble_audiobook:
    input:
        book="results/{book}/book.json",
        wavs=chapter_wavs,
        encoded=chapter_m4as,
    output:
        "results/{book}/{book}.m4b",
    log:
        "results/{book}/logs/assemble_audiobook.log",
    conda:
        "../envs/base.yaml"
    resources:
        mem_mb=1000,
    script:
        "../scripts/assemble_audiobook.py"
