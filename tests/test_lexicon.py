"""Pronunciation: user lexicons, EPUB PLS lexicons and ssml:ph hints, phoneme-safe chunking."""

from __future__ import annotations

import pytest
from helpers import DATA

from snakebook.chaptertext import make_hint, strip_hints
from snakebook.engines.base import Engine
from snakebook.errors import SnakebookError
from snakebook.readers import ReadOptions, read_book
from snakebook.text.lexicon import Lexicon, lexicon_entries, parse_pls
from snakebook.text.prepare import make_preparer
from snakebook.text.sentences import chunk_sentence, split_sentences
from snakebook.text.speech import Pauses, plan_utterances

GEORGIA = DATA / "idpf-georgia-pls-ssml.epub"


def test_replacement_spelling_for_engines_without_phonemes():
    settings = {
        "text": {"lexicon": {"Hermione": "Her-my-oh-nee", "cthulhu": {"say": "Kuh-thoo-loo", "phonemes": "kəˈθuːluː"}}}
    }
    prepare = make_preparer("en", settings, phonemes=False)
    assert prepare("Hermione saw Cthulhu in 1914.") == "Her-my-oh-nee saw Kuh-thoo-loo in nineteen fourteen."


def test_phonemes_for_engines_that_take_them():
    settings = {"text": {"lexicon": {"Cthulhu": {"say": "Kuh-thoo-loo", "phonemes": "kəˈθuːluː"}}}}
    prepare = make_preparer("en", settings, phonemes=True)
    assert prepare("Cthulhu, 3 times.") == "[[ kəˈθuːluː ]], three times."


def test_case_rules_and_word_boundaries():
    lexicon = Lexicon(lexicon_entries({"Reading": "Redding", "tear": "tare"}))
    mark = lambda printed, entry: entry.say  # noqa: E731
    assert lexicon.apply("Reading is reading; a tear, tears, TEAR.", mark) == "Redding is reading; a tare, tears, tare."


def test_book_lexicon_overrides_global_and_book_file(tmp_path):
    (tmp_path / "words.tsv").write_text("Savannah\tSa-vanna\n", encoding="utf-8")
    settings = {"text": {"lexicon": {"Savannah": "global"}}, "lexicon": str(tmp_path / "words.tsv")}
    prepare = make_preparer("en", settings, book_lexicon={"Savannah": {"say": "from the epub"}})
    assert prepare("Savannah.") == "Sa-vanna."
    assert make_preparer("en", {}, book_lexicon={"Savannah": {"say": "from the epub"}})("Savannah.") == "from the epub."


def test_missing_lexicon_file_is_a_user_error(tmp_path):
    with pytest.raises(SnakebookError, match="does not exist"):
        make_preparer("en", {"lexicon": str(tmp_path / "nope.yaml")})


def test_parse_pls_keeps_ipa_and_alias():
    pls = """<?xml version="1.0"?><lexicon version="1.0" alphabet="ipa" xml:lang="en"
      xmlns="http://www.w3.org/2005/01/pronunciation-lexicon">
      <lexeme><grapheme>tomato</grapheme><grapheme>Tomato</grapheme><phoneme>təˈmɑːtoʊ</phoneme></lexeme>
      <lexeme><grapheme>W3C</grapheme><alias>World Wide Web Consortium</alias></lexeme>
    </lexicon>"""
    entries = parse_pls(pls)
    assert entries["tomato"] == {"phonemes": "təˈmɑːtoʊ"} == entries["Tomato"]
    assert entries["W3C"] == {"say": "World Wide Web Consortium"}
    assert parse_pls(b"not xml") == {}


def test_hints_survive_sentence_splitting_and_chunking():
    text = "It lies at ⟦35°|ˈθɜrtiˈfaɪv dɪˈgriz⟧ ⟦N.|nɔrθ⟧, by Florida. It is bounded ⟦W.|wɛst⟧ by Alabama."
    assert split_sentences(text, "en") == [
        "It lies at ⟦35°|ˈθɜrtiˈfaɪv dɪˈgriz⟧ ⟦N.|nɔrθ⟧, by Florida.",
        "It is bounded ⟦W.|wɛst⟧ by Alabama.",
    ]
    assert chunk_sentence("aaa bbb [[ tu ænd tu θɜrdz ]] ccc, ddd eee fff", 12) == [
        "aaa bbb",
        "[[ tu ænd tu θɜrdz ]]",
        "ccc,",
        "ddd eee fff",
    ]
    assert make_hint("N.", "nɔrθ") == "⟦N.|nɔrθ⟧"
    assert strip_hints("by ⟦N.|nɔrθ⟧ x") == "by N. x"


def test_split_sentences_rejoins_unknown_abbreviations():
    assert split_sentences("The area is 59,265 sq. m., of which 540 sq. m. are water. Next.", "en") == [
        "The area is 59,265 sq. m., of which 540 sq. m. are water.",
        "Next.",
    ]


def test_engine_capability():
    assert Engine.accepts_phonemes is False
    from snakebook.engines.base import EngineSettings
    from snakebook.engines.piper import PiperEngine

    assert PiperEngine(EngineSettings()).accepts_phonemes is True


@pytest.fixture(scope="module")
def georgia():
    return read_book(GEORGIA, ReadOptions(), "georgia")


def test_georgia_pls_lexicon_and_ssml_hints_are_read(georgia):
    assert georgia.lexicon["Alabama"] == {"phonemes": "ˌæləˈbæmə"}
    assert len(georgia.lexicon) == 71
    assert "between ⟦30°|ˈθɜrti dɪˈgriz⟧ ⟦31′|ˈθɜrtiˈwʌn ˈmɪnɪtz⟧" in georgia.chapters[0].text


def _spoken(book, phonemes: bool) -> list[str]:
    prepare = make_preparer(book.language, {"text": {}}, phonemes=phonemes, book_lexicon=book.lexicon)
    chapter = book.chapters[0]
    _lead, utterances = plan_utterances(
        chapter.title, chapter.text, language=book.language, max_chars=400, pauses=Pauses(), prepare=prepare
    )
    return [u.text for u in utterances]


def test_georgia_spoken_with_phonemes(georgia):
    spoken = "\n".join(_spoken(georgia, phonemes=True))
    assert "situated between [[ ˈθɜɹti dɪˈɡɹiz ]] [[ ˈθɜɹtiˈwʌn ˈmɪnɪtz ]]" in spoken  # ssml:ph
    assert "by [[ ˌæləˈbæmə ]]." in spoken  # PLS entry
    assert "fifty-nine thousand two hundred and sixty-five square miles" in spoken  # normalised around them
    assert "⟦" not in spoken


def test_georgia_spoken_without_phonemes(georgia):
    spoken = "\n".join(_spoken(georgia, phonemes=False))
    assert (
        "situated between thirty degrees thirty-one minutes thirty-nine seconds and thirty-five degrees north" in spoken
    )
    assert "[[" not in spoken and "⟦" not in spoken
    assert "Alabama" in spoken


def test_piper_reads_phoneme_blocks():
    from snakebook.engines.base import EngineSettings
    from snakebook.engines.piper import PiperEngine

    engine = PiperEngine(EngineSettings())
    engine.ensure_loaded()
    plain = engine.synthesize("by")
    with_block = engine.synthesize("by [[ ˌæləˈbæmə ]].")
    assert len(with_block) > len(plain) * 1.5
