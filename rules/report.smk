# The run you can watch and the report you can open (snakebook.summary, snakebook.report, snakebook.failures):
# a page per book for `snakemake --report report.html`, run summaries and the failure table at the end of a run.


report: "../report/workflow.rst"


# A second of CPU each: on a cluster they run where Snakemake runs rather than wait in the queue as jobs.
localrules:
    report_chapter,
    report_book,


# Report jobs come after every other job that is ready (synthesis, encodes, assembly: the audiobook never waits
# for the report); they fill cores that would idle, e.g. while the last chapter is encoded and assembled.
REPORT_PRIORITY = -1


# A chapter's page (its player, encoded from the chapter WAV, next to the text that was spoken), made once the
# chapter is synthesised, on a core that has nothing else to do, so that the book's page at the end only joins.
rule report_chapter:
    input:
        book="results/{book}/book.json",
        wav="results/{book}/audio/{chapter}.wav",
        speech="results/{book}/speech/{chapter}.txt",
        cache_keys="results/{book}/speech/{chapter}.keys.json",
    output:
        page=report(
            "results/{book}/report/chapters/{chapter}.html",
            caption="../report/chapter.rst",
            category=report_category,
            subcategory="2. Chapters",
            labels=report_chapter_labels,
        ),
    log:
        "results/{book}/logs/report/{chapter}.log",
    priority: REPORT_PRIORITY
    conda:
        "../envs/base.yaml"
    resources:
        mem_mb=300,
    shell:
        job_shell(
            "report_chapter",
            "input.book",
            "output.page",
            "log",
            "wildcards.book",
            "wildcards.chapter",
        )


# The book's page, cover and plots: joins the chapter pages' figures once the last chapter is synthesised. It does
# not wait for the audiobook, so it runs beside the last chapter's encode and the assembly.
rule report_book:
    input:
        book="results/{book}/book.json",
        tsv="results/{book}/chapters.tsv",
        chapters=report_chapter_pages,
        cover=book_cover,
    output:
        page=report(
            "results/{book}/report/book.html",
            caption="../report/book.rst",
            category=report_category,
            subcategory="1. Book",
            labels={"figure": "cover, metadata, chapter table, plots"},
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
    priority: REPORT_PRIORITY
    conda:
        "../envs/base.yaml"
    resources:
        mem_mb=500,
    params:
        settings=book_settings,
    shell:
        job_shell(
            "report_book",
            "input.book",
            "output.page",
            "log",
            "params.settings",
            "wildcards.book",
        )


# End of a run (also with keep-going failures): the job server's jobs' own CPU and memory in their benchmark
# files (snakebook.jobserver), results/{book}/summary.json, results/summary.tsv and, when jobs failed, one table
# of the failed books (rule, reason, log).
onsuccess:
    if workflow.is_main_process:
        mend_benchmarks()
        stamp_finished_books()
        finish_run(BOOKS, log, keep_going=workflow.execution_settings.keep_going)


onerror:
    if workflow.is_main_process:
        mend_benchmarks()
        stamp_finished_books()
        finish_run(BOOKS, log, keep_going=workflow.execution_settings.keep_going)
