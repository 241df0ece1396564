"""Human-readable output of ``scan``, ``explain`` and the mailbox part of ``check``, for
the freelancer at a terminal.

``status`` has its own module, ``status_report``; ``money`` and ``LOCALES`` serve both.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.numbers import format_currency

from .adapters.mailbox import MailboxProfile
from .adapters.store import JournalEntry, OutboxEntry
from .config import Config
from .domain import attention, ladder, recipients
from .domain.classify import reading_of
from .domain.keys import JournalEvent
from .domain.model import (
    CheckIn,
    Deliverable,
    DeliverableStatus,
    FollowUp,
    Invoice,
    InvoiceStatus,
    Money,
    Reminder,
    Statement,
    deliverable_id,
)

LOCALES = {"es": "es_ES", "en": "en_GB", "nl": "nl_NL"}


def money(value: Money | None, config: Config) -> str:
    if value is None:
        return "?"
    return format_currency(
        value.amount, value.currency, locale=LOCALES.get(config.identity.language, "en_GB")
    )


def _invoice_line(invoice: Invoice, config: Config) -> str:
    return f"{invoice.client:<14} {invoice.number:<14} {money(invoice.amount, config):>14}  due {invoice.due_date}"


def _days(n: int) -> str:
    return f"{n} day{'s' if n != 1 else ''}"


# --------------------------------------------------------------------------- scan


def print_pass(report, config: Config, where: str) -> None:
    heading = "Dry run" if report.dry_run else "Pass"
    tz = ZoneInfo(config.identity.timezone)
    print(f"{heading} over account {report.account} ({where})")
    print(f"  {report.scanned} new messages read, {report.candidates} to or from clients")
    if report.invoices:
        print(f"  invoices found: {len(report.invoices)}")
        for invoice in report.invoices:
            print(f"    {_invoice_line(invoice, config)}")
    if report.deliverables:
        print(f"  deliverables found: {len(report.deliverables)}")
        for deliverable in report.deliverables:
            print(
                f"    {deliverable.client:<14} {deliverable_id(deliverable.message_id)}  {deliverable.subject!r}"
            )
    for invoice in report.paid:
        print(f"  paid: {invoice.key} ({invoice.paid_via})")
    for invoice in report.reopened:
        print(f"  reopened: {invoice.key} (the paid tag was removed)")
    other = [
        c for c in report.changes if not c.split(": ", 1)[1].startswith(("invoiced", "delivered", "paid"))
    ]
    if other:
        print("  changes:")
        for line in other:
            print(f"    {line}")
    drafts = report.composed if report.dry_run else report.drafted
    if report.planned:
        verb = "that would be written" if report.dry_run else "written to Drafts"
        print(f"  drafts {verb}: {len(drafts)}")
        by_key = {d.key: d for d in drafts}
        for planned in report.planned:
            draft = by_key.get(planned.key)
            if isinstance(planned, CheckIn):
                why = (
                    f"check-in due on {planned.due_on} (work in progress {planned.work.subject!r}; "
                    f"no contact since {planned.last_contact.astimezone(tz):%Y-%m-%d})"
                )
            elif isinstance(planned, FollowUp):
                why = f"{planned.stage.name} due on {planned.due_on} (no answer since {planned.deliverable.sent_at:%Y-%m-%d})"
            elif isinstance(planned, Statement):
                listed = ", ".join(f"{r.invoice.number} {r.stage.name}" for r in planned.reminders)
                why = f"statement of account due on {planned.due_on}: one letter for {listed}"
            else:
                why = f"{planned.stage.name} due on {planned.due_on} (invoice due {planned.invoice.due_date})"
            if isinstance(planned, (Reminder, FollowUp)) and planned.skipped:
                why += f"; catch-up for {', '.join(planned.skipped)}"
            if draft is not None:
                print(f"    {draft.subject!r} to {draft.to.email}: {why}")
                print(f"      key {draft.key}")
            elif planned.key in report.notified or (
                isinstance(planned, Statement) and set(planned.keys) <= set(report.notified)
            ):
                print(f"    {planned.key}: to do, contact the client yourself (action: notify; {why})")
            else:
                print(f"    {planned.key}: NOT drafted ({why})")
    else:
        print("  no reminder or follow-up is due")
    for case in report.terminations:
        print(f"  termination suggested for {case.client} ({case.reason}), written to Drafts, never sent:")
        for line in case.evidence:
            print(f"    why: {line}")
    for draft in report.sent_by_smtp:
        print(f"  sent by SMTP (action: send): {draft.subject!r} to {draft.to.email}")
    if report.skipped_messages:
        print(f"  messages skipped (unreadable or too large): {len(report.skipped_messages)}")
        for line in report.skipped_messages[:20]:
            print(f"    {line}")
    if report.held:
        print()
        print_held(report.held, config, config.account(report.account).first_run_hold_days)
    for error in report.errors:
        print(f"  ERROR {error}")


# --------------------------------------------------------------------------- ladders


def _print_ladder(stages, taken: dict[str, str], by_key: dict[str, OutboxEntry], today: date, tz) -> None:
    for stage, key, _ in stages:
        entry = by_key.get(key)
        if entry is not None:
            when = entry.sent_at or entry.created_at
            print(f"      {stage.name}: {entry.state} {when.astimezone(tz):%Y-%m-%d}")
    upcoming = attention.next_stage(stages, taken, today)  # what the next pass drafts, as `status` says
    if upcoming is None:
        print("      every stage has been used")
        return
    stage, day, waiting = upcoming
    if waiting:
        print(f"      next: {stage.name}, once the draft above is sent (it waits in Drafts)")
    elif day <= today:
        print(f"      next: {stage.name}, due now: the next pass drafts it")
    else:
        print(f"      next: {stage.name} on {day}")


def _open_state(invoice: Invoice, today: date) -> str:
    days = (today - invoice.due_date).days
    if days > 0:
        return f"OVERDUE {_days(days)}"
    if days == 0:
        return "due today"
    return f"due in {_days(-days)}"


def _partial(invoice: Invoice, config: Config) -> str:
    if invoice.paid_amount and invoice.status is not InvoiceStatus.PAID:
        return f"; {money(invoice.outstanding, config)} still owed"
    return ""


# --------------------------------------------------------------------------- explain


def print_explanation(
    item: Invoice | Deliverable,
    history: list[JournalEntry],
    outbox: list[OutboxEntry],
    config: Config,
    now: datetime,
) -> None:
    tz = ZoneInfo(config.identity.timezone)
    today = now.astimezone(tz).date()
    rules = config.rules
    client = rules.clients.get(item.client)
    taken = {e.key: e.state for e in outbox}
    by_key = {e.key: e for e in outbox}
    if isinstance(item, Invoice):
        print(
            f"Invoice {item.number} to {item.client}: {money(item.amount, config)}, issued {item.issue_date}, due {item.due_date}"
        )
        print(
            f"  email: {item.subject!r} {item.message_id}, sent {item.sent_at.astimezone(tz):%Y-%m-%d %H:%M}"
        )
        print(f"  read: {reading_of(item)}")
        state = item.status.value.upper()
        if item.status is InvoiceStatus.OPEN:
            state += f" ({_open_state(item, today)})"
        if item.hold_until:
            state += f" until {item.hold_until}"
        if item.status is InvoiceStatus.PAID and item.paid_on:
            state += f" on {item.paid_on} ({item.paid_via or '?'})"
        print(f"  state: {state}{_partial(item, config)}")
        asked = recipients.send_to((e.event, e.data) for e in history if e.event == JournalEvent.SEND_TO)
        if asked is not None and client is not None and asked.email != client.contact_address.email:
            print(
                f"  reminders go to: {asked.email} (the client asked; {client.contact_address.email} in Cc)"
            )
        stages = (
            ladder.invoice_ladder(
                item,
                rules.escalation.invoice_stages(client),
                client.calendar,
                ladder.sent_days(outbox, tz),
                rules.escalation.chasing.stage_gap_days,
            )
            if client
            else []
        )
    else:
        print(f"Deliverable {deliverable_id(item.message_id)} to {item.client}: {item.subject!r}")
        print(f"  email: {item.message_id}, sent {item.sent_at.astimezone(tz):%Y-%m-%d %H:%M}")
        print(f"  state: {item.status.value.upper()}")
        stages = (
            ladder.deliverable_ladder(
                item,
                rules.escalation.deliverable,
                client.calendar,
                tz,
                ladder.sent_days(outbox, tz),
                rules.escalation.chasing.stage_gap_days,
            )
            if client
            else []
        )
    print()
    print("Why (what happened, oldest first):")
    for entry in history:
        print(
            f"  {entry.at.astimezone(tz):%Y-%m-%d %H:%M}  {entry.event}"
            + (f": {entry.detail}" if entry.detail else "")
        )
        evidence = entry.evidence
        if evidence is not None and evidence.source == "bank":  # issue 15: the bank transaction
            print(
                f"      bank transaction: booked {evidence.date:%Y-%m-%d}, {evidence.quote}, "
                f"from {evidence.sender or '?'}, reference {evidence.subject!r}, id {evidence.message_id}"
            )
        elif evidence is not None and (evidence.message_id or evidence.sender):
            when = f"{evidence.date.astimezone(tz):%Y-%m-%d %H:%M}" if evidence.date else "undated"
            print(
                f"      evidence: {when} from {evidence.sender or '?'} {evidence.subject!r} {evidence.message_id}"
            )
        if evidence is not None and evidence.quote and evidence.source != "bank":
            print(f"      “{evidence.quote}”")
    print()
    print("What happens next:")
    if client is None:
        print("  nothing: the client is no longer in clients.yaml")
    elif isinstance(item, Invoice) and item.status is not InvoiceStatus.OPEN:
        print(
            {
                InvoiceStatus.PAID: "  nothing: it is paid",
                InvoiceStatus.CLAIMED: (
                    f"  nothing: the client says it is paid; unconfirmed until the money is seen (a "
                    f"notification, a bank statement, the Paid tag or `mark-paid {item.number}`). If your "
                    f"bank shows nothing, `resume {item.number}` chases it again."
                ),
                InvoiceStatus.PROMISED: f"  nothing until {item.hold_until}; then the ladder resumes if it is still unpaid",
                InvoiceStatus.PAUSED: f"  nothing {'until ' + str(item.hold_until) if item.hold_until else 'until you `resume` it'}",
                InvoiceStatus.DISPUTED: "  nothing until you `resume` it: talk to the client about the dispute",
            }[item.status]
        )
    elif isinstance(item, Invoice) and _held(history):
        print(
            "  nothing until you confirm it: held on the first scan (`confirm-owed`), or a bank statement pays it"
        )
    elif isinstance(item, Deliverable) and item.status is not DeliverableStatus.OPEN:
        print(f"  no follow-up: the client answered{' and approved it' if item.approved_at else ''}")
    else:
        _print_ladder(stages, taken, by_key, today, tz)


def _held(history: list[JournalEntry]) -> bool:
    """Held on the first scan and not settled since (issue 15)."""
    marks = (JournalEvent.HELD, JournalEvent.CONFIRMED_OWED, JournalEvent.PAID)
    settled = [e.event for e in history if e.event in marks]
    return bool(settled) and settled[-1] == JournalEvent.HELD


def print_held(held: list[Invoice], config: Config, hold_days: int, out=None) -> None:
    """The first run's "still owed? confirm" list, with what to do about it."""
    if not held:
        return
    total = ", ".join(money(m, config) for m in _totals(held))
    print(f"Still owed? confirm: {len(held)} invoice{'s' if len(held) != 1 else ''} ({total})", file=out)
    print(
        f"  More than {hold_days} days past due when the assistant first read this mailbox, with no payment\n"
        "  seen in it: nothing is drafted for them until you say which are still owed.",
        file=out,
    )
    for invoice in held:
        print(f"    {_invoice_line(invoice, config)}  issued {invoice.issue_date}", file=out)
    print(
        "  e.g. `freelance-assistant confirm-owed NUMBER... --rest-paid` (these are owed, the rest paid),\n"
        "       `freelance-assistant confirm-owed --paid-before YYYY-MM-DD`, or import a bank statement\n"
        "       (`freelance-assistant import-statement FILE`): it marks paid what the bank received.",
        file=out,
    )


def _totals(invoices: list[Invoice]) -> list[Money]:
    sums: dict[str, Decimal] = {}
    for invoice in invoices:
        if invoice.outstanding is not None:
            sums[invoice.outstanding.currency] = sums.get(invoice.outstanding.currency, Decimal(0)) + (
                invoice.outstanding.amount
            )
    return [Money(amount=a, currency=c) for c, a in sorted(sums.items())]


def print_import(report, config: Config) -> None:
    """What `import-statement` read and did (issue 15)."""
    for statement in report.statements:
        print(
            f"{statement.path}: {statement.format}, account {statement.account or '?'}: "
            f"{len(statement.credits)} credits ({statement.debits} debits left out)"
        )
    print(f"  new transactions: {report.new}; imported before (unchanged): {report.known}")
    for line in report.changes:
        print(f"  {line}")
    if report.unmatched:
        print(
            "  Confirm each unmatched credit: `freelance-assistant confirm-credit ID NUMBER` (or ID alone: not an"
        )
        print("  invoice payment).")


# --------------------------------------------------------------------------- check

_FILED_SHOWN = 12  # folder names `check` lists where the Paid tag is read; then a count


def filed_lines(profile: MailboxProfile) -> list[str]:
    """Where the Paid tag is read besides Sent, how that was chosen, and configured names
    that match no folder (nothing is read there: a typo should not go unnoticed)."""
    shown = ", ".join(repr(name) for name in profile.filed[:_FILED_SHOWN]) or "no folder"
    if len(profile.filed) > _FILED_SHOWN:
        shown += f" and {len(profile.filed) - _FILED_SHOWN} more"
    how = (
        "named in folders.filed"
        if profile.filed_configured
        else "every folder but INBOX, Sent, Drafts, Trash and Junk; folders.filed chooses them"
    )
    lines = [f"Paid tag also read in: {shown} ({how})"]
    if profile.filed_missing:
        lines.append(
            "folders.filed names no folder of this mailbox: "
            + ", ".join(repr(name) for name in profile.filed_missing)
            + " (the Paid tag is not read there; use the names the server lists, `*` for any text)"
        )
    return lines


# The IMAP capabilities the code makes use of, in the order `check` lists them.
CAPABILITIES = ("IDLE", "CONDSTORE", "UIDPLUS", "SPECIAL-USE")

_FOUND = {
    "special-use": "found by SPECIAL-USE {flag}",
    "usual name": "found by its usual name",
    "config": "named in config.yaml",
    "evidence": "chosen among the usual names by what it holds: {evidence}",
}


def mailbox_lines(profile: MailboxProfile, *, poll_minutes: int, maildir_look: float) -> list[str]:
    """What ``check`` says about a mailbox: its folders, what the server offers, and in
    plain words what each missing capability costs with this program.

    The costs are those of adapters/imap.py and daemon.py: without IDLE the service's
    watchers cannot wait on INBOX and Sent, so a change is seen by the poll; without
    CONDSTORE (or ENABLE to switch it on) a pass re-reads the flags of every watched
    invoice email instead of asking for changes; without UIDPLUS there is no UID EXPUNGE,
    so a draft that became wrong is left in Drafts (flagged) rather than withdrawn.
    """
    folders = profile.folders
    found = {
        role: _FOUND[profile.found[role]].format(flag=flag, evidence=profile.evidence.get(role, ""))
        for role, flag in (("sent", "\\Sent"), ("drafts", "\\Drafts"))
    }
    lines = [f"Sent:   {folders.sent!r} ({found['sent']})", f"Drafts: {folders.drafts!r} ({found['drafts']})"]
    lines += filed_lines(profile)
    if profile.drafts_writable is False:
        lines.append(
            f"PROBLEM Drafts is read-only for the assistant ({profile.drafts_why}): no draft can be "
            "written there; give it write access, or name another folder in folders.drafts"
        )
    if profile.kind == "maildir":
        lines.append(
            "a Maildir has no IMAP capabilities to miss: the service looks at its folders every "
            f"{maildir_look:g} s (as quick as IDLE), flags are read from the file names at every "
            "pass (what CONDSTORE saves on IMAP; a folder you file mail into is listed only when "
            "its directory changed), and a new draft's file name is known as it is "
            "written (what UIDPLUS tells)"
        )
        return lines
    caps = profile.capabilities
    lines.append(
        "signed in with "
        + (
            "AUTHENTICATE XOAUTH2 (an OAuth 2 access token from token_command)"
            if profile.signed_in_with == "XOAUTH2"
            else "AUTHENTICATE PLAIN (a password beyond ASCII, sent as UTF-8)"
            if profile.signed_in_with.startswith("AUTHENTICATE PLAIN")
            else "LOGIN (user name and password)"
        )
    )
    offered = {
        "IDLE": "IDLE" in caps,
        "CONDSTORE": profile.condstore,
        "UIDPLUS": "UIDPLUS" in caps,
        "SPECIAL-USE": "SPECIAL-USE" in caps,
    }
    lines.append(
        "server offers: " + ", ".join(f"{name} {'yes' if offered[name] else 'no'}" for name in CAPABILITIES)
    )
    costs = []
    if not offered["IDLE"]:
        costs.append(
            f"no IDLE: changes are seen at the poll interval ({poll_minutes} min), not within "
            f"seconds: under `run`, a client's reply or your Paid tag counts up to {poll_minutes} "
            "minutes later (schedule.poll_minutes sets the interval)"
        )
    if not offered["CONDSTORE"]:
        why = (
            "the server announces CONDSTORE but not ENABLE, which switches it on"
            if "CONDSTORE" in caps
            else "no CONDSTORE"
        )
        costs.append(
            f"{why}: flag changes (your 'Paid' tag) cannot be asked for since the last pass, so "
            "the flags of every tracked invoice email are re-read at every pass, and every "
            "folder you file mail into is searched for the tag (one SEARCH each; only messages "
            "newly tagged are read): the same result, a few more commands per pass"
        )
    if not offered["UIDPLUS"]:
        costs.append(
            "no UIDPLUS: the server cannot remove one message alone (UID EXPUNGE), so a draft of "
            "the assistant's that became wrong (the invoice paid, a promise) is left in Drafts and "
            "flagged in status and the digest for you to delete; drafts are still found by their "
            "X-Freelance-Assistant-Key header"
        )
    usual = [role for role in ("sent", "drafts") if profile.found[role] in ("usual name", "evidence")]
    if not offered["SPECIAL-USE"] and usual:
        costs.append(
            "no SPECIAL-USE: "
            + " and ".join(role.capitalize() for role in usual)
            + " found by the usual name only; if your mail client keeps them elsewhere, "
            "name the folders under folders: in config.yaml"
        )
    elif not offered["SPECIAL-USE"]:
        costs.append("no SPECIAL-USE announced; the folders were found all the same")
    if costs:
        lines.append("what is missing and what it costs:")
        lines.extend(f"  {cost}" for cost in costs)
    else:
        lines.append(
            "nothing missing: under `run` replies are seen within seconds, and a pass asks only for what changed"
        )
    return lines
