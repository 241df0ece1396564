"""Facts: what one message (or the calendar) tells the ledger, as typed values.

``of_sent_mail`` and ``of_incoming_mail`` (with ``classify``) turn each message of a pass
into one of these; the pure
``fold.apply(view, fact, today)`` turns a fact and the part of the ledger it concerns (a
``View``) into ``Change``s, which the sync writes to the store. Nothing here does anything:
these are the nouns the fold's rules are written in, so each rule can be tested with values
alone, no mailbox and no store.

Sent folder:

* ``DraftSeenSent``: a message carrying one of our action keys (or the Message-ID of one of
  our drafts) is in Sent: the freelancer sent the draft;
* ``InvoiceSent``: an invoice email (and whether it carries the paid tag already);
* ``DeliverableSent``: work sent to a client for feedback;
* ``FreelancerWrote``: the freelancer's own message in the thread of a tracked item.

INBOX:

* ``ClientWrote``: what a client's person wrote, with the signals of its fresh text;
* ``AutomaticReply``: an auto-reply or a bounce in a tracked thread (never an answer);
* ``PaymentNotice``: a payment notification naming invoice numbers or an amount.

Flags: ``PaidTag`` set or cleared on an invoice email, in Sent or on a copy of it (the same
Message-ID) in a folder the freelancer files mail into. And once a pass:
``CalendarDay``, when promises and pauses lapse and approved work turns out invoiced.

Planning produces ``PlannedAction``s: what is due, and what to do with it (``keys.Action``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any, Protocol

from . import classify, keys, reading, recipients, threads
from .keys import Action, DraftState, JournalEvent
from .model import (
    CheckIn,
    Deliverable,
    DeliverableSeen,
    Evidence,
    FollowUp,
    Invoice,
    InvoiceOverride,
    InvoiceSeen,
    Mail,
    Money,
    Reminder,
    Rules,
    Signal,
    SignalSeen,
    Statement,
    Termination,
)
from .reading import Reading
from .recipients import AskedAddress
from .said import Said

# --------------------------------------------------------------------------- facts


@dataclass(frozen=True, slots=True, kw_only=True)
class DraftSeenSent:
    """One of our drafts is in Sent: ``key`` from its key header, or from the outbox entry
    whose Message-ID it carries."""

    key: str
    message_id: str
    subject: str
    recipient: str
    at: datetime  # when it was sent (its Date, else now)
    evidence: Evidence


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoiceSent:
    seen: InvoiceSeen
    tagged_paid: bool  # the invoice email carries the paid tag already
    evidence: Evidence


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliverableSent:
    seen: DeliverableSeen
    evidence: Evidence


@dataclass(frozen=True, slots=True, kw_only=True)
class FreelancerWrote:
    """The freelancer's own message in the thread of ``item`` (they chased in their own words)."""

    item: str  # invoice/<client>/<number> or deliverable/<client>/<id>
    written_at: datetime | None  # its Date header; None when it has none
    at: datetime  # when it counts as sent (its Date, else now)
    evidence: Evidence


@dataclass(frozen=True, slots=True, kw_only=True)
class PaidTag:
    """The paid tag (``invoices.yaml`` ``paid_keyword``) is on, or no longer on, an invoice email."""

    client: str
    number: str
    present: bool
    folder: str = ""  # a folder she files mail into, holding a copy of it; "" for Sent
    first_sight: bool = False  # there when that folder was first read: set on a day nobody knows


@dataclass(frozen=True, slots=True, kw_only=True)
class AutomaticReply:
    item: str  # the tracked item whose thread it answers
    robot: str  # what gave it away ("auto-reply", "bounce" ...)
    evidence: Evidence


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientWrote:
    """A client's person wrote; ``signals`` are those of their own words, one per kind,
    conflicts resolved (``Reading.for_ledger``)."""

    client: str
    thread: str | None  # the tracked item whose thread it answers (invoice/..., deliverable/...)
    named: tuple[str, ...]  # the numbers of the client's unpaid invoices its text names
    signals: Mapping[Signal, SignalSeen]
    written_on: date  # the day they wrote it, in the freelancer's time zone
    at: datetime  # its Date, else now
    sender: str  # their address, for the journal
    evidence: Evidence  # without a quote; each change quotes its own signal
    # The whole reading (reading.read): per invoice, a payment naming only other invoices
    # is not its; what else was said and what was not taken go to the journal.
    reading: Reading | None = None
    asked: AskedAddress | None = None  # "please send it to accounts@...": where reminders go now


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentNotice:
    notifier: str  # the payment service's name (payments.yaml)
    numbers: tuple[str, ...]  # invoice numbers it names, normalised
    amount: Money | None  # the amount it names (currency "" when it names none)
    written_on: date
    evidence: Evidence


@dataclass(frozen=True, slots=True, kw_only=True)
class OverrideInRules:
    """An ``overrides:`` entry of invoices.yaml, for the invoices of the ledger it names."""

    override: InvoiceOverride
    currencies: Mapping[str, str]  # client id -> the client's currency (an amount given alone)


@dataclass(frozen=True, slots=True, kw_only=True)
class CalendarDay:
    """Once a pass: what the passing of days does (promises lapse, approved work is invoiced)."""

    now: datetime


Fact = (
    DraftSeenSent
    | InvoiceSent
    | DeliverableSent
    | FreelancerWrote
    | PaidTag
    | AutomaticReply
    | ClientWrote
    | PaymentNotice
    | OverrideInRules
    | CalendarDay
)


# --------------------------------------------------------------------------- classification


def of_sent_mail(
    mail: Mail,
    rules: Rules,
    *,
    tz: tzinfo,
    today: date,
    now: datetime,
    ours: DraftRecord | None,
    thread: Callable[[], str | None],
    signature: str = "",
) -> DraftSeenSent | InvoiceSent | DeliverableSent | FreelancerWrote | None:
    """Which Sent mail is what, first match wins: one of our drafts (its key header, or
    ``ours``, the outbox entry whose Message-ID it carries); the freelancer writing in a
    tracked thread (``thread()`` names the item, or None), unless it carries a new invoice
    or new work; an invoice; a deliverable (``signature``: hers, whose links are not work);
    else nothing of ours.
    """
    header = mail.header
    at = header.date or now
    evidence = Evidence.of(header)
    if header.assistant_key or ours is not None:
        return DraftSeenSent(
            key=ours.key if ours is not None else header.assistant_key,
            message_id=header.message_id,
            subject=header.subject,
            recipient=header.to[0].email if header.to else "",
            at=at,
            evidence=evidence,
        )
    # A message in a thread the assistant follows is a reply first: a reminder she wrote
    # herself re-attaches the invoice (never a new invoice), a nudge quotes the work's link
    # (never new work). Only an invoice of another number, or work of her own new words in
    # a deliverable's thread (a new version), is something new.
    item = thread()
    followed = keys.parse(item) if item is not None else None
    seen = classify.classify_sent(mail, rules, tz=tz, seen_on=today)
    if seen is not None and not (
        followed is not None and followed.kind == keys.INVOICE and followed.what == seen.invoice.number
    ):
        tagged = classify.paid_keyword_present(header.flags, rules)
        return InvoiceSent(seen=seen, tagged_paid=tagged, evidence=evidence)
    if followed is None or followed.kind != keys.INVOICE:
        delivered = classify.classify_deliverable(mail, rules, signature=signature)
        if delivered is not None:
            return DeliverableSent(seen=delivered, evidence=evidence)
    if item is None:
        return None
    return FreelancerWrote(item=item, written_at=header.date, at=at, evidence=evidence)


def of_incoming_mail(
    mail: Mail,
    rules: Rules,
    *,
    tz: tzinfo,
    today: date,
    now: datetime,
    thread: Callable[[str], str | None],
    open_numbers: Callable[[str], Iterable[str]],
    ours: Callable[[str], reading.Ours] | None = None,
    own_address: str = "",
) -> PaymentNotice | AutomaticReply | ClientWrote | None:
    """What an INBOX message says, first match wins: a payment notification (a sender of
    payments.yaml); an automatic reply or a bounce in a tracked thread (never an answer,
    nor an absence notice written by hand); a client's person writing, read by
    ``reading.read``; else nothing for the ledger. ``thread(client)`` names the tracked item
    the message answers, or None; ``open_numbers(client)`` the numbers of that client's
    unpaid invoices (a message may name them instead of answering in the thread);
    ``ours(language)`` the wording the freelancer and the assistant sent (provenance: never
    the client's words).
    """
    header = mail.header
    written_on = header.date.astimezone(tz).date() if header.date else today
    evidence = Evidence.of(header)
    notifier = classify.notifier_of(header, rules)
    if notifier is not None:
        numbers, amount = classify.payment_notice(mail, notifier)
        return PaymentNotice(
            notifier=notifier.name, numbers=tuple(numbers), amount=amount, written_on=written_on,
            evidence=evidence,
        )  # fmt: skip
    client = classify.client_of_sender(header, rules)
    if client is None:
        return None
    item = thread(client.id)
    robot = threads.is_automatic(header)
    said = None
    if robot is None:
        said = reading.read(
            mail.text, rules.signals, language=client.language, written_on=written_on,
            ours=ours(client.language) if ours is not None else None,
        )  # fmt: skip
        robot = said.absence()
    if robot is not None:
        return AutomaticReply(item=item, robot=robot, evidence=evidence) if item is not None else None
    assert said is not None
    named = classify.invoice_numbers_named(said.words + " " + header.subject, open_numbers(client.id))
    return ClientWrote(
        client=client.id, thread=item, named=tuple(named), signals=said.for_ledger(), written_on=written_on,
        at=header.date or now, sender=header.sender.email if header.sender else "", evidence=evidence,
        reading=said,
        # "please send it to accounts@...": where the next reminders go (the freelancer's own
        # address and the contact's are never a new destination).
        asked=recipients.asked_address(said.words, known=(client.contact_address.email, own_address)),
    )  # fmt: skip


# --------------------------------------------------------------------------- what the fold sees


class DraftRecord(Protocol):
    """An outbox entry as the fold reads it (``adapters.store.OutboxEntry`` fits)."""

    @property
    def key(self) -> str: ...

    @property
    def state(self) -> DraftState: ...

    @property
    def item(self) -> str: ...

    @property
    def created_at(self) -> datetime: ...

    @property
    def message_id(self) -> str: ...  # a statement of account and its reminders share one


@dataclass(frozen=True, slots=True, kw_only=True)
class View:
    """The part of the ledger a fact concerns, as the sync read it just before.

    ``invoices`` and ``deliverables`` in their current state (for a payment notice, every
    unpaid invoice; for the calendar, the held invoices, the approved deliverables and the
    invoices of those clients); ``drafts`` the outbox entries concerned; ``seen`` the items
    this same message changed already (a rescan reads it again: it counts once).
    """

    invoices: tuple[Invoice, ...] = ()
    deliverables: tuple[Deliverable, ...] = ()
    drafts: tuple[DraftRecord, ...] = ()
    seen: frozenset[str] = frozenset()
    paid_keyword: str = "$Paid"
    # For the freelancer writing in an invoice's thread: the key of the ladder stage that
    # comes next for it (the one her own reminder stands for), "" when none does.
    next_stage: str = ""

    def invoice(self, client: str, number: str) -> Invoice | None:
        return next((i for i in self.invoices if i.client == client and i.number == number), None)

    def draft(self, key: str) -> DraftRecord | None:
        return next((d for d in self.drafts if d.key == key), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class LostDraft:
    """A key in Sent that the outbox never knew (lost state, another installation)."""

    key: str
    kind: str
    item: str
    message_id: str
    subject: str
    recipient: str
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    """One thing the fold decided: a journal line, and what to save with it.

    ``reported`` is False for a journal line that changes nothing (a reply with no signal,
    an answer to work already answered): ``explain`` shows it, the pass report does not.
    """

    item: str
    event: JournalEvent
    detail: str = ""
    said: Said | None = None  # the detail as words a view says in her language (``detail`` is its English)
    evidence: Evidence | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    invoice: Invoice | None = None  # save this invoice
    deliverable: Deliverable | None = None  # save this deliverable
    draft_sent: str = ""  # this outbox key is now sent
    sent_at: datetime | None = None  # ...at this moment
    lost_draft: LostDraft | None = None  # record this key as sent
    reported: bool = True

    def __post_init__(self) -> None:
        if self.said is not None and not self.detail:
            object.__setattr__(self, "detail", self.said.english)

    @property
    def journal_data(self) -> Mapping[str, Any]:
        """What the journal keeps for programs: ``data``, and the detail's words."""
        return {**self.data, "said": self.said.as_data()} if self.said is not None else self.data

    @property
    def line(self) -> str:
        """The pass report's line for it."""
        return f"{self.item}: {self.event}" + (f" ({self.detail})" if self.detail else "")


# --------------------------------------------------------------------------- planning


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedAction:
    """Something due today, and what to do with it.

    ``DRAFT``: compose it and append it to Drafts; ``SEND``: compose it and send it by SMTP
    (only kinds ``keys.may_send`` allows); ``NOTIFY``: compose nothing, record a to-do.
    """

    what: Reminder | Statement | FollowUp | CheckIn | Termination
    action: Action = Action.DRAFT

    @property
    def key(self) -> str:
        return self.what.key
