"""Ledger: the lifecycle of an invoice, as one table of legal transitions.

Everything that can happen to an invoice is an ``Event``; ``TRANSITIONS`` says, for each
status, which events are allowed and where they lead. ``apply`` is the only way to
change an invoice's status: an event the table does not allow raises
``IllegalTransition`` and changes nothing (the caller decides whether that is news).
"""

from __future__ import annotations

import dataclasses
from datetime import date
from enum import StrEnum

from .model import Invoice, InvoiceSeen, InvoiceStatus


class Event(StrEnum):
    PAID = "paid"  # the paid tag appeared, or the freelancer said so
    REOPENED = "reopened"  # the paid tag was removed again


TRANSITIONS: dict[InvoiceStatus, dict[Event, InvoiceStatus]] = {
    InvoiceStatus.OPEN: {Event.PAID: InvoiceStatus.PAID},
    InvoiceStatus.PAID: {Event.REOPENED: InvoiceStatus.OPEN},
}


class IllegalTransition(Exception):
    def __init__(self, invoice: Invoice, event: Event):
        super().__init__(f"invoice {invoice.key} is {invoice.status}; '{event}' does not apply")
        self.invoice = invoice
        self.event = event


def apply(invoice: Invoice, event: Event, *, on: date, via: str) -> Invoice:
    """The invoice after ``event``. Raises IllegalTransition when the table forbids it."""
    target = TRANSITIONS.get(invoice.status, {}).get(event)
    if target is None:
        raise IllegalTransition(invoice, event)
    if event is Event.PAID:
        return dataclasses.replace(invoice, status=target, paid_on=on, paid_via=via)
    return dataclasses.replace(invoice, status=target, paid_on=None, paid_via="")


def record(existing: Invoice | None, seen: InvoiceSeen) -> Invoice | None:
    """The invoice to store when classification sees an invoice email, or None if unchanged.

    The first email that carried an invoice number is the invoice; seeing it again (a
    rescan after UIDVALIDITY changed, the same email in two folders) changes nothing,
    so no invoice is ever counted twice.
    """
    if existing is None:
        return seen.invoice
    return None
