"""Act: the outbox protocol that writes each planned action exactly once.

Acting is outside the ingest transaction and exactly-once per action key: claim the key
(``pending``, ``DraftEvent.CLAIMED``), look for a message already carrying it, append if
there is none, mark it ``drafted`` (``APPENDED``). A crash in between leaves a ``pending``
key, resolved at the start of the next pass by looking in Drafts and Sent
(``resolve_pending``). ``action: send`` claims the key before the SMTP transaction and is
never retried blindly; ``action: notify`` composes and writes nothing and records a to-do.
Every move of an outbox entry goes through ``ledger.DRAFT_TRANSITIONS`` (the store checks).

A draft whose item changed after it was written (paid, held, answered, approved:
``attention.no_longer_needed``) is never left "waiting to be sent": if it is still exactly
what was appended (its UID, ``\\Draft``, the sha256 kept at APPEND) it is withdrawn from
Drafts (``Mailbox.withdraw``: that message alone); if the freelancer touched it, it is hers
and is only marked ``obsolete`` (``withdraw_outdated``).
"""

from __future__ import annotations

import logging
from datetime import datetime

from .adapters.mailbox import Folders, Mailbox, Uid, WithdrawOutcome, draft_sha256
from .adapters.smtp import Sender
from .adapters.store import Store
from .config import Account, Config
from .domain import attention, compose, keys
from .domain.keys import DraftKind, DraftState, JournalEvent
from .domain.ledger import DraftEvent
from .domain.model import CheckIn, Deliverable, Draft, FollowUp, Invoice, Reminder, Statement, deliverable_id
from .errors import CredentialError, MailboxError, SendFailed, SendRefused
from .pass_report import PassReport

log = logging.getLogger(__name__)

# Seen: a draft the assistant wrote is not news in the Drafts folder (unread drafts look like mail).
DRAFT_FLAGS = ("\\Draft", "\\Seen")
# The note of a send claimed but not yet at the server (then "send": it may have gone out).
CONNECTING = "send: connecting"


class Outbox:
    """Writes drafts to Drafts, sends what may be sent, records notices; exactly once each."""

    def __init__(
        self, config: Config, account: Account, mailbox: Mailbox, store: Store, sender: Sender | None
    ):
        self.config = config
        self.account = account
        self.mailbox = mailbox
        self.store = store
        self.sender = sender

    # ----------------------------------------------------------------- drafts

    def draft(
        self,
        draft: Draft,
        folders: Folders,
        now: datetime,
        report: PassReport,
        statement: Statement | None = None,
    ) -> None:
        """Append ``draft`` to Drafts, once: claim its key, look for it, append, mark it drafted.

        A ``statement`` of account claims each of its reminders' keys with the same Message-ID
        (each under its invoice, threaded under that invoice's email), so each invoice's ladder
        knows its stage was drafted, and advances when the one letter is sent."""
        self._claim(draft, folders.drafts, now, statement)
        try:
            existing = self.find_ours(draft.key, folders)
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
        # The fingerprint of what we wrote, only when we wrote it now: what a lost state finds
        # may have other bytes, and a draft not known to be ours as written is never withdrawn.
        sha256 = draft_sha256(draft.data) if existing is None else ""
        with self.store.transaction():
            self.store.move(draft.key, DraftEvent.APPENDED, uid=uid, at=now, sha256=sha256)
            self.store.note(
                keys.item_of(draft.key),
                JournalEvent.DRAFTED,
                f"{keys.stage_of(draft.key)}: {draft.subject!r} to {draft.to.email} in {folders.drafts}",
                now,
            )
            for reminder in statement.reminders if statement else ():
                self.store.move(reminder.key, DraftEvent.APPENDED, uid=uid, at=now)
                self.store.note(
                    keys.item_of(reminder.key),
                    JournalEvent.DRAFTED,
                    f"{reminder.stage.name}: in the statement of account {draft.subject!r} to "
                    f"{draft.to.email} in {folders.drafts}",
                    now,
                )
        if existing is not None:  # written before (an interruption, a lost state): not again
            log.info(
                "draft %s found already in %s (to %s); not appended again",
                draft.key,
                folders.drafts,
                draft.to.email,
            )
        else:
            log.info("draft %s appended to %s (to %s)", draft.key, folders.drafts, draft.to.email)
        report.drafted.append(draft)

    def send(
        self,
        draft: Draft,
        folders: Folders,
        now: datetime,
        report: PassReport,
        statement: Statement | None = None,
    ) -> None:
        """``action: send``: at most once. The key is claimed before the SMTP transaction; a
        crash after it is resolved by looking in Sent, never by sending again."""
        riders = statement.keys if statement else ()
        assert self.sender is not None and keys.may_send(draft.kind, draft.key, *riders)
        # Until the server is reached and has logged us in, nothing can have left: a crash
        # while connecting (or in a hanging password command) releases the keys next pass.
        self._claim(draft, folders.sent, now, statement, note=CONNECTING)

        def sending() -> None:
            for key in (draft.key, *riders):
                self.store.mark_sending(key)

        try:
            recipients = [draft.to.email, *(a.email for a in draft.cc)]  # billing: in Cc gets it too
            self.sender.send(
                draft, sender=self.config.identity.email, recipients=recipients, on_sending=sending
            )
        except (SendFailed, SendRefused, CredentialError) as exc:
            # Recorded as sent only once the server accepted it: a refused login, a failing
            # password command or a refused message sent nothing, so the claims are released
            # and the next pass tries again.
            for key in (draft.key, *riders):
                self.store.move(key, DraftEvent.RELEASED, at=now)
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
            for key in (draft.key, *riders):
                self.store.move(key, DraftEvent.DELIVERED, uid=uid, at=now)
                self.store.note(
                    keys.item_of(key),
                    JournalEvent.SENT,
                    f"{keys.stage_of(key)}: sent by SMTP to {draft.to.email}",
                    now,
                )
        log.info("%s sent to %s over %s", draft.key, draft.to.email, self.sender.describe())
        report.sent_by_smtp.append(draft)

    def _claim(
        self, draft: Draft, folder: str, now: datetime, statement: Statement | None, note: str = ""
    ) -> None:
        """Claim the draft's key, and a statement's reminders' keys with it, in one transaction."""
        with self.store.transaction():
            self.store.add_pending(
                key=draft.key, kind=DraftKind(draft.kind), message_id=draft.message_id, subject=draft.subject,
                recipient=draft.to.email, folder=folder, at=now, item=keys.item_of(draft.key),
                parent_id=draft.in_reply_to, note=note,
            )  # fmt: skip
            for reminder in statement.reminders if statement else ():
                self.store.add_pending(
                    key=reminder.key, kind=DraftKind.REMINDER, message_id=draft.message_id,
                    subject=draft.subject, recipient=draft.to.email, folder=folder, at=now,
                    item=keys.item_of(reminder.key), parent_id=reminder.invoice.message_id, note=note,
                )  # fmt: skip

    def notify(
        self, planned: Reminder | Statement | FollowUp | CheckIn, now: datetime, report: PassReport
    ) -> None:
        """``action: notify``: nothing is composed, written or sent; `status` and the digest list it.
        A statement is a to-do for each of its invoices."""
        if isinstance(planned, Statement):
            for reminder in planned.reminders:
                self.notify(reminder, now, report)
            return
        item = keys.item_of(planned.key)
        client = self.config.rules.clients[
            planned.client if isinstance(planned, CheckIn) else _client(planned)
        ]
        subject = _subject_of(planned)
        recipient = client.contact_address.email
        if not self.store.record_sent(
            key=planned.key,
            kind=DraftKind.NOTICE,
            item=item,
            message_id="",
            subject=subject,
            recipient=recipient,
            at=now,
            event=DraftEvent.NOTIFIED,
        ):
            return
        line = f"{item}: {JournalEvent.TO_DO} ({keys.stage_of(planned.key)}: contact {recipient} yourself)"
        self.store.note(
            item, JournalEvent.TO_DO, f"{keys.stage_of(planned.key)}: contact {recipient} yourself", now
        )
        log.info("%s", line)
        report.changes.append(line)
        report.notified.append(planned.key)

    def deliver_to_inbox(self, draft: Draft, folders: Folders, now: datetime) -> PassReport:
        """The digest, into the freelancer's own INBOX (once: its key is claimed first)."""
        report = PassReport(account=self.account.name)
        self.store.add_pending(
            key=draft.key,
            kind=DraftKind(draft.kind),
            message_id=draft.message_id,
            subject=draft.subject,
            recipient=draft.to.email,
            folder=folders.inbox,
            at=now,
            item="digest",
        )
        try:
            uid = self.mailbox.append(folders.inbox, draft.data, flags=(), when=now)
        except MailboxError as exc:
            report.errors.append(f"{draft.key}: {exc}")
            return report
        with self.store.transaction():
            self.store.move(draft.key, DraftEvent.DELIVERED, uid=uid, at=now)
        log.info("digest %s delivered into %s", draft.key, folders.inbox)
        return report

    # ----------------------------------------------------------------- drafts that became wrong

    def withdraw_outdated(self, folders: Folders, now: datetime, report: PassReport) -> None:
        """Every waiting draft whose item changed since it was written: withdrawn from Drafts
        when it is still exactly as written, else (hers now) marked no longer needed."""
        for entry in self.store.outbox(DraftState.WITHDRAWN):
            # Withdrawn, and its item is open again (a promise lapsed, the paid tag removed):
            # nothing of the draft is left, so the stage is free to be drafted afresh.
            item = entry.item or keys.item_of(entry.key)
            if attention.no_longer_needed(entry.key, entry.kind, *self._item(item)) is None:
                with self.store.transaction():
                    self.store.move(entry.key, DraftEvent.RELEASED, at=now)
                    self.store.note(
                        item,
                        JournalEvent.DUE_AGAIN,
                        f"{keys.stage_of(entry.key)}: withdrawn before, due again",
                        now,
                    )
                log.info("%s: %s was withdrawn; due again, it will be drafted afresh", item, entry.key)
        for entry in self.store.outbox(DraftState.DRAFTED):
            item = entry.item or keys.item_of(entry.key)
            invoice, deliverable = self._item(item)
            why = attention.no_longer_needed(entry.key, entry.kind, invoice, deliverable)
            if why is None:
                continue
            folder = entry.folder or folders.drafts
            try:
                outcome = self._withdraw(entry.key, folder, entry.uid, entry.sha256)
            except MailboxError as exc:
                # Still drafted: the next pass tries again; nothing was removed.
                message = f"{entry.key}: withdrawing the draft that is no longer needed failed: {exc}"
                log.error("%s", message)
                report.errors.append(message)
                continue
            stage = keys.stage_of(entry.key)
            if outcome is WithdrawOutcome.WITHDRAWN:
                event, journal = DraftEvent.WITHDRAWN, JournalEvent.WITHDRAWN
                detail = f"{stage}: {entry.subject!r} to {entry.recipient} withdrawn from {folder} ({why})"
            else:
                event, journal = DraftEvent.OUTDATED, JournalEvent.NO_LONGER_NEEDED
                detail = (
                    f"{stage}: {entry.subject!r} to {entry.recipient} is no longer needed ({why}); "
                    + {
                        WithdrawOutcome.CHANGED: f"you changed it, so it stays in {folder}: delete it yourself",
                        WithdrawOutcome.GONE: f"it is no longer in {folder}",
                        WithdrawOutcome.UNSUPPORTED: (
                            f"left in {folder}: the server cannot remove one message alone (no UIDPLUS); "
                            "delete it yourself"
                        ),
                    }[outcome]
                )
            left = attention.no_longer_needed_note(why, str(outcome))
            with self.store.transaction():
                self.store.move(entry.key, event, at=now, note=left)
                self.store.note(item, journal, detail, now, data={"draft": entry.key, "why": [why]})
            log.info("%s: %s", item, detail)
            report.changes.append(f"{item}: {journal} ({detail})")
            (report.withdrawn if outcome is WithdrawOutcome.WITHDRAWN else report.obsolete).append(entry.key)

    def _item(self, item: str) -> tuple[Invoice | None, Deliverable | None]:
        found = keys.parse(item)
        if found.kind == keys.INVOICE:
            return self.store.invoice(found.client, found.what), None
        if found.kind == keys.DELIVERABLE:
            for deliverable in self.store.deliverables(client=found.client):
                if deliverable_id(deliverable.message_id) == found.what:
                    return None, deliverable
        return None, None

    def _withdraw(self, key: str, folder: str, uid: str | None, sha256: str) -> WithdrawOutcome:
        """Withdraw our draft if it is untouched; a draft not known as written (no fingerprint:
        written before schema 6, or found after a lost state) counts as touched."""
        if not sha256:
            return WithdrawOutcome.CHANGED
        if uid is None:  # APPEND did not say where (no UIDPLUS): the key header does
            found = self.mailbox.search_header(folder, compose.KEY_HEADER, key)
            if len(found) != 1:
                return WithdrawOutcome.GONE if not found else WithdrawOutcome.CHANGED
            uid = str(found[0])
        outcome = self.mailbox.withdraw(folder, uid, sha256=sha256)
        if outcome is WithdrawOutcome.GONE and self.mailbox.search_header(folder, compose.KEY_HEADER, key):
            # A mail client that edits a draft stores it anew (IMAP: a new UID): her version.
            return WithdrawOutcome.CHANGED
        return outcome

    # ----------------------------------------------------------------- interruptions

    def find_ours(self, key: str, folders: Folders, *, sent_too: bool = False) -> Uid | None:
        """A message carrying ``key`` already in the mailbox (lost state, an interruption).

        Before an APPEND only Drafts is searched: a draft already sent was seen when Sent
        was scanned. After an interruption Sent is searched too (a header search there
        reads every message of a large folder, so it is kept for that rare case).
        """
        if keys.is_digest(key):
            places = (folders.inbox,)
        else:
            places = (folders.drafts, folders.sent) if sent_too else (folders.drafts,)
        for folder in places:
            found = self.mailbox.search_header(folder, compose.KEY_HEADER, key)
            if found:
                return found[0]
        return None

    def resolve_pending(self, folders: Folders, now: datetime) -> None:
        """Finish what a crash interrupted: a pending key either has its message, or never got it."""
        pending = self.store.outbox(DraftState.PENDING)
        # A statement's reminders share its Message-ID and carry no header of their own:
        # they end as the letter does.
        found: dict[str, Uid | None] = {}
        for entry in sorted(pending, key=lambda e: not keys.is_statement(e.key)):
            if entry.message_id and entry.message_id in found and not keys.is_statement(entry.key):
                uid = found[entry.message_id]
            else:
                uid = self.find_ours(entry.key, folders, sent_too=True)
                if entry.message_id:
                    found.setdefault(entry.message_id, uid)
            item = entry.item or keys.item_of(entry.key)
            with self.store.transaction():
                if entry.note == CONNECTING and uid is None:
                    # Interrupted before the server had any of it: not sent, so it goes out next time.
                    self.store.move(entry.key, DraftEvent.RELEASED, at=now)
                    log.info(
                        "%s was not sent (interrupted while connecting); it will be sent again", entry.key
                    )
                elif entry.note in ("send", CONNECTING):
                    # SMTP may or may not have taken it: never risk sending twice.
                    self.store.move(entry.key, DraftEvent.DELIVERED, uid=uid, at=now)
                    detail = (
                        "found in Sent after an interruption"
                        if uid is not None
                        else "interrupted while sending; not sent again: check your Sent folder"
                    )
                    self.store.note(item, JournalEvent.SENT, detail, now)
                    log.warning("%s: %s", entry.key, detail)
                elif uid is not None:
                    event = DraftEvent.DELIVERED if keys.is_digest(entry.key) else DraftEvent.APPENDED
                    self.store.move(entry.key, event, uid=uid, at=now)
                    self.store.note(
                        item, JournalEvent.DRAFTED, "found in the mailbox after an interruption", now
                    )
                    log.info("draft %s found after an interruption", entry.key)
                else:
                    self.store.move(entry.key, DraftEvent.RELEASED, at=now)
                    log.info("draft %s was never appended; it will be written again", entry.key)


def _client(planned: Reminder | FollowUp) -> str:
    return planned.invoice.client if isinstance(planned, Reminder) else planned.deliverable.client


def _subject_of(planned: Reminder | FollowUp | CheckIn) -> str:
    """The subject the draft would have had: a reply in the tracked email's thread."""
    if isinstance(planned, Reminder):
        return compose.reply_subject(planned.invoice.subject)
    work = planned.deliverable if isinstance(planned, FollowUp) else planned.work
    return compose.reply_subject(work.subject)
