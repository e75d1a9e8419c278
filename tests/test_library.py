"""The book table (snakebook.library): books, library folder and book sheet combined, checked before any work;
and, with real Snakemake runs, that a library grows and that a bad book fails alone."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from helpers import ROOT, SAMPLE_EPUB, snakemake, write_tiny_epub

from snakebook.errors import SnakebookError
from snakebook.library import book_table, library_books, read_sheet
from snakebook.settings import prepare_config


def config_with(**values) -> dict:
    with open(ROOT / "config" / "config.yaml", encoding="utf-8") as handle:
        config = yaml.safe_load(handle)
    config.update(values)
    return prepare_config(config)


def tiny_epub(path: Path, language: str = "en", title: str = "Tiny Book") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = {
        "en": "It was a bright cold day in April, and the clocks were striking thirteen.",
        "ru": "Все счастливые семьи похожи друг на друга, каждая несчастливая семья несчастлива по-своему.",
        "fr": "Longtemps, je me suis couché de bonne heure. Parfois, à peine ma bougie éteinte.",
    }[language]
    return write_tiny_epub(path, [("Chapter One", [text, text])], language=language, title=title)


@pytest.fixture
def library(tmp_path) -> Path:
    folder = tmp_path / "lib"
    tiny_epub(folder / "One.epub", title="One")
    tiny_epub(folder / "more" / "Two.epub", title="Two")
    (folder / "notes.txt.bak").write_text("not a book")
    (folder / ".hidden.epub").write_text("editor junk")
    (folder / "cover.jpg").write_bytes(b"\xff\xd8\xff")
    return folder


def write_sheet(path: Path, rows: list[list[str]], delimiter: str = "\t") -> Path:
    path.write_text("\n".join(delimiter.join(row) for row in rows) + "\n", encoding="utf-8")
    return path


def test_library_is_searched_recursively_and_skips_what_is_not_an_ebook(library):
    assert [p.name for p in library_books(library)] == ["One.epub", "Two.epub"]
    assert [p.name for p in library_books(library, recursive=False)] == ["One.epub"]
    table = book_table(config_with(library=str(library)), explicit_books=False)
    assert sorted(table) == ["one", "two"]  # the shipped sample book is replaced by the library


def test_sheet_rows_are_typed_and_override_library_books_by_path(library, tmp_path):
    sheet = write_sheet(
        tmp_path / "books.tsv",
        [
            ["book", "path", "engine", "drop_chapters", "keep_notes", "speaker", "title"],
            ["", str(library / "One.epub"), "espeak", "1, 3", "true", "", "The First"],
            ["sample", str(SAMPLE_EPUB), "", "", "", "2", ""],
        ],
    )
    table = book_table(config_with(library=str(library), sheet=str(sheet)), explicit_books=False)
    assert sorted(table) == ["one", "sample", "two"]
    one = table["one"]
    assert (one.engine, one.drop_chapters, one.keep_notes, one.title) == ("espeak", [1, 3], True, "The First")
    assert one.voice_settings.own  # the sheet chose its engine
    assert table["two"].engine == "piper" and not table["two"].voice_settings.own
    assert table["sample"].speaker == 2 and table["sample"].path == str(SAMPLE_EPUB)


def test_the_readme_sheet_example_reads(tmp_path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = readme.split("```\nbook\tpath", 1)[1].split("```", 1)[0]
    moby, horla = read_sheet(write_sheet(tmp_path / "books.tsv", [["book", "path" + example.rstrip()]]))
    assert moby.values == {"name": "moby", "engine": "piper", "drop_chapters": [1, 2]}
    assert horla.values == {"engine": "espeak", "voice": "fr", "language": "fr", "title": "Le Horla"}


def test_csv_sheet_with_comments(tmp_path):
    sheet = tmp_path / "books.csv"
    sheet.write_text(f"# my books\npath,language,toc_level\n{SAMPLE_EPUB},fr,2\n", encoding="utf-8")
    (entry,) = read_sheet(sheet)
    assert entry.values == {"language": "fr", "toc_level": 2}


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([["path", "enigne"], ["{book}", "espeak"]], r"unknown column `enigne`; did you mean `engine`\?"),
        ([["path", "toc_level"], ["{book}", "deep"]], r"row 1, column `toc_level`: 'deep' is not of type"),
        ([["path", "engine"], ["{book}", "festival"]], r"row 1, column `engine`: 'festival' is not one of"),
        ([["path", "book"], ["{book}", "Bad Name"]], r"row 1, column `book`: 'Bad Name' does not match"),
        ([["path"], ["{book}"], ["{missing}"]], r"sheet .* row 2 does not exist: '.*missing.epub'"),
        ([["engine"], ["espeak"]], r"has no `path` column"),
    ],
)
def test_bad_sheets_name_row_and_column(tmp_path, rows, message):
    rows = [[cell.format(book=SAMPLE_EPUB, missing=tmp_path / "missing.epub") for cell in row] for row in rows]
    sheet = write_sheet(tmp_path / "books.tsv", rows)
    with pytest.raises(SnakebookError, match=message):
        book_table(config_with(sheet=str(sheet)), explicit_books=False)


def test_books_listed_twice_or_sharing_an_id_are_refused(library, tmp_path):
    sheet = write_sheet(tmp_path / "books.tsv", [["path"], [str(SAMPLE_EPUB)]])
    with pytest.raises(SnakebookError, match=r"listed twice: in `books` entry 1 and in book sheet .* row 1"):
        book_table(config_with(books=[str(SAMPLE_EPUB)], sheet=str(sheet)))
    shutil.copy(library / "One.epub", library / "more" / "one.epub")
    with pytest.raises(SnakebookError, match=r"same id 'one'.*`book` column"):
        book_table(config_with(library=str(library)), explicit_books=False)


def test_missing_book_file_names_the_entry_and_path(tmp_path):
    with pytest.raises(SnakebookError, match=r"`books` entry 2 does not exist: '.*nowhere.epub'"):
        book_table(config_with(books=[str(SAMPLE_EPUB), str(tmp_path / "nowhere.epub")]))


def test_implicit_books_inside_the_library_still_override(library):
    config = config_with(library=str(library), books=[{"path": str(library / "One.epub"), "language": "fr"}])
    table = book_table(config, explicit_books=False)
    assert table["one"].language == "fr" and sorted(table) == ["one", "two"]


# --------------------------------------------------------------------------- real Snakemake runs
@pytest.mark.slow
def test_review_of_a_growing_library_extracts_the_new_books(tmp_path, library):
    result = snakemake(tmp_path, "--until", "extract_book", config={"library": str(library)})
    assert (tmp_path / "results" / "one" / "book.json").is_file()
    tiny_epub(library / "Three.epub", title="Three")
    result = snakemake(tmp_path, "--until", "extract_book", config={"library": str(library)})
    assert "Nothing to be done" not in result.stdout + result.stderr
    assert (tmp_path / "results" / "three" / "book.json").is_file()
    assert not list((tmp_path / "results").glob("*/audio/*.wav"))  # review only: nothing synthesised


@pytest.mark.slow
def test_a_book_no_voice_can_speak_fails_alone(tmp_path):
    library = tmp_path / "lib"
    tiny_epub(library / "Good.epub", title="Good")
    tiny_epub(library / "Russian.epub", language="ru", title="Russian")
    result = snakemake(
        tmp_path, "--keep-going", config={"library": str(library), "cache_dir": str(tmp_path / "c")}, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "InputFunctionException" not in output and "Traceback" not in output
    assert (tmp_path / "results" / "good" / "good.m4b").is_file()  # the good book was finished
    assert not (tmp_path / "results" / "russian" / "russian.m4b").exists()
    log = (tmp_path / "results" / "russian" / "logs" / "check_book.log").read_text()
    assert "'ru'" in log and "espeak" in log  # what speaks Russian, in the failed job's one paragraph
    assert not list((tmp_path / "results" / "russian").glob("audio/*.wav"))


@pytest.mark.slow
def test_voices_by_language_choose_the_engine(tmp_path):
    library = tmp_path / "lib"
    tiny_epub(library / "Livre.epub", language="fr", title="Livre")
    config = {"library": str(library), "voices": {"fr": {"engine": "espeak"}}, "cache_dir": str(tmp_path / "c")}
    snakemake(tmp_path, config=config)
    voice = json.loads((tmp_path / "results" / "livre" / "voice.json").read_text())
    assert voice["engine"] == "espeak" and voice["language"].startswith("fr")
    assert (tmp_path / "results" / "livre" / "livre.m4b").is_file()
    result = snakemake(tmp_path, "-n", config=config)  # nothing to redo
    assert "synthesize_chapter" not in result.stdout
