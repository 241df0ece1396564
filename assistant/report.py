"""Human-readable output of ``scan``, ``status``, ``explain`` and the mailbox part of
``check``, for the freelancer at a terminal."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.numbers import format_currency

from .adapters.mailbox import MailboxProfile
from .adapters.store import JournalEntry, OutboxEntry, Store
from .config import Account, Config
from .domain import checkin, ladder
from .domain.digest import invoice_todos
from .domain.model import (
    CheckIn,
    Deliverable,
    DeliverableStatus,
    FollowUp,
    Invoice,
    InvoiceStatus,
    Money,
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
            else:
                why = f"{planned.stage.name} due on {planned.due_on} (invoice due {planned.invoice.due_date})"
            if not isinstance(planned, CheckIn) and planned.skipped:
                why += f"; catch-up for {', '.join(planned.skipped)}"
            if draft is not None:
                print(f"    {draft.subject!r} to {draft.to.email}: {why}")
                print(f"      key {draft.key}")
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
    for error in report.errors:
        print(f"  ERROR {error}")


# --------------------------------------------------------------------------- status

_HELD = {
    InvoiceStatus.PROMISED: "PROMISED",
    InvoiceStatus.DISPUTED: "DISPUTED",
    InvoiceStatus.PAUSED: "PAUSED",
}


def print_status(store: Store, config: Config, account: Account, now: datetime) -> None:
    tz = ZoneInfo(config.identity.timezone)
    today = now.astimezone(tz).date()
    last = store.last_pass()
    last_text = last.astimezone(tz).strftime("%Y-%m-%d %H:%M") if last else "never"
    print(f"Account {account.name} (state {store.path}; last pass {last_text})")
    invoices = store.invoices()
    taken = store.taken()
    outbox = store.outbox()
    by_key = {entry.key: entry for entry in outbox}
    rules = config.rules

    chased = [i for i in invoices if i.status is InvoiceStatus.OPEN]
    held = [i for i in invoices if i.status in _HELD]
    paid = [i for i in invoices if i.status is InvoiceStatus.PAID]
    print()
    print(f"Open invoices: {len(chased)}")
    for invoice in chased:
        print(f"  {_invoice_line(invoice, config)}  {_open_state(invoice, today)}{_partial(invoice, config)}")
        client = rules.clients.get(invoice.client)
        if client is None:
            print("      not chased: the client is no longer in clients.yaml")
            continue
        _print_ladder(
            ladder.invoice_ladder(invoice, rules.escalation.invoice, client.country), taken, by_key, today, tz
        )

    print()
    print(f"Paused invoices (not chased): {len(held)}")
    for invoice in held:
        until = f" until {invoice.hold_until}" if invoice.hold_until else ""
        print(
            f"  {_invoice_line(invoice, config)}  {_HELD[invoice.status]}{until}{_partial(invoice, config)}"
        )
        if invoice.hold_note:
            print(f"      “{invoice.hold_note}”")
        if invoice.status is InvoiceStatus.DISPUTED:
            print("      a dispute needs a conversation, not a template: `resume` once it is settled")

    print()
    print(f"Paid invoices: {len(paid)}")
    for invoice in paid:
        print(f"  {_invoice_line(invoice, config)}  paid {invoice.paid_on} ({invoice.paid_via})")

    waiting = [d for d in store.deliverables(DeliverableStatus.OPEN)]
    print()
    print(f"Deliverables waiting for an answer: {len(waiting)}")
    for deliverable in waiting:
        days = (today - deliverable.sent_at.astimezone(tz).date()).days
        print(
            f"  {deliverable.client:<14} {deliverable_id(deliverable.message_id)}  {deliverable.subject!r}, sent {_days(days)} ago"
        )
        client = rules.clients.get(deliverable.client)
        if client is not None:
            _print_ladder(
                ladder.deliverable_ladder(deliverable, rules.escalation.deliverable, client.country, tz),
                taken,
                by_key,
                today,
                tz,
            )

    _print_check_ins(store, config, invoices, outbox, today, tz)

    todos = invoice_todos(
        store.deliverables(DeliverableStatus.APPROVED), rules.deliverables.invoice_within_hours, now
    )
    notices = [e for e in outbox if e.kind == "notice" and (now - e.created_at).days < 14]
    print()
    print(f"To do: {len(todos) + len(notices)}")
    for deliverable in todos:
        approved = deliverable.approved_at.astimezone(tz) if deliverable.approved_at else None
        print(
            f"  invoice {deliverable.client}: {deliverable.subject!r} was approved {approved:%Y-%m-%d %H:%M} and not invoiced yet"
        )
    for entry in notices:
        print(f"  contact {entry.recipient} yourself: {entry.key.rsplit('/', 1)[1]} of {entry.item} is due")

    endings = [e for e in outbox if e.kind == "termination"]
    print()
    print(f"Termination drafts (the program never sends them): {len(endings)}")
    for entry in endings:
        review = entry.created_at + timedelta(hours=rules.termination.review_after_hours)
        state = "sent by you" if entry.state == "sent" else f"in {entry.folder or 'Drafts'}"
        print(
            f"  {entry.subject!r} to {entry.recipient}, {state} since {entry.created_at.astimezone(tz):%Y-%m-%d %H:%M}"
        )
        if entry.state != "sent":
            print(
                f"      review after {review.astimezone(tz):%Y-%m-%d %H:%M}: sleep on it, perhaps let a colleague read it (seed 004)"
            )
        client = entry.key.split("/")[1]
        owed = [i for i in invoices if i.client == client and i.status not in (InvoiceStatus.PAID,)]
        if owed and entry.state != "sent":
            listed = ", ".join(f"{i.number} {money(i.outstanding, config)}" for i in owed)
            print(
                f"      WARNING money is still owed ({listed}); seed advice (003): wait until it is paid before telling them"
            )
        for line in _evidence(store, client):
            print(f"      why: {line}")
    held = [(item, e) for item, e in store.journal(prefix="client/") if e.event == "termination held"]
    for item, entry in held:
        print(f"  {item.split('/')[1]}: a termination is suggested but held until paid ({entry.detail})")
    if endings:
        print("  After the end: remove the client's logo from your portfolio if it invites questions,")
        print("  and do not speak badly of the client, to anyone (seeds 003, 004).")

    unsent = [e for e in outbox if e.state in ("pending", "drafted") and e.kind != "termination"]
    print()
    print(f"Drafts waiting for you to review and send: {len(unsent)}")
    for entry in unsent:
        note = " (interrupted; resolved on the next pass)" if entry.state == "pending" else ""
        print(
            f"  {entry.subject!r} to {entry.recipient}, in {entry.folder} since {entry.created_at.astimezone(tz):%Y-%m-%d %H:%M}{note}"
        )
        print(f"      key {entry.key}")


def _print_check_ins(
    store: Store, config: Config, invoices: list[Invoice], outbox: list[OutboxEntry], today: date, tz
) -> None:
    """Clients with check-ins on (escalation.yaml's check_in, or check_in in clients.yaml)."""
    rule = config.rules.escalation.check_in
    clients = [c for c in config.rules.clients.values() if rule.after_days(c) is not None]
    if not clients:
        return
    deliverables = store.deliverables()
    contacts = store.contacts()
    drafts = [(e.key, e.created_at) for e in outbox]
    print()
    print(
        f"Check-ins (work in progress: a deliverable in the last {rule.active_within_days} days, "
        "not invoiced yet; due after that many business days without a message either way):"
    )
    for client in clients:
        seen = checkin.outlook(
            client, rule, deliverables=deliverables, invoices=invoices, contact=contacts.get(client.id),
            drafts=drafts, today=today, tz=tz,
        )  # fmt: skip
        n = seen.after_days or 0
        after = f"after {n} business day{'s' if n != 1 else ''}"
        if seen.work is None or seen.last_contact is None:
            print(f"  {client.id:<14} {after}: {seen.held}")
            continue
        contact = contacts.get(client.id)
        way = ""
        if contact is not None and contact.at == seen.last_contact:
            way = " (you wrote)" if contact.direction == "to" else " (they wrote)"
        print(
            f"  {client.id:<14} {after}: work in progress {seen.work.subject!r}; "
            f"last contact {seen.last_contact.astimezone(tz):%Y-%m-%d}{way}"
        )
        if seen.held:
            print(f"      no check-in: {seen.held}")
        elif seen.due(today):
            print(f"      check-in due since {seen.due_on}: the next pass drafts it")
        else:
            print(f"      check-in on {seen.due_on} if nothing is exchanged before")


def _evidence(store: Store, client: str) -> list[str]:
    """Why a termination was suggested: the triggers recorded when it was drafted."""
    for entry in reversed(store.history(f"client/{client}")):
        if entry.event == "termination suggested":
            return entry.detail.split(" / ")
    return []


def _print_ladder(stages, taken: dict[str, str], by_key: dict[str, OutboxEntry], today: date, tz) -> None:
    for stage, key, _ in stages:
        entry = by_key.get(key)
        if entry is not None:
            when = entry.sent_at or entry.created_at
            print(f"      {stage.name}: {entry.state} {when.astimezone(tz):%Y-%m-%d}")
    upcoming = ladder.upcoming(stages, taken)
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
        state = item.status.value.upper()
        if item.status is InvoiceStatus.OPEN:
            state += f" ({_open_state(item, today)})"
        if item.hold_until:
            state += f" until {item.hold_until}"
        print(f"  state: {state}{_partial(item, config)}")
        stages = ladder.invoice_ladder(item, rules.escalation.invoice, client.country) if client else []
    else:
        print(f"Deliverable {deliverable_id(item.message_id)} to {item.client}: {item.subject!r}")
        print(f"  email: {item.message_id}, sent {item.sent_at.astimezone(tz):%Y-%m-%d %H:%M}")
        print(f"  state: {item.status.value.upper()}")
        stages = (
            ladder.deliverable_ladder(item, rules.escalation.deliverable, client.country, tz)
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
        if evidence is not None and (evidence.message_id or evidence.sender):
            when = f"{evidence.date.astimezone(tz):%Y-%m-%d %H:%M}" if evidence.date else "undated"
            print(
                f"      evidence: {when} from {evidence.sender or '?'} {evidence.subject!r} {evidence.message_id}"
            )
        if evidence is not None and evidence.quote:
            print(f"      “{evidence.quote}”")
    print()
    print("What happens next:")
    if client is None:
        print("  nothing: the client is no longer in clients.yaml")
    elif isinstance(item, Invoice) and item.status is not InvoiceStatus.OPEN:
        print(
            {
                InvoiceStatus.PAID: "  nothing: it is paid",
                InvoiceStatus.PROMISED: f"  nothing until {item.hold_until}; then the ladder resumes if it is still unpaid",
                InvoiceStatus.PAUSED: f"  nothing {'until ' + str(item.hold_until) if item.hold_until else 'until you `resume` it'}",
                InvoiceStatus.DISPUTED: "  nothing until you `resume` it: talk to the client about the dispute",
            }[item.status]
        )
    elif isinstance(item, Deliverable) and item.status is not DeliverableStatus.OPEN:
        print(f"  no follow-up: the client answered{' and approved it' if item.approved_at else ''}")
    else:
        _print_ladder(stages, taken, by_key, today, tz)


# --------------------------------------------------------------------------- check

# The IMAP capabilities the code makes use of, in the order `check` lists them.
CAPABILITIES = ("IDLE", "CONDSTORE", "UIDPLUS", "SPECIAL-USE")

_FOUND = {
    "special-use": "found by SPECIAL-USE {flag}",
    "usual name": "found by its usual name",
    "config": "named in config.yaml",
}


def mailbox_lines(profile: MailboxProfile, *, poll_minutes: int, maildir_look: float) -> list[str]:
    """What ``check`` says about a mailbox: its folders, what the server offers, and in
    plain words what each missing capability costs with this program.

    The costs are those of adapters/imap.py and daemon.py: without IDLE the service's
    watchers cannot wait on INBOX and Sent, so a change is seen by the poll; without
    CONDSTORE (or ENABLE to switch it on) a pass re-reads the flags of every watched
    invoice email instead of asking for changes; without UIDPLUS an APPEND does not say
    the new UID, which nothing needs (drafts are found again by their key header).
    """
    folders = profile.folders
    found = {
        role: _FOUND[profile.found[role]].format(flag=flag)
        for role, flag in (("sent", "\\Sent"), ("drafts", "\\Drafts"))
    }
    lines = [f"Sent:   {folders.sent!r} ({found['sent']})", f"Drafts: {folders.drafts!r} ({found['drafts']})"]
    if profile.kind == "maildir":
        lines.append(
            "a Maildir has no IMAP capabilities to miss: the service looks at its folders every "
            f"{maildir_look:g} s (as quick as IDLE), flags are read from the file names at every "
            "pass (what CONDSTORE saves on IMAP), and a new draft's file name is known as it is "
            "written (what UIDPLUS tells)"
        )
        return lines
    caps = profile.capabilities
    lines.append(
        "signed in with "
        + (
            "AUTHENTICATE XOAUTH2 (an OAuth 2 access token from token_command)"
            if profile.signed_in_with == "XOAUTH2"
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
            "the flags of every tracked invoice email are re-read at every pass: the same "
            "result, one larger FETCH per pass"
        )
    if not offered["UIDPLUS"]:
        costs.append(
            "no UIDPLUS: the server does not say which UID a new draft got; nothing depends on "
            "it, the assistant finds its drafts by their X-Freelance-Assistant-Key header"
        )
    usual = [role for role in ("sent", "drafts") if profile.found[role] == "usual name"]
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
