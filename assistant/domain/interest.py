"""Statutory late-payment interest and compensation: which law, what rate, how much to date.

Pure: an outstanding amount, its due date, ``today``, the client's country and the dated
reference rates of ``rules/rates.yaml`` go in; a ``Claim`` comes out (or None: a consumer,
a country without such a law, nothing late).

The laws, as the client's country decides:

* Spain, Ley 3/2004 art. 7 and 8: the ECB rate of its latest main refinancing operation
  before the half-year + 8 points (the rate the BOE publishes every half-year), and a
  fixed EUR 40 per invoice for recovery costs.
* Netherlands, art. 6:119a BW (wettelijke handelsrente): the same reference + 8 points;
  the costs of collection by the incasso scale (Besluit vergoeding voor
  buitengerechtelijke incassokosten, the WIK staffel), at least EUR 40 (art. 6:96 BW).
* United Kingdom, Late Payment of Commercial Debts (Interest) Act 1998: the Bank of
  England's rate in force on 31 December (for January-June) or 30 June (for July-December)
  + 8 %, and GBP 40, 70 or 100 by the size of the debt.
* Any other EU country, Directive 2011/7/EU art. 2(6), 3, 6: the ECB reference rate of
  the half-year + 8 points, and EUR 40.

All four fix the reference rate once per half-year, from the rate in force on the day
before it starts: ``reference_rate`` applies that one rule to the table of rate changes.
Interest is simple, counted in days from the day after the due date to ``today``
inclusive, at principal x rate x days / 365, each half-year at its own rate; the total is
rounded to the cent once, at the end. The Dutch law adds a year's interest to the
principal after each full year (art. 6:119 lid 2): not done here, so a claim older than a
year is a little lower than the law allows, never higher.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from .model import FieldError, Money

CENT = Decimal("0.01")
DAYS_IN_YEAR = Decimal(365)  # gov.uk and the Dutch and Spanish practice: 365, leap years too
MARGIN = Decimal(8)  # every one of the four laws: the reference rate + 8 points

# --------------------------------------------------------------------------- the rates table

_STRICT = {"extra": "forbid"}


@dataclass(frozen=True, slots=True, kw_only=True)
class RateChange:
    """A reference rate, in percent a year, in force from ``since``."""

    __pydantic_config__ = _STRICT

    since: date
    rate: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferenceRates:
    """rules/rates.yaml: the central banks' rates as they changed, and how recent the table is."""

    __pydantic_config__ = _STRICT

    # The day the table was last checked against the sources: a half-year starting after
    # it uses the last rate known, and the claim says it is provisional.
    checked_on: date
    ecb_main_refinancing: tuple[RateChange, ...] = ()
    boe_bank_rate: tuple[RateChange, ...] = ()

    def __post_init__(self) -> None:
        for name in ("ecb_main_refinancing", "boe_bank_rate"):
            changes = getattr(self, name)
            for i, change in enumerate(changes):
                if i and change.since <= changes[i - 1].since:
                    raise FieldError((name, i, "since"), "list the changes in the order they happened")
                if change.rate < -5 or change.rate > 50:
                    raise FieldError((name, i, "rate"), "a rate is a percentage a year, like 4.25")

    def series(self, name: str) -> tuple[RateChange, ...]:
        return getattr(self, name)


def unchecked_since(rates: ReferenceRates, today: date) -> date | None:
    """The first half-year, up to today's, whose rate the table cannot vouch for (its
    fixing day came after ``checked_on``); None while the table is current."""
    first = half_year_end(rates.checked_on) + timedelta(days=1)
    if first - timedelta(days=1) <= rates.checked_on:  # checked on the fixing day itself
        first = half_year_end(first) + timedelta(days=1)
    return first if first <= today else None


def half_year_start(day: date) -> date:
    return date(day.year, 1 if day.month <= 6 else 7, 1)


def half_year_end(day: date) -> date:
    return date(day.year, 6, 30) if day.month <= 6 else date(day.year, 12, 31)


def reference_rate(changes: tuple[RateChange, ...], half_year: date) -> Decimal | None:
    """The rate in force on the day before ``half_year`` starts; None before the table starts."""
    fixing = half_year - timedelta(days=1)
    rate = None
    for change in changes:
        if change.since > fixing:
            break
        rate = change.rate
    return rate


# --------------------------------------------------------------------------- the laws


def _eur_40(principal: Decimal) -> Money:
    return Money(amount=Decimal(40), currency="EUR")


# The incasso scale: (up to this much of the principal, percent of that slice).
WIK_SCALE: tuple[tuple[Decimal, Decimal], ...] = (
    (Decimal(2_500), Decimal(15)),
    (Decimal(5_000), Decimal(10)),
    (Decimal(10_000), Decimal(5)),
    (Decimal(200_000), Decimal(1)),
    (Decimal("Infinity"), Decimal("0.5")),
)
WIK_MIN, WIK_MAX = Decimal(40), Decimal(6_775)


def wik_scale(principal: Decimal) -> Money:
    """Dutch collection costs by the incasso scale: 15 % of the first 2,500, 10 % of the
    next 2,500, 5 % of the next 5,000, 1 % of the next 190,000, 0.5 % above; 40 to 6,775."""
    total, lower = Decimal(0), Decimal(0)
    for upper, percent in WIK_SCALE:
        if principal <= lower:
            break
        total += (min(principal, upper) - lower) * percent / 100
        lower = upper
    amount = min(max(total, WIK_MIN), WIK_MAX).quantize(CENT, ROUND_HALF_UP)
    return Money(amount=amount, currency="EUR")


def uk_fixed_sum(principal: Decimal) -> Money:
    """Late Payment Act 1998 s. 5A: GBP 40 below 1,000; 70 below 10,000; 100 from 10,000."""
    amount = 40 if principal < 1_000 else 70 if principal < 10_000 else 100
    return Money(amount=Decimal(amount), currency="GBP")


@dataclass(frozen=True, slots=True, kw_only=True)
class Law:
    """One late-payment law: its reference rate and its compensation for recovery costs."""

    id: str  # the templates name it in the client's language by this id
    series: str  # the ReferenceRates field of its reference rate
    compensation: Callable[[Decimal], Money] = field(repr=False)


SPAIN = Law(id="es-ley-3-2004", series="ecb_main_refinancing", compensation=_eur_40)
NETHERLANDS = Law(id="nl-bw-6-119a", series="ecb_main_refinancing", compensation=wik_scale)
UNITED_KINGDOM = Law(id="uk-late-payment-act-1998", series="boe_bank_rate", compensation=uk_fixed_sum)
EU_DIRECTIVE = Law(id="eu-directive-2011-7", series="ecb_main_refinancing", compensation=_eur_40)

EU_COUNTRIES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    ]
)
LAWS: Mapping[str, Law] = {"ES": SPAIN, "NL": NETHERLANDS, "GB": UNITED_KINGDOM, "UK": UNITED_KINGDOM}


def law_for(country: str) -> Law | None:
    """The late-payment law of a business client in ``country``; None where we know of none."""
    country = country.upper()
    if country in LAWS:
        return LAWS[country]
    return EU_DIRECTIVE if country in EU_COUNTRIES else None


# --------------------------------------------------------------------------- the claim


@dataclass(frozen=True, slots=True, kw_only=True)
class Period:
    """Days of one half-year at that half-year's statutory rate."""

    start: date
    end: date
    days: int
    rate: Decimal  # percent a year, reference + 8
    interest: Money  # rounded to the cent, for showing; the claim's total is rounded once


@dataclass(frozen=True, slots=True, kw_only=True)
class Claim:
    """What a late payer owes on top of the invoice, to ``today``."""

    law: str  # Law.id
    principal: Money  # what is still owed of the invoice
    periods: tuple[Period, ...]
    interest: Money
    compensation: Money
    provisional: bool  # a half-year began after rates.yaml was last checked: its rate is assumed

    @property
    def rate(self) -> Decimal:
        """The rate of today's half-year."""
        return self.periods[-1].rate

    @property
    def days(self) -> int:
        return sum(p.days for p in self.periods)

    @property
    def total(self) -> Money | None:
        """Principal, interest and compensation together, when they share a currency."""
        if self.compensation.currency != self.principal.currency:
            return None
        amount = self.principal.amount + self.interest.amount + self.compensation.amount
        return Money(amount=amount, currency=self.principal.currency)


def late_payment_claim(
    principal: Money | None,
    *,
    due_date: date,
    today: date,
    country: str,
    consumer: bool,
    rates: ReferenceRates,
) -> Claim | None:
    """The statutory claim on ``principal`` unpaid since ``due_date``, counted to ``today``.

    None for a consumer, a country whose law we do not know, nothing owed, nothing late
    yet, or a due date before the rates table begins.
    """
    law = law_for(country)
    if law is None or consumer or principal is None or principal.amount <= 0 or today <= due_date:
        return None
    changes = rates.series(law.series)
    periods, exact, provisional = [], Decimal(0), False
    day = due_date + timedelta(days=1)  # interest runs from the day after the due date
    while day <= today:
        start = half_year_start(day)
        end = min(half_year_end(day), today)
        rate = reference_rate(changes, start)
        if rate is None:
            return None
        provisional = provisional or start - timedelta(days=1) > rates.checked_on
        days = (end - day).days + 1
        rate += MARGIN
        amount = principal.amount * rate / 100 * days / DAYS_IN_YEAR
        exact += amount
        shown = Money(amount=amount.quantize(CENT, ROUND_HALF_UP), currency=principal.currency)
        periods.append(Period(start=day, end=end, days=days, rate=rate, interest=shown))
        day = end + timedelta(days=1)
    interest = Money(amount=exact.quantize(CENT, ROUND_HALF_UP), currency=principal.currency)
    return Claim(
        law=law.id,
        principal=principal,
        periods=tuple(periods),
        interest=interest,
        compensation=law.compensation(principal.amount),
        provisional=provisional,
    )
