"""Sync: read what is new in Sent and INBOX, turn it into facts, fold them into the ledger.

For each folder the sync scans from the stored checkpoint, filters headers cheaply, parses
and fetches the candidates, and turns each message into typed facts (``domain.facts``): the
lookups a fact needs (the outbox entry a key names, the tracked thread an answer belongs to,
the invoices a message names) are made here, and so is the ``View`` of the ledger each fact
concerns. What the fact *does* is decided by the pure ``domain.fold.apply``; the sync writes
the resulting changes (store, journal, log line, pass report). It runs inside the engine's
ingest transaction; a scan of several batches commits after each batch with the checkpoint
that covers it (``FolderScan.partial``). Last, the paid tag on copies of invoice emails in
the folders the freelancer files mail into (``filed_tags``): only what changed there since
each folder's checkpoint, matched to the ledger by Message-ID.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from .act import note_other_installation
from .adapters.mailbox import Folders, Mailbox, RawHeader, TagScan, Uid
from .adapters.parse import parse_header, parse_mail
from .adapters.store import Store
from .config import Account, Config
from .domain import checkin, classify, facts, fold, keys, ladder, reading, threads
from .domain.facts import (
    AutomaticReply,
    CalendarDay,
    Change,
    ClientWrote,
    DeliverableSent,
    DraftSeenSent,
    Fact,
    FreelancerWrote,
    InvoiceSent,
    OverrideInRules,
    PaidTag,
    PaymentNotice,
    View,
)
from .domain.keys import DraftKind, DraftState, JournalEvent, deliverable_item, invoice_item
from .domain.model import (
    Contact,
    Deliverable,
    DeliverableStatus,
    FolderRole,
    Invoice,
    InvoiceStatus,
    Mail,
    MailHeader,
    Rules,
    Signal,
)
from .errors import StateError
from .pass_report import PassReport, Progress, ScanProgress, Stopped

log = logging.getLogger(__name__)

_OUR_WORDS_KEPT = 8_000  # characters of each sent message kept for provenance

MAX_MESSAGE_BYTES = 40 * 1024 * 1024  # larger messages are reported and left alone
UNPAID = fold.UNPAID


class Sync:
    """The reading half of a pass over one account; the engine owns the transaction."""

    def __init__(self, config: Config, account: Account, mailbox: Mailbox, store: Store):
        self.config = config
        self.account = account
        self.mailbox = mailbox
        self.store = store
        self.rules = config.rules
        self.tz = ZoneInfo(config.identity.timezone)
        self._quick: tuple[Rules, classify.QuickFilter] | None = None
        self._ours: dict[str, tuple[Rules, reading.Ours]] = {}
        self._unpaid: dict[str, dict[str, Invoice]] = {}
        # The last message with each client seen since the last commit (see save_contacts).
        self._contacts: dict[str, Contact] = {}
        self._index: threads.ThreadIndex | None = None
        self.stop: threading.Event | None = None
        self.progress: Progress | None = None

    def begin(self) -> None:
        """A new pass: forget what the last one cached."""
        self._unpaid = {}
        self._contacts = {}
        self._index = None

    def committed(self) -> None:
        """The pass committed: the thread index matches the tables again; keep it."""
        if self._index is not None:
            self.store.memo["threads"] = (self.store.generation, self._index)

    def end(self) -> None:
        self._index = None

    def _check_stop(self) -> None:
        if self.stop is not None and self.stop.is_set():
            raise Stopped("stop requested: the pass is rolled back and redone next time")

    # ----------------------------------------------------------------- writing changes

    def fold(self, view: View, fact: Fact, today: date, now: datetime, report: PassReport) -> list[Change]:
        """Apply ``fact`` to ``view`` and write what changed; returns the changes written."""
        written = []
        for change in fold.apply(view, fact, today):
            if change.lost_draft is not None:
                lost = change.lost_draft
                if not self.store.record_sent(
                    key=lost.key,
                    kind=lost.kind,
                    item=lost.item,
                    message_id=lost.message_id,
                    subject=lost.subject,
                    recipient=lost.recipient,
                    at=lost.at,
                ):
                    continue
                report.sent.append(lost.key)
            elif change.draft_sent:
                if not self.store.mark_sent(change.draft_sent, change.sent_at or now):
                    continue
                report.sent.append(change.draft_sent)
            if change.invoice is not None:
                self._save_invoice(change.invoice)
                if change.event is JournalEvent.INVOICED:
                    report.invoices.append(change.invoice)
                elif change.invoice.status is InvoiceStatus.PAID:
                    report.paid.append(change.invoice)
                elif change.event is JournalEvent.REOPENED:
                    report.reopened.append(change.invoice)
            if change.deliverable is not None:
                self.store.save_deliverable(change.deliverable)
                if change.event is JournalEvent.DELIVERED:
                    report.deliverables.append(change.deliverable)
            data = change.journal_data
            self.store.note(change.item, change.event, change.detail, now, change.evidence, data=data)
            if change.reported:
                log.info("%s", change.line)
                report.add_change(change)
            written.append(change)
        return written

    def _save_invoice(self, invoice: Invoice) -> None:
        self.store.save_invoice(invoice)
        self._unpaid.pop(invoice.client, None)

    def _view(self, **parts) -> View:
        return View(paid_keyword=self.rules.invoices.paid_keyword, **parts)

    def _seen(self, message_id: str, *items: str) -> frozenset[str]:
        """The items among ``items`` this message changed already (a rescan reads it again)."""
        if not message_id:
            return frozenset()
        return frozenset(
            item
            for item in items
            if any(e.evidence and e.evidence.message_id == message_id for e in self.store.history(item))
        )

    # ----------------------------------------------------------------- scanning

    def read_mail(self, folders: Folders, now: datetime, today: date, report: PassReport) -> None:
        """Everything a pass learns from mail: Sent, then the overrides of invoices.yaml on what
        it read, INBOX, the contacts both showed, and the paid tag in the filed folders."""
        self.ingest(FolderRole.SENT, folders.sent, now, today, report)
        self.apply_overrides(now, today, report)
        self.ingest(FolderRole.INBOX, folders.inbox, now, today, report)
        self.save_contacts()
        self.filed_tags(now, today, report)

    def ingest(self, role: FolderRole, folder: str, now: datetime, today: date, report: PassReport) -> None:
        checkpoint = self.store.checkpoint(role)
        since = today - timedelta(days=self.account.lookback_days) if self.account.lookback_days else None
        watch = self.store.watched_uids(role) if role is FolderRole.SENT else []
        scan = self.mailbox.scan(folder, checkpoint, since=since, watch=watch)
        if scan.reset and checkpoint is not None:
            self.store.forget_locations(role)
            self.store.note(
                keys.folder_item(role), JournalEvent.RESCAN, f"{folder}: UIDVALIDITY changed", now
            )
        started, done = time.monotonic(), 0

        def tell(finished: bool = False) -> None:
            if self.progress is not None and scan.total:
                elapsed = time.monotonic() - started
                self.progress(
                    ScanProgress(self.account.name, folder, done, scan.total, elapsed, scan.first, finished)
                )

        tell()
        for number, batch in enumerate(scan.batches, 1):
            self._check_stop()
            report.scanned += len(batch)
            self._ingest_batch(role, folder, batch, now, today, report)
            self._refused(role, now, report)
            done += len(batch)
            partial = None if report.dry_run else scan.partial(number)
            if partial is not None:
                # The batch and the checkpoint just past it, durable together: an interrupted
                # first scan goes on from here next time and reads nothing twice.
                self.store.set_checkpoint(role, partial, now)
                self.save_contacts()
                self.store.commit()
            tell()
        for uid, flags in scan.flag_changes:
            invoice = self.store.invoice_at(role, uid)
            if invoice is not None:
                present = classify.paid_keyword_present(flags, self.rules)
                if not present and (held := self._tagged_filed(invoice.message_id)):
                    log.info("%s: untagged in %s; still tagged in %s", invoice.key, folder, held)
                    continue  # paid while any copy carries the tag
                fact = PaidTag(client=invoice.client, number=invoice.number, present=present)
                self.fold(self._view(invoices=self._current(invoice)), fact, today, now, report)
        self.store.set_checkpoint(role, scan.checkpoint, now)
        tell(finished=True)

    # ----------------------------------------------------------------- the filed folders

    def filed_tags(self, now: datetime, today: date, report: PassReport) -> TagScan:
        """The paid tag on copies of invoice emails in the folders the freelancer files mail
        into (``folders.filed``): what changed there since each folder's checkpoint, matched to
        the ledger by Message-ID and folded like the tag in Sent. An invoice stays paid while
        any copy it knows of carries the tag: a clear reopens it only when none does."""
        before = self.store.tag_checkpoints()
        # The first time the filed folders are read (a first scan, or the first pass since
        # they are read at all), a tag found was set on a day nobody knows; after that, it was
        # set since the last pass, even in a folder made since.
        first_sight = self.store.tags_read_since() is None
        scan = self.mailbox.tag_changes(self.rules.invoices.paid_keyword, before)
        for name in scan.missing:
            log.warning(
                "%s: folders.filed names %r, which matches no folder: the Paid tag is not read there",
                self.mailbox.describe(),
                name,
            )
        report.tags_searched += scan.searched
        report.tags_read += scan.read
        for change in scan.changes:
            invoice = self.store.invoice_by_message_id(change.message_id)
            if invoice is None:
                continue  # a message the ledger tracks no invoice by
            if not change.present:
                held = self._tagged_filed(change.message_id, scan.checkpoints)
                if held := held or self._tagged_in_sent(invoice):
                    log.info("%s: untagged in %s; still tagged in %s", invoice.key, change.folder, held)
                    continue  # paid while any copy carries the tag
            fact = PaidTag(
                client=invoice.client,
                number=invoice.number,
                present=change.present,
                folder=change.folder,
                first_sight=first_sight,
            )
            self.fold(self._view(invoices=self._current(invoice)), fact, today, now, report)
        for folder, checkpoint in scan.checkpoints.items():
            if before.get(folder) != checkpoint:
                self.store.set_tag_checkpoint(folder, checkpoint, now)
        self.store.forget_tag_checkpoints(scan.checkpoints)
        if not report.dry_run:
            self.store.note_tags_read(now)
        return scan

    def _tagged_filed(self, message_id: str, checkpoints=None) -> str:
        """The filed folder holding a copy of ``message_id`` that carries the tag, or ""."""
        checkpoints = self.store.tag_checkpoints() if checkpoints is None else checkpoints
        return next((f for f, c in checkpoints.items() if message_id in c.tagged.values()), "")

    def _tagged_in_sent(self, invoice: Invoice) -> str:
        """Sent's name when the invoice email there still carries the tag (one FETCH of its
        flags, asked only when a filed copy lost its tag), else ""."""
        uid = self.store.invoice_uid(invoice, FolderRole.SENT)
        if uid is None:
            return ""
        sent = self.mailbox.folders().sent
        flags = self.mailbox.flags(sent, uid)
        return sent if flags is not None and classify.paid_keyword_present(flags, self.rules) else ""

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
            except StateError:
                raise  # the state cannot take it (a full disk): not the message's fault, never skip it
            except Exception as exc:  # one bad message never stops a pass
                self._skip(
                    report, role, uid, header.message_id if header else "", f"{type(exc).__name__}: {exc}"
                )

    def _refused(self, role: FolderRole, now: datetime, report: PassReport) -> None:
        """Messages the server would not let us read: each costs only itself. Journaled with the
        batch (the checkpoint moves past them), shown by `status` and the digest."""
        for folder, uid, why in self.mailbox.take_refused():
            self._skip(report, role, uid, "", f"the server refused to read it ({why})")
            self.store.note(
                keys.folder_item(role), JournalEvent.UNREADABLE, f"{folder} message {uid}: {why}", now
            )

    def save_contacts(self) -> None:
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
                    index,
                    deliverable.message_id,
                    deliverable.subject,
                    deliverable.client,
                    deliverable.sent_at,
                    deliverable.references,
                )
            for entry in self.store.outbox():
                client = keys.client_of(entry.item)
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
        if header.assistant_installation:
            note_other_installation(
                self.store, self.config, header.assistant_installation, "Sent", now, report
            )
        entry = None
        if header.assistant_key:
            entry = self.store.outbox_entry(header.assistant_key)
        elif header.message_id:
            entry = self.store.outbox_by_message_id(header.message_id)

        def thread() -> str | None:
            client = classify.client_of_recipients(header, self.rules)
            parent = self.index.parent_of(header, client=client.id if client else None)
            item = self._item_of(parent) if parent is not None else None
            if item is None:
                return None
            return invoice_item(item) if isinstance(item, Invoice) else deliverable_item(item)

        fact = facts.of_sent_mail(
            mail, self.rules, tz=self.tz, today=today, now=now, ours=entry, thread=thread,
            signature=self.config.identity.signature,
        )  # fmt: skip
        if fact is not None:
            # Provenance: whatever a client quotes back of this (an invoice, a deliverable, a
            # reminder, the freelancer's reply in their thread) is never the client's words.
            self.store.remember_our_words(header.message_id, reading.own_words(mail.text)[:_OUR_WORDS_KEPT])
        if isinstance(fact, DraftSeenSent):
            # A statement of account is one message standing for several reminders: all go.
            drafts = self.store.outbox_sharing(entry.message_id) if entry and entry.message_id else []
            self.fold(
                self._view(drafts=tuple(drafts) or ((entry,) if entry else ())), fact, today, now, report
            )
        elif isinstance(fact, InvoiceSent):
            seen = fact.seen
            invoice = self.store.invoice(seen.invoice.client, seen.invoice.number)
            view = self._view(invoices=(invoice,) if invoice else ())
            for change in self.fold(view, fact, today, now, report):
                if change.event is JournalEvent.INVOICED and change.invoice is not None:
                    invoice = new = change.invoice
                    if seen.attachment is not None:
                        self.store.save_attachment(new.attachment_sha256, seen.attachment)
                    self._track(
                        self.index, new.message_id, new.subject, new.client, new.sent_at, new.references
                    )
            if invoice is not None and invoice.message_id == header.message_id:
                self.store.locate_invoice(invoice, FolderRole.SENT, uid)
        elif isinstance(fact, DeliverableSent):
            existing = self.store.deliverable(fact.seen.deliverable.message_id)
            view = self._view(deliverables=(existing,) if existing else ())
            for change in self.fold(view, fact, today, now, report):
                new = change.deliverable
                if new is not None:
                    self._track(
                        self.index, new.message_id, new.subject, new.client, new.sent_at, new.references
                    )
        elif isinstance(fact, FreelancerWrote):
            drafts = tuple(self._with_statements(self.store.outbox_for(fact.item)))
            invoice, next_stage = self._next_stage_of(fact.item, drafts)
            view = self._view(
                drafts=drafts,
                invoices=(invoice,) if invoice is not None else (),
                next_stage=next_stage,
                seen=self._seen(header.message_id, fact.item),
            )
            self.fold(view, fact, today, now, report)

    def _with_statements(self, drafts: list) -> list:
        """An invoice's outbox entries, and for one drafted in a statement of account, the
        statement and its other reminders: the letter sent in one thread is sent for all."""
        out = {e.key: e for e in drafts}
        for entry in drafts:
            if entry.state is DraftState.DRAFTED and entry.kind == DraftKind.REMINDER:
                for sibling in self.store.outbox_sharing(entry.message_id):
                    out.setdefault(sibling.key, sibling)
        return list(out.values())

    def _next_stage_of(self, item: str, drafts) -> tuple[Invoice | None, str]:
        """For an invoice's thread: the invoice, and the key of the ladder stage after the
        last one taken (what a reminder written by hand stands for), or ""."""
        found = keys.parse(item)
        if found.kind != keys.INVOICE:
            return None, ""
        invoice = self.store.invoice(found.client, found.what)
        client = self.rules.clients.get(found.client)
        if invoice is None or client is None:
            return invoice, ""
        taken = {e.key for e in drafts}
        stages = self.rules.escalation.invoice_stages(client)
        steps = [ladder.action_key(invoice, s) for s in stages]
        last = max((i for i, key in enumerate(steps) if key in taken), default=-1)
        return invoice, steps[last + 1] if last + 1 < len(steps) else ""

    def apply_overrides(self, now: datetime, today: date, report: PassReport) -> None:
        """invoices.yaml ``overrides:`` on the invoices of the ledger they name (a misread found
        after the scan is fixed without editing the mail); the fold decides what changes."""
        currencies = {c.id: c.currency for c in self.rules.clients.values()}
        for override in self.rules.invoices.overrides:
            if override.message_id:
                wanted = override.message_id.strip()
                found = self.store.invoice_by_message_id(wanted) or self.store.invoice_by_message_id(
                    f"<{wanted.strip('<>')}>"
                )
                named = (found,) if found else ()
            else:
                named = tuple(self.store.invoices_with_number(override.read_number.strip().upper()))
            if named:
                fact = OverrideInRules(override=override, currencies=currencies)
                self.fold(self._view(invoices=named), fact, today, now, report)

    def _current(self, invoice: Invoice) -> tuple[Invoice, ...]:
        return (self.store.invoice(invoice.client, invoice.number) or invoice,)

    # ----------------------------------------------------------------- INBOX

    def _incoming_mail(self, mail: Mail, now: datetime, today: date, report: PassReport) -> None:
        header = mail.header
        answered: dict[str, Invoice | Deliverable] = {}

        def thread(client_id: str) -> str | None:
            parent = self.index.parent_of(header, client=client_id)
            item = self._item_of(parent) if parent else None
            if item is None:
                return None
            name = invoice_item(item) if isinstance(item, Invoice) else deliverable_item(item)
            answered[name] = item
            return name

        # What the freelancer and the assistant sent in the thread this message answers.
        quoted = self.store.our_words((*header.references, *header.in_reply_to))
        fact = facts.of_incoming_mail(
            mail,
            self.rules,
            tz=self.tz,
            today=today,
            now=now,
            thread=thread,
            open_numbers=lambda client_id: self._unpaid_of(client_id),
            ours=lambda language: self._our_wording(language).with_texts(quoted),
            own_address=self.config.identity.email,
        )
        if isinstance(fact, PaymentNotice):
            targets = fold.payment_targets(fact, self.store.invoices(*UNPAID))
            seen = self._seen(header.message_id, *(invoice_item(i) for i in targets))
            self.fold(self._view(invoices=tuple(targets), seen=seen), fact, today, now, report)
        elif isinstance(fact, AutomaticReply):
            self.fold(self._view(seen=self._seen(header.message_id, fact.item)), fact, today, now, report)
        elif isinstance(fact, ClientWrote):
            item = answered.get(fact.thread) if fact.thread else None
            invoices = [item] if isinstance(item, Invoice) else []
            open_numbers = self._unpaid_of(fact.client)
            for number in fact.named:
                if open_numbers[number] not in invoices:
                    invoices.append(open_numbers[number])
            current = tuple(self.store.invoice(i.client, i.number) or i for i in invoices)
            deliverables = (item,) if isinstance(item, Deliverable) else ()
            concerned = [
                *([keys.client_item(fact.client)] if Signal.SCOPE_CHANGE in fact.signals else []),
                *(deliverable_item(d) for d in deliverables),
                *(invoice_item(i) for i in current),
            ]
            seen = self._seen(header.message_id, *concerned)
            self.fold(
                self._view(invoices=current, deliverables=deliverables, seen=seen), fact, today, now, report
            )

    def _our_wording(self, language: str) -> reading.Ours:
        """The templates' wording in ``language``: never the client's, however it is quoted."""
        cached = self._ours.get(language)
        if cached is None or cached[0] is not self.rules:
            texts = [t.text for (lang, _), t in self.rules.templates.items() if lang == language]
            fragments = (f for t in texts for f in reading.template_fragments(t))
            cached = self._ours[language] = (self.rules, reading.Ours(fragments))
        return cached[1]

    def _unpaid_of(self, client_id: str) -> dict[str, Invoice]:
        """The client's unpaid invoices by number, kept for the pass (thousands of a client's
        messages may each name one); forgotten whenever an invoice is saved."""
        if client_id not in self._unpaid:
            self._unpaid[client_id] = {i.number: i for i in self.store.invoices(*UNPAID, client=client_id)}
        return self._unpaid[client_id]

    # ----------------------------------------------------------------- the calendar

    def settle_calendar(self, now: datetime, today: date, report: PassReport) -> None:
        """Promises and pauses whose day passed; deliverables invoiced after approval."""
        held = self.store.invoices(InvoiceStatus.PROMISED, InvoiceStatus.PAUSED)
        approved = self.store.deliverables(DeliverableStatus.APPROVED)
        invoices = {(i.client, i.number): i for i in held}
        for client in dict.fromkeys(d.client for d in approved):
            invoices.update({(i.client, i.number): i for i in self.store.invoices(client=client)})
        ordered = sorted(invoices.values(), key=lambda i: (i.due_date, i.client, i.number))
        view = self._view(invoices=tuple(ordered), deliverables=tuple(approved))
        self.fold(view, CalendarDay(now=now), today, now, report)
