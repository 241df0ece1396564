"""Commands: what the freelancer asks for by name, outside the pass.

``mark-paid``, ``pause``, ``dispute`` and ``resume`` change an invoice through the ledger's
table (``command_on_invoice``); ``draft-termination`` and ``draft-rate-increase`` write one
draft through the same outbox as the pass (never sent: ``keys.may_send``); the daily digest
is written once a day into INBOX, or sent to the freelancer themselves. ``find_item`` is
how ``explain`` and the invoice commands name an invoice or a deliverable.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import TYPE_CHECKING

from . import holds
from .adapters.store import Store
from .domain import compose, fold, keys, ledger, termination
from .domain.keys import JournalEvent, invoice_item
from .domain.model import (
    Client,
    Deliverable,
    Draft,
    Evidence,
    Invoice,
    InvoiceStatus,
    RateIncrease,
    Termination,
)
from .errors import MailboxError, UsageError
from .pass_report import PassReport

if TYPE_CHECKING:
    from .engine import Engine

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- the ledger by hand


def find_invoice(store: Store, number: str, client: str | None) -> Invoice:
    from .domain.extract import normalise_invoice_number

    wanted = normalise_invoice_number(number)
    matches = [i for i in store.invoices_with_number(wanted) if client is None or i.client == client]
    if not matches:
        raise UsageError(
            f"no invoice {number!r}"
            + (f" for client {client!r}" if client else "")
            + " in the ledger (see `status`)"
        )
    if len(matches) > 1:
        owners = ", ".join(sorted(i.client for i in matches))
        raise UsageError(f"invoice {number!r} exists for several clients ({owners}); add --client")
    return matches[0]


def find_item(store: Store, text: str, client: str | None) -> Invoice | Deliverable:
    """An invoice by number, or a deliverable by its id (``d1a2b3c4``, as `status` shows it)."""
    from .domain.model import deliverable_id

    if text.lower().startswith("d") and len(text) == 8:
        found = [
            d
            for d in store.deliverables()
            if deliverable_id(d.message_id) == text.lower() and (client is None or d.client == client)
        ]
        if len(found) == 1:
            return found[0]
    return find_invoice(store, text, client)


def command_on_invoice(
    store: Store,
    number: str,
    event: ledger.Event,
    *,
    client: str | None,
    on: date,
    now: datetime,
    until: date | None = None,
    note: str = "",
    remember: bool = True,
    request: str = "",
) -> Invoice:
    """``mark-paid``, ``pause``, ``dispute``, ``resume``: the freelancer changes an invoice's state.

    Each is also written to the record beside the state, so a lost state says it again.
    ``request`` is the id of the request the service applies it for (``handover.py``): kept
    in the journal line, in the same transaction, so that request is never applied twice."""
    invoice = find_invoice(store, number, client)
    if event is ledger.Event.PAID and invoice.status is InvoiceStatus.PAID:
        return invoice
    try:
        changed = ledger.apply(invoice, event, on=on, via="cli", until=until, note=note)
    except ledger.IllegalTransition as exc:
        raise UsageError(str(exc)) from None
    with store.transaction():
        store.save_invoice(changed)
        detail = {
            ledger.Event.PAID: f"marked paid on the command line (paid on {on})",
            ledger.Event.PAUSED: "paused on the command line" + (f" until {until}" if until else ""),
            ledger.Event.DISPUTED: "marked disputed on the command line",
            ledger.Event.RESUMED: "resumed on the command line",
        }.get(event, str(event))
        if note:
            detail += f": {note}"
        # `command` marks the line as said by command (what replay_commands looks for).
        data = {"command": str(event), **({"request": request} if request else {})}
        store.note(
            invoice_item(invoice), JournalEvent(event), detail, now, Evidence(source="cli", quote=note),
            data=data,
        )  # fmt: skip
    if remember:
        store.remember(
            {
                "event": "command", "command": str(event), "client": invoice.client, "number": invoice.number,
                "on": on.isoformat(), "until": until.isoformat() if until else "", "note": note,
                "at": now.isoformat(),
            }
        )  # fmt: skip
    log.info("invoice %s %s", invoice.key, detail)
    return changed


def replay_commands(store: Store, now: datetime) -> list[str]:
    """What the freelancer said by command (the record beside the state) and a lost or
    truncated state no longer knows: said again, once. A state that knows it (a journal
    line from the command line for that invoice and event) is left alone."""
    replayed = []
    for line in store.remember_lines("command"):
        try:
            event = ledger.Event(line["command"])
            client, number = str(line["client"]), str(line["number"])
            on = date.fromisoformat(line["on"])
            until = date.fromisoformat(line["until"]) if line.get("until") else None
        except (KeyError, ValueError):
            continue
        invoice = store.invoice(client, number)
        if invoice is None:
            continue  # not read yet (its email is in a folder not scanned yet): next pass
        said = any(e.event == str(event) and said_by_command(e) for e in store.history(invoice_item(invoice)))
        if said or (event is ledger.Event.PAID and invoice.status == "paid"):
            continue
        try:
            command_on_invoice(
                store, number, event, client=client, on=on, now=now, until=until,
                note=str(line.get("note") or ""), remember=False,
            )  # fmt: skip
        except UsageError:
            continue  # no longer possible (paid since): nothing to say again
        replayed.append(f"{invoice_item(invoice)}: {event} (restored from the record)")
    return replayed


def said_by_command(entry) -> bool:
    """A journal line written by ``command_on_invoice``. The store reads a line's evidence
    back as mail (or none, without a quote), so the line says it in its data; a line from
    before that is known by its detail (``"... on the command line"``)."""
    return "command" in entry.data or "on the command line" in entry.detail


def mark_paid(store: Store, number: str, *, client: str | None, on: date, now: datetime) -> Invoice:
    """The freelancer says an invoice was paid (``freelance-assistant mark-paid``)."""
    return command_on_invoice(store, number, ledger.Event.PAID, client=client, on=on, now=now)


# --------------------------------------------------------------------------- one draft by hand


def client_named(engine: Engine, client_id: str) -> Client:
    client = engine.rules.clients.get(client_id)
    if client is None:
        known = ", ".join(sorted(engine.rules.clients)) or "none"
        raise UsageError(f"no client {client_id!r} in clients.yaml (clients: {known})")
    return client


def write_termination(
    engine: Engine, client_id: str, reason: str, now: datetime, *, discussed_on: date | None = None
) -> tuple[Draft, Termination]:
    """``draft-termination``: the freelancer decided; write the draft (never send it).

    ``discussed_on``: the day she talked to the client; the email confirms that conversation.
    """
    client = client_named(engine, client_id)
    store = engine.store
    today = engine.today(now)
    key = termination.manual_key(client, reason)
    entry = store.outbox_entry(key)
    if entry is not None:
        raise UsageError(
            f"a termination draft for {client.id} ({reason}) was already written on "
            f"{entry.created_at.astimezone(engine.tz):%Y-%m-%d}; it is in {entry.folder or 'Drafts'}"
        )
    invoices = store.invoices(client=client.id)
    notices = fold.final_notices(client, invoices, {e.key: e for e in store.outbox()}, engine.rules)
    case = termination.case(
        client, reason, key=key, invoices=invoices, deliverables=store.deliverables(client=client.id),
        rules=engine.rules, today=today, final_notices=notices, discussed_on=discussed_on,
    )  # fmt: skip
    report = PassReport(account=engine.account.name)
    draft = engine.compose_termination(case, now, today, report)
    if draft is None:
        raise UsageError("; ".join(report.errors))
    engine.outbox.draft(draft, engine.mailbox.folders(), now, report)
    if report.errors:
        raise MailboxError("; ".join(report.errors))
    store.note(keys.client_item(client.id), JournalEvent.TERMINATION_DRAFTED, f"reason: {reason}", now)
    return draft, case


def write_rate_increase(
    engine: Engine, client_id: str, rate: str, starting: date | None, now: datetime
) -> Draft:
    """``draft-rate-increase`` (seed 002): propose the new rate by email, suggesting a call."""
    client = client_named(engine, client_id)
    today = engine.today(now)
    increase = RateIncrease(
        key=keys.rate_key(client.id, today), client=client.id, rate=rate, starting=starting
    )
    if engine.store.outbox_entry(increase.key) is not None:
        raise UsageError(f"a rate proposal for {client.id} was already written today; it is in Drafts")
    template = engine.rules.template(client.language, engine.rules.termination.rate_increase_template)
    draft = compose.rate_increase_draft(
        increase,
        client=client,
        identity=engine.config.identity,
        template_text=template.text,
        now=now,
        today=today,
    )
    report = PassReport(account=engine.account.name)
    engine.outbox.draft(draft, engine.mailbox.folders(), now, report)
    if report.errors:
        raise MailboxError("; ".join(report.errors))
    return draft


def write_digest(engine: Engine, now: datetime, *, via: str = "imap") -> bool:
    """The daily digest, once a day: into the freelancer's INBOX, or by SMTP to themselves.

    True when it was delivered now, False when today's was delivered already.
    """
    draft = digest_draft(engine, now)
    if engine.store.outbox_entry(draft.key) is not None:
        return False
    folders = engine.mailbox.folders()
    if via == "smtp" and engine.sender is not None:
        report = PassReport(account=engine.account.name)
        engine.outbox.send(draft, folders, now, report)
    else:
        report = engine.outbox.deliver_to_inbox(draft, folders, now)
    if report.errors:
        raise MailboxError("; ".join(report.errors))
    return True


def digest_draft(engine: Engine, now: datetime) -> Draft:
    """Today's digest as it reads at `now`, delivered or not (`digest` prints it; the mailbox is not touched)."""
    from .domain import digest
    from .report import LOCALES

    today = engine.today(now)
    key = keys.digest_key(engine.account.name, today)
    store = engine.store
    identity = engine.config.identity
    held = holds.waiting(store)  # the first run's holds: listed to confirm, not as overdue
    context = digest.build_digest(
        clients=engine.rules.clients, invoices=[i for i in store.invoices() if i not in held],
        deliverables=store.deliverables(), outbox=store.outbox(), journal=store.journal(prefix="client/"),
        rules=engine.rules, today=today, now=now, tz=engine.tz, unreadable=store.unreadable(),
        other_installations=[i for i, _, _ in store.other_installations()],
    )  # fmt: skip
    sync = engine.account.bank_sync
    synced = store.bank_sync(sync.provider) if sync is not None else None
    context = digest.with_confirmations(
        context, held=held, credits=[t.credit for t in store.bank_transactions("unmatched")],
        clients=engine.rules.clients, hold_days=engine.account.first_run_hold_days,
        consent_expires=synced[1] if synced else None, today=today,
    )  # fmt: skip
    template = engine.rules.template(identity.language, "digest")
    return compose.digest_draft(
        context, identity=identity, template_text=template.text, key=key, now=now,
        locale=LOCALES.get(identity.language, "en_GB"),
    )  # fmt: skip


def recover(store: Store, now: datetime, report: PassReport) -> None:
    """A lost, truncated or replaced state: what the record beside it knows and the state
    does not is restored (drafts written, commands given) before anything is planned; what
    is in the mailbox (our drafts in Drafts and Sent) is found by its token."""
    from .act import restore_drafts

    restored = restore_drafts(store, now)
    replayed = replay_commands(store, now)
    if restored or replayed:
        line = (
            f"the state did not know {len(restored)} draft(s) and {len(replayed)} command(s) of "
            f"its record {store.record_path}: restored (was it lost, truncated or replaced?)"
        )
        log.warning("%s", line)
        report.changes.append(line)
        report.changes.extend(replayed)


def compose_termination(
    engine: Engine, case: Termination, now: datetime, today: date, report: PassReport
) -> Draft | None:
    """The termination email of ``case``, its outstanding invoices attached; None (and the
    reason in ``report``) when the template cannot be rendered."""
    client = engine.rules.clients[case.client]
    rules = engine.rules.termination
    try:
        template = engine.rules.template(client.language, rules.template)
        attachments = {
            i.number: a
            for i in case.invoices
            if i.attachment_sha256 and (a := engine.store.attachment(i.attachment_sha256)) is not None
        }
        return compose.termination_draft(
            case, client=client, identity=engine.config.identity, template_text=template.text,
            attachments=attachments, referrals=rules.referrals,
            final_invoice_terms_days=rules.final_invoice_terms_days, now=now, today=today, tz=engine.tz,
        )  # fmt: skip
    except (KeyError, compose.TemplateError) as exc:
        message = f"{case.key}: cannot compose the termination draft: {exc}"
        log.error("%s", message)
        report.errors.append(message)
        return None
