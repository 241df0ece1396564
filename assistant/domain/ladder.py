"""Ladder: which escalation stage is due, for which invoice or deliverable, on a given day.

Pure: the open items, the stages of escalation.yaml, the action keys already taken (and
their state) and ``today`` go in; the drafts to write now come out.

Three rules shape the result:

* An action key is used once, ever. A taken key (drafted, sent, or a draft the
  freelancer deleted) is never planned again, and neither is any stage before it.
* The ladder advances on what was *sent*: while the last taken stage is a draft the
  freelancer has not sent, nothing further is planned (it is reported instead). Sent
  counts whoever wrote it: our draft, sent from any mail client, or a reminder the
  freelancer wrote herself in the invoice's thread.
* It climbs one rung at a time. The first reminder an invoice gets is always the first
  stage, however late the assistant first sees it; the next is the stage after the last
  one sent, on its day counted from the due date and never sooner after the previous
  message than the ladder spaces them (``sent_on``). After downtime the pass writes one
  draft, of the stage due, never a harsher one for messages the client never received.

Chasing is per client (issue 18): ``chase: false`` chases nothing, ``ladder:`` picks a
named ladder, an invoice owing less than the minimum amount is left alone, and a client
who had a reminder fewer than ``min_gap_days`` ago waits. Several reminders due to one
client on one day become one statement of account (``group_statements``). Before and
after the ladder: a friendly note some days before the due date and a thank-you once an
invoice is confirmed paid, both off unless turned on, both planned here as reminders
with stages of their own (``before-due``, ``thank-you``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta, tzinfo
from urllib.parse import quote

from . import calendar, keys
from .model import (
    BeforeDueRule,
    Chasing,
    Client,
    Deliverable,
    DeliverableStatus,
    FollowUp,
    Invoice,
    InvoiceStatus,
    Reminder,
    Stage,
    Statement,
    ThankYouRule,
    deliverable_id,
)

SENT = keys.DraftState.SENT


def action_key(invoice: Invoice, stage: Stage) -> str:
    """``invoice/<client>/<number>/<stage>`` (``keys.reminder_key``)."""
    return keys.reminder_key(invoice, stage.name)


def follow_up_key(deliverable: Deliverable, stage: Stage) -> str:
    return keys.follow_up_key(deliverable, stage.name)


def final_stage(stages: tuple[Stage, ...]) -> Stage | None:
    """The final notice of a ladder: the stage marked ``final``, else the last one."""
    marked = [s for s in stages if s.final]
    return marked[0] if marked else (stages[-1] if stages else None)


def stage_date(invoice: Invoice, stage: Stage, country: str) -> date:
    return calendar.shift(invoice.due_date, stage.after_days, stage.days, country)


def follow_up_date(deliverable: Deliverable, stage: Stage, country: str, tz: tzinfo) -> date:
    return calendar.shift(deliverable.sent_at.astimezone(tz).date(), stage.after_days, stage.days, country)


def sent_days(outbox: Iterable, tz: tzinfo) -> dict[str, date]:
    """The day each action key was really sent (outbox entries ``sent`` with a ``sent_at``)."""
    return {
        e.key: e.sent_at.astimezone(tz).date()
        for e in outbox
        if e.state == SENT and getattr(e, "sent_at", None) is not None
    }


DEFAULT_STAGE_GAP_DAYS = Chasing().stage_gap_days


def _spaced(
    steps: list[tuple[Stage, str, date]], sent_on: Mapping[str, date] | None, gap_days: int
) -> list[tuple[Stage, str, date]]:
    """Each stage's day, moved later when the stage before it was sent late: never sooner
    than ``gap_days`` after that message (a first reminder sent on day 20 does not bring
    the second reminder, due on day 7, the next morning)."""
    if not sent_on:
        return steps
    spaced = list(steps)
    for i in range(1, len(spaced)):
        stage, key, day = spaced[i]
        sent = sent_on.get(spaced[i - 1][1])
        if sent is not None:
            day = max(day, sent + timedelta(days=gap_days))
        spaced[i] = (stage, key, day)
    return spaced


def _next(keys_and_dates: list[tuple[Stage, str, date]], taken: Mapping[str, str], today: date):
    """(stage, key, day, skipped) of the draft to write now, or None.

    ``keys_and_dates`` lists every stage of a ladder with its key and its day. The draft is
    always the stage right after the last one taken: stages are climbed, never skipped.
    """
    last = max((i for i, (_, key, _) in enumerate(keys_and_dates) if key in taken), default=-1)
    if last >= 0 and taken[keys_and_dates[last][1]] != SENT:
        return None  # the previous draft waits in Drafts: no second one on top of it
    if last + 1 >= len(keys_and_dates):
        return None
    stage, key, day = keys_and_dates[last + 1]
    if day > today:
        return None
    return stage, key, day, ()


# Stages outside the ladder: they never count as a reminder (for the gap) nor move it.
BEFORE_DUE = "before-due"
THANK_YOU = "thank-you"


def due_reminders(
    invoices: Iterable[Invoice],
    stages: tuple[Stage, ...],
    clients: Mapping[str, Client],
    taken: Mapping[str, str],
    today: date,
    *,
    ladders: Mapping[str, tuple[Stage, ...]] | None = None,
    chasing: Chasing = Chasing(),
    last_reminded: Mapping[str, date] | None = None,
    sent_on: Mapping[str, date] | None = None,
) -> list[Reminder]:
    """The ladder stages due today, one per invoice.

    ``stages`` is escalation.yaml's ``invoice`` ladder; ``ladders`` its named ones (a
    client's ``ladder:``). ``last_reminded`` is the day of the latest reminder drafted to
    each client (``last_reminder_days``), for the minimum gap between two reminders;
    ``sent_on`` the day each stage was really sent (``sent_days``).
    """
    reminders = []
    ladders = ladders or {}
    last_reminded = last_reminded or {}
    held: set[str] = set()  # clients who got a reminder in this pass, for the gap
    for invoice in invoices:
        if invoice.status is not InvoiceStatus.OPEN:
            continue
        client = clients.get(invoice.client)
        if client is None:
            continue  # the client was removed from clients.yaml: stop chasing
        if not chased(invoice, client, chasing):
            continue
        gap = client.min_gap_days if client.min_gap_days is not None else chasing.min_gap_days
        last = last_reminded.get(client.id)
        if gap and last is not None and today < last + timedelta(days=gap):
            continue  # waits: the next pass after the gap plans it
        if gap and client.id in held and not client.statement:
            continue  # one reminder to them today; a statement would have taken them all
        client_stages = ladders.get(client.ladder, stages) if client.ladder else stages
        steps = invoice_ladder(invoice, client_stages, client.calendar, sent_on, chasing.stage_gap_days)
        found = _next(steps, taken, today)
        if found is not None:
            stage, key, day, skipped = found
            reminders.append(Reminder(key=key, invoice=invoice, stage=stage, due_on=day, skipped=skipped))
            held.add(client.id)
    return reminders


def chased(invoice: Invoice, client: Client, chasing: Chasing = Chasing()) -> bool:
    """Whether the freelancer wants ``invoice`` chased at all: ``chase: false`` and an amount
    owed below the minimum are left alone (an unknown amount is chased)."""
    if not client.chase:
        return False
    owed = invoice.outstanding
    if owed is None:
        return True
    minimum = client.min_amount if client.min_amount is not None else chasing.min_amount.get(owed.currency)
    return minimum is None or owed.amount >= minimum


def last_reminder_days(drafts: Iterable[tuple[str, datetime]], tz: tzinfo) -> dict[str, date]:
    """The day of the latest reminder (or statement) drafted to each client, from the
    outbox's (key, created) pairs; notes before the due date and thank-yous do not count."""
    days: dict[str, date] = {}
    for key, created in drafts:
        parts = key.split("/")
        if len(parts) < 3 or parts[0] not in ("invoice", "statement"):
            continue
        if parts[0] == "invoice" and parts[-1] in (BEFORE_DUE, THANK_YOU):
            continue
        day = created.astimezone(tz).date()
        client = parts[1]
        if client not in days or day > days[client]:
            days[client] = day
    return days


def group_statements(
    reminders: Iterable[Reminder],
    clients: Mapping[str, Client],
    stages: tuple[Stage, ...],
    today: date,
    *,
    ladders: Mapping[str, tuple[Stage, ...]] | None = None,
) -> list[Reminder | Statement]:
    """Reminders due to one client today, two or more, as one statement of account.

    A client with ``statement: false`` keeps one draft per invoice. The statement lists
    its invoices oldest first and threads under the oldest; its key is
    ``statement/<client>/<day>`` and it carries every reminder's own key.
    """
    ladders = ladders or {}
    by_client: dict[str, list[Reminder]] = {}
    for reminder in reminders:
        by_client.setdefault(reminder.invoice.client, []).append(reminder)
    out: list[Reminder | Statement] = []
    for client_id, group in by_client.items():
        client = clients.get(client_id)
        if client is None or not client.statement or len(group) < 2:
            out.extend(group)
            continue
        client_stages = ladders.get(client.ladder, stages) if client.ladder else stages
        group.sort(key=lambda r: (r.invoice.issue_date, r.invoice.sent_at, r.invoice.number))
        out.append(
            Statement(
                key=f"statement/{client_id}/{today.isoformat()}",
                client=client_id,
                reminders=tuple(group),
                due_on=today,
                first_stage=client_stages[0].name,
                final_stage=client_stages[-1].name,
            )
        )
    return out


def due_before_notes(
    invoices: Iterable[Invoice],
    rule: BeforeDueRule,
    clients: Mapping[str, Client],
    taken: Mapping[str, str],
    today: date,
    *,
    chasing: Chasing = Chasing(),
) -> list[Reminder]:
    """Friendly notes due today, some days before an invoice's due date (off by default).

    From the note's day up to the due date itself: a pass that missed the day still
    writes it, but never once the invoice is overdue (the ladder speaks then), and never
    on the day the invoice went out.
    """
    notes = []
    for invoice in invoices:
        client = clients.get(invoice.client)
        if client is None or invoice.status is not InvoiceStatus.OPEN or not chased(invoice, client, chasing):
            continue
        days = rule.days_for(client)
        if days is None:
            continue
        day = invoice.due_date - timedelta(days=days)
        if not (day <= today <= invoice.due_date) or day <= invoice.issue_date:
            continue
        stage = Stage(name=BEFORE_DUE, after_days=-days, template=rule.template, attach_invoice=False)
        key = action_key(invoice, stage)
        if key not in taken:
            notes.append(Reminder(key=key, invoice=invoice, stage=stage, due_on=day))
    return notes


def due_thanks(
    invoices: Iterable[Invoice],
    rule: ThankYouRule,
    clients: Mapping[str, Client],
    taken: Mapping[str, str],
    today: date,
) -> list[Reminder]:
    """ "Thank you, payment received" drafts (off by default) for invoices confirmed paid in
    the last ``within_days`` days. The client's own word alone is not confirmation: a
    misread "paid" must not thank them for money that never came."""
    thanks = []
    for invoice in invoices:
        client = clients.get(invoice.client)
        if client is None or invoice.status is not InvoiceStatus.PAID or not rule.wanted(client):
            continue
        if invoice.paid_on is None or invoice.paid_via == "client":
            continue
        if not (invoice.paid_on <= today <= invoice.paid_on + timedelta(days=rule.within_days)):
            continue
        stage = Stage(name=THANK_YOU, after_days=0, template=rule.template, attach_invoice=False)
        key = action_key(invoice, stage)
        if key not in taken:
            thanks.append(Reminder(key=key, invoice=invoice, stage=stage, due_on=invoice.paid_on))
    return thanks


def due_follow_ups(
    deliverables: Iterable[Deliverable],
    stages: tuple[Stage, ...],
    clients: Mapping[str, Client],
    taken: Mapping[str, str],
    today: date,
    tz: tzinfo,
    sent_on: Mapping[str, date] | None = None,
    gap_days: int = DEFAULT_STAGE_GAP_DAYS,
) -> list[FollowUp]:
    follow_ups = []
    for deliverable in deliverables:
        if deliverable.status is not DeliverableStatus.OPEN:
            continue
        client = clients.get(deliverable.client)
        if client is None:
            continue
        found = _next(deliverable_ladder(deliverable, stages, client.calendar, tz, sent_on, gap_days), taken, today)
        if found is not None:
            stage, key, day, skipped = found
            follow_ups.append(
                FollowUp(key=key, deliverable=deliverable, stage=stage, due_on=day, skipped=skipped)
            )
    return follow_ups


def upcoming(
    keys_and_dates: list[tuple[Stage, str, date]], taken: Mapping[str, str]
) -> tuple[Stage, date, bool] | None:
    """The next stage not taken yet, its day, and whether it waits for an unsent draft."""
    last = max((i for i, (_, key, _) in enumerate(keys_and_dates) if key in taken), default=-1)
    waiting = last >= 0 and taken[keys_and_dates[last][1]] != SENT
    for stage, _, day in keys_and_dates[last + 1 :]:
        return stage, day, waiting
    return None


def coming(
    keys_and_dates: list[tuple[Stage, str, date]], taken: Mapping[str, str], today: date
) -> tuple[Stage, date, bool] | None:
    """What the ladder does next: the stage, its day, and whether it waits for an unsent draft.

    The stage after the last one taken (stages are climbed one at a time, downtime or not),
    so the same answer as ``upcoming``; ``today`` is kept for the callers' sake.
    """
    return upcoming(keys_and_dates, taken)


def invoice_ladder(
    invoice: Invoice,
    stages: tuple[Stage, ...],
    country: str,
    sent_on: Mapping[str, date] | None = None,
    gap_days: int = DEFAULT_STAGE_GAP_DAYS,
) -> list[tuple[Stage, str, date]]:
    steps = [(s, action_key(invoice, s), stage_date(invoice, s, country)) for s in stages]
    return _spaced(steps, sent_on, gap_days)


def deliverable_ladder(
    deliverable: Deliverable,
    stages: tuple[Stage, ...],
    country: str,
    tz: tzinfo,
    sent_on: Mapping[str, date] | None = None,
    gap_days: int = DEFAULT_STAGE_GAP_DAYS,
) -> list[tuple[Stage, str, date]]:
    steps = [(s, follow_up_key(deliverable, s), follow_up_date(deliverable, s, country, tz)) for s in stages]
    return _spaced(steps, sent_on, gap_days)
