"""Normalisation per language: table-driven cases and property tests."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from snakebook.text.languages import LANGUAGES
from snakebook.text.normalise import TextOptions, normalise

CASES = {
    "en": [
        ("CHAPTER IV.", "Chapter four."),
        ("Chapter XII", "Chapter twelve"),
        ("Henry VIII married six times.", "Henry the Eighth married six times."),
        ("I think I will.", "I think I will."),
        ("It cost £3 10s. and 6d.", "It cost three pounds ten shillings and six pence."),
        ("£500 a year", "five hundred pounds a year"),
        ("$3.50 each", "three dollars and fifty cents each"),
        ("the war of 1914-18", "the war of nineteen fourteen to nineteen eighteen"),
        ("in the 1920s", "in the nineteen twenties"),
        (
            "between 30° 31′ 39″ and 35° N.",
            "between thirty degrees thirty-one minutes thirty-nine seconds and thirty-five degrees north.",
        ),
        ("It was 20°C.", "It was twenty degrees Celsius."),
        ("Mr. Smith met Dr. Watson at 10:30 a.m.", "Mister Smith met Doctor Watson at ten thirty a m."),
        ("at 10:05", "at ten oh five"),
        ("on March 12, 1914", "on March twelfth, nineteen fourteen"),
        ("on 12 March 1914", "on the twelfth of March nineteen fourteen"),
        ("About 50% of the 1st class", "About fifty percent of the first class"),
        ("½ of them, 2 1/2 miles, 3/4 of it", "one half of them, two and one half miles, three quarters of it"),
        ("See p. 23 and pp. 23-45.", "See page twenty-three and pages twenty-three to forty-five."),
        ("e.g. the BBC and NASA, etc.", "for example the B B C and Nasa, et cetera."),
        ("59,265 sq. m. in all", "fifty-nine thousand two hundred and sixty-five square miles in all"),
        ("4768 ft. high", "four thousand seven hundred and sixty-eight feet high"),
        ("GEORGIA, a southern state of the USA.", "Georgia, a southern state of the USA."),
        ("came THE KING AND THE QUEEN, the 2ND mate", "came The King And The Queen, the second mate"),
        ("No. I should like", "No. I should like"),
        ("Mr. and Mrs. Gardiner", "Mister and Missus Gardiner"),
        ("these ascended90", "these ascended ninety"),
        ("THE END", "The End"),
        ("Visit https://www.gutenberg.org/ebooks/1342 now.", "Visit gutenberg dot org now."),
        ("mail me@example.com", "mail me at example dot com"),
        ("He said\u2014and I agreed\u2014it was \u201cfine\u2026\u201d", 'He said, and I agreed, it was "fine..."'),
        ("ef\ufb01cient co\u00adoperation", "efficient cooperation"),
        ("Salt & pepper, § 12", "Salt and pepper, section twelve"),
        ("World War II ended.", "World War two ended."),
        ("No. 5 and St. Paul", "number five and Saint Paul"),
        ("the 007 file", "the zero zero seven file"),
        ("a word[12] with a note", "a word with a note"),
    ],
    "fr": [
        ("Le XIXe siècle et Louis XIV.", "Le dix-neuvième siècle et Louis quatorze."),
        (
            "Il a payé 12,50 € le 1er mars 1914.",
            "Il a payé douze euros et cinquante centimes le premier mars mille neuf cent quatorze.",
        ),
        ("soit 35\u202f000 francs", "soit trente-cinq mille francs"),
        ("À 10 h 30, 50 % des gens.", "À dix heures trente, cinquante pour cent des gens."),
        ("Chapitre III", "Chapitre trois"),
        ("M. Dupont, c.-à-d. etc.", "Monsieur Dupont, c'est-à-dire et cetera."),
        ("3,14", "trois virgule quatorze"),
        ("ouvert 10h-12h 14h-18h30", "ouvert dix heures-douze heures quatorze heures-dix-huit heures trente"),
        ("«\u00a0Bonjour\u00a0»", '" Bonjour "'),
    ],
    "de": [
        (
            "Am 3. Mai 1914 kostete es 3,50 €.",
            "Am dritten Mai neunzehnhundertvierzehn kostete es drei Euro und fünfzig Cent.",
        ),
        ("Heinrich VIII. war König.", "Heinrich der Achte war König."),
        ("z. B. 25 % der Leute, S. 12.", "zum Beispiel fünfundzwanzig Prozent der Leute, Seite zwölf."),
        ("Um 10:30 Uhr kam Dr. Müller.", "Um zehn Uhr dreißig kam Doktor Müller."),
        ("Es waren 1.000 Mann.", "Es waren eintausend Mann."),
        ("Kapitel IV", "Kapitel vier"),
        ("2/3 davon", "zwei Drittel davon"),
    ],
    "es": [
        (
            "El 1º de mayo de 1914, Felipe II pagó 3,50 €.",
            "El primero de mayo de mil novecientos catorce, Felipe segundo pagó tres euros con cincuenta céntimos.",
        ),
        ("Capítulo XII", "Capítulo doce"),
        ("El Sr. García, p. ej., tiene 25 %.", "El señor García, por ejemplo, tiene veinticinco por ciento."),
        ("la 2ª vez", "la segunda vez"),
    ],
    "nl": [
        (
            "Op de 3e dag van 1914 betaalde dhr. Jansen € 3,50.",
            "Op de derde dag van negentien honderd veertien betaalde de heer Jansen drie euro en vijftig cent.",
        ),
        ("Hoofdstuk IV", "Hoofdstuk vier"),
        ("Willem III, bijv. 25 %.", "Willem de Derde, bijvoorbeeld vijfentwintig procent."),
        ("zie blz. 12 enz.", "zie bladzijde twaalf enzovoort."),
    ],
}


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [(lang, text, expected) for lang, rows in CASES.items() for text, expected in rows],
)
def test_normalise_table(language, text, expected):
    assert normalise(text, language) == expected


def test_switches():
    assert normalise("See www.example.org now.", "en", TextOptions(urls="skip")) == "See now."
    assert (
        normalise("See http://example.org/a/b now.", "en", TextOptions(urls="full"))
        == "See example dot org slash a slash b now."
    )
    assert normalise("the BBC", "en", TextOptions(acronyms="keep")) == "the BBC"
    assert normalise("Chapter IV", "en", TextOptions(roman_numerals=False)) == "Chapter IV"
    assert normalise("GEORGIA, a state", "en", TextOptions(caps=False)) == "GEORGIA, a state"
    assert normalise("Dr. Who in 1914", "en", TextOptions(normalise=False)) == "Dr. Who in 1914"


def test_unknown_language_spells_numbers_only():
    assert normalise("В 1914 году & 5", "ru") == "В одна тысяча девятьсот четырнадцать году & пять"
    assert normalise("1914 x", "xx") == "1914 x"  # no num2words support: left alone


def test_never_introduces_piper_phoneme_syntax():
    assert "[[" not in normalise("a [[b]] c", "en")


# --- properties ------------------------------------------------------------------------------

WORD = st.from_regex(r"[a-z]{2,10}", fullmatch=True)
NOISE = st.sampled_from(
    [
        " ",
        ", ",
        ". ",
        "; ",
        " - ",
        " — ",
        "…",
        " 1914 ",
        " 3.5 ",
        " £3 10s. ",
        " 50% ",
        " ½ ",
        " 30° ",
        " IV ",
        " Mr. ",
        " & ",
        " § ",
        " (",
        ") ",
        ' "',
        " co\u00adop ",
        "\u00a0",
        " 12:30 ",
        " 1st ",
        " x@y.com ",
        " www.a.org ",
        " 1914-18 ",
        " ‘",
        "’ ",
        " 2/3 ",
        "\u202f",
        " BBC ",
    ]
)
ABBREVIATION_WORDS = {
    key.strip(".").lower()
    for words in LANGUAGES.values()
    for table in (words.abbreviations, words.before_number, words.titles, words.units)
    for key in table
}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(WORD, NOISE), min_size=1, max_size=15), st.sampled_from(sorted(LANGUAGES)))
def test_never_drops_alphabetic_words(parts, language):
    text = "".join(word + noise for word, noise in parts)
    out = normalise(text, language).lower()
    for word, _noise in parts:
        if word in ABBREVIATION_WORDS:
            continue
        assert re.search(rf"(?<![^\W\d_]){word}(?![^\W\d_])", out), (word, text, out)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200), st.sampled_from(["en", "fr", "de", "es", "nl", "ru", "zh", "xx"]))
def test_never_crashes(text, language):
    assert isinstance(normalise(text, language), str)


@pytest.mark.parametrize(
    ("language", "text", "first"),
    [
        ("de", "Er hatte einen Markt usw. Er wohnte dort.", "Er hatte einen Markt und so weiter."),
        ("de", "Sie kaufte Äpfel, Birnen u.s.w. „Wir gehen“, sagte sie.", "Sie kaufte Äpfel, Birnen und so weiter."),
        ("en", "He sold pens, paper, ink etc. I lived above the shop.", "He sold pens, paper, ink et cetera."),
        (
            "fr",
            "Il vendait des pommes, des poires, etc. Il habitait là.",
            "Il vendait des pommes, des poires, et cetera.",
        ),
        ("nl", "Hij verkocht appels, peren enz. Hij woonde daar.", "Hij verkocht appels, peren enzovoort."),
        ("es", "Vendía manzanas, peras, etc. Vivía allí con su madre.", "Vendía manzanas, peras, etcétera."),
    ],
)
def test_an_abbreviation_ending_a_sentence_keeps_its_full_stop_and_pause(language, text, first):
    from snakebook.text.prepare import make_preparer
    from snakebook.text.speech import Pauses, plan_utterances

    pauses = Pauses()
    _lead, utterances = plan_utterances(
        None, text, language=language, max_chars=400, pauses=pauses, prepare=make_preparer(language, {})
    )
    assert len(utterances) == 2, [u.text for u in utterances]
    assert utterances[0].text == first and utterances[0].pause_after_ms == pauses.sentence
    # the same dot inside a sentence is no full stop
    assert normalise("Birnen usw. waren teuer.", "de") == "Birnen und so weiter waren teuer."
    assert normalise("e.g. Paris and London", "en") == "for example Paris and London"
