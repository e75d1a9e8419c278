# Every flagged utterance of the book, with its time in the final audio (snakebook.qa).
rule qa_book:
    input:
        tables=chapter_qa_tables,
        wavs=chapter_wavs,
    output:
        "results/{book}/qa.tsv",
    log:
        "results/{book}/logs/qa_book.log",
    conda:
        "../envs/base.yaml"
    resources:
        mem_mb=500,
    shell:
        job_shell(
            "qa_book",
            "input.tables+",
            "input.wavs+",
            "output",
            "log",
            "wildcards.book",
        )
