"""The service as systemd runs it: a real subprocess, a real Dovecot, a real notify socket."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.support.dovecot import LIMITED, Dovecot, scratch_dir
from tests.support.mailboxes import ImapWorld
from tests.support.proxy import Proxy
from tests.support.world import TZ, invoice_email, write_config
from tests.test_replies import reply

REACT = 2.0  # the promise: a change in INBOX is in the state within 2 s


@pytest.fixture(scope="module")
def own_dovecot():
    """A Dovecot of its own: these tests kick users and restart the server."""
    with scratch_dir("fa-dovecot-daemon-") as workdir, Dovecot.start(workdir) as server:
        yield server


class Notifications:
    """The systemd side of sd_notify: a datagram socket the service writes to."""

    def __init__(self, path: Path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.messages: list[str] = []

    def wait_for(self, text: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.messages:
                if text in message:
                    return message
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            with contextlib.suppress(TimeoutError):
                self.messages.append(self.sock.recv(4096).decode())
        raise AssertionError(f"no {text!r} from the service within {timeout} s; got {self.messages}")

    def close(self) -> None:
        self.sock.close()


class Running:
    def __init__(self, directory: Path, config: Path, notify: Notifications):
        self.directory = directory
        self.notify = notify
        self.log = directory / "service.log"
        env = {
            **os.environ,
            "NOTIFY_SOCKET": str(notify.path),
            "WATCHDOG_USEC": "2000000",
            "WATCHDOG_PID": "",
        }
        env.pop("WATCHDOG_PID")
        self._log_file = open(self.log, "wb")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "assistant", "run", "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=self._log_file,
            env=env,
        )
        self.state = directory / "state" / "main.sqlite3"

    def logged(self) -> str:
        return self.log.read_text(errors="replace")

    def journal(self, event: str) -> list[tuple]:
        if not self.state.exists():
            return []
        db = sqlite3.connect(f"file:{self.state}?mode=ro", uri=True, timeout=5)
        try:
            return db.execute("SELECT item, detail FROM journal WHERE event = ?", (event,)).fetchall()
        except sqlite3.OperationalError:  # not created yet
            return []
        finally:
            db.close()

    def outbox(self) -> list[tuple]:
        db = sqlite3.connect(f"file:{self.state}?mode=ro", uri=True, timeout=5)
        try:
            return db.execute("SELECT key, state FROM outbox ORDER BY key").fetchall()
        finally:
            db.close()

    def wait_until(self, predicate, timeout: float, what: str):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = predicate()
            if result:
                return result
            assert self.process.poll() is None, f"the service died:\n{self.logged()}"
            time.sleep(0.05)
        raise AssertionError(f"{what} not within {timeout} s\n{self.logged()[-3000:]}")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=15)
        finally:
            self._log_file.close()


@pytest.fixture
def service(own_dovecot, imap_user, tmp_path):
    """Start the service on a fresh account with an invoice already in Sent; stop it after."""
    world = ImapWorld(own_dovecot, imap_user)
    today = datetime.now(TZ).date()
    world.deliver(
        "Sent",
        invoice_email(
            sent=datetime.combine(today - timedelta(days=20), datetime.min.time(), TZ), message_id="<inv@x>"
        ),
    )
    schedule = "schedule:\n  workday_start: '00:00'\n  workdays: [mon, tue, wed, thu, fri, sat, sun]\n  digest: '00:00'\n  poll_minutes: 60\n"
    config = write_config(tmp_path, world.account_yaml(), extra=schedule)
    notify = Notifications(tmp_path / "notify.sock")
    running = Running(tmp_path, config, notify)
    running.world = world
    yield running
    running.stop()
    notify.close()


def test_the_service_reports_ready_after_its_first_pass_and_pings_the_watchdog(service):
    service.notify.wait_for("READY=1", timeout=20)
    assert service.journal("invoiced")  # READY came after the first pass had read Sent
    service.notify.wait_for("STATUS=", timeout=5)
    service.notify.wait_for("WATCHDOG=1", timeout=5)
    assert service.outbox()  # the reminder due for a 20-day-old invoice was drafted at start


def test_a_reply_appended_to_inbox_is_in_the_state_within_two_seconds(service):
    service.notify.wait_for("READY=1", timeout=20)
    time.sleep(0.5)  # the IDLE connections are up shortly after READY
    service.world.deliver(
        "INBOX",
        reply(
            sender="Marta López <marta@acme.example>",
            subject="Re: Factura 2026-001",
            body="Ya hemos pagado.\n",
            day=datetime.now(TZ).date(),
            in_reply_to="<inv@x>",
        ),
    )
    started = time.monotonic()
    service.wait_until(lambda: service.journal("claimed"), REACT, "the paid reply in the state")
    assert time.monotonic() - started < REACT


def test_a_kicked_connection_and_a_restarted_server_lose_nothing_and_duplicate_nothing(service, own_dovecot):
    service.notify.wait_for("READY=1", timeout=20)

    def drafts_in_outbox():
        return [entry for entry in service.outbox() if not entry[0].startswith("digest/")]

    drafted = drafts_in_outbox()
    assert drafted
    own_dovecot.kick(service.world.user)
    time.sleep(0.5)
    service.world.deliver(
        "INBOX",
        reply(
            sender="Marta López <marta@acme.example>",
            subject="Re: Factura 2026-001",
            body="Pagaremos el viernes.\n",
            day=datetime.now(TZ).date(),
            in_reply_to="<inv@x>",
        ),
    )
    service.wait_until(lambda: service.journal("promised"), 15, "the promise after a kick")
    # The reminder drafted before the promise is no longer needed: withdrawn, untouched, once.
    service.wait_until(lambda: service.journal("withdrawn"), 15, "the reminder withdrawn after the promise")
    own_dovecot.restart()
    service.world.deliver(
        "INBOX",
        reply(
            sender="Marta López <marta@acme.example>",
            subject="Re: Factura 2026-001",
            body="Ya está pagada.\n",
            day=datetime.now(TZ).date(),
            in_reply_to="<inv@x>",
        ),
    )
    service.wait_until(lambda: service.journal("claimed"), 30, "the payment after a Dovecot restart")
    assert [key for key, _ in drafts_in_outbox()] == [key for key, _ in drafted]  # nothing written twice
    assert {state for _, state in drafts_in_outbox()} == {"withdrawn"}
    assert service.world.messages("Drafts") == []


def test_sighup_with_a_broken_rules_file_keeps_the_old_rules_running(service, tmp_path):
    service.notify.wait_for("READY=1", timeout=20)
    clients = tmp_path / "rules" / "clients.yaml"
    good = clients.read_text()
    clients.write_text(good + "  broken: [unclosed\n")
    service.process.send_signal(signal.SIGHUP)
    service.wait_until(lambda: "reload refused" in service.logged(), 10, "the refused reload")
    assert f"{clients}:" in service.logged()  # file:line:column of the problem
    service.world.deliver(
        "INBOX",
        reply(
            sender="Marta López <marta@acme.example>",
            subject="Re: Factura 2026-001",
            body="Ya hemos pagado.\n",
            day=datetime.now(TZ).date(),
            in_reply_to="<inv@x>",
        ),
    )
    service.wait_until(lambda: service.journal("claimed"), 10, "a pass on the old rules")
    clients.write_text(good)
    service.process.send_signal(signal.SIGHUP)
    service.wait_until(lambda: "reloaded:" in service.logged(), 10, "the good reload")


def test_sigterm_stops_the_service_with_exit_code_0_within_ten_seconds(service):
    service.notify.wait_for("READY=1", timeout=20)
    started = time.monotonic()
    assert service.stop() == 0
    assert time.monotonic() - started < 10
    service.notify.wait_for("STOPPING=1", timeout=1)


def test_the_daily_digest_arrives_in_the_inbox_once(service):
    service.notify.wait_for("READY=1", timeout=20)
    service.wait_until(lambda: [k for k, _ in service.outbox() if k.startswith("digest/")], 10, "the digest")
    inbox = [m for _, m in service.world.messages("INBOX") if b"Auto-Submitted: auto-generated" in m]
    assert len(inbox) == 1
    assert b"lucia@freelancer.example" in inbox[0]


def test_several_accounts_run_in_one_service_each_with_its_own_state(own_dovecot, imap_user, tmp_path):
    from tests.support.mailboxes import MaildirWorld

    imap = ImapWorld(own_dovecot, imap_user)
    local = MaildirWorld(tmp_path / "Maildir")
    today = datetime.now(TZ).date()
    sent = datetime.combine(today - timedelta(days=20), datetime.min.time(), TZ)
    imap.deliver("Sent", invoice_email(sent=sent, message_id="<inv-imap@x>"))
    local.deliver("Sent", invoice_email(sent=sent, subject="Factura 2026-002", message_id="<inv-local@x>"))
    accounts = imap.account_yaml("work") + local.account_yaml("local")
    config = write_config(tmp_path, accounts, extra="schedule:\n  digest: ''\n")
    notify = Notifications(tmp_path / "notify.sock")
    running = Running(tmp_path, config, notify)
    try:
        notify.wait_for("READY=1", timeout=20)
        for name, number in (("work", "2026-001"), ("local", "2026-002")):
            db = sqlite3.connect(f"file:{tmp_path / 'state' / (name + '.sqlite3')}?mode=ro", uri=True)
            assert db.execute("SELECT number FROM invoices").fetchall() == [(number,)]
            db.close()
        local.deliver(
            "INBOX",
            reply(
                sender="Marta López <marta@acme.example>",
                subject="Re: Factura 2026-002",
                body="Ya hemos pagado.\n",
                day=today,
                in_reply_to="<inv-local@x>",
            ),
        )
        running.state = tmp_path / "state" / "local.sqlite3"
        running.wait_until(lambda: running.journal("claimed"), 10, "the Maildir account's payment")
    finally:
        assert running.stop() == 0
        notify.close()


def test_the_log_says_when_drafts_wait_for_the_working_day_and_when_a_failed_pass_recovered(
    own_dovecot, imap_user, tmp_path
):
    world = ImapWorld(own_dovecot, imap_user)
    now = datetime.now(TZ)
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    # Neither today nor tomorrow is a working day (tomorrow too, should the test cross midnight).
    workdays = [d for i, d in enumerate(days) if i not in (now.weekday(), (now.weekday() + 1) % 7)]
    schedule = f"schedule:\n  workday_start: '09:00'\n  workdays: [{', '.join(workdays)}]\n"
    with Proxy(own_dovecot.host, own_dovecot.tls_port) as proxy:
        proxy.refuse(True)  # the server is down when the service starts
        account = world.account_yaml().replace(f"port: {own_dovecot.tls_port}", f"port: {proxy.port}")
        config = write_config(tmp_path, account, extra=schedule)
        notify = Notifications(tmp_path / "notify.sock")
        running = Running(tmp_path, config, notify)
        try:
            running.wait_until(lambda: "pass failed" in running.logged(), 20, "the failed first pass")
            proxy.refuse(False)
            notify.wait_for("READY=1", timeout=30)
            running.wait_until(lambda: "recovered" in running.logged(), 5, "the recovery line")
        finally:
            running.stop()
            notify.close()
    log = running.logged()
    first_workday = next(d for i, d in enumerate(days * 2) if i > now.weekday() + 1 and d in workdays)
    assert f"due drafts wait until {first_workday.capitalize()} " in log and " 09:00 Europe/Madrid" in log
    assert log.index("pass failed") < log.index(
        "main: recovered: the pass worked again after 1 failed attempt"
    )


def test_a_server_without_idle_is_polled_and_said_so_once(imap_user, tmp_path):
    with scratch_dir("fa-limited-") as workdir, Dovecot.start(workdir, settings=LIMITED) as server:
        world = ImapWorld(server, imap_user)
        config = write_config(
            tmp_path, world.account_yaml(), extra="schedule:\n  poll_minutes: 20\n  digest: ''\n"
        )
        notify = Notifications(tmp_path / "notify.sock")
        running = Running(tmp_path, config, notify)
        try:
            notify.wait_for("READY=1", timeout=20)
            time.sleep(3)  # a watcher would have failed and retried by now
            assert running.process.poll() is None
        finally:
            running.stop()
            notify.close()
            world.close()
    log = running.logged()
    assert log.count("the server does not offer IDLE; changes are seen every 20 minutes") == 1, log
    assert "reconnecting" not in log, log
