"""Ladder: which escalation stage is due, for which invoice or deliverable, on a given day.

Pure: the open items, the stages of escalation.yaml, the action keys already taken (and
their state) and ``today`` go in; the drafts to write now come out.

Three rules shape the result:

* An action key is used once, ever. A taken key (drafted, sent, or a draft the
  freelancer deleted) is never planned again, and neither is any stage before it.
* The ladder advances on what was *sent*: while the last taken stage is a draft the
  freelancer has not sent, nothing further is planned (it is reported instead).
* After downtime several stages may be due at once. They become one catch-up draft for
  the latest of them, not a burst; the earlier ones are named in ``skipped`` and are
  never drafted afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, tzinfo

from . import calendar, keys
from .model import (
    Client,
    Deliverable,
    DeliverableStatus,
    FollowUp,
    Invoice,
    InvoiceStatus,
    Reminder,
    Stage,
)

SENT = keys.DraftState.SENT


def action_key(invoice: Invoice, stage: Stage) -> str:
    """``invoice/<client>/<number>/<stage>`` (``keys.reminder_key``)."""
    return keys.reminder_key(invoice, stage.name)


def follow_up_key(deliverable: Deliverable, stage: Stage) -> str:
    return keys.follow_up_key(deliverable, stage.name)


def stage_date(invoice: Invoice, stage: Stage, country: str) -> date:
    return calendar.shift(invoice.due_date, stage.after_days, stage.days, country)


def follow_up_date(deliverable: Deliverable, stage: Stage, country: str, tz: tzinfo) -> date:
    return calendar.shift(deliverable.sent_at.astimezone(tz).date(), stage.after_days, stage.days, country)


def _next(keys_and_dates: list[tuple[Stage, str, date]], taken: Mapping[str, str], today: date):
    """(stage, key, day, skipped) of the draft to write now, or None.

    ``keys_and_dates`` lists every stage of a ladder with its key and its day.
    """
    last = max((i for i, (_, key, _) in enumerate(keys_and_dates) if key in taken), default=-1)
    if last >= 0 and taken[keys_and_dates[last][1]] != SENT:
        return None  # the previous draft waits in Drafts: no second one on top of it
    due = [(stage, key, day) for stage, key, day in keys_and_dates[last + 1 :] if day <= today]
    if not due:
        return None
    stage, key, day = due[-1]
    return stage, key, day, tuple(s.name for s, _, _ in due[:-1])


def due_reminders(
    invoices: Iterable[Invoice],
    stages: tuple[Stage, ...],
    clients: Mapping[str, Client],
    taken: Mapping[str, str],
    today: date,
) -> list[Reminder]:
    reminders = []
    for invoice in invoices:
        if invoice.status is not InvoiceStatus.OPEN:
            continue
        client = clients.get(invoice.client)
        if client is None:
            continue  # the client was removed from clients.yaml: stop chasing
        found = _next(invoice_ladder(invoice, stages, client.country), taken, today)
        if found is not None:
            stage, key, day, skipped = found
            reminders.append(Reminder(key=key, invoice=invoice, stage=stage, due_on=day, skipped=skipped))
    return reminders


def due_follow_ups(
    deliverables: Iterable[Deliverable],
    stages: tuple[Stage, ...],
    clients: Mapping[str, Client],
    taken: Mapping[str, str],
    today: date,
    tz: tzinfo,
) -> list[FollowUp]:
    follow_ups = []
    for deliverable in deliverables:
        if deliverable.status is not DeliverableStatus.OPEN:
            continue
        client = clients.get(deliverable.client)
        if client is None:
            continue
        found = _next(deliverable_ladder(deliverable, stages, client.country, tz), taken, today)
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

    Like ``upcoming``, except when stages are due already: then it is the stage the next
    pass drafts, the latest of them (the catch-up), not the first.
    """
    found = upcoming(keys_and_dates, taken)
    if found is None or found[2] or found[1] > today:
        return found
    due = _next(keys_and_dates, taken, today)
    return (due[0], due[2], False) if due is not None else found


def invoice_ladder(
    invoice: Invoice, stages: tuple[Stage, ...], country: str
) -> list[tuple[Stage, str, date]]:
    return [(s, action_key(invoice, s), stage_date(invoice, s, country)) for s in stages]


def deliverable_ladder(
    deliverable: Deliverable, stages: tuple[Stage, ...], country: str, tz: tzinfo
) -> list[tuple[Stage, str, date]]:
    return [(s, follow_up_key(deliverable, s), follow_up_date(deliverable, s, country, tz)) for s in stages]
