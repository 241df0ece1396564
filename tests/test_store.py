"""The state database: private files, WAL, a versioned schema, and keys taken once."""

from __future__ import annotations

import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from assistant.adapters.store import SCHEMA_VERSION, Store
from assistant.errors import StateError

NOW = datetime(2026, 3, 17, 9, tzinfo=UTC)


def old_state(path: Path, version: int) -> sqlite3.Connection:
    """A state file as version ``version`` of the program left it (its migrations up to that
    one), open for a test to add its rows; the test closes it, then opens it with ``Store``."""
    from assistant.adapters import store as store_module

    db = sqlite3.connect(path, isolation_level=None)
    db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for step in range(1, version + 1):
        for statement in store_module._MIGRATIONS[step].split(";"):
            if statement.strip():
                db.execute(statement)
    db.execute("INSERT INTO schema_version VALUES (?)", (version,))
    return db


def claim(store: Store, key: str) -> None:
    store.add_pending(
        key=key,
        kind="reminder",
        message_id="<m@x>",
        subject="Re: x",
        recipient="a@b.example",
        folder="Drafts",
        at=NOW,
    )


def test_the_database_is_private_and_uses_wal(tmp_path):
    path = tmp_path / "state" / "main.sqlite3"
    with Store.open(path) as store:
        claim(store, "invoice/acme/1/first-reminder")
        mode = store._db.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_an_action_key_can_be_taken_only_once(tmp_path):
    with Store.open(tmp_path / "s.sqlite3") as store:
        claim(store, "invoice/acme/1/first-reminder")
        with pytest.raises(StateError, match="already taken"):
            claim(store, "invoice/acme/1/first-reminder")
        assert store.taken_keys() == {"invoice/acme/1/first-reminder"}


def test_a_failed_transaction_leaves_nothing_behind(tmp_path):
    with Store.open(tmp_path / "s.sqlite3") as store:
        with pytest.raises(RuntimeError), store.transaction():
            store.set_checkpoint("sent", {"uidnext": 5}, NOW)
            raise RuntimeError("the server went away")
        assert store.checkpoint("sent") is None


def test_state_survives_reopening(tmp_path):
    with Store.open(tmp_path / "s.sqlite3") as store:
        store.set_checkpoint("sent", {"uidvalidity": 7, "uidnext": 42}, NOW)
    with Store.open(tmp_path / "s.sqlite3") as store:
        assert store.checkpoint("sent") == {"uidvalidity": 7, "uidnext": 42}


def test_a_database_from_a_newer_version_is_refused_not_downgraded(tmp_path):
    path = tmp_path / "s.sqlite3"
    Store.open(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    db.commit()
    db.close()
    with pytest.raises(StateError, match="newer freelance-assistant"):
        Store.open(path)


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path):
    path = tmp_path / "s.sqlite3"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StateError, match="unusable"):
        Store.open(path)


def test_a_version_1_database_is_migrated_without_losing_anything(tmp_path):
    path = tmp_path / "s.sqlite3"
    db = old_state(path, 1)
    db.execute(
        "INSERT INTO invoices VALUES ('acme', '1', '10.00', 'EUR', '2026-03-02', '2026-03-16', '<m@x>', 'Factura 1', "
        "'[]', '2026-03-02T10:00:00+01:00', 'f.pdf', 'abc', 'open', NULL, '', 'sent', '7')"
    )
    db.execute(
        "INSERT INTO journal (at, subject, event, detail) VALUES ('2026-03-02T10:00:00+00:00', 'invoice/acme/1', 'invoiced', 'x')"
    )
    db.close()
    with Store.open(path) as store:
        (invoice,) = store.invoices()
        assert invoice.number == "1" and invoice.paid_amount == 0 and invoice.hold_until is None
        assert [e.event for e in store.history("invoice/acme/1")] == ["invoiced"]
        assert store._db.execute("SELECT version FROM schema_version").fetchone()[0] == SCHEMA_VERSION


def test_a_version_2_database_gains_the_contacts_table_and_keeps_the_latest_contact(tmp_path):
    from datetime import timedelta, timezone

    from assistant.domain.model import Contact

    path = tmp_path / "s.sqlite3"
    db = old_state(path, 2)
    db.execute(
        "INSERT INTO outbox (key, kind, state, message_id, subject, recipient, created_at, updated_at) "
        "VALUES ('invoice/acme/1/first-reminder', 'reminder', 'drafted', '<m@x>', 'Re: x', 'a@b', "
        "'2026-03-17T09:00:00+00:00', '2026-03-17T09:00:00+00:00')"
    )
    db.close()
    madrid = timezone(timedelta(hours=1))
    with Store.open(path) as store:
        assert store._db.execute("SELECT version FROM schema_version").fetchone()[0] == SCHEMA_VERSION
        assert store.taken() == {"invoice/acme/1/first-reminder": "drafted"}
        assert store.contacts() == {}
        later = Contact(client="acme", at=datetime(2026, 3, 3, 9, tzinfo=madrid), direction="from")
        # Earlier in absolute time though its local hour is later: mail is not read in date order.
        earlier = Contact(
            client="acme", at=datetime(2026, 3, 3, 9, 30, tzinfo=timezone(timedelta(hours=5))), direction="to"
        )
        store.save_contact(later)
        store.save_contact(earlier)
        (kept,) = store.contacts().values()
        assert kept.at == later.at and kept.direction == "from"


def test_an_outbox_move_the_draft_table_forbids_raises_and_changes_nothing(tmp_path):
    from assistant.domain.ledger import DraftEvent, IllegalTransition

    with Store.open(tmp_path / "s.sqlite3") as store:
        claim(store, "invoice/acme/1/first-reminder")
        store.move("invoice/acme/1/first-reminder", DraftEvent.APPENDED, at=NOW, uid="7")
        with pytest.raises(IllegalTransition):
            store.move("invoice/acme/1/first-reminder", DraftEvent.RELEASED, at=NOW)
        (entry,) = store.outbox()
        assert (entry.state, entry.uid) == ("drafted", "7")
        assert store.mark_sent(entry.key, NOW) and not store.mark_sent(entry.key, NOW)
        assert store.taken() == {"invoice/acme/1/first-reminder": "sent"}


def test_a_termination_line_keeps_its_triggers_as_data_and_old_lines_still_read(tmp_path):
    with Store.open(tmp_path / "s.sqlite3") as store:
        store.note(
            "client/acme", "termination held", "money is still owed", NOW, data={"why": ["a", "b / c"]}
        )
        # A line written before schema 4 had its triggers only in its sentence.
        store._db.execute(
            "INSERT INTO journal (at, item, event, detail) VALUES (?, 'client/tulp', 'termination held', ?)",
            (
                NOW.isoformat(),
                "money is still owed; hold_until_paid waits until it is paid (seed 003). x / y",
            ),
        )
        lines = dict(store.journal(prefix="client/"))
    assert lines["client/acme"].why == ("a", "b / c")
    assert lines["client/tulp"].why == ("x", "y")


def test_a_version_4_database_keeps_its_invoices_with_where_their_facts_were_read_unknown(tmp_path):
    from assistant.wording import Voice

    path = tmp_path / "s.sqlite3"
    db = old_state(path, 4)
    db.execute(
        "INSERT INTO invoices (client, number, amount, currency, issue_date, due_date, message_id, subject, refs, "
        "sent_at, attachment_name, attachment_sha256, status) VALUES ('acme', '2026-001', '1210.00', 'EUR', "
        "'2026-03-02', '2026-03-16', '<m@x>', 'Factura 2026-001', '[]', '2026-03-02T10:00:00+00:00', '', '', 'open')"
    )
    db.close()
    with Store.open(path) as store:
        old = store.invoice("acme", "2026-001")
        assert (
            old.read_from == () and Voice("en", {}).reading(old) == "not recorded (read before this was kept)"
        )
        from dataclasses import replace

        store.save_invoice(replace(old, number="2026-002", read_from=(("number", "PDF label"),)))
        assert store.invoice("acme", "2026-002").source_of("number") == "PDF label"


def test_a_version_4_database_that_was_scanned_holds_nothing_on_its_next_pass(tmp_path):
    """The first run's hold is for new accounts; one scanned before the upgrade had its first run."""

    def database(name: str, scanned: bool):
        path = tmp_path / name
        db = old_state(path, 4)
        if scanned:
            db.execute("INSERT INTO checkpoints VALUES ('sent', '{}', '2026-03-17T09:00:00+00:00')")
        db.close()
        return path

    with Store.open(database("old.sqlite3", scanned=True)) as store:
        assert store.first_run_decided()
        assert store.bank_transaction_ids() == set() and store.payers() == {}
    with Store.open(database("new.sqlite3", scanned=False)) as store:
        assert not store.first_run_decided()


def test_a_version_5_outbox_keeps_its_drafts_and_accepts_the_states_of_drafts_no_longer_needed(tmp_path):
    from assistant.domain.keys import DraftState
    from assistant.domain.ledger import DraftEvent, IllegalTransition

    path = tmp_path / "s.sqlite3"
    db = old_state(path, 5)
    db.execute(
        "INSERT INTO outbox (key, kind, state, message_id, subject, recipient, folder, uid, created_at, "
        "updated_at, item) VALUES ('invoice/acme/1/first-reminder', 'reminder', 'drafted', '<m@x>', 'Re: x', "
        "'a@b', 'Drafts', '7', '2026-03-17T09:00:00+00:00', '2026-03-17T09:00:00+00:00', 'invoice/acme/1')"
    )
    db.close()
    with Store.open(path) as store:
        (entry,) = store.outbox()
        assert (entry.key, entry.state, entry.uid, entry.item, entry.sha256) == (
            "invoice/acme/1/first-reminder", DraftState.DRAFTED, "7", "invoice/acme/1", "",
        )  # fmt: skip
        # A draft from before schema 8 has no fingerprint: it can only be found obsolete.
        store.move(entry.key, DraftEvent.OUTDATED, at=NOW, note="paid/changed")
        (entry,) = store.outbox()
        assert (entry.state, entry.note, entry.updated_at) == (DraftState.OBSOLETE, "paid/changed", NOW)
        with pytest.raises(IllegalTransition):
            store.move(entry.key, DraftEvent.WITHDRAWN, at=NOW)


def test_a_version_9_state_gains_the_tag_checkpoints_of_the_filed_folders_after_a_backup(tmp_path):
    from assistant.adapters.mailbox import TagCheckpoint

    path = tmp_path / "s.sqlite3"
    db = old_state(path, 9)
    db.execute("INSERT INTO checkpoints (folder, state, updated_at) VALUES ('sent', '{\"uidnext\": 7}', 'x')")
    db.close()
    with Store.open(path) as store:
        assert store._db.execute("SELECT version FROM schema_version").fetchone()[0] == SCHEMA_VERSION == 10
        assert store.checkpoint("sent") == {"uidnext": 7} and store.tag_checkpoints() == {}
        mark = TagCheckpoint(state={"uidvalidity": 5, "highestmodseq": 9}, tagged={"3": "<inv@x>"})
        with store.transaction():
            store.set_tag_checkpoint("Archive/2025", mark, NOW)
            store.set_tag_checkpoint("Old", mark, NOW)
            store.forget_tag_checkpoints(["Archive/2025"])
        assert store.tag_checkpoints() == {"Archive/2025": mark}
        assert store.tags_read_since() is None  # the filed folders were never read
        with store.transaction():
            store.note_tags_read(NOW)
            store.note_tags_read(NOW + timedelta(days=1))
        assert store.tags_read_since() == NOW  # the first time, kept
    assert (tmp_path / "s.sqlite3.backup-schema-9").exists()
