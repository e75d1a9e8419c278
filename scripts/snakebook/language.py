"""Language tags: the one place that reads, normalises and names them.

A book's language is a BCP 47 tag (``en``, ``fr-CA``, ``pt-BR``, ``zh-Hant-TW``) and arrives in many
shapes: ``pt_br`` from a user, ``eng`` or ``fre`` from an EPUB, ``French`` from a Project Gutenberg
header, ``und`` or nothing at all. Every step asks this module:

- :func:`normalise_tag`: one canonical tag (``pt_br`` -> ``pt-BR``, ``eng`` -> ``en``, ``French`` -> ``fr``),
  or ``None`` when the language is unknown;
- :func:`primary_subtag`: the part every engine and word table agrees on (``fr-CA`` -> ``fr``), or ``None``;
- :func:`text_language`: the language whose text rules (sentence splitting, normalisation, made-up
  titles) apply: the primary subtag, or ``en`` when the language is unknown;
- :func:`iso639_2`: the three-letter code containers want (MP4/M4B: ``fra``), ``und`` when unknown;
- :func:`display_name`: a name for messages (``French``).

The rule for "unknown": an empty, malformed, ``und``, ``mul`` or ``zxx`` tag *is* unknown and
normalises to ``None``. ``None`` is what ``book.json`` stores then (the reader may still detect the
language from the text); text preparation falls back to English rules (:data:`FALLBACK`), and
metadata says ``und``.
"""

from __future__ import annotations

import re
from functools import lru_cache

#: The language whose text rules apply when a book's language is unknown.
FALLBACK = "en"
#: ISO 639-2 for "undetermined".
UNDETERMINED = "und"
# Tags that say "no particular language" rather than naming one.
_NOT_A_LANGUAGE = {"und", "mul", "zxx", "mis"}

# ISO 639-1 -> (ISO 639-2/T, ISO 639-2/B, English name). /T is what MP4 and most metadata expect.
# fmt: off
_LANGUAGES: dict[str, tuple[str, str, str]] = {
    "af": ("afr", "afr", "Afrikaans"), "am": ("amh", "amh", "Amharic"), "ar": ("ara", "ara", "Arabic"),
    "be": ("bel", "bel", "Belarusian"), "bg": ("bul", "bul", "Bulgarian"), "bn": ("ben", "ben", "Bengali"),
    "br": ("bre", "bre", "Breton"), "bs": ("bos", "bos", "Bosnian"), "ca": ("cat", "cat", "Catalan"),
    "cs": ("ces", "cze", "Czech"), "cy": ("cym", "wel", "Welsh"), "da": ("dan", "dan", "Danish"),
    "de": ("deu", "ger", "German"), "el": ("ell", "gre", "Greek"), "en": ("eng", "eng", "English"),
    "eo": ("epo", "epo", "Esperanto"), "es": ("spa", "spa", "Spanish"), "et": ("est", "est", "Estonian"),
    "eu": ("eus", "baq", "Basque"), "fa": ("fas", "per", "Persian"), "fi": ("fin", "fin", "Finnish"),
    "fo": ("fao", "fao", "Faroese"), "fr": ("fra", "fre", "French"), "fy": ("fry", "fry", "Western Frisian"),
    "ga": ("gle", "gle", "Irish"), "gd": ("gla", "gla", "Scottish Gaelic"), "gl": ("glg", "glg", "Galician"),
    "gu": ("guj", "guj", "Gujarati"), "he": ("heb", "heb", "Hebrew"), "hi": ("hin", "hin", "Hindi"),
    "hr": ("hrv", "hrv", "Croatian"), "hu": ("hun", "hun", "Hungarian"), "hy": ("hye", "arm", "Armenian"),
    "id": ("ind", "ind", "Indonesian"), "is": ("isl", "ice", "Icelandic"), "it": ("ita", "ita", "Italian"),
    "ja": ("jpn", "jpn", "Japanese"), "ka": ("kat", "geo", "Georgian"), "kk": ("kaz", "kaz", "Kazakh"),
    "km": ("khm", "khm", "Khmer"), "kn": ("kan", "kan", "Kannada"), "ko": ("kor", "kor", "Korean"),
    "la": ("lat", "lat", "Latin"), "lb": ("ltz", "ltz", "Luxembourgish"), "lt": ("lit", "lit", "Lithuanian"),
    "lv": ("lav", "lav", "Latvian"), "mk": ("mkd", "mac", "Macedonian"), "ml": ("mal", "mal", "Malayalam"),
    "mn": ("mon", "mon", "Mongolian"), "mr": ("mar", "mar", "Marathi"), "ms": ("msa", "may", "Malay"),
    "mt": ("mlt", "mlt", "Maltese"), "my": ("mya", "bur", "Burmese"), "nb": ("nob", "nob", "Norwegian Bokmål"),
    "ne": ("nep", "nep", "Nepali"), "nl": ("nld", "dut", "Dutch"), "nn": ("nno", "nno", "Norwegian Nynorsk"),
    "no": ("nor", "nor", "Norwegian"), "oc": ("oci", "oci", "Occitan"), "pa": ("pan", "pan", "Punjabi"),
    "pl": ("pol", "pol", "Polish"), "pt": ("por", "por", "Portuguese"), "ro": ("ron", "rum", "Romanian"),
    "ru": ("rus", "rus", "Russian"), "sk": ("slk", "slo", "Slovak"), "sl": ("slv", "slv", "Slovenian"),
    "sq": ("sqi", "alb", "Albanian"), "sr": ("srp", "srp", "Serbian"), "sv": ("swe", "swe", "Swedish"),
    "sw": ("swa", "swa", "Swahili"), "ta": ("tam", "tam", "Tamil"), "te": ("tel", "tel", "Telugu"),
    "th": ("tha", "tha", "Thai"), "tl": ("tgl", "tgl", "Tagalog"), "tr": ("tur", "tur", "Turkish"),
    "uk": ("ukr", "ukr", "Ukrainian"), "ur": ("urd", "urd", "Urdu"), "vi": ("vie", "vie", "Vietnamese"),
    "yi": ("yid", "yid", "Yiddish"), "zh": ("zho", "chi", "Chinese"),
}
# Three-letter codes (either ISO 639-2 form) and English names -> the two-letter code.
_FROM_THREE = {code: two for two, (t, b, _name) in _LANGUAGES.items() for code in (t, b)}
_FROM_NAME = {name.lower(): two for two, (_t, _b, name) in _LANGUAGES.items()}
_FROM_NAME.update({"greek, modern": "el", "castilian": "es", "flemish": "nl", "farsi": "fa", "gaelic": "gd",
                   "norwegian bokmal": "nb", "brazilian portuguese": "pt-BR", "mandarin": "zh"})
# fmt: on
_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")


@lru_cache(maxsize=512)
def normalise_tag(tag: str | None) -> str | None:
    """A canonical BCP 47 tag, or ``None`` when the language is unknown.

    Language lower case, script title case, region upper case (``zh_hant_tw`` -> ``zh-Hant-TW``);
    three-letter codes that have a two-letter one become it (``fre`` -> ``fr``); an English language
    name is read too (``French``, ``Dutch (Flemish)``, as Project Gutenberg headers write them).
    """
    if tag is None:
        return None
    text = re.split(r"[.@]", str(tag).strip())[0].replace("_", "-")  # POSIX locales: en_US.UTF-8, de_DE@euro
    if not text:
        return None
    if not _TAG.fullmatch(text):
        return _from_name(text)
    language, *rest = text.split("-")
    language = language.lower()
    if language in _NOT_A_LANGUAGE:
        return None
    language = _FROM_THREE.get(language, language)
    parts = [language]
    for part in rest:
        if len(part) == 4 and part.isalpha():
            parts.append(part.title())  # script
        elif len(part) == 2 and part.isalpha() or len(part) == 3 and part.isdigit():
            parts.append(part.upper())  # region
        else:
            parts.append(part.lower())
    return "-".join(parts)


def _from_name(text: str) -> str | None:
    name = re.sub(r"\s+", " ", text).strip().lower()
    if name in _FROM_NAME:
        return _FROM_NAME[name]
    first = re.split(r"[\s,;(/]", name)[0]  # "English (US)", "Dutch; Flemish", "German and French"
    return _FROM_NAME.get(first)


def primary_subtag(tag: str | None) -> str | None:
    """``fr-CA`` -> ``fr``, ``pt_BR`` -> ``pt``, ``eng`` -> ``en``; ``None`` when the language is unknown."""
    tag = normalise_tag(tag)
    return tag.split("-")[0] if tag else None


def is_unknown(tag: str | None) -> bool:
    return normalise_tag(tag) is None


def text_language(tag: str | None) -> str:
    """The language whose text rules apply: the primary subtag, :data:`FALLBACK` (``en``) when unknown."""
    return primary_subtag(tag) or FALLBACK


def iso639_2(tag: str | None) -> str:
    """The ISO 639-2/T code (``fr-CA`` -> ``fra``); a three-letter code passes through; ``und`` when unknown."""
    primary = primary_subtag(tag)
    if primary is None:
        return UNDETERMINED
    if primary in _LANGUAGES:
        return _LANGUAGES[primary][0]
    return primary if len(primary) == 3 else UNDETERMINED


def display_name(tag: str | None) -> str:
    """A name for messages: ``French``, ``Portuguese (BR)``, the tag itself when not in the table."""
    normal = normalise_tag(tag)
    if normal is None:
        return "an unknown language"
    primary, *rest = normal.split("-")
    name = _LANGUAGES[primary][2] if primary in _LANGUAGES else normal
    region = next((part for part in rest if part.isupper()), None)
    return f"{name} ({region})" if region and primary in _LANGUAGES else name
