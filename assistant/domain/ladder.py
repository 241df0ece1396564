"""Ladder: which escalation stage is due for which invoice, on a given day.

Pure: open invoices, the stages of escalation.yaml, the action keys already taken and
``today`` go in; the reminders to draft now come out.

Two rules shape the result:

* An action key is used once, ever. A key in ``taken`` (drafted, sent, or a draft the
  freelancer deleted) is never planned again, and neither is any stage before it.
* After downtime several stages may be due at once. They become one catch-up reminder
  for the latest of them, not a burst of drafts; the earlier ones are named in
  ``Reminder.skipped`` and are never drafted afterwards.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import date
from urllib.parse import quote

from . import calendar
from .model import Client, Invoice, InvoiceStatus, Reminder, Stage


def action_key(invoice: Invoice, stage: Stage) -> str:
    """``invoice/<client>/<number>/<stage>``; the number is quoted so '/' stays unambiguous."""
    return f"invoice/{invoice.client}/{quote(invoice.number, safe='-_.')}/{stage.name}"


def stage_date(invoice: Invoice, stage: Stage, country: str) -> date:
    return calendar.shift(invoice.due_date, stage.after_days, stage.days, country)


def due_reminders(
    invoices: Iterable[Invoice],
    stages: tuple[Stage, ...],
    clients: Mapping[str, Client],
    taken: Collection[str],
    today: date,
) -> list[Reminder]:
    reminders = []
    for invoice in invoices:
        if invoice.status is not InvoiceStatus.OPEN:
            continue
        client = clients.get(invoice.client)
        if client is None:
            continue  # the client was removed from clients.yaml: stop chasing
        reminder = next_reminder(invoice, stages, client.country, taken, today)
        if reminder is not None:
            reminders.append(reminder)
    return reminders


def next_reminder(
    invoice: Invoice, stages: tuple[Stage, ...], country: str, taken: Collection[str], today: date
) -> Reminder | None:
    last_taken = max((i for i, s in enumerate(stages) if action_key(invoice, s) in taken), default=-1)
    due = [
        (stage, on)
        for stage in stages[last_taken + 1 :]
        if (on := stage_date(invoice, stage, country)) <= today
    ]
    if not due:
        return None
    stage, on = due[-1]
    return Reminder(
        key=action_key(invoice, stage),
        invoice=invoice,
        stage=stage,
        due_on=on,
        skipped=tuple(s.name for s, _ in due[:-1]),
    )


def upcoming(
    invoice: Invoice, stages: tuple[Stage, ...], country: str, taken: Collection[str]
) -> tuple[Stage, date] | None:
    """The next stage not taken yet and the day it comes due (for ``status``)."""
    last_taken = max((i for i, s in enumerate(stages) if action_key(invoice, s) in taken), default=-1)
    for stage in stages[last_taken + 1 :]:
        return stage, stage_date(invoice, stage, country)
    return None
