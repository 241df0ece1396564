"""Calendar: due dates, ladder dates, and business days in the client's country.

A stage "5 business days after" skips weekends and the public holidays of the client's
country (the ``holidays`` package knows them; it computes, it does not read or fetch).

A country is named by its ISO 3166 code, optionally with a subdivision as in ISO 3166-2
(``ES-MD``, ``GB-SCT``): some countries keep most of their public holidays per region.
Great Britain's national calendar lacks Easter Monday and the August bank holiday, which
every nation of it but one observes, so a bare ``GB`` means England's calendar.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays as holiday_calendars


def due_date(issue_date: date, payment_terms_days: int) -> date:
    """Seed 002: payment is due a number of days (default 14) after the invoice date."""
    return issue_date + timedelta(days=payment_terms_days)


# The subdivision whose calendar a bare country code means, where the national one misses
# holidays that most of the country observes.
DEFAULT_SUBDIVISIONS = {"GB": "ENG"}


def region(country: str, subdivision: str = "") -> str:
    """``GB`` -> ``GB-ENG``; ``ES`` + ``MD`` -> ``ES-MD``: the calendar a client works by."""
    country = country.upper()
    subdivision = subdivision or DEFAULT_SUBDIVISIONS.get(country, "")
    return f"{country}-{subdivision}" if subdivision else country


def subdivisions(country: str) -> tuple[str, ...]:
    """The subdivisions the holiday calendar of ``country`` knows (empty if none or unknown)."""
    try:
        return tuple(holiday_calendars.country_holidays(country.upper()).subdivisions)
    except NotImplementedError:
        return ()


@lru_cache(maxsize=64)
def _holidays(country: str, year: int) -> frozenset[date]:
    code, _, subdivision = region(country).partition("-")
    try:
        return frozenset(
            holiday_calendars.country_holidays(code, subdiv=subdivision or None, years=year)
        )
    except NotImplementedError:  # a country (or region) the package does not know: weekends only
        return frozenset()


def is_business_day(day: date, country: str) -> bool:
    return day.weekday() < 5 and day not in _holidays(country, day.year)


def add_business_days(start: date, days: int, country: str) -> date:
    """The business day ``days`` business days after ``start`` (before, if negative)."""
    step = 1 if days >= 0 else -1
    remaining = abs(days)
    day = start
    while remaining:
        day += timedelta(days=step)
        if is_business_day(day, country):
            remaining -= 1
    return day


def business_days_between(start: date, end: date, country: str) -> int:
    """Business days after ``start`` up to and including ``end``; 0 when ``end`` is not later."""
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if is_business_day(day, country):
            count += 1
    return count


def shift(start: date, days: int, kind: str, country: str) -> date:
    """``start`` moved by ``days`` calendar or business days."""
    if kind == "business":
        return add_business_days(start, days, country)
    return start + timedelta(days=days)
