"""The mailbox port over a local Maildir++ tree (mbsync, offlineimap, notmuch, the demo).

Folders follow Maildir++: the top directory is INBOX, ``.Sent`` is "Sent", ``.Sent.2024``
is "Sent.2024". A message's location is its Maildir key (the file name up to ``:2,``),
which is stable while flags change. Flags come from the file name; Dovecot-style keywords
(``$Paid``) from the letters a-z mapped in the folder's ``dovecot-keywords`` file.

Reading never renames or rewrites a file (Python's ``mailbox`` would move new/ to cur/
when asked for flags, so listing is done here). The paid tag in the folders the freelancer
files mail into (``tag_changes``) costs a few ``stat`` calls per folder that has not changed
(the times of ``cur/``, ``new/`` and ``dovecot-keywords``); a changed one is listed, and only
a newly tagged file's header is read, for its Message-ID. The only write is ``append``, which
follows the Maildir delivery protocol: write in tmp/, fsync, then rename into cur/.
"""

from __future__ import annotations

import itertools
import mailbox
import os
import socket
import time
from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import date, datetime
from datetime import time as dtime
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from ..errors import FolderMissing, MailboxError
from .mailbox import (
    DRAFTS_NAMES,
    SENT_NAMES,
    Folders,
    FolderScan,
    FoundBy,
    ListedFolder,
    MailboxProfile,
    RawHeader,
    TagChange,
    TagCheckpoint,
    TagScan,
    Uid,
    WithdrawOutcome,
    draft_sha256,
    filed_folders,
    pick_folder,
    usual_folders,
)
from .parse import message_id_of, split_header

_LETTER_FLAGS = {
    "D": "\\Draft",
    "F": "\\Flagged",
    "P": "$Forwarded",
    "R": "\\Answered",
    "S": "\\Seen",
    "T": "\\Deleted",
}
_FLAG_LETTERS = {flag: letter for letter, flag in _LETTER_FLAGS.items()}
_HEADER_LIMIT = 256 * 1024
EVIDENCE_SAMPLE = 500  # messages of each Sent candidate read for their sender
_EVIDENCE_HEADER = 64 * 1024  # bytes of each read: the header is at the start
_BATCH = 2000
# A directory changed less than this before its times were taken may change again within the
# same tick of its clock (1-2 s on some file systems) without its time moving: read it again.
_RACY_NS = 2_000_000_000
_counter = itertools.count()


class MaildirMailbox:
    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        sent: str = "",
        drafts: str = "",
        inbox: str = "INBOX",
        own_address: str = "",
        filed: Sequence[str] | None = None,
    ):
        self.root = Path(path)
        self._filed = tuple(filed) if filed is not None else None  # None: every folder but...
        # Among several folders named like Sent, the one holding mail from this address.
        self.own_address = own_address.lower()
        self._found_sent: FoundBy = "config" if sent else "usual name"
        self._evidence: dict[str, str] = {}
        if not (self.root / "cur").is_dir():
            raise MailboxError(f"{self.root} is not a Maildir (no cur/ directory)")
        self._names = (inbox or "INBOX", sent, drafts)
        self._folders: Folders | None = None
        self._box = mailbox.Maildir(self.root, factory=None, create=False)

    def describe(self) -> str:
        return f"Maildir {self.root}"

    # ----------------------------------------------------------------- folders

    def _folder_path(self, folder: str) -> Path:
        if folder.upper() == "INBOX":
            return self.root
        path = self.root / ("." + folder)
        if not (path / "cur").is_dir():
            raise FolderMissing(f"{self.describe()}: no folder {folder!r} (looked for {path})")
        return path

    def folders(self) -> Folders:
        if self._folders is None:
            available = ["INBOX", *self._box.list_folders()]
            inbox, sent, drafts = self._names
            candidates = usual_folders(SENT_NAMES, available)
            if not sent and len(candidates) > 1:
                sent, self._evidence["sent"] = self._sent_by_evidence(candidates)
                self._found_sent = "evidence"
            sent = sent or pick_folder(SENT_NAMES, available)
            drafts = drafts or pick_folder(DRAFTS_NAMES, available)
            if not sent or not drafts:
                missing = "Sent" if not sent else "Drafts"
                raise FolderMissing(
                    f"{self.describe()}: no {missing} folder among {', '.join(available)}; "
                    f"name it in config.yaml under folders:"
                )
            for name in (inbox, sent, drafts):
                self._folder_path(name)
            self._folders = Folders(inbox=inbox, sent=sent, drafts=drafts)
        return self._folders

    def profile(self) -> MailboxProfile:
        """A Maildir has no SPECIAL-USE: its folders are named in config.yaml, usual, or
        chosen by what they hold."""
        drafts = self._names[2]
        folders = self.folders()
        filed, missing = self.filed()
        path = self._folder_path(folders.drafts)
        # A draft is written into tmp/ and renamed into cur/: both must be writable.
        blocked = [sub for sub in ("tmp", "cur") if not os.access(path / sub, os.W_OK | os.X_OK)]
        return MailboxProfile(
            kind="maildir",
            folders=folders,
            drafts_writable=not blocked,
            drafts_why=f"no permission to write in {', '.join(str(path / b) for b in blocked)}"
            if blocked
            else "",
            evidence=dict(self._evidence),
            found={
                "sent": self._found_sent,
                "drafts": "config" if drafts else "usual name",
            },
            filed=tuple(filed),
            filed_missing=tuple(missing),
            filed_configured=self._filed is not None,
        )

    def _sent_by_evidence(self, candidates: list[str]) -> tuple[str, str]:
        """Among folders that could be Sent, the one holding the freelancer's own mail (as
        ``ImapMailbox._sent_by_evidence``): the newest EVIDENCE_SAMPLE messages of each are
        read for their From; then the number of messages decides, then the usual order."""
        counted = []
        for rank, name in enumerate(candidates):
            path = self._folder_path(name)
            files = [path / sub / entry for sub in ("cur", "new") for entry in _entries(path / sub)]
            own = 0
            if self.own_address:
                # Maildir keys start with the delivery time: the last names are the newest.
                for file in sorted(files, key=lambda f: f.name, reverse=True)[:EVIDENCE_SAMPLE]:
                    own += _sender_of(file) == self.own_address
            counted.append((own, len(files), -rank, name))
        own, total, _, chosen = max(counted)
        held = own if self.own_address else total
        what = f"from {self.own_address}" if self.own_address else "in it"
        others = "; ".join(
            f"{name!r} {n_own if self.own_address else n_total}"
            for n_own, n_total, _, name in counted
            if name != chosen
        )
        return chosen, f"{held} message{'s' if held != 1 else ''} {what} (the other candidates: {others})"

    # ----------------------------------------------------------------- reading

    def _listing(self, path: Path) -> dict[str, tuple[str, str]]:
        """key -> (subdir/filename, flag letters) of every message in the folder."""
        entries: dict[str, tuple[str, str]] = {}
        for sub in ("new", "cur"):
            try:
                names = os.listdir(path / sub)
            except FileNotFoundError:
                continue
            for name in names:
                if name.startswith("."):
                    continue
                key, _, info = name.partition(":")
                letters = info[2:] if info.startswith("2,") else ""
                entries[key] = (f"{sub}/{name}", letters)
        return entries

    def _keywords(self, path: Path) -> dict[str, str]:
        """Keyword letters (a-z) to keyword names, from Dovecot's dovecot-keywords file."""
        mapping = {}
        try:
            lines = (path / "dovecot-keywords").read_text(encoding="utf-8", errors="replace").splitlines()
        except FileNotFoundError:
            return mapping
        for line in lines:
            index, _, name = line.partition(" ")
            if index.isdigit() and int(index) < 26 and name:
                mapping[chr(ord("a") + int(index))] = name.strip()
        return mapping

    def _flags(self, letters: str, keywords: dict[str, str]) -> frozenset[str]:
        flags = {_LETTER_FLAGS[c] for c in letters if c in _LETTER_FLAGS}
        flags.update(keywords[c] for c in letters if c in keywords)
        return frozenset(flags)

    def scan(
        self,
        folder: str,
        checkpoint: dict[str, Any] | None,
        *,
        since: date | None = None,
        watch: Collection[Uid] = (),
    ) -> FolderScan:
        path = self._folder_path(folder)
        listing = self._listing(path)
        keywords = self._keywords(path)
        known: dict[str, str] = dict((checkpoint or {}).get("keys", {}))
        reset = checkpoint is None
        cutoff = time.mktime(datetime.combine(since, dtime()).timetuple()) if since and reset else None
        new = sorted(k for k in listing if k not in known)
        if cutoff is not None:
            new = [k for k in new if _delivered_at(k, path / listing[k][0]) >= cutoff]
        changes = [
            (key, self._flags(listing[key][1], keywords))
            for key in (watch if not reset else ())
            if key in listing and key in known and listing[key][1] != known[key]
        ]
        after = {key: letters for key, (_, letters) in listing.items()}

        def batches() -> Iterator[list[RawHeader]]:
            for start in range(0, len(new), _BATCH):
                batch = []
                for key in new[start : start + _BATCH]:
                    header = _read_header(path / listing[key][0])
                    if header is None:
                        continue  # delivered and removed between listing and reading
                    batch.append(
                        RawHeader(
                            uid=key,
                            flags=self._flags(listing[key][1], keywords),
                            header=header[0],
                            size=header[1],
                        )
                    )
                yield batch

        first = reset or bool((checkpoint or {}).get("first"))

        def partial(done: int) -> dict[str, Any] | None:
            if done * _BATCH >= len(new):
                return None
            pending = set(new[done * _BATCH :])
            # Known messages keep the letters the engine last saw (their flag changes are
            # read after the batches); the batches' messages and those before the cut-off
            # get today's; the messages not read yet are left out, so they are new next time.
            keys = {
                key: known.get(key, letters) for key, (_, letters) in listing.items() if key not in pending
            }
            return {"keys": keys, "first": True} if first else {"keys": keys}

        return FolderScan(
            folder=folder, checkpoint={"keys": after}, reset=reset, batches=batches(), flag_changes=changes,
            total=len(new), first=first, partial=partial,
        )  # fmt: skip

    def take_refused(self) -> list[tuple[str, Uid, str]]:
        return []  # no server between us and the files: a file we cannot read is a parse error

    def fetch(
        self, folder: str, uids: Sequence[Uid], sizes: Mapping[Uid, int] | None = None
    ) -> Iterator[tuple[Uid, bytes]]:
        path = self._folder_path(folder)
        listing = self._listing(path)
        for uid in uids:
            entry = listing.get(str(uid))
            if entry is None:
                continue
            try:
                yield uid, (path / entry[0]).read_bytes()
            except FileNotFoundError:
                continue

    def flags(self, folder: str, uid: Uid) -> frozenset[str] | None:
        path = self._folder_path(folder)
        entry = self._listing(path).get(str(uid))
        return self._flags(entry[1], self._keywords(path)) if entry else None

    # ----------------------------------------------------------------- the paid tag in filed folders

    def filed(self) -> tuple[list[str], list[str]]:
        """The folders the paid tag is read in (``mailbox.filed_folders``; Maildir++ names
        such as ``Archive.2025``), and the configured names that match none."""
        folders = self.folders()
        names = [n for n in self._box.list_folders() if (self.root / f".{n}" / "cur").is_dir()]
        listed = [ListedFolder(name=name, delimiter=".") for name in ["INBOX", *sorted(names)]]
        return filed_folders(listed, self._filed, folders)

    def tag_changes(self, keyword: str, checkpoints: Mapping[str, TagCheckpoint]) -> TagScan:
        """The paid keyword set or cleared in each filed folder since its checkpoint.

        A folder whose ``cur/``, ``new/`` and ``dovecot-keywords`` have the times (and size)
        of its checkpoint is not listed: a flag change renames a file, which changes the time
        of its directory. Any other is listed; a file newly carrying the keyword's letter has
        its header read for the Message-ID; a known one without it any more is a clear; a
        known one no longer there moved or was deleted, which clears nothing.
        """
        names, missing = self.filed()
        scan = TagScan(folders=names, missing=missing)
        wanted = keyword.lower()
        for name in names:
            before = checkpoints.get(name)
            try:
                path = self._folder_path(name)
            except FolderMissing:  # removed since the listing: nothing to read, nothing lost
                if before is not None:
                    scan.checkpoints[name] = before
                continue
            # Taken before listing: whatever changes after it changes them for the next pass.
            state, racy = _marks(path, wanted)
            if before is not None and dict(before.state) == state:
                scan.checkpoints[name] = before
                continue
            scan.searched.append(name)
            same_keyword = before is not None and before.state.get("keyword") == wanted
            known = dict(before.tagged) if before is not None and same_keyword else {}
            letters = {letter for letter, kw in self._keywords(path).items() if kw.lower() == wanted}
            listing = self._listing(path)
            now = {key for key, (_, flags) in listing.items() if letters & set(flags)}
            tagged: dict[str, str] = {}
            for key, message_id in known.items():
                if key in now:
                    tagged[key] = message_id
                elif key in listing and message_id:
                    scan.changes.append(TagChange(folder=name, message_id=message_id, present=False))
            for key in sorted(now - known.keys()):
                header = _read_header(path / listing[key][0])
                if header is None:
                    continue  # renamed since the listing: the directory's time moved, read next pass
                scan.read += 1
                tagged[key] = message_id_of(header[0])
                if tagged[key]:
                    scan.changes.append(TagChange(folder=name, message_id=tagged[key], present=True))
            scan.checkpoints[name] = TagCheckpoint(
                state={**state, "racy": True} if racy else state, tagged=tagged
            )
        return scan

    # ----------------------------------------------------------------- writing

    def append(self, folder: str, message: bytes, *, flags: Sequence[str], when: datetime) -> Uid | None:
        path = self._folder_path(folder)
        letters = "".join(sorted(_FLAG_LETTERS[f] for f in flags if f in _FLAG_LETTERS))
        key = f"{int(when.timestamp())}.M{time.time_ns() % 1_000_000}P{os.getpid()}Q{next(_counter)}.{_hostname()}"
        data = message.replace(b"\r\n", b"\n")  # Maildir files use the local line ending
        tmp = path / "tmp" / key
        final = path / "cur" / f"{key}:2,{letters}"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.utime(tmp, (when.timestamp(), when.timestamp()))
            os.rename(tmp, final)
        except OSError as exc:
            raise MailboxError(f"{self.describe()}: cannot add to {folder}: {exc.strerror}") from exc
        return key

    def withdraw(self, folder: str, uid: Uid, *, sha256: str) -> WithdrawOutcome:
        """Remove our draft ``uid`` (its file) if it is still exactly as appended: the same
        key, the ``D`` flag, the same bytes. A client that edits a draft writes a new file,
        and one that only changes flags renames it: either way it is hers, left alone."""
        path = self._folder_path(folder)
        entry = self._listing(path).get(str(uid))
        if entry is None:
            return WithdrawOutcome.GONE
        file = path / entry[0]
        try:
            data = file.read_bytes()
        except FileNotFoundError:
            return WithdrawOutcome.GONE
        if "D" not in entry[1] or draft_sha256(data) != sha256:
            return WithdrawOutcome.CHANGED
        try:
            file.unlink()
        except FileNotFoundError:
            return WithdrawOutcome.GONE  # renamed (a flag changed) meanwhile: hers now
        except OSError as exc:
            raise MailboxError(
                f"{self.describe()}: cannot withdraw a draft from {folder}: {exc.strerror}"
            ) from exc
        return WithdrawOutcome.WITHDRAWN

    def search_header(self, folder: str, name: str, value: str) -> list[Uid]:
        path = self._folder_path(folder)
        wanted = name.lower()
        found = []
        for key, (relative, _) in self._listing(path).items():
            header = _read_header(path / relative)
            if header and any(v.strip() == value for v in split_header(header[0]).get(wanted, [])):
                found.append(key)
        return found

    def first_of(self, folder: str, uids: Sequence[Uid]) -> Uid:
        """By the time the file entered the folder (its ctime: set by the rename into cur/)."""
        path = self._folder_path(folder)
        listing = self._listing(path)

        def arrived(uid: Uid) -> tuple[int, int, str]:
            # A copy gone since the search (its writer retracted it) comes last: never first.
            relative = listing.get(str(uid), (None, ""))[0]
            try:
                return (0, os.stat(path / relative).st_ctime_ns, str(uid)) if relative else (1, 0, str(uid))
            except OSError:
                return (1, 0, str(uid))

        return min(uids, key=arrived)

    def retract(self, folder: str, uid: Uid) -> None:
        path = self._folder_path(folder)
        relative = self._listing(path).get(str(uid), (None, 0))[0]
        if relative is None:
            return
        try:
            os.unlink(path / relative)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise MailboxError(
                f"{self.describe()}: cannot remove our second copy in {folder}: {exc.strerror}"
            ) from exc

    def close(self) -> None:
        self._box.close()


def _read_header(file: Path) -> tuple[bytes, int] | None:
    """The header block of a message file and the file's size, reading no more than needed."""
    try:
        with open(file, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            data = b""
            while len(data) < _HEADER_LIMIT:
                chunk = handle.read(8192)
                if not chunk:
                    break
                data += chunk
                if b"\n\n" in data or b"\r\n\r\n" in data:
                    break
    except FileNotFoundError:
        return None
    return data, size


def _marks(path: Path, keyword: str) -> tuple[dict[str, Any], bool]:
    """What says a folder changed: the keyword read, the times of ``cur/`` and ``new/``, the time
    and size of ``dovecot-keywords``; and whether one of them is too recent to be trusted."""
    marks: dict[str, Any] = {"keyword": keyword}
    newest = 0
    for name in ("cur", "new", "dovecot-keywords"):
        try:
            info = os.stat(path / name)
        except FileNotFoundError:
            marks[name] = None
            continue
        marks[name] = [info.st_mtime_ns, info.st_size] if name == "dovecot-keywords" else info.st_mtime_ns
        newest = max(newest, info.st_mtime_ns)
    return marks, time.time_ns() - newest < _RACY_NS


def _delivered_at(key: str, file: Path) -> float:
    head = key.split(".", 1)[0]
    if head.isdigit():
        return float(head)
    try:
        return file.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def _hostname() -> str:
    # Maildir forbids '/' and ':' in the host part.
    return socket.gethostname().replace("/", "\\057").replace(":", "\\072") or "localhost"


def _entries(directory: Path) -> list[str]:
    try:
        return [name for name in os.listdir(directory) if not name.startswith(".")]
    except FileNotFoundError:
        return []


def _sender_of(file: Path) -> str:
    """The From address of a message file, lower-cased ("" when unreadable)."""
    try:
        with file.open("rb") as handle:
            head = handle.read(_EVIDENCE_HEADER)
    except OSError:
        return ""
    header = BytesHeaderParser(policy=compat32).parsebytes(head)
    return parseaddr(str(header.get("From", "")))[1].lower()
