"""The first run holds old unpaid invoices; the freelancer's answer settles them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from assistant.domain import bank, first_run, ledger
from assistant.domain.model import Invoice, InvoiceStatus, Money

TODAY = date(2026, 2, 20)


def invoice(number: str, due: date, client: str = "acme", **changes) -> Invoice:
    issued = date.fromordinal(due.toordinal() - 14)
    return Invoice(
        client=client, number=number, amount=Money(amount=Decimal("100.00"), currency="EUR"), issue_date=issued,
        due_date=due, message_id=f"<{number}@x>", subject=number, sent_at=datetime(issued.year, issued.month,
        issued.day), **changes,
    )  # fmt: skip


OLD = invoice("2025-010", date(2025, 11, 1))
EDGE = invoice("2026-001", date(2026, 1, 21))  # exactly 30 days past due: chased as usual
RECENT = invoice("2026-002", date(2026, 2, 11))
PAID = invoice("2025-009", date(2025, 10, 1), status=InvoiceStatus.PAID)
DISPUTED = invoice("2025-008", date(2025, 9, 1), status=InvoiceStatus.DISPUTED)


def test_only_unpaid_invoices_more_than_the_hold_days_past_due_are_held():
    assert first_run.to_hold([RECENT, EDGE, OLD, PAID, DISPUTED], TODAY, 30) == [OLD]
    assert first_run.to_hold([RECENT, EDGE, OLD], TODAY, 5) == [OLD, EDGE, RECENT]


def test_named_invoices_are_owed_and_the_rest_paid_on_their_due_date():
    other = invoice("2025-011", date(2025, 12, 1))
    settled = first_run.settle([OLD, other], owed=["2025-011"], rest="paid")
    assert [i.number for i in settled.owed] == ["2025-011"]
    (paid,) = settled.paid
    assert paid.status is InvoiceStatus.PAID and paid.paid_on == OLD.due_date and paid.paid_via == "confirmed"
    assert settled.still_held == ()


def test_paid_before_a_day_marks_paid_what_was_issued_earlier_and_leaves_the_rest_held():
    later = invoice("2025-012", date(2026, 1, 10))
    settled = first_run.settle([OLD, later], paid_before=date(2025, 12, 1))
    assert [i.number for i in settled.paid] == ["2025-010"]
    assert [i.number for i in settled.still_held] == ["2025-012"]


def test_an_unknown_number_or_both_answers_for_one_invoice_are_refused():
    with pytest.raises(ValueError, match="not among"):
        first_run.settle([OLD], owed=["1999-1"])
    with pytest.raises(ValueError, match="not both"):
        first_run.settle([OLD], owed=["2025-010"], paid=["2025-010"])
    twin = invoice("2025-010", date(2025, 11, 1), client="tulp")
    with pytest.raises(ValueError, match="client/number"):
        first_run.settle([OLD, twin], paid=["2025-010"])
    assert [i.key for i in first_run.settle([OLD, twin], paid=["tulp/2025-010"]).paid] == ["tulp/2025-010"]


def test_a_bank_credit_naming_an_invoice_confirmed_paid_puts_the_real_day_in():
    (confirmed,) = first_run.settle([OLD], rest="paid").paid
    credit = bank.Credit(transaction_id="T", booked=date(2025, 11, 20), amount=Decimal("100.00"), currency="EUR",
                         remittance="FRA 2025-010")  # fmt: skip
    (payment,) = bank.match([credit], [confirmed], {}, {}).payments
    assert payment.event is None
    assert payment.invoice.paid_on == date(2025, 11, 20) and payment.invoice.paid_via == "bank"
    # One paid on a client's word keeps its day: the bank only confirms it.
    said = ledger.apply(OLD, ledger.Event.PAID, on=date(2025, 11, 18), via="client")
    (payment,) = bank.match([credit], [said], {}, {}).payments
    assert payment.invoice == said
