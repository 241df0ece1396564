"""Two real mailboxes behind one test interface: a Dovecot IMAP account and a Maildir.

Each plays the freelancer's side: it delivers mail the way a mail client would (an
IMAP APPEND, a file in the Maildir), tags, deletes, and reads back what the assistant
wrote. The assistant under test only ever sees them through its own adapters.
"""

from __future__ import annotations

import contextlib
import email
import os
import ssl
import time
from datetime import datetime
from email import policy
from pathlib import Path

import imapclient

from assistant.adapters.imap import ImapMailbox
from assistant.adapters.maildir import MaildirMailbox

_LETTERS = {"\\Draft": "D", "\\Flagged": "F", "\\Answered": "R", "\\Seen": "S", "\\Deleted": "T"}


class ImapWorld:
    kind = "imap"

    def __init__(self, dovecot, user: str):
        self.dovecot = dovecot
        self.user = user
        self.opened: list[ImapMailbox] = []

    def account_yaml(self, name: str = "main") -> str:
        d = self.dovecot
        return (
            f"- name: {name}\n  imap:\n    host: {d.host}\n    port: {d.tls_port}\n    security: tls\n"
            f"    username: {self.user}\n    password: {d.password}\n    ca_file: {d.ca_file}\n    timeout: 10\n"
        )

    def mailbox(self, **options) -> ImapMailbox:
        """The assistant's adapter on this account (``options`` such as ``filed``); closed
        when the test ends."""
        d = self.dovecot
        mailbox = ImapMailbox(
            host=d.host,
            port=d.tls_port,
            username=self.user,
            password=d.password,
            ca_file=str(d.ca_file),
            timeout=10,
            **options,
        )
        self.opened.append(mailbox)
        return mailbox

    def close(self) -> None:
        for mailbox in self.opened:
            mailbox.close()

    @contextlib.contextmanager
    def client(self):
        context = ssl.create_default_context(cafile=str(self.dovecot.ca_file))
        client = imapclient.IMAPClient(
            self.dovecot.host, port=self.dovecot.tls_port, ssl_context=context, timeout=10
        )
        client.login(self.user, self.dovecot.password)
        try:
            yield client
        finally:
            with contextlib.suppress(Exception):
                client.logout()

    def deliver(
        self, folder: str, data: bytes, flags: tuple[str, ...] = ("\\Seen",), when: datetime | None = None
    ) -> None:
        with self.client() as client:
            client.append(folder, data, flags=flags, msg_time=when)

    def messages(self, folder: str) -> list[tuple[frozenset[str], bytes]]:
        with self.client() as client:
            client.select_folder(folder, readonly=True)
            uids = client.search(["ALL"])
            if not uids:
                return []
            rows = client.fetch(uids, ["FLAGS", "BODY.PEEK[]"])
            return [
                (frozenset(f.decode() for f in rows[u][b"FLAGS"]), rows[u][b"BODY[]"]) for u in sorted(rows)
            ]

    def create(self, folder: str) -> None:
        """A folder of the freelancer's, unless it is there (Dovecot's separator is ".":
        ``Archive.2025``)."""
        with self.client() as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)

    def settle(self, *folders: str) -> None:
        """Nothing to do on IMAP: a folder's HIGHESTMODSEQ says exactly when it changed."""

    def _uids_with(self, client, message_id: str) -> list[int]:
        return client.search(["HEADER", "Message-ID", message_id])

    def tag(self, folder: str, message_id: str, keyword: str, present: bool = True) -> None:
        with self.client() as client:
            client.select_folder(folder)
            uids = self._uids_with(client, message_id)
            assert uids, f"{message_id} not in {folder}"
            (client.add_flags if present else client.remove_flags)(uids, [keyword])

    def delete(self, folder: str, message_id: str) -> None:
        with self.client() as client:
            client.select_folder(folder)
            uids = self._uids_with(client, message_id)
            assert uids, f"{message_id} not in {folder}"
            client.delete_messages(uids)
            client.expunge()

    def recreate(self, folder: str) -> None:
        """Delete and re-create a folder with the same messages: UIDVALIDITY changes."""
        saved = self.messages(folder)
        before = self.dovecot.status(self.user, folder)["uidvalidity"]
        self.dovecot.delete_folder(self.user, folder)
        self.dovecot.create_folder(self.user, folder)
        for flags, data in saved:
            self.deliver(folder, data, tuple(f for f in flags if f != "\\Recent"))
        assert self.dovecot.status(self.user, folder)["uidvalidity"] != before


class MaildirWorld:
    kind = "maildir"

    def __init__(self, root: Path):
        self.root = root
        for folder in ("", ".Sent", ".Drafts", ".Trash"):
            for sub in ("cur", "new", "tmp"):
                (root / folder / sub).mkdir(parents=True, exist_ok=True)
        self._counter = 0

    def account_yaml(self, name: str = "main") -> str:
        return f"- name: {name}\n  maildir:\n    path: {self.root}\n"

    def mailbox(self, **options) -> MaildirMailbox:
        return MaildirMailbox(self.root, **options)

    def close(self) -> None:
        pass

    def _dir(self, folder: str) -> Path:
        return self.root if folder.upper() == "INBOX" else self.root / f".{folder}"

    def create(self, folder: str) -> None:
        """A Maildir++ folder (``Archive.2025`` is ``.Archive.2025``), as a mail client makes it."""
        for sub in ("cur", "new", "tmp"):
            (self._dir(folder) / sub).mkdir(parents=True, exist_ok=True)

    def settle(self, *folders: str) -> None:
        """As if the folders had last changed a minute ago: a directory changed within the
        last 2 s is listed again by the next pass (its time may not move for a change in the
        same tick), so a test that wants to see a quiet folder cost nothing lets it age."""
        past = time.time() - 60
        for folder in folders:
            for name in ("cur", "new", "dovecot-keywords"):
                path = self._dir(folder) / name
                if path.exists():
                    os.utime(path, (past, past))

    def _keyword_letter(self, folder: str, keyword: str) -> str:
        path = self._dir(folder) / "dovecot-keywords"
        names = [line.split(" ", 1)[1] for line in path.read_text().splitlines()] if path.exists() else []
        if keyword not in names:
            names.append(keyword)
            path.write_text("".join(f"{i} {n}\n" for i, n in enumerate(names)))
        return chr(ord("a") + names.index(keyword))

    def _letters(self, folder: str, flags) -> str:
        letters = [_LETTERS[f] if f in _LETTERS else self._keyword_letter(folder, f) for f in flags]
        return "".join(sorted(letters))

    def deliver(
        self, folder: str, data: bytes, flags: tuple[str, ...] = ("\\Seen",), when: datetime | None = None
    ) -> None:
        self._counter += 1
        stamp = int((when or datetime.now()).timestamp())
        path = self._dir(folder) / "cur" / f"{stamp}.T{self._counter}.test:2,{self._letters(folder, flags)}"
        path.write_bytes(data.replace(b"\r\n", b"\n"))

    def _files(self, folder: str) -> list[Path]:
        return sorted(p for sub in ("new", "cur") for p in (self._dir(folder) / sub).iterdir())

    def messages(self, folder: str) -> list[tuple[frozenset[str], bytes]]:
        out = []
        keywords = {}
        kw = self._dir(folder) / "dovecot-keywords"
        if kw.exists():
            keywords = {
                chr(ord("a") + i): line.split(" ", 1)[1] for i, line in enumerate(kw.read_text().splitlines())
            }
        reverse = {v: k for k, v in _LETTERS.items()}
        for path in self._files(folder):
            info = path.name.partition(":2,")[2]
            flags = {reverse[c] for c in info if c in reverse} | {keywords[c] for c in info if c in keywords}
            out.append((frozenset(flags), path.read_bytes()))
        return out

    def _file_with(self, folder: str, message_id: str) -> Path:
        for path in self._files(folder):
            message = email.message_from_bytes(path.read_bytes(), policy=policy.compat32)
            if (message["Message-ID"] or "").strip() == message_id:
                return path
        raise AssertionError(f"{message_id} not in {folder}")

    def tag(self, folder: str, message_id: str, keyword: str, present: bool = True) -> None:
        path = self._file_with(folder, message_id)
        key, _, info = path.name.partition(":2,")
        letter = _LETTERS.get(keyword) or self._keyword_letter(folder, keyword)
        info = "".join(sorted(set(info) | {letter})) if present else info.replace(letter, "")
        path.rename(path.with_name(f"{key}:2,{info}"))

    def delete(self, folder: str, message_id: str) -> None:
        self._file_with(folder, message_id).unlink()


def parsed(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=policy.default)
