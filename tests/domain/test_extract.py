"""Reading amounts, dates and invoice numbers as freelancers and Babel write them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from babel.dates import format_date
from babel.numbers import format_currency
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.domain.extract import normalise_invoice_number, parse_amount, parse_date

# No deadline: the first Babel call of a run loads locale data and would trip one.
PROPERTY = settings(max_examples=300, deadline=None)

NBSP, NNBSP = "\u00a0", "\u202f"


# --------------------------------------------------------------------------- amounts

AMOUNTS = [
    # (text, language, amount, currency)
    ("Total: 1.234,56 €", "es", "1234.56", "EUR"),
    ("Importe total: 1.210,00 €", "es", "1210.00", "EUR"),
    ("Total a pagar: 1234,56 €", "es", "1234.56", "EUR"),
    (f"12.345,67{NBSP}€", "es", "12345.67", "EUR"),
    ("Importe: 950 euros", "es", "950", "EUR"),
    ("Base imponible 1.000,00 € IVA (21%) 210,00 € Total 1.210,00 €", "es", "1000.00", "EUR"),
    ("IVA 21%: 210,00", "es", "210.00", None),
    ("Factura 2026-001, total 1.234,56", "es", "1234.56", None),
    ("1.234", "es", "1234", None),
    ("12,5", "es", "12.5", None),
    ("1,234", "es", "1.234", None),
    ("100 US$", "es", "100", "USD"),
    ("Amount due: $1,200.00", "en", "1200.00", "USD"),
    ("Total due: £950.00", "en", "950.00", "GBP"),
    ("Balance due: € 1,234.56", "en", "1234.56", "EUR"),
    ("$1,200", "en", "1200", "USD"),
    ("1,234", "en", "1234", None),
    ("1.234", "en", "1.234", None),
    ("1234.56", "en", "1234.56", None),
    ("1,234,567.89 USD", "en", "1234567.89", "USD"),
    ("Amount: 2,500 dollars", "en", "2500", "USD"),
    ("Amount: 300 pounds", "en", "300", "GBP"),
    ("US$1,234.56", "en", "1234.56", "USD"),
    ("CHF 1'234.50", "en", "1234.50", "CHF"),
    ("Te betalen: € 1.500,-", "nl", "1500", "EUR"),
    ("Totaalbedrag: 1.500,- euro", "nl", "1500", "EUR"),
    ("Bedrag: EUR 1.234,56", "nl", "1234.56", "EUR"),
    ("Totaal 1.234,56 EUR", "nl", "1234.56", "EUR"),
    (f"€{NBSP}1.234,56", "nl", "1234.56", "EUR"),
    ("€1.234,56", "nl", "1234.56", "EUR"),
    ("1.234.567", "nl", "1234567", None),
    ("1234,56", "nl", "1234.56", None),
    ("1 234,56", "nl", "1234.56", None),
    (f"1{NBSP}234,56", "nl", "1234.56", None),
    (f"1{NNBSP}234,56 €", "es", "1234.56", "EUR"),
    ("Totaal: 1.234,56 euro's", "nl", "1234.56", "EUR"),
]


@pytest.mark.parametrize(("text", "language", "amount", "currency"), AMOUNTS)
def test_real_world_amounts_read_as_written(text, language, amount, currency):
    assert parse_amount(text, language=language) == (Decimal(amount), currency)


def test_a_dutch_amount_with_comma_dash_has_no_cents():
    assert parse_amount("€ 1.500,-", language="nl") == (Decimal("1500"), "EUR")
    assert parse_amount("1500,-", language="nl") == (Decimal("1500"), None)


def test_the_rightmost_point_is_the_decimal_separator_when_both_appear():
    for language in ("es", "en", "nl"):
        assert parse_amount("1.234,56", language=language) == (Decimal("1234.56"), None)
        assert parse_amount("1,234.56", language=language) == (Decimal("1234.56"), None)


def test_three_digits_after_a_lone_point_break_the_tie_by_language():
    assert parse_amount("1.234", language="es")[0] == Decimal("1234")
    assert parse_amount("1.234", language="nl")[0] == Decimal("1234")
    assert parse_amount("1,234", language="en")[0] == Decimal("1234")
    assert parse_amount("1,234", language="es")[0] == Decimal("1.234")
    assert parse_amount("1.234", language="en")[0] == Decimal("1.234")


def test_an_unknown_language_reads_like_english():
    assert parse_amount("1,234", language="fr") == parse_amount("1,234", language="en")


def test_one_or_two_digits_after_a_lone_point_are_cents():
    assert parse_amount("12,5", language="en")[0] == Decimal("12.5")
    assert parse_amount("12.50", language="es")[0] == Decimal("12.50")


def test_repeated_points_group_thousands():
    assert parse_amount("1.234.567", language="en")[0] == Decimal("1234567")
    assert parse_amount("1,234,567", language="es")[0] == Decimal("1234567")


def test_a_bare_dollar_sign_means_us_dollars():
    assert parse_amount("$ 80", language="es") == (Decimal("80"), "USD")


def test_three_capitals_are_a_currency_only_when_they_are_an_iso_code():
    assert parse_amount("12 IVA", language="es") == (Decimal("12"), None)
    assert parse_amount("BTW 21", language="nl") == (Decimal("21"), None)
    assert parse_amount("12 SEK", language="en") == (Decimal("12"), "SEK")


def test_a_number_with_a_currency_wins_over_an_earlier_bare_number():
    assert parse_amount("Factura 7: 250,00 €", language="es") == (Decimal("250.00"), "EUR")


def test_a_minus_sign_is_ignored():
    assert parse_amount("-1.234,56 €", language="es") == (Decimal("1234.56"), "EUR")
    assert parse_amount("€-100", language="nl") == (Decimal("100"), "EUR")


def test_a_currency_on_the_next_line_is_not_the_amounts():
    assert parse_amount("1.234,56\n€ 12", language="es") == (Decimal("12"), "EUR")


@pytest.mark.parametrize("text", ["", "   ", "Total:", "€", "EUR", "sin importe", ".,-"])
def test_text_without_a_number_has_no_amount(text):
    assert parse_amount(text, language="es") is None


# ----------------------------------------------------------------------------- dates

DATES = [
    ("2026-03-12", "es", date(2026, 3, 12)),
    ("12/03/2026", "es", date(2026, 3, 12)),
    ("12-03-2026", "nl", date(2026, 3, 12)),
    ("12.03.2026", "nl", date(2026, 3, 12)),
    ("12/3/26", "es", date(2026, 3, 12)),
    ("12/03/2026", "en", date(2026, 3, 12)),
    ("03/25/2026", "en", date(2026, 3, 25)),
    ("12 de marzo de 2026", "es", date(2026, 3, 12)),
    ("1º de mayo del 2026", "es", date(2026, 5, 1)),
    ("12 marzo 2026", "es", date(2026, 3, 12)),
    ("12-mar-2026", "es", date(2026, 3, 12)),
    ("12-mar-26", "es", date(2026, 3, 12)),
    ("3 ene. 2026", "es", date(2026, 1, 3)),
    ("30 set 2026", "es", date(2026, 9, 30)),
    ("31 ago 2026", "es", date(2026, 8, 31)),
    ("24 DIC 2026", "es", date(2026, 12, 24)),
    ("Fecha de vencimiento: 26 de marzo de 2026.", "es", date(2026, 3, 26)),
    ("jueves, 12 de marzo de 2026", "es", date(2026, 3, 12)),
    ("12 March 2026", "en", date(2026, 3, 12)),
    ("March 12, 2026", "en", date(2026, 3, 12)),
    ("12th March 2026", "en", date(2026, 3, 12)),
    ("March 12th, 2026", "en", date(2026, 3, 12)),
    ("the 3rd of May, 2026", "en", date(2026, 5, 3)),
    ("Due date: 1 Sept 2026", "en", date(2026, 9, 1)),
    ("Payment due by Thursday, 2 July 2026 (30 days)", "en", date(2026, 7, 2)),
    ("12 maart 2026", "nl", date(2026, 3, 12)),
    ("12-mrt-2026", "nl", date(2026, 3, 12)),
    ("12 mrt. 2026", "nl", date(2026, 3, 12)),
    ("Vervaldatum: 1 oktober 2026", "nl", date(2026, 10, 1)),
    ("31 mei 2026", "nl", date(2026, 5, 31)),
    ("Factuurdatum: 5 okt 2026", "nl", date(2026, 10, 5)),
]


@pytest.mark.parametrize(("text", "language", "expected"), DATES)
def test_real_world_dates_read_as_written(text, language, expected):
    assert parse_date(text, language=language) == expected


def test_numeric_dates_are_day_first_even_in_english():
    assert parse_date("04/05/2026", language="en") == date(2026, 5, 4)


def test_a_second_number_above_twelve_makes_a_numeric_date_month_first():
    assert parse_date("03/25/2026", language="en") == date(2026, 3, 25)


def test_two_digit_years_are_this_century():
    assert parse_date("1/9/99", language="es") == date(2099, 9, 1)


def test_month_names_are_read_whatever_the_language_says():
    assert parse_date("12 maart 2026", language="es") == date(2026, 3, 12)
    assert parse_date("12 de marzo de 2026", language="nl") == date(2026, 3, 12)
    assert parse_date("mayo 3, 2026", language="en") == date(2026, 5, 3)


def test_mar_is_march_in_every_language():
    assert parse_date("12 mar 2026", language="nl") == date(2026, 3, 12)


def test_an_impossible_date_gives_way_to_the_next_real_one():
    assert parse_date("31/02/2026", language="es") is None
    assert parse_date("31/02/2026 o 01/03/2026", language="es") == date(2026, 3, 1)


def test_the_first_date_in_a_text_wins():
    text = "Factura del 1 de marzo de 2026, vence el 31/03/2026"
    assert parse_date(text, language="es") == date(2026, 3, 1)


def test_a_day_and_month_without_a_year_are_not_a_date():
    # Completing it would need the clock, and this module never reads it.
    assert parse_date("12 de marzo", language="es") is None


@pytest.mark.parametrize(
    "text", ["", "hoy", "30 días", "1.234,56 €", "v1.2.3", "192.168.1.10", "12/13/14/15"]
)
def test_text_without_a_date_has_no_date(text):
    assert parse_date(text, language="es") is None


# ------------------------------------------------------------------- invoice numbers


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("  2026-001. ", "2026-001"),
        ("fra 12", "FRA12"),
        ("inv#0042", "INV#0042"),
        ("F-2026/07;", "F-2026/07"),
        ("2026-001\u00a0", "2026-001"),
        ("", ""),
        ("...", ""),
        ("(2026-001)", "2026-001"),
        ("«F-12»", "F-12"),
        ("#0042", "#0042"),
    ],
)
def test_an_invoice_number_becomes_a_stable_key(text, key):
    assert normalise_invoice_number(text) == key


# ------------------------------------------------------------------------ properties

MONEY = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999999.99"), places=2)
LANGUAGES = st.sampled_from(["es", "en", "nl"])


@PROPERTY
@given(
    amount=MONEY,
    currency=st.sampled_from(["EUR", "USD", "GBP"]),
    locale=st.sampled_from(["es_ES", "en_GB", "en_US", "nl_NL"]),
)
def test_any_amount_babel_writes_reads_back(amount, currency, locale):
    text = format_currency(amount, currency, locale=locale)
    assert parse_amount(text, language=locale[:2]) == (amount, currency), text


@PROPERTY
@given(
    amount=MONEY,
    currency=st.sampled_from(["EUR", "USD", "GBP"]),
    locale=st.sampled_from(["es_ES", "en_GB", "nl_NL"]),
    language=LANGUAGES,
)
def test_a_babel_amount_in_a_sentence_reads_back_whatever_the_language(amount, currency, locale, language):
    text = f"Total: {format_currency(amount, currency, locale=locale)}. Gracias / Thanks / Bedankt."
    assert parse_amount(text, language=language) == (amount, currency), text


@PROPERTY
@given(amount=MONEY, currency=st.sampled_from(["EUR", "USD", "GBP"]))
def test_a_spanish_amount_without_grouping_reads_back(amount, currency):
    # Older CLDR (and many people) write "1234,56 €" in Spanish: no grouping below 10 000.
    text = format_currency(amount, currency, locale="es_ES", group_separator=False)
    assert parse_amount(text, language="es") == (amount, currency), text


@PROPERTY
@given(
    day=st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 31)),
    form=st.sampled_from(["medium", "long"]),
    locale=st.sampled_from(["es_ES", "en_GB", "nl_NL"]),
)
def test_any_date_babel_writes_in_words_reads_back(day, form, locale):
    text = format_date(day, format=form, locale=locale)
    assert parse_date(text, language=locale[:2]) == day, text


@PROPERTY
@given(
    day=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    locale=st.sampled_from(["es_ES", "en_GB", "nl_NL"]),
)
def test_any_short_date_babel_writes_reads_back(day, locale):
    text = format_date(day, format="short", locale=locale)
    assert parse_date(text, language=locale[:2]) == day, text


@PROPERTY
@given(
    day=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    form=st.sampled_from(["short", "medium", "long"]),
    locale=st.sampled_from(["es_ES", "en_GB", "nl_NL"]),
)
def test_a_babel_date_after_a_label_and_an_amount_reads_back(day, form, locale):
    text = f"Importe 1.234,56 € - vence / due / vervalt: {format_date(day, format=form, locale=locale)} (30 días)."
    assert parse_date(text, language=locale[:2]) == day, text


# Text made of what these parsers look for, so the fuzzing reaches their corners.
TRICKY = st.lists(
    st.sampled_from(
        [
            *"0123456789.,-/ '%#:€$£",
            *[NBSP, NNBSP, "\n", "\u2212", "\u2013", "º", "\u0663", "²"],
            *["EUR", "US", "euros", "de", "mar", "mrt", "Sept", "th", "of", "ALL"],
        ]
    ),
    max_size=40,
).map("".join)


@PROPERTY
@given(text=st.one_of(st.text(), TRICKY), language=st.one_of(LANGUAGES, st.text(max_size=3)))
def test_no_text_makes_the_parsers_raise(text, language):
    amount = parse_amount(text, language=language)
    if amount is not None:
        value, currency = amount
        assert isinstance(value, Decimal) and value.is_finite() and value >= 0
        assert currency is None or (len(currency) == 3 and currency.isupper())
    found = parse_date(text, language=language)
    assert found is None or isinstance(found, date)
    key = normalise_invoice_number(text)
    assert isinstance(key, str) and not any(c.isspace() for c in key)


@PROPERTY
@given(text=st.one_of(st.text(), TRICKY))
def test_normalising_an_invoice_number_twice_changes_nothing(text):
    once = normalise_invoice_number(text)
    assert normalise_invoice_number(once) == once


def test_a_long_run_of_digits_and_points_is_read_in_linear_time():
    # Catastrophic backtracking would take minutes here; the scanners take milliseconds.
    import time  # local: only this test measures time

    texts = ["1" * 100_000, "1.2,3." * 16_000, "1.234,567,890," * 7_000, "12/12/" * 16_000, "1 2 3 " * 16_000]
    started = time.perf_counter()
    for text in texts:
        parse_amount(text, language="es")
        parse_date(text, language="es")
    assert time.perf_counter() - started < 10
