"""The ladder: which reminder is due when, once, with catch-up after downtime."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

import pytest

from assistant.domain import ladder, ledger
from assistant.domain.calendar import add_business_days, due_date, is_business_day
from assistant.domain.model import Invoice, InvoiceStatus, Stage
from tests.support.world import TZ, rules

DUE = date(2026, 3, 16)  # a Monday


def invoice(**changes) -> Invoice:
    base = Invoice(
        client="acme",
        number="2026-001",
        amount=None,
        issue_date=date(2026, 3, 2),
        due_date=DUE,
        message_id="<inv@x>",
        subject="Factura 2026-001",
        sent_at=datetime(2026, 3, 2, tzinfo=TZ),
    )
    return dataclasses.replace(base, **changes)


@pytest.fixture
def world(tmp_path):
    return rules(tmp_path)


def plan(world, today, taken=None, invoices=None):
    return ladder.due_reminders(
        invoices or [invoice()], world.escalation.invoice, world.clients, taken or {}, today
    )


def test_nothing_is_due_on_the_due_date(world):
    assert plan(world, DUE) == []


def test_the_first_reminder_is_due_one_day_after_the_due_date(world):
    (reminder,) = plan(world, date(2026, 3, 17))
    assert reminder.stage.name == "first-reminder"
    assert reminder.key == "invoice/acme/2026-001/first-reminder"
    assert reminder.due_on == date(2026, 3, 17)
    assert reminder.skipped == ()


FIRST = "invoice/acme/2026-001/first-reminder"


def test_a_taken_stage_is_never_planned_again(world):
    assert plan(world, date(2026, 3, 20), taken={FIRST: "sent"}) == []


def test_the_next_stage_follows_a_week_after_the_due_date_once_the_first_was_sent(world):
    (reminder,) = plan(world, date(2026, 3, 23), taken={FIRST: "sent"})
    assert reminder.stage.name == "second-reminder"


def test_an_unsent_draft_holds_the_ladder_back(world):
    assert plan(world, date(2026, 3, 23), taken={FIRST: "drafted"}) == []
    assert plan(world, date(2026, 4, 30), taken={FIRST: "pending"}) == []
    stages = world.escalation.invoice
    upcoming = ladder.upcoming(ladder.invoice_ladder(invoice(), stages, "ES"), {FIRST: "drafted"})
    assert upcoming[0].name == "second-reminder" and upcoming[2] is True


def test_the_first_reminder_is_always_the_first_stage_however_late_it_comes(world):
    # 25 days overdue and never chased: the client gets the documented wording first,
    # not a final notice about messages it never received.
    (reminder,) = plan(world, date(2026, 4, 10))
    assert reminder.stage.name == "first-reminder" and reminder.skipped == ()


def test_the_next_stage_is_the_one_after_the_last_sent_and_waits_a_gap_after_it(world):
    first = "invoice/acme/2026-001/first-reminder"
    sent_late = {first: date(2026, 4, 10)}  # the first reminder went out on day 25
    steps = ladder.invoice_ladder(invoice(), world.escalation.invoice, "ES", sent_late, gap_days=3)
    assert [day for _, _, day in steps][1] == date(2026, 4, 13)  # not the next morning
    taken = {first: "sent"}
    assert ladder._next(steps, taken, date(2026, 4, 12)) is None
    stage, _, day, _ = ladder._next(steps, taken, date(2026, 4, 13))
    assert (stage.name, day) == ("second-reminder", date(2026, 4, 13))  # never the final notice first
    # Sent on time, the ladder keeps its own days: the gap only ever delays.
    on_time = ladder.invoice_ladder(invoice(), world.escalation.invoice, "ES", {first: date(2026, 3, 17)}, gap_days=3)
    assert [day for _, _, day in on_time][1] == date(2026, 3, 23)


def test_after_the_last_stage_nothing_more_is_planned(world):
    taken = {"invoice/acme/2026-001/final-notice": "sent"}
    assert plan(world, date(2026, 6, 1), taken=taken) == []


def test_a_paid_invoice_is_not_chased(world):
    paid = ledger.apply(invoice(), ledger.Event.PAID, on=date(2026, 3, 18), via="cli")
    assert plan(world, date(2026, 4, 10), invoices=[paid]) == []


def test_an_invoice_of_a_client_removed_from_the_rules_is_not_chased(world):
    assert plan(world, date(2026, 4, 10), invoices=[invoice(client="gone")]) == []


def test_invoice_numbers_with_slashes_give_unambiguous_keys(world):
    (reminder,) = plan(world, date(2026, 3, 17), invoices=[invoice(number="2026/17")])
    assert reminder.key == "invoice/acme/2026%2F17/first-reminder"


def test_business_day_stages_skip_weekends_and_the_clients_holidays():
    stage = Stage(name="nudge", after_days=1, template="t", days="business")
    thursday = date(
        2026, 4, 2
    )  # before Good Friday (3 April), a national holiday in Spain and the Netherlands
    assert not is_business_day(date(2026, 4, 3), "ES")
    assert is_business_day(date(2026, 4, 6), "ES")  # Easter Monday is regional in Spain, national in NL
    assert not is_business_day(date(2026, 4, 6), "NL")
    assert ladder.stage_date(invoice(due_date=thursday), stage, "ES") == date(2026, 4, 6)
    assert ladder.stage_date(invoice(due_date=thursday), stage, "NL") == date(2026, 4, 7)
    assert add_business_days(thursday, 3, "NL") == date(2026, 4, 9)  # NL: Good Friday and Easter Monday


def test_due_date_is_issue_date_plus_terms():
    assert due_date(date(2026, 3, 2), 14) == date(2026, 3, 16)


def test_the_ledger_refuses_an_event_its_table_does_not_allow():
    with pytest.raises(ledger.IllegalTransition):
        ledger.apply(invoice(), ledger.Event.REOPENED, on=DUE, via="keyword")
    paid = ledger.apply(invoice(), ledger.Event.PAID, on=DUE, via="keyword")
    assert paid.status is InvoiceStatus.PAID and paid.paid_on == DUE and paid.paid_via == "keyword"
    with pytest.raises(ledger.IllegalTransition):
        ledger.apply(paid, ledger.Event.PAID, on=DUE, via="cli")
    assert ledger.apply(paid, ledger.Event.REOPENED, on=DUE, via="keyword").status is InvoiceStatus.OPEN
