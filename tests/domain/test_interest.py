"""Statutory late-payment interest and compensation, against the official guidance's numbers.

Sources of the expected values:
* Spain: the BOE's half-yearly resolutions of the Secretaría General del Tesoro, "tipo legal
  de interés de demora aplicable a las operaciones comerciales" (10,50 % for the first half
  of 2023 ... 10,15 % for the second half of 2025).
* Netherlands: the government's table of the wettelijke handelsrente (art. 6:119a BW),
  e.g. 12,25 % from 1 July 2024; the incasso scale of the Besluit vergoeding voor
  buitengerechtelijke incassokosten, art. 2 (15/10/5/1/0,5 %, at least 40, at most 6.775).
* United Kingdom: gov.uk, "Late commercial payments: charging interest and debt recovery":
  a £1,000 debt at 8 % + a 0.5 % base rate is £85 a year, 23p a day; the fixed sums of
  £40, £70 and £100 by the size of the debt.

The table is the shipped rules/rates.yaml, so these tests also check its values.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from assistant.config import load_rules
from assistant.domain.interest import (
    EU_DIRECTIVE,
    NETHERLANDS,
    SPAIN,
    UNITED_KINGDOM,
    ReferenceRates,
    late_payment_claim,
    law_for,
    reference_rate,
    uk_fixed_sum,
    unchecked_since,
    wik_scale,
)
from assistant.domain.model import Money

_SHIPPED = load_rules(None).rates
assert _SHIPPED is not None
RATES: ReferenceRates = _SHIPPED


def eur(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="EUR")


def gbp(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="GBP")


def statutory(series: str, half_year: date) -> Decimal:
    rate = reference_rate(RATES.series(series), half_year)
    assert rate is not None
    return rate + 8


@pytest.mark.parametrize(
    ("half_year", "boe_published"),
    [
        (date(2022, 7, 1), "8.00"),
        (date(2023, 1, 1), "10.50"),
        (date(2023, 7, 1), "12.00"),
        (date(2024, 1, 1), "12.50"),
        (date(2024, 7, 1), "12.25"),
        (date(2025, 1, 1), "11.15"),
        (date(2025, 7, 1), "10.15"),
    ],
)
def test_the_spanish_and_dutch_rates_are_the_ones_the_boe_and_the_dutch_government_publish(
    half_year, boe_published
):
    assert statutory("ecb_main_refinancing", half_year) == Decimal(boe_published)


@pytest.mark.parametrize(
    ("half_year", "base_on_fixing_day"),
    [
        (date(2018, 1, 1), "0.50"),  # the gov.uk example's base rate
        (date(2023, 1, 1), "3.50"),  # 31 December 2022
        (date(2023, 7, 1), "5.00"),  # 30 June 2023 (5.25 came on 3 August)
        (date(2024, 7, 1), "5.25"),  # 30 June 2024 (the cut to 5.00 came on 1 August)
        (date(2025, 7, 1), "4.25"),
    ],
)
def test_the_uk_rate_is_the_base_rate_of_31_december_or_30_june_plus_8(half_year, base_on_fixing_day):
    assert statutory("boe_bank_rate", half_year) == Decimal(base_on_fixing_day) + 8


def test_gov_uk_worked_example_1000_pounds_at_8_5_percent_is_85_a_year_and_23p_a_day():
    # Due 31 January 2018, 50 days late on 22 March 2018; the reference rate that
    # half-year was the 0.5 % base rate of 31 December 2017.
    claim = late_payment_claim(
        gbp("1000"), due_date=date(2018, 1, 31), today=date(2018, 3, 22), country="GB",
        consumer=False, rates=RATES,
    )  # fmt: skip
    assert claim is not None and claim.law == UNITED_KINGDOM.id
    assert claim.rate == Decimal("8.50") and claim.days == 50
    yearly = Decimal(1000) * claim.rate / 100
    assert yearly == 85 and round(yearly / 365, 2) == Decimal("0.23")
    # gov.uk multiplies the rounded 23p by the days (£11.50); rounding once, at the end,
    # gives the exact £11.64.
    assert claim.interest == gbp("11.64")
    assert claim.compensation == gbp("70")  # £1,000 to £9,999.99
    assert claim.total == gbp("1081.64")


@pytest.mark.parametrize(
    ("debt", "fixed"), [("0.01", 40), ("999.99", 40), ("1000", 70), ("9999.99", 70), ("10000", 100)]
)
def test_the_uk_fixed_sum_follows_the_size_of_the_debt(debt, fixed):
    assert uk_fixed_sum(Decimal(debt)) == gbp(str(fixed))


@pytest.mark.parametrize(
    ("principal", "costs"),
    [
        ("100", "40.00"),  # 15 % is 15: the minimum of 40
        ("2500", "375.00"),  # 15 % of 2,500
        ("3000", "425.00"),  # + 10 % of 500
        ("10000", "875.00"),  # 375 + 250 + 250
        ("200000", "2775.00"),  # + 1 % of 190,000
        ("1000000", "6775.00"),  # + 0.5 % of 800,000 = 6,775: the maximum
        ("5000000", "6775.00"),
    ],
)
def test_the_dutch_incasso_scale(principal, costs):
    assert wik_scale(Decimal(principal)) == eur(costs)


def test_interest_is_simple_daily_from_the_day_after_the_due_date_each_half_year_at_its_rate():
    # Spain: 30 days of June 2024 at 12.50 %, then 10 days of July at 12.25 %.
    claim = late_payment_claim(
        eur("1000"), due_date=date(2024, 5, 31), today=date(2024, 7, 10), country="ES",
        consumer=False, rates=RATES,
    )  # fmt: skip
    assert claim is not None and claim.law == SPAIN.id
    assert [(p.start, p.end, p.days, p.rate) for p in claim.periods] == [
        (date(2024, 6, 1), date(2024, 6, 30), 30, Decimal("12.50")),
        (date(2024, 7, 1), date(2024, 7, 10), 10, Decimal("12.25")),
    ]
    # 1000 x 12.5 % x 30/365 = 10.2740 and 1000 x 12.25 % x 10/365 = 3.3562
    assert claim.interest == eur("13.63")
    assert claim.compensation == eur("40")
    assert claim.total == eur("1053.63")
    assert not claim.provisional


def test_the_netherlands_charge_the_incasso_scale_and_the_same_reference_rate():
    claim = late_payment_claim(
        eur("3000"), due_date=date(2024, 7, 1), today=date(2024, 7, 31), country="NL",
        consumer=False, rates=RATES,
    )  # fmt: skip
    assert claim is not None and claim.law == NETHERLANDS.id
    assert claim.rate == Decimal("12.25") and claim.days == 30
    assert claim.interest == eur("30.21")  # 3000 x 12.25 % x 30/365 = 30.205
    assert claim.compensation == eur("425.00")


def test_other_eu_countries_follow_the_directive():
    assert law_for("DE") is EU_DIRECTIVE and law_for("fr") is EU_DIRECTIVE
    claim = late_payment_claim(
        eur("500"), due_date=date(2025, 7, 1), today=date(2025, 7, 11), country="DE",
        consumer=False, rates=RATES,
    )  # fmt: skip
    assert claim is not None and claim.compensation == eur("40") and claim.rate == Decimal("10.15")


@pytest.mark.parametrize(
    ("country", "consumer", "today"),
    [
        ("ES", True, date(2024, 7, 10)),  # a private person: none of it
        ("US", False, date(2024, 7, 10)),  # no law we know of
        ("ES", False, date(2024, 5, 31)),  # due today: not late yet
        ("ES", False, date(2024, 5, 30)),
    ],
)
def test_no_claim_for_a_consumer_an_unknown_country_or_before_it_is_late(country, consumer, today):
    claim = late_payment_claim(
        eur("1000"), due_date=date(2024, 5, 31), today=today, country=country, consumer=consumer, rates=RATES
    )
    assert claim is None


def test_a_half_year_after_the_table_was_last_checked_is_provisional():
    claim = late_payment_claim(
        eur("1000"), due_date=date(2025, 12, 1), today=date(2026, 1, 30), country="ES",
        consumer=False, rates=RATES,
    )  # fmt: skip
    assert claim is not None
    assert [p.rate for p in claim.periods] == [Decimal("10.15"), Decimal("10.15")]
    assert claim.provisional


def test_nothing_owed_or_a_date_before_the_table_gives_no_claim():
    assert late_payment_claim(
        eur("0"), due_date=date(2024, 5, 31), today=date(2024, 7, 1), country="ES", consumer=False, rates=RATES
    ) is None  # fmt: skip
    assert late_payment_claim(
        eur("10"), due_date=date(2010, 1, 1), today=date(2010, 2, 1), country="ES", consumer=False, rates=RATES
    ) is None  # fmt: skip


@pytest.mark.parametrize(
    ("checked_on", "today", "since"),
    [
        (date(2025, 10, 31), date(2025, 12, 31), None),  # 2025-H2's rate was fixed on 30 June
        (date(2025, 10, 31), date(2026, 1, 1), date(2026, 1, 1)),  # fixed on 31 December: unchecked
        (date(2025, 12, 31), date(2026, 6, 30), None),  # checked on the fixing day itself
        (date(2025, 12, 31), date(2026, 12, 2), date(2026, 7, 1)),
    ],
)
def test_the_table_says_from_when_its_rates_are_assumed(checked_on, today, since):
    assert unchecked_since(ReferenceRates(checked_on=checked_on), today) == since
