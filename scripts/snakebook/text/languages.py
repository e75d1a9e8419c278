"""Words that normalisation needs per language (en, fr, de, es, nl).

Numbers themselves are spelled by num2words; this module only holds the
small vocabularies num2words does not cover: abbreviations, symbol names,
units, currency names, the words around numbers ("to", "percent", "point").
A language not listed here is normalised with English rules for symbols and
left alone for words (num2words still spells its numbers when it knows it).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Currency:
    one: str
    many: str
    cent_one: str
    cent_many: str


@dataclass(frozen=True)
class LanguageWords:
    code: str
    decimal_sep: str  # "." or ","
    group_seps: str  # characters that group thousands
    decimal_word: str
    decimals_as_number: bool  # "trois virgule quatorze" rather than "... un quatre"
    range_word: str  # 1914-18 -> 1914 <to> 1918
    and_word: str
    percent: str
    degree: tuple[str, str]  # one, many
    minute: tuple[str, str]
    second: tuple[str, str]
    currencies: dict[str, Currency]
    money_and: str
    # abbreviation (exactly as printed, with its dot) -> spoken form; applied before numbers
    abbreviations: dict[str, str]
    # abbreviations that mean something only before a number ("p. 23", "No. 5")
    before_number: dict[str, str]
    # abbreviations that are titles before a name ("Mr. Smith"); a dot here never ends a sentence
    titles: dict[str, str]
    units: dict[str, tuple[str, str]]  # unit after a number -> (one, many)
    symbols: dict[str, str]
    compass: dict[str, str]  # "N." after a coordinate
    roman_triggers: tuple[str, ...]  # words after which a roman numeral is a number
    time_word: str  # how "10:30" is read: "{h} {m}" pattern words
    months: tuple[str, ...] = ()
    letters: dict[str, str] = field(default_factory=dict)  # how to spell a letter in an acronym, when not itself
    # abbreviations (keys of ``abbreviations``) that end a list or a name and so may end a sentence: before a
    # capital their dot is also the full stop ("... einen Markt usw. Er wohnte ...")
    sentence_final: tuple[str, ...] = ()


EN = LanguageWords(
    code="en", decimal_sep=".", group_seps=",", decimal_word="point", decimals_as_number=False,
    range_word="to", and_word="and", percent="percent",
    degree=("degree", "degrees"), minute=("minute", "minutes"), second=("second", "seconds"),
    currencies={
        "£": Currency("pound", "pounds", "penny", "pence"),
        "$": Currency("dollar", "dollars", "cent", "cents"),
        "€": Currency("euro", "euros", "cent", "cents"),
        "¥": Currency("yen", "yen", "sen", "sen"),
    },
    money_and="and",
    abbreviations={
        "e.g.": "for example", "i.e.": "that is", "etc.": "et cetera", "viz.": "namely", "vs.": "versus",
        "cf.": "compare", "approx.": "approximately", "ca.": "circa", "A.D.": "A D", "B.C.": "B C",
        "a.m.": "a m", "p.m.": "p m", "Mts.": "Mountains", "Mt.": "Mount",
        "Co.": "Company", "Bros.": "Brothers", "Ltd.": "Limited", "Inc.": "Incorporated", "Esq.": "Esquire",
        "Jr.": "Junior", "Sr.": "Senior", "Ave.": "Avenue", "Rd.": "Road", "Govt.": "Government",
    },
    before_number={
        "p.": "page", "pp.": "pages", "No.": "number", "Nos.": "numbers", "no.": "number", "vol.": "volume",
        "vols.": "volumes", "Vol.": "volume", "ch.": "chapter", "chap.": "chapter", "Chap.": "chapter",
        "fig.": "figure", "Fig.": "figure", "art.": "article", "Art.": "article", "sec.": "section",
        "para.": "paragraph", "l.": "line", "ll.": "lines", "ed.": "edition",
    },
    titles={
        "Mr.": "Mister", "Mrs.": "Missus", "Messrs.": "Messieurs", "Dr.": "Doctor", "St.": "Saint",
        "Prof.": "Professor", "Capt.": "Captain", "Col.": "Colonel", "Gen.": "General", "Lieut.": "Lieutenant",
        "Lt.": "Lieutenant", "Sgt.": "Sergeant", "Rev.": "Reverend", "Hon.": "Honourable", "Gov.": "Governor",
        "Sen.": "Senator", "Rep.": "Representative", "Pres.": "President", "Maj.": "Major", "Adm.": "Admiral",
        "Mr": "Mister", "Mrs": "Missus", "Dr": "Doctor", "Ms.": "Miz", "Mme.": "Madame", "Mlle.": "Mademoiselle",
    },
    units={
        "ft.": ("foot", "feet"), "ft": ("foot", "feet"), "in.": ("inch", "inches"), "yds.": ("yard", "yards"),
        "yd.": ("yard", "yards"), "m.": ("mile", "miles"), "mi.": ("mile", "miles"), "km": ("kilometre", "kilometres"),
        "m": ("metre", "metres"), "cm": ("centimetre", "centimetres"), "mm": ("millimetre", "millimetres"),
        "kg": ("kilogram", "kilograms"), "g": ("gram", "grams"), "lb.": ("pound", "pounds"), "lbs.": ("pound", "pounds"),
        "lb": ("pound", "pounds"), "lbs": ("pound", "pounds"), "oz.": ("ounce", "ounces"), "oz": ("ounce", "ounces"),
        "cwt.": ("hundredweight", "hundredweight"), "bu.": ("bushel", "bushels"), "gal.": ("gallon", "gallons"),
        "sq. m.": ("square mile", "square miles"), "sq. mi.": ("square mile", "square miles"),
        "sq. m": ("square metre", "square metres"), "sq. yds.": ("square yard", "square yards"), "sq. ft.": ("square foot", "square feet"),
        "sq. km": ("square kilometre", "square kilometres"), "km²": ("square kilometre", "square kilometres"),
        "m²": ("square metre", "square metres"), "mph": ("mile per hour", "miles per hour"),
        "km/h": ("kilometre per hour", "kilometres per hour"), "°C": ("degree Celsius", "degrees Celsius"),
        "°F": ("degree Fahrenheit", "degrees Fahrenheit"), "s.": ("shilling", "shillings"), "d.": ("penny", "pence"),
        "h.p.": ("horse-power", "horse-power"), "hp": ("horse-power", "horse-power"),
    },
    symbols={
        "&": "and", "§§": "sections", "§": "section", "¶": "paragraph", "@": "at", "+": "plus", "=": "equals",
        "×": "times", "÷": "divided by", "±": "plus or minus", "~": "about", "№": "number", "°": "degrees",
        "‰": "per mille", "#": "number", "℔": "pounds", "©": "copyright", "®": "registered", "™": "trademark",
    },
    compass={
        "N.": "north", "S.": "south", "E.": "east", "W.": "west", "N.E.": "north-east", "N.W.": "north-west",
        "S.E.": "south-east", "S.W.": "south-west", "N": "north", "S": "south", "E": "east", "W": "west",
    },
    roman_triggers=("chapter", "book", "part", "volume", "vol.", "act", "scene", "section", "canto", "stave",
                    "letter", "psalm", "article", "appendix", "lesson", "lecture", "chap.", "no.", "number",
                    "page", "p.", "pp.", "plate", "table", "fig.", "figure", "vol", "chapters", "parts",
                    "year", "class", "division", "title", "band", "phase", "stage", "level", "world war"),
    time_word="",
    months=("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
            "November", "December", "Jan.", "Feb.", "Mar.", "Apr.", "Jun.", "Jul.", "Aug.", "Sept.", "Sep.",
            "Oct.", "Nov.", "Dec."),
    sentence_final=("etc.", "Co.", "Bros.", "Ltd.", "Inc.", "Esq.", "Jr.", "Sr.", "a.m.", "p.m.", "A.D.", "B.C."),
)

FR = LanguageWords(
    code="fr", decimal_sep=",", group_seps=" \u00a0\u202f.", decimal_word="virgule", decimals_as_number=True,
    range_word="à", and_word="et", percent="pour cent",
    degree=("degré", "degrés"), minute=("minute", "minutes"), second=("seconde", "secondes"),
    currencies={
        "£": Currency("livre", "livres", "penny", "pence"),
        "$": Currency("dollar", "dollars", "cent", "cents"),
        "€": Currency("euro", "euros", "centime", "centimes"),
        "¥": Currency("yen", "yens", "sen", "sen"),
    },
    money_and="et",
    abbreviations={
        "etc.": "et cetera", "c.-à-d.": "c'est-à-dire", "av. J.-C.": "avant Jésus-Christ",
        "apr. J.-C.": "après Jésus-Christ", "J.-C.": "Jésus-Christ", "cf.": "confer", "env.": "environ",
        "Cie": "compagnie", "Cie.": "compagnie", "ex.": "exemple", "boul.": "boulevard", "bd": "boulevard",
    },
    before_number={
        "p.": "page", "pp.": "pages", "n°": "numéro", "no": "numéro", "No": "numéro", "nº": "numéro",
        "chap.": "chapitre", "vol.": "volume", "t.": "tome", "fig.": "figure", "art.": "article",
    },
    titles={
        "M.": "Monsieur", "MM.": "Messieurs", "Mme": "Madame", "Mmes": "Mesdames", "Mlle": "Mademoiselle",
        "Mlles": "Mesdemoiselles", "Mgr": "Monseigneur", "Me": "Maître", "Dr": "Docteur", "Pr": "Professeur",
        "St": "Saint", "Ste": "Sainte", "Mme.": "Madame", "Mlle.": "Mademoiselle", "Dr.": "Docteur",
    },
    units={
        "km": ("kilomètre", "kilomètres"), "m": ("mètre", "mètres"), "cm": ("centimètre", "centimètres"),
        "mm": ("millimètre", "millimètres"), "kg": ("kilogramme", "kilogrammes"), "g": ("gramme", "grammes"),
        "l": ("litre", "litres"), "ha": ("hectare", "hectares"), "km²": ("kilomètre carré", "kilomètres carrés"),
        "m²": ("mètre carré", "mètres carrés"), "km/h": ("kilomètre heure", "kilomètres heure"),
        "°C": ("degré Celsius", "degrés Celsius"), "h": ("heure", "heures"), "min": ("minute", "minutes"),
        "fr.": ("franc", "francs"), "F": ("franc", "francs"),
    },
    symbols={
        "&": "et", "§§": "paragraphes", "§": "paragraphe", "¶": "paragraphe", "@": "arobase", "+": "plus",
        "=": "égale", "×": "fois", "÷": "divisé par", "±": "plus ou moins", "~": "environ", "№": "numéro",
        "°": "degrés", "‰": "pour mille", "#": "numéro", "©": "copyright", "®": "marque déposée",
        "™": "marque", "℔": "livres",
    },
    compass={"N.": "nord", "S.": "sud", "E.": "est", "O.": "ouest", "N": "nord", "S": "sud", "E": "est", "O": "ouest"},
    roman_triggers=("chapitre", "livre", "tome", "partie", "acte", "scène", "volume", "section", "chant",
                    "lettre", "psaume", "article", "annexe", "leçon", "chap.", "t.", "vol.", "p.", "page",
                    "planche", "tableau", "figure", "fig.", "titre", "numéro"),
    time_word="heures",
    sentence_final=("etc.", "J.-C.", "Cie", "Cie."),
)

DE = LanguageWords(
    code="de", decimal_sep=",", group_seps=". \u00a0\u202f", decimal_word="Komma", decimals_as_number=False,
    range_word="bis", and_word="und", percent="Prozent",
    degree=("Grad", "Grad"), minute=("Minute", "Minuten"), second=("Sekunde", "Sekunden"),
    currencies={
        "£": Currency("Pfund", "Pfund", "Penny", "Pence"),
        "$": Currency("Dollar", "Dollar", "Cent", "Cent"),
        "€": Currency("Euro", "Euro", "Cent", "Cent"),
        "¥": Currency("Yen", "Yen", "Sen", "Sen"),
    },
    money_and="und",
    abbreviations={
        "z. B.": "zum Beispiel", "z.B.": "zum Beispiel", "d. h.": "das heißt", "d.h.": "das heißt",
        "usw.": "und so weiter", "u. s. w.": "und so weiter", "u.s.w.": "und so weiter", "bzw.": "beziehungsweise", "ca.": "circa",
        "vgl.": "vergleiche", "u. a.": "unter anderem", "u.a.": "unter anderem", "etc.": "et cetera",
        "v. Chr.": "vor Christus", "n. Chr.": "nach Christus", "Jh.": "Jahrhundert", "z. T.": "zum Teil",
        "z.T.": "zum Teil", "evtl.": "eventuell", "ggf.": "gegebenenfalls", "inkl.": "inklusive",
        "d. i.": "das ist", "u.": "und", "s. o.": "siehe oben", "s. u.": "siehe unten", "sog.": "sogenannt",
        "Str.": "Straße", "bzgl.": "bezüglich", "Nr.": "Nummer",
    },
    before_number={"S.": "Seite", "Bd.": "Band", "Kap.": "Kapitel", "Abb.": "Abbildung", "Art.": "Artikel"},
    titles={"Dr.": "Doktor", "Hr.": "Herr", "Hrn.": "Herrn", "Fr.": "Frau", "Prof.": "Professor", "St.": "Sankt"},
    units={
        "km": ("Kilometer", "Kilometer"), "m": ("Meter", "Meter"), "cm": ("Zentimeter", "Zentimeter"),
        "mm": ("Millimeter", "Millimeter"), "kg": ("Kilogramm", "Kilogramm"), "g": ("Gramm", "Gramm"),
        "l": ("Liter", "Liter"), "ha": ("Hektar", "Hektar"), "km²": ("Quadratkilometer", "Quadratkilometer"),
        "m²": ("Quadratmeter", "Quadratmeter"), "km/h": ("Kilometer pro Stunde", "Kilometer pro Stunde"),
        "°C": ("Grad Celsius", "Grad Celsius"), "Std.": ("Stunde", "Stunden"), "Min.": ("Minute", "Minuten"),
        "Pf.": ("Pfennig", "Pfennig"), "M.": ("Mark", "Mark"), "DM": ("Mark", "Mark"), "Mio.": ("Million", "Millionen"),
        "Mrd.": ("Milliarde", "Milliarden"),
    },
    symbols={
        "&": "und", "§§": "Paragraphen", "§": "Paragraph", "¶": "Absatz", "@": "at", "+": "plus", "=": "gleich",
        "×": "mal", "÷": "geteilt durch", "±": "plus minus", "~": "ungefähr", "№": "Nummer", "°": "Grad",
        "‰": "Promille", "#": "Nummer", "©": "Copyright", "®": "eingetragene Marke", "™": "Marke", "℔": "Pfund",
    },
    compass={"N.": "Nord", "S.": "Süd", "O.": "Ost", "W.": "West", "N": "Nord", "S": "Süd", "O": "Ost", "W": "West"},
    roman_triggers=("kapitel", "buch", "teil", "band", "akt", "aufzug", "szene", "abschnitt", "gesang", "brief",
                    "psalm", "artikel", "anhang", "lektion", "kap.", "bd.", "s.", "seite", "tafel", "abb.",
                    "abbildung", "titel", "nummer", "nr."),
    time_word="Uhr",
    sentence_final=("usw.", "u. s. w.", "u.s.w.", "etc.", "v. Chr.", "n. Chr."),
)

ES = LanguageWords(
    code="es", decimal_sep=",", group_seps=". \u00a0\u202f", decimal_word="coma", decimals_as_number=True,
    range_word="a", and_word="y", percent="por ciento",
    degree=("grado", "grados"), minute=("minuto", "minutos"), second=("segundo", "segundos"),
    currencies={
        "£": Currency("libra", "libras", "penique", "peniques"),
        "$": Currency("dólar", "dólares", "centavo", "centavos"),
        "€": Currency("euro", "euros", "céntimo", "céntimos"),
        "¥": Currency("yen", "yenes", "sen", "sen"),
    },
    money_and="con",
    abbreviations={
        "etc.": "etcétera", "p. ej.": "por ejemplo", "EE. UU.": "Estados Unidos", "EE.UU.": "Estados Unidos",
        "a. C.": "antes de Cristo", "d. C.": "después de Cristo", "a.C.": "antes de Cristo",
        "d.C.": "después de Cristo", "aprox.": "aproximadamente", "Ud.": "usted", "Uds.": "ustedes",
        "Vd.": "usted", "Vds.": "ustedes", "cf.": "confróntese", "vid.": "véase", "Cía.": "compañía",
    },
    before_number={"p.": "página", "pág.": "página", "págs.": "páginas", "núm.": "número", "nº": "número",
                   "n.º": "número", "cap.": "capítulo", "vol.": "volumen", "art.": "artículo", "fig.": "figura"},
    titles={"Sr.": "señor", "Sra.": "señora", "Srta.": "señorita", "Dr.": "doctor", "Dra.": "doctora",
            "Dña.": "doña", "Sto.": "santo", "Sta.": "santa", "Excmo.": "excelentísimo", "Ilmo.": "ilustrísimo",
            "Prof.": "profesor", "Lic.": "licenciado", "Ing.": "ingeniero", "Gral.": "general"},
    units={
        "km": ("kilómetro", "kilómetros"), "m": ("metro", "metros"), "cm": ("centímetro", "centímetros"),
        "mm": ("milímetro", "milímetros"), "kg": ("kilogramo", "kilogramos"), "g": ("gramo", "gramos"),
        "l": ("litro", "litros"), "ha": ("hectárea", "hectáreas"), "km²": ("kilómetro cuadrado", "kilómetros cuadrados"),
        "m²": ("metro cuadrado", "metros cuadrados"), "km/h": ("kilómetro por hora", "kilómetros por hora"),
        "°C": ("grado centígrado", "grados centígrados"), "h": ("hora", "horas"), "min": ("minuto", "minutos"),
        "pts.": ("peseta", "pesetas"), "ptas.": ("peseta", "pesetas"),
    },
    symbols={
        "&": "y", "§§": "párrafos", "§": "párrafo", "¶": "párrafo", "@": "arroba", "+": "más", "=": "igual a",
        "×": "por", "÷": "entre", "±": "más o menos", "~": "aproximadamente", "№": "número", "°": "grados",
        "‰": "por mil", "#": "número", "©": "copyright", "®": "marca registrada", "™": "marca", "℔": "libras",
    },
    compass={"N.": "norte", "S.": "sur", "E.": "este", "O.": "oeste", "N": "norte", "S": "sur", "E": "este", "O": "oeste"},
    roman_triggers=("capítulo", "libro", "parte", "tomo", "acto", "escena", "volumen", "sección", "canto",
                    "carta", "salmo", "artículo", "apéndice", "lección", "cap.", "vol.", "p.", "pág.", "página",
                    "lámina", "tabla", "figura", "título", "número"),
    time_word="",
    sentence_final=("etc.", "a. C.", "d. C.", "a.C.", "d.C.", "EE. UU.", "EE.UU.", "Cía."),
)

NL = LanguageWords(
    code="nl", decimal_sep=",", group_seps=". \u00a0\u202f", decimal_word="komma", decimals_as_number=True,
    range_word="tot", and_word="en", percent="procent",
    degree=("graad", "graden"), minute=("minuut", "minuten"), second=("seconde", "seconden"),
    currencies={
        "£": Currency("pond", "pond", "penny", "pence"),
        "$": Currency("dollar", "dollar", "cent", "cent"),
        "€": Currency("euro", "euro", "cent", "cent"),
        "ƒ": Currency("gulden", "gulden", "cent", "cent"),
        "¥": Currency("yen", "yen", "sen", "sen"),
    },
    money_and="en",
    abbreviations={
        "bijv.": "bijvoorbeeld", "bv.": "bijvoorbeeld", "d.w.z.": "dat wil zeggen", "enz.": "enzovoort",
        "e.d.": "en dergelijke", "o.a.": "onder andere", "m.a.w.": "met andere woorden", "i.p.v.": "in plaats van",
        "z.g.": "zogenaamd", "zgn.": "zogenaamd", "v.Chr.": "voor Christus", "n.Chr.": "na Christus",
        "v. Chr.": "voor Christus", "n. Chr.": "na Christus", "ca.": "circa", "etc.": "et cetera",
        "t.o.v.": "ten opzichte van", "m.b.t.": "met betrekking tot", "a.s.": "aanstaande", "jl.": "jongstleden",
        "resp.": "respectievelijk",
    },
    before_number={"blz.": "bladzijde", "bl.": "bladzijde", "p.": "pagina", "nr.": "nummer", "no.": "nummer",
                   "hfdst.": "hoofdstuk", "hfst.": "hoofdstuk", "dl.": "deel", "art.": "artikel", "fig.": "figuur"},
    titles={"dhr.": "de heer", "Dhr.": "de heer", "mevr.": "mevrouw", "Mevr.": "mevrouw", "mw.": "mevrouw",
            "Mw.": "mevrouw", "dr.": "doctor", "Dr.": "doctor", "mr.": "meester", "Mr.": "meester",
            "prof.": "professor", "Prof.": "professor", "St.": "Sint", "ir.": "ingenieur", "drs.": "doctorandus"},
    units={
        "km": ("kilometer", "kilometer"), "m": ("meter", "meter"), "cm": ("centimeter", "centimeter"),
        "mm": ("millimeter", "millimeter"), "kg": ("kilo", "kilo"), "g": ("gram", "gram"), "l": ("liter", "liter"),
        "ha": ("hectare", "hectare"), "km²": ("vierkante kilometer", "vierkante kilometer"),
        "m²": ("vierkante meter", "vierkante meter"), "km/u": ("kilometer per uur", "kilometer per uur"),
        "km/h": ("kilometer per uur", "kilometer per uur"), "°C": ("graad Celsius", "graden Celsius"),
        "u.": ("uur", "uur"), "min.": ("minuut", "minuten"), "fl.": ("gulden", "gulden"), "ct.": ("cent", "cent"),
    },
    symbols={
        "&": "en", "§§": "paragrafen", "§": "paragraaf", "¶": "alinea", "@": "apenstaartje", "+": "plus",
        "=": "is gelijk aan", "×": "maal", "÷": "gedeeld door", "±": "plus of min", "~": "ongeveer",
        "№": "nummer", "°": "graden", "‰": "promille", "#": "nummer", "©": "copyright", "®": "geregistreerd",
        "™": "handelsmerk", "℔": "pond",
    },
    compass={"N.": "noord", "Z.": "zuid", "O.": "oost", "W.": "west", "N": "noord", "Z": "zuid", "O": "oost", "W": "west"},
    roman_triggers=("hoofdstuk", "boek", "deel", "band", "bedrijf", "akte", "scène", "toneel", "afdeling",
                    "zang", "brief", "psalm", "artikel", "bijlage", "les", "hfdst.", "hfst.", "dl.", "blz.",
                    "bladzijde", "plaat", "tabel", "figuur", "titel", "nummer", "nr."),
    time_word="uur",
    sentence_final=("enz.", "e.d.", "etc.", "v.Chr.", "n.Chr.", "v. Chr.", "n. Chr."),
)

LANGUAGES: dict[str, LanguageWords] = {words.code: words for words in (EN, FR, DE, ES, NL)}


def words_for(language: str) -> LanguageWords:
    """The vocabulary of ``language`` (a base code such as ``fr``); English for unknown languages."""
    return LANGUAGES.get(language, EN)


# The word for "chapter" in titles the pipeline makes up (a chapter the book gives no title), in more
# languages than the full tables above: a made-up title is always in the book's language.
CHAPTER_WORDS = {
    "en": "Chapter", "fr": "Chapitre", "de": "Kapitel", "es": "Capítulo", "nl": "Hoofdstuk", "it": "Capitolo",
    "pt": "Capítulo", "ca": "Capítol", "gl": "Capítulo", "ro": "Capitolul", "la": "Caput", "ru": "Глава",
    "uk": "Розділ", "be": "Раздзел", "bg": "Глава", "sr": "Поглавље", "pl": "Rozdział", "cs": "Kapitola",
    "sk": "Kapitola", "sl": "Poglavje", "hr": "Poglavlje", "sv": "Kapitel", "da": "Kapitel", "no": "Kapittel",
    "nb": "Kapittel", "nn": "Kapittel", "is": "Kafli", "fi": "Luku", "et": "Peatükk", "el": "Κεφάλαιο",
    "tr": "Bölüm", "eo": "Ĉapitro", "cy": "Pennod", "ga": "Caibidil", "af": "Hoofstuk", "id": "Bab", "ms": "Bab",
}


def chapter_title(language: str | None, number: int) -> str:
    """The title of chapter ``number`` for a chapter the book gives none, in ``language`` (a base code):
    ``Chapitre 3``; normalisation then says the number in that language. English when the word is unknown."""
    return f"{CHAPTER_WORDS.get(language or 'en', CHAPTER_WORDS['en'])} {number}"
