"""State: one SQLite database per account (WAL, versioned schema, private files).

What lives here: the scan checkpoint of each folder (and of the Paid tag in each folder
the freelancer files mail into), the clients and invoices of the
ledger, the invoice PDFs (so a reminder can re-attach them even if the original email is
moved), the last message exchanged with each client (for check-ins), the outbox of
actions, and a journal of what happened and why.

The outbox is what makes drafts exactly-once: every action has a deterministic key, the
key is UNIQUE, and a row is written *before* the draft is appended (state ``pending``)
and completed after (``drafted``). A pending row found at start-up means the process
died mid-append; the engine resolves it by looking for the key header in Drafts. Every
change of an outbox row is a ``ledger.DraftEvent`` checked against
``ledger.DRAFT_TRANSITIONS``: a move the table forbids raises and changes nothing.

The journal stores structured events: the event (``keys.JournalEvent``), a sentence for
people (``detail``, shown by ``explain``, never parsed back), the evidence, and ``data``
(JSON) for what programs read again, such as the triggers of a termination line.

The schema carries a version. A database written by a newer version is refused with a
message, never silently downgraded.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import secrets
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..domain import ledger
from ..domain.bank import Credit
from ..domain.keys import DraftKind, DraftState, JournalEvent
from ..domain.model import (
    Attachment,
    Contact,
    Deliverable,
    DeliverableStatus,
    Evidence,
    Invoice,
    InvoiceStatus,
    Money,
)
from ..domain.said import Said
from ..errors import StateError
from .mailbox import TagCheckpoint

SCHEMA_VERSION = 10
BACKUPS_KEPT = 7  # copies of the state kept beside it (daily, and before each migration)

_MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE checkpoints (
        folder      TEXT PRIMARY KEY,          -- the folder's role: sent, inbox
        state       TEXT NOT NULL,             -- JSON from the mailbox adapter
        updated_at  TEXT NOT NULL
    );
    CREATE TABLE clients (
        id          TEXT PRIMARY KEY,
        name        TEXT NOT NULL,
        language    TEXT NOT NULL,
        first_seen  TEXT NOT NULL
    );
    CREATE TABLE invoices (
        client            TEXT NOT NULL,
        number            TEXT NOT NULL,
        amount            TEXT,                -- Decimal as text: exact
        currency          TEXT,
        issue_date        TEXT NOT NULL,
        due_date          TEXT NOT NULL,
        message_id        TEXT NOT NULL,
        subject           TEXT NOT NULL,
        refs              TEXT NOT NULL,       -- JSON list of the email's References
        sent_at           TEXT NOT NULL,
        attachment_name   TEXT NOT NULL,
        attachment_sha256 TEXT NOT NULL,
        status            TEXT NOT NULL,
        paid_on           TEXT,
        paid_via          TEXT NOT NULL DEFAULT '',
        folder            TEXT,                -- where the email was last seen
        uid               TEXT,
        PRIMARY KEY (client, number)
    );
    CREATE INDEX invoices_by_message ON invoices (message_id);
    CREATE INDEX invoices_by_location ON invoices (folder, uid);
    CREATE TABLE attachments (
        sha256        TEXT PRIMARY KEY,
        filename      TEXT NOT NULL,
        content_type  TEXT NOT NULL,
        data          BLOB NOT NULL
    );
    CREATE TABLE outbox (
        key         TEXT NOT NULL UNIQUE,      -- invoice/<client>/<number>/<stage>
        kind        TEXT NOT NULL,             -- reminder, ...
        state       TEXT NOT NULL CHECK (state IN ('pending', 'drafted', 'sent')),
        message_id  TEXT NOT NULL,
        subject     TEXT NOT NULL,
        recipient   TEXT NOT NULL,
        folder      TEXT,
        uid         TEXT,
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL,
        note        TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE journal (
        id       INTEGER PRIMARY KEY,
        at       TEXT NOT NULL,
        subject  TEXT NOT NULL,                -- invoice/<client>/<number>, client/<id>, ...
        event    TEXT NOT NULL,
        detail   TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX journal_by_subject ON journal (subject, id);
    """,
    2: """
    ALTER TABLE invoices ADD COLUMN paid_amount TEXT NOT NULL DEFAULT '0';
    ALTER TABLE invoices ADD COLUMN hold_until TEXT;
    ALTER TABLE invoices ADD COLUMN hold_note TEXT NOT NULL DEFAULT '';
    CREATE TABLE deliverables (
        client          TEXT NOT NULL,
        message_id      TEXT NOT NULL PRIMARY KEY,
        subject         TEXT NOT NULL,
        refs            TEXT NOT NULL,
        sent_at         TEXT NOT NULL,
        status          TEXT NOT NULL,
        answered_at     TEXT,
        approved_at     TEXT,
        invoice_number  TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX deliverables_by_client ON deliverables (client, status);
    ALTER TABLE outbox ADD COLUMN item TEXT NOT NULL DEFAULT '';       -- invoice/<client>/<number>, deliverable/...
    ALTER TABLE outbox ADD COLUMN parent_id TEXT NOT NULL DEFAULT '';  -- the tracked email the draft answers
    ALTER TABLE outbox ADD COLUMN sent_at TEXT;
    ALTER TABLE journal RENAME COLUMN subject TO item;
    ALTER TABLE journal ADD COLUMN message_id TEXT NOT NULL DEFAULT '';
    ALTER TABLE journal ADD COLUMN sender TEXT NOT NULL DEFAULT '';
    ALTER TABLE journal ADD COLUMN mail_subject TEXT NOT NULL DEFAULT '';
    ALTER TABLE journal ADD COLUMN mail_date TEXT;
    ALTER TABLE journal ADD COLUMN quote TEXT NOT NULL DEFAULT '';
    """,
    3: """
    CREATE TABLE contacts (
        client      TEXT PRIMARY KEY,
        at          TEXT NOT NULL,             -- UTC, so that text order is time order
        direction   TEXT NOT NULL CHECK (direction IN ('to', 'from')),
        message_id  TEXT NOT NULL DEFAULT '',
        subject     TEXT NOT NULL DEFAULT ''
    );
    """,
    4: """
    ALTER TABLE journal ADD COLUMN data TEXT NOT NULL DEFAULT '{}';  -- JSON: what programs read back
    """,
    5: """
    ALTER TABLE invoices ADD COLUMN read_from TEXT NOT NULL DEFAULT '[]';  -- JSON [[fact, source], ...]
    """,
    6: """
    CREATE TABLE our_words (
        message_id  TEXT PRIMARY KEY,          -- a message the freelancer or the assistant sent
        words       TEXT NOT NULL              -- its own words (quotes left out), for provenance
    );
    """,
    7: """
    CREATE TABLE bank_transactions (
        id          TEXT PRIMARY KEY,          -- the bank's id (account/reference), or a digest of the line
        booked      TEXT NOT NULL,
        amount      TEXT NOT NULL,             -- Decimal as text: exact
        currency    TEXT NOT NULL,
        name        TEXT NOT NULL DEFAULT '',
        iban        TEXT NOT NULL DEFAULT '',
        remittance  TEXT NOT NULL DEFAULT '',
        source      TEXT NOT NULL DEFAULT '',  -- file name and format
        imported_at TEXT NOT NULL,
        state       TEXT NOT NULL CHECK (state IN ('matched', 'unmatched', 'dismissed')),
        invoices    TEXT NOT NULL DEFAULT '[]' -- JSON list of client/number it paid
    );
    CREATE INDEX bank_transactions_by_state ON bank_transactions (state, booked);
    CREATE TABLE payers (
        key         TEXT PRIMARY KEY,          -- iban:ES76..., name:ACME SOLUCIONES
        client      TEXT NOT NULL,
        learned_at  TEXT NOT NULL
    );
    CREATE TABLE first_run (
        decided_at  TEXT NOT NULL,
        hold_days   INTEGER NOT NULL
    );
    CREATE TABLE held_invoices (
        client      TEXT NOT NULL,
        number      TEXT NOT NULL,
        held_at     TEXT NOT NULL,
        state       TEXT NOT NULL CHECK (state IN ('held', 'owed', 'paid')),
        PRIMARY KEY (client, number)
    );
    CREATE TABLE statement_files (             -- the watched folder's files already applied
        path        TEXT PRIMARY KEY,
        size        INTEGER NOT NULL,
        mtime_ns    INTEGER NOT NULL,
        imported_at TEXT NOT NULL
    );
    CREATE TABLE bank_sync (
        provider        TEXT PRIMARY KEY,      -- gocardless
        synced_at       TEXT NOT NULL,
        consent_expires TEXT,                  -- the day the bank's consent ends
        status          TEXT NOT NULL DEFAULT ''
    );
    ALTER TABLE journal ADD COLUMN source TEXT NOT NULL DEFAULT '';
    -- An account scanned before this version had its first run already: nothing is held.
    INSERT INTO first_run (decided_at, hold_days) SELECT MIN(updated_at), -1 FROM checkpoints HAVING COUNT(*) > 0;
    """,
    # Drafts that became wrong: 'withdrawn' (removed from Drafts, untouched) and 'obsolete' (the
    # freelancer's now, only flagged), and the sha256 of what was appended, to know untouched.
    # SQLite cannot change a CHECK constraint: the table is copied into a new one.
    8: """
    CREATE TABLE outbox_v8 (
        key         TEXT NOT NULL UNIQUE,
        kind        TEXT NOT NULL,
        state       TEXT NOT NULL CHECK (state IN ('pending', 'drafted', 'sent', 'withdrawn', 'obsolete')),
        message_id  TEXT NOT NULL,
        subject     TEXT NOT NULL,
        recipient   TEXT NOT NULL,
        folder      TEXT,
        uid         TEXT,
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL,
        note        TEXT NOT NULL DEFAULT '',
        item        TEXT NOT NULL DEFAULT '',
        parent_id   TEXT NOT NULL DEFAULT '',
        sent_at     TEXT,
        sha256      TEXT NOT NULL DEFAULT ''   -- mailbox.draft_sha256 of the appended draft
    );
    INSERT INTO outbox_v8 (key, kind, state, message_id, subject, recipient, folder, uid, created_at,
        updated_at, note, item, parent_id, sent_at)
        SELECT key, kind, state, message_id, subject, recipient, folder, uid, created_at,
        updated_at, note, item, parent_id, sent_at FROM outbox;
    DROP TABLE outbox;
    ALTER TABLE outbox_v8 RENAME TO outbox;
    """,
    9: """
    CREATE TABLE installation (id TEXT NOT NULL);  -- one row: this state's random installation id
    CREATE TABLE other_installations (  -- installations whose messages were seen in this mailbox
        id TEXT PRIMARY KEY,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        where_seen TEXT NOT NULL
    )
    """,
    # The paid tag read in the folders the freelancer files mail into (issue 16): per folder,
    # where the reading stopped and every message there carrying the tag, by location.
    10: """
    CREATE TABLE tag_checkpoints (
        folder      TEXT PRIMARY KEY,          -- its name in the mailbox (Archive/2025, INBOX)
        state       TEXT NOT NULL,             -- JSON from the adapter: UIDVALIDITY, HIGHESTMODSEQ...
        tagged      TEXT NOT NULL DEFAULT '{}', -- JSON: location (UID, Maildir key) -> Message-ID
        updated_at  TEXT NOT NULL
    );
    -- one row once the filed folders were first read: a tag found then was set on a day nobody
    -- knows, one found later was set since the pass before (even in a folder made since)
    CREATE TABLE tags_read (since TEXT NOT NULL)
    """,
}

# Before schema 4 a termination line carried its triggers in its sentence, after this opening.
_LEGACY_HELD_PREFIX = "money is still owed; hold_until_paid waits until it is paid (seed 003). "
_TERMINATION_LINES = (JournalEvent.TERMINATION_HELD, JournalEvent.TERMINATION_SUGGESTED)


def state_error(exc: BaseException, path: Path | None, what: str = "failed") -> StateError:
    """A SQLite or file error on the state, in plain words with what to do about it."""
    name = getattr(exc, "sqlite_errorname", "")
    text = str(exc)
    if name == "SQLITE_FULL" or "disk is full" in text or getattr(exc, "errno", None) == errno.ENOSPC:
        return StateError(
            f"the disk holding the state ({path}) is full: free some space there, or set state_dir "
            "in config.yaml to a disk with room; nothing was lost, the next pass does this work again"
        )
    if name in ("SQLITE_CORRUPT", "SQLITE_NOTADB") or "malformed" in text or "not a database" in text:
        return StateError(
            f"the state database {path} is damaged and unusable ({text}): stop the service, move it aside "
            f"(keep it: `sqlite3 {path} .recover` may save its contents), then run "
            "`freelance-assistant scan` to start a new state from the mailbox"
        )
    if name.startswith("SQLITE_READONLY") or "readonly" in text or "read-only" in text:
        return StateError(
            f"the state database {path} cannot be written ({text}): check that the user running "
            "freelance-assistant owns it and its directory"
        )
    if name.startswith("SQLITE_IOERR") or "disk I/O error" in text:
        return StateError(
            f"the disk reported an error while writing the state ({path}): check the disk "
            "(dmesg, smartctl); nothing was committed by the failed pass"
        )
    if name in ("SQLITE_BUSY", "SQLITE_LOCKED") or "locked" in text:
        return StateError(
            f"the state database {path} stayed locked by another process for 30 s; "
            "is a second freelance-assistant running on it?"
        )
    return StateError(f"the state database {path} {what}: {text}")


_OURS = (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError)


class _Connection(sqlite3.Connection):
    """A connection whose errors are ours (``state_error``) with their cause kept."""

    path: Path | None = None

    def execute(self, *args: Any) -> sqlite3.Cursor:  # type: ignore[override]
        try:
            return super().execute(*args)
        except _OURS:
            raise  # a constraint the code relies on, or a bug: not the disk's doing
        except sqlite3.Error as exc:
            raise state_error(exc, self.path) from exc

    def executemany(self, *args: Any) -> sqlite3.Cursor:  # type: ignore[override]
        try:
            return super().executemany(*args)
        except _OURS:
            raise  # a constraint the code relies on, or a bug: not the disk's doing
        except sqlite3.Error as exc:
            raise state_error(exc, self.path) from exc


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    key: str
    kind: DraftKind
    state: DraftState
    message_id: str
    subject: str
    recipient: str
    folder: str | None
    uid: str | None
    created_at: datetime
    note: str
    item: str  # invoice/<client>/<number> or deliverable/<client>/<id>
    parent_id: str  # the freelancer's email the draft answers
    sent_at: datetime | None
    sha256: str = ""  # mailbox.draft_sha256 of the draft as appended ("" before schema 8)
    updated_at: datetime | None = None  # the last move (withdrawn or found obsolete: when)


@dataclass(frozen=True, slots=True)
class JournalEntry:
    at: datetime
    event: str  # a keys.JournalEvent value
    detail: str  # for people; never parsed back
    evidence: Evidence | None
    data: Mapping[str, Any] = field(default_factory=dict)  # for programs: {"why": [...]}, ...

    @property
    def why(self) -> tuple[str, ...]:
        """The triggers a termination line names."""
        return tuple(self.data.get("why", ()))

    @property
    def reasons(self) -> tuple[Said | str, ...]:
        """The same triggers as words a view says in her language, where the journal kept them."""
        said = [Said.from_data(s) for s in self.data.get("why_said", ())]
        if len(said) == len(self.why) and all(s is not None for s in said):
            return tuple(s for s in said if s is not None)
        return self.why


class Store:
    """The state of one account. Use as a context manager, or call ``close``."""

    def __init__(self, connection: sqlite3.Connection, path: Path | None):
        self._db = connection
        self.path = path
        self._depth = 0
        # What the engine derives from the tables it may keep between passes (the thread
        # index of every tracked email): ``memo`` holds it, stamped with ``generation``,
        # which every write to invoices, deliverables or the outbox (and every rollback) moves.
        self.generation = 0
        self.memo: dict[str, tuple[int, Any]] = {}

    # ----------------------------------------------------------------- lifecycle

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> Store:
        path = Path(path)
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not path.exists():
                # Create the file private before SQLite writes a byte into it.
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
            connection = sqlite3.connect(path, isolation_level=None, timeout=30.0, factory=_Connection)
        except (OSError, sqlite3.Error) as exc:
            raise state_error(exc, path, "cannot open") from exc
        connection.path = path
        store = cls(connection, path)
        store._prepare()
        return store

    @classmethod
    def memory(cls) -> Store:
        """An in-memory store (dry runs over a copy, tests)."""
        store = cls(sqlite3.connect(":memory:", isolation_level=None), None)
        store._prepare()
        return store

    def _prepare(self) -> None:
        try:
            self._db.execute("PRAGMA foreign_keys = ON")
            if self.path is not None:
                mode = self._db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if mode.lower() != "wal":
                    raise StateError(f"{self.path}: could not switch to WAL journaling (got {mode})")
                self._db.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL is durable per transaction
            self._migrate()
        except StateError:
            raise
        except sqlite3.DatabaseError as exc:
            raise state_error(exc, self.path, "is unusable") from exc

    def _migrate(self) -> None:
        self._db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = self._db.execute("SELECT version FROM schema_version").fetchone()
        version = row[0] if row else 0
        if version > SCHEMA_VERSION:
            raise StateError(
                f"{self.path} was written by a newer freelance-assistant (schema {version}, "
                f"this one knows {SCHEMA_VERSION}); upgrade the program instead of losing state"
            )
        if 0 < version < SCHEMA_VERSION and self.path is not None:
            self.backup(f"schema-{version}")  # before a migration: the way back, if it goes wrong
        for target in range(version + 1, SCHEMA_VERSION + 1):
            with self.transaction():
                for statement in _MIGRATIONS[target].split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute("DELETE FROM schema_version")
                self._db.execute("INSERT INTO schema_version (version) VALUES (?)", (target,))
        for suffix in ("-wal", "-shm"):
            if self.path is not None:
                with contextlib.suppress(OSError):
                    os.chmod(str(self.path) + suffix, 0o600)

    def close(self) -> None:
        self._db.close()

    # ----------------------------------------------------------------- the record beside the state
    #
    # What the mailbox cannot tell a rebuilt state: a draft the freelancer deleted (it is no
    # longer in Drafts, and was never sent) and what she said by command (`mark-paid`,
    # `pause`...). One JSON line each, appended and fsynced, in ``<account>.record.jsonl``
    # beside the database: a file outside SQLite survives a database truncated or deleted
    # (or replaced by an old copy), and a line is never rewritten, so a crash costs at most
    # the line being written. Keywords or notes in the mailbox were the alternative; they
    # would alter the freelancer's mail and be lost with a deleted draft, the very case.

    @property
    def record_path(self) -> Path | None:
        return self.path.with_suffix(".record.jsonl") if self.path is not None else None

    def remember(self, line: Mapping[str, Any]) -> None:
        """Append one line to the record (nothing for an in-memory store)."""
        path = self.record_path
        if path is None:
            return
        data = (json.dumps(dict(line), ensure_ascii=False, sort_keys=True) + "\n").encode()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise state_error(exc, path, "could not be written") from exc

    def remembered(self) -> list[dict[str, Any]]:
        """Every readable line of the record (a torn last line is skipped)."""
        path = self.record_path
        if path is None:
            return []
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise state_error(exc, path, "could not be read") from exc
        lines = []
        for raw in text.splitlines():
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            if isinstance(line, dict):
                lines.append(line)
        return lines

    def remember_lines(self, event: str) -> list[dict[str, Any]]:
        return [line for line in self.remembered() if line.get("event") == event]

    # ----------------------------------------------------------------- backups

    def backup(self, label: str, *, keep: int = BACKUPS_KEPT) -> Path | None:
        """A consistent copy of the state (SQLite's online backup) as ``<name>.backup-<label>``;
        only the ``keep`` newest copies are kept. None for an in-memory store."""
        if self.path is None:
            return None
        target = self.path.with_name(f"{self.path.name}.backup-{label}")
        partial = target.with_name(target.name + ".part")
        try:
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.close(fd)
            copy = sqlite3.connect(partial)
            try:
                self._db.backup(copy)
            finally:
                copy.close()
            os.replace(partial, target)
            made = sorted(
                (p for p in self.path.parent.glob(f"{self.path.name}.backup-*") if p.suffix != ".part"),
                key=lambda p: p.stat().st_mtime,
            )
            for old in made[:-keep] if keep > 0 else []:
                old.unlink(missing_ok=True)
        except (OSError, sqlite3.Error) as exc:
            with contextlib.suppress(OSError):
                partial.unlink()
            raise state_error(exc, target, "could not be written") from exc
        return target

    def daily_backup(self, today: date) -> Path | None:
        """Once a day, before the day's first pass writes anything."""
        if self.path is None or self.path.with_name(f"{self.path.name}.backup-{today.isoformat()}").exists():
            return None
        return self.backup(today.isoformat())

    # ----------------------------------------------------------------- installations

    def installation(self) -> str:
        """This state's installation id: random, made once, carried in every Message-ID we write."""
        row = self._db.execute("SELECT id FROM installation").fetchone()
        if row is not None:
            return row[0]
        made = secrets.token_hex(5)
        with self.transaction():
            self._db.execute("INSERT INTO installation (id) VALUES (?)", (made,))
        return made

    def saw_installation(self, installation: str, where: str, at: datetime) -> bool:
        """Record a message of another installation seen in the mailbox; True the first time."""
        stamp = at.isoformat()
        cursor = self._db.execute(
            "UPDATE other_installations SET last_seen = ?, where_seen = ? WHERE id = ?",
            (stamp, where, installation),
        )
        if cursor.rowcount:
            return False
        self._db.execute(
            "INSERT INTO other_installations (id, first_seen, last_seen, where_seen) VALUES (?, ?, ?, ?)",
            (installation, stamp, stamp, where),
        )
        return True

    def other_installations(self) -> list[tuple[str, datetime, str]]:
        """(id, last seen, where) of every other installation seen writing into this mailbox."""
        rows = self._db.execute(
            "SELECT id, last_seen, where_seen FROM other_installations ORDER BY first_seen"
        ).fetchall()
        return [(r[0], datetime.fromisoformat(r[1]), r[2]) for r in rows]

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit; nested uses join the outer transaction."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._db.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            self.generation += 1
            if self._db.in_transaction:  # SQLite rolls back by itself on a full disk
                self._db.execute("ROLLBACK")
            raise
        else:
            self._depth = 0
            self._db.execute("COMMIT")

    def commit(self) -> None:
        """Inside ``transaction``: make what it wrote so far durable and go on in a fresh one.

        A long scan calls it after each header batch, with the checkpoint that covers the
        batch: an interruption keeps those batches, and a rollback undoes only what followed.
        """
        if self._depth != 1:
            raise StateError("commit() is for the outermost transaction only")
        self._db.execute("COMMIT")
        self._db.execute("BEGIN IMMEDIATE")

    # ----------------------------------------------------------------- checkpoints

    def checkpoint(self, folder: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT state FROM checkpoints WHERE folder = ?", (folder,)).fetchone()
        return json.loads(row[0]) if row else None

    def set_checkpoint(self, folder: str, state: dict[str, Any], at: datetime) -> None:
        self._db.execute(
            "INSERT INTO checkpoints (folder, state, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (folder) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
            (folder, json.dumps(state, separators=(",", ":")), at.isoformat()),
        )

    def tag_checkpoints(self) -> dict[str, TagCheckpoint]:
        """Every filed folder's checkpoint of the paid tag, by folder name."""
        rows = self._db.execute("SELECT folder, state, tagged FROM tag_checkpoints")
        return {
            folder: TagCheckpoint(state=json.loads(state), tagged=json.loads(tagged))
            for folder, state, tagged in rows
        }

    def tags_read_since(self) -> datetime | None:
        """When the filed folders were first read for the paid tag; None before they were."""
        row = self._db.execute("SELECT since FROM tags_read").fetchone()
        return datetime.fromisoformat(row[0]) if row else None

    def note_tags_read(self, at: datetime) -> None:
        if self.tags_read_since() is None:
            self._db.execute("INSERT INTO tags_read (since) VALUES (?)", (at.isoformat(),))

    def set_tag_checkpoint(self, folder: str, checkpoint: TagCheckpoint, at: datetime) -> None:
        self._db.execute(
            "INSERT INTO tag_checkpoints (folder, state, tagged, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (folder) DO UPDATE SET state = excluded.state, tagged = excluded.tagged, "
            "updated_at = excluded.updated_at",
            (
                folder,
                json.dumps(dict(checkpoint.state), separators=(",", ":")),
                json.dumps(dict(checkpoint.tagged), separators=(",", ":")),
                at.isoformat(),
            ),
        )

    def forget_tag_checkpoints(self, keep: Iterable[str]) -> None:
        """Folders no longer read for the tag (deleted, or left out of ``folders.filed``): their
        tagged copies no longer hold an invoice paid."""
        kept = list(keep)
        self._db.execute(
            f"DELETE FROM tag_checkpoints WHERE folder NOT IN ({', '.join('?' * len(kept))})", kept
        )

    def last_pass(self) -> datetime | None:
        row = self._db.execute("SELECT MAX(updated_at) FROM checkpoints").fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    # The last working day whose drafts were planned. Kept beside the checkpoints (a row
    # named like no folder role), so that it needs no schema change: the service plans a
    # day on its first successful pass after workday_start, once, whenever that comes.
    _PLANNED = "planned-day"

    def planned_day(self) -> date | None:
        row = self._db.execute("SELECT state FROM checkpoints WHERE folder = ?", (self._PLANNED,)).fetchone()
        return date.fromisoformat(json.loads(row[0])["day"]) if row else None

    def set_planned_day(self, day: date, at: datetime) -> None:
        with self.transaction():
            self.set_checkpoint(self._PLANNED, {"day": day.isoformat()}, at)

    # ----------------------------------------------------------------- clients

    def sync_clients(self, clients: dict[str, tuple[str, str]], at: datetime) -> None:
        """Remember every client ever configured (id -> (name, language))."""
        for client_id, (name, language) in clients.items():
            self._db.execute(
                "INSERT INTO clients (id, name, language, first_seen) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET name = excluded.name, language = excluded.language",
                (client_id, name, language, at.isoformat()),
            )

    # ----------------------------------------------------------------- invoices

    _INVOICE_COLUMNS = (
        "client, number, amount, currency, issue_date, due_date, message_id, subject, refs, "
        "sent_at, attachment_name, attachment_sha256, status, paid_on, paid_via, paid_amount, "
        "hold_until, hold_note, read_from"
    )

    @staticmethod
    def _invoice(row: tuple) -> Invoice:
        (
            client,
            number,
            amount,
            currency,
            issue,
            due,
            mid,
            subject,
            refs,
            sent_at,
            att_name,
            att_sha,
            status,
            paid_on,
            paid_via,
            paid_amount,
            hold_until,
            hold_note,
            read_from,
        ) = row
        return Invoice(
            client=client,
            number=number,
            amount=Money(amount=Decimal(amount), currency=currency) if amount is not None else None,
            issue_date=date.fromisoformat(issue),
            due_date=date.fromisoformat(due),
            message_id=mid,
            subject=subject,
            references=tuple(json.loads(refs)),
            sent_at=datetime.fromisoformat(sent_at),
            attachment_name=att_name,
            attachment_sha256=att_sha,
            status=InvoiceStatus(status),
            paid_on=date.fromisoformat(paid_on) if paid_on else None,
            paid_via=paid_via,
            paid_amount=Decimal(paid_amount),
            hold_until=date.fromisoformat(hold_until) if hold_until else None,
            hold_note=hold_note,
            read_from=tuple((fact, source) for fact, source in json.loads(read_from)),
        )

    def invoice(self, client: str, number: str) -> Invoice | None:
        row = self._db.execute(
            f"SELECT {self._INVOICE_COLUMNS} FROM invoices WHERE client = ? AND number = ?", (client, number)
        ).fetchone()
        return self._invoice(row) if row else None

    def invoices_with_number(self, number: str) -> list[Invoice]:
        rows = self._db.execute(f"SELECT {self._INVOICE_COLUMNS} FROM invoices WHERE number = ?", (number,))
        return [self._invoice(r) for r in rows]

    def invoice_by_message_id(self, message_id: str) -> Invoice | None:
        row = self._db.execute(
            f"SELECT {self._INVOICE_COLUMNS} FROM invoices WHERE message_id = ? LIMIT 1", (message_id,)
        ).fetchone()
        return self._invoice(row) if row else None

    def invoice_at(self, folder: str, uid: Any) -> Invoice | None:
        row = self._db.execute(
            f"SELECT {self._INVOICE_COLUMNS} FROM invoices WHERE folder = ? AND uid = ? LIMIT 1",
            (folder, str(uid)),
        ).fetchone()
        return self._invoice(row) if row else None

    def invoices(self, *statuses: InvoiceStatus, client: str | None = None) -> list[Invoice]:
        """Invoices, optionally only those in ``statuses`` and of ``client``, by due date."""
        query = f"SELECT {self._INVOICE_COLUMNS} FROM invoices WHERE 1 = 1"
        args: list = []
        if statuses:
            query += f" AND status IN ({', '.join('?' * len(statuses))})"
            args.extend(s.value for s in statuses)
        if client is not None:
            query += " AND client = ?"
            args.append(client)
        return [
            self._invoice(r) for r in self._db.execute(query + " ORDER BY due_date, client, number", args)
        ]

    def save_invoice(self, invoice: Invoice) -> None:
        self.generation += 1
        amount = invoice.amount
        self._db.execute(
            f"INSERT INTO invoices ({self._INVOICE_COLUMNS}) VALUES ({', '.join('?' * 19)}) "
            "ON CONFLICT (client, number) DO UPDATE SET status = excluded.status, "
            "paid_on = excluded.paid_on, paid_via = excluded.paid_via, paid_amount = excluded.paid_amount, "
            "hold_until = excluded.hold_until, hold_note = excluded.hold_note, "
            # what was read, as an override in invoices.yaml may correct it
            "amount = excluded.amount, currency = excluded.currency, issue_date = excluded.issue_date, "
            "due_date = excluded.due_date, read_from = excluded.read_from",
            (
                invoice.client,
                invoice.number,
                str(amount.amount) if amount else None,
                amount.currency if amount else None,
                invoice.issue_date.isoformat(),
                invoice.due_date.isoformat(),
                invoice.message_id,
                invoice.subject,
                json.dumps(list(invoice.references)),
                invoice.sent_at.isoformat(),
                invoice.attachment_name,
                invoice.attachment_sha256,
                invoice.status.value,
                invoice.paid_on.isoformat() if invoice.paid_on else None,
                invoice.paid_via,
                str(invoice.paid_amount),
                invoice.hold_until.isoformat() if invoice.hold_until else None,
                invoice.hold_note,
                json.dumps([list(pair) for pair in invoice.read_from]),
            ),
        )

    def locate_invoice(self, invoice: Invoice, folder: str, uid: Any) -> None:
        self._db.execute(
            "UPDATE invoices SET folder = ?, uid = ? WHERE client = ? AND number = ?",
            (folder, str(uid), invoice.client, invoice.number),
        )

    def invoice_uid(self, invoice: Invoice, folder: str) -> str | None:
        """Where the invoice email was last seen in ``folder`` (a folder role), if there."""
        row = self._db.execute(
            "SELECT uid FROM invoices WHERE client = ? AND number = ? AND folder = ?",
            (invoice.client, invoice.number, folder),
        ).fetchone()
        return row[0] if row else None

    def watched_uids(self, folder: str) -> list[str]:
        """Locations whose flags matter: the invoice emails in ``folder``."""
        return [
            r[0]
            for r in self._db.execute(
                "SELECT uid FROM invoices WHERE folder = ? AND uid IS NOT NULL", (folder,)
            )
        ]

    def forget_locations(self, folder: str) -> None:
        """UIDVALIDITY changed: every stored UID of ``folder`` now means nothing."""
        self._db.execute("UPDATE invoices SET uid = NULL WHERE folder = ?", (folder,))

    # ----------------------------------------------------------------- deliverables

    _DELIVERABLE_COLUMNS = (
        "client, message_id, subject, refs, sent_at, status, answered_at, approved_at, invoice_number"
    )

    @staticmethod
    def _deliverable(row: tuple) -> Deliverable:
        client, mid, subject, refs, sent_at, status, answered, approved, number = row
        return Deliverable(
            client=client,
            message_id=mid,
            subject=subject,
            references=tuple(json.loads(refs)),
            sent_at=datetime.fromisoformat(sent_at),
            status=DeliverableStatus(status),
            answered_at=datetime.fromisoformat(answered) if answered else None,
            approved_at=datetime.fromisoformat(approved) if approved else None,
            invoice_number=number,
        )

    def deliverable(self, message_id: str) -> Deliverable | None:
        row = self._db.execute(
            f"SELECT {self._DELIVERABLE_COLUMNS} FROM deliverables WHERE message_id = ?", (message_id,)
        ).fetchone()
        return self._deliverable(row) if row else None

    def deliverables(self, *statuses: DeliverableStatus, client: str | None = None) -> list[Deliverable]:
        query = f"SELECT {self._DELIVERABLE_COLUMNS} FROM deliverables WHERE 1 = 1"
        args: list = []
        if statuses:
            query += f" AND status IN ({', '.join('?' * len(statuses))})"
            args.extend(s.value for s in statuses)
        if client is not None:
            query += " AND client = ?"
            args.append(client)
        return [self._deliverable(r) for r in self._db.execute(query + " ORDER BY sent_at, client", args)]

    def save_deliverable(self, deliverable: Deliverable) -> None:
        self.generation += 1
        self._db.execute(
            f"INSERT INTO deliverables ({self._DELIVERABLE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (message_id) DO UPDATE SET status = excluded.status, answered_at = excluded.answered_at, "
            "approved_at = excluded.approved_at, invoice_number = excluded.invoice_number",
            (
                deliverable.client,
                deliverable.message_id,
                deliverable.subject,
                json.dumps(list(deliverable.references)),
                deliverable.sent_at.isoformat(),
                deliverable.status.value,
                deliverable.answered_at.isoformat() if deliverable.answered_at else None,
                deliverable.approved_at.isoformat() if deliverable.approved_at else None,
                deliverable.invoice_number,
            ),
        )

    # ----------------------------------------------------------------- contacts

    def save_contact(self, contact: Contact) -> None:
        """Remember ``contact`` as the client's last one, unless a later one is known."""
        self._db.execute(
            "INSERT INTO contacts (client, at, direction, message_id, subject) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (client) DO UPDATE SET at = excluded.at, direction = excluded.direction, "
            "message_id = excluded.message_id, subject = excluded.subject WHERE excluded.at > contacts.at",
            (
                contact.client,
                contact.at.astimezone(UTC).isoformat(timespec="microseconds"),  # fixed width
                contact.direction,
                contact.message_id,
                contact.subject,
            ),
        )

    def contacts(self) -> dict[str, Contact]:
        """The last message exchanged with each client, either way, by client id."""
        rows = self._db.execute("SELECT client, at, direction, message_id, subject FROM contacts")
        return {
            client: Contact(
                client=client,
                at=datetime.fromisoformat(at),
                direction=direction,
                message_id=mid,
                subject=subject,
            )
            for client, at, direction, mid, subject in rows
        }

    # ----------------------------------------------------------------- attachments

    def save_attachment(self, sha256: str, attachment: Attachment) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO attachments (sha256, filename, content_type, data) VALUES (?, ?, ?, ?)",
            (sha256, attachment.filename, attachment.content_type, attachment.data),
        )

    def attachment(self, sha256: str) -> Attachment | None:
        row = self._db.execute(
            "SELECT filename, content_type, data FROM attachments WHERE sha256 = ?", (sha256,)
        ).fetchone()
        return Attachment(filename=row[0], content_type=row[1], data=bytes(row[2])) if row else None

    # ----------------------------------------------------------------- outbox

    @staticmethod
    def _entry(row: tuple) -> OutboxEntry:
        key, kind, state, mid, subject, recipient, folder, uid, created, note, item, parent, sent, sha, up = (
            row
        )
        return OutboxEntry(
            key, DraftKind(kind), DraftState(state), mid, subject, recipient, folder, uid,
            datetime.fromisoformat(created), note,
            item, parent, datetime.fromisoformat(sent) if sent else None, sha, datetime.fromisoformat(up),
        )  # fmt: skip

    _OUTBOX_COLUMNS = (
        "key, kind, state, message_id, subject, recipient, folder, uid, created_at, note, item, parent_id, "
        "sent_at, sha256, updated_at"
    )

    def taken(self) -> dict[str, DraftState]:
        """Every action key ever taken, with its state (pending, drafted, sent)."""
        return {key: DraftState(state) for key, state in self._db.execute("SELECT key, state FROM outbox")}

    def taken_keys(self) -> set[str]:
        return set(self.taken())

    def outbox_by_message_id(self, message_id: str) -> OutboxEntry | None:
        row = self._db.execute(
            f"SELECT {self._OUTBOX_COLUMNS} FROM outbox WHERE message_id = ?", (message_id,)
        ).fetchone()
        return self._entry(row) if row else None

    def outbox_sharing(self, message_id: str) -> list[OutboxEntry]:
        """Every outbox entry of one message: a statement of account and its reminders."""
        if not message_id:
            return []
        rows = self._db.execute(
            f"SELECT {self._OUTBOX_COLUMNS} FROM outbox WHERE message_id = ? ORDER BY created_at, key",
            (message_id,),
        )
        return [self._entry(r) for r in rows]

    def outbox_for(self, item: str) -> list[OutboxEntry]:
        rows = self._db.execute(
            f"SELECT {self._OUTBOX_COLUMNS} FROM outbox WHERE item = ? ORDER BY created_at, key", (item,)
        )
        return [self._entry(r) for r in rows]

    def outbox(self, state: DraftState | None = None) -> list[OutboxEntry]:
        query = f"SELECT {self._OUTBOX_COLUMNS} FROM outbox"
        args: tuple = ()
        if state:
            query += " WHERE state = ?"
            args = (str(state),)
        return [self._entry(r) for r in self._db.execute(query + " ORDER BY created_at, key", args)]

    def outbox_entry(self, key: str) -> OutboxEntry | None:
        row = self._db.execute(f"SELECT {self._OUTBOX_COLUMNS} FROM outbox WHERE key = ?", (key,)).fetchone()
        return self._entry(row) if row else None

    def _state_of(self, key: str) -> DraftState | None:
        row = self._db.execute("SELECT state FROM outbox WHERE key = ?", (key,)).fetchone()
        return DraftState(row[0]) if row else None

    def add_pending(
        self,
        *,
        key: str,
        kind: DraftKind,
        message_id: str,
        subject: str,
        recipient: str,
        folder: str,
        at: datetime,
        item: str = "",
        parent_id: str = "",
        note: str = "",
    ) -> None:
        """Claim ``key`` (``DraftEvent.CLAIMED``). Raises StateError if it was already claimed:
        never two drafts."""
        self.generation += 1
        state = ledger.draft_after(key, None, ledger.DraftEvent.CLAIMED)
        try:
            self._db.execute(
                "INSERT INTO outbox (key, kind, state, message_id, subject, recipient, folder, created_at, "
                "updated_at, note, item, parent_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key, str(kind), str(state), message_id, subject, recipient, folder, at.isoformat(),
                    at.isoformat(), note, item, parent_id,
                ),
            )  # fmt: skip
        except sqlite3.IntegrityError:
            raise StateError(f"action {key} was already taken") from None

    def mark_sending(self, key: str) -> None:
        """A claimed send reaches the server (MAIL FROM next): from now on it may have gone out,
        so an interruption is settled by looking in Sent, never by sending again."""
        self._db.execute(
            "UPDATE outbox SET note = 'send' WHERE key = ? AND state = ?", (key, str(DraftState.PENDING))
        )

    def record_sent(
        self,
        *,
        key: str,
        kind: DraftKind,
        item: str,
        message_id: str,
        subject: str,
        recipient: str,
        at: datetime,
        event: ledger.DraftEvent = ledger.DraftEvent.SEEN_SENT,
    ) -> bool:
        """A key the outbox never knew is done: its message is in Sent (lost state), or a
        notify stage was recorded (``DraftEvent.NOTIFIED``). True when that is news."""
        if self._state_of(key) is not None:
            return False
        state = ledger.draft_after(key, None, event)
        self.generation += 1
        self._db.execute(
            "INSERT INTO outbox (key, kind, state, message_id, subject, recipient, created_at, "
            "updated_at, item, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                key, str(kind), str(state), message_id, subject, recipient, at.isoformat(), at.isoformat(),
                item, at.isoformat(),
            ),
        )  # fmt: skip
        return True

    def mark_sent(self, key: str, at: datetime) -> bool:
        """The message of ``key`` was seen in Sent. True when that is news."""
        state = self._state_of(key)
        if state is None or state is DraftState.SENT:
            return False
        self.move(key, ledger.DraftEvent.SEEN_SENT, at=at)
        return True

    def move(
        self,
        key: str,
        event: ledger.DraftEvent,
        *,
        at: datetime,
        uid: Any = None,
        sha256: str = "",
        note: str | None = None,
    ) -> None:
        """Move the outbox entry of ``key`` by ``event`` (``ledger.DRAFT_TRANSITIONS``).

        ``uid`` is where the message now is, when the event put it somewhere, ``sha256``
        the fingerprint of what was put there, ``note`` what the move leaves to say (a draft
        no longer needed: ``attention.no_longer_needed_note``). A move the table forbids raises
        ``ledger.IllegalTransition`` and changes nothing.
        """
        target = ledger.draft_after(key, self._state_of(key), event)
        self.generation += 1
        if target is None:
            self._db.execute("DELETE FROM outbox WHERE key = ?", (key,))
            # The key is free again (never appended, or withdrawn and due afresh): a lost
            # state must not restore it from the record as a draft that still exists.
            self.remember({"event": "released", "key": key, "at": at.isoformat()})
            return
        self._db.execute(
            "UPDATE outbox SET state = ?, uid = COALESCE(?, uid), updated_at = ?, "
            "sent_at = CASE WHEN ? = 'sent' THEN COALESCE(sent_at, ?) ELSE sent_at END, "
            "sha256 = CASE WHEN ? != '' THEN ? ELSE sha256 END, note = COALESCE(?, note) WHERE key = ?",
            (
                str(target), None if uid is None else str(uid), at.isoformat(), str(target), at.isoformat(),
                sha256, sha256, note, key,
            ),
        )  # fmt: skip

    # ----------------------------------------------------------------- journal

    def note(
        self,
        item: str,
        event: JournalEvent | str,
        detail: str,
        at: datetime,
        evidence: Evidence | None = None,
        *,
        data: Mapping[str, Any] | None = None,
    ) -> None:
        """Remember what happened to ``item`` and why, for ``explain`` and the review."""
        e = evidence
        self._db.execute(
            "INSERT INTO journal (at, item, event, detail, message_id, sender, mail_subject, mail_date, quote, "
            "data, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                at.isoformat(), item, str(event), detail,
                e.message_id if e else "", e.sender if e else "", e.subject if e else "",
                e.date.isoformat() if e and e.date else None, e.quote if e else "",
                json.dumps(dict(data or {}), sort_keys=True), e.source if e else "",
            ),
        )  # fmt: skip

    def unreadable(self) -> int:
        """How many messages the server refused to FETCH and the scans left out (journaled once each)."""
        row = self._db.execute(
            "SELECT COUNT(*) FROM journal WHERE event = ?", (str(JournalEvent.UNREADABLE),)
        ).fetchone()
        return int(row[0])

    def history(self, item: str) -> list[JournalEntry]:
        rows = self._db.execute(
            "SELECT at, event, detail, message_id, sender, mail_subject, mail_date, quote, data, source "
            "FROM journal "
            "WHERE item = ? ORDER BY id",
            (item,),
        )
        return [self._journal(r) for r in rows]

    def journal(self, *, prefix: str = "", since: datetime | None = None) -> list[tuple[str, JournalEntry]]:
        """(item, entry) for every journal line whose item starts with ``prefix``."""
        query = (
            "SELECT item, at, event, detail, message_id, sender, mail_subject, mail_date, quote, data, source "
            "FROM journal WHERE item LIKE ? ESCAPE '\\'"
        )
        args: list = [prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"]
        if since is not None:
            query += " AND at >= ?"
            args.append(since.isoformat())
        return [(r[0], self._journal(r[1:])) for r in self._db.execute(query + " ORDER BY id", args)]

    @staticmethod
    def _journal(row: tuple) -> JournalEntry:
        at, event, detail, mid, sender, subject, mail_date, quote, data, source = row
        evidence = None
        if mid or sender or quote:
            evidence = Evidence(
                source="bank" if source == "bank" else "mail",
                message_id=mid,
                sender=sender,
                subject=subject,
                date=datetime.fromisoformat(mail_date) if mail_date else None,
                quote=quote,
            )
        facts = json.loads(data)
        if not facts and event in _TERMINATION_LINES and detail:
            # A line written before schema 4: its triggers are the rest of its sentence.
            facts = {"why": [w for w in detail.removeprefix(_LEGACY_HELD_PREFIX).split(" / ") if w]}
        return JournalEntry(datetime.fromisoformat(at), event, detail, evidence, facts)

    # ----------------------------------------------------------------- our words

    def remember_our_words(self, message_id: str, words: str) -> None:
        """What the freelancer or the assistant wrote in ``message_id`` (sent to a client):
        when a client quotes it back, in whatever layout, it is not the client's."""
        if message_id and words.strip():
            self._db.execute(
                "INSERT OR REPLACE INTO our_words (message_id, words) VALUES (?, ?)", (message_id, words)
            )

    def our_words(self, message_ids: Iterable[str]) -> list[str]:
        """Our words in those of ``message_ids`` we sent (a reply's References)."""
        wanted = [m for m in dict.fromkeys(message_ids) if m][-50:]
        if not wanted:
            return []
        rows = self._db.execute(
            f"SELECT words FROM our_words WHERE message_id IN ({', '.join('?' * len(wanted))})", wanted
        )
        return [r[0] for r in rows]

    # ----------------------------------------------------------------- bank statements (issue 15)

    def bank_transaction_ids(self) -> set[str]:
        return {r[0] for r in self._db.execute("SELECT id FROM bank_transactions")}

    def save_bank_transaction(self, credit: Credit, state: str, invoices: list[str], at: datetime) -> None:
        """Store one imported credit; its id is the key, so importing it again is a no-op."""
        self._db.execute(
            "INSERT INTO bank_transactions (id, booked, amount, currency, name, iban, remittance, source, "
            "imported_at, state, invoices) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
            (
                credit.transaction_id, credit.booked.isoformat(), str(credit.amount), credit.currency,
                credit.name, credit.iban, credit.remittance, credit.source, at.isoformat(), state,
                json.dumps(invoices),
            ),
        )  # fmt: skip

    def settle_bank_transaction(self, transaction_id: str, state: str, invoices: list[str]) -> None:
        self._db.execute(
            "UPDATE bank_transactions SET state = ?, invoices = ? WHERE id = ?",
            (state, json.dumps(invoices), transaction_id),
        )

    def bank_transactions(self, state: str | None = None) -> list[BankTransaction]:
        query = (
            "SELECT id, booked, amount, currency, name, iban, remittance, source, imported_at, state, invoices "
            "FROM bank_transactions"
        )
        rows = self._db.execute(query + (" WHERE state = ?" if state else "") + " ORDER BY booked, id",
                                (state,) if state else ())  # fmt: skip
        return [
            BankTransaction(
                credit=Credit(
                    transaction_id=r[0],
                    booked=date.fromisoformat(r[1]),
                    amount=Decimal(r[2]),
                    currency=r[3],
                    name=r[4],
                    iban=r[5],
                    remittance=r[6],
                    source=r[7],
                ),
                imported_at=datetime.fromisoformat(r[8]),
                state=r[9],
                invoices=tuple(json.loads(r[10])),
            )
            for r in rows
        ]

    def payers(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT key, client FROM payers"))

    def learn_payer(self, key: str, client: str, at: datetime) -> None:
        self._db.execute(
            "INSERT INTO payers (key, client, learned_at) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET client = excluded.client, learned_at = excluded.learned_at",
            (key, client, at.isoformat()),
        )

    def statement_file_applied(self, path: str, size: int, mtime_ns: int) -> bool:
        """True when this file, unchanged (size and modification time), was applied before."""
        row = self._db.execute(
            "SELECT 1 FROM statement_files WHERE path = ? AND size = ? AND mtime_ns = ?",
            (path, size, mtime_ns),
        ).fetchone()
        return row is not None

    def statement_file_done(self, path: str, size: int, mtime_ns: int, at: datetime) -> None:
        self._db.execute(
            "INSERT INTO statement_files (path, size, mtime_ns, imported_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns, "
            "imported_at = excluded.imported_at",
            (path, size, mtime_ns, at.isoformat()),
        )

    def bank_sync(self, provider: str) -> tuple[datetime, date | None, str] | None:
        """(last sync, the day the consent expires, the requisition's status), or None: never synced."""
        row = self._db.execute(
            "SELECT synced_at, consent_expires, status FROM bank_sync WHERE provider = ?", (provider,)
        ).fetchone()
        if row is None:
            return None
        return datetime.fromisoformat(row[0]), date.fromisoformat(row[1]) if row[1] else None, row[2]

    def record_bank_sync(
        self, provider: str, at: datetime, consent_expires: date | None, status: str
    ) -> None:
        self._db.execute(
            "INSERT INTO bank_sync (provider, synced_at, consent_expires, status) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (provider) DO UPDATE SET synced_at = excluded.synced_at, "
            "consent_expires = excluded.consent_expires, status = excluded.status",
            (provider, at.isoformat(), consent_expires.isoformat() if consent_expires else None, status),
        )

    # ----------------------------------------------------------------- the first run's holds (issue 15)

    def first_run_decided(self) -> bool:
        return self._db.execute("SELECT 1 FROM first_run").fetchone() is not None

    def decide_first_run(self, held: list[Invoice], hold_days: int, at: datetime) -> None:
        """Once per account: the invoices the first planning pass leaves for the freelancer to confirm."""
        self._db.execute(
            "INSERT INTO first_run (decided_at, hold_days) VALUES (?, ?)", (at.isoformat(), hold_days)
        )
        self._db.executemany(
            "INSERT OR IGNORE INTO held_invoices (client, number, held_at, state) VALUES (?, ?, ?, 'held')",
            [(i.client, i.number, at.isoformat()) for i in held],
        )

    def held_invoices(self, state: str = "held") -> set[tuple[str, str]]:
        """(client, number) of the invoices in that state: held (waiting), owed or paid (settled)."""
        return {(r[0], r[1]) for r in self._db.execute(
            "SELECT client, number FROM held_invoices WHERE state = ?", (state,))}  # fmt: skip

    def settle_hold(self, invoice: Invoice, state: str) -> None:
        self._db.execute(
            "UPDATE held_invoices SET state = ? WHERE client = ? AND number = ? AND state = 'held'",
            (state, invoice.client, invoice.number),
        )


@dataclass(frozen=True, slots=True)
class BankTransaction:
    credit: Credit
    imported_at: datetime
    state: str  # matched, unmatched, dismissed
    invoices: tuple[str, ...]  # client/number of what it paid
