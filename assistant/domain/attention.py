"""What needs the freelancer's attention: the one set of answers `status`, the digest and `explain` share.

The three are views of the same ledger, outbox and journal; each question they all answer is
answered here, once, so they cannot disagree:

* **what a ladder does next** (``next_stage``): the stage the next pass drafts. After
  downtime several stages are due at once and the pass writes one catch-up draft for the
  *latest* of them (``ladder``), so that is the next stage, not the first one not taken. (The
  digest and ``explain`` used to name the first: they said ``first-reminder`` while the pass
  wrote ``final-notice``.)
* **how long an ``action: notify`` stage is a to-do** (``NOTICE_DAYS``, ``contact_todos``):
  14 days, for every view. The program cannot see the freelancer phone the client, so the
  to-do ends by time; 14 days is the longest gap between two stages of the shipped invoice
  ladder (second reminder at 7 days, final notice at 21), so a notify stage stays listed
  until the next stage has had its say. (The digest used to drop it after 7 days while
  `status` kept it for 14: the same to-do was there in one view and gone from the other.)
* **approved work not invoiced** (``invoice_todos``), **when a termination draft may be
  sent** (``review_after``), **which clients a termination line flags** (``termination_flags``).
* **which waiting draft became wrong** (``no_longer_needed``): a reminder of an invoice
  since paid or held, a follow-up of work since answered or approved. It is never "waiting to
  be sent" again: the pass withdraws it when it is untouched, or flags it when it is hers.

Pure, like the rest of ``domain``: values in, values out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from . import ladder
from .keys import CLIENT, DraftKind, JournalEvent, parse, stage_of
from .model import Deliverable, DeliverableStatus, Invoice, InvoiceStatus, Stage

# An `action: notify` stage stays a to-do this long, in every view (see the module docstring).
NOTICE_DAYS = 14
# A draft that became wrong stays listed this long after it was found so (status, digest).
NO_LONGER_NEEDED_DAYS = 14

# Journal events (on item client/<id>) that flag a client.
SUGGESTED = JournalEvent.TERMINATION_SUGGESTED
HELD = JournalEvent.TERMINATION_HELD


def next_stage(
    steps: list[tuple[Stage, str, date]], taken: Mapping[str, str], today: date
) -> tuple[Stage, date, bool] | None:
    """What the ladder does next: the stage, its day, whether it waits for an unsent draft.

    The stage the next pass drafts when stages are due already (the catch-up after downtime
    is the latest due stage), else the first stage not taken yet.
    """
    return ladder.coming(steps, taken, today)


def contact_todos(outbox: Iterable[Any], now: datetime, local) -> list[Any]:
    """The ``action: notify`` stages still to act on at ``now`` (outbox kind ``notice``), oldest first.

    ``local`` turns a stored time into the freelancer's time zone.
    """
    limit = timedelta(days=NOTICE_DAYS)
    found = [e for e in outbox if e.kind == DraftKind.NOTICE and now - local(e.created_at) < limit]
    return sorted(found, key=lambda e: (local(e.created_at), e.key))


def invoice_todos(deliverables: Iterable[Deliverable], within_hours: int, now: datetime) -> list[Deliverable]:
    """Approved deliverables not invoiced within ``within_hours`` of the approval (seed 002).

    The one place of this rule: ``status`` and the digest both list these as to-dos.
    Oldest approval first.
    """
    limit = timedelta(hours=within_hours)
    found = [
        d
        for d in deliverables
        if d.status is DeliverableStatus.APPROVED
        and d.approved_at is not None
        and now - d.approved_at >= limit
    ]
    return sorted(found, key=lambda d: d.approved_at or now)


def review_after(created_at: datetime, hours: int) -> datetime:
    """S7: a termination draft is read again, and perhaps sent, only after this moment."""
    return created_at + timedelta(hours=hours)


def termination_flags(
    journal: Iterable[Any], today: date, local
) -> dict[str, tuple[datetime, str, tuple[str, ...]]]:
    """Clients flagged this year: the latest "termination suggested" or "termination held"
    line of each (a suggestion after a hold means the money came in), when, which, and why.

    ``journal`` holds the store's ``(item, JournalEntry)`` pairs, ``(item, at, event[, why])``
    tuples, or objects with ``item``, ``at``, ``event`` and ``why``. The triggers come from
    the line's data (``why``), never from its sentence. ``local`` turns a stored time into
    the freelancer's time zone; lines of other years, or dated after ``today``, do not count.
    """
    found: dict[str, tuple[datetime, str, tuple[str, ...]]] = {}
    for item, at, event, why in (_journal_line(line) for line in journal):
        kind, client_id, _ = parse(item)
        if kind != CLIENT or event not in (SUGGESTED, HELD):
            continue
        moment = local(at)
        if moment.year != today.year or moment.date() > today:
            continue
        if client_id not in found or moment >= found[client_id][0]:
            found[client_id] = (moment, event, why)
    return found


def _reasons(entry: Any) -> tuple[Any, ...]:
    """A termination line's triggers: as words (``Said``) where the journal kept them, else text."""
    return tuple(getattr(entry, "reasons", None) or getattr(entry, "why", ()))


def _journal_line(line: Any) -> tuple[str, datetime, str, tuple[str, ...]]:
    """(item, at, event, why) of any journal form ``termination_flags`` takes."""
    if hasattr(line, "item"):
        return line.item, line.at, line.event, _reasons(line)
    if len(line) == 2:
        item, entry = line
        return item, entry.at, entry.event, _reasons(entry)
    if len(line) == 3:
        item, at, event = line
        return item, at, event, ()
    item, at, event, why = line
    return item, at, event, tuple(why)


# Only drafts about an item's state can be made wrong by it: a check-in is about a silence,
# a termination or rate proposal about the client as a whole, the digest about a day.
_ITEM_DRAFTS = (DraftKind.REMINDER, DraftKind.FOLLOW_UP)


def no_longer_needed(
    key: str, kind: str, invoice: Invoice | None, deliverable: Deliverable | None
) -> str | None:
    """Why the waiting draft ``key`` became wrong ("paid", "promised", "answered"...), or None.

    ``invoice`` or ``deliverable`` is the item the draft is about, as it is now. A draft is
    written only for an open item, so an item no longer open changed after it was written.
    A thank-you is written because the invoice was paid: being paid never makes it wrong.
    """
    if kind not in _ITEM_DRAFTS or stage_of(key) == ladder.THANK_YOU:
        return None
    if invoice is not None and invoice.status is not InvoiceStatus.OPEN:
        return str(invoice.status)
    if deliverable is not None and deliverable.status is not DeliverableStatus.OPEN:
        return str(deliverable.status)
    return None


def no_longer_needed_note(why: str, left: str) -> str:
    """What the outbox keeps of a draft that became wrong: ``<why>/<left>`` (``paid/withdrawn``)."""
    return f"{why}/{left}"


def found_no_longer_needed(entry: Any, now: datetime, local) -> tuple[str, str, datetime] | None:
    """(why, left, when) of an outbox entry withdrawn or obsolete within the last
    ``NO_LONGER_NEEDED_DAYS`` at ``now``; None for older ones. ``left`` is "withdrawn" or why
    it stayed in Drafts ("changed", "gone", "unsupported")."""
    when = local(getattr(entry, "updated_at", None) or entry.created_at)
    if now - when >= timedelta(days=NO_LONGER_NEEDED_DAYS):
        return None
    why, _, left = (entry.note or "").partition("/")
    return why, left, when
