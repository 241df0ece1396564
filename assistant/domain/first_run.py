"""The first run asks before chasing the past: which old invoices wait for the freelancer's word.

A first scan reads many months of Sent mail. An invoice with no trace of payment in the
mailbox is not necessarily unpaid: most business clients pay by transfer and write
nothing. So the first planning pass of an account drafts nothing for an invoice already
overdue by more than ``first_run_hold_days``: it is *held* and listed as "still owed?
confirm" until the freelancer settles it (``confirm-owed``) or a bank statement pays it.
Invoices that fall due later follow the ladder as usual.

Pure: invoices, the day and the freelancer's answers in; what to hold, what is owed and
what is paid out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from . import ledger
from .model import Invoice, InvoiceStatus

HOLDABLE = (InvoiceStatus.OPEN, InvoiceStatus.PROMISED, InvoiceStatus.PAUSED)
# Marked paid on the freelancer's word, date unknown: the due date stands in for it, so
# the review counts no lateness nobody saw; a bank statement naming it later puts the
# real day in its place.
CONFIRMED = "confirmed"


def to_hold(invoices: Iterable[Invoice], today: date, hold_days: int) -> list[Invoice]:
    """The unpaid invoices overdue by more than ``hold_days`` on ``today``, oldest first."""
    held = [i for i in invoices if i.status in HOLDABLE and (today - i.due_date).days > hold_days]
    return sorted(held, key=lambda i: (i.due_date, i.client, i.number))


@dataclass(frozen=True, slots=True)
class Settlement:
    owed: tuple[Invoice, ...]  # back on the ladder
    paid: tuple[Invoice, ...]  # the invoices after PAID
    still_held: tuple[Invoice, ...]


def settle(
    held: Iterable[Invoice],
    *,
    owed: Iterable[str] = (),
    paid: Iterable[str] = (),
    paid_before: date | None = None,
    rest: str | None = None,
) -> Settlement:
    """The freelancer's answer: these are still owed, these were paid, and the rest is ``rest``.

    ``owed`` and ``paid`` are invoice numbers or ``client/number``; ``paid_before`` marks
    paid every held invoice issued before that day; ``rest`` ("owed" or "paid") settles
    whatever the other answers did not name. A number that is not held raises ValueError.
    """
    held = list(held)

    def pick(names: Iterable[str]) -> list[Invoice]:
        chosen = []
        for name in names:
            found = [i for i in held if name in (i.number, i.key)]
            if not found:
                raise ValueError(f"{name} is not among the invoices waiting for confirmation")
            if len(found) > 1:
                raise ValueError(f"{name} is held for several clients; write it as client/number")
            chosen.append(found[0])
        return chosen

    owed_now = pick(owed)
    paid_now = pick(paid)
    both = {i.key for i in owed_now} & {i.key for i in paid_now}
    if both:
        raise ValueError(f"{', '.join(sorted(both))}: owed or paid, not both")
    if paid_before is not None:
        named = {i.key for i in owed_now}
        paid_now += [
            i for i in held if i.issue_date < paid_before and i.key not in named and i not in paid_now
        ]
    decided = {i.key for i in owed_now} | {i.key for i in paid_now}
    left = [i for i in held if i.key not in decided]
    if rest == "owed":
        owed_now, left = owed_now + left, []
    elif rest == "paid":
        paid_now, left = paid_now + left, []
    paid_after = tuple(
        ledger.apply(i, ledger.Event.PAID, on=i.due_date, via=CONFIRMED)
        if i.status is not InvoiceStatus.PAID
        else i
        for i in paid_now
    )
    return Settlement(owed=tuple(owed_now), paid=paid_after, still_held=tuple(left))
