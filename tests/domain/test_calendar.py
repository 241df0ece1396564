"""Business days follow the calendar the client works by, a region of the country where it matters."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.config import load_rules
from assistant.domain.calendar import add_business_days, is_business_day, region
from assistant.domain.model import Defaults
from assistant.errors import ConfigError
from tests.support.world import IDENTITY, write_rules

EASTER_MONDAY_2026 = date(2026, 4, 6)
AUGUST_BANK_HOLIDAY_2026 = date(2026, 8, 31)


def test_a_bare_gb_is_englands_calendar_with_easter_monday_and_the_august_bank_holiday():
    assert region("GB") == "GB-ENG" and region("gb") == "GB-ENG"
    assert not is_business_day(EASTER_MONDAY_2026, "GB")
    assert not is_business_day(AUGUST_BANK_HOLIDAY_2026, "GB")
    # Thursday before Easter: Good Friday and Easter Monday both skipped.
    assert add_business_days(date(2026, 4, 2), 1, "GB") == date(2026, 4, 7)


def test_a_named_subdivision_uses_that_regions_holidays():
    scotland = region("GB", "SCT")
    assert scotland == "GB-SCT"
    assert is_business_day(EASTER_MONDAY_2026, scotland)  # not a bank holiday in Scotland
    assert not is_business_day(date(2026, 8, 3), scotland)  # Scotland's summer bank holiday
    assert is_business_day(date(2026, 8, 3), "GB")
    madrid = region("ES", "MD")
    assert not is_business_day(date(2026, 12, 7), madrid)  # Madrid's Monday after the Constitution day
    assert is_business_day(date(2026, 12, 7), "ES")
    assert madrid == "ES-MD" and region("NL") == "NL"


def test_a_client_names_its_subdivision_and_a_wrong_one_is_pointed_at(tmp_path):
    clients = (
        "clients:\n"
        "  acme:\n"
        "    name: Acme\n"
        "    contact: Marta <marta@acme.example>\n"
        "    language: en\n"
        "    country: GB\n"
        "    subdivision: SCT\n"
        "  bright:\n"
        "    name: Bright\n"
        "    contact: Oliver <oliver@bright.example>\n"
        "    language: en\n"
        "    country: GB\n"
    )
    rules = load_rules(write_rules(tmp_path / "ok", clients), Defaults(), IDENTITY)
    assert rules.clients["acme"].calendar == "GB-SCT"
    assert rules.clients["bright"].calendar == "GB-ENG"
    broken = clients.replace("subdivision: SCT", "subdivision: XYZ")
    with pytest.raises(ConfigError) as exc:
        load_rules(write_rules(tmp_path / "bad", broken), Defaults(), IDENTITY)
    (problem,) = [str(p) for p in exc.value.problems]
    assert problem.startswith(f"{tmp_path / 'bad' / 'clients.yaml'}:7:18: clients.acme.subdivision: 'XYZ'")
    assert "known: ENG, NIR, SCT, WLS" in problem
