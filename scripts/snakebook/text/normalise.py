"""Normalisation: printed text -> text a TTS engine reads correctly, per language.

``normalise(sentence, language, options)`` runs a fixed sequence of steps,
each a small regular-expression rewrite: typography, URLs and e-mail
addresses, abbreviations, money, coordinates, times, percentages, fractions,
ranges, dates, ordinals, roman numerals, years, units, plain numbers, symbols,
acronyms and all-caps words. Numbers are spelled by num2words (see
:mod:`snakebook.text.numbers`); the words around them come from
:mod:`snakebook.text.languages`. Languages without a table there get only
typography and numbers (when num2words knows the language).

Characters U+E000..U+F8FF (private use) are treated as opaque: callers use
them as placeholders for text that must not be touched (lexicon phonemes).
"""

from __future__ import annotations

import re
from functools import lru_cache

import roman

from ..language import text_language
from ..settings import TextSettings as TextOptions  # the one definition of the `text:` switches (re-exported)
from . import numbers as num
from .languages import LANGUAGES, LanguageWords, words_for

DOT_WORD = {"en": "dot", "fr": "point", "de": "Punkt", "es": "punto", "nl": "punt"}
LETTER = r"[^\W\d_]"
UPPER = r"[A-ZÀ-ÖØ-ÞĀ-Ž]"
END_PUNCT = "\"')]»”’"


# --------------------------------------------------------------------------- typography

QUOTES = str.maketrans(
    {
        "«": '"',
        "»": '"',
        "„": '"',
        "‟": '"',
        "“": '"',
        "”": '"',
        "‹": "'",
        "›": "'",
        "‚": "'",
        "‘": "'",
        "’": "'",
        "‛": "'",
        "′": "′",
        "`": "'",
        "´": "'",
    }
)
ZERO_WIDTH = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
SPACES = re.compile(r"[ \t\r\f\v\u2000-\u200a\u205f\u3000\u1680]+")
FOOTNOTE = re.compile(rf"(?<={LETTER}{{3}})[¹²³⁴⁵⁶⁷⁸⁹⁰]+|(?<=[\w.,;:!?\"'])\[(?:\d{{1,3}}|[a-z*†‡])\]|[†‡]")


def _ftfy(text: str) -> str:
    import ftfy

    return ftfy.fix_text(
        text,
        uncurl_quotes=False,
        fix_latin_ligatures=True,
        fix_character_width=True,
        normalization="NFC",
        explain=False,
    )


def typography(text: str) -> str:
    """Mojibake, ligatures, width (ftfy); quotes, invisible characters, spaces, footnote markers."""
    text = _ftfy(text)
    text = ZERO_WIDTH.sub("", text).translate(QUOTES)
    text = re.sub(r"(?<=\d)[\u00a0\u202f\u2009](?=\d{3})", "\u202f", text)  # keep thousands grouping
    text = re.sub(r"[\u00a0\u202f\u2009]", " ", text)
    text = re.sub(r"(?<!\d)\u202f|\u202f(?!\d)", " ", text)
    text = SPACES.sub(" ", text)
    text = FOOTNOTE.sub("", text)
    text = text.replace("[[", "[").replace("]]", "]")  # never let a book's brackets look like Piper phonemes
    text = re.sub(r"\.\s\.\s\.", "...", text).replace("…", "...")
    text = re.sub(r"(?<!\w)_+(?=\w)|(?<=\w)_+(?!\w)", "", text)  # _emphasis_ markers of plain-text books
    return text


def final_typography(text: str) -> str:
    text = re.sub(r"\s*(?:—|--+|―|\s–\s)\s*(?=[.,;:!?\"')\]]|$)", "", text)
    text = re.sub(r"\s*(?:—|--+|―|\s–\s)\s*", ", ", text)
    text = re.sub(r"(?<=\D)–(?=\D)", "-", text)
    text = re.sub(r"^[,\s]+", "", text)
    text = re.sub(r",\s*,", ",", text)
    text = text.replace("\u202f", " ")
    return SPACES.sub(" ", text).strip()


# --------------------------------------------------------------------------- helpers


def _alternation(keys) -> str:
    return "|".join(re.escape(key) for key in sorted(keys, key=len, reverse=True))


def _keep_final_dot(spoken: str, match: re.Match, text: str, capital: bool = False) -> str:
    """An abbreviation's dot that also ended the sentence still ends it (``capital``: also before a capital)."""
    rest = text[match.end() :]
    if match.group(0).endswith(".") and (not rest.strip(END_PUNCT + " ") or capital and re.match(rf"\s+{UPPER}", rest)):
        return spoken + "."
    return spoken


def _plural(number_text: str, names: tuple[str, str], words: LanguageWords) -> str:
    return names[0] if num.is_one(number_text, words) else names[1]


def _say_number(text: str, words: LanguageWords, language: str) -> str:
    return num.number_words(text.replace("\u202f", " "), words, language)


class _Steps:
    def __init__(self, language: str, options: TextOptions):
        self.lang = language
        self.full = language in LANGUAGES
        self.words = words_for(language)
        self.options = options
        self.numeric = num.supports(language)
        w = self.words
        if w.code == "fr":
            self.number = r"\d+(?:[.\u202f ]\d{3})*(?:,\d+)?"
        elif w.code in ("de", "es", "nl"):
            self.number = r"\d+(?:[.\u202f]\d{3})*(?:,\d+)?"
        else:
            self.number = r"\d+(?:[,\u202f]\d{3})*(?:\.\d+)?"
        self.abbr_re = (
            re.compile(rf"(?<!\w){'(?:' + _alternation(w.abbreviations) + ')'}(?!\w)") if w.abbreviations else None
        )
        self.before_number_re = re.compile(
            rf"(?<![\w.]){'(?:' + _alternation(w.before_number) + ')'}(?=\s?(?:\d|[IVXLCivxlc]{(2,)}\b|[VXLC]\b))"
        )
        self.title_re = re.compile(rf"(?<![\w.])(?:{_alternation(w.titles)})(?=\s+(?:{UPPER}|(?:and|et|und|y|en)\b|&))")
        self.units_re = re.compile(rf"(?<![\w.,])({self.number})\s?(?:{_alternation(w.units)})(?![\w²/])")
        triggers = _alternation(w.roman_triggers)
        self.roman_trigger_re = re.compile(rf"(?i:(?<!\w)({triggers}))\s+([IVXLCDM]+|[ivxlc]+)\b(?!['’]\w)")

    # ---- URLs and e-mail addresses
    def urls(self, text: str) -> str:
        mode = self.options.urls
        dot = DOT_WORD.get(self.lang, "dot")
        at = self.words.symbols.get("@", "at") if self.full else "@"

        def domain(host: str) -> str:
            host = re.sub(r"^www\.", "", host.lower())
            return f" {dot} ".join(part for part in host.split(".") if part)

        def email(match: re.Match) -> str:
            if mode == "skip":
                return ""
            user, host = match.group(1), match.group(2)
            return f"{user.replace('.', f' {dot} ')} {at} {domain(host)}"

        def url(match: re.Match) -> str:
            whole = match.group(0)
            trail = re.search(r"[.,;:!?)\]\"']+$", whole)
            tail = trail.group(0) if trail else ""
            whole = whole[: len(whole) - len(tail)]
            if mode == "skip":
                return tail
            host = re.sub(r"^[a-z]+://", "", whole, flags=re.I).split("/")[0].split(":")[0]
            if mode == "full":
                rest = whole.split(host, 1)[-1].strip("/")
                extra = (" slash " + " slash ".join(p for p in rest.split("/") if p)) if rest else ""
                return domain(host) + extra + tail
            return domain(host) + tail

        text = re.sub(r"(?<![\w.+-])([\w.+-]+)@([\w-]+(?:\.[\w-]+)+)", email, text)
        text = re.sub(r"(?i)\b(?:https?://|ftp://|www\.)[^\s<>\"]+", url, text)
        return text

    # ---- abbreviations
    def abbreviations(self, text: str) -> str:
        w = self.words
        text = self.before_number_re.sub(lambda m: w.before_number[m.group(0)] + " ", text)
        text = re.sub(r"  +", " ", text)
        if w.code == "en":  # "St." before a name is Saint, after one (or alone) Street
            text = re.sub(r"(?<=[a-z] )St\.(?!\s+[A-Z])", lambda m: _keep_final_dot("Street", m, text), text)
        text = self.title_re.sub(lambda m: w.titles[m.group(0)], text)
        if self.abbr_re is not None:
            text = self.abbr_re.sub(
                lambda m: _keep_final_dot(w.abbreviations[m.group(0)], m, text, capital=m.group(0) in w.sentence_final),
                text,
            )
        return text

    # ---- money
    def money(self, text: str) -> str:
        w = self.words
        symbols = _alternation(w.currencies)

        def say(symbol: str, amount: str, scale: str | None) -> str:
            currency = w.currencies[symbol]
            integer, sep, cents = amount.partition(w.decimal_sep)
            if scale:
                return f"{_say_number(amount, w, self.lang)} {scale} {currency.many}"
            spoken = f"{_say_number(integer, w, self.lang)} {_plural(integer, (currency.one, currency.many), w)}"
            if sep and cents and int(cents) and len(cents) == 2:
                value = int(cents)
                spoken += f" {w.money_and} {num.cardinal(value, self.lang)} {currency.cent_one if value == 1 else currency.cent_many}"
            elif sep and cents and int(cents):
                spoken = f"{_say_number(amount, w, self.lang)} {currency.many}"
            return spoken

        scale = r"(?:\s(million|billion|trillion|millions?|milliards?|Millionen|Million|Milliarden|millones|millón|miljoen|miljard))?"
        text = re.sub(
            rf"({symbols})\s?({self.number}){scale}\b", lambda m: say(m.group(1), m.group(2), m.group(3)), text
        )
        text = re.sub(
            rf"(?<![\w.,])({self.number}){scale}\s?({symbols})", lambda m: say(m.group(3), m.group(1), m.group(2)), text
        )
        return text

    # ---- degrees, minutes, seconds, compass
    def coordinates(self, text: str) -> str:
        w = self.words
        n = self.number

        def unit(names):
            return lambda m: f"{_say_number(m.group(1), w, self.lang)} {_plural(m.group(1), names, w)}"

        text = re.sub(
            rf"({n})\s?°\s?([CF])\b",
            lambda m: (
                f"{_say_number(m.group(1), w, self.lang)} "
                f"{_plural(m.group(1), w.degree, w)} {'Celsius' if m.group(2) == 'C' else 'Fahrenheit'}"
            ),
            text,
        )
        text = re.sub(rf"({n})\s?°", unit(w.degree), text)
        text = re.sub(rf"(?<![\w.,])({n})\s?′", unit(w.minute), text)
        text = re.sub(rf"(?<![\w.,])({n})\s?″", unit(w.second), text)
        text = text.replace("′", "'").replace("″", '"')
        units = _alternation({*w.degree, *w.minute, *w.second})
        compass = _alternation(w.compass)
        return re.sub(
            rf"\b({units}) ({compass})(?!\w)",
            lambda m: _keep_final_dot(f"{m.group(1)} {w.compass[m.group(2)]}", m, text, True),
            text,
        )

    # ---- times of day
    def times(self, text: str) -> str:
        w = self.words
        lang = self.lang

        def clock(hour: int, minute: int, suffix: str | None) -> str:
            h = num.cardinal(hour, lang)
            if w.code == "en":
                if minute == 0:
                    spoken = f"{h} o'clock" if not suffix else h
                elif minute < 10:
                    spoken = f"{h} oh {num.cardinal(minute, lang)}"
                else:
                    spoken = f"{h} {num.cardinal(minute, lang)}"
                if suffix:
                    spoken += " " + " ".join(ch for ch in suffix.lower() if ch.isalpha())
                return spoken
            m = f" {num.cardinal(minute, lang)}" if minute else ""
            if w.code == "fr":
                return f"{h} {'heure' if hour == 1 else 'heures'}{m}"
            if w.code == "es":
                return f"{h} y {num.cardinal(minute, lang)}" if minute else h
            return f"{h} {w.time_word}{m}"

        if w.code == "en":
            text = re.sub(
                r"\b([01]?\d|2[0-3])[:.]([0-5]\d)\s?([ap]\.\s?m\.|[AaPp]\.?[Mm]\.?)(?!\w)",
                lambda m: clock(int(m.group(1)), int(m.group(2)), m.group(3)),
                text,
            )
            text = re.sub(
                r"\b(1[0-2]|0?\d)\s?([ap]\.m\.|[AP]M)(?!\w)", lambda m: clock(int(m.group(1)), 0, m.group(2)), text
            )
        elif w.code == "fr":
            text = re.sub(
                r"\b([01]?\d|2[0-3])\s?h(?:\s?([0-5]\d)(?![\dh]))?(?!\w)",
                lambda m: clock(int(m.group(1)), int(m.group(2) or 0), None),
                text,
            )
        elif w.time_word:
            text = re.sub(
                rf"\b([01]?\d|2[0-3])[:.]([0-5]\d)\s?{w.time_word}\b",
                lambda m: clock(int(m.group(1)), int(m.group(2)), None),
                text,
            )
        return re.sub(
            r"(?<![\d:.,])([01]?\d|2[0-3]):([0-5]\d)(?![\d:])",
            lambda m: clock(int(m.group(1)), int(m.group(2)), None),
            text,
        )

    # ---- percentages and fractions
    def percent(self, text: str) -> str:
        w = self.words
        text = re.sub(rf"({self.number})\s?%", lambda m: f"{_say_number(m.group(1), w, self.lang)} {w.percent}", text)
        return text.replace("%", f" {w.percent}")

    def fractions(self, text: str) -> str:
        w = self.words
        text = re.sub(
            "[\u00bc-\u00be\u2150-\u215e]",
            lambda m: " " + __import__("unicodedata").normalize("NFKC", m.group(0)) + " ",
            text,
        )
        text = re.sub(r"(?<=\d) +(?=\d+⁄)", " ", text)

        def frac(m: re.Match) -> str:
            whole, a, b = m.group(1), int(m.group(2)), int(m.group(3))
            if not 2 <= b <= 100:
                return m.group(0)
            spoken = num.fraction_words(a, b, w, self.lang)
            if whole:
                spoken = f"{num.cardinal(int(whole), self.lang)} {w.and_word} {spoken}"
            return spoken

        text = re.sub(r"(?:\b(\d+)\s+)?\b(\d{1,3}) ?⁄ ?(\d{1,3})\b", frac, text)
        text = re.sub(r"(?:\b(\d+)\s+)?(?<![\d/.])(\d{1,2})/(\d{1,3})(?![\d/])", frac, text)
        return re.sub(r"\s{2,}", " ", text)

    # ---- ranges "1914-18", "pp. 23-45"
    def ranges(self, text: str) -> str:
        w = self.words

        def span(m: re.Match) -> str:
            a, b = m.group(1), m.group(2)
            if len(a) == 4 and len(b) < 4 and int(a[-len(b) :]) < int(b):
                b = a[: len(a) - len(b)] + b
            elif len(b) > len(a) and len(b) > 3:
                return m.group(0)
            return f"{a} {w.range_word} {b}"

        return re.sub(r"(?<![\d\-–/.,:])(\d{1,4}) ?[-–] ?(\d{1,4})(?![\d\-–/]|[.,]\d)", span, text)

    # ---- dates (English: "March 12" is read "March twelfth")
    def dates(self, text: str) -> str:
        w = self.words
        if not w.months:
            return text
        months = _alternation(w.months)
        text = re.sub(
            rf"\b({months}) (\d{{1,2}})(?:st|nd|rd|th)?\b(?!:)",
            lambda m: f"{m.group(1)} {num.ordinal(int(m.group(2)), self.lang)}",
            text,
        )

        def day_month(m: re.Match) -> str:
            before = text[: m.start()].rstrip().lower()
            the = "" if before.endswith("the") else "the "
            return f"{the}{num.ordinal(int(m.group(1)), self.lang)} of {m.group(2)}"

        return re.sub(rf"\b(\d{{1,2}})(?:st|nd|rd|th)? (?:of )?({months})(?!\w)", day_month, text)

    # ---- ordinals
    def ordinals(self, text: str) -> str:
        lang, code = self.lang, self.words.code
        if code == "en":
            text = re.sub(r"\b(\d+)(?i:st|nd|rd|th|d(?!\.))\b", lambda m: num.ordinal(int(m.group(1)), lang), text)
        elif code == "fr":

            def fr(m: re.Match) -> str:
                value, suffix = int(m.group(1)), m.group(2)
                if value == 1:
                    return "première" if suffix.startswith("r") or suffix.startswith("è") else "premier"
                if value == 2 and suffix.startswith("nd"):
                    return "seconde" if suffix == "nde" else "second"
                return num.ordinal(value, lang)

            text = re.sub(r"\b(\d+)(er|re|ère|ème|eme|e|è|nde|nd)\b", fr, text)
        elif code == "de":

            def de(m: re.Match) -> str:
                spoken = num.ordinal(int(m.group(2)), lang)
                article = m.group(1) or ""
                if article.strip().lower() in ("am", "vom", "zum", "im", "beim", "dem", "den", "des", "der", "zur"):
                    spoken += "n"
                return article + spoken

            text = re.sub(r"(\b\w+ )?\b(\d{1,3})\.(?= \S)(?! ?\d)", de, text)
        elif code == "es":

            def es(m: re.Match) -> str:
                spoken = num.ordinal(int(m.group(1)), lang)
                return re.sub(r"o\b", "a", spoken) if m.group(2) == "ª" else spoken

            text = re.sub(r"\b(\d+)\.?([ºª])", es, text)
        elif code == "nl":
            text = re.sub(r"\b(\d+)(?:ste|de|e)\b", lambda m: num.ordinal(int(m.group(1)), lang), text)
        return text

    # ---- roman numerals
    def _regnal(self, name: str, value: int) -> str:
        lang, code = self.lang, self.words.code
        if code == "en":
            return f"{name} the {num.ordinal(value, lang).capitalize()}"
        if code == "fr":
            return f"{name} {'premier' if value == 1 else num.cardinal(value, lang)}"
        if code == "de":
            return f"{name} der {num.ordinal(value, lang).capitalize()}"
        if code == "es":
            return f"{name} {num.ordinal(value, lang) if value <= 10 else num.cardinal(value, lang)}"
        if code == "nl":
            return f"{name} de {num.ordinal(value, lang).capitalize()}"
        return f"{name} {num.cardinal(value, lang)}"

    def roman(self, text: str) -> str:
        if not self.options.roman_numerals:
            return text
        lang = self.lang

        def value(numeral: str) -> int | None:
            try:
                return roman.fromRoman(numeral.upper())
            except roman.InvalidRomanNumeralError:
                return None

        def triggered(m: re.Match) -> str:
            v = value(m.group(2))
            if m.group(2) == "I" and re.match(r"\s+[a-z]", text[m.end() :]):  # "No. I should like"
                return m.group(0)
            return f"{m.group(1)} {num.cardinal(v, lang)}" if v else m.group(0)

        text = self.roman_trigger_re.sub(triggered, text)
        stripped = text.strip().rstrip(".:")
        if re.fullmatch(r"[IVXLCDM]+", stripped) and value(stripped):  # a heading that is only a numeral
            return text.replace(stripped, num.cardinal(value(stripped), lang), 1)
        head = re.match(r"^([IVXLCDM]+)\.(?=\s)", text)  # "IV. The Mouse"
        if head and value(head.group(1)):
            text = num.cardinal(value(head.group(1)), lang).capitalize() + "." + text[head.end() :]
        if self.words.code == "fr":  # "XIXe siècle", "Ier"

            def century(m: re.Match) -> str:
                v = value(m.group(1))
                if not v:
                    return m.group(0)
                if v == 1:
                    return "première" if m.group(2).startswith("r") else "premier"
                return num.ordinal(v, lang)

            text = re.sub(r"\b([IVX]|[IVXLC]{2,})(e|ème|er|re)\b", century, text)

        def regnal(m: re.Match) -> str:
            name, numeral = m.group(1), m.group(2)
            v = value(numeral)
            if not v or name in NOT_NAMES or name.isupper():
                return m.group(0)
            if numeral == "I" and not re.match(r"\s*(?:[,;:)]|\.(?:\s|$)|$)", text[m.end() :]):
                return m.group(0)
            return self._regnal(name, v)

        dot = r"(\.(?= \w))?" if self.words.code == "de" else "()"
        return re.sub(rf"\b({UPPER}{LETTER}+) ([IVXL]{{1,7}})\b{dot}(?!['’]\w)", regnal, text)

    # ---- decades, units, years, numbers
    def decades(self, text: str) -> str:
        if self.words.code != "en":
            return text

        def decade(m: re.Match) -> str:
            spoken = num.year(int(m.group(1)), self.lang)
            return spoken[:-1] + "ies" if spoken.endswith("y") else spoken + "s"

        return re.sub(r"\b(1\d[1-9]0|20[1-9]0|1\d00)'?s\b", decade, text)

    def units(self, text: str) -> str:
        w = self.words

        def unit(m: re.Match) -> str:
            printed = m.group(0)[len(m.group(1)) :].strip()
            name = w.units[printed]
            if printed in ("s.", "d.") and (num.integer_text(m.group(1), w) or 0) >= 100:
                return m.group(0)
            spoken = f"{_say_number(m.group(1), w, self.lang)} {_plural(m.group(1), name, w)}"
            return _keep_final_dot(spoken, m, text, True)

        return self.units_re.sub(unit, text)

    def years(self, text: str) -> str:
        if self.words.code != "en":
            pattern = r"(?<![\d.,\u202f])(1[0-9]\d\d|20\d\d)(?![\d\u202f]|[.,]\d)"
        else:
            pattern = r"(?<![\d.,\u202f])(1[1-9]\d\d|20\d\d)(?![\d\u202f]|[.,]\d)"
        return re.sub(pattern, lambda m: num.year(int(m.group(1)), self.lang), text)

    def numbers(self, text: str) -> str:
        w = self.words
        minus = {"en": "minus", "fr": "moins", "de": "minus", "es": "menos", "nl": "min"}.get(w.code, "-")
        text = re.sub(r"(?<![\w\d])[−](?=\d)", f"{minus} ", text)

        def say(m: re.Match) -> str:  # "ascended90" (a line number glued on) -> "ascended ninety"
            before = " " if m.start() and text[m.start() - 1].isalpha() else ""
            after = " " if m.end() < len(text) and text[m.end()].isalpha() else ""
            return before + _say_number(m.group(0), w, self.lang) + after

        return re.sub(rf"(?<![\d\u202f]){self.number}(?![\d\u202f])", say, text)

    # ---- symbols, acronyms, capitals
    def symbols(self, text: str) -> str:
        w = self.words
        table = {key: value for key, value in w.symbols.items() if key not in ("#",)}
        text = re.sub(r"#(?=\s?\d)", f" {w.symbols.get('#', '#')} ", text)
        text = re.sub(rf"\s?({_alternation(table)})\s?", lambda m: f" {table[m.group(1)]} ", text)
        return text

    def capitals(self, text: str) -> str:
        """ALL-CAPS words that are words become capitalised ("GEORGIA" -> "Georgia", "THE END" -> "The End");
        those without a vowel are acronyms, spelled ("BBC" -> "B B C"); short ones with a vowel ("USA")
        are left to the engine."""
        opts = self.options
        word = rf"{UPPER}{{2,}}(?:'S)?(?![\w'])"
        vowels = set("AEIOUYÀÂÄÉÈÊËÎÏÔÖÙÛÜÁÍÓÚ")
        in_run: set[int] = set()
        for run in re.finditer(rf"(?<![\w']){word}(?:[\s,;:'\"-]+{word})+", text):
            in_run.update(range(run.start(), run.end()))

        def fix(m: re.Match) -> str:
            token = m.group(0)
            letters = token.removesuffix("'S")
            has_vowel = any(ch in vowels for ch in letters)
            if re.fullmatch(r"[IVX]+", token):
                if not opts.roman_numerals:
                    return token
                try:
                    return num.cardinal(roman.fromRoman(token), self.lang)
                except roman.InvalidRomanNumeralError:
                    pass
            if opts.caps and has_vowel and (m.start() in in_run or len(letters) >= 4):
                return letters.capitalize() + token[len(letters) :].lower()
            if opts.acronyms == "spell" and not has_vowel:
                return " ".join(letters) + token[len(letters) :].lower()
            return token

        return re.sub(rf"(?<![\w']){word}", fix, text)

    def run(self, text: str) -> str:
        text = typography(text)
        if not self.options.normalise:
            return final_typography(text)
        text = self.urls(text)
        if self.full:
            text = self.abbreviations(text)
            text = self.money(text)
            text = self.coordinates(text)
            text = self.times(text)
            text = self.percent(text)
            text = self.fractions(text)
            text = self.ranges(text)
            text = self.dates(text)
            text = self.ordinals(text)
            text = self.roman(text)
            text = self.decades(text)
            text = self.units(text)
            text = self.years(text)
        if self.numeric:
            text = self.numbers(text)
        if self.full:
            text = self.symbols(text)
            text = self.capitals(text)
        return final_typography(text)


NOT_NAMES = {
    "The",
    "And",
    "But",
    "So",
    "Then",
    "When",
    "Now",
    "Here",
    "There",
    "What",
    "Which",
    "Who",
    "Than",
    "Said",
    "Did",
    "Could",
    "Would",
    "Should",
    "Am",
    "Was",
    "Have",
    "Had",
    "Do",
    "Can",
    "May",
    "Might",
    "Must",
    "Shall",
    "Will",
    "Yes",
    "No",
    "Oh",
    "If",
    "As",
    "That",
    "This",
    "Where",
    "How",
    "Why",
    "Chapter",
    "Part",
    "Book",
    "Et",
    "Le",
    "La",
    "Les",
    "Un",
    "Une",
    "Der",
    "Die",
    "Das",
    "Und",
    "El",
    "Los",
    "Las",
    "Y",
    "De",
    "Het",
    "En",
    "Een",
}


@lru_cache(maxsize=32)
def _steps(language: str, options: TextOptions) -> _Steps:
    return _Steps(language, options)


def normalise(text: str, language: str | None = "en", options: TextOptions | None = None) -> str:
    """Rewrite one sentence so an engine reads it as a person would, in ``language`` (any tag: ``fr-CA`` reads
    with French rules, an unknown language with English ones; see :func:`snakebook.language.text_language`)."""
    return _steps(text_language(language), options or TextOptions()).run(text)
