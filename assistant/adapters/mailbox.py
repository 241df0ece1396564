"""The mailbox port: the one interface the engine uses to read and append mail.

Two implementations keep the same contract (and one contract test suite runs on both):
``imap.ImapMailbox`` and ``maildir.MaildirMailbox``. The engine never learns which one
it talks to.

The contract, in short:

* ``folders()`` names the INBOX, Sent and Drafts folders.
* ``scan(folder, checkpoint, ...)`` says what is new since ``checkpoint`` (an opaque
  dict the engine stores and hands back): header batches of new messages, flag changes
  of messages the engine watches, and the checkpoint to store once all of it has been
  processed. ``reset`` is true when earlier locations (UIDs) are no longer valid.
  ``partial(n)`` is the checkpoint after the first ``n`` batches alone, so a long first
  scan can be stored batch by batch and an interrupted one continued.
* ``fetch`` returns whole messages; ``append`` adds a message; ``search_header`` finds
  messages by a header value (to find our own drafts).
* ``withdraw(folder, uid, sha256=...)`` removes one of the assistant's own drafts that
  became wrong, and only if it is still exactly what was appended (the same UID, still
  ``\\Draft``, the same bytes by ``draft_sha256``): on IMAP that UID alone, by UID STORE
  ``\\Deleted`` and UID EXPUNGE (UIDPLUS); on a Maildir that one file. Anything else is
  the freelancer's and stays as it is (``WithdrawOutcome`` says why).
* ``profile()`` says what ``check`` explains: how Sent and Drafts were found, and what
  the server can do (IMAP capabilities, the way of signing in).
* ``tag_changes(keyword, checkpoints)`` reads the paid tag in the folders the freelancer
  files mail into (``folders.filed``, by default every folder but INBOX, Sent, Drafts,
  Trash and Junk): per folder, the messages whose keyword was set or cleared since that folder's
  ``TagCheckpoint``, by Message-ID. A folder unchanged since (the same HIGHESTMODSEQ, the
  same directory times) costs one STATUS or a few ``stat`` calls; only newly tagged
  messages have their Message-ID read. ``flags(folder, uid)`` reads one message's flags.

Besides ``withdraw`` of the assistant's own untouched draft, nothing in this interface can
delete, move or change a message.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal, Protocol

Uid = int | str


class WithdrawOutcome(StrEnum):
    """What ``Mailbox.withdraw`` found and did."""

    WITHDRAWN = "withdrawn"  # it was exactly our draft: removed, nothing else
    CHANGED = "changed"  # other bytes, or no longer \Draft: the freelancer's now, left alone
    GONE = "gone"  # no message at that UID (sent, moved or deleted by her)
    UNSUPPORTED = "unsupported"  # ours, but the server cannot remove one UID alone (no UIDPLUS): left


def draft_sha256(message: bytes) -> str:
    """The fingerprint of a draft as appended, whatever line ending the mailbox stores
    (a Maildir file has LF, IMAP gives CRLF back)."""
    return hashlib.sha256(message.replace(b"\r\n", b"\n")).hexdigest()


@dataclass(frozen=True, slots=True)
class Folders:
    inbox: str
    sent: str
    drafts: str


# How a folder was found: the server's SPECIAL-USE flag, a usual name, config.yaml, or,
# when several usual names exist, by what they hold (the freelancer's own sent mail).
FoundBy = Literal["special-use", "usual name", "config", "evidence"]


@dataclass(frozen=True, slots=True)
class MailboxProfile:
    """What a mailbox can do and how its folders were found: what ``check`` explains."""

    kind: Literal["imap", "maildir"]
    folders: Folders
    found: Mapping[str, FoundBy]  # "sent", "drafts" -> how
    # IMAP only: the capabilities announced after login (upper case), the mechanism used
    # to sign in ("LOGIN", "XOAUTH2"), and whether CONDSTORE is in use (it needs ENABLE).
    capabilities: frozenset[str] = frozenset()
    signed_in_with: str = ""
    condstore: bool = False
    # role -> what the choice rested on, for the roles found by "evidence".
    evidence: Mapping[str, str] = field(default_factory=dict)
    # Whether a draft can be appended to Drafts: False with why (the IMAP ACL rights, the
    # Maildir permissions), None when the mailbox cannot tell (no ACL extension).
    drafts_writable: bool | None = None
    drafts_why: str = ""
    # Where the paid tag is read besides Sent (``folders.filed``, or every folder but Sent,
    # Drafts, Trash and Junk), and the configured names that match no folder.
    filed: tuple[str, ...] = ()
    filed_missing: tuple[str, ...] = ()
    filed_configured: bool = False


@dataclass(frozen=True, slots=True)
class RawHeader:
    """A message as a scan sees it: where it is, its flags, its header bytes."""

    uid: Uid
    flags: frozenset[str]
    header: bytes
    size: int = 0


def _whole(batches: int) -> dict[str, Any] | None:
    return None


@dataclass(slots=True)
class FolderScan:
    folder: str
    checkpoint: dict[str, Any]
    reset: bool
    batches: Iterator[list[RawHeader]]
    flag_changes: list[tuple[Uid, frozenset[str]]] = field(default_factory=list)
    total: int = 0  # new messages the batches hold (for progress reports)
    first: bool = False  # a first scan of the folder, or the rest of an interrupted one
    # partial(n): the checkpoint to store once the first n batches are processed, None when
    # they are all of them. It covers those batches only (flag changes are not in it), so
    # a scan interrupted after them goes on with the next batch and misses nothing.
    partial: Callable[[int], dict[str, Any] | None] = _whole


@dataclass(frozen=True, slots=True)
class TagCheckpoint:
    """Where reading one filed folder for the paid tag stopped.

    ``state`` is the adapter's own (IMAP: the keyword, UIDVALIDITY, UIDNEXT, MESSAGES and
    HIGHESTMODSEQ; Maildir: the keyword and the times of ``cur/``, ``new/`` and
    ``dovecot-keywords``); ``tagged`` is every message there carrying the keyword, by
    location (a UID or a Maildir key, as text), with its Message-ID ("" when it has none),
    so that a clear is seen and a message is never read twice.
    """

    state: Mapping[str, Any]
    tagged: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class TagChange:
    """The paid keyword set (``present``) or cleared on a message of a filed folder."""

    folder: str
    message_id: str
    present: bool


@dataclass(slots=True)
class TagScan:
    """What ``Mailbox.tag_changes`` found: the changes since the checkpoints, the checkpoint
    of every folder looked at (to store; unchanged ones as they were), the folders looked at,
    the configured names that match no folder, and what it cost: the folders that had to be
    searched or listed again, and the messages whose Message-ID was read."""

    changes: list[TagChange] = field(default_factory=list)
    checkpoints: dict[str, TagCheckpoint] = field(default_factory=dict)
    folders: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    searched: list[str] = field(default_factory=list)
    read: int = 0


class Mailbox(Protocol):
    def folders(self) -> Folders: ...

    def scan(
        self,
        folder: str,
        checkpoint: dict[str, Any] | None,
        *,
        since: date | None = None,
        watch: Collection[Uid] = (),
    ) -> FolderScan: ...

    def fetch(
        self, folder: str, uids: Sequence[Uid], sizes: Mapping[Uid, int] | None = None
    ) -> Iterator[tuple[Uid, bytes]]: ...

    def append(self, folder: str, message: bytes, *, flags: Sequence[str], when: datetime) -> Uid | None: ...

    def search_header(self, folder: str, name: str, value: str) -> list[Uid]: ...

    def withdraw(self, folder: str, uid: Uid, *, sha256: str) -> WithdrawOutcome: ...

    # The paid keyword set or cleared in the filed folders since ``checkpoints`` (see TagScan).
    def tag_changes(self, keyword: str, checkpoints: Mapping[str, TagCheckpoint]) -> TagScan: ...

    # The flags of one message, None when it is gone (read, never changed).
    def flags(self, folder: str, uid: Uid) -> frozenset[str] | None: ...

    def take_refused(self) -> list[tuple[str, Uid, str]]:
        """Messages the server refused to read since the last call, left out: (folder, uid, why)."""
        ...

    # The earliest arrived of ``uids`` in ``folder`` (every client sees the same order).
    def first_of(self, folder: str, uids: Sequence[Uid]) -> Uid: ...

    # Remove the message ``uid`` the assistant itself appended a moment ago (the second
    # copy of a draft another installation wrote at the same time), and nothing else.
    def retract(self, folder: str, uid: Uid) -> None: ...

    def describe(self) -> str: ...

    def profile(self) -> MailboxProfile: ...

    def close(self) -> None: ...


# Names a folder has when the server does not announce SPECIAL-USE, most common first.
SENT_NAMES = (
    "Sent",
    "Sent Items",
    "Sent Messages",
    "Sent Mail",
    "[Gmail]/Sent Mail",
    "[Google Mail]/Sent Mail",
    "INBOX.Sent",
    "INBOX/Sent",
    "Enviados",
    "Elementos enviados",
    "[Gmail]/Enviados",
    "Verzonden",
    "Verzonden items",
    "[Gmail]/Verzonden berichten",
)
DRAFTS_NAMES = (
    "Drafts",
    "Draft",
    "[Gmail]/Drafts",
    "[Google Mail]/Drafts",
    "INBOX.Drafts",
    "INBOX/Drafts",
    "Borradores",
    "[Gmail]/Borradores",
    "Concepten",
    "[Gmail]/Concepten",
)


# Folders where mail is thrown away, never filed: by their SPECIAL-USE flags first (RFC 6154),
# then by these usual names (en, es, nl, Gmail), with everything under them. A Paid tag there
# marks nothing paid.
TRASH_NAMES = (
    "Trash",
    "Deleted Items",
    "Deleted Messages",
    "Deleted",
    "Bin",
    "[Gmail]/Trash",
    "[Gmail]/Bin",
    "[Google Mail]/Trash",
    "[Google Mail]/Bin",
    "INBOX.Trash",
    "INBOX/Trash",
    "Papelera",
    "Elementos eliminados",
    "[Gmail]/Papelera",
    "Prullenbak",
    "Verwijderde items",
    "[Gmail]/Prullenbak",
)
JUNK_NAMES = (
    "Junk",
    "Junk E-mail",
    "Junk Email",
    "Junk Mail",
    "Spam",
    "Bulk Mail",
    "[Gmail]/Spam",
    "[Google Mail]/Spam",
    "INBOX.Junk",
    "INBOX/Junk",
    "INBOX.Spam",
    "INBOX/Spam",
    "Correo no deseado",
    "Ongewenste e-mail",
    "Ongewenst",
)
_THROWN_FLAGS = frozenset({"\\trash", "\\junk"})
_UNSELECTABLE = frozenset({"\\noselect", "\\nonexistent"})


@dataclass(frozen=True, slots=True)
class ListedFolder:
    """A folder as the mailbox lists it: its name, its flags (lower case: ``\\trash``,
    ``\\noselect``) and the character that separates its levels."""

    name: str
    flags: frozenset[str] = frozenset()
    delimiter: str = ""


def filed_folders(
    listed: Sequence[ListedFolder], filed: Sequence[str] | None, folders: Folders
) -> tuple[list[str], list[str]]:
    """The folders the paid tag is read in, and the configured names that match none.

    ``filed`` None (the default): every folder that can be opened, but Sent (the Sent scan
    reads its tags), INBOX (it changes with every message, and a STATUS of it costs a large
    mailbox a full open on the server at every pass: named, it is read), Drafts (flagged ``\\Drafts``
    or named like it) and where mail is thrown away: flagged ``\\Trash`` or ``\\Junk``, or
    named like Trash or Junk, and every folder under those. A folder under Sent
    (``Sent/2024``, last year's sent mail) is filed mail. Otherwise the names given, exactly
    (INBOX in any case), where ``*`` stands for anything and ``/`` for
    the server's separator, so ``Archive/2025`` finds Dovecot's ``Archive.2025`` and
    ``Archive*`` every archive folder.
    """
    usable = [f for f in listed if not (f.flags & _UNSELECTABLE)]
    if filed is None:
        thrown_names = {n.lower() for n in (*TRASH_NAMES, *JUNK_NAMES)}
        thrown = [f for f in usable if f.flags & _THROWN_FLAGS or f.name.lower() in thrown_names]
        drafts = {n.lower() for n in DRAFTS_NAMES} | {folders.drafts.lower()}
        read = {"inbox", folders.inbox.lower(), folders.sent.lower()}

        def excluded(folder: ListedFolder) -> bool:
            if folder.name.lower() in drafts or "\\drafts" in folder.flags:
                return True
            if folder.name.lower() in read:
                return True
            # Trash/old is thrown away as much as Trash is.
            return any(
                folder.name == root.name
                or bool(root.delimiter and folder.name.startswith(root.name + root.delimiter))
                for root in thrown
            )

        return [f.name for f in usable if not excluded(f)], []
    chosen, missing = [], []
    for pattern in filed:
        matching = [f.name for f in usable if _matches(pattern, f)]
        if not matching:
            missing.append(pattern)
        chosen.extend(name for name in matching if name not in chosen)
    return chosen, missing


def _matches(pattern: str, folder: ListedFolder) -> bool:
    if pattern.upper() == "INBOX" or folder.name.upper() == "INBOX":
        return pattern.upper() == folder.name.upper()
    if folder.delimiter and folder.delimiter != "/":
        pattern = pattern.replace("/", folder.delimiter)
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, folder.name) is not None


def usual_folders(candidates: Sequence[str], available: Collection[str]) -> list[str]:
    """Every usual name present, in the order of ``candidates``, compared case-insensitively."""
    by_lower = {name.lower(): name for name in available}
    return [by_lower[name.lower()] for name in candidates if name.lower() in by_lower]


def pick_folder(candidates: Sequence[str], available: Collection[str]) -> str | None:
    """The first usual name present, compared case-insensitively."""
    by_lower = {name.lower(): name for name in available}
    for name in candidates:
        if name.lower() in by_lower:
            return by_lower[name.lower()]
    return None
