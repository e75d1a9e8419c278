# The finished audiobook (snakebook.audio): every format is made from the same chapter WAVs. Each chapter's
# encode job measures it (EBU R128, one ffmpeg pass) and encodes it with its one loudness gain (in parallel with
# synthesis); the chapters are joined by stream copy; then tags, cover and markers, checked with ffprobe + mutagen.


rule encode_chapter:
    input:
        wav="results/{book}/audio/{chapter}.wav",
    output:
        "results/{book}/encoded/{chapter}.{suffix}",
    log:
        "results/{book}/logs/encode/{chapter}.{suffix}.log",
    benchmark:
        "results/{book}/benchmarks/encode/{chapter}.{suffix}.tsv"
    wildcard_constraints:
        suffix=CHAPTER_SUFFIXES,
    priority: ENCODE_PRIORITY
    conda:
        "../envs/base.yaml"
    resources:
        mem_mb=500,
    # encode: format, options and loudness settings; a change re-encodes (and re-measures), never re-synthesises.
    params:
        encode=encode_params,
    shell:
        job_shell(
            "encode_chapter",
            "input.wav",
            "output",
            "log",
            "params.encode",
            "wildcards.book",
        )


rule prepare_cover:
    input:
        book="results/{book}/book.json",
    output:
        "results/{book}/cover/cover.jpg",
    log:
        "results/{book}/logs/prepare_cover.log",
    conda:
        "../envs/base.yaml"
    resources:
        mem_mb=1000,
    params:
        source=cover_source,
        tags=tag_params,
    shell:
        job_shell(
            "prepare_cover",
            "input.book",
            "output",
            "log",
            "params.source",
            "params.tags",
            "wildcards.book",
        )


rule assemble_audiobook:
    input:
        book="results/{book}/book.json",
        wavs=chapter_wavs,
        encoded=encoded_chapters,
        cover=book_cover,
    output:
        "results/{book}/{book}.{fmt}",
    log:
        "results/{book}/logs/assemble_audiobook.{fmt}.log",
    benchmark:
        "results/{book}/benchmarks/assemble_audiobook.{fmt}.tsv"
    wildcard_constraints:
        fmt=BOOK_FORMATS,
    conda:
        "../envs/base.yaml"
    resources:
        mem_mb=1000,
    params:
        tags=tag_params,
    shell:
        job_shell(
            "assemble_audiobook",
            "input.book",
            "input.wavs+",
            "input.encoded+",
            "input.cover+",
            "output",
            "log",
            "params.tags",
            "wildcards.book",
            "wildcards.fmt",
        )


rule write_captions:
    input:
        book="results/{book}/book.json",
        cues=chapter_cues,
        encoded=first_format_chapters,
    output:
        "results/{book}/{book}.{caption}",
    log:
        "results/{book}/logs/write_captions.{caption}.log",
    wildcard_constraints:
        caption="vtt|srt",
    conda:
        "../envs/base.yaml"
    resources:
        mem_mb=500,
    shell:
        job_shell(
            "write_captions",
            "input.book",
            "input.cues+",
            "input.encoded+",
            "output",
            "log",
            "wildcards.book",
            "wildcards.caption",
        )


rule split_chapters:
    input:
        book="results/{book}/book.json",
        encoded=encoded_chapters,
        cover=book_cover,
    output:
        directory("results/{book}/per_chapter/{fmt}"),
    log:
        "results/{book}/logs/split_chapters.{fmt}.log",
    wildcard_constraints:
        fmt=BOOK_FORMATS,
    conda:
        "../envs/base.yaml"
    resources:
        mem_mb=500,
    params:
        tags=tag_params,
    shell:
        job_shell(
            "split_chapters",
            "input.book",
            "input.encoded+",
            "input.cover+",
            "output",
            "log",
            "params.tags",
            "wildcards.book",
            "wildcards.fmt",
        )


rule place_in_library:
    input:
        book="results/{book}/book.json",
        audio=book_audio_files,
        encoded=first_format_chapters,
        cover=book_cover,
    output:
        "results/{book}/library.json",
    log:
        "results/{book}/logs/place_in_library.log",
    conda:
        "../envs/base.yaml"
    resources:
        mem_mb=500,
    params:
        root=lambda wildcards: config["output"].get("library") or "results/library",
        tags=tag_params,
    shell:
        job_shell(
            "place_in_library",
            "input.book",
            "input.audio+",
            "input.encoded+",
            "input.cover+",
            "output",
            "log",
            "params.root",
            "params.tags",
            "wildcards.book",
        )
