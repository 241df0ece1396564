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
from .adapters.parse import parse_header
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
            # The mailbox is the truth shared with any other installation: a key already in
            # Drafts or Sent is taken, whoever wrote it, and is not written again.
            found = self._find(draft.key, folders)
            existing = found[1] if found is not None else None
            if found is not None:
                self._whose(*found, now, report)
            if existing is not None:
                uid = existing
            else:
                uid = self.mailbox.append(folders.drafts, draft.data, flags=DRAFT_FLAGS, when=now)
                uid = self._one_copy(draft.key, folders.drafts, uid, now, report)
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
        self.store.remember(_drafted_line(draft, folders.drafts, now))
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
            # Another installation on this mailbox may have delivered today's digest already.
            found = self._find(draft.key, folders)
            if found is not None:
                self._whose(*found, now, report)
                uid = found[1]
            else:
                uid = self.mailbox.append(folders.inbox, draft.data, flags=(), when=now)
                uid = self._one_copy(draft.key, folders.inbox, uid, now, report)
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
        token = compose.token_for(key, self.config.identity)
        if uid is None:  # APPEND did not say where (no UIDPLUS): the key's token does
            found = self.mailbox.search_header(folder, compose.KEY_HEADER, token)
            if len(found) != 1:
                return WithdrawOutcome.GONE if not found else WithdrawOutcome.CHANGED
            uid = str(found[0])
        outcome = self.mailbox.withdraw(folder, uid, sha256=sha256)
        if outcome is WithdrawOutcome.GONE and self.mailbox.search_header(folder, compose.KEY_HEADER, token):
            # A mail client that edits a draft stores it anew (IMAP: a new UID): her version.
            return WithdrawOutcome.CHANGED
        return outcome

    # ----------------------------------------------------------------- interruptions

    def find_ours(self, key: str, folders: Folders, *, sent_too: bool = True) -> Uid | None:
        """A message carrying ``key`` already in the mailbox (lost state, an interruption, or
        another installation on this mailbox: the mailbox is the shared truth).

        Drafts and Sent are searched for the key's opaque token (the same for every
        installation) and for the clear header of drafts written before tokens.
        """
        found = self._find(key, folders, sent_too=sent_too, legacy_sent=sent_too)
        return found[1] if found is not None else None

    def _find(
        self, key: str, folders: Folders, *, sent_too: bool = True, legacy_sent: bool = False
    ) -> tuple[str, Uid] | None:
        if keys.is_digest(key):
            places: tuple[str, ...] = (folders.inbox,)
        else:
            places = (folders.drafts, folders.sent) if sent_too else (folders.drafts,)
        token = compose.token_for(key, self.config.identity)
        for folder in places:
            wanted = [(compose.KEY_HEADER, token)]
            # A draft of an older version (the clear key) waits in Drafts, or in Sent when a
            # pass was interrupted before it was recorded; in Sent the sync reads the rest
            # (on a Maildir each header search reads every message of the folder).
            if folder != folders.sent or legacy_sent:
                wanted.append((compose.LEGACY_KEY_HEADER, key))
            for header, value in wanted:
                found = self.mailbox.search_header(folder, header, value)
                if found:
                    return folder, found[0]
        return None

    def _one_copy(
        self, key: str, folder: str, uid: Uid | None, now: datetime, report: PassReport
    ) -> Uid | None:
        """After an APPEND: when another installation appended the same key at the same moment
        (both searched, found nothing, appended), the copy that arrived first stays and the
        later one is removed by whoever wrote it. Every installation sees the same order, so
        exactly one copy is left, whichever finished checking first."""
        if uid is None:
            return None
        token = compose.token_for(key, self.config.identity)
        copies = self.mailbox.search_header(folder, compose.KEY_HEADER, token)
        if len(copies) < 2 or str(uid) not in {str(c) for c in copies}:
            return uid
        first = self.mailbox.first_of(folder, copies)
        if str(first) == str(uid):
            return uid
        self.mailbox.retract(folder, uid)
        log.warning("%s: another installation wrote this draft at the same moment; our copy was removed", key)
        self._whose(folder, first, now, report)
        return first

    def _whose(self, folder: str, uid: Uid, now: datetime, report: PassReport) -> None:
        """Say so, loudly, when the message found for a key was written by another installation."""
        for _, data in self.mailbox.fetch(folder, [uid]):
            installation = parse_header(data).assistant_installation
            note_other_installation(self.store, self.config, installation, folder, now, report)

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


def note_other_installation(
    store: Store, config: Config, installation: str, folder: str, now: datetime, report: PassReport
) -> None:
    """Record and report a message of another installation of the assistant in this mailbox.

    Two installations on one mailbox (a laptop and a desktop, the system and the user unit)
    do not write anything twice (the mailbox is their shared truth), but the freelancer
    should run one: status, the log, the digest and `check` say so.
    """
    if not installation or installation == config.identity.installation:
        return
    if store.saw_installation(installation, folder, now):
        log.warning(
            "another installation of freelance-assistant (id %s) writes into this mailbox (seen in %s); "
            "run only one: stop the other (its state is another directory or machine)",
            installation,
            folder,
        )
    if installation not in report.other_installations:
        report.other_installations.append(installation)


def _drafted_line(draft: Draft, folder: str, now: datetime) -> dict:
    """The record's line for a draft in the mailbox: what a lost state needs to know it again."""
    return {
        "event": "drafted",
        "key": draft.key,
        "kind": str(draft.kind),
        "message_id": draft.message_id,
        "subject": draft.subject,
        "recipient": draft.to.email,
        "folder": folder,
        "item": keys.item_of(draft.key),
        "parent_id": draft.in_reply_to,
        "at": now.isoformat(),
    }


def restore_drafts(store: Store, now: datetime) -> list[str]:
    """Drafts the record knows and the state does not (a lost or truncated state): recorded
    as drafted again, so a draft the freelancer deleted is not written a second time."""
    restored = []
    # The record's last word on each key: a key released after it was drafted is free.
    last: dict[str, dict] = {}
    for line in store.remembered():
        if line.get("event") in ("drafted", "released") and line.get("key"):
            last[str(line["key"])] = line
    for key, line in last.items():
        if line.get("event") != "drafted" or store.outbox_entry(key) is not None:
            continue
        at = datetime.fromisoformat(line["at"]) if line.get("at") else now
        with store.transaction():
            store.add_pending(
                key=key,
                kind=DraftKind(line.get("kind") or keys.kind_of_key(key)),
                message_id=str(line.get("message_id") or ""),
                subject=str(line.get("subject") or ""),
                recipient=str(line.get("recipient") or ""),
                folder=str(line.get("folder") or ""),
                at=at,
                item=str(line.get("item") or keys.item_of(key)),
                parent_id=str(line.get("parent_id") or ""),
            )
            store.move(key, DraftEvent.APPENDED, at=at)
            detail = "restored from the record after a lost state"
            store.note(keys.item_of(key), JournalEvent.DRAFTED, detail, now)
        restored.append(key)
    return restored


def _client(planned: Reminder | FollowUp) -> str:
    return planned.invoice.client if isinstance(planned, Reminder) else planned.deliverable.client


def _subject_of(planned: Reminder | FollowUp | CheckIn) -> str:
    """The subject the draft would have had: a reply in the tracked email's thread."""
    if isinstance(planned, Reminder):
        return compose.reply_subject(planned.invoice.subject)
    work = planned.deliverable if isinstance(planned, FollowUp) else planned.work
    return compose.reply_subject(work.subject)
