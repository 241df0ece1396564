"""One pass of the assistant over one account: sync -> classify -> ledger -> plan -> act.

The pass reads what is new since the stored checkpoints, Sent first (the freelancer's
invoices, deliverables, and the reminders they actually sent), then INBOX (what clients
answered: payments, disputes, promises, approvals; payment notifications), updates the
ledger (and the last message exchanged with each client), plans the due reminders,
follow-ups and check-ins, composes them and then, unless it is a dry run, appends them
to Drafts through the outbox protocol.

Ingestion (checkpoints, ledger, journal) is one SQLite transaction: a pass that fails
half-way leaves the state as it was and the next pass does the same work again. A
message changes an item at most once (the journal remembers which message did what),
so reading the same mail again after a UIDVALIDITY change counts nothing twice. A dry
run performs the whole pass inside that transaction and rolls it back, so it changes
neither the mailbox nor the state.

A scan of several header batches (a first scan reads months of mail) commits after each
batch but the last, together with the checkpoint that covers exactly that batch
(``FolderScan.partial``): an interrupted first scan keeps what it read, and the next
pass goes on from there. The ``progress`` callable of ``run_pass`` hears how far each
folder's scan is after every batch; the engine does nothing else with it.

Acting is deliberately outside that transaction and exactly-once per action key:
claim the key (``pending``), look for a draft already carrying it, append if there is
none, mark the key ``drafted``. A crash in between leaves a ``pending`` key, resolved
at the start of the next pass by looking in Drafts and Sent.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from . import bank_import, holds
from .adapters.credentials import password_for, secret_for
from .adapters.mailbox import Folders, Mailbox, RawHeader, Uid
from .adapters.parse import parse_header, parse_mail
from .adapters.smtp import SENDABLE_KINDS, Sender
from .adapters.store import Store
from .config import Account, Config
from .domain import checkin, classify, compose, ladder, ledger, termination, threads
from .domain.model import (
    CheckIn,
    Client,
    Contact,
    Deliverable,
    DeliverableStatus,
    Draft,
    Evidence,
    FolderRole,
    FollowUp,
    Invoice,
    InvoiceStatus,
    Mail,
    MailHeader,
    RateIncrease,
    Reminder,
    Rules,
    Signal,
    Termination,
    deliverable_id,
)
from .errors import BankSyncError, CredentialError, MailboxError, SendFailed, SendRefused, UsageError

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 40 * 1024 * 1024  # larger messages are reported and left alone
DRAFT_FLAGS = ("\\Draft",)
# Invoices a client's message can still change (paid ones only by removing the tag).
UNPAID = (InvoiceStatus.OPEN, InvoiceStatus.PROMISED, InvoiceStatus.DISPUTED, InvoiceStatus.PAUSED)


@dataclass
class PassReport:
    """What one pass saw and did, for the CLI, the logs and the tests."""

    account: str
    dry_run: bool = False
    scanned: int = 0
    candidates: int = 0
    invoices: list[Invoice] = field(default_factory=list)
    deliverables: list[Deliverable] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)  # one line per state change
    paid: list[Invoice] = field(default_factory=list)
    reopened: list[Invoice] = field(default_factory=list)
    planned: list[Reminder | FollowUp | CheckIn] = field(default_factory=list)
    composed: list[Draft] = field(default_factory=list)
    drafted: list[Draft] = field(default_factory=list)
    sent_by_smtp: list[Draft] = field(default_factory=list)  # stages with `action: send`
    terminations: list[Termination] = field(default_factory=list)  # suggested this pass
    sent: list[str] = field(default_factory=list)  # keys whose draft was seen in Sent
    skipped_messages: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    held: list[Invoice] = field(default_factory=list)  # first run: old invoices held to confirm (issue 15)


@dataclass(frozen=True, slots=True)
class ScanProgress:
    """How far the scan of one folder is, told to ``run_pass``'s ``progress`` callable."""

    account: str
    folder: str  # its name in the mailbox
    done: int  # messages read so far
    total: int  # new messages this scan reads
    elapsed: float  # seconds since this folder's scan began
    first: bool  # a first scan (or the rest of an interrupted one)
    finished: bool = False  # the last report of this folder's scan

    @property
    def rate(self) -> float:
        """Messages read per second so far."""
        return self.done / self.elapsed if self.elapsed > 0 else 0.0


Progress = Callable[[ScanProgress], None]


class _DryRun(Exception):
    """Raised inside the pass transaction to roll a dry run back."""


class Stopped(Exception):
    """The service is stopping: the pass was rolled back and will be redone."""


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
        password=lambda: secret_for(imap),
        auth=imap.auth,
        security=imap.security,
        ca_file=imap.ca_file,
        timeout=imap.timeout,
        inbox=imap.folders.inbox,
        sent=imap.folders.sent,
        drafts=imap.folders.drafts,
    )


def open_sender(account: Account) -> Sender | None:
    """The SMTP sender of ``account`` (for stages with ``action: send``), or None."""
    smtp = account.smtp
    if smtp is None:
        return None
    source = smtp if smtp.has_own_password or account.imap is None else account.imap
    return Sender(
        host=smtp.host,
        port=smtp.effective_port,
        security=smtp.security,
        username=smtp.username
        if smtp.username is not None
        else (account.imap.username if account.imap else ""),
        password=lambda: password_for(source),
        ca_file=smtp.ca_file,
        timeout=smtp.timeout,
    )


def invoice_item(invoice: Invoice) -> str:
    return f"invoice/{invoice.key}"


def deliverable_item(deliverable: Deliverable) -> str:
    return f"deliverable/{deliverable.key}"


class Engine:
    def __init__(
        self, config: Config, account: Account, mailbox: Mailbox, store: Store, sender: Sender | None = None
    ):
        self.config = config
        self.account = account
        self.mailbox = mailbox
        self.store = store
        self.sender = sender
        self._actions: dict[str, str] = {}
        self._stop: threading.Event | None = None
        self._progress: Progress | None = None
        self._quick: tuple[Rules, classify.QuickFilter] | None = None
        self._unpaid: dict[str, dict[str, Invoice]] = {}
        # The last message with each client seen since the last commit (see _save_contacts).
        self._contacts: dict[str, Contact] = {}
        self.rules = config.rules
        self.tz = ZoneInfo(config.identity.timezone)
        self._index: threads.ThreadIndex | None = None
        self._held: set[tuple[str, str]] = set()

    def today(self, now: datetime) -> date:
        return now.astimezone(self.tz).date()

    # ----------------------------------------------------------------- the pass

    def run_pass(
        self,
        now: datetime,
        *,
        dry_run: bool = False,
        plan: bool = True,
        stop: threading.Event | None = None,
        progress: Progress | None = None,
    ) -> PassReport:
        """One pass. ``plan=False`` only reads mail and updates the ledger (the service does
        that on every IDLE push and writes drafts at the start of the working day).
        ``stop`` set by another thread ends the pass early: before the commit it rolls
        the pass back (the next one redoes the work; the batches of a long scan committed
        already stay), after it no further draft is written. ``progress`` is called with a
        ``ScanProgress`` after every header batch; an exception it raises (Ctrl-C) ends
        the pass like any other, after the batches committed so far.
        """
        report = PassReport(account=self.account.name, dry_run=dry_run)
        today = self.today(now)
        self._stop = stop
        self._progress = progress
        folders = self.mailbox.folders()
        if not dry_run:
            self._resolve_pending(folders, now)
        self._unpaid = {}
        self._contacts = {}
        try:
            with self.store.transaction():
                self._index = None
                self.store.sync_clients(
                    {c.id: (c.name, c.language) for c in self.rules.clients.values()}, now
                )
                self._ingest(FolderRole.SENT, folders.sent, now, today, report)
                self._ingest(FolderRole.INBOX, folders.inbox, now, today, report)
                self._save_contacts()
                self._import_statements(now, report)
                self._settle_calendar(now, today, report)
                if plan:
                    self._plan(now, today, report)
                if dry_run:
                    raise _DryRun
            if self._index is not None:  # committed: the index matches the tables again
                self.store.memo["threads"] = (self.store.generation, self._index)
        except _DryRun:
            pass
        finally:
            self._index = None
        if not dry_run:
            for draft in report.composed:
                if stop is not None and stop.is_set():
                    break
                self._act(draft, folders, now, report)
        return report

    def _check_stop(self) -> None:
        if self._stop is not None and self._stop.is_set():
            raise Stopped("stop requested: the pass is rolled back and redone next time")

    def _change(
        self,
        report: PassReport,
        item: str,
        event: str,
        detail: str,
        now: datetime,
        evidence: Evidence | None = None,
    ) -> None:
        """Record one state change: journal, log line, report."""
        self.store.note(item, event, detail, now, evidence)
        line = f"{item}: {event}" + (f" ({detail})" if detail else "")
        log.info("%s", line)
        report.changes.append(line)

    # ----------------------------------------------------------------- ingest

    def _ingest(self, role: FolderRole, folder: str, now: datetime, today: date, report: PassReport) -> None:
        checkpoint = self.store.checkpoint(role)
        since = today - timedelta(days=self.account.lookback_days) if self.account.lookback_days else None
        watch = self.store.watched_uids(role) if role is FolderRole.SENT else []
        scan = self.mailbox.scan(folder, checkpoint, since=since, watch=watch)
        if scan.reset and checkpoint is not None:
            self.store.forget_locations(role)
            self.store.note(f"folder/{role}", "rescan", f"{folder}: UIDVALIDITY changed", now)
        started, done = time.monotonic(), 0

        def tell(finished: bool = False) -> None:
            if self._progress is not None and scan.total:
                elapsed = time.monotonic() - started
                self._progress(
                    ScanProgress(self.account.name, folder, done, scan.total, elapsed, scan.first, finished)
                )

        tell()
        for number, batch in enumerate(scan.batches, 1):
            self._check_stop()
            report.scanned += len(batch)
            self._ingest_batch(role, folder, batch, now, today, report)
            done += len(batch)
            partial = None if report.dry_run else scan.partial(number)
            if partial is not None:
                # The batch and the checkpoint just past it, durable together: an interrupted
                # first scan goes on from here next time and reads nothing twice.
                self.store.set_checkpoint(role, partial, now)
                self._save_contacts()
                self.store.commit()
            tell()
        for uid, flags in scan.flag_changes:
            invoice = self.store.invoice_at(role, uid)
            if invoice is not None:
                self._paid_tag(invoice, classify.paid_keyword_present(flags, self.rules), today, now, report)
        self.store.set_checkpoint(role, scan.checkpoint, now)
        tell(finished=True)

    def _ingest_batch(
        self,
        role: FolderRole,
        folder: str,
        batch: list[RawHeader],
        now: datetime,
        today: date,
        report: PassReport,
    ) -> None:
        quick = self._quick_filter()
        candidates: dict[Uid, MailHeader] = {}
        for raw in batch:
            if not quick(raw.header, role):
                continue  # not a client's mail: not even parsed
            header = parse_header(raw.header, uid=raw.uid, flags=raw.flags, size=raw.size)
            if classify.is_candidate(header, role, self.rules):
                candidates[raw.uid] = header
                # From the header alone, so a message skipped below is contact too.
                contact = checkin.contact_in(header, role, self.rules, now)
                if contact is not None:
                    known = self._contacts.get(contact.client)
                    self._contacts[contact.client] = checkin.latest(known, contact)
        if candidates:
            report.candidates += len(candidates)
            self._fetch_candidates(role, folder, candidates, now, today, report)

    def _fetch_candidates(
        self,
        role: FolderRole,
        folder: str,
        candidates: dict[Uid, MailHeader],
        now: datetime,
        today: date,
        report: PassReport,
    ) -> None:
        wanted = []
        for uid, header in candidates.items():
            if header.size > MAX_MESSAGE_BYTES:
                self._skip(report, role, uid, header.message_id, f"too large ({header.size} bytes)")
            elif role is FolderRole.INBOX and threads.is_automatic(header):
                # An auto-reply or a bounce is journaled, never read: its header says enough.
                self._incoming_mail(Mail(header=header), now, today, report)
            else:
                wanted.append(uid)
        sizes = {uid: candidates[uid].size for uid in wanted}
        for uid, data in self.mailbox.fetch(folder, wanted, sizes):
            header = candidates.get(uid) or candidates.get(str(uid))
            flags = header.flags if header else frozenset()
            try:
                mail = parse_mail(data, uid=uid, flags=flags, header=header)
                if role is FolderRole.SENT:
                    self._sent_mail(mail, uid, now, today, report)
                else:
                    self._incoming_mail(mail, now, today, report)
            except Exception as exc:  # one bad message never stops a pass
                self._skip(
                    report, role, uid, header.message_id if header else "", f"{type(exc).__name__}: {exc}"
                )

    def _save_contacts(self) -> None:
        """The last message with each client seen so far; saved with each commit, so an
        interrupted first scan keeps the contacts of the batches it kept."""
        for contact in self._contacts.values():
            self.store.save_contact(contact)
        self._contacts = {}

    def _quick_filter(self) -> classify.QuickFilter:
        if self._quick is None or self._quick[0] is not self.rules:
            self._quick = (self.rules, classify.QuickFilter(self.rules))
        return self._quick[1]

    def _skip(self, report: PassReport, role: FolderRole, uid: Uid, message_id: str, reason: str) -> None:
        # Logged without subject or body: only where the message is and why it was skipped.
        line = f"{role} message {uid} {message_id or '(no Message-ID)'}: {reason}"
        log.warning("skipped %s", line)
        report.skipped_messages.append(line)

    # ----------------------------------------------------------------- the thread index

    @property
    def index(self) -> threads.ThreadIndex:
        """Everything the freelancer sent that an answer can refer to.

        Built from the store when the store changed since it was last built; kept in the
        store's memo, so a service's incremental passes (and the benchmark's) do not rebuild
        it from every invoice of the ledger for ten new messages.
        """
        if self._index is None:
            memo = self.store.memo.get("threads")
            if memo is not None and memo[0] == self.store.generation:
                self._index = memo[1]
                return self._index
            index = threads.ThreadIndex()
            for invoice in self.store.invoices():
                self._track(
                    index,
                    invoice.message_id,
                    invoice.subject,
                    invoice.client,
                    invoice.sent_at,
                    invoice.references,
                )
            for deliverable in self.store.deliverables():
                self._track(
                    index, deliverable.message_id, deliverable.subject, deliverable.client,
                    deliverable.sent_at, deliverable.references,
                )  # fmt: skip
            for entry in self.store.outbox():
                # invoice/<client>/<number>, deliverable/<client>/<id>, check-in/<client>
                client = entry.item.split("/")[1] if "/" in entry.item else ""
                if entry.parent_id and client:
                    self._track(
                        index, entry.message_id, entry.subject, client, entry.created_at, (entry.parent_id,)
                    )
            self._index = index
        return self._index

    def _track(
        self,
        index: threads.ThreadIndex,
        message_id: str,
        subject: str,
        client: str,
        sent_at: datetime,
        parents=(),
    ) -> None:
        if not message_id:
            return
        if sent_at.tzinfo is None:
            sent_at = sent_at.replace(tzinfo=self.tz)
        try:
            index.add(message_id, subject=subject, client=client, sent_at=sent_at, parents=tuple(parents))
        except ValueError:
            log.debug("not tracking unreadable message id %r", message_id)

    def _item_of(self, message_id: str) -> Invoice | Deliverable | None:
        """The invoice or deliverable whose thread ``message_id`` (a tracked id) belongs to."""
        root = self.index.thread_of(message_id) or message_id
        invoice = self.store.invoice_by_message_id(root)
        if invoice is not None:
            return invoice
        return self.store.deliverable(root)

    # ----------------------------------------------------------------- Sent

    def _sent_mail(self, mail: Mail, uid: Uid, now: datetime, today: date, report: PassReport) -> None:
        header = mail.header
        sent_at = header.date or now
        # 1. One of our drafts, sent by the freelancer: the ladder may climb.
        entry = None
        if header.assistant_key:
            entry = self.store.outbox_entry(header.assistant_key)
            if entry is None:
                # The state was lost, or the draft came from another installation.
                item = header.assistant_key.rsplit("/", 1)[0]
                kind = (
                    "follow-up"
                    if item.startswith("deliverable/")
                    else "check-in"
                    if item.startswith("check-in/")
                    else "reminder"
                )
                recipient = header.to[0].email if header.to else ""
                if self.store.record_sent(
                    key=header.assistant_key, kind=kind, item=item, message_id=header.message_id,
                    subject=header.subject, recipient=recipient, at=sent_at,
                ):  # fmt: skip
                    self._sent(
                        report, header.assistant_key, item, "seen in Sent (not in the outbox)", now, header
                    )
                return
        elif header.message_id:
            entry = self.store.outbox_by_message_id(header.message_id)
        if entry is not None:
            if self.store.mark_sent(entry.key, sent_at):
                self._sent(report, entry.key, entry.item, "seen in Sent", now, header)
            return
        # 2. An invoice, or else a deliverable.
        seen = classify.classify_sent(mail, self.rules, tz=self.tz, seen_on=today)
        if seen is not None:
            self._invoice_seen(seen, mail, uid, now, today, report)
            return
        delivered = classify.classify_deliverable(mail, self.rules)
        if delivered is not None:
            new = ledger.record_deliverable(
                self.store.deliverable(delivered.deliverable.message_id), delivered
            )
            if new is not None:
                self.store.save_deliverable(new)
                self._track(self.index, new.message_id, new.subject, new.client, new.sent_at, new.references)
                self._change(
                    report,
                    deliverable_item(new),
                    "delivered",
                    f"{new.subject!r} sent {new.sent_at:%Y-%m-%d}",
                    now,
                    Evidence.of(header),
                )
                report.deliverables.append(new)
            return
        # 3. The freelancer's own reply in a tracked thread after a draft was made: they
        #    chased in their own words. That counts as the drafted stage being sent.
        client = classify.client_of_recipients(header, self.rules)
        parent = self.index.parent_of(header, client=client.id if client else None)
        if parent is None:
            return
        item = self._item_of(parent)
        if item is None:
            return
        name = invoice_item(item) if isinstance(item, Invoice) else deliverable_item(item)
        for entry in self.store.outbox_for(name):
            after_draft = header.date is None or header.date >= entry.created_at
            if entry.state == "drafted" and after_draft and self.store.mark_sent(entry.key, sent_at):
                self._sent(report, entry.key, name, "the freelancer replied in the thread", now, header)

    def _sent(
        self, report: PassReport, key: str, item: str, how: str, now: datetime, header: MailHeader
    ) -> None:
        report.sent.append(key)
        event = "check-in sent" if key.startswith("check-in/") else "reminder sent"
        self._change(report, item, event, f"{key.rsplit('/', 1)[1]}: {how}", now, Evidence.of(header))

    def _invoice_seen(
        self, seen, mail: Mail, uid: Uid, now: datetime, today: date, report: PassReport
    ) -> None:
        existing = self.store.invoice(seen.invoice.client, seen.invoice.number)
        new = ledger.record(existing, seen)
        if new is not None:
            self._save_invoice(new)
            if seen.attachment is not None:
                self.store.save_attachment(new.attachment_sha256, seen.attachment)
            self._track(self.index, new.message_id, new.subject, new.client, new.sent_at, new.references)
            amount = f"{new.amount.amount} {new.amount.currency}" if new.amount else "amount unknown"
            self._change(
                report,
                invoice_item(new),
                "invoiced",
                f"{amount}, issued {new.issue_date}, due {new.due_date}",
                now,
                Evidence.of(mail.header),
            )
            report.invoices.append(new)
        invoice = new or existing
        assert invoice is not None
        if invoice.message_id == mail.header.message_id:
            self.store.locate_invoice(invoice, FolderRole.SENT, uid)
            if classify.paid_keyword_present(mail.header.flags, self.rules):
                self._paid_tag(invoice, True, today, now, report)

    def _paid_tag(
        self, invoice: Invoice, present: bool, today: date, now: datetime, report: PassReport
    ) -> None:
        invoice = self.store.invoice(invoice.client, invoice.number) or invoice
        keyword = self.rules.invoices.paid_keyword
        if present and invoice.status in UNPAID:
            changed = ledger.apply(invoice, ledger.Event.PAID, on=today, via="keyword")
            report.paid.append(changed)
            detail = f"the invoice email was tagged {keyword}"
        elif not present and invoice.status is InvoiceStatus.PAID and invoice.paid_via == "keyword":
            changed = ledger.apply(invoice, ledger.Event.REOPENED, on=today, via="keyword")
            report.reopened.append(changed)
            detail = f"the {keyword} tag was removed"
        else:
            return
        self._save_invoice(changed)
        self._change(report, invoice_item(invoice), changed.status.value, detail, now, Evidence(source="tag"))

    # ----------------------------------------------------------------- INBOX

    def _incoming_mail(self, mail: Mail, now: datetime, today: date, report: PassReport) -> None:
        header = mail.header
        written_on = header.date.astimezone(self.tz).date() if header.date else today
        notifier = classify.notifier_of(header, self.rules)
        if notifier is not None:
            self._payment_notice(mail, notifier, written_on, now, report)
            return
        client = classify.client_of_sender(header, self.rules)
        if client is None:
            return
        parent = self.index.parent_of(header, client=client.id)
        item = self._item_of(parent) if parent else None
        robot = threads.is_automatic(header)
        if robot is not None:
            if item is not None:
                name = invoice_item(item) if isinstance(item, Invoice) else deliverable_item(item)
                if not self._seen(name, header.message_id):
                    self._change(
                        report, name, "automatic reply", f"{robot}; not an answer", now, Evidence.of(header)
                    )
            return
        text = classify.fresh_text(mail.text)
        signals = {
            s.signal: s
            for s in classify.signals_in(
                text, self.rules.signals, language=client.language, written_on=written_on
            )
        }
        if Signal.SCOPE_CHANGE in signals and not self._seen(f"client/{client.id}", header.message_id):
            self._change(
                report,
                f"client/{client.id}",
                "scope change",
                "",
                now,
                Evidence.of(header, signals[Signal.SCOPE_CHANGE].quote),
            )
        if isinstance(item, Deliverable):
            self._deliverable_answered(item, signals, header, now, report)
        invoices = [item] if isinstance(item, Invoice) else []
        open_numbers = self._unpaid_of(client.id)
        for number in classify.invoice_numbers_named(text + " " + header.subject, open_numbers):
            if open_numbers[number] not in invoices:
                invoices.append(open_numbers[number])
        for invoice in invoices:
            self._client_said(invoice, signals, header, written_on, now, report)

    def _save_invoice(self, invoice: Invoice) -> None:
        self.store.save_invoice(invoice)
        self._unpaid.pop(invoice.client, None)

    def _unpaid_of(self, client_id: str) -> dict[str, Invoice]:
        """The client's unpaid invoices by number, kept for the pass (thousands of a client's
        messages may each name one); forgotten whenever an invoice is saved."""
        if client_id not in self._unpaid:
            self._unpaid[client_id] = {i.number: i for i in self.store.invoices(*UNPAID, client=client_id)}
        return self._unpaid[client_id]

    def _seen(self, item: str, message_id: str) -> bool:
        """Whether this message already changed this item (a rescan reads it again)."""
        return bool(message_id) and any(
            e.evidence and e.evidence.message_id == message_id for e in self.store.history(item)
        )

    def _deliverable_answered(
        self, deliverable: Deliverable, signals, header: MailHeader, now: datetime, report: PassReport
    ) -> None:
        name = deliverable_item(deliverable)
        if self._seen(name, header.message_id):
            return
        at = header.date or now
        event = (
            ledger.DeliverableEvent.APPROVED
            if Signal.APPROVAL in signals
            else ledger.DeliverableEvent.ANSWERED
        )
        try:
            changed = ledger.apply_deliverable(deliverable, event, at=at)
        except ledger.IllegalTransition:
            self.store.note(name, "reply", "", now, Evidence.of(header))
            return
        self.store.save_deliverable(changed)
        quote = signals[Signal.APPROVAL].quote if Signal.APPROVAL in signals else ""
        self._change(
            report,
            name,
            changed.status.value,
            f"{header.sender.email if header.sender else '?'} replied",
            now,
            Evidence.of(header, quote),
        )

    def _client_said(
        self,
        invoice: Invoice,
        signals,
        header: MailHeader,
        written_on: date,
        now: datetime,
        report: PassReport,
    ) -> None:
        name = invoice_item(invoice)
        invoice = self.store.invoice(invoice.client, invoice.number) or invoice
        if self._seen(name, header.message_id) or invoice.status not in UNPAID:
            return
        if Signal.PAID in signals:
            said = signals[Signal.PAID]
            amount = (
                said.amount.amount if said.amount and _same_currency(said.amount.currency, invoice) else None
            )
            event, changed = ledger.receive(invoice, amount, on=written_on, via="client")
            detail = (
                "the client says it was paid"
                if event is ledger.Event.PAID
                else f"the client says {amount} was paid"
            )
            quote = said.quote
        elif Signal.DISPUTE in signals:
            quote = signals[Signal.DISPUTE].quote
            changed = ledger.apply(invoice, ledger.Event.DISPUTED, on=written_on, note=quote)
            event, detail = ledger.Event.DISPUTED, "the client disputes it; talk to them"
        elif Signal.PROMISE in signals:
            said = signals[Signal.PROMISE]
            quote = said.quote
            changed = ledger.apply(
                invoice, ledger.Event.PROMISED, on=written_on, until=said.until, note=quote
            )
            event = ledger.Event.PROMISED
            detail = f"promised for {said.until}" if said.until else "promised, no day named"
            detail += f"; chasing again after {changed.hold_until}"
        else:
            self.store.note(
                name, "reply", "a reply with no payment, dispute or promise in it", now, Evidence.of(header)
            )
            return
        self._save_invoice(changed)
        if changed.status is InvoiceStatus.PAID:
            report.paid.append(changed)
        self._change(report, name, str(event), detail, now, Evidence.of(header, quote))

    def _payment_notice(
        self, mail: Mail, notifier, written_on: date, now: datetime, report: PassReport
    ) -> None:
        numbers, amount = classify.payment_notice(mail, notifier)
        unpaid = self.store.invoices(*UNPAID)
        targets = [i for i in unpaid if i.number in numbers]
        if not targets and not numbers and amount is not None:
            # No number: an amount that exactly one invoice still owes identifies it.
            matching = [
                i for i in unpaid
                if i.outstanding is not None and i.outstanding.amount == amount.amount and _same_currency(amount.currency, i)
            ]  # fmt: skip
            targets = matching if len(matching) == 1 else []
        for invoice in targets:
            name = invoice_item(invoice)
            if self._seen(name, mail.header.message_id):
                continue
            received = amount.amount if amount and _same_currency(amount.currency, invoice) else None
            event, changed = ledger.receive(invoice, received, on=written_on, via="notification")
            self._save_invoice(changed)
            if changed.status is InvoiceStatus.PAID:
                report.paid.append(changed)
            shown = f"{received} " if received is not None else ""
            self._change(
                report,
                name,
                str(event),
                f"{notifier.name} notified a payment {shown}".rstrip(),
                now,
                Evidence.of(mail.header),
            )

    # ----------------------------------------------------------------- calendar

    def _settle_calendar(self, now: datetime, today: date, report: PassReport) -> None:
        """Promises and pauses whose day passed; deliverables invoiced after approval."""
        for invoice in self.store.invoices(InvoiceStatus.PROMISED, InvoiceStatus.PAUSED):
            if ledger.lapsed(invoice, today):
                changed = ledger.apply(invoice, ledger.Event.LAPSED, on=today)
                self._save_invoice(changed)
                self._change(
                    report,
                    invoice_item(invoice),
                    "lapsed",
                    f"{invoice.status} until {invoice.hold_until}, not paid: chasing again",
                    now,
                    Evidence(source="calendar"),
                )
        for deliverable in self.store.deliverables(DeliverableStatus.APPROVED):
            later = [
                i for i in self.store.invoices(client=deliverable.client)
                if deliverable.approved_at is not None and i.sent_at >= deliverable.approved_at
            ]  # fmt: skip
            if later:
                changed = ledger.apply_deliverable(
                    deliverable, ledger.DeliverableEvent.INVOICED, at=now, invoice_number=later[0].number
                )
                self.store.save_deliverable(changed)
                self._change(
                    report, deliverable_item(deliverable), "invoiced", f"invoice {later[0].number}", now
                )

    # ----------------------------------------------------------------- plan, compose, act

    def _import_statements(self, now: datetime, report: PassReport) -> None:
        """The watched statements folder and the optional bank sync (issue 15): bank credits as evidence."""
        reports = []
        if self.account.statements is not None:
            reports.append(bank_import.import_folder(self.store, self.config, self.account, now))
        try:
            reports.append(bank_import.sync_bank(self.store, self.config, self.account, now))
        except (BankSyncError, CredentialError) as exc:  # the mail pass goes on; the next one retries
            log.error("%s", exc)
            report.errors.append(str(exc))
        for imported in filter(None, reports):
            report.paid.extend(p.invoice for p in imported.payments if p.event is ledger.Event.PAID)
            report.changes.extend(imported.changes)
            report.errors.extend(imported.errors)

    def _consent_expires(self) -> date | None:
        sync = self.account.bank_sync
        synced = self.store.bank_sync(sync.provider) if sync is not None else None
        return synced[1] if synced else None

    def _plan(self, now: datetime, today: date, report: PassReport) -> None:
        report.held = holds.hold_the_past(self.store, self.account, today, now) or []
        self._held = self.store.held_invoices()  # first run: not chased until confirmed
        taken = self.store.taken()
        escalation = self.rules.escalation
        owed = [i for i in self.store.invoices(InvoiceStatus.OPEN) if (i.client, i.number) not in self._held]
        ladders: list[Reminder | FollowUp] = [
            *ladder.due_reminders(owed, escalation.invoice, self.rules.clients, taken, today),
            *ladder.due_follow_ups(
                self.store.deliverables(DeliverableStatus.OPEN),
                escalation.deliverable,
                self.rules.clients,
                taken,
                today,
                self.tz,
            ),
        ]
        report.planned = [*ladders, *self._check_ins(ladders, now, today)]
        report.composed = [d for d in (self._compose(p, now, today, report) for p in report.planned) if d]
        self._actions = {p.key: p.stage.action for p in ladders}
        for case in self._suggested_terminations(now, today, report, taken):
            draft = self._compose_termination(case, now, today, report)
            if draft is not None:
                report.composed.append(draft)
                report.terminations.append(case)

    def _check_ins(self, ladders: list[Reminder | FollowUp], now: datetime, today: date) -> list[CheckIn]:
        """Check-ins due today. A reminder or follow-up planned in this same pass counts as a
        draft already written to that client: one message to them a day is enough."""
        rule = self.rules.escalation.check_in
        if not any(rule.after_days(c) is not None for c in self.rules.clients.values()):
            return []  # off (the default): not even a query
        drafts = [(e.key, e.created_at) for e in self.store.outbox()] + [(p.key, now) for p in ladders]
        return checkin.due_check_ins(
            self.rules.clients, rule, deliverables=self.store.deliverables(), invoices=self.store.invoices(),
            contacts=self.store.contacts(), drafts=drafts, today=today, tz=self.tz,
        )  # fmt: skip

    def _compose(
        self, planned: Reminder | FollowUp | CheckIn, now: datetime, today: date, report: PassReport
    ) -> Draft | None:
        if isinstance(planned, CheckIn):
            client: Client = self.rules.clients[planned.client]
            name = self.rules.escalation.check_in.template
        else:
            item = planned.invoice if isinstance(planned, Reminder) else planned.deliverable
            client = self.rules.clients[item.client]
            name = planned.stage.template
        try:
            template = self.rules.template(client.language, name)
            if isinstance(planned, CheckIn):
                return compose.check_in_draft(
                    planned, client=client, identity=self.config.identity, template_text=template.text,
                    now=now, today=today, tz=self.tz,
                )  # fmt: skip
            if isinstance(planned, FollowUp):
                return compose.follow_up_draft(
                    planned, client=client, identity=self.config.identity, template_text=template.text,
                    now=now, today=today, tz=self.tz,
                )  # fmt: skip
            invoice = planned.invoice
            attachment = (
                self.store.attachment(invoice.attachment_sha256) if invoice.attachment_sha256 else None
            )
            return compose.reminder_draft(
                planned, client=client, identity=self.config.identity, template_text=template.text,
                attachment=attachment, now=now, today=today,
            )  # fmt: skip
        except (KeyError, compose.TemplateError) as exc:
            message = f"{planned.key}: cannot compose the draft: {exc}"
            log.error("%s", message)
            report.errors.append(message)
            return None

    # ----------------------------------------------------------------- termination

    def _suggested_terminations(
        self, now: datetime, today: date, report: PassReport, taken
    ) -> list[Termination]:
        """Clients whose ledger trips a termination.yaml trigger this pass (once a year each)."""
        stages = self.rules.escalation.invoice
        outbox = {e.key: e for e in self.store.outbox()}
        cases = []
        for client in self.rules.clients.values():
            key = termination.suggestion_key(client, today)
            if key in taken:
                continue
            invoices = [i for i in self.store.invoices(client=client.id) if not holds.is_held(i, self._held)]
            final_notices = {}
            if stages:
                for invoice in invoices:
                    entry = outbox.get(ladder.action_key(invoice, stages[-1]))
                    if entry is not None and entry.state == "sent" and entry.sent_at is not None:
                        final_notices[invoice.number] = entry.sent_at
            scope = [
                (e.evidence.date if e.evidence and e.evidence.date else e.at)
                for e in self.store.history(f"client/{client.id}")
                if e.event == "scope change"
            ]
            deliverables = self.store.deliverables(client=client.id)
            fired = termination.triggers(
                client, invoices, deliverables, final_notices, scope, self.rules, today, self.tz
            )
            if not fired:
                continue
            case = termination.case(
                client, fired[0].reason, key=key, invoices=invoices, deliverables=deliverables,
                rules=self.rules, today=today, evidence=tuple(t.evidence for t in fired), suggested=True,
            )  # fmt: skip
            item = f"client/{client.id}"
            if termination.held(case, self.rules):
                if not any(
                    e.event == "termination held" and e.at.year == today.year
                    for e in self.store.history(item)
                ):
                    self._change(
                        report, item, "termination held",
                        "money is still owed; hold_until_paid waits until it is paid (seed 003). "
                        + " / ".join(case.evidence), now,
                    )  # fmt: skip
                continue
            self._change(report, item, "termination suggested", " / ".join(case.evidence), now)
            cases.append(case)
        return cases

    def _compose_termination(
        self, case: Termination, now: datetime, today: date, report: PassReport
    ) -> Draft | None:
        client = self.rules.clients[case.client]
        rules = self.rules.termination
        try:
            template = self.rules.template(client.language, rules.template)
            attachments = {
                i.number: a
                for i in case.invoices
                if i.attachment_sha256 and (a := self.store.attachment(i.attachment_sha256)) is not None
            }
            return compose.termination_draft(
                case, client=client, identity=self.config.identity, template_text=template.text,
                attachments=attachments, referrals=rules.referrals,
                final_invoice_terms_days=rules.final_invoice_terms_days, now=now, today=today, tz=self.tz,
            )  # fmt: skip
        except (KeyError, compose.TemplateError) as exc:
            message = f"{case.key}: cannot compose the termination draft: {exc}"
            log.error("%s", message)
            report.errors.append(message)
            return None

    def write_termination(self, client_id: str, reason: str, now: datetime) -> tuple[Draft, Termination]:
        """``draft-termination``: the freelancer decided; write the draft (never send it)."""
        client = self._client(client_id)
        today = self.today(now)
        key = termination.manual_key(client, reason)
        entry = self.store.outbox_entry(key)
        if entry is not None:
            raise UsageError(
                f"a termination draft for {client.id} ({reason}) was already written on "
                f"{entry.created_at.astimezone(self.tz):%Y-%m-%d}; it is in {entry.folder or 'Drafts'}"
            )
        case = termination.case(
            client, reason, key=key, invoices=self.store.invoices(client=client.id),
            deliverables=self.store.deliverables(client=client.id), rules=self.rules, today=today,
        )  # fmt: skip
        report = PassReport(account=self.account.name)
        draft = self._compose_termination(case, now, today, report)
        if draft is None:
            raise UsageError("; ".join(report.errors))
        self._act(draft, self.mailbox.folders(), now, report)
        if report.errors:
            raise MailboxError("; ".join(report.errors))
        self.store.note(f"client/{client.id}", "termination drafted", f"reason: {reason}", now)
        return draft, case

    def write_rate_increase(self, client_id: str, rate: str, starting: date | None, now: datetime) -> Draft:
        """``draft-rate-increase`` (seed 002): propose the new rate by email, suggesting a call."""
        client = self._client(client_id)
        today = self.today(now)
        increase = RateIncrease(
            key=f"rate/{client.id}/{today.isoformat()}", client=client.id, rate=rate, starting=starting
        )
        if self.store.outbox_entry(increase.key) is not None:
            raise UsageError(f"a rate proposal for {client.id} was already written today; it is in Drafts")
        template = self.rules.template(client.language, self.rules.termination.rate_increase_template)
        draft = compose.rate_increase_draft(
            increase,
            client=client,
            identity=self.config.identity,
            template_text=template.text,
            now=now,
            today=today,
        )
        report = PassReport(account=self.account.name)
        self._act(draft, self.mailbox.folders(), now, report)
        if report.errors:
            raise MailboxError("; ".join(report.errors))
        return draft

    def write_digest(self, now: datetime, *, via: str = "imap") -> bool:
        """The daily digest, once a day: into the freelancer's INBOX, or by SMTP to themselves.

        True when it was delivered now, False when today's was delivered already.
        """
        from .domain import digest
        from .report import LOCALES

        today = self.today(now)
        key = f"digest/{self.account.name}/{today.isoformat()}"
        if self.store.outbox_entry(key) is not None:
            return False
        identity = self.config.identity
        held = holds.waiting(self.store)  # issue 15: listed to confirm, not as overdue
        context = digest.build_digest(
            clients=self.rules.clients,
            invoices=[i for i in self.store.invoices() if i not in held],
            deliverables=self.store.deliverables(),
            outbox=self.store.outbox(),
            journal=[(item, e.at, e.event, e.detail) for item, e in self.store.journal()],
            rules=self.rules,
            today=today,
            now=now,
            tz=self.tz,
        )
        context = digest.with_confirmations(
            context, held=held, credits=[t.credit for t in self.store.bank_transactions("unmatched")],
            clients=self.rules.clients, hold_days=self.account.first_run_hold_days,
            consent_expires=self._consent_expires(), today=today,
        )  # fmt: skip
        template = self.rules.template(identity.language, "digest")
        draft = compose.digest_draft(
            context, identity=identity, template_text=template.text, key=key, now=now,
            locale=LOCALES.get(identity.language, "en_GB"),
        )  # fmt: skip
        folders = self.mailbox.folders()
        if via == "smtp" and self.sender is not None:
            self._actions[key] = "send"
            report = PassReport(account=self.account.name)
            self._send(draft, folders, now, report)
        else:
            report = self._deliver_to_inbox(draft, folders, now)
        if report.errors:
            raise MailboxError("; ".join(report.errors))
        return True

    def _deliver_to_inbox(self, draft: Draft, folders: Folders, now: datetime) -> PassReport:
        report = PassReport(account=self.account.name)
        self.store.add_pending(
            key=draft.key, kind=draft.kind, message_id=draft.message_id, subject=draft.subject,
            recipient=draft.to.email, folder=folders.inbox, at=now, item="digest",
        )  # fmt: skip
        try:
            uid = self.mailbox.append(folders.inbox, draft.data, flags=(), when=now)
        except MailboxError as exc:
            report.errors.append(f"{draft.key}: {exc}")
            return report
        with self.store.transaction():
            self.store.complete(draft.key, state="sent", uid=uid, at=now)
        log.info("digest %s delivered into %s", draft.key, folders.inbox)
        return report

    def _client(self, client_id: str) -> Client:
        client = self.rules.clients.get(client_id)
        if client is None:
            known = ", ".join(sorted(self.rules.clients)) or "none"
            raise UsageError(f"no client {client_id!r} in clients.yaml (clients: {known})")
        return client

    # ----------------------------------------------------------------- act

    def _act(self, draft: Draft, folders: Folders, now: datetime, report: PassReport) -> None:
        action = self._actions.get(draft.key, "draft")
        if action == "notify" and draft.kind in ("reminder", "follow-up"):
            self._notify(draft, now, report)
            return
        if action == "send" and self.sender is not None and draft.kind in SENDABLE_KINDS:
            self._send(draft, folders, now, report)
            return
        self.store.add_pending(
            key=draft.key, kind=draft.kind, message_id=draft.message_id, subject=draft.subject,
            recipient=draft.to.email, folder=folders.drafts, at=now, item=_item_of_key(draft.key),
            parent_id=draft.in_reply_to,
        )  # fmt: skip
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
                _item_of_key(draft.key),
                "drafted",
                f"{draft.key.rsplit('/', 1)[1]}: {draft.subject!r} to {draft.to.email} in {folders.drafts}",
                now,
            )
        log.info("draft %s appended to %s (to %s)", draft.key, folders.drafts, draft.to.email)
        report.drafted.append(draft)

    def _send(self, draft: Draft, folders: Folders, now: datetime, report: PassReport) -> None:
        """``action: send``: at most once. The key is claimed before the SMTP transaction; a
        crash after it is resolved by looking in Sent, never by sending again."""
        assert self.sender is not None
        self.store.add_pending(
            key=draft.key, kind=draft.kind, message_id=draft.message_id, subject=draft.subject,
            recipient=draft.to.email, folder=folders.sent, at=now, item=_item_of_key(draft.key),
            parent_id=draft.in_reply_to, note="send",
        )  # fmt: skip
        try:
            self.sender.send(draft, sender=self.config.identity.email, recipients=[draft.to.email])
        except (SendFailed, SendRefused) as exc:
            self.store.release(draft.key)  # nothing went out: the next pass tries again
            message = f"{draft.key}: sending failed: {exc}"
            log.error("%s", message)
            report.errors.append(message)
            return
        uid = None
        smtp = self.account.smtp
        if smtp is not None and smtp.keeps_copy:
            try:
                uid = self.mailbox.append(folders.sent, draft.data, flags=("\\Seen",), when=now)
            except MailboxError as exc:
                log.warning(
                    "%s was sent, but its copy could not be put in %s: %s", draft.key, folders.sent, exc
                )
        with self.store.transaction():
            self.store.complete(draft.key, state="sent", uid=uid, at=now)
            self.store.note(
                _item_of_key(draft.key),
                "sent",
                f"{draft.key.rsplit('/', 1)[1]}: sent by SMTP to {draft.to.email}",
                now,
            )
        log.info("%s sent to %s over %s", draft.key, draft.to.email, self.sender.describe())
        report.sent_by_smtp.append(draft)

    def _notify(self, draft: Draft, now: datetime, report: PassReport) -> None:
        """``action: notify``: nothing is written or sent; `status` and the digest list it."""
        item = _item_of_key(draft.key)
        if self.store.record_sent(
            key=draft.key, kind="notice", item=item, message_id="", subject=draft.subject,
            recipient=draft.to.email, at=now,
        ):  # fmt: skip
            self._change(
                report,
                item,
                "to do",
                f"{draft.key.rsplit('/', 1)[1]}: contact {draft.to.email} yourself",
                now,
            )

    def _find_ours(self, key: str, folders: Folders, *, sent_too: bool = False) -> Uid | None:
        """A message carrying ``key`` already in the mailbox (lost state, an interruption).

        Before an APPEND only Drafts is searched: a draft already sent was seen when Sent
        was scanned. After an interruption Sent is searched too (a header search there
        reads every message of a large folder, so it is kept for that rare case).
        """
        if key.startswith("digest/"):
            places = (folders.inbox,)
        else:
            places = (folders.drafts, folders.sent) if sent_too else (folders.drafts,)
        for folder in places:
            found = self.mailbox.search_header(folder, compose.KEY_HEADER, key)
            if found:
                return found[0]
        return None

    def _resolve_pending(self, folders: Folders, now: datetime) -> None:
        """Finish what a crash interrupted: a pending key either has its message, or never got it."""
        for entry in self.store.outbox("pending"):
            uid = self._find_ours(entry.key, folders, sent_too=True)
            item = entry.item or _item_of_key(entry.key)
            with self.store.transaction():
                if entry.note == "send":
                    # SMTP may or may not have taken it: never risk sending twice.
                    self.store.complete(entry.key, state="sent", uid=uid, at=now)
                    detail = (
                        "found in Sent after an interruption"
                        if uid is not None
                        else ("interrupted while sending; not sent again: check your Sent folder")
                    )
                    self.store.note(item, "sent", detail, now)
                    log.warning("%s: %s", entry.key, detail)
                elif uid is not None:
                    state = "sent" if entry.key.startswith("digest/") else "drafted"
                    self.store.complete(entry.key, state=state, uid=uid, at=now)
                    self.store.note(item, "drafted", "found in the mailbox after an interruption", now)
                    log.info("draft %s found after an interruption", entry.key)
                else:
                    self.store.release(entry.key)
                    log.info("draft %s was never appended; it will be written again", entry.key)


def _item_of_key(key: str) -> str:
    """``invoice/acme/2026-001/first-reminder`` -> ``invoice/acme/2026-001``."""
    return key.rsplit("/", 1)[0]


def _same_currency(currency: str, invoice: Invoice) -> bool:
    """An amount without a currency is taken to be in the invoice's currency."""
    return not currency or invoice.amount is None or currency == invoice.amount.currency


# --------------------------------------------------------------------------- commands


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
) -> Invoice:
    """``mark-paid``, ``pause``, ``dispute``, ``resume``: the freelancer changes an invoice's state."""
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
        store.note(invoice_item(invoice), str(event), detail, now, Evidence(source="cli", quote=note))
    log.info("invoice %s %s", invoice.key, detail)
    return changed


def mark_paid(store: Store, number: str, *, client: str | None, on: date, now: datetime) -> Invoice:
    """The freelancer says an invoice was paid (``freelance-assistant mark-paid``)."""
    return command_on_invoice(store, number, ledger.Event.PAID, client=client, on=on, now=now)
