"""The status overview: per client, what is owed, what waits for whom, and what to do.

Pure: the ledger (invoices, deliverables), the outbox, the client lines of the journal,
the rules, ``today``/``now`` and the freelancer's time zone go in; an ``Overview`` comes
out. ``status_report`` turns it into the tables a person reads and into the JSON document
scripts read (docs/status-json.md), so the two can never tell different stories.

What a client's block holds:

* the invoices not paid yet (open, promised, disputed, paused), then those paid in the
  last ``RECENTLY_PAID_DAYS`` days, each with its days past due, the last stage of its
  ladder taken (drafted, sent, notified) and the next one with its day;
* the deliverables sent and not answered, with business days waiting (weekends and the
  client country's holidays do not count) and their follow-up ladder;
* the assistant's drafts waiting in Drafts for the freelancer to send;
* its drafts that became wrong in the last ``NO_LONGER_NEEDED_DAYS`` days (the item was paid,
  held, answered or approved): withdrawn from Drafts, or left there because she touched them;
  never counted as waiting;
* the to-dos: approved work not invoiced, ``action: notify`` stages to act on, termination
  drafts to review, terminations held until paid.

A client appears only when one of these is not empty; clients are ordered by name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from . import attention, calendar, keys, ladder, ledger
from .attention import HELD, SUGGESTED, invoice_todos, review_after
from .keys import WAITING
from .model import (
    Client,
    Deliverable,
    DeliverableStatus,
    Invoice,
    InvoiceStatus,
    Money,
    Rules,
    Stage,
    deliverable_id,
)
from .said import Said
from .termination import UNPAID, owed

RECENTLY_PAID_DAYS = 30  # paid invoices stay listed this long: the freelancer sees it noticed
NO_LONGER_NEEDED_DAYS = attention.NO_LONGER_NEEDED_DAYS  # a draft that became wrong stays listed
NOTICE_DAYS = attention.NOTICE_DAYS  # an `action: notify` stage stays a to-do this long


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """A stage of an item's ladder that was taken."""

    name: str
    state: str  # "pending" (interrupted), "drafted" (waits in Drafts), "sent", "notified"
    on: date


@dataclass(frozen=True, slots=True, kw_only=True)
class NextStep:
    """The stage the ladder takes next, and when."""

    name: str
    on: date  # when it is due; today or earlier: the next pass drafts it
    waits: bool  # not before the draft of the last step has been sent


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoiceRow:
    invoice: Invoice
    days_overdue: int  # past the due date today; 0 when not yet due or paid
    chased: bool  # on the ladder: open, and the client is still in clients.yaml
    last: Step | None
    next: NextStep | None

    @property
    def ladder_done(self) -> bool:
        """Every stage was taken: nothing more will be drafted."""
        return self.chased and self.last is not None and self.next is None


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliverableRow:
    deliverable: Deliverable
    id: str  # the short id `explain` takes
    sent_on: date
    business_days_waiting: int
    last: Step | None
    next: NextStep | None


@dataclass(frozen=True, slots=True, kw_only=True)
class DraftRow:
    """A draft of the assistant's waiting in Drafts for the freelancer to send."""

    key: str
    kind: str  # reminder, follow-up, termination, rate-increase
    stage: str  # the ladder stage, the termination reason, the rate day
    subject: str
    recipient: str
    folder: str
    since: datetime
    interrupted: bool  # a pass was interrupted while writing it; the next pass settles it
    invoice: str | None  # the invoice number it is about
    deliverable: str | None  # the deliverable id it is about
    state: str = "drafted"  # "drafted"/"pending", or no longer needed: "withdrawn", "obsolete"
    why: str = ""  # what made it wrong: "paid", "promised", "disputed", "paused", "answered"...
    left: str = ""  # an obsolete draft: why it was left ("changed", "gone", "unsupported")
    until: datetime | None = None  # when it was found no longer needed


@dataclass(frozen=True, slots=True, kw_only=True)
class Todo:
    """Something only the freelancer can do."""

    kind: str  # "invoice-work", "contact-client", "review-termination", "termination-held", "confirm-payment"
    on: date  # when it arose
    ref: str  # the deliverable id, invoice number or draft key it is about
    subject: str = ""  # the work or the email it is about
    recipient: str = ""  # whom to contact
    stage: str = ""  # the `action: notify` stage
    about: str = ""  # "invoice" or "deliverable": what ``ref`` names, for a contact-client
    not_before: datetime | None = None  # a termination draft is sent no sooner (S7)
    owed: tuple[Invoice, ...] = ()  # money the client still owes (S8: wait until paid)
    why: tuple[str | Said, ...] = ()  # the termination triggers (as words, where the journal kept them)


@dataclass(slots=True, kw_only=True)
class ClientStatus:
    id: str
    name: str
    configured: bool  # still in clients.yaml
    invoices: list[InvoiceRow] = field(default_factory=list)
    deliverables: list[DeliverableRow] = field(default_factory=list)
    drafts: list[DraftRow] = field(default_factory=list)
    no_longer_needed: list[DraftRow] = field(default_factory=list)
    todos: list[Todo] = field(default_factory=list)

    @property
    def outstanding(self) -> list[Money]:
        return totals(r.invoice.outstanding for r in self.invoices if r.invoice.status in UNPAID)

    @property
    def overdue(self) -> list[Money]:
        return totals(r.invoice.outstanding for r in self.invoices if _overdue(r))

    def __bool__(self) -> bool:
        return bool(self.invoices or self.deliverables or self.drafts or self.no_longer_needed or self.todos)


@dataclass(slots=True, kw_only=True)
class Overview:
    today: date
    clients: list[ClientStatus]

    def unpaid(self) -> list[InvoiceRow]:
        return [r for c in self.clients for r in c.invoices if r.invoice.status in UNPAID]

    @property
    def outstanding(self) -> list[Money]:
        return totals(r.invoice.outstanding for r in self.unpaid())

    @property
    def overdue(self) -> list[Money]:
        return totals(r.invoice.outstanding for r in self.unpaid() if _overdue(r))

    @property
    def unknown_amounts(self) -> int:
        """Unpaid invoices whose amount could not be read: not in the totals."""
        return sum(1 for r in self.unpaid() if r.invoice.outstanding is None)


def _overdue(row: InvoiceRow) -> bool:
    return row.invoice.status in UNPAID and row.days_overdue > 0


def totals(amounts: Iterable[Money | None]) -> list[Money]:
    """What is owed per currency, by currency code; never adds two currencies."""
    sums: dict[str, Decimal] = {}
    for money in amounts:
        if money is not None:
            sums[money.currency] = sums.get(money.currency, Decimal(0)) + money.amount
    return [Money(amount=amount, currency=currency) for currency, amount in sorted(sums.items())]


# --------------------------------------------------------------------------- the overview


def build_overview(
    *,
    clients: Mapping[str, Client],
    invoices: Iterable[Invoice],
    deliverables: Iterable[Deliverable],
    outbox: Iterable[Any],
    journal: Iterable[tuple[str, Any]],
    rules: Rules,
    today: date,
    now: datetime,
    tz: tzinfo,
) -> Overview:
    """The overview at ``now`` (``today`` is the freelancer's local day).

    ``outbox`` holds the store's outbox entries (``adapters.store.OutboxEntry``: key, kind,
    state, subject, recipient, folder, created_at, sent_at, item); ``journal`` the store's
    ``(item, JournalEntry)`` pairs of the ``client/`` items.
    """
    invoices = list(invoices)
    deliverables = list(deliverables)
    outbox = list(outbox)
    taken = {e.key: e.state for e in outbox}
    stages_sent = ladder.sent_days(outbox, tz)  # the day each stage was really sent
    by_key = {e.key: e for e in outbox}
    blocks: dict[str, ClientStatus] = {}

    def local(moment: datetime) -> datetime:
        return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment.astimezone(tz)

    def block(client_id: str) -> ClientStatus:
        if client_id not in blocks:
            client = clients.get(client_id)
            blocks[client_id] = ClientStatus(
                id=client_id, name=client.name if client else client_id, configured=client is not None
            )
        return blocks[client_id]

    def last_step(steps: list[tuple[Stage, str, date]]) -> Step | None:
        taken_steps = [key for _, key, _ in steps if key in taken]
        if not taken_steps:
            return None
        entry = by_key[taken_steps[-1]]
        state = "notified" if entry.kind == keys.DraftKind.NOTICE else str(entry.state)
        when = entry.sent_at if entry.state == keys.DraftState.SENT and entry.sent_at else entry.created_at
        return Step(name=keys.stage_of(entry.key), state=state, on=local(when).date())

    def next_step(steps: list[tuple[Stage, str, date]]) -> NextStep | None:
        found = attention.next_stage(steps, taken, today)
        if found is None:
            return None
        stage, day, waits = found
        return NextStep(name=stage.name, on=day, waits=waits)

    # Invoices: unpaid, then recently paid.
    recent = today - timedelta(days=RECENTLY_PAID_DAYS)
    listed = [
        i
        for i in invoices
        if i.status in UNPAID or (i.status is InvoiceStatus.PAID and i.paid_on and i.paid_on >= recent)
    ]
    # Chased ones first, soonest due first; then those on hold; then the paid, latest first.
    group = {InvoiceStatus.OPEN: 0, InvoiceStatus.PAID: 2}
    listed.sort(
        key=lambda i: (
            group.get(i.status, 1),
            -i.paid_on.toordinal()
            if i.paid_on and i.status is InvoiceStatus.PAID
            else i.due_date.toordinal(),
            i.number,
        )
    )
    for invoice in listed:
        client = clients.get(invoice.client)
        chased = client is not None and invoice.status is InvoiceStatus.OPEN
        steps = ladder.invoice_ladder(invoice, rules.escalation.invoice_stages(client), client.calendar, stages_sent, rules.escalation.chasing.stage_gap_days) if client else []
        block(invoice.client).invoices.append(
            InvoiceRow(
                invoice=invoice,
                days_overdue=max(0, (today - invoice.due_date).days) if invoice.status in UNPAID else 0,
                chased=chased,
                last=last_step(steps),
                next=next_step(steps) if chased else None,
            )
        )

    for deliverable in sorted(
        (d for d in deliverables if d.status is DeliverableStatus.OPEN), key=lambda d: local(d.sent_at)
    ):
        client = clients.get(deliverable.client)
        country = client.calendar if client else ""
        sent_on = local(deliverable.sent_at).date()
        steps = (
            ladder.deliverable_ladder(deliverable, rules.escalation.deliverable, client.calendar, tz, stages_sent, rules.escalation.chasing.stage_gap_days)
            if client
            else []
        )
        block(deliverable.client).deliverables.append(
            DeliverableRow(
                deliverable=deliverable,
                id=deliverable_id(deliverable.message_id),
                sent_on=sent_on,
                business_days_waiting=calendar.business_days_between(sent_on, today, country),
                last=last_step(steps),
                next=next_step(steps) if client else None,
            )
        )

    def row(entry, about: keys.Key, **extra) -> DraftRow:
        return DraftRow(
            key=entry.key,
            kind=str(entry.kind),
            stage=keys.stage_of(entry.key),
            subject=entry.subject,
            recipient=entry.recipient,
            folder=getattr(entry, "folder", None) or "",
            since=local(entry.created_at),
            interrupted=entry.state == keys.DraftState.PENDING,
            invoice=about.invoice_number,
            deliverable=about.deliverable,
            state=str(entry.state),
            **extra,
        )

    for entry in sorted(outbox, key=lambda e: (local(e.created_at), e.key)):
        if entry.kind in (keys.DraftKind.DIGEST, keys.DraftKind.NOTICE):
            continue
        if entry.state in keys.NO_LONGER_NEEDED:
            found = attention.found_no_longer_needed(entry, now, local)
            if found is not None:
                about = keys.parse(entry.item or keys.item_of(entry.key))
                why, left, until = found
                block(about.client).no_longer_needed.append(row(entry, about, why=why, left=left, until=until))
        elif entry.state in WAITING:
            about = keys.parse(entry.item or keys.item_of(entry.key))
            block(about.client).drafts.append(row(entry, about))

    # To-dos, oldest first within a client.
    todos: list[tuple[str, Todo]] = []
    # The client said it was paid and nothing confirmed it in time: only the bank can tell.
    claim_days = rules.escalation.chasing.claims_unconfirmed_days
    for invoice in invoices:
        if ledger.claim_unconfirmed(invoice, today, claim_days):
            assert invoice.paid_on is not None
            todos.append(
                (
                    invoice.client,
                    Todo(kind="confirm-payment", on=invoice.paid_on, ref=invoice.number, subject=invoice.subject),
                )
            )
    for deliverable in invoice_todos(deliverables, rules.deliverables.invoice_within_hours, now):
        approved = local(deliverable.approved_at or deliverable.sent_at)
        todos.append(
            (
                deliverable.client,
                Todo(
                    kind="invoice-work",
                    on=approved.date(),
                    ref=deliverable_id(deliverable.message_id),
                    subject=deliverable.subject,
                ),
            )
        )
    for entry in attention.contact_todos(outbox, now, local):
        about = keys.parse(entry.item)
        todos.append(
            (
                about.client,
                Todo(
                    kind="contact-client",
                    on=local(entry.created_at).date(),
                    ref=about.what,
                    about=about.kind,
                    subject=entry.subject,
                    recipient=entry.recipient,
                    stage=keys.stage_of(entry.key),
                ),
            )
        )
    flags = attention.termination_flags(journal, today, local)
    for entry in outbox:
        if entry.kind != keys.DraftKind.TERMINATION or entry.state == keys.DraftState.SENT:
            continue
        client_id = keys.client_of(entry.key)
        todos.append(
            (
                client_id,
                Todo(
                    kind="review-termination",
                    on=local(entry.created_at).date(),
                    ref=entry.key,
                    subject=entry.subject,
                    recipient=entry.recipient,
                    not_before=local(review_after(entry.created_at, rules.termination.review_after_hours)),
                    owed=tuple(owed(i for i in invoices if i.client == client_id)),
                    why=flags[client_id][2]
                    if keys.is_suggested_termination(entry.key)
                    and client_id in flags
                    and flags[client_id][1] == SUGGESTED
                    else (),
                ),
            )
        )
    for client_id, (at, event, why) in flags.items():
        if event != HELD:
            continue
        todos.append(
            (
                client_id,
                Todo(
                    kind="termination-held",
                    on=local(at).date(),
                    ref=keys.client_item(client_id),
                    owed=tuple(owed(i for i in invoices if i.client == client_id)),
                    why=why,
                ),
            )
        )
    for client_id, todo in sorted(todos, key=lambda t: (t[1].on, t[1].kind, t[1].ref)):
        block(client_id).todos.append(todo)

    ordered = sorted(blocks.values(), key=lambda b: (b.name.casefold(), b.id))
    return Overview(today=today, clients=[b for b in ordered if b])
