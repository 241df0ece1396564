"""A bad day on the server: what the service promises when the mail server misbehaves.

* An action is recorded as sent only after the SMTP server accepted it: a password command
  that fails, or a refused login, leaves the reminder unsent, and the next pass sends it.
* The day's drafts are planned on the first successful pass of the working day, whenever it
  comes: an outage at ``workday_start`` costs a delay, never the day.
* A message the server refuses to FETCH costs only itself: it is tried alone, then skipped
  and reported, and the pass, the checkpoint and the service go on.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from datetime import UTC, date
from pathlib import Path

import pytest

from assistant import cli
from assistant.config import packaged_rules_dir
from tests.support.freelancer import send_invoice
from tests.support.smtp import SmtpSink
from tests.support.world import at, write_config

DAY = date(2026, 4, 6)  # the invoice of send_invoice() is three weeks overdue: a stage is due


def outbox(state: Path) -> dict[str, str]:
    db = sqlite3.connect(f"file:{state}?mode=ro", uri=True)
    try:
        return dict(db.execute("SELECT key, state FROM outbox"))
    finally:
        db.close()


def scan(capsys, config: Path, *args: str) -> tuple[int, str]:
    code = cli.main(["scan", *args, "--config", str(config)])
    out, err = capsys.readouterr()
    return code, out + err


def stage_states(capsys, config: Path) -> list[tuple[str, str]]:
    """(stage, its state) of every invoice `status --json` shows."""
    assert cli.main(["status", "--json", "--config", str(config)]) == 0
    found: list[tuple[str, str]] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            if "stage_state" in node:
                found.append((node.get("stage"), node["stage_state"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(capsys.readouterr().out))
    return found


def test_a_reminder_whose_smtp_password_cannot_be_read_is_not_sent_and_goes_out_next_pass(
    world, tmp_path, capsys, monkeypatch
):
    monkeypatch.setattr(cli, "_now", lambda: at(DAY, 10).astimezone(UTC))
    send_invoice(world)
    secret = tmp_path / "smtp-password"  # the password manager: locked (missing) first
    escalation = (packaged_rules_dir() / "escalation.yaml").read_text().replace("action: draft", "action: send")
    with SmtpSink(login=("lucia", "s3cret")) as sink:
        command = json.dumps([sys.executable, "-c", f"print(open({str(secret)!r}).read())"])
        smtp = (
            f"  smtp:\n    host: {sink.host}\n    port: {sink.port}\n    security: plain\n"
            f"    username: lucia\n    password_command: {command}\n    copy_to_sent: false\n"
        )
        config = write_config(tmp_path / "config", world.account_yaml() + smtp)
        (tmp_path / "config" / "rules" / "escalation.yaml").write_text(escalation, encoding="utf-8")
        state = tmp_path / "config" / "state" / "main.sqlite3"

        code, output = scan(capsys, config)
        assert "sending failed" in output and "password_command" in output, output
        assert not sink.received and not sink.logins  # nothing reached the server
        assert outbox(state) == {}, "a reminder that never left is not recorded (not sent, not pending)"
        code, output = scan(capsys, config)  # the next pass: still locked, still not sent
        assert "sending failed" in output and outbox(state) == {}
        assert ("first-reminder", "sent") not in stage_states(capsys, config)

        secret.write_text("s3cret\n")  # unlocked: the next pass sends it, once
        code, output = scan(capsys, config)
        assert code == 0 and "sent by SMTP (action: send): 'Re: Factura 2026-001' to marta@acme.example" in output, output
        assert len(sink.received) == 1 and sink.logins == [True]
        assert list(outbox(state).values()) == ["sent"]
        scan(capsys, config)
        assert len(sink.received) == 1
        assert stage_states(capsys, config) == [("first-reminder", "sent")]


def test_a_refused_smtp_login_leaves_the_reminder_unsent_and_retried(world, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cli, "_now", lambda: at(DAY, 10).astimezone(UTC))
    send_invoice(world)
    escalation = (packaged_rules_dir() / "escalation.yaml").read_text().replace("action: draft", "action: send")
    with SmtpSink(login=("lucia", "right")) as sink:

        def config(password: str) -> Path:
            smtp = (
                f"  smtp:\n    host: {sink.host}\n    port: {sink.port}\n    security: plain\n"
                f"    username: lucia\n    password: {password}\n    copy_to_sent: false\n"
            )
            path = write_config(tmp_path / "config", world.account_yaml() + smtp)
            (tmp_path / "config" / "rules" / "escalation.yaml").write_text(escalation, encoding="utf-8")
            return path

        state = tmp_path / "config" / "state" / "main.sqlite3"
        _, output = scan(capsys, config("wrong"))
        assert "refused the user name or password" in output, output
        assert sink.logins and not any(sink.logins) and not sink.received
        assert outbox(state) == {}
        assert ("first-reminder", "sent") not in stage_states(capsys, config("wrong"))
        config_path = config("right")
        code, output = scan(capsys, config_path)
        assert code == 0 and "sent by SMTP (action: send): 'Re: Factura 2026-001' to marta@acme.example" in output, output
        assert len(sink.received) == 1 and list(outbox(state).values()) == ["sent"]
        assert stage_states(capsys, config_path) == [("first-reminder", "sent")]
