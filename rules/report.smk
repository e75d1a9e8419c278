# The run you can watch and the report you can open (snakebook.summary, snakebook.report, snakebook.failures):
# a page per book for `snakemake --report report.html`, run summaries and the failure table at the end of a run.


report: "../report/workflow.rst"


rule report_book:
    input:
        book="results/{book}/book.json",
        tsv="results/{book}/chapters.tsv",
        wavs=chapter_wavs,
        speech=chapter_speech,
        m4b="results/{book}/{book}.m4b",
    output:
        page=report(
            "results/{book}/report/book.html",
            caption="../report/book.rst",
            category=report_category,
            subcategory="1. Book",
            labels={"figure": "cover, metadata, chapter table, plots"},
        ),
        chapters=report(
            directory("results/{book}/report/chapters"),
            patterns=["{chapter}.html"],
            caption="../report/chapter.rst",
            category=report_category,
            subcategory="2. Chapters",
            labels=report_chapter_labels,
        ),
        cover=report(
            "results/{book}/report/cover.svg",
            caption="../report/cover.rst",
            category=report_category,
            subcategory="3. Cover",
            labels={"figure": "cover"},
        ),
        durations=report(
            "results/{book}/report/durations.svg",
            caption="../report/durations.rst",
            category=report_category,
            subcategory="4. Plots",
            labels={"figure": "chapter durations"},
        ),
        speed=report(
            "results/{book}/report/speed.svg",
            caption="../report/speed.rst",
            category=report_category,
            subcategory="4. Plots",
            labels={"figure": "synthesis speed"},
        ),
        cache=report(
            "results/{book}/report/cache.svg",
            caption="../report/cache.rst",
            category=report_category,
            subcategory="4. Plots",
            labels={"figure": "sentences from the cache"},
        ),
    log:
        "results/{book}/logs/report_book.log",
    conda:
        "../envs/base.yaml"
    resources:
        mem_mb=500,
    params:
        settings=book_settings,
    script:
        "../scripts/report_book.py"


# End of a run (also with keep-going failures): results/{book}/summary.json, results/summary.tsv and,
# when jobs failed, one table of the failed books (rule, reason, log).
onsuccess:
    if workflow.is_main_process:
        finish_run(BOOKS, log, keep_going=workflow.execution_settings.keep_going)


onerror:
    if workflow.is_main_process:
        finish_run(BOOKS, log, keep_going=workflow.execution_settings.keep_going)
