"""One pass of the assistant over one account: sync -> classify -> ledger -> plan -> act.

The pass reads what is new in the Sent folder since the stored checkpoint, classifies
the candidates, updates the ledger, plans the due reminders, composes them and then,
unless it is a dry run, appends them to Drafts through the outbox protocol.

Ingestion (checkpoint, ledger, journal) is one SQLite transaction: a pass that fails
half-way leaves the state as it was and the next pass does the same work again. A dry
run performs the whole pass inside that transaction and rolls it back, so it changes
neither the mailbox nor the state.

Acting is deliberately outside that transaction and exactly-once per action key:
claim the key (``pending``), look for a draft already carrying it, append if there is
none, mark the key ``drafted``. A crash in between leaves a ``pending`` key, resolved
at the start of the next pass by looking in Drafts and Sent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from .adapters.credentials import password_for
from .adapters.mailbox import Folders, Mailbox, Uid
from .adapters.parse import parse_header, parse_mail
from .adapters.store import Store
from .config import Account, Config
from .domain import classify, compose, ladder, ledger
from .domain.model import Draft, FolderRole, Invoice, InvoiceStatus, Reminder
from .errors import MailboxError, UsageError

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 40 * 1024 * 1024  # larger messages are reported and left alone
DRAFT_FLAGS = ("\\Draft",)


@dataclass
class PassReport:
    """What one pass saw and did, for the CLI, the logs and the tests."""

    account: str
    dry_run: bool = False
    scanned: int = 0
    candidates: int = 0
    invoices: list[Invoice] = field(default_factory=list)
    paid: list[Invoice] = field(default_factory=list)
    reopened: list[Invoice] = field(default_factory=list)
    planned: list[Reminder] = field(default_factory=list)
    composed: list[Draft] = field(default_factory=list)
    drafted: list[Draft] = field(default_factory=list)
    skipped_messages: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class _DryRun(Exception):
    """Raised inside the pass transaction to roll a dry run back."""


def state_path(config: Config, account: Account):
    return config.state_dir / f"{account.name}.sqlite3"


def open_mailbox(account: Account) -> Mailbox:
    """The adapter for ``account``. Nothing connects until the first call."""
    if account.maildir is not None:
        from .adapters.maildir import MaildirMailbox

        names = account.maildir.folders
        return MaildirMailbox(account.maildir.path, inbox=names.inbox, sent=names.sent, drafts=names.drafts)
    from .adapters.imap import ImapMailbox

    imap = account.imap
    assert imap is not None
    return ImapMailbox(
        host=imap.host,
        port=imap.effective_port,
        username=imap.username,
        password=lambda: password_for(imap),
        security=imap.security,
        ca_file=imap.ca_file,
        timeout=imap.timeout,
        inbox=imap.folders.inbox,
        sent=imap.folders.sent,
        drafts=imap.folders.drafts,
    )


class Engine:
    def __init__(self, config: Config, account: Account, mailbox: Mailbox, store: Store):
        self.config = config
        self.account = account
        self.mailbox = mailbox
        self.store = store
        self.rules = config.rules
        self.tz = ZoneInfo(config.identity.timezone)

    def today(self, now: datetime) -> date:
        return now.astimezone(self.tz).date()

    # ----------------------------------------------------------------- the pass

    def run_pass(self, now: datetime, *, dry_run: bool = False) -> PassReport:
        report = PassReport(account=self.account.name, dry_run=dry_run)
        today = self.today(now)
        folders = self.mailbox.folders()
        if not dry_run:
            self._resolve_pending(folders, now)
        try:
            with self.store.transaction():
                self.store.sync_clients(
                    {c.id: (c.name, c.language) for c in self.rules.clients.values()}, now
                )
                self._ingest(FolderRole.SENT, folders.sent, now, today, report)
                report.planned = ladder.due_reminders(
                    self.store.invoices(InvoiceStatus.OPEN),
                    self.rules.escalation.invoice,
                    self.rules.clients,
                    self.store.taken_keys(),
                    today,
                )
                report.composed = [
                    d for d in (self._compose(r, now, today, report) for r in report.planned) if d
                ]
                if dry_run:
                    raise _DryRun
        except _DryRun:
            pass
        if not dry_run:
            for draft in report.composed:
                self._act(draft, folders, now, report)
        return report

    # ----------------------------------------------------------------- ingest

    def _ingest(self, role: FolderRole, folder: str, now: datetime, today: date, report: PassReport) -> None:
        checkpoint = self.store.checkpoint(role)
        since = today - timedelta(days=self.account.lookback_days) if self.account.lookback_days else None
        scan = self.mailbox.scan(folder, checkpoint, since=since, watch=self.store.watched_uids(role))
        if scan.reset and checkpoint is not None:
            self.store.forget_locations(role)
            self.store.note(f"folder/{role}", "rescan", f"{folder}: UIDVALIDITY changed", now)
        for batch in scan.batches:
            report.scanned += len(batch)
            candidates = {}
            for raw in batch:
                header = parse_header(raw.header, uid=raw.uid, flags=raw.flags, size=raw.size)
                if classify.is_candidate(header, role, self.rules):
                    candidates[raw.uid] = header
            if not candidates:
                continue
            report.candidates += len(candidates)
            wanted = []
            for uid, header in candidates.items():
                if header.size > MAX_MESSAGE_BYTES:
                    self._skip(report, role, uid, header.message_id, f"too large ({header.size} bytes)")
                else:
                    wanted.append(uid)
            for uid, data in self.mailbox.fetch(folder, wanted):
                header = candidates.get(uid) or candidates.get(str(uid))
                try:
                    self._classify(
                        role, uid, data, header.flags if header else frozenset(), now, today, report
                    )
                except Exception as exc:  # one bad message never stops a pass
                    self._skip(
                        report, role, uid, header.message_id if header else "", f"{type(exc).__name__}: {exc}"
                    )
        for uid, flags in scan.flag_changes:
            invoice = self.store.invoice_at(role, uid)
            if invoice is not None:
                self._paid_tag(invoice, classify.paid_keyword_present(flags, self.rules), today, now, report)
        self.store.set_checkpoint(role, scan.checkpoint, now)

    def _skip(self, report: PassReport, role: FolderRole, uid: Uid, message_id: str, reason: str) -> None:
        # Logged without subject or body: only where the message is and why it was skipped.
        line = f"{role} message {uid} {message_id or '(no Message-ID)'}: {reason}"
        log.warning("skipped %s", line)
        report.skipped_messages.append(line)

    def _classify(
        self,
        role: FolderRole,
        uid: Uid,
        data: bytes,
        flags: frozenset[str],
        now: datetime,
        today: date,
        report: PassReport,
    ) -> None:
        mail = parse_mail(data, uid=uid, flags=flags)
        if role is not FolderRole.SENT:
            return
        seen = classify.classify_sent(mail, self.rules, tz=self.tz, seen_on=today)
        if seen is None:
            return
        existing = self.store.invoice(seen.invoice.client, seen.invoice.number)
        new = ledger.record(existing, seen)
        if new is not None:
            self.store.save_invoice(new)
            if seen.attachment is not None:
                self.store.save_attachment(new.attachment_sha256, seen.attachment)
            amount = f"{new.amount.amount} {new.amount.currency}" if new.amount else "amount unknown"
            self.store.note(
                f"invoice/{new.key}",
                "found",
                f"{amount}, issued {new.issue_date}, due {new.due_date}; {new.message_id}",
                now,
            )
            log.info("invoice %s found: %s, due %s", new.key, amount, new.due_date)
            report.invoices.append(new)
        invoice = new or existing
        assert invoice is not None
        if invoice.message_id == mail.header.message_id:
            self.store.locate_invoice(invoice, role, uid)
            if classify.paid_keyword_present(mail.header.flags, self.rules):
                self._paid_tag(invoice, True, today, now, report)

    def _paid_tag(
        self, invoice: Invoice, present: bool, today: date, now: datetime, report: PassReport
    ) -> None:
        invoice = self.store.invoice(invoice.client, invoice.number) or invoice
        keyword = self.rules.invoices.paid_keyword
        if present and invoice.status is InvoiceStatus.OPEN:
            changed = ledger.apply(invoice, ledger.Event.PAID, on=today, via="keyword")
            report.paid.append(changed)
            detail = f"the invoice email was tagged {keyword}"
        elif not present and invoice.status is InvoiceStatus.PAID and invoice.paid_via == "keyword":
            changed = ledger.apply(invoice, ledger.Event.REOPENED, on=today, via="keyword")
            report.reopened.append(changed)
            detail = f"the {keyword} tag was removed"
        else:
            return
        self.store.save_invoice(changed)
        self.store.note(f"invoice/{invoice.key}", changed.status.value, detail, now)
        log.info("invoice %s %s: %s", invoice.key, changed.status.value, detail)

    # ----------------------------------------------------------------- compose and act

    def _compose(self, reminder: Reminder, now: datetime, today: date, report: PassReport) -> Draft | None:
        client = self.rules.clients[reminder.invoice.client]
        try:
            template = self.rules.template(client.language, reminder.stage.template)
            attachment = (
                self.store.attachment(reminder.invoice.attachment_sha256)
                if reminder.invoice.attachment_sha256
                else None
            )
            return compose.reminder_draft(
                reminder,
                client=client,
                identity=self.config.identity,
                template_text=template.text,
                attachment=attachment,
                now=now,
                today=today,
            )
        except (KeyError, compose.TemplateError) as exc:
            message = f"{reminder.key}: cannot compose the draft: {exc}"
            log.error("%s", message)
            report.errors.append(message)
            return None

    def _act(self, draft: Draft, folders: Folders, now: datetime, report: PassReport) -> None:
        self.store.add_pending(
            key=draft.key,
            kind=draft.kind,
            message_id=draft.message_id,
            subject=draft.subject,
            recipient=draft.to.email,
            folder=folders.drafts,
            at=now,
        )
        try:
            existing = self._find_ours(draft.key, folders)
            uid = (
                existing
                if existing is not None
                else self.mailbox.append(folders.drafts, draft.data, flags=DRAFT_FLAGS, when=now)
            )
        except MailboxError as exc:
            # The key stays pending; the next pass looks for the draft and finishes the job.
            message = f"{draft.key}: appending the draft failed: {exc}"
            log.error("%s", message)
            report.errors.append(message)
            return
        with self.store.transaction():
            self.store.complete(draft.key, state="drafted", uid=uid, at=now)
            self.store.note(
                _subject_of(draft.key),
                "drafted",
                f"{draft.subject!r} to {draft.to.email} in {folders.drafts}",
                now,
            )
        log.info("draft %s appended to %s (to %s)", draft.key, folders.drafts, draft.to.email)
        report.drafted.append(draft)

    def _find_ours(self, key: str, folders: Folders) -> Uid | None:
        for folder in (folders.drafts, folders.sent):
            found = self.mailbox.search_header(folder, compose.KEY_HEADER, key)
            if found:
                return found[0]
        return None

    def _resolve_pending(self, folders: Folders, now: datetime) -> None:
        """Finish what a crash interrupted: a pending key either has its draft, or never got it."""
        for entry in self.store.outbox("pending"):
            uid = self._find_ours(entry.key, folders)
            with self.store.transaction():
                if uid is not None:
                    self.store.complete(entry.key, state="drafted", uid=uid, at=now)
                    self.store.note(
                        _subject_of(entry.key), "drafted", "found in the mailbox after an interruption", now
                    )
                    log.info("draft %s found after an interruption", entry.key)
                else:
                    self.store.release(entry.key)
                    log.info("draft %s was never appended; it will be written again", entry.key)


def _subject_of(key: str) -> str:
    """``invoice/acme/2026-001/first-reminder`` -> ``invoice/acme/2026-001``."""
    return key.rsplit("/", 1)[0]


# --------------------------------------------------------------------------- commands


def mark_paid(store: Store, number: str, *, client: str | None, on: date, now: datetime) -> Invoice:
    """The freelancer says an invoice was paid (``freelance-assistant mark-paid``)."""
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
    invoice = matches[0]
    if invoice.status is InvoiceStatus.PAID:
        return invoice
    try:
        paid = ledger.apply(invoice, ledger.Event.PAID, on=on, via="cli")
    except ledger.IllegalTransition as exc:
        raise UsageError(str(exc)) from None
    with store.transaction():
        store.save_invoice(paid)
        store.note(f"invoice/{invoice.key}", "paid", f"marked paid on the command line (paid on {on})", now)
    log.info("invoice %s paid: marked on the command line", invoice.key)
    return paid
