"""Check-ins: keep in touch during ongoing work (seed 002: "regularly, possibly even weekly").

Pure: the clients, the check-in rule, the ledger's deliverables and invoices, the last
message exchanged with each client, the drafts already written and ``today`` go in; the
check-ins to draft now come out (``due_check_ins``), or, for ``status``, where each
client stands (``outlook``).

* **Work in progress**: the latest deliverable sent to the client is at most
  ``active_within_days`` days old and no invoice to them followed it (an invoice after
  the work says the job is done; a new deliverable starts the next one).
* **Silence**: no message either way for ``after_business_days`` business days of the
  client's country (weekends and its public holidays skipped). Automatic replies and
  bounces are not contact (``contact_in``).
* **Once per silence**: the action key names the day of the last contact,
  ``check-in/<client>/<day>``. The same silence always gives the same key, so it is
  drafted once, ever; only new contact, then a new silence, gives a new one.
* **Not when**: check-ins are off for the client; an invoice of theirs is disputed (a
  person must talk to them, not a template); a termination draft was written for them;
  or a draft to them (a reminder, a follow-up) was already written during this silence,
  which keeps in touch well enough and should not be buried under a second one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from . import calendar, classify, keys, threads
from .model import (
    CheckIn,
    CheckInRule,
    Client,
    Contact,
    Deliverable,
    FolderRole,
    Invoice,
    InvoiceStatus,
    MailHeader,
    Rules,
)


def key(client: Client | str, last_contact_on: date) -> str:
    return keys.check_in_key(client if isinstance(client, str) else client.id, last_contact_on)


def contact_in(header: MailHeader, role: str, rules: Rules, now: datetime) -> Contact | None:
    """The contact with a client that a message is, or None.

    A message in Sent to a client, or in INBOX from one, written by a person: automatic
    replies, out-of-office notices and bounces say nothing about keeping in touch. A date
    in the future (a sender's wrong clock) counts as ``now``, so it cannot hold every
    check-in back for months.
    """
    if role == FolderRole.SENT:
        client, direction = classify.client_of_recipients(header, rules), "to"
    elif role == FolderRole.INBOX:
        client, direction = classify.client_of_sender(header, rules), "from"
    else:
        return None
    if client is None or threads.is_automatic(header) is not None:
        return None
    at = min(header.date, now) if header.date is not None else now
    return Contact(
        client=client.id, at=at, direction=direction, message_id=header.message_id, subject=header.subject
    )


def latest(known: Contact | None, seen: Contact) -> Contact:
    """The later of two contacts with the same client (mail is not read in date order)."""
    return seen if known is None or seen.at > known.at else known


@dataclass(frozen=True, slots=True, kw_only=True)
class Outlook:
    """Where a client stands with check-ins: for planning, and for ``status``."""

    client: str
    after_days: int | None  # None: check-ins are off for this client
    work: Deliverable | None = None  # the work in progress
    last_contact: datetime | None = None
    due_on: date | None = None
    key: str = ""
    # Why no check-in will be drafted for this silence, in the freelancer's words; "" when
    # one will be on ``due_on``.
    held: str = ""

    def due(self, today: date) -> bool:
        return not self.held and self.due_on is not None and self.due_on <= today


def work_in_progress(
    client: Client, deliverables: Iterable[Deliverable], invoices: Iterable[Invoice], rule: CheckInRule,
    today: date, tz: tzinfo,
) -> Deliverable | None:  # fmt: skip
    """The client's latest deliverable, when it is recent and no invoice followed it."""
    work = max((d for d in deliverables if d.client == client.id), key=lambda d: d.sent_at, default=None)
    if work is None or work.sent_at.astimezone(tz).date() < today - timedelta(days=rule.active_within_days):
        return None
    if any(i.client == client.id and i.sent_at > work.sent_at for i in invoices):
        return None
    return work


def outlook(
    client: Client,
    rule: CheckInRule,
    *,
    deliverables: Iterable[Deliverable],
    invoices: Iterable[Invoice],
    contact: Contact | None,
    drafts: Iterable[tuple[str, datetime]],
    today: date,
    tz: tzinfo,
) -> Outlook:
    """Where ``client`` stands: work in progress, last contact, the day a check-in is due.

    ``drafts`` are the action keys taken so far, each with when its draft was written.
    """
    after = rule.after_days(client)
    if after is None:
        return Outlook(client=client.id, after_days=None, held="check-ins are off for this client")
    deliverables = [d for d in deliverables if d.client == client.id]
    invoices = [i for i in invoices if i.client == client.id]
    work = work_in_progress(client, deliverables, invoices, rule, today, tz)
    if work is None:
        return Outlook(
            client=client.id,
            after_days=after,
            held=f"no work in progress (no deliverable in the last {rule.active_within_days} days, "
            "or it was invoiced)",
        )
    # What the ledger itself saw is contact too: it covers mail read before the store
    # recorded contacts (a state migrated from an older version).
    last = max(
        [
            *([contact.at] if contact is not None else []),
            *(d.sent_at for d in deliverables),
            *(d.answered_at for d in deliverables if d.answered_at is not None),
            *(i.sent_at for i in invoices),
        ]
    )
    last_on = last.astimezone(tz).date()
    due_on = calendar.add_business_days(last_on, after, client.calendar)
    this_key = key(client, last_on)
    ours = [(k, at) for k, at in drafts if keys.client_of(k) == client.id]
    held = ""
    if any(i.status is InvoiceStatus.DISPUTED for i in invoices):
        held = "an invoice is disputed: that needs a conversation, not a check-in"
    elif any(keys.is_termination(k) for k, _ in ours):
        held = "a termination draft was written for this client"
    elif any(k == this_key for k, _ in ours):
        held = "the check-in for this silence was written"
    elif any(at > last for _, at in ours):
        held = "a draft to this client was written since the last contact"
    return Outlook(
        client=client.id,
        after_days=after,
        work=work,
        last_contact=last,
        due_on=due_on,
        key=this_key,
        held=held,
    )


def due_check_ins(
    clients: Mapping[str, Client],
    rule: CheckInRule,
    *,
    deliverables: Iterable[Deliverable],
    invoices: Iterable[Invoice],
    contacts: Mapping[str, Contact],
    drafts: Iterable[tuple[str, datetime]],
    today: date,
    tz: tzinfo,
) -> list[CheckIn]:
    """The check-ins to draft on ``today``, one per client at most."""
    wanted = [c for c in clients.values() if rule.after_days(c) is not None]
    if not wanted:  # the rule is off (the default): nothing to look at
        return []
    deliverables, invoices, drafts = list(deliverables), list(invoices), list(drafts)
    check_ins = []
    for client in wanted:
        seen = outlook(
            client, rule, deliverables=deliverables, invoices=invoices, contact=contacts.get(client.id),
            drafts=drafts, today=today, tz=tz,
        )  # fmt: skip
        if seen.due(today):
            assert seen.work is not None and seen.last_contact is not None and seen.due_on is not None
            check_ins.append(
                CheckIn(
                    key=seen.key,
                    client=client.id,
                    work=seen.work,
                    last_contact=seen.last_contact,
                    due_on=seen.due_on,
                )
            )
    return check_ins
