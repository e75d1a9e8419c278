"""Spelling numbers in words per language, on top of num2words.

num2words does the real work (cardinals, ordinals, years in 50+ languages);
this module adds what a book needs around it: parsing printed numbers with the
language's separators, decimals read the way the language reads them,
fractions, and a digit-by-digit fallback that never raises.
"""

from __future__ import annotations

import re
from functools import lru_cache

from num2words import CONVERTER_CLASSES, num2words

from .languages import LanguageWords

MAX_SPELLED = 10**15  # longer numbers (serials, ISBN fragments) are read digit by digit


@lru_cache(maxsize=64)
def supports(language: str) -> bool:
    return language in CONVERTER_CLASSES


def _n2w(value, language: str, to: str = "cardinal") -> str:
    return num2words(value, lang=language, to=to)


def digits(text: str, language: str) -> str:
    """Read a string of digits one by one ("007" -> "zero zero seven")."""
    return " ".join(cardinal(int(ch), language) for ch in text if ch.isdigit())


def cardinal(value: int, language: str) -> str:
    if not supports(language):
        return str(value)
    if abs(value) >= MAX_SPELLED:
        return digits(str(value), language)
    try:
        return _n2w(value, language).replace(",", "")
    except Exception:  # num2words raises assorted errors on edge values; never fail a book for it
        return str(value)


def ordinal(value: int, language: str) -> str:
    if not supports(language) or abs(value) >= MAX_SPELLED:
        return cardinal(value, language)
    try:
        return _n2w(value, language, "ordinal")
    except Exception:
        return cardinal(value, language)


def year(value: int, language: str) -> str:
    if not supports(language):
        return str(value)
    try:
        return _n2w(value, language, "year")
    except Exception:
        return cardinal(value, language)


def integer_text(text: str, words: LanguageWords) -> int | None:
    """Parse "59,265" (en), "35 000" (fr), "1.000" (de) as an integer; None if it isn't one."""
    plain = re.sub(f"[{re.escape(words.group_seps)}]", "", text)
    return int(plain) if plain.isdigit() else None


def number_words(text: str, words: LanguageWords, language: str) -> str:
    """Spell a printed number (integer, grouped or decimal) in ``language``."""
    integer, sep, fraction = text.partition(words.decimal_sep) if words.decimal_sep in text else (text, "", "")
    if sep and not fraction:
        integer = text.rstrip(words.decimal_sep)
    if integer and integer.startswith("0") and len(integer) > 1 and not sep:
        return digits(integer, language)
    value = integer_text(integer, words) if integer else 0
    if value is None:
        return " ".join(digits(part, language) for part in re.findall(r"\d+", text))
    spoken = cardinal(value, language)
    if sep and fraction:
        if words.decimals_as_number and not fraction.startswith("0") and len(fraction) <= 3:
            tail = cardinal(int(fraction), language)
        else:
            tail = digits(fraction, language)
        spoken = f"{spoken} {words.decimal_word} {tail}"
    return spoken


def is_one(text: str, words: LanguageWords) -> bool:
    return integer_text(text, words) == 1


def fraction_words(numerator: int, denominator: int, words: LanguageWords, language: str) -> str:
    """ "2/3" -> "two thirds" / "deux tiers" / "zwei Drittel" / "dos tercios" / "twee derde"."""
    many = numerator != 1
    code = words.code
    num = cardinal(numerator, language)
    if code == "en":
        name = {2: ("half", "halves"), 4: ("quarter", "quarters")}.get(denominator)
        if name is None:
            base = ordinal(denominator, language)
            name = (base, base + "s")
        return f"{num} {name[1] if many else name[0]}"
    if code == "fr":
        name = {2: ("demi", "demis"), 3: ("tiers", "tiers"), 4: ("quart", "quarts")}.get(denominator)
        if name is None:
            base = ordinal(denominator, language)
            name = (base, base + "s")
        return f"{'un' if not many else num} {name[1] if many else name[0]}"
    if code == "de":
        if denominator == 2:
            return "einhalb" if not many else f"{num} Halbe"
        base = ordinal(denominator, language).removesuffix("e")
        return f"{'ein' if not many else num} {base.capitalize()}el"
    if code == "es":
        named = {2: ("medio", "medios"), 3: ("tercio", "tercios")}.get(denominator)
        if named is None and denominator <= 10:
            base = ordinal(denominator, language)
            named = (base, base + "s")
        if named is None:
            base = cardinal(denominator, language) + "avo"
            named = (base, base + "s")
        return f"{'un' if not many else num} {named[1] if many else named[0]}"
    if code == "nl":
        name = {2: "half", 4: "kwart"}.get(denominator) or ordinal(denominator, language)
        return f"{'een' if not many else num} {name}"
    return f"{num}/{cardinal(denominator, language)}"
