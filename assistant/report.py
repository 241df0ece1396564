"""Human-readable output of ``scan`` and ``status``, for the freelancer at a terminal."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.numbers import format_currency

from .adapters.store import Store
from .config import Account, Config
from .domain import ladder
from .domain.model import Invoice, InvoiceStatus, Money

_LOCALES = {"es": "es_ES", "en": "en_GB", "nl": "nl_NL"}


def money(value: Money | None, config: Config) -> str:
    if value is None:
        return "?"
    return format_currency(
        value.amount, value.currency, locale=_LOCALES.get(config.identity.language, "en_GB")
    )


def _invoice_line(invoice: Invoice, config: Config) -> str:
    return f"{invoice.client:<16} {invoice.number:<14} {money(invoice.amount, config):>14}  due {invoice.due_date}"


def print_pass(report, config: Config, where: str) -> None:
    heading = "Dry run" if report.dry_run else "Pass"
    print(f"{heading} over account {report.account} ({where})")
    print(f"  {report.scanned} new messages in Sent read, {report.candidates} to or from clients")
    if report.invoices:
        print(f"  invoices found: {len(report.invoices)}")
        for invoice in report.invoices:
            print(f"    {_invoice_line(invoice, config)}")
    for invoice in report.paid:
        print(f"  paid: {invoice.key} ({invoice.paid_via})")
    for invoice in report.reopened:
        print(f"  reopened: {invoice.key} (the paid tag was removed)")
    drafts = report.composed if report.dry_run else report.drafted
    if report.planned:
        verb = "would be drafted" if report.dry_run else "drafted into Drafts"
        print(f"  reminders {verb}: {len(drafts)}")
        by_key = {d.key: d for d in drafts}
        for reminder in report.planned:
            draft = by_key.get(reminder.key)
            why = f"{reminder.stage.name} due on {reminder.due_on} (invoice due {reminder.invoice.due_date})"
            if reminder.skipped:
                why += f"; catch-up for {', '.join(reminder.skipped)}"
            if draft is not None:
                print(f"    {draft.subject!r} to {draft.to.email}: {why}")
                print(f"      key {draft.key}")
            else:
                print(f"    {reminder.key}: NOT drafted ({why})")
    else:
        print("  no reminder is due")
    if report.skipped_messages:
        print(f"  messages skipped (unreadable or too large): {len(report.skipped_messages)}")
        for line in report.skipped_messages[:20]:
            print(f"    {line}")
    for error in report.errors:
        print(f"  ERROR {error}")


def print_status(store: Store, config: Config, account: Account, now: datetime) -> None:
    tz = ZoneInfo(config.identity.timezone)
    today = now.astimezone(tz).date()
    last = store.last_pass()
    last_text = last.astimezone(tz).strftime("%Y-%m-%d %H:%M") if last else "never"
    print(f"Account {account.name} (state {store.path}; last pass {last_text})")
    invoices = store.invoices()
    taken = store.taken_keys()
    outbox = {entry.key: entry for entry in store.outbox()}
    stages = config.rules.escalation.invoice
    open_invoices = [i for i in invoices if i.status is InvoiceStatus.OPEN]
    paid = [i for i in invoices if i.status is InvoiceStatus.PAID]
    print()
    print(f"Open invoices: {len(open_invoices)}")
    for invoice in open_invoices:
        print(f"  {_invoice_line(invoice, config)}  {_open_state(invoice, today)}")
        client = config.rules.clients.get(invoice.client)
        for stage in stages:
            entry = outbox.get(ladder.action_key(invoice, stage))
            if entry is not None:
                print(f"      {stage.name}: {entry.state} {entry.created_at.astimezone(tz):%Y-%m-%d}")
        if client is None:
            print("      not chased: the client is no longer in clients.yaml")
            continue
        upcoming = ladder.upcoming(invoice, stages, client.country, taken)
        if upcoming is not None:
            stage, on = upcoming
            when = "due now: the next pass drafts it" if on <= today else f"on {on}"
            print(f"      next: {stage.name} {when}")
        else:
            print("      every reminder stage has been used")
    print()
    print(f"Paid invoices: {len(paid)}")
    for invoice in paid:
        print(f"  {_invoice_line(invoice, config)}  paid {invoice.paid_on} ({invoice.paid_via})")
    waiting = [e for e in outbox.values() if e.state in ("pending", "drafted")]
    print()
    print(f"Drafts waiting for you to review and send: {len(waiting)}")
    for entry in waiting:
        note = " (interrupted; resolved on the next pass)" if entry.state == "pending" else ""
        print(
            f"  {entry.subject!r} to {entry.recipient}, in {entry.folder} since {entry.created_at.astimezone(tz):%Y-%m-%d %H:%M}{note}"
        )
        print(f"      key {entry.key}")


def _open_state(invoice: Invoice, today: date) -> str:
    days = (today - invoice.due_date).days
    if days > 0:
        return f"OVERDUE {days} day{'s' if days != 1 else ''}"
    if days == 0:
        return "due today"
    return f"due in {-days} day{'s' if days != -1 else ''}"
