"""The extraction step: ebook -> book.json, chapters/NNN.txt, chapters.tsv, cover."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from . import coverage
from .chaptertext import plain_text, write_chapter
from .errors import SnakebookError
from .fileio import atomic_write, write_bytes, write_json
from .model import Book, chapter_file_name
from .readers import ReadOptions, read_book

log = logging.getLogger("snakebook")


def apply_chapter_edits(book: Book, drop: list | None, rename: dict | None, book_name: str) -> None:
    """Drop chapters (by 1-based index or exact title) and rename them (index or title -> new title)."""
    drop = list(drop or [])
    rename = {str(k): v for k, v in (rename or {}).items()}
    count = len(book.chapters)
    for key in list(drop) + list(rename):
        if str(key).isdigit() and not 1 <= int(key) <= count:
            raise SnakebookError(
                f"chapter {key} named in drop_chapters/rename_chapters does not exist (the book has {count}).",
                book_name,
            )
    kept = []
    for index, chapter in enumerate(book.chapters, start=1):
        if index in drop or str(index) in map(str, drop) or chapter.title in drop:
            continue
        new_title = rename.get(str(index)) or rename.get(chapter.title)
        if new_title:
            chapter.title = new_title
        kept.append(chapter)
    if not kept:
        raise SnakebookError("drop_chapters removes every chapter; nothing would be left to read.", book_name)
    book.chapters = kept


def _first_words(text: str, count: int = 12) -> str:
    return " ".join(plain_text(text).split()[:count])


def write_extraction(
    book: Book,
    source: str,
    book_json: str | Path,
    chapters_dir: str | Path,
    tsv: str | Path,
    coverage_summary: dict | None = None,
) -> None:
    chapters_dir = Path(chapters_dir)
    if chapters_dir.exists():
        shutil.rmtree(chapters_dir)
    chapters_dir.mkdir(parents=True)
    cover_path = None
    if book.cover is not None:
        cover_path = Path(book_json).parent / f"cover{book.cover.extension}"
        write_bytes(cover_path, book.cover.data)
    records = []
    for index, chapter in enumerate(book.chapters, start=1):
        name = chapter_file_name(index)
        write_chapter(chapters_dir / f"{name}.txt", chapter.text)
        # What the synthesis of this chapter needs besides its text. A file of its own (not book.json)
        # so that an edit elsewhere in the book leaves this chapter's inputs unchanged.
        write_json(
            chapters_dir / f"{name}.json", {"title": chapter.title, "language": book.language, "lexicon": book.lexicon}
        )
        records.append(
            {
                "index": index,
                "id": name,
                "title": chapter.title,
                "file": str(chapters_dir / f"{name}.txt"),
                "chars": len(chapter.text),
            }
        )
    with atomic_write(tsv) as handle:
        handle.write("index\ttitle\tcharacters\tfirst_words\n")
        for record, chapter in zip(records, book.chapters, strict=True):
            title = record["title"].replace("\t", " ")
            handle.write(f"{record['index']}\t{title}\t{record['chars']}\t{_first_words(chapter.text)}\n")
    write_json(
        book_json,
        {
            "source": str(source),
            "title": book.title,
            "authors": book.authors,
            "language": book.language,
            "publisher": book.publisher,
            "date": book.date,
            "description": book.description,
            "identifiers": book.identifiers,
            "subtitle": book.subtitle,
            "series": book.series,
            "series_index": book.series_index,
            "cover": str(cover_path) if cover_path else None,
            "lexicon": book.lexicon,
            "chapters": records,
            **({"coverage": coverage_summary} if coverage_summary else {}),
        },
    )


def extract_book(source: str, settings: dict, book_json, chapters_dir, tsv, coverage_tsv=None) -> Book:
    name = settings.get("name") or Path(source).name
    options = ReadOptions(
        toc_level=settings.get("toc_level"),
        keep_notes=bool(settings.get("keep_notes")),
        language=settings.get("language"),
    )
    with coverage.recording() as recorder:
        book = read_book(source, options, name)
    if settings.get("title"):
        book.title = settings["title"]
    if settings.get("authors"):
        book.authors = list(settings["authors"]) if isinstance(settings["authors"], list) else [settings["authors"]]
    before = [(chapter, chapter.title, chapter.text) for chapter in book.chapters]
    apply_chapter_edits(book, settings.get("drop_chapters"), settings.get("rename_chapters"), name)
    account = book_coverage(recorder, before, book)
    write_extraction(book, source, book_json, chapters_dir, tsv, coverage_summary=account.summary())
    if coverage_tsv:
        account.write_tsv(coverage_tsv)
    log.info(
        "%s: %d of %d words kept (%.1f %%); dropped: %s",
        name,
        account.kept_words,
        account.source_words,
        account.percent_kept,
        account.dropped_by_reason() or "nothing",
    )
    if account.unexplained:
        log.warning(
            "%s: %d words left out without a known reason (a reader bug?):\n%s",
            name,
            sum(b.words for b in account.unexplained),
            coverage.format_unexplained(account),
        )
    return book


def book_coverage(recorder: coverage.Recorder, before: list, book: Book) -> coverage.Coverage:
    """The word account of a read book; ``before``: (chapter, title, text) before drop_chapters/rename_chapters."""
    kept = {id(chapter): index for index, chapter in enumerate(book.chapters, start=1)}
    chapters = [
        (chapter_file_name(kept[id(chapter)]) if id(chapter) in kept else "dropped: drop_chapters", title, text)
        for chapter, title, text in before
    ]
    return coverage.account(recorder, chapters)
