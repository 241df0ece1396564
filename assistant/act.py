"""Act: the outbox protocol that writes each planned action exactly once.

Acting is outside the ingest transaction and exactly-once per action key: claim the key
(``pending``, ``DraftEvent.CLAIMED``), look for a message already carrying it, append if
there is none, mark it ``drafted`` (``APPENDED``). A crash in between leaves a ``pending``
key, resolved at the start of the next pass by looking in Drafts and Sent
(``resolve_pending``). ``action: send`` claims the key before the SMTP transaction and is
never retried blindly; ``action: notify`` composes and writes nothing and records a to-do.
Every move of an outbox entry goes through ``ledger.DRAFT_TRANSITIONS`` (the store checks).
"""

from __future__ import annotations

import logging
from datetime import datetime

from .adapters.mailbox import Folders, Mailbox, Uid
from .adapters.parse import parse_header
from .adapters.smtp import Sender
from .adapters.store import Store
from .config import Account, Config
from .domain import compose, keys
from .domain.keys import DraftKind, DraftState, JournalEvent
from .domain.ledger import DraftEvent
from .domain.model import CheckIn, Draft, FollowUp, Reminder
from .errors import MailboxError, SendFailed, SendRefused
from .pass_report import PassReport

log = logging.getLogger(__name__)

# Seen: a draft the assistant wrote is not news in the Drafts folder (unread drafts look like mail).
DRAFT_FLAGS = ("\\Draft", "\\Seen")


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

    def draft(self, draft: Draft, folders: Folders, now: datetime, report: PassReport) -> None:
        """Append ``draft`` to Drafts, once: claim its key, look for it, append, mark it drafted."""
        self.store.add_pending(
            key=draft.key,
            kind=DraftKind(draft.kind),
            message_id=draft.message_id,
            subject=draft.subject,
            recipient=draft.to.email,
            folder=folders.drafts,
            at=now,
            item=keys.item_of(draft.key),
            parent_id=draft.in_reply_to,
        )
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
        with self.store.transaction():
            self.store.move(draft.key, DraftEvent.APPENDED, uid=uid, at=now)
            self.store.note(
                keys.item_of(draft.key),
                JournalEvent.DRAFTED,
                f"{keys.stage_of(draft.key)}: {draft.subject!r} to {draft.to.email} in {folders.drafts}",
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

    def send(self, draft: Draft, folders: Folders, now: datetime, report: PassReport) -> None:
        """``action: send``: at most once. The key is claimed before the SMTP transaction; a
        crash after it is resolved by looking in Sent, never by sending again."""
        assert self.sender is not None and keys.may_send(draft.kind, draft.key)
        self.store.add_pending(
            key=draft.key,
            kind=DraftKind(draft.kind),
            message_id=draft.message_id,
            subject=draft.subject,
            recipient=draft.to.email,
            folder=folders.sent,
            at=now,
            item=keys.item_of(draft.key),
            parent_id=draft.in_reply_to,
            note="send",
        )
        try:
            recipients = [draft.to.email, *(a.email for a in draft.cc)]  # billing: in Cc gets it too
            self.sender.send(draft, sender=self.config.identity.email, recipients=recipients)
        except (SendFailed, SendRefused) as exc:
            self.store.move(draft.key, DraftEvent.RELEASED, at=now)  # nothing went out: try again
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
            self.store.move(draft.key, DraftEvent.DELIVERED, uid=uid, at=now)
            self.store.note(
                keys.item_of(draft.key),
                JournalEvent.SENT,
                f"{keys.stage_of(draft.key)}: sent by SMTP to {draft.to.email}",
                now,
            )
        log.info("%s sent to %s over %s", draft.key, draft.to.email, self.sender.describe())
        report.sent_by_smtp.append(draft)

    def notify(self, planned: Reminder | FollowUp | CheckIn, now: datetime, report: PassReport) -> None:
        """``action: notify``: nothing is composed, written or sent; `status` and the digest list it."""
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
        for entry in self.store.outbox(DraftState.PENDING):
            uid = self.find_ours(entry.key, folders, sent_too=True)
            item = entry.item or keys.item_of(entry.key)
            with self.store.transaction():
                if entry.note == "send":
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
    for line in store.remember_lines("drafted"):
        key = str(line.get("key") or "")
        if not key or store.outbox_entry(key) is not None:
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
