"""Extract: turn a snippet of invoice or email text into a value (money, date, invoice key).

One job: reading what people write. Amounts as written in Spanish, English and Dutch
invoices ("1.234,56 €", "$1,200.00", "€ 1.500,-"), dates in any of the three languages
("26 de marzo de 2026", "March 12th, 2026", "12-mrt-2026", "12/03/26"), and invoice
numbers as stable keys. Pure: standard library only, no I/O, no clock, and no function
here raises on any input string -- a snippet that says nothing gives ``None``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

__all__ = ["normalise_invoice_number", "parse_amount", "parse_date", "parse_when"]


# =========================================================================== amounts

# Characters that can only group thousands. Babel writes U+00A0 and U+202F; people type
# a plain space; Swiss invoices (CHF) group with an apostrophe.
_GROUP_ONLY = frozenset(" \u00a0\u202f\u2009'\u2019")
_POINTS = frozenset(".,")
# "1.500,-" / "1.500,--" / "1,500.–": the Dutch (and Swiss) way to write "no cents".
_DASHES = "-\u2013\u2014"

# ISO 4217 codes in current use (CLDR territory currencies, 2025). A whitelist rather
# than "any three capitals", so "IVA 210,00" or "BTW 21" never read as currencies.
_ISO_CODES = frozenset(
    [
        "AED",
        "AFN",
        "ALL",
        "AMD",
        "ANG",
        "AOA",
        "ARS",
        "AUD",
        "AWG",
        "AZN",
        "BAM",
        "BBD",
        "BDT",
        "BGN",
        "BHD",
        "BIF",
        "BMD",
        "BND",
        "BOB",
        "BRL",
        "BSD",
        "BTN",
        "BWP",
        "BYN",
        "BZD",
        "CAD",
        "CDF",
        "CHF",
        "CLP",
        "CNY",
        "COP",
        "CRC",
        "CUP",
        "CVE",
        "CZK",
        "DJF",
        "DKK",
        "DOP",
        "DZD",
        "EGP",
        "ERN",
        "ETB",
        "EUR",
        "FJD",
        "FKP",
        "GBP",
        "GEL",
        "GHS",
        "GIP",
        "GMD",
        "GNF",
        "GTQ",
        "GYD",
        "HKD",
        "HNL",
        "HTG",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "IQD",
        "IRR",
        "ISK",
        "JMD",
        "JOD",
        "JPY",
        "KES",
        "KGS",
        "KHR",
        "KMF",
        "KPW",
        "KRW",
        "KWD",
        "KYD",
        "KZT",
        "LAK",
        "LBP",
        "LKR",
        "LRD",
        "LSL",
        "LYD",
        "MAD",
        "MDL",
        "MGA",
        "MKD",
        "MMK",
        "MNT",
        "MOP",
        "MRU",
        "MUR",
        "MVR",
        "MWK",
        "MXN",
        "MYR",
        "MZN",
        "NAD",
        "NGN",
        "NIO",
        "NOK",
        "NPR",
        "NZD",
        "OMR",
        "PAB",
        "PEN",
        "PGK",
        "PHP",
        "PKR",
        "PLN",
        "PYG",
        "QAR",
        "RON",
        "RSD",
        "RUB",
        "RWF",
        "SAR",
        "SBD",
        "SCR",
        "SDG",
        "SEK",
        "SGD",
        "SHP",
        "SLE",
        "SOS",
        "SRD",
        "SSP",
        "STN",
        "SYP",
        "SZL",
        "THB",
        "TJS",
        "TMT",
        "TND",
        "TOP",
        "TRY",
        "TTD",
        "TWD",
        "TZS",
        "UAH",
        "UGX",
        "USD",
        "UYU",
        "UZS",
        "VES",
        "VND",
        "VUV",
        "WST",
        "XAF",
        "XCD",
        "XCG",
        "XOF",
        "XPF",
        "YER",
        "ZAR",
        "ZMW",
        "ZWG",
    ]
)

# Prefixed dollars as Babel and banks write them ("US$" in es/nl/en_GB output). A bare
# "$" is USD: on a European freelancer's invoice that is what it means.
_DOLLAR_PREFIXES = {
    "": "USD",
    "US": "USD",
    "U$": "USD",
    "CA": "CAD",
    "C": "CAD",
    "AU": "AUD",
    "A": "AUD",
    "NZ": "NZD",
    "HK": "HKD",
    "S": "SGD",
    "SG": "SGD",
    "MX": "MXN",
    "R": "BRL",
}
_SYMBOLS = {"€": "EUR", "£": "GBP"}
_WORDS = {
    "eur": "EUR",
    "euro": "EUR",
    "euros": "EUR",
    "dollar": "USD",
    "dollars": "USD",
    "dólar": "USD",
    "dólares": "USD",
    "dolares": "USD",
    "pound": "GBP",
    "pounds": "GBP",
    "libra": "GBP",
    "libras": "GBP",
    # Lower-case codes are not words in any of the three languages, so no false reading.
    "usd": "USD",
    "gbp": "GBP",
    "chf": "CHF",
}

_LETTER = r"[^\W\d_]"
# One currency marker. Longest alternatives first so "euros" is not read as "euro" + "s".
_CURRENCY = (
    r"(?P<sym>[€£])"
    r"|(?<![A-Za-z])(?P<pre>US|U|CA|C|AU|A|NZ|HK|SG|S|MX|R)?\$"
    r"|(?<![A-Za-z])(?P<code>[A-Z]{3})(?![A-Za-z])"
    rf"|(?<!{_LETTER})(?P<word>(?i:{'|'.join(sorted(map(re.escape, _WORDS), key=len, reverse=True))}))(?!{_LETTER})"
)
_SPACE = r"[^\S\n]{0,3}"  # a few spaces, never a line break: a currency belongs to its line
# Ending exactly where the number starts; a sign between them is ignored (amounts are positive).
_CURRENCY_BEFORE = re.compile(rf"(?:{_CURRENCY}){_SPACE}[-+\u2212]?{_SPACE}\Z")
# Starting right after the number (and after a ",-" if there was one).
_CURRENCY_AFTER = re.compile(rf"{_SPACE}(?:{_CURRENCY})")
# A percentage is a rate, not an amount: "IVA 21 %: 210,00" is 210,00.
_PERCENT_AFTER = re.compile(r"[^\S\n]{0,2}%")
_DIGIT = re.compile(r"[0-9]")

_LANGUAGE_DECIMAL = {"es": ",", "nl": ","}  # anything else (en, unknown) writes "."


def parse_amount(text: str, *, language: str) -> tuple[Decimal, str | None] | None:
    """An amount of money written in `text`, and its ISO currency code when the text shows one.

    The first number that carries a currency marker wins; failing that, the first number
    that is not visibly part of something else (a percentage, a date, an id like
    "2026-001"); failing that, the first number at all. ``None`` when there is no number.
    """
    if not isinstance(text, str):
        return None
    decimal_point = _LANGUAGE_DECIMAL.get(language, ".")
    plain: tuple[Decimal, str | None] | None = None
    fallback: tuple[Decimal, str | None] | None = None
    position = 0
    while True:
        found = _DIGIT.search(text, position)
        if found is None:
            break
        start = found.start()
        number = _read_number(text, start, decimal_point)
        if number is None:  # unreachable in practice; keeps the "never raises" promise
            position = start + 1
            continue
        value, end, after = number
        position = end
        currency = _currency_before(text, start) or _currency_after(text, after)
        if currency is not None:
            return value, currency
        if fallback is None:
            fallback = (value, None)
        if plain is None and not _is_part_of_something_else(text, start, end):
            plain = (value, None)
    return plain or fallback


def _read_number(text: str, start: int, decimal_point: str) -> tuple[Decimal, int, int] | None:
    """The number written from ``start``: its value, where it ends, where its suffix ends.

    A single left-to-right pass with one group of look-ahead. It stops at the first
    separator that cannot continue a well-formed number, so a pathological run such as
    "1.2,3.4,5..." costs linear time overall (each call consumes what it reads).
    """
    n = len(text)
    end = _digits_end(text, start)
    whole = [text[start:end]]
    fraction = ""
    grouping: str | None = None  # the thousands separator, once known
    while end + 1 < n and "0" <= text[end + 1] <= "9":
        sep = text[end]
        group_end = _digits_end(text, end + 1)
        group = text[end + 1 : group_end]
        if sep in _GROUP_ONLY:
            # Spaces and apostrophes only ever group thousands: 1-3 leading digits, then
            # threes, and never after a '.'/',' grouping ("1.234 567" is two numbers).
            if grouping not in (None, sep) or len(group) != 3 or len(whole[0]) > 3:
                break
            grouping = sep
            whole.append(group)
            end = group_end
            continue
        if sep not in _POINTS:
            break
        if grouping == sep:
            if len(group) != 3:
                break  # "1.234.56": keep "1.234"
            whole.append(group)
            end = group_end
            continue
        if grouping is not None:
            # The other point after a grouping: the decimal separator ("1.234,56", "1 234,56").
            fraction = group
            end = group_end
            break
        # The first '.'/',' seen. Not exactly three digits after it, or a head that could
        # not be a thousands group ("1234.567", "0,125"): it is the decimal separator.
        if len(group) != 3 or len(whole[0]) > 3 or whole[0].startswith("0"):
            fraction = group
            end = group_end
            break
        # "1.234" so far: thousands if another group or the other point follows.
        follow = text[group_end] if group_end < n else ""
        follow_digit = group_end + 1 < n and "0" <= text[group_end + 1] <= "9"
        another_group = follow == sep and len(_group_at(text, group_end + 1)) == 3
        if follow_digit and (another_group or (follow in _POINTS and follow != sep)):
            grouping = sep
            whole.append(group)
            end = group_end
            continue
        # A true tie: "1.234" / "1,234" and nothing after. A ",-" / ".-" suffix names the
        # decimal separator; otherwise the language's convention decides.
        dash_point = _dash_suffix_point(text, group_end)
        if (dash_point is not None and dash_point != sep) or sep != decimal_point:
            whole.append(group)
        else:
            fraction = group
        end = group_end
        break

    after = end
    if not fraction and _dash_suffix_point(text, end) is not None:
        after = end + 2
        while after < n and text[after] in _DASHES:
            after += 1
    try:
        value = Decimal("".join(whole) + ("." + fraction if fraction else ""))
    except (InvalidOperation, ValueError):
        return None
    return value, end, after


def _digits_end(text: str, i: int) -> int:
    n = len(text)
    while i < n and "0" <= text[i] <= "9":
        i += 1
    return i


def _group_at(text: str, i: int) -> str:
    return text[i : _digits_end(text, i)]


def _dash_suffix_point(text: str, i: int) -> str | None:
    """The point in a ",-" / ".-" written at ``i`` (not a minus sign before a number)."""
    if i + 1 < len(text) and text[i] in _POINTS and text[i + 1] in _DASHES:
        rest = text[i + 2 : i + 4].lstrip(_DASHES)
        if not rest[:1].isdigit():
            return text[i]
    return None


def _currency_before(text: str, start: int) -> str | None:
    # Cheap test first: a currency marker ends in a symbol or a letter, so most numbers
    # (and every number in a pathological run of digits) skip the regular expression.
    i = start - 1
    while i >= 0 and start - i <= 8 and _between(text[i], signs=True):
        i -= 1
    if i < 0 or not (text[i] in "€£$" or text[i].isalpha()):
        return None
    return _currency_of(_CURRENCY_BEFORE.search(text, max(0, start - 16), start))


def _currency_after(text: str, after: int) -> str | None:
    i = after
    while i < len(text) and i - after < 3 and _between(text[i], signs=False):
        i += 1
    if i >= len(text) or not (text[i] in "€£$" or text[i].isalpha()):
        return None
    return _currency_of(_CURRENCY_AFTER.match(text, after))


def _between(char: str, *, signs: bool) -> bool:
    """Whether ``char`` may sit between a number and its currency (as ``_SPACE`` allows)."""
    return (char != "\n" and char.isspace()) or (signs and char in "-+\u2212")


def _currency_of(match: re.Match[str] | None) -> str | None:
    if match is None:
        return None
    if match.group("sym"):
        return _SYMBOLS[match.group("sym")]
    if match.group("code"):
        code = match.group("code")
        return code if code in _ISO_CODES else None
    if match.group("word"):
        return _WORDS.get(match.group("word").lower())
    return _DOLLAR_PREFIXES.get(match.group("pre") or "", "USD")


def _is_part_of_something_else(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else ""
    before2 = text[start - 2] if start > 1 else ""
    after = text[end] if end < len(text) else ""
    after2 = text[end + 1] if end + 1 < len(text) else ""
    if before.isalpha() or before in "#/" or after.isalpha():
        return True  # "INV0042", "#12", "12th", "2x"
    if before in "-.,:" and (before2.isalnum()):
        return True  # the "001" of "2026-001", the "30" of "10:30"
    if after in "-/.,:" and after2.isascii() and after2.isdigit():
        return True  # the "12" of "12/03/2026", "12.03.2026"
    return _PERCENT_AFTER.match(text, end) is not None


# ============================================================================= dates

# Month names and abbreviations of the three languages in one table. They agree where
# they overlap ("mar" is March in es and en, "may" May in both, "sep" everywhere), so a
# text that mixes languages reads the same whatever ``language`` says.
_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "enero ene january jan januari",
        "febrero feb february februari",
        "marzo mar march maart mrt",
        "abril abr april apr",
        "mayo may mei",
        "junio jun june juni",
        "julio jul july juli",
        "agosto ago august aug augustus",
        "septiembre setiembre sep sept set september",
        "octubre oct october oktober okt",
        "noviembre nov november",
        "diciembre dic december dec",
    ),
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _number
del _number, _names, _name

_MONTH = rf"(?<!{_LETTER})(?P<month>{'|'.join(sorted(_MONTHS, key=len, reverse=True))})(?!{_LETTER})\.?"
_S = r"\s{1,3}"
_ORDINAL = r"(?:st|nd|rd|th|º|ª|°)?"

# "12 de marzo de 2026", "12 March 2026", "12th of March, 2026", "12-mrt-2026", "12mar26".
# A two-digit year only with '-', '/' or '.' ("12-mar-26"): with spaces, "5 March 12, 2026"
# would otherwise read as 5 March 2012.
_DAY_MONTH_YEAR = re.compile(
    rf"(?<![0-9])(?P<day>[0-9]{{1,2}}){_ORDINAL}\.?"
    rf"(?:\s{{0,3}}[-/.]\s{{0,3}}|{_S})?(?:(?:de|of){_S})?"
    rf"{_MONTH}"
    rf"(?:"
    rf"(?:\s{{0,3}}[-/.,]\s{{0,3}}|{_S})(?:(?:de|del){_S})?(?P<year>[0-9]{{4}})"
    rf"|[-/.](?P<year2>[0-9]{{2}})"
    rf"|(?P<year3>[0-9]{{2}}|[0-9]{{4}})"
    rf")(?![0-9])",
    re.IGNORECASE,
)
# "March 12, 2026", "March 12th, 2026", "marzo 12 2026".
_MONTH_DAY_YEAR = re.compile(
    rf"{_MONTH},?{_S}(?P<day>[0-9]{{1,2}}){_ORDINAL}(?![0-9]),?{_S}(?P<year>[0-9]{{4}})(?![0-9])",
    re.IGNORECASE,
)
# "2026-03-12" (and "2026/03/12"). Not inside a longer run of numbers and separators.
_ISO = re.compile(
    r"(?<![0-9])(?<![0-9][-/.])(?P<year>[0-9]{4})(?P<sep>[-/.])(?P<month>[0-9]{1,2})(?P=sep)"
    r"(?P<day>[0-9]{1,2})(?![0-9])(?![-/.][0-9])"
)
# "12/03/2026", "12-03-2026", "12.03.2026", "12/3/26".
_NUMERIC = re.compile(
    r"(?<![0-9])(?<![0-9][-/.])(?P<first>[0-9]{1,2})(?P<sep>[-/.])(?P<second>[0-9]{1,2})(?P=sep)"
    r"(?P<year>[0-9]{4}|[0-9]{2})(?![0-9])(?![-/.][0-9])"
)


def parse_date(text: str, *, language: str) -> date | None:
    """A calendar date written in `text`.

    The first date in the text that exists on the calendar; ``None`` when there is none.
    Numbers are read day first in every language (European invoices, UK included);
    only when the second number cannot be a month ("03/25/2026") is it month first.
    ``language`` changes nothing today: month names of all three languages are read.
    """
    if not isinstance(text, str):
        return None
    # Each pattern yields its matches lazily; the earliest one that is a real date wins,
    # so a long text costs only the scan up to its first date.
    streams = [_matches(p, text) for p in (_ISO, _NUMERIC, _DAY_MONTH_YEAR, _MONTH_DAY_YEAR)]
    heads = [(next(s, None), s) for s in streams]
    while True:
        live = [(m, s) for m, s in heads if m is not None]
        if not live:
            return None
        match, stream = min(live, key=lambda pair: pair[0].start())
        found = _date_of(match)
        if found is not None:
            return found
        heads = [(next(stream, None), stream) if s is stream else (m, s) for m, s in live]


def _matches(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """All matches, overlapping ones too: a match that is no date must not hide one that is."""
    position = 0
    while (match := pattern.search(text, position)) is not None:
        yield match
        position = match.start() + 1


def _date_of(match: re.Match[str]) -> date | None:
    groups = match.groupdict()
    try:
        if "first" in groups:
            first, second = int(groups["first"]), int(groups["second"])
            day, month = (second, first) if second > 12 >= first else (first, second)
            return date(_year(groups["year"]), month, day)
        month_text = groups["month"]
        month = int(month_text) if month_text.isdigit() else _MONTHS[month_text.lower()]
        year = groups.get("year") or groups.get("year2") or groups.get("year3")
        return date(_year(year), month, int(groups["day"]))
    except (ValueError, KeyError, TypeError):
        return None  # 31/02/2026, "00", a year 0: not a date


def _year(text: str) -> int:
    # Two-digit years are this century's: invoices are not dated 1926.
    return 2000 + int(text) if len(text) == 2 else int(text)


# =================================================================== invoice numbers

_INVISIBLE = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]+")


def normalise_invoice_number(text: str) -> str:
    """An invoice number as a stable key: whitespace removed, surrounding punctuation dropped, upper-cased."""
    if not isinstance(text, str):
        return ""
    # "fra 12" and "FRA12" are the same invoice to a person, so they are the same key.
    key = _INVISIBLE.sub("", text).upper()
    # A number quoted at the end of a sentence ("... 2026-001.") keeps its own characters
    # only; any Unicode punctuation (category P*) at the end is the sentence's.
    # The same holds at the start ("(2026-001)", "«F-12»"), except "#", which some
    # numbering schemes keep as part of the number ("#0042").
    end = len(key)
    while end and unicodedata.category(key[end - 1]).startswith("P"):
        end -= 1
    start = 0
    while start < end and key[start] != "#" and unicodedata.category(key[start]).startswith("P"):
        start += 1
    return key[start:end]


# ===================================================================== promised days

_WEEKDAYS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "lunes monday maandag",
        "martes tuesday dinsdag",
        "miércoles miercoles wednesday woensdag",
        "jueves thursday donderdag",
        "viernes friday vrijdag",
        "sábado sabado saturday zaterdag",
        "domingo sunday zondag",
    )
):
    for _name in _names.split():
        _WEEKDAYS[_name] = _number
del _number, _names, _name

_SMALL_NUMBERS = {
    "un": 1, "una": 1, "uno": 1, "one": 1, "a": 1, "een": 1, "één": 1,
    "dos": 2, "two": 2, "twee": 2, "tres": 3, "three": 3, "drie": 3,
    "cuatro": 4, "four": 4, "vier": 4, "cinco": 5, "five": 5, "vijf": 5,
    "diez": 10, "ten": 10, "tien": 10, "quince": 15, "fifteen": 15, "vijftien": 15,
}  # fmt: skip

# Phrases, most specific first; each maps to a rule applied to ``today``.
_RELATIVE = [
    (r"pasado\s+mañana|day\s+after\s+tomorrow|overmorgen", "+2"),
    (r"mañana|tomorrow|morgen", "+1"),
    (r"hoy|today|vandaag|vanmiddag|this\s+afternoon|esta\s+tarde", "+0"),
    (
        r"(?:la\s+)?semana\s+que\s+viene|(?:la\s+)?pr[oó]xima\s+semana|next\s+week|volgende\s+week",
        "next-week",
    ),
    (
        r"esta\s+semana|this\s+week|deze\s+week|(?:a\s+)?finales?\s+de\s+(?:esta\s+)?semana|end\s+of\s+(?:the|this)\s+week|eind\s+(?:van\s+)?(?:de|deze)\s+week",
        "this-week",
    ),
    (
        r"(?:a\s+)?finales?\s+de(?:l)?\s+mes|fin\s+de\s+mes|end\s+of\s+(?:the|this)\s+month|eind\s+(?:van\s+)?(?:de|deze)\s+maand",
        "month-end",
    ),
    (
        r"(?:el\s+)?mes\s+que\s+viene|(?:el\s+)?pr[oó]ximo\s+mes|next\s+month|volgende\s+maand",
        "next-month-end",
    ),
]
_RELATIVE_RE = [
    (re.compile(rf"(?<!{_LETTER})(?:{p})(?!{_LETTER})", re.IGNORECASE), rule) for p, rule in _RELATIVE
]
_IN_DAYS = re.compile(
    rf"(?<!{_LETTER})(?:en|dentro\s+de|in|within|over|binnen)\s+(?:los\s+pr[oó]ximos\s+|the\s+next\s+|de\s+komende\s+)?"
    rf"(?P<count>[0-9]{{1,3}}|{'|'.join(_SMALL_NUMBERS)})\s+"
    rf"(?P<unit>d[ií]as?|days?|dagen|dag|semanas?|weeks?|weken)(?!{_LETTER})",
    re.IGNORECASE,
)
_WEEKDAY_RE = re.compile(
    rf"(?<!{_LETTER})(?P<next>(?:next|pr[oó]ximo|volgende)\s+)?(?P<day>{'|'.join(sorted(_WEEKDAYS, key=len, reverse=True))})"
    rf"(?P<after>\s+(?:que\s+viene|de\s+la\s+semana\s+que\s+viene))?(?!{_LETTER})",
    re.IGNORECASE,
)
_DAY_MONTH = re.compile(
    rf"(?<![0-9])(?P<day>[0-9]{{1,2}}){_ORDINAL}\.?(?:\s{{0,3}}[-/.]\s{{0,3}}|{_S})?(?:(?:de|of){_S})?{_MONTH}",
    re.IGNORECASE,
)
_MONTH_DAY = re.compile(rf"{_MONTH}{_S}(?P<day>[0-9]{{1,2}}){_ORDINAL}(?![0-9])", re.IGNORECASE)
_NUMERIC_DAY_MONTH = re.compile(r"(?<![0-9])(?P<day>[0-9]{1,2})[/.-](?P<month>[0-9]{1,2})(?![0-9/.-])")


# The month names and small number words of the three languages, for other readers
# (printed.py: glued dates, "dos semanas").
MONTHS = _MONTHS
SMALL_NUMBERS = _SMALL_NUMBERS


def parse_when(text: str, *, language: str, today: date) -> date | None:
    """The day a promise names, relative to ``today``: "el viernes", "next week", "12 March".

    Used for promises to pay ("pagaremos el viernes", "we will pay on 12 March",
    "volgende week betalen"), so a vague period reads as its last working day: "next
    week" is the Friday of next week, "end of the month" its last day. A day and month
    without a year is the next such day from ``today``. ``None`` when no day is named.
    """
    if not isinstance(text, str) or not text.strip():
        return None
    text = text[:500]
    explicit = parse_date(text, language=language)
    if explicit is not None:
        return explicit
    for pattern in (_DAY_MONTH, _MONTH_DAY):
        match = pattern.search(text)
        if match:
            found = _next_day_month(today, _MONTHS[match["month"].lower()], int(match["day"]))
            if found:
                return found
    match = _NUMERIC_DAY_MONTH.search(text)
    if match:
        found = _next_day_month(today, int(match["month"]), int(match["day"]))
        if found:
            return found
    for pattern, rule in _RELATIVE_RE:
        if pattern.search(text):
            return _relative(rule, today)
    match = _IN_DAYS.search(text)
    if match:
        count_text = match["count"].lower()
        count = int(count_text) if count_text.isdigit() else _SMALL_NUMBERS[count_text]
        weeks = match["unit"].lower().startswith(("sem", "week", "wek"))
        return today + timedelta(days=count * (7 if weeks else 1))
    match = _WEEKDAY_RE.search(text)
    if match:
        weekday = _WEEKDAYS[match["day"].lower()]
        ahead = (weekday - today.weekday()) % 7
        if match["next"] or match["after"]:
            ahead = ahead or 7
            if match["after"]:  # "el viernes de la semana que viene": always next week's
                ahead = (7 - today.weekday()) + weekday
        return today + timedelta(days=ahead)
    return None


def _next_day_month(today: date, month: int, day: int) -> date | None:
    for year in (today.year, today.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            return None
        if candidate >= today:
            return candidate
    return None


def _relative(rule: str, today: date) -> date:
    friday = 4
    if rule.startswith("+"):
        return today + timedelta(days=int(rule[1:]))
    if rule == "this-week":
        return today + timedelta(days=max(0, friday - today.weekday()))
    if rule == "next-week":
        return today + timedelta(days=(7 - today.weekday()) + friday)
    first_next = date(today.year + today.month // 12, today.month % 12 + 1, 1)
    if rule == "month-end":
        return first_next - timedelta(days=1)
    # next-month-end
    after = date(first_next.year + first_next.month // 12, first_next.month % 12 + 1, 1)
    return after - timedelta(days=1)
