"""Language tags (one module for every step) and text the pipeline makes up, in the book's language."""

from __future__ import annotations

import pytest

from snakebook.engines.base import primary_language
from snakebook.language import (
    display_name,
    is_unknown,
    iso639_2,
    normalise_tag,
    primary_subtag,
    text_language,
)
from snakebook.readers import ReadOptions, read_book
from snakebook.text.languages import chapter_title
from snakebook.text.normalise import normalise
from snakebook.text.prepare import make_preparer
from snakebook.text.speech import Pauses, plan_utterances


@pytest.mark.parametrize(
    ("raw", "tag"),
    [
        ("en", "en"),
        ("EN", "en"),
        ("pt_br", "pt-BR"),
        ("zh-hant-tw", "zh-Hant-TW"),
        ("es-419", "es-419"),
        ("fre", "fr"),
        ("fra", "fr"),
        ("ger", "de"),
        ("eng", "en"),
        ("haw", "haw"),  # 639-2 without a 639-1 code
        ("English", "en"),
        ("Dutch", "nl"),
        ("French (Canada)", "fr"),
        ("Greek, Modern", "el"),
        ("en_US.UTF-8", "en-US"),
        ("  de  ", "de"),
        (None, None),
        ("", None),
        ("und", None),
        ("mul", None),
        ("zxx", None),
        ("not a language", None),
        ("e", None),
        ("12", None),
    ],
)
def test_normalise_tag(raw, tag):
    assert normalise_tag(raw) == tag
    assert is_unknown(raw) == (tag is None)


def test_primary_subtag_text_language_and_the_rule_for_unknown():
    assert primary_subtag("fr-CA") == "fr" and primary_subtag("pt_BR") == "pt" and primary_subtag("eng") == "en"
    assert primary_subtag(None) is None and primary_subtag("und") is None
    # text rules of an unknown language are English ones; a known language keeps its own
    assert text_language(None) == text_language("und") == text_language("") == "en"
    assert text_language("de-AT") == "de" and text_language("Welsh") == "cy"
    # engines use the same home
    assert primary_language("zh-cn") == "zh" and primary_language(None) is None


def test_iso639_2_and_display_name():
    assert [iso639_2(t) for t in ("en-US", "fr", "de", "nl", "zh-Hans", "cs", "haw", None, "und")] == [
        "eng",
        "fra",
        "deu",
        "nld",
        "zho",
        "ces",
        "haw",
        "und",
        "und",
    ]
    assert display_name("fr") == "French" and display_name("pt-BR") == "Portuguese (BR)"
    assert display_name(None) == "an unknown language" and display_name("haw") == "haw"


@pytest.mark.parametrize(
    ("language", "spoken"),
    [
        ("en", "Chapter one"),
        ("fr", "Chapitre un"),
        ("de", "Kapitel eins"),
        ("es", "Capítulo uno"),
        ("nl", "Hoofdstuk één"),
    ],
)
def test_made_up_chapter_titles_are_in_the_language(language, spoken):
    assert normalise(chapter_title(language, 1), language) == spoken


def test_a_french_text_whose_opening_became_a_chapter_announces_it_in_french(tmp_path):
    prose = (
        "Il était une fois une petite fille qui vivait dans un village près de la forêt. "
        "Sa mère l'aimait beaucoup et sa grand-mère plus encore. "
    ) * 12
    text = prose + "\n\n\n" + "".join(f"Chapitre {n}\n\n{prose}\n\n\n" for n in (2, 3))
    path = tmp_path / "conte.txt"
    path.write_text(text, encoding="utf-8")
    book = read_book(path, ReadOptions())
    assert book.language == "fr"
    assert [c.title for c in book.chapters] == ["Chapitre 1", "Chapitre 2", "Chapitre 3"]
    _lead, utterances = plan_utterances(
        book.chapters[0].title,
        book.chapters[0].text,
        language=book.language,
        max_chars=400,
        pauses=Pauses(),
        prepare=make_preparer(book.language, {}),
    )
    assert utterances[0].text == "Chapitre un"


def test_an_untitled_chapter_of_a_book_in_an_unknown_language_is_named_in_english(tmp_path):
    path = tmp_path / "digits.txt"
    path.write_text("1234 5678 9012. " * 200, encoding="utf-8")  # nothing a detector can name
    book = read_book(path, ReadOptions())
    assert book.language is None
    assert [c.title for c in book.chapters] == ["Chapter 1"]
