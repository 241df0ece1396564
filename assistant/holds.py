"""The first run's held invoices: decided once per account, listed until `confirm-owed` settles them.

The rule is ``domain/first_run.py``; this module applies it to one account's store: the
first pass that plans holds the invoices overdue by more than ``first_run_hold_days``
(journaled, with why), later passes leave them out of the ladders and of termination
cases, and ``confirm-owed`` puts the ones still owed back on the ladder and marks the
rest paid. A bank statement that pays a held invoice settles it too (``bank_import``).
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from .adapters.store import Store
from .config import Account
from .domain import first_run
from .domain.keys import JournalEvent
from .domain.model import Evidence, Invoice, InvoiceStatus
from .errors import UsageError

log = logging.getLogger(__name__)


def hold_the_past(store: Store, account: Account, today: date, now: datetime) -> list[Invoice] | None:
    """On the account's first planning pass: hold the old unpaid invoices. None when decided before."""
    if store.first_run_decided():
        return None
    held = first_run.to_hold(store.invoices(*first_run.HOLDABLE), today, account.first_run_hold_days)
    store.decide_first_run(held, account.first_run_hold_days, now)
    for invoice in held:
        store.note(
            f"invoice/{invoice.key}", JournalEvent.HELD,
            f"first scan: {(today - invoice.due_date).days} days past due with no payment seen in the mailbox; "
            f"not chased until you confirm it is still owed (`confirm-owed`) or a bank statement pays it",
            now,
        )  # fmt: skip
    if held:
        log.info("first run: %d old invoices held until you confirm them (`confirm-owed`)", len(held))
    return held


def waiting(store: Store) -> list[Invoice]:
    """The held invoices still unpaid, oldest first: "still owed? confirm"."""
    keys = store.held_invoices()
    invoices = [i for i in store.invoices(*first_run.HOLDABLE) if (i.client, i.number) in keys]
    return sorted(invoices, key=lambda i: (i.due_date, i.client, i.number))


def confirm_owed(
    store: Store,
    *,
    owed: list[str],
    paid: list[str],
    paid_before: date | None,
    rest: str | None,
    now: datetime,
) -> first_run.Settlement:
    """``confirm-owed``: the freelancer's answer about the held invoices, applied in one transaction."""
    held = waiting(store)
    if not held:
        raise UsageError("no invoice is waiting for confirmation")
    try:
        settlement = first_run.settle(held, owed=owed, paid=paid, paid_before=paid_before, rest=rest)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    with store.transaction():
        for invoice in settlement.owed:
            store.settle_hold(invoice, "owed")
            store.note(
                f"invoice/{invoice.key}", JournalEvent.CONFIRMED_OWED,
                "confirmed still owed: back on the ladder", now, Evidence(source="cli"),
            )  # fmt: skip
        for invoice in settlement.paid:
            store.save_invoice(invoice)
            store.settle_hold(invoice, "paid")
            store.note(
                f"invoice/{invoice.key}", JournalEvent.PAID,
                "confirmed paid on the command line after the first scan (payment date unknown: "
                "the due date stands in for it until a bank statement names the day)",
                now, Evidence(source="cli"),
            )  # fmt: skip
    return settlement


def is_held(invoice: Invoice, held: set[tuple[str, str]]) -> bool:
    return invoice.status is not InvoiceStatus.PAID and (invoice.client, invoice.number) in held
