checkpoint extract_book:
    input:
        book_source,
    output:
        book="results/{book}/book.json",
        chapters=directory("results/{book}/chapters"),
        tsv="results/{book}/chapters.tsv",
    params:
        settings=book_settings,
    log:
        "results/{book}/logs/extract_book.log",
    resources:
        mem_mb=2000,
    script:
        "../scripts/extract_book.py"
