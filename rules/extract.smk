checkpoint extract_book:
    input:
        book_source,
    output:
        book="results/{book}/book.json",
        chapters=directory("results/{book}/chapters"),
        tsv="results/{book}/chapters.tsv",
    log:
        "results/{book}/logs/extract_book.log",
    conda:
        "../envs/base.yaml"
    resources:
        mem_mb=2000,
    params:
        settings=book_settings,
    script:
        "../scripts/extract_book.py"
