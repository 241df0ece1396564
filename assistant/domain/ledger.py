"""Ledger: the lifecycles of invoices, deliverables and drafts, each one table of legal transitions.

Everything that can happen to an invoice is an ``Event``; ``INVOICE_TRANSITIONS`` says,
for each status, which events are allowed and where they lead. ``apply`` is the only way
to change an invoice's status: an event the table does not allow raises
``IllegalTransition`` and changes nothing (the caller decides whether that is news).
Deliverables have their own, smaller table, and so do the assistant's drafts (the outbox:
``DRAFT_TRANSITIONS``, executed by ``adapters.store.Store``). Adding a state is a change to
one table here (and its enum), nothing else.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from .keys import DraftState
from .model import Deliverable, DeliverableSeen, DeliverableStatus, Invoice, InvoiceSeen, InvoiceStatus

# A promise to pay "on Friday" is kept if the money arrives on Saturday: the chase
# resumes only after one more day (issue: "pauses until that date plus a grace day").
GRACE_DAYS = 1
# A promise whose day cannot be read ("we'll pay soon") still deserves a little time.
VAGUE_PROMISE_DAYS = 7


class Event(StrEnum):
    PAID = "paid"  # the paid tag, a payment notification, a bank statement, `mark-paid`
    CLAIMED = "claimed"  # the client says it was paid: unconfirmed, not chased
    PART_PAID = "part-paid"  # money arrived, less than owed: chase the rest
    PROMISED = "promised"  # the client promised a day
    DISPUTED = "disputed"  # the client disputes the invoice
    PAUSED = "paused"  # the freelancer paused it (`pause`)
    RESUMED = "resumed"  # the freelancer resumed it (`resume`)
    LAPSED = "lapsed"  # the promised day (or the pause) passed without payment
    REOPENED = "reopened"  # the paid tag was removed again


_S = InvoiceStatus
# Money still to come in: every status but PAID (a new status is unpaid unless it says paid).
UNPAID: tuple[InvoiceStatus, ...] = tuple(s for s in InvoiceStatus if s is not _S.PAID)
# Unpaid and not chased by the ladder: a person decides (the client's word, or the freelancer's).
HOLDS: tuple[InvoiceStatus, ...] = tuple(s for s in UNPAID if s is not _S.OPEN)
_ANY_HOLD = {
    Event.PAID: _S.PAID,
    Event.CLAIMED: _S.CLAIMED,
    Event.PROMISED: _S.PROMISED,
    Event.DISPUTED: _S.DISPUTED,
    Event.PAUSED: _S.PAUSED,
    Event.RESUMED: _S.OPEN,
}
INVOICE_TRANSITIONS: dict[InvoiceStatus, dict[Event, InvoiceStatus]] = {
    _S.OPEN: {
        Event.PAID: _S.PAID,
        Event.CLAIMED: _S.CLAIMED,
        Event.PART_PAID: _S.OPEN,
        Event.PROMISED: _S.PROMISED,
        Event.DISPUTED: _S.DISPUTED,
        Event.PAUSED: _S.PAUSED,
    },
    _S.PROMISED: {**_ANY_HOLD, Event.PART_PAID: _S.PROMISED, Event.LAPSED: _S.OPEN},
    _S.DISPUTED: {**_ANY_HOLD, Event.PART_PAID: _S.DISPUTED},
    _S.PAUSED: {**_ANY_HOLD, Event.PART_PAID: _S.PAUSED, Event.LAPSED: _S.OPEN},
    # What confirms a claim makes it paid; `resume` (the bank shows nothing) chases again.
    _S.CLAIMED: {**{e: s for e, s in _ANY_HOLD.items() if e is not Event.CLAIMED}, Event.PART_PAID: _S.CLAIMED},
    _S.PAID: {Event.REOPENED: _S.OPEN},
}


class IllegalTransition(Exception):
    def __init__(self, subject: str, status: str, event: StrEnum):
        super().__init__(f"{subject} is {status}; '{event}' does not apply")
        self.event = event


def apply(
    invoice: Invoice,
    event: Event,
    *,
    on: date | None,
    via: str = "",
    until: date | None = None,
    amount: Decimal | None = None,
    note: str = "",
) -> Invoice:
    """The invoice after ``event``. Raises IllegalTransition when the table forbids it.

    ``until`` is the promised day (PROMISED) or the end of a pause (PAUSED, optional);
    ``amount`` the money received (PART_PAID); ``note`` the words behind a hold.
    """
    target = INVOICE_TRANSITIONS.get(invoice.status, {}).get(event)
    if target is None:
        raise IllegalTransition(f"invoice {invoice.key}", invoice.status, event)
    changes: dict = {"status": target}
    if event is Event.PAID:
        changes.update(paid_on=on, paid_via=via, hold_until=None, hold_note="")
        if invoice.amount is not None:
            changes["paid_amount"] = invoice.amount.amount
    elif event is Event.CLAIMED:
        # The day the client says it was paid, and their words: shown until confirmed.
        changes.update(paid_on=on, paid_via=via, hold_until=None, hold_note=note)
    elif event is Event.PART_PAID:
        changes["paid_amount"] = invoice.paid_amount + (amount or Decimal(0))
        changes["paid_via"] = via
    elif event is Event.PROMISED:
        day = until or on + timedelta(days=VAGUE_PROMISE_DAYS)
        changes.update(hold_until=day + timedelta(days=GRACE_DAYS), hold_note=note)
    elif event in (Event.DISPUTED, Event.PAUSED):
        changes.update(hold_until=until, hold_note=note)
    elif event in (Event.RESUMED, Event.LAPSED):
        changes.update(hold_until=None, hold_note="")
        if invoice.status is _S.CLAIMED:
            changes.update(paid_on=None, paid_via="")
    elif event is Event.REOPENED:
        changes.update(paid_on=None, paid_via="", paid_amount=Decimal(0))
    return dataclasses.replace(invoice, **changes)


def receive(invoice: Invoice, amount: Decimal | None, *, on: date, via: str) -> tuple[Event, Invoice]:
    """Money arrived: PAID when it covers what is owed (or says nothing of the amount), else PART_PAID."""
    outstanding = invoice.outstanding
    if amount is not None and outstanding is not None and amount < outstanding.amount:
        return Event.PART_PAID, apply(invoice, Event.PART_PAID, on=on, via=via, amount=amount)
    return Event.PAID, apply(invoice, Event.PAID, on=on, via=via)


def claim_unconfirmed(invoice: Invoice, today: date, days: int) -> bool:
    """The client said it was paid more than ``days`` ago and nothing confirmed it: a to-do."""
    return (
        invoice.status is _S.CLAIMED
        and invoice.paid_on is not None
        and (today - invoice.paid_on).days > days
    )


def lapsed(invoice: Invoice, today: date) -> bool:
    """A promise or a dated pause whose day has passed: the chase resumes."""
    return (
        invoice.status in (_S.PROMISED, _S.PAUSED)
        and invoice.hold_until is not None
        and today > invoice.hold_until
    )


def record(existing: Invoice | None, seen: InvoiceSeen) -> Invoice | None:
    """The invoice to store when classification sees an invoice email, or None if unchanged.

    The first email that carried an invoice number is the invoice; seeing it again (a
    rescan after UIDVALIDITY changed, the same email in two folders) changes nothing,
    so no invoice is ever counted twice.
    """
    if existing is None:
        return seen.invoice
    return None


# --------------------------------------------------------------------------- deliverables


class DeliverableEvent(StrEnum):
    ANSWERED = "answered"  # a person from the client replied
    APPROVED = "approved"  # ...and the reply approved the work
    INVOICED = "invoiced"  # an invoice to that client followed the approval


_D = DeliverableStatus
DELIVERABLE_TRANSITIONS: dict[DeliverableStatus, dict[DeliverableEvent, DeliverableStatus]] = {
    _D.OPEN: {DeliverableEvent.ANSWERED: _D.ANSWERED, DeliverableEvent.APPROVED: _D.APPROVED},
    _D.ANSWERED: {DeliverableEvent.APPROVED: _D.APPROVED},
    _D.APPROVED: {DeliverableEvent.INVOICED: _D.INVOICED},
    _D.INVOICED: {},
}


def apply_deliverable(
    deliverable: Deliverable, event: DeliverableEvent, *, at: datetime, invoice_number: str = ""
) -> Deliverable:
    target = DELIVERABLE_TRANSITIONS.get(deliverable.status, {}).get(event)
    if target is None:
        raise IllegalTransition(f"deliverable {deliverable.key}", deliverable.status, event)
    changes: dict = {"status": target}
    if deliverable.answered_at is None:
        changes["answered_at"] = at
    if event is DeliverableEvent.APPROVED:
        changes["approved_at"] = at
    if event is DeliverableEvent.INVOICED:
        changes["invoice_number"] = invoice_number
    return dataclasses.replace(deliverable, **changes)


def record_deliverable(existing: Deliverable | None, seen: DeliverableSeen) -> Deliverable | None:
    return seen.deliverable if existing is None else None


# --------------------------------------------------------------------------- drafts (the outbox)


class DraftEvent(StrEnum):
    CLAIMED = "claimed"  # the key is taken before the message exists: never two drafts
    APPENDED = "appended"  # the draft is in Drafts
    DELIVERED = "delivered"  # sent by SMTP, the digest put in INBOX, an interrupted send settled
    SEEN_SENT = "seen sent"  # the message is in Sent (also a key the outbox lost: lost state)
    NOTIFIED = "notified"  # an `action: notify` stage recorded: nothing written, the freelancer acts
    RELEASED = "released"  # the message never reached the mailbox: the key is free again
    WITHDRAWN = "withdrawn"  # it became wrong and was still exactly as written: removed from Drafts
    OUTDATED = "outdated"  # it became wrong but the freelancer touched it: left to her, flagged


_DS = DraftState
# ``None`` is "no outbox entry for this key".
DRAFT_TRANSITIONS: dict[DraftState | None, dict[DraftEvent, DraftState | None]] = {
    None: {DraftEvent.CLAIMED: _DS.PENDING, DraftEvent.SEEN_SENT: _DS.SENT, DraftEvent.NOTIFIED: _DS.SENT},
    _DS.PENDING: {
        DraftEvent.APPENDED: _DS.DRAFTED,
        DraftEvent.DELIVERED: _DS.SENT,
        DraftEvent.SEEN_SENT: _DS.SENT,
        DraftEvent.RELEASED: None,
    },
    _DS.DRAFTED: {
        DraftEvent.SEEN_SENT: _DS.SENT,
        DraftEvent.WITHDRAWN: _DS.WITHDRAWN,
        DraftEvent.OUTDATED: _DS.OBSOLETE,
    },
    _DS.SENT: {},
    # Sent anyway (her edited copy, or a copy of it): what was sent is the truth. A withdrawn
    # draft is no longer anywhere: when its item is open again (a promise lapsed, the paid tag
    # removed) the key is released and the stage drafted afresh, still one draft at a time.
    _DS.WITHDRAWN: {DraftEvent.SEEN_SENT: _DS.SENT, DraftEvent.RELEASED: None},
    _DS.OBSOLETE: {DraftEvent.SEEN_SENT: _DS.SENT},
}


def draft_after(key: str, state: DraftState | None, event: DraftEvent) -> DraftState | None:
    """The state of the draft ``key`` after ``event``; raises IllegalTransition if the table forbids it."""
    table = DRAFT_TRANSITIONS.get(state, {})
    if event not in table:
        raise IllegalTransition(f"draft {key}", state or "not in the outbox", event)
    return table[event]
