"""Termination: when a client relationship should end, and what the email must carry.

Pure: a client's ledger (invoices, deliverables, the final notices sent, the scope-change
signals) and ``today`` go in; a ``Termination`` case comes out, or nothing. The triggers
are those of termination.yaml (seeds 000, 001, 003, 004):

* an invoice still unpaid N days after its final notice was sent;
* several deliverables unanswered for weeks ("waiting days or weeks for an answer");
* repeated late payments within a year;
* repeated scope changes ("otro cambio", "one more change", "nog een wijziging").

The email itself follows S7-S12: one general reason, the notice period and last day,
what remains, every outstanding invoice (attached), the handover, referrals, thanks.
It is only ever a draft; see ``adapters/smtp.py`` for why it can never be sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from . import calendar, keys, ledger
from .model import (
    Client,
    Deliverable,
    DeliverableStatus,
    Invoice,
    InvoiceStatus,
    Rules,
    Termination,
)
from .said import Said, said

UNPAID = ledger.UNPAID


@dataclass(frozen=True, slots=True)
class Trigger:
    """One trigger that fired, with the reason it implies and the evidence for the freelancer."""

    name: str
    reason: str
    said: Said  # the evidence for the freelancer, in words any view can say

    @property
    def evidence(self) -> str:
        return self.said.english


def owed(invoices: Iterable[Invoice]) -> list[Invoice]:
    """Invoices with money still owed, oldest due first. One the client says is paid is not
    listed as owed to them (it is unconfirmed, for the freelancer to check, not to claim)."""
    return sorted(
        (
            i
            for i in invoices
            if i.status in UNPAID
            and i.status is not InvoiceStatus.CLAIMED
            and (i.outstanding is None or i.outstanding.amount > 0)
        ),
        key=lambda i: i.due_date,
    )


def late_payments(
    invoices: Iterable[Invoice],
    since: date,
    today: date,
    *,
    final_notices: Mapping[str, datetime] | None = None,
    grace_days: int = 0,
) -> list[Invoice]:
    """Invoices due in [since, today] that were paid late: paid more than ``grace_days``
    after their due date, or still unpaid after their final notice was sent
    (``final_notices``: invoice number -> when). An invoice merely overdue is being chased
    by the ladder; it is not a late payment yet.

    A payment known only from the Paid tag has no date (the tag says paid, not when), so
    it never counts as late.
    """
    final_notices = final_notices or {}
    late = []
    for invoice in invoices:
        if not since <= invoice.due_date <= today:
            continue
        if invoice.status in (InvoiceStatus.PAID, InvoiceStatus.CLAIMED):
            # A client who says they paid on a day dates the payment themselves.
            if (
                invoice.paid_via != "keyword"
                and invoice.paid_on is not None
                and (invoice.paid_on - invoice.due_date).days > grace_days
            ):
                late.append(invoice)
        elif invoice.status in UNPAID and invoice.number in final_notices:
            late.append(invoice)
    return late


def last_working_day(start: date, notice_days: int, client: Client) -> date:
    """``notice_days`` after ``start``, moved forward to a business day of the client's
    country: a notice never ends on a Sunday or on Epiphany in Spain."""
    day = start + timedelta(days=notice_days)
    while not calendar.is_business_day(day, client.calendar):
        day += timedelta(days=1)
    return day


def triggers(
    client: Client,
    invoices: Sequence[Invoice],
    deliverables: Sequence[Deliverable],
    final_notices: Mapping[str, datetime],
    scope_changes: Sequence[datetime],
    rules: Rules,
    today: date,
    tz: tzinfo,
) -> list[Trigger]:
    """Every trigger of termination.yaml that fires for ``client`` on ``today``.

    ``final_notices`` maps invoice numbers to when their last ladder stage was sent;
    ``scope_changes`` are the dates of the client's scope-change messages.
    """
    config = rules.termination.triggers
    fired: list[Trigger] = []
    unpaid = [i for i in invoices if i.client == client.id and i.status in UNPAID]

    if config.unpaid_after_final_notice is not None:
        days = config.unpaid_after_final_notice.days
        for invoice in unpaid:
            sent = final_notices.get(invoice.number)
            if sent is not None and (today - sent.astimezone(tz).date()).days >= days:
                waited = (today - sent.astimezone(tz).date()).days
                fired.append(
                    Trigger(
                        "unpaid-after-final-notice",
                        "non-payment",
                        said(
                            "unpaid_after_final_notice",
                            number=invoice.number,
                            days=waited,
                            day=f"{sent.astimezone(tz):%Y-%m-%d}",
                        ),
                    )
                )
                break

    if config.unanswered_deliverables is not None:
        wait = config.unanswered_deliverables.days
        silent = [
            d
            for d in deliverables
            if d.client == client.id
            and d.status is DeliverableStatus.OPEN
            and (today - d.sent_at.astimezone(tz).date()).days >= wait
        ]
        if len(silent) >= config.unanswered_deliverables.count:
            listed = "; ".join(f"{d.subject!r} (sent {d.sent_at.astimezone(tz):%Y-%m-%d})" for d in silent)
            fired.append(
                Trigger(
                    "unanswered-deliverables",
                    "no-feedback",
                    said("unanswered_deliverables", count=len(silent), days=wait, listed=listed),
                )
            )

    if config.late_payments is not None:
        since = today - timedelta(days=config.late_payments.days)
        late = late_payments(
            (i for i in invoices if i.client == client.id),
            since,
            today,
            final_notices=final_notices,
            grace_days=config.late_payments.grace_days,
        )
        if len(late) >= config.late_payments.count:
            fired.append(
                Trigger(
                    "late-payments",
                    "non-payment",
                    said(
                        "late_payments",
                        count=len(late),
                        days=config.late_payments.days,
                        numbers=", ".join(i.number for i in late),
                    ),
                )
            )

    if config.scope_changes is not None:
        since = today - timedelta(days=config.scope_changes.days)
        recent = [d for d in scope_changes if d.astimezone(tz).date() >= since]
        if len(recent) >= config.scope_changes.count:
            fired.append(
                Trigger(
                    "scope-changes",
                    "scope-changes",
                    said("scope_changes", count=len(recent), days=config.scope_changes.days),
                )
            )
    return fired


def case(
    client: Client,
    reason: str,
    *,
    key: str,
    invoices: Sequence[Invoice],
    deliverables: Sequence[Deliverable],
    rules: Rules,
    today: date,
    evidence: tuple[str, ...] = (),
    evidence_said: tuple[Said, ...] = (),
    suggested: bool = False,
    final_notices: Mapping[str, datetime] | None = None,
    discussed_on: date | None = None,
) -> Termination:
    """The termination email's facts for ``client``: notice, last day, what is owed and pending.

    ``final_notices`` (invoice number -> when its final notice was sent) tells whether the
    work is paused: a final notice of an invoice still owed said so.
    """
    notice = rules.notice_days(client)
    outstanding = owed(i for i in invoices if i.client == client.id)
    paused = any(i.number in (final_notices or {}) for i in outstanding)
    return Termination(
        key=key,
        client=client.id,
        reason=reason,
        evidence=evidence,
        evidence_said=evidence_said,
        invoices=tuple(outstanding),
        deliverables=tuple(
            d for d in deliverables if d.client == client.id and d.status is DeliverableStatus.OPEN
        ),
        notice_days=notice,
        final_day=last_working_day(today, notice, client),
        suggested=suggested,
        work_paused=paused,
        discussed_on=discussed_on,
    )


SUGGESTION_GAP_DAYS = 365


def suggestion_key(client: Client, today: date) -> str:
    """The key of a suggestion made on ``today`` (``may_suggest`` says whether one may be)."""
    return keys.suggested_termination_key(client.id, today)


def may_suggest(earlier: Iterable[tuple[date, bool]], today: date) -> bool:
    """Whether a termination may be suggested today, given the client's earlier termination
    drafts as (the day written, still waiting unsent in Drafts): at most one in any
    365 days, a rolling year (23 December and 1 January are a week apart, not two years),
    and never while one waits to be sent: it is advice, not nagging."""
    for written_on, waiting in earlier:
        if waiting or (today - written_on).days < SUGGESTION_GAP_DAYS:
            return False
    return True


def manual_key(client: Client, reason: str) -> str:
    return keys.termination_key(client.id, reason)


def held(termination: Termination, rules: Rules) -> bool:
    """Seed 003: with hold_until_paid, no termination draft while money is owed."""
    return rules.termination.hold_until_paid and termination.money_owed
