"""Bad days on the freelancer's machine, in plain words: a full disk, a damaged state database,
a draft that was already there, a config file others can read, a password command that hangs."""

from __future__ import annotations

import logging
import os
import time
from datetime import date

import pytest

from assistant import cli
from assistant.adapters import credentials
from assistant.adapters.store import Store
from assistant.errors import CredentialError
from tests.support.freelancer import INVOICE_ID, PDF_LINES, Freelancer, send_invoice
from tests.support.mailboxes import MaildirWorld
from tests.support.world import at, invoice_email, write_config

DAY = date(2026, 3, 18)  # the invoice of send_invoice() is due on 16 March: its first reminder is due


@pytest.fixture
def frozen_day(monkeypatch):
    from datetime import UTC

    monkeypatch.setattr(cli, "_now", lambda: at(DAY, 10).astimezone(UTC))


def test_a_full_disk_is_said_in_plain_words_and_the_next_pass_loses_nothing(
    tmp_path, capsys, monkeypatch, frozen_day
):
    world = MaildirWorld(tmp_path / "Maildir")
    config = write_config(tmp_path, world.account_yaml())
    assert cli.main(["scan", "--config", str(config)]) == 0  # the state exists, nothing in it yet
    # A PDF of some size: storing it needs new pages in the state database.
    details = tuple(f"Línea {n}: horas de diseño y maquetación" for n in range(3000))
    world.deliver(
        "Sent",
        invoice_email(sent=at(date(2026, 3, 2)), pdf_lines=(*PDF_LINES, *details), message_id=INVOICE_ID),
        when=at(date(2026, 3, 2)),
    )

    real_open = Store.open

    def on_a_full_disk(path):
        store = real_open(path)
        # SQLite's own limit on the file's size: exactly the error a full disk gives (SQLITE_FULL).
        pages = store._db.execute("PRAGMA page_count").fetchone()[0]
        store._db.execute(f"PRAGMA max_page_count = {pages}")
        return store

    monkeypatch.setattr(Store, "open", on_a_full_disk)
    capsys.readouterr()
    assert cli.main(["scan", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "is full: free some space there, or set state_dir in config.yaml to a disk with room" in err, err
    assert "internal error" not in err and "this is a bug" not in err
    assert world.messages("Drafts") == []

    monkeypatch.setattr(Store, "open", real_open)  # space freed
    assert cli.main(["scan", "--config", str(config)]) == 0
    assert "2026-001" in capsys.readouterr().out
    assert len(world.messages("Drafts")) == 1


def test_a_damaged_state_database_is_said_in_plain_words_with_what_to_do(tmp_path, capsys, frozen_day):
    world = MaildirWorld(tmp_path / "Maildir")
    send_invoice(world)
    config = write_config(tmp_path, world.account_yaml())
    assert cli.main(["scan", "--config", str(config)]) == 0
    state = tmp_path / "state" / "main.sqlite3"
    size = state.stat().st_size
    with state.open("r+b") as handle:  # every page but the first (the schema) overwritten
        handle.seek(4096)
        handle.write(os.urandom(size - 4096))
    capsys.readouterr()
    for command in (["status"], ["scan"]):
        assert cli.main([*command, "--config", str(config)]) == 2
        err = capsys.readouterr().err
        assert f"the state database {state} is damaged and unusable" in err, err
        assert "move it aside" in err and "freelance-assistant scan" in err
        assert "internal error" not in err and "this is a bug" not in err


def test_a_draft_already_in_drafts_is_logged_as_found_not_appended(world, tmp_path, caplog):
    me = Freelancer(world, tmp_path / "config")
    send_invoice(world)
    with caplog.at_level(logging.INFO, logger="assistant"):
        me.run(DAY)
    key = "invoice/acme/2026-001/first-reminder"
    assert f"draft {key} appended to Drafts" in caplog.text
    # The state is lost (a new machine, a deleted file): the draft is in Drafts already.
    for path in (tmp_path / "config" / "state").iterdir():
        path.unlink()
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="assistant"):
        me.run(DAY)
    assert f"draft {key} found already in Drafts (to marta@acme.example); not appended again" in caplog.text
    assert f"draft {key} appended" not in caplog.text
    assert len(world.messages("Drafts")) == 1


def test_check_warns_about_a_config_others_can_read_holding_an_smtp_password(tmp_path, capsys):
    world = MaildirWorld(tmp_path / "Maildir")
    smtp = (
        "  smtp:\n    host: 127.0.0.1\n    security: plain\n    username: lucia\n    password: s3cret-smtp\n"
    )
    config = write_config(tmp_path, world.account_yaml() + smtp)
    config.chmod(0o640)
    assert cli.main(["check", "--offline", "--config", str(config)]) == 0
    err = capsys.readouterr().err
    assert f"{config} holds an SMTP password and is readable by others (mode 640); run: chmod 600" in err
    assert "s3cret-smtp" not in err
    config.chmod(0o600)
    assert cli.main(["check", "--offline", "--config", str(config)]) == 0
    assert "readable by others" not in capsys.readouterr().err


def test_a_hanging_password_command_is_killed_with_its_children(tmp_path, monkeypatch):
    monkeypatch.setattr(credentials, "COMMAND_TIMEOUT", 1.0)
    pids = tmp_path / "pids"
    # A helper that starts a child of its own (an agent, a pinentry) and both hang.
    script = f"sleep 300 & echo $! >> {pids}; echo $$ >> {pids}; sleep 300"
    started = time.monotonic()
    with pytest.raises(CredentialError, match="did not finish within 1 s"):
        credentials.run_secret_command(["sh", "-c", script], "password_command")
    assert time.monotonic() - started < 5
    spawned = [int(p) for p in pids.read_text().split()]
    assert len(spawned) == 2
    deadline = time.monotonic() + 2
    while any(_running(pid) for pid in spawned) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in spawned if _running(pid)]


def _running(pid: int) -> bool:
    """Alive and not a zombie (a killed orphan may wait a moment for its reaper)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
