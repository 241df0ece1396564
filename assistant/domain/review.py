"""The client review (S13): per client, what a period brought in and what it cost in trouble.

Seed 000 asks for a year-end review that helps decide which clients to keep; seed 003 says
about 20 % of clients cause most of the time and trouble. This module turns the ledger
(invoices, deliverables, the outbox of reminders, the journal) into one ``ClientReview``
per client, ranks them worst first by a documented trouble score, names the troublesome
20 %, and ages the receivables. It is pure: the caller loads the values from the store
and passes the period and ``today``.

Currencies are never added together: every amount is a ``dict`` currency -> ``Decimal``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import NamedTuple, Protocol

from . import keys
from .interest import ReferenceRates, late_payment_claim
from .model import Client, Deliverable, DeliverableStatus, Invoice, InvoiceStatus

# Journal events the review reads (written by engine.py and the commands).
SCOPE_CHANGE = keys.JournalEvent.SCOPE_CHANGE  # on item client/<id>
DISPUTED = keys.JournalEvent.DISPUTED  # on item invoice/<client>/<number>
PART_PAID = keys.JournalEvent.PART_PAID  # on item invoice/<client>/<number>

# Receivables ageing: days past the due date, both ends included; "90+" is 91 and more.
AGEING_BUCKETS: tuple[str, ...] = ("0-30", "31-60", "61-90", "90+")


class JournalLine(NamedTuple):
    """One journal line as the review needs it; a plain ``(item, at, event)`` tuple works too."""

    item: str  # invoice/<client>/<number>, deliverable/<client>/<id>, client/<id>
    at: datetime
    event: str


class OutboxAction(Protocol):
    """What the review reads of an outbox entry (``adapters.store.OutboxEntry`` fits)."""

    @property
    def kind(self) -> str: ...  # "reminder", "follow-up"

    @property
    def state(self) -> str: ...  # "pending", "drafted", "sent"

    @property
    def item(self) -> str: ...  # invoice/<client>/<number>

    @property
    def sent_at(self) -> datetime | None: ...


@dataclass(frozen=True, slots=True)
class Period:
    """The days under review: ``start`` included, ``end`` excluded."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"the review period is empty: {self.start} to {self.end}")

    @classmethod
    def year(cls, year: int) -> Period:
        """``--year 2025``: 1 January to 31 December."""
        return cls(date(year, 1, 1), date(year + 1, 1, 1))

    @classmethod
    def since(cls, start: date, today: date) -> Period:
        """``--since 2025-07-01``: that day to today, both included."""
        return cls(start, today + timedelta(days=1))

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day < self.end

    @property
    def label(self) -> str:
        last = self.end - timedelta(days=1)
        if self.start == date(self.start.year, 1, 1) and last == date(self.start.year, 12, 31):
            return str(self.start.year)
        return f"{self.start.isoformat()} – {last.isoformat()}"  # no word: the label goes in any language


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientReview:
    """One client over the period; amounts are currency -> Decimal, never summed across."""

    client: str  # the client's id
    name: str
    currency: str  # the client's own currency (clients.yaml): where the charts place it
    invoiced: Mapping[str, Decimal]  # invoices issued in the period
    paid: Mapping[str, Decimal]  # payments received in the period (see ``_paid_in``)
    invoices: int  # issued in the period
    average_days_late: float | None  # over invoices that fell due in the period; None: none did
    late_payments: int  # of those, paid late or still unpaid after the due date
    reminders: int  # reminders actually sent in the period
    deliverables: int  # work sent in the period
    unanswered_deliverables: int  # ...of which nobody has answered yet
    scope_changes: int  # "one more change" signals in the period
    disputes: int  # invoices disputed in the period
    outstanding: Mapping[str, Decimal]  # still owed today, whenever invoiced
    trouble: float
    rank: int  # 1 is the most trouble
    # Statutory late-payment interest and compensation the law gives today on what is
    # overdue (rates.yaml; none for a consumer or where no law gives one).
    interest: Mapping[str, Decimal] = field(default_factory=dict)
    statements: int = 0  # of the reminders, letters that chased several invoices at once


# --------------------------------------------------------------------------- the score

TROUBLE_FORMULA = (
    "trouble = 2 × late payments + average days late ÷ 7 + 1 × reminders"
    " + 2 × unanswered deliverables + 1.5 × scope changes + 3 × disputes"
)


def trouble_score(
    *,
    late_payments: int,
    average_days_late: float | None,
    reminders: int,
    unanswered_deliverables: int,
    scope_changes: int,
    disputes: int,
) -> float:
    """How much time and worry a client cost, in "reminders' worth" (``TROUBLE_FORMULA``).

    The unit is one reminder the freelancer had to send (weight 1): an email to write and
    a small awkwardness. Everything else is weighed against it:

    * a dispute ×3: payment stops and a person has to talk it through, no template helps;
    * a late payment ×2: a chase *and* money that was counted on and did not come;
    * an unanswered deliverable ×2: the work is in limbo; it cannot be approved, so it
      cannot be invoiced (seed 002), and it needs follow-ups of its own;
    * a scope change ×1.5: more work asked for the same money, a renegotiation;
    * average days late ÷ 7: a week of waiting costs one reminder's worth, as the default
      ladder sends about one reminder a week; dividing keeps one very late invoice from
      outweighing a pattern of lateness.
    """
    score = (
        2 * late_payments
        + (average_days_late or 0.0) / 7
        + 1 * reminders
        + 2 * unanswered_deliverables
        + 1.5 * scope_changes
        + 3 * disputes
    )
    return round(score, 2)


# --------------------------------------------------------------------------- the review


def review_clients(
    *,
    clients: Mapping[str, Client],
    invoices: Iterable[Invoice],
    deliverables: Iterable[Deliverable],
    outbox: Iterable[OutboxAction],
    journal: Iterable[tuple[str, datetime, str]],
    period: Period,
    today: date,
    tz: tzinfo | None = None,
    rates: ReferenceRates | None = None,
) -> list[ClientReview]:
    """One review per client, worst first (ranked 1, 2, 3...).

    Every configured client is reviewed, and every client id the ledger still knows
    (a client removed from clients.yaml keeps its invoices). Timestamps are turned into
    days in ``tz`` (the freelancer's time zone) when given. Ties in trouble are ordered
    by name, so the ranking is stable. With ``rates`` (rates.yaml), each review carries the
    statutory interest and compensation claimable today on what the client owes late.
    """
    invoices = list(invoices)
    deliverables = list(deliverables)
    journal = [JournalLine(*line) for line in journal]
    outbox = list(outbox)

    def day(moment: datetime) -> date:
        if tz is not None and moment.tzinfo is not None:
            moment = moment.astimezone(tz)
        return moment.date()

    ids = set(clients) | {i.client for i in invoices} | {d.client for d in deliverables}
    last_part_paid: dict[str, date] = {}
    scope_changes: Counter[str] = Counter()
    disputes: Counter[str] = Counter()
    for line in journal:
        kind, _, rest = line.item.partition("/")
        if kind == keys.INVOICE and line.event == PART_PAID:
            on = day(line.at)
            last_part_paid[rest] = max(on, last_part_paid.get(rest, on))
        if day(line.at) not in period:
            continue
        if kind == keys.CLIENT and line.event == SCOPE_CHANGE:
            scope_changes[rest] += 1
        elif kind == keys.INVOICE and line.event == DISPUTED:
            disputes[keys.client_of(line.item)] += 1
    # A reminder is a letter the freelancer sent: a statement of account chasing three
    # invoices (their reminders share its Message-ID) is one.
    letters: dict[str, set[object]] = {}
    statements: dict[str, set[object]] = {}
    for action in outbox:
        if (
            action.kind == keys.DraftKind.REMINDER
            and action.state == keys.DraftState.SENT
            and action.sent_at is not None
            and day(action.sent_at) in period
            and keys.parse(action.item).kind in (keys.INVOICE, keys.STATEMENT)
        ):
            letter = getattr(action, "message_id", "") or id(action)
            client_id = keys.client_of(action.item)
            if keys.parse(action.item).kind == keys.STATEMENT:
                statements.setdefault(client_id, set()).add(letter)
            letters.setdefault(client_id, set()).add(letter)
    reminders = Counter({client_id: len(sent) for client_id, sent in letters.items()})

    unsorted = []
    for client_id in ids:
        own = [i for i in invoices if i.client == client_id]
        issued = [i for i in own if i.issue_date in period]
        delays = [_days_late(i, today) for i in own if _fell_due(i, period, today)]
        sent = [d for d in deliverables if d.client == client_id and day(d.sent_at) in period]
        unanswered = sum(1 for d in sent if d.status is DeliverableStatus.OPEN)
        average = sum(delays) / len(delays) if delays else None
        late = sum(1 for d in delays if d > 0)
        client = clients.get(client_id)
        counts = {
            "late_payments": late,
            "average_days_late": average,
            "reminders": reminders[client_id],
            "unanswered_deliverables": unanswered,
            "scope_changes": scope_changes[client_id],
            "disputes": disputes[client_id],
        }
        unsorted.append(
            ClientReview(
                client=client_id,
                name=client.name if client else client_id,
                currency=client.currency if client else _usual_currency(own),
                invoiced=_total((i.amount.currency, i.amount.amount) for i in issued if i.amount),
                paid=_total(_paid_in(i, period, last_part_paid) for i in own),
                invoices=len(issued),
                deliverables=len(sent),
                outstanding=_total(_owed(i) for i in own),
                trouble=trouble_score(**counts),
                rank=0,
                interest=_interest(own, client, rates, today),
                statements=len(statements.get(client_id, ())),
                **counts,
            )
        )
    unsorted.sort(key=lambda r: (-r.trouble, r.name.casefold(), r.client))
    return [replace(r, rank=n) for n, r in enumerate(unsorted, start=1)]


def troublesome(reviews: Iterable[ClientReview]) -> list[ClientReview]:
    """The troublesome 20 % (seed 003): the worst fifth, rounded up, of those with any trouble.

    With one to five clients that is the single worst; a client with no trouble at all is
    never named, so a good year names nobody.
    """
    ranked = sorted(reviews, key=lambda r: r.rank)
    share = -(-len(ranked) // 5)  # ceil(20 %)
    return [r for r in ranked[:share] if r.trouble > 0]


def ageing(invoices: Iterable[Invoice], today: date) -> dict[str, dict[str, Decimal]]:
    """What is owed today by days past the due date: bucket -> currency -> amount.

    The four buckets are always present, in order (``AGEING_BUCKETS``); an invoice due
    today is 0 days past due. Money not yet due is in no bucket: it is not late, so it is
    left out here (it still counts in each client's ``outstanding``).
    """
    buckets: dict[str, dict[str, Decimal]] = {name: {} for name in AGEING_BUCKETS}
    for invoice in invoices:
        owed = _owed(invoice)
        if owed is None or invoice.due_date > today:
            continue
        past = (today - invoice.due_date).days
        name = "0-30" if past <= 30 else "31-60" if past <= 60 else "61-90" if past <= 90 else "90+"
        currency, amount = owed
        buckets[name][currency] = buckets[name].get(currency, Decimal(0)) + amount
    return {name: dict(sorted(amounts.items())) for name, amounts in buckets.items()}


# --------------------------------------------------------------------------- helpers


def _fell_due(invoice: Invoice, period: Period, today: date) -> bool:
    """Due in the period, and either paid (on a known day) or past its due date: it says
    how the client pays. An unpaid invoice due today or later is not late yet.
    """
    if invoice.due_date not in period:
        return False
    if invoice.status is InvoiceStatus.PAID:
        # The Paid tag says paid, not when: such a payment says nothing about lateness
        # (the same rule as the late-payment termination trigger).
        return invoice.paid_via != "keyword"
    return invoice.due_date < today


def _days_late(invoice: Invoice, today: date) -> int:
    """Paid: paid day - due day; unpaid: today - due day; early counts as 0."""
    paid = invoice.status is InvoiceStatus.PAID
    settled = (invoice.paid_on or invoice.due_date) if paid else today
    return max(0, (settled - invoice.due_date).days)


def _paid_in(invoice: Invoice, period: Period, last_part_paid: Mapping[str, date]) -> tuple[str, Decimal]:
    """Money received for ``invoice`` in the period, kept simple.

    A paid invoice counts whole (``paid_amount``, partial payments included) in the period
    of its ``paid_on``. An unpaid one with partial payments counts what was received when
    the last "part-paid" journal line falls in the period. ("", 0) when nothing counts.
    """
    if invoice.amount is None or invoice.paid_amount <= 0:
        return "", Decimal(0)
    if invoice.status is InvoiceStatus.PAID:
        counted = invoice.paid_on in period
    else:
        counted = last_part_paid.get(invoice.key) in period
    return (invoice.amount.currency, invoice.paid_amount) if counted else ("", Decimal(0))


def _owed(invoice: Invoice) -> tuple[str, Decimal] | None:
    """What the client still owes on ``invoice``, or None when nothing is owed."""
    if invoice.status is InvoiceStatus.PAID or invoice.outstanding is None:
        return None
    if invoice.outstanding.amount <= 0:
        return None
    return invoice.outstanding.currency, invoice.outstanding.amount


def _interest(
    invoices: list[Invoice], client: Client | None, rates: ReferenceRates | None, today: date
) -> dict[str, Decimal]:
    """Interest and compensation the law gives today on the client's overdue invoices."""
    if client is None or rates is None:
        return {}
    amounts = []
    for invoice in invoices:
        if _owed(invoice) is None or invoice.due_date >= today:
            continue
        claim = late_payment_claim(
            invoice.outstanding, due_date=invoice.due_date, today=today, country=client.country,
            consumer=client.consumer, rates=rates,
        )  # fmt: skip
        if claim is not None:
            amounts += [
                (claim.interest.currency, claim.interest.amount),
                (claim.compensation.currency, claim.compensation.amount),
            ]
    return _total(amounts)


def _total(amounts: Iterable[tuple[str, Decimal] | None]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for pair in amounts:
        if pair is None or not pair[1]:
            continue
        currency, amount = pair
        totals[currency] = totals.get(currency, Decimal(0)) + amount
    return dict(sorted(totals.items()))


def _usual_currency(invoices: list[Invoice]) -> str:
    """A client no longer in clients.yaml: the currency most of its invoices were in."""
    seen = Counter(i.amount.currency for i in invoices if i.amount)
    return seen.most_common(1)[0][0] if seen else ""
