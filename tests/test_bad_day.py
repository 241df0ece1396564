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
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from assistant import cli
from assistant.config import packaged_rules_dir
from tests.support.freelancer import send_invoice
from tests.support.mailboxes import ImapWorld
from tests.support.proxy import Proxy
from tests.support.smtp import SmtpSink
from tests.support.world import TZ, at, invoice_email, write_config
from tests.test_daemon import Notifications, Running
from tests.test_replies import reply

DAY = date(2026, 4, 6)  # the invoice of send_invoice() is three weeks overdue: a stage is due


def outbox(state: Path) -> dict[str, str]:
    db = sqlite3.connect(f"file:{state}?mode=ro", uri=True)
    try:
        return dict(db.execute("SELECT key, state FROM outbox"))
    except sqlite3.OperationalError:  # the scan has created the file, not its tables yet
        return {}
    finally:
        db.close()


def journal(state: Path, event: str) -> list[tuple[str, str]]:
    db = sqlite3.connect(f"file:{state}?mode=ro", uri=True)
    try:
        return db.execute("SELECT item, detail FROM journal WHERE event = ? ORDER BY id", (event,)).fetchall()
    finally:
        db.close()


def events(state: Path, item: str) -> list[tuple[str]]:
    db = sqlite3.connect(f"file:{state}?mode=ro", uri=True)
    try:
        return db.execute("SELECT event FROM journal WHERE item = ? ORDER BY id", (item,)).fetchall()
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
    escalation = (
        (packaged_rules_dir() / "escalation.yaml").read_text().replace("action: draft", "action: send")
    )
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
        assert (
            code == 0
            and "sent by SMTP (action: send): 'Re: Factura 2026-001' to marta@acme.example" in output
        ), output
        assert len(sink.received) == 1 and sink.logins == [True]
        assert list(outbox(state).values()) == ["sent"]
        scan(capsys, config)
        assert len(sink.received) == 1
        assert stage_states(capsys, config) == [("first-reminder", "sent")]


def test_a_refused_smtp_login_leaves_the_reminder_unsent_and_retried(world, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cli, "_now", lambda: at(DAY, 10).astimezone(UTC))
    send_invoice(world)
    escalation = (
        (packaged_rules_dir() / "escalation.yaml").read_text().replace("action: draft", "action: send")
    )
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
        assert (
            code == 0
            and "sent by SMTP (action: send): 'Re: Factura 2026-001' to marta@acme.example" in output
        ), output
        assert len(sink.received) == 1 and list(outbox(state).values()) == ["sent"]
        assert stage_states(capsys, config_path) == [("first-reminder", "sent")]


def test_an_outage_at_the_start_of_the_working_day_delays_the_drafts_but_never_loses_the_day(
    dovecot, imap_user, tmp_path
):
    world = ImapWorld(dovecot, imap_user)
    today = datetime.now(TZ).date()
    sent = datetime.combine(today - timedelta(days=20), datetime.min.time(), TZ)
    world.deliver("Sent", invoice_email(sent=sent, message_id="<inv@x>"))
    # The working day has begun (every day, from midnight): the service is started late, as a
    # laptop wakes hours after workday_start, and the server is down when it does.
    schedule = (
        "schedule:\n  workday_start: '00:00'\n  workdays: [mon, tue, wed, thu, fri, sat, sun]\n"
        "  digest: ''\n  poll_minutes: 60\n"
    )
    with Proxy(dovecot.host, dovecot.tls_port) as proxy:
        proxy.refuse(True)
        account = world.account_yaml().replace(f"port: {dovecot.tls_port}", f"port: {proxy.port}")
        config = write_config(tmp_path, account, extra=schedule)
        notify = Notifications(tmp_path / "notify.sock")
        running = Running(tmp_path, config, notify)
        try:
            running.wait_until(lambda: "pass failed" in running.logged(), 20, "the failed first pass")
            down = time.monotonic()
            proxy.refuse(False)  # the server is back: the retry is the day's first good pass
            notify.wait_for("READY=1", timeout=30)
            drafted = running.wait_until(
                lambda: [k for k, state in running.outbox() if state == "drafted"], 15, "the day's drafts"
            )
            delay = time.monotonic() - down
            print(f"the day's drafts {delay:.1f} s after the server came back")  # README's figure
            assert drafted == ["invoice/acme/2026-001/first-reminder"]
            # Another pass the same day (a client's answer) plans nothing again: the day is remembered.
            # (IDLE could not start while the server was down: a reload starts it.)
            running.process.send_signal(signal.SIGHUP)
            running.wait_until(lambda: "reloaded:" in running.logged(), 10, "the reload")
            time.sleep(0.5)  # the IDLE connections are up shortly after
            world.deliver(
                "INBOX",
                reply(
                    sender="Marta López <marta@acme.example>",
                    subject="Re: Factura 2026-001",
                    body="Pagaremos el viernes.\n",
                    day=today,
                    in_reply_to="<inv@x>",
                ),
            )
            running.wait_until(lambda: running.journal("promised"), 15, "the pass after the answer")
        finally:
            running.stop()
            notify.close()
    log = running.logged()
    assert log.count(f"main: the drafts of {today.isoformat()} are planned") == 1, log
    # One draft was ever written; the promise made it wrong, so it was withdrawn, not doubled.
    assert len(world.messages("Drafts")) == 0 and "withdrawn" in log
    assert delay < 15


def unreadable_on_the_server(dovecot, user: str, marker: bytes) -> Path:
    """Make the Maildir file holding ``marker`` unreadable to Dovecot (which runs as nobody
    here): it answers a FETCH of it with "BYE Internal error" and closes the connection."""
    root = dovecot.maildir(user)
    (path,) = [
        p
        for p in root.glob("*/*")
        if p.is_file() and p.parent.name in ("new", "cur") and marker in p.read_bytes()
    ]
    path.chmod(0)
    return path


def test_a_message_the_server_refuses_to_read_costs_only_itself(
    dovecot, imap_user, tmp_path, capsys, monkeypatch
):
    monkeypatch.setattr(cli, "_now", lambda: at(DAY, 10).astimezone(UTC))
    world = ImapWorld(dovecot, imap_user)
    send_invoice(world)
    for body in ("Pagaremos el viernes.\n", "Mensaje roto XYZZY.\n", "Ya hemos pagado la factura.\n"):
        data = reply(
            sender="Marta López <marta@acme.example>", subject="Re: Factura 2026-001", body=body,
            day=date(2026, 4, 1),
        )  # fmt: skip
        world.deliver("INBOX", data)
    unreadable_on_the_server(dovecot, imap_user, b"XYZZY")
    config = write_config(tmp_path / "config", world.account_yaml())
    state = tmp_path / "config" / "state" / "main.sqlite3"

    code, output = scan(capsys, config)
    # The messages on either side of it were read: the promise, then the payment.
    assert code == 0 and "invoice/acme/2026-001: claimed (the client says it was paid" in output, output
    assert "messages skipped (unreadable or too large): 1" in output
    assert "INBOX message 2 could not be read" in output
    assert "connection lost" not in output.split("could not be read")[-1]  # the server's own words
    ((item, detail),) = journal(state, "unreadable")
    assert item == "folder/inbox" and detail.startswith("INBOX message 2: FETCH failed: Internal error")
    assert [event for (event,) in events(state, "invoice/acme/2026-001")] == ["invoiced", "promised", "claimed"]

    # The checkpoint moved past it: the next pass reads nothing again and reports it once.
    code, output = scan(capsys, config)
    assert code == 0 and "0 new messages read" in output, output
    assert len(journal(state, "unreadable")) == 1
    assert cli.main(["status", "--config", str(config)]) == 0
    assert "1 message could not be read (the server refused them" in capsys.readouterr().out
    assert cli.main(["status", "--json", "--config", str(config)]) == 0
    assert json.loads(capsys.readouterr().out)["accounts"][0]["totals"]["messages_unreadable"] == 1
    assert cli.main(["digest", "--config", str(config)]) == 0
    digest = capsys.readouterr().out
    assert "1 message could not be read: the server refused it" in digest, digest


def test_the_service_reports_ready_past_a_message_the_server_refuses(dovecot, imap_user, tmp_path):
    world = ImapWorld(dovecot, imap_user)
    today = datetime.now(TZ).date()
    sent = datetime.combine(today - timedelta(days=20), datetime.min.time(), TZ)
    world.deliver("Sent", invoice_email(sent=sent, message_id="<inv@x>"))
    for body in ("Pagaremos el viernes.\n", "Mensaje roto XYZZY.\n"):
        data = reply(
            sender="Marta López <marta@acme.example>", subject="Re: Factura 2026-001", body=body,
            day=today, in_reply_to="<inv@x>",
        )  # fmt: skip
        world.deliver("INBOX", data)
    unreadable_on_the_server(dovecot, imap_user, b"XYZZY")
    config = write_config(tmp_path, world.account_yaml(), extra="schedule:\n  digest: ''\n")
    notify = Notifications(tmp_path / "notify.sock")
    running = Running(tmp_path, config, notify)
    try:
        notify.wait_for("READY=1", timeout=20)
        assert running.journal("promised")  # the message before it was read
        assert [detail.split(":")[0] for _, detail in running.journal("unreadable")] == ["INBOX message 2"]
    finally:
        running.stop()
        notify.close()
    log = running.logged()
    assert "pass failed" not in log and "INBOX message 2 could not be read" in log, log


def test_a_send_killed_before_the_server_had_it_goes_out_next_pass_once(world, tmp_path):
    # A subprocess runs on the real clock: an invoice 20 days old has its first reminder due.
    today = datetime.now(TZ).date()
    sent = datetime.combine(today - timedelta(days=20), datetime.min.time(), TZ)
    world.deliver("Sent", invoice_email(sent=sent, message_id="<inv@x>"))
    gate = tmp_path / "password-manager-locked"  # while it exists, the password command hangs
    gate.write_text("")
    script = f"import os, time\nwhile os.path.exists({str(gate)!r}): time.sleep(0.05)\nprint('s3cret')\n"
    escalation = (
        (packaged_rules_dir() / "escalation.yaml").read_text().replace("action: draft", "action: send")
    )
    with SmtpSink(login=("lucia", "s3cret")) as sink:
        command = json.dumps([sys.executable, "-c", script])
        smtp = (
            f"  smtp:\n    host: {sink.host}\n    port: {sink.port}\n    security: plain\n"
            f"    username: lucia\n    password_command: {command}\n    copy_to_sent: false\n"
        )
        config = write_config(tmp_path / "config", world.account_yaml() + smtp)
        (tmp_path / "config" / "rules" / "escalation.yaml").write_text(escalation, encoding="utf-8")
        state = tmp_path / "config" / "state" / "main.sqlite3"
        scan_argv = [sys.executable, "-m", "assistant", "scan", "--config", str(config)]
        process = subprocess.Popen(scan_argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while not (state.exists() and outbox(state)) and time.monotonic() < deadline:
                time.sleep(0.05)
            (key,) = outbox(state)
            assert outbox(state) == {key: "pending"}
            process.kill()  # kill -9 while it waits for the password: nothing reached the server
            process.wait(timeout=10)
        finally:
            if process.poll() is None:
                process.kill()
        gate.unlink()
        assert not sink.received and not sink.logins
        result = subprocess.run(scan_argv, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert len(sink.received) == 1, result.stdout + result.stderr  # sent, after all, once
        assert outbox(state) == {key: "sent"}
        subprocess.run(scan_argv, capture_output=True, text=True, timeout=60)
        assert len(sink.received) == 1
