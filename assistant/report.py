"""Human-readable output of ``scan``, ``explain`` and the mailbox part of ``check``, for
the freelancer at a terminal.

``status`` has its own module, ``status_report``; ``money`` and ``LOCALES`` serve both.
"""

from __future__ import annotations

import textwrap
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from .adapters.mailbox import MailboxProfile
from .adapters.store import JournalEntry, OutboxEntry
from .config import Config
from .domain import attention, ladder, recipients
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
from .wording import LOCALES, Voice, voice_of

__all__ = ["LOCALES", "mailbox_lines", "money", "print_explanation", "print_pass"]


def money(value: Money | None, config: Config, client: str | None = None) -> str:
    """An amount as ``client``'s drafts write it (see wording.money_locale)."""
    return voice_of(config).money(value, client)


def _invoice_line(invoice: Invoice, v: Voice) -> str:
    amount = v.money(invoice.amount, invoice.client)
    return f"{invoice.client:<14} {invoice.number:<14} {amount:>14}  {v('scan_due', day=invoice.due_date)}"


# --------------------------------------------------------------------------- scan


def print_pass(report, config: Config, where: str) -> None:
    v = voice_of(config)
    tz = ZoneInfo(config.identity.timezone)
    print(v("dry_run" if report.dry_run else "pass", account=report.account, where=where))
    print("  " + v("read", scanned=report.scanned, candidates=report.candidates))
    if report.invoices:
        print("  " + v("invoices_found", n=len(report.invoices)))
        for invoice in report.invoices:
            print(f"    {_invoice_line(invoice, v)}")
    if report.deliverables:
        print("  " + v("deliverables_found", n=len(report.deliverables)))
        for deliverable in report.deliverables:
            print(
                f"    {deliverable.client:<14} {deliverable_id(deliverable.message_id)}  {deliverable.subject!r}"
            )
    for invoice in report.paid:
        print("  " + v("scan_paid", key=invoice.key, via=invoice.paid_via))
    for invoice in report.reopened:
        print("  " + v("scan_reopened", key=invoice.key))
    other = [
        c for c in report.changes if not c.split(": ", 1)[1].startswith(("invoiced", "delivered", "paid"))
    ]
    if other:
        print("  " + v("scan_changes"))
        for line in other:
            print(f"    {v.change(line, report.words.get(line))}")
    drafts = report.composed if report.dry_run else report.drafted
    if report.planned:
        print("  " + v("drafts_would" if report.dry_run else "drafts_written", n=len(drafts)))
        by_key = {d.key: d for d in drafts}
        for planned in report.planned:
            draft = by_key.get(planned.key)
            if isinstance(planned, CheckIn):
                since = f"{planned.last_contact.astimezone(tz):%Y-%m-%d}"
                why = v("why_check_in", day=planned.due_on, subject=repr(planned.work.subject), since=since)
            elif isinstance(planned, FollowUp):
                since = f"{planned.deliverable.sent_at:%Y-%m-%d}"
                why = v("why_follow_up", stage=planned.stage.name, day=planned.due_on, since=since)
            elif isinstance(planned, Statement):
                listed = ", ".join(f"{r.invoice.number} {r.stage.name}" for r in planned.reminders)
                why = v("why_statement", day=planned.due_on, listed=listed)
            else:
                due = planned.invoice.due_date
                why = v("why_invoice", stage=planned.stage.name, day=planned.due_on, due=due)
            if isinstance(planned, (Reminder, FollowUp)) and planned.skipped:
                why += v("catch_up", stages=", ".join(planned.skipped))
            if draft is not None:
                print("    " + v("draft_to", subject=repr(draft.subject), to=draft.to.email, why=why))
                print(f"      key {draft.key}")
            elif planned.key in report.notified or (
                isinstance(planned, Statement) and set(planned.keys) <= set(report.notified)
            ):
                print("    " + v("scan_notify", key=planned.key, why=why))
            else:
                print("    " + v("not_drafted", key=planned.key, why=why))
    else:
        print("  " + v("nothing_due"))
    for case in report.terminations:
        print("  " + v("termination_suggested", client=case.client, reason=v.reason(case.reason)))
        said = case.evidence_said if len(case.evidence_said) == len(case.evidence) else ()
        for line in [v.said(s) for s in said] or case.evidence:
            print("    " + v("why", line=line))
    for draft in report.sent_by_smtp:
        print("  " + v("sent_smtp", subject=repr(draft.subject), to=draft.to.email))
    if report.skipped_messages:
        print("  " + v("skipped", n=len(report.skipped_messages)))
        for line in report.skipped_messages[:20]:
            print(f"    {line}")
    if report.held:
        print()
        print_held(report.held, config, config.account(report.account).first_run_hold_days)
    for error in report.errors:
        print(f"  ERROR {error}")


# --------------------------------------------------------------------------- ladders


def _print_ladder(
    stages, taken: dict[str, str], by_key: dict[str, OutboxEntry], today: date, tz, v: Voice
) -> None:
    for stage, key, _ in stages:
        entry = by_key.get(key)
        if entry is not None:
            when = entry.sent_at or entry.created_at
            day = f"{when.astimezone(tz):%Y-%m-%d}"
            print("      " + v("ladder_step", stage=stage.name, state=v.state(entry.state), day=day))
    upcoming = attention.next_stage(stages, taken, today)  # what the next pass drafts, as `status` says
    if upcoming is None:
        print("      " + v("every_stage_used"))
        return
    stage, day, waiting = upcoming
    if waiting:
        print("      " + v("explain_next_waits", stage=stage.name))
    elif day <= today:
        print("      " + v("explain_next_now", stage=stage.name))
    else:
        print("      " + v("next_on", stage=stage.name, day=day))


def _open_state(invoice: Invoice, today: date, v: Voice) -> str:
    days = (today - invoice.due_date).days
    if days > 0:
        return v("explain_overdue", days=v.count("days", days))
    if days == 0:
        return v("due_today")
    return v.count("due_in", -days)


def _partial(invoice: Invoice, v: Voice) -> str:
    if invoice.paid_amount and invoice.status is not InvoiceStatus.PAID:
        return v("still_owed", owed=v.money(invoice.outstanding, invoice.client))
    return ""


# --------------------------------------------------------------------------- explain


def _happened(entry: JournalEntry) -> datetime:
    """When an event happened: its evidence's date (the mail that told it), else the moment
    it was recorded (a command, a tag first seen); never the later scan that read old mail."""
    evidence = entry.evidence
    when = evidence.date if evidence is not None and evidence.date is not None else entry.at
    # A Date header of "-0000" parses naive: UTC, so that it sorts among the others.
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


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
    v = voice_of(config)
    if isinstance(item, Invoice):
        amount = v.money(item.amount, item.client)
        print(
            v(
                "explain_invoice",
                number=item.number,
                client=item.client,
                amount=amount,
                issued=item.issue_date,
                due=item.due_date,
            )
        )
        sent = f"{item.sent_at.astimezone(tz):%Y-%m-%d %H:%M}"
        print("  " + v("explain_email", subject=repr(item.subject), id=item.message_id, sent=sent))
        print("  " + v("explain_read", how=v.reading(item)))
        state = v(f"state_{item.status.value}").upper()
        if item.status is InvoiceStatus.OPEN:
            state += f" ({_open_state(item, today, v)})"
        if item.hold_until:
            state += v("until", day=item.hold_until)
        if item.status is InvoiceStatus.PAID and item.paid_on:
            state += v("explain_paid_on", day=item.paid_on, via=item.paid_via or "?")
        print("  " + v("explain_state", state=state) + _partial(item, v))
        asked = recipients.send_to((e.event, e.data) for e in history if e.event == JournalEvent.SEND_TO)
        if asked is not None and client is not None and asked.email != client.contact_address.email:
            print("  " + v("reminders_go_to", to=asked.email, contact=client.contact_address.email))
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
        print(
            v(
                "explain_deliverable",
                id=deliverable_id(item.message_id),
                client=item.client,
                subject=repr(item.subject),
            )
        )
        sent = f"{item.sent_at.astimezone(tz):%Y-%m-%d %H:%M}"
        print("  " + v("explain_work_email", id=item.message_id, sent=sent))
        print("  " + v("explain_state", state=v(f"work_{item.status.value}").upper()))
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
    print(v("why_heading"))
    for when, entry in sorted(((_happened(entry), entry) for entry in history), key=lambda pair: pair[0]):
        print(
            f"  {when.astimezone(tz):%Y-%m-%d %H:%M}  {v.event(entry.event)}"
            + (f": {v.detail(entry.detail, entry.data)}" if entry.detail else "")
        )
        evidence = entry.evidence
        if evidence is not None and evidence.source == "bank":  # the bank transaction
            booked = f"{evidence.date:%Y-%m-%d}"
            said = v(
                "bank_evidence",
                day=booked,
                amount=evidence.quote,
                sender=evidence.sender or "?",
                subject=repr(evidence.subject),
                id=evidence.message_id,
            )
            print(f"      {said}")
        elif evidence is not None and (evidence.message_id or evidence.sender):
            stamp = f"{evidence.date.astimezone(tz):%Y-%m-%d %H:%M}" if evidence.date else v("undated")
            said = v("evidence", stamp=stamp, sender=evidence.sender or "?", subject=repr(evidence.subject))
            print(f"      {said} {evidence.message_id}")
        if evidence is not None and evidence.quote and evidence.source != "bank":
            print(f"      “{evidence.quote}”")
    print()
    print(v("next_heading"))
    if client is None:
        print("  " + v("next_gone"))
    elif isinstance(item, Invoice) and item.status is not InvoiceStatus.OPEN:
        if item.status is InvoiceStatus.PAUSED and not item.hold_until:
            said = v("next_paused_resume")
        else:
            said = v(f"next_{item.status.value}", day=item.hold_until, number=item.number)
        print("  " + said)
    elif isinstance(item, Invoice) and _held(history):
        print("  " + v("next_held"))
    elif isinstance(item, Deliverable) and item.status is not DeliverableStatus.OPEN:
        print("  " + v("next_answered_approved" if item.approved_at else "next_answered"))
    else:
        _print_ladder(stages, taken, by_key, today, tz, v)


def _held(history: list[JournalEntry]) -> bool:
    """Held on the first scan and not settled since (issue 15)."""
    marks = (JournalEvent.HELD, JournalEvent.CONFIRMED_OWED, JournalEvent.PAID)
    settled = [e.event for e in history if e.event in marks]
    return bool(settled) and settled[-1] == JournalEvent.HELD


def print_held(held: list[Invoice], config: Config, hold_days: int, out=None) -> None:
    """The first run's "still owed? confirm" list, with what to do about it."""
    if not held:
        return
    v = voice_of(config)
    total = ", ".join(v.money(m) for m in _totals(held))
    print(v.count("held_heading", len(held), total=total), file=out)
    # 80 columns, as every view that can go through a pipe: the prose wrapped, each command
    # on its own line (so it can be copied whole).
    print(
        textwrap.fill(v("held_why", days=hold_days), 78, initial_indent="  ", subsequent_indent="  "),
        file=out,
    )
    rows = [(i.client, i.number, v.money(i.amount, i.client), v("scan_due", day=i.due_date)) for i in held]
    widths = [max(len(row[n]) for row in rows) for n in range(3)]
    for client, number, amount, due in rows:
        print(f"    {client:<{widths[0]}}  {number:<{widths[1]}}  {amount:>{widths[2]}}  {due}", file=out)
    print(textwrap.indent(v("held_what_to_do"), "  "), file=out)


def _totals(invoices: list[Invoice]) -> list[Money]:
    sums: dict[str, Decimal] = {}
    for invoice in invoices:
        if invoice.outstanding is not None:
            sums[invoice.outstanding.currency] = sums.get(invoice.outstanding.currency, Decimal(0)) + (
                invoice.outstanding.amount
            )
    return [Money(amount=a, currency=c) for c, a in sorted(sums.items())]


def print_import(report, config: Config) -> None:
    """What `import-statement` read and did."""
    v = voice_of(config)
    for statement in report.statements:
        print(
            v(
                "import_statement",
                path=statement.path,
                format=statement.format,
                account=statement.account or "?",
                credits=len(statement.credits),
                debits=statement.debits,
            )
        )
    print("  " + v("import_counts", new=report.new, known=report.known))
    for line in report.changes:
        print(f"  {line}")
    if report.unmatched:
        print(v("import_unmatched"))


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
