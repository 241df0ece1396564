"""An override in invoices.yaml fixes a misread invoice already in the ledger, once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from assistant.domain.facts import OverrideInRules, View
from assistant.domain.fold import apply
from assistant.domain.keys import JournalEvent
from assistant.domain.model import Invoice, InvoiceOverride, Money

TODAY = date(2026, 4, 10)


def misread(**changes) -> Invoice:
    fields = dict(
        client="acme",
        number="V-12",
        amount=Money(amount=Decimal("40.39"), currency="EUR"),
        issue_date=date(2026, 3, 2),
        due_date=date(2026, 3, 16),
        message_id="<nov-12@me.example>",
        subject="Factura NOV-12",
        sent_at=datetime(2026, 3, 2, 9, tzinfo=UTC),
        read_from=(
            ("number", "PDF text"),
            ("amount", "PDF label"),
            ("issue_date", "PDF label"),
            ("due_date", "client's terms"),
        ),
    )
    fields.update(changes)
    return Invoice(**fields)


def fold(invoice: Invoice, override: InvoiceOverride):
    fact = OverrideInRules(override=override, currencies={"acme": "EUR"})
    return apply(View(invoices=(invoice,)), fact, TODAY)


def test_the_amount_and_dates_an_override_gives_replace_what_was_read():
    (change,) = fold(misread(), InvoiceOverride(read_number="V-12", amount=Decimal("319.00")))
    assert change.event is JournalEvent.CORRECTED and change.item == "invoice/acme/V-12"
    fixed = change.invoice
    assert fixed.amount == Money(amount=Decimal("319.00"), currency="EUR")
    assert fixed.source_of("amount") == "override" and fixed.source_of("issue_date") == "PDF label"
    assert fixed.number == "V-12"  # the key its reminders were written under stays


def test_a_new_issue_date_keeps_the_terms_the_due_date_was_counted_with():
    (change,) = fold(misread(), InvoiceOverride(message_id="nov-12@me.example", issue_date=date(2026, 3, 5)))
    assert (change.invoice.issue_date, change.invoice.due_date) == (date(2026, 3, 5), date(2026, 3, 19))
    assert change.invoice.due_date - change.invoice.issue_date == timedelta(days=14)


def test_an_invoice_that_already_reads_so_or_another_invoice_is_left_alone():
    done = fold(misread(), InvoiceOverride(read_number="V-12", amount=Decimal("319.00")))[0].invoice
    assert fold(done, InvoiceOverride(read_number="V-12", amount=Decimal("319.00"))) == []
    assert fold(misread(), InvoiceOverride(read_number="NOV-13", amount=Decimal("319.00"))) == []
