"""The daily digest (capability 7): what needs the freelancer's attention today.

Pure: the ledger (invoices, deliverables), the outbox of drafts and notices, the journal,
the rules, ``today``/``now`` and the freelancer's time zone go in; the data of the
digest template comes out, as plain dicts, lists, dates and ``Money`` values. The
``locale`` and ``freelancer`` keys are added by ``compose.digest_draft``; the daemon
decides when the digest is made and how it is delivered.

The sections, each a list that is empty when there is nothing to say (templates skip
empty sections; ``nothing_to_do`` is true when every one is empty):

``overdue``
    open invoices past their due date with money owed, grouped by days past due in the
    buckets of the receivables ageing (``review.AGEING_BUCKETS``). The **oldest bucket
    comes first** ("90+", "61-90", "31-60", "0-30": the money most at risk leads), and
    inside a bucket the most overdue invoice first, then by client name and number. Only
    non-empty buckets are listed. Each invoice carries the last reminder stage sent and
    the next stage of its ladder (``attention.next_stage``: what the next pass drafts).
``held``
    promised, disputed and paused invoices with money owed (not chased: a person
    decides), with ``hold_until`` and ``hold_note``; soonest due first.
``deliverables``
    work sent and not answered (``DeliverableStatus.OPEN``), longest waiting first.
``drafts``
    the assistant's drafts waiting in Drafts for review (outbox state ``drafted``, or
    ``pending`` when a pass was interrupted), oldest first, terminations excepted.
``terminations``
    termination drafts not sent yet, with the time after which to review them (S7:
    created + ``termination.review_after_hours``) and what the client still owes (S8:
    wait until it is paid).
``flagged``
    clients with a "termination suggested" or "termination held" journal line this
    year (the latest of them per client), by client name.
``to_invoice``
    approved deliverables not invoiced within ``deliverables.invoice_within_hours``
    (seed 002), oldest approval first; ``invoice_todos`` is the one place of that rule.
``to_contact``
    ``action: notify`` stages of the last ``attention.NOTICE_DAYS`` days (outbox kind
    ``notice``): the freelancer contacts the client themselves.
``no_longer_needed``
    the assistant's drafts that became wrong since the last digest (within
    ``attention.NO_LONGER_NEEDED_DAYS``): the invoice paid or held, the work answered or
    approved after the draft was written. ``withdrawn`` is true when the assistant removed
    it from Drafts (it was untouched); false when it was left there because she touched it
    (``left``: ``changed``, ``gone``, ``unsupported``). Never listed under ``drafts``.
``money_locales``
    currency -> the locale whose sign the template's ``money`` filter writes it with
    (``money_locales``): the freelancer's numbers, the clients' signs.

Inputs are duck-typed, so the store's records and small test records both work:

* an outbox entry (``adapters.store.OutboxEntry`` fits) is read through ``key``,
  ``kind``, ``state``, ``subject``, ``recipient``, ``created_at``, ``item``,
  ``sent_at``, and ``folder`` when it has one;
* a journal line is an object with ``item``, ``at``, ``event`` and ``why`` (the triggers a
  termination line names, structured: never read back from a sentence), a tuple
  ``(item, at, event, why)`` (or ``(item, at, event)``), or the store's own
  ``(item, JournalEntry)`` pairs from ``Store.journal(prefix="client/")``.

Times are shown in ``tz``. The store's timestamps are time-zone aware; a naive one is
taken to be in ``tz`` already (``invoice_todos`` compares ``approved_at`` with ``now``
as given, so those two must agree).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any, Protocol

from . import attention, keys, ladder, ledger
from .attention import HELD, SUGGESTED, invoice_todos, review_after
from .interest import late_payment_claim
from .model import (
    Client,
    Deliverable,
    DeliverableStatus,
    Escalation,
    Extraction,
    Invoice,
    InvoiceRules,
    InvoiceStatus,
    Money,
    Recognition,
    Rules,
    Stage,
)
from .review import AGEING_BUCKETS
from .termination import owed

# Outbox states of a draft the freelancer has not sent yet.
WAITING = keys.WAITING

_HOLDS = ledger.HOLDS


class OutboxRecord(Protocol):
    """What the digest reads of an outbox entry (``adapters.store.OutboxEntry`` fits)."""

    @property
    def key(self) -> str: ...

    @property
    def kind(self) -> str: ...  # reminder, follow-up, check-in, notice, termination, rate-increase, digest

    @property
    def state(self) -> str: ...  # pending, drafted, sent

    @property
    def subject(self) -> str: ...

    @property
    def recipient(self) -> str: ...

    @property
    def created_at(self) -> datetime: ...

    @property
    def item(self) -> str: ...  # invoice/<client>/<number>, deliverable/<client>/<id>, termination/<client>

    @property
    def sent_at(self) -> datetime | None: ...

    # ``message_id`` when it has one: a statement of account and its reminders share it.


# --------------------------------------------------------------------------- rules


def age_bucket(days_overdue: int) -> str:
    """The ageing bucket of an invoice ``days_overdue`` days past due (as ``review.ageing``)."""
    if days_overdue <= 30:
        return "0-30"
    if days_overdue <= 60:
        return "31-60"
    if days_overdue <= 90:
        return "61-90"
    return "90+"


# --------------------------------------------------------------------------- the digest


def build_digest(
    *,
    clients: Mapping[str, Client],
    invoices: Iterable[Invoice],
    deliverables: Iterable[Deliverable],
    outbox: Iterable[OutboxRecord],
    journal: Iterable[Any],
    rules: Rules,
    today: date,
    now: datetime,
    tz: tzinfo,
    unreadable: int = 0,
    other_installations: Sequence[str] = (),
) -> dict[str, Any]:
    """The digest's data for ``today`` (the freelancer's local day) at ``now``.

    ``unreadable`` counts the messages the server refused to read (left out of the scans).
    ``other_installations``: ids of other installations seen writing into this mailbox
    (said first: the freelancer should run only one).

    ``clients`` names the clients (usually ``rules.clients``); ``rules`` gives the
    ladders, the termination review delay and the invoicing delay.
    """
    invoices = list(invoices)
    deliverables = list(deliverables)
    outbox = list(outbox)
    taken = {e.key: e.state for e in outbox}

    def local(moment: datetime) -> datetime:
        return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment.astimezone(tz)

    now = local(now)

    def name_of(client_id: str) -> str:
        client = clients.get(client_id)
        return client.name if client else client_id

    def invoice_entry(invoice: Invoice) -> dict[str, Any]:
        return _invoice(
            invoice, name_of(invoice.client), clients.get(invoice.client), outbox, taken, rules, today, local
        )

    # Overdue, by age, oldest bucket first.
    late = [i for i in invoices if i.status is InvoiceStatus.OPEN and _owes(i) and i.due_date < today]
    late.sort(key=lambda i: (i.due_date, name_of(i.client).casefold(), i.number))
    overdue = []
    for bucket in reversed(AGEING_BUCKETS):
        inside = [i for i in late if age_bucket((today - i.due_date).days) == bucket]
        if inside:
            overdue.append(
                {
                    "bucket": bucket,
                    "invoices": [invoice_entry(i) for i in inside],
                    "totals": _totals(i.outstanding for i in inside),
                }
            )

    held = sorted(
        (i for i in invoices if i.status in _HOLDS and _owes(i)),
        key=lambda i: (i.due_date, name_of(i.client).casefold(), i.number),
    )

    waiting = []
    for deliverable in sorted(
        (d for d in deliverables if d.status is DeliverableStatus.OPEN), key=lambda d: local(d.sent_at)
    ):
        sent_on = local(deliverable.sent_at).date()
        client = clients.get(deliverable.client)
        steps = (
            ladder.deliverable_ladder(
                deliverable,
                rules.escalation.deliverable,
                client.calendar,
                tz,
                ladder.sent_days(outbox, tz),
                rules.escalation.chasing.stage_gap_days,
            )
            if client
            else []
        )
        waiting.append(
            {
                "client": deliverable.client,
                "client_name": name_of(deliverable.client),
                "subject": _base_subject(deliverable.subject),
                "sent_on": sent_on,
                "days_waiting": max(0, (today - sent_on).days),
                "last_follow_up": _last_sent(steps, outbox, local),
                "next_follow_up": _next(steps, taken, today),
            }
        )

    # A statement of account is one draft: its reminders (the same Message-ID) are listed in it.
    letters = {e.message_id: e for e in outbox if keys.is_statement(e.key) and getattr(e, "message_id", "")}
    carried: dict[str, list[str]] = {}
    for entry in outbox:
        letter = letters.get(getattr(entry, "message_id", "") or "")
        if letter is not None and entry is not letter:
            carried.setdefault(letter.key, []).append(keys.parse(entry.item).what)
    drafts = []
    terminations = []
    for entry in sorted(outbox, key=lambda e: (local(e.created_at), e.key)):
        if entry.state not in WAITING or entry.kind in (keys.DraftKind.DIGEST, keys.DraftKind.NOTICE):
            continue
        if not keys.is_statement(entry.key) and (getattr(entry, "message_id", "") or "") in letters:
            continue  # in its statement's line
        since = local(entry.created_at)
        common = {
            "key": entry.key,
            "kind": entry.kind,
            "subject": entry.subject,
            "recipient": entry.recipient,
            "folder": getattr(entry, "folder", None) or "",
            "since": since,
            "since_time": f"{since:%H:%M}",
            "interrupted": entry.state == keys.DraftState.PENDING,
            "statement": sorted(carried.get(entry.key, ())),  # the invoices one letter chases
        }
        if entry.kind != keys.DraftKind.TERMINATION:
            drafts.append(common)
            continue
        client_id = keys.client_of(entry.key)
        after = local(review_after(entry.created_at, rules.termination.review_after_hours))
        still_owed = owed(i for i in invoices if i.client == client_id)
        terminations.append(
            {
                **common,
                "client": client_id,
                "client_name": name_of(client_id),
                "review_after": after,
                "review_after_time": f"{after:%H:%M}",
                "ready": now >= after,
                "money_owed": bool(still_owed),
                "owed": [
                    {"number": i.number, "outstanding": i.outstanding, "due_date": i.due_date}
                    for i in still_owed
                ],
            }
        )

    flags = attention.termination_flags(journal, today, local)
    drafted = {t["client"] for t in terminations}
    flagged = [
        {
            "client": client_id,
            "client_name": name_of(client_id),
            "held": event == HELD,
            "on": moment.date(),
            "why": [getattr(w, "english", w) for w in why],
            "draft_waiting": client_id in drafted,
        }
        for client_id, (moment, event, why) in sorted(
            flags.items(), key=lambda kv: (name_of(kv[0]).casefold(), kv[0])
        )
    ]

    to_invoice = []
    for deliverable in invoice_todos(deliverables, rules.deliverables.invoice_within_hours, now):
        approved = local(deliverable.approved_at or deliverable.sent_at)
        to_invoice.append(
            {
                "client": deliverable.client,
                "client_name": name_of(deliverable.client),
                "subject": _base_subject(deliverable.subject),
                "approved_on": approved.date(),
                "days_since": max(0, (today - approved.date()).days),
            }
        )

    # Drafts that became wrong since the digest before this one (the digests are in the outbox).
    earlier = [
        local(e.created_at) for e in outbox if e.kind == keys.DraftKind.DIGEST and local(e.created_at) < now
    ]
    last_digest = max(earlier, default=None)
    no_longer_needed = []
    for entry in sorted(outbox, key=lambda e: (local(e.created_at), e.key)):
        if entry.state not in keys.NO_LONGER_NEEDED:
            continue
        found = attention.found_no_longer_needed(entry, now, local)
        if found is None or (last_digest is not None and found[2] <= last_digest):
            continue
        why, left, when = found
        client_id = keys.client_of(entry.key)
        no_longer_needed.append(
            {
                "key": entry.key,
                "kind": entry.kind,
                "stage": keys.stage_of(entry.key),
                "client": client_id,
                "client_name": name_of(client_id),
                "subject": entry.subject,
                "recipient": entry.recipient,
                "folder": getattr(entry, "folder", None) or "Drafts",
                "why": why,
                "left": left,
                "withdrawn": entry.state == keys.DraftState.WITHDRAWN,
                "on": when.date(),
            }
        )

    to_contact = []
    for entry in attention.contact_todos(outbox, now, local):
        kind, client_id, thing = keys.parse(entry.item)
        to_contact.append(
            {
                "client": client_id,
                "client_name": name_of(client_id),
                "recipient": entry.recipient,
                "subject": _base_subject(entry.subject),
                "stage": keys.stage_of(entry.key),
                "invoice_number": thing if kind == keys.INVOICE else "",
                "on": local(entry.created_at).date(),
            }
        )

    sections = {
        "overdue": overdue,
        "held": [invoice_entry(i) for i in held],
        "deliverables": waiting,
        "drafts": drafts,
        "terminations": terminations,
        "flagged": flagged,
        "to_invoice": to_invoice,
        "to_contact": to_contact,
        "no_longer_needed": no_longer_needed,
    }
    return {
        "today": today,
        **sections,
        "claim_days": rules.escalation.chasing.claims_unconfirmed_days,
        "overdue_count": sum(len(b["invoices"]) for b in overdue),
        "overdue_totals": _totals(i.outstanding for i in late),
        "review_after_hours": rules.termination.review_after_hours,
        "unreadable": unreadable,
        "nothing_to_do": not any(sections.values()),
        # Filled by with_confirmations (issue 15); empty here so every template renders without it.
        "to_confirm": [],
        "credits_to_confirm": [],
        "hold_days": 0,
        "consent_expires": None,
        "other_installations": list(other_installations),
        "money_locales": money_locales(clients),
    }


def money_locales(clients: Mapping[str, Client]) -> dict[str, str]:
    """Each currency's sign: the Babel locale of the first client (by id) billed in it, so the
    digest writes "300,00 £" in Spanish and "£300.00" in English, never "300,00 GBP"."""
    found: dict[str, str] = {}
    for client in sorted(clients.values(), key=lambda c: c.id):
        found.setdefault(client.currency, client.babel_locale)
    return found


# --------------------------------------------------------------------------- helpers


def _owes(invoice: Invoice) -> bool:
    """Money still owed (an invoice whose amount was never read counts as owed)."""
    return invoice.outstanding is None or invoice.outstanding.amount > 0


def _invoice(
    invoice: Invoice,
    client_name: str,
    client: Client | None,
    outbox: list[OutboxRecord],
    taken: Mapping[str, str],
    rules: Rules,
    today: date,
    local,
) -> dict[str, Any]:
    # The day each stage was really sent, in the freelancer's time zone (``local``).
    sent_on = {
        e.key: local(e.sent_at).date() for e in outbox if e.state == keys.DraftState.SENT and e.sent_at
    }
    steps = (
        ladder.invoice_ladder(
            invoice,
            rules.escalation.invoice_stages(client),
            client.calendar,
            sent_on,
            rules.escalation.chasing.stage_gap_days,
        )
        if client
        else []
    )
    items = (keys.invoice_actions(invoice), keys.invoice_item(invoice))
    sent = [
        e
        for e in outbox
        if e.state == keys.DraftState.SENT
        and e.kind in (keys.DraftKind.REMINDER, keys.DraftKind.NOTICE)
        and e.item in items
    ]
    last = max(sent, key=lambda e: (e.sent_at or e.created_at, e.key), default=None)
    # A reminder drafted and not sent yet: the truth is "drafted, not sent", never "sent".
    unsent = [
        e
        for e in outbox
        if e.state in keys.WAITING and e.kind == keys.DraftKind.REMINDER and e.item in items
    ]
    return {
        "client": invoice.client,
        "client_name": client_name,
        "number": invoice.number,
        "subject": invoice.subject,
        "amount": invoice.amount,
        "outstanding": invoice.outstanding,
        "partly_paid": bool(invoice.paid_amount) and invoice.amount is not None,
        "due_date": invoice.due_date,
        "days_overdue": max(0, (today - invoice.due_date).days),
        "status": invoice.status.value,
        "hold_until": invoice.hold_until,
        "hold_note": invoice.hold_note,
        "paid_on": invoice.paid_on,
        # The client said it was paid and nothing confirmed it in time: check the bank.
        "claim_overdue": ledger.claim_unconfirmed(invoice, today, rules.escalation.chasing.claims_unconfirmed_days),
        "chased": client is not None and invoice.status is InvoiceStatus.OPEN,
        "last_stage": (
            None
            if last is None
            else {
                "name": keys.stage_of(last.key),
                "on": local(last.sent_at or last.created_at).date(),
                "notice": last.kind == keys.DraftKind.NOTICE,
            }
        ),
        "next_stage": _next(steps, taken, today) if invoice.status is InvoiceStatus.OPEN else None,
        "unsent_draft": keys.stage_of(max(unsent, key=lambda e: e.created_at).key) if unsent else None,
        # Once the final notice went out, the statutory interest and compensation it claimed, to date.
        "claim": (
            late_payment_claim(
                invoice.outstanding,
                due_date=invoice.due_date,
                today=today,
                country=client.country,
                consumer=client.consumer,
                rates=rules.rates,
            )
            if client is not None
            and rules.rates is not None
            and last is not None
            and steps
            and keys.stage_of(last.key) == steps[-1][0].name
            else None
        ),
    }


def _next(
    steps: list[tuple[Stage, str, date]], taken: Mapping[str, str], today: date
) -> dict[str, Any] | None:
    """The ladder's next stage: its name, day, whether it waits for an unsent draft, is due."""
    found = attention.next_stage(steps, taken, today)
    if found is None:
        return None
    stage, day, waiting = found
    position = [s.name for s, _, _ in steps].index(stage.name)
    return {
        "name": stage.name,
        "on": day,
        "waiting": waiting,
        "due": day <= today and not waiting,
        "number": position + 1,
        "of": len(steps),
    }


def _last_sent(
    steps: list[tuple[Stage, str, date]], outbox: list[OutboxRecord], local
) -> dict[str, Any] | None:
    stage_of = {key: stage for stage, key, _ in steps}
    sent = [e for e in outbox if e.key in stage_of and e.state == keys.DraftState.SENT]
    last = max(sent, key=lambda e: (e.sent_at or e.created_at, e.key), default=None)
    if last is None:
        return None
    return {"name": stage_of[last.key].name, "on": local(last.sent_at or last.created_at).date()}


def _totals(amounts: Iterable[Money | None]) -> list[Money]:
    """What is owed per currency, by currency code; never adds two currencies."""
    totals: dict[str, Decimal] = {}
    for money in amounts:
        if money is not None:
            totals[money.currency] = totals.get(money.currency, Decimal(0)) + money.amount
    return [Money(amount=amount, currency=currency) for currency, amount in sorted(totals.items())]


def _base_subject(subject: str) -> str:
    """The subject without a leading "Re:" (a notice's subject is the draft's reply subject)."""
    subject = " ".join(subject.split())
    head, colon, rest = subject.partition(":")
    if colon and head.strip().lower() in ("re", "aw", "antw", "sv", "res", "rif"):
        return rest.strip()
    return subject


# --------------------------------------------------------------------------- sample


def sample() -> dict[str, Any]:
    """A realistic digest with every section filled, for checking templates at load time.

    ``compose.sample_context("digest", ...)`` renders templates with it, so a typo in any
    section, even one that is empty on most days, is a configuration error.
    """
    utc = UTC
    today = date(2026, 3, 20)
    now = datetime(2026, 3, 20, 8, 30, tzinfo=utc)
    acme = Client(id="acme", name="ACME Soluciones S.L.", contact="Marta López <marta@acme.example>")
    bright = Client(
        id="bright",
        name="Brightside Media Ltd",
        contact="Oliver Hughes <oliver@bright.example>",
        language="en",
        country="GB",
        currency="GBP",
    )
    clients = {c.id: c for c in (acme, bright)}
    rules = Rules(
        clients=clients,
        invoices=InvoiceRules(recognise=Recognition(), extract=Extraction()),
        escalation=Escalation(
            invoice=(
                Stage(name="first-reminder", after_days=1, template="invoice-reminder-1"),
                Stage(name="second-reminder", after_days=7, template="invoice-reminder-2"),
                Stage(name="final-notice", after_days=21, template="invoice-final-notice"),
            ),
            deliverable=(Stage(name="feedback-request", after_days=3, template="deliverable-follow-up-1"),),
        ),
        templates={},
    )

    def invoice(client: str, number: str, amount: str, currency: str, due: date, **more: Any) -> Invoice:
        return Invoice(
            client=client,
            number=number,
            amount=Money(amount=Decimal(amount), currency=currency),
            issue_date=due - timedelta(days=14),
            due_date=due,
            message_id=f"<{number}@me.example>",
            subject=f"Factura {number}",
            sent_at=datetime(due.year, due.month, due.day, 9, 0, tzinfo=utc) - timedelta(days=14),
            **more,
        )

    invoices = [
        invoice("acme", "2025-041", "1210.00", "EUR", date(2025, 12, 10)),
        invoice("acme", "2026-003", "605.00", "EUR", date(2026, 3, 5), paid_amount=Decimal("100.00")),
        invoice(
            "bright",
            "2026-007",
            "450.00",
            "GBP",
            date(2026, 3, 1),
            status=InvoiceStatus.PROMISED,
            hold_until=date(2026, 3, 27),
            hold_note="we will pay on 27 March",
        ),
    ]
    deliverables = [
        Deliverable(
            client="acme",
            message_id="<d1@me.example>",
            subject="Propuesta v2",
            sent_at=datetime(2026, 3, 12, 9, 0, tzinfo=utc),
        ),
        Deliverable(
            client="bright",
            message_id="<d2@me.example>",
            subject="Final logo files",
            sent_at=datetime(2026, 3, 10, 9, 0, tzinfo=utc),
            status=DeliverableStatus.APPROVED,
            answered_at=datetime(2026, 3, 11, 9, 0, tzinfo=utc),
            approved_at=datetime(2026, 3, 11, 9, 0, tzinfo=utc),
        ),
    ]

    class Entry:
        def __init__(
            self, key: str, kind: str, state: str, subject: str, recipient: str, at: datetime, note: str = ""
        ):
            self.key, self.kind, self.state, self.subject, self.recipient = (
                key,
                kind,
                state,
                subject,
                recipient,
            )
            self.created_at, self.item, self.folder = at, key.rsplit("/", 1)[0], "Drafts"
            self.sent_at = at if state == "sent" else None
            self.note, self.updated_at = note, at + timedelta(days=1) if note else at

    outbox = [
        Entry(
            "invoice/acme/2025-041/first-reminder",
            "reminder",
            "sent",
            "Re: Factura 2025-041",
            "marta@acme.example",
            datetime(2025, 12, 11, 9, 0, tzinfo=utc),
        ),
        Entry(
            "invoice/acme/2025-041/second-reminder",
            "reminder",
            "sent",
            "Re: Factura 2025-041",
            "marta@acme.example",
            datetime(2025, 12, 17, 9, 0, tzinfo=utc),
        ),
        Entry(
            "invoice/acme/2025-041/final-notice",
            "reminder",
            "sent",
            "Re: Factura 2025-041",
            "marta@acme.example",
            datetime(2026, 1, 1, 9, 0, tzinfo=utc),
        ),
        Entry(
            "invoice/acme/2026-003/first-reminder",
            "reminder",
            "drafted",
            "Re: Factura 2026-003",
            "marta@acme.example",
            datetime(2026, 3, 6, 9, 0, tzinfo=utc),
        ),
        Entry(
            "termination/acme/suggested-2026",
            "termination",
            "drafted",
            "Nuestra colaboración",
            "marta@acme.example",
            datetime(2026, 3, 19, 9, 0, tzinfo=utc),
        ),
        Entry(
            "invoice/bright/INV-0039/first-reminder",
            "reminder",
            "withdrawn",
            "Re: Invoice INV-0039",
            "oliver@bright.example",
            datetime(2026, 3, 18, 9, 0, tzinfo=utc),
            note="paid/withdrawn",
        ),
        Entry(
            "invoice/acme/2026-002/second-reminder",
            "reminder",
            "obsolete",
            "Re: Factura 2026-002",
            "marta@acme.example",
            datetime(2026, 3, 18, 9, 0, tzinfo=utc),
            note="promised/changed",
        ),
        Entry(
            "deliverable/acme/d1234567/feedback-request",
            "notice",
            "sent",
            "Re: Propuesta v1",
            "marta@acme.example",
            datetime(2026, 3, 18, 9, 0, tzinfo=utc),
        ),
    ]
    journal = [
        (
            "client/acme",
            datetime(2026, 3, 19, 9, 0, tzinfo=utc),
            SUGGESTED,
            ("invoice 2025-041 still unpaid 78 days after the final notice (sent 2026-01-01)",),
        )
    ]
    context = build_digest(
        clients=clients,
        invoices=invoices,
        deliverables=deliverables,
        outbox=outbox,
        journal=journal,
        rules=rules,
        today=today,
        now=now,
        tz=utc,
        unreadable=1,
        other_installations=("3f9a0c41d2",),
    )
    from .bank import Credit

    refund = Credit(
        transaction_id="ES91/TAX-1", booked=date(2026, 3, 18), amount=Decimal("431.17"), currency="EUR",
        name="AGENCIA TRIBUTARIA", remittance="DEVOLUCION IRPF",
    )  # fmt: skip
    held = [invoice("acme", "2025-012", "363.00", "EUR", date(2025, 9, 30))]
    return with_confirmations(
        context, held=held, credits=[refund], clients=clients, hold_days=30,
        consent_expires=date(2026, 3, 30), today=today,
    )  # fmt: skip


def with_confirmations(
    context: dict[str, Any],
    *,
    held: Iterable[Invoice],
    credits: Iterable[Any],
    clients: Mapping[str, Client],
    hold_days: int,
    consent_expires: date | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """The digest with what waits for the freelancer's word (issue 15): the invoices the first
    scan held ("still owed? confirm") and the bank credits no invoice explained.

    ``build_digest`` should be given the invoices without the held ones, so they are not
    listed as overdue and chased as well.
    """
    to_confirm = [
        {
            "client": i.client,
            "client_name": clients[i.client].name if i.client in clients else i.client,
            "number": i.number,
            "amount": i.outstanding,
            "issue_date": i.issue_date,
            "due_date": i.due_date,
        }
        for i in held
    ]
    credits_to_confirm = [
        {"booked": c.booked, "amount": Money(amount=c.amount, currency=c.currency), "payer": c.name or c.iban,
         "reference": c.remittance, "id": c.transaction_id}
        for c in credits
    ]  # fmt: skip
    return {
        **context,
        "to_confirm": to_confirm,
        "hold_days": hold_days,
        "credits_to_confirm": credits_to_confirm,
        # The open-banking consent, named in its last two weeks (and after it ended).
        "consent_expires": consent_expires
        if consent_expires is not None and today is not None and (consent_expires - today).days <= 14
        else None,
        "nothing_to_do": context["nothing_to_do"] and not to_confirm and not credits_to_confirm,
    }
