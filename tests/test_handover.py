"""Manual commands beside the running service (issue 16): one process per state, and both usable.

While `freelance-assistant run` holds the state, `scan` asks it for a pass now (SIGUSR1)
and `mark-paid`, `pause`, `dispute` and `resume` are handed to it as a request in
`<state_dir>/requests/`, applied once at the start of its next pass. Real processes: the
service as systemd runs it, and each command as the freelancer types it. The mail is built
relative to today, since the service reads the real clock.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from assistant import cli, handover
from assistant.adapters.lock import LOCK_NAME, StateLock
from assistant.adapters.store import Store
from tests.support import statements as bank_files
from tests.support.freelancer import Freelancer, send_invoice
from tests.support.mailboxes import MaildirWorld
from tests.support.statements import Movement
from tests.support.world import TZ, at, invoice_email, write_config
from tests.test_daemon import Notifications, Running

# Drafts are planned at start and on every pass asked for by hand; no digest in INBOX (it
# would wake the service by itself); the poll far away: only the commands make it pass.
SCHEDULE = (
    "schedule:\n  workday_start: '00:00'\n  workdays: [mon, tue, wed, thu, fri, sat, sun]\n"
    "  digest: ''\n  poll_minutes: 60\n"
)
WAIT = 30.0  # seconds for the service to do what it was asked (a pass takes well under one)


def sent_days_ago(days: int) -> datetime:
    return datetime.combine(datetime.now(TZ).date() - timedelta(days=days), datetime.min.time(), TZ)


def deliver_invoices(world) -> None:
    """2026-001 to ACME and 2026-017 to Tulp, sent 20 days ago: both due their first reminder."""
    world.deliver(
        "Sent", invoice_email(sent=sent_days_ago(20), message_id="<inv-1@x>"), when=sent_days_ago(20)
    )
    world.deliver(
        "Sent",
        invoice_email(
            to="Sanne de Vries <sanne@tulp.example>", subject="Factuur 2026-017",
            body="Beste Sanne,\n\nHierbij factuur 2026-017.\n\nTe betalen: € 850,00\n",
            pdf_lines=("FACTUUR 2026-017", "Te betalen: € 850,00"), filename="Factuur 2026-017.pdf",
            sent=sent_days_ago(20), message_id="<inv-17@x>",
        ),
        when=sent_days_ago(20),
    )  # fmt: skip


def command(config, *words: str) -> subprocess.CompletedProcess:
    """One command as the freelancer runs it: its own process."""
    return subprocess.run(
        [sys.executable, "-m", "assistant", *words, "--config", str(config)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def invoice(service: Running, number: str) -> tuple | None:
    db = sqlite3.connect(f"file:{service.state}?mode=ro", uri=True, timeout=5)
    try:
        return db.execute(
            "SELECT status, paid_on, paid_via FROM invoices WHERE number = ?", (number,)
        ).fetchone()
    finally:
        db.close()


def drafted_keys(service: Running) -> dict[str, str]:
    return {key: state for key, state in service.outbox() if not key.startswith("digest/")}


@pytest.fixture
def started(tmp_path):
    """Start the service on a config written by the test; stop it afterwards."""
    running: list[tuple[Running, Notifications]] = []

    def start(config) -> Running:
        notify = Notifications(tmp_path / "notify.sock")
        service = Running(tmp_path, config, notify)
        running.append((service, notify))
        notify.wait_for("READY=1", timeout=WAIT)
        return service

    yield start
    for service, notify in running:
        service.stop()
        notify.close()


def test_scan_beside_the_service_asks_it_to_read_now_and_it_does(world, tmp_path, started):
    bank = tmp_path / "bank"
    bank.mkdir()
    world.deliver(
        "Sent", invoice_email(sent=sent_days_ago(20), message_id="<inv-1@x>"), when=sent_days_ago(20)
    )
    account = world.account_yaml() + f"  statements:\n    folder: {bank}\n"
    config = write_config(tmp_path, account, extra=SCHEDULE)
    service = started(config)
    assert invoice(service, "2026-001")[0] == "open"
    (reminder,) = drafted_keys(service)  # the first reminder, drafted at start

    # The bank statement is downloaded into the watched folder: nothing wakes the service
    # for it (no mail changed), the freelancer's `scan` does.
    transfer = Movement(
        datetime.now(TZ).date() - timedelta(days=1), Decimal("1210.00"), "TRF-1", "ACME SOLUCIONES SL",
        remittance="Factura 2026-001",
    )  # fmt: skip
    (bank / "extracto.xml").write_bytes(bank_files.camt([transfer]))
    scan = command(config, "scan")
    pid = service.process.pid
    assert scan.returncode == 0, scan.stderr
    assert scan.stdout == (
        f"the service is running (pid {pid}): asked it to read the mailbox now; `freelance-assistant status` "
        "shows the result in a moment (its log: journalctl --user -u freelance-assistant)\n"
    )
    assert scan.stderr == ""
    service.wait_until(
        lambda: invoice(service, "2026-001")[0] == "paid", WAIT, "the statement read by the pass"
    )
    assert invoice(service, "2026-001")[2] == "bank"
    assert "SIGUSR1: a pass now, asked for by hand" in service.logged()
    # The reminder drafted before the money came is withdrawn, once; nothing is drafted again.
    service.wait_until(lambda: drafted_keys(service) == {reminder: "withdrawn"}, WAIT, "the withdrawal")
    assert world.messages("Drafts") == []
    assert service.process.poll() is None  # SIGUSR1 asked for a pass; it did not end the service


def test_ledger_commands_beside_the_service_are_handed_to_it_and_applied_once(tmp_path, started):
    world = MaildirWorld(tmp_path / "Maildir")
    deliver_invoices(world)
    config = write_config(tmp_path, world.account_yaml(), extra=SCHEDULE)
    service = started(config)
    pid = service.process.pid
    requests = tmp_path / "state" / "requests"
    reminders = drafted_keys(service)
    assert sorted(reminders) == [
        "invoice/acme/2026-001/first-reminder",
        "invoice/tulp/2026-017/first-reminder",
    ], reminders
    assert len(world.messages("Drafts")) == 2

    def handed() -> list:
        return list(requests.glob("*.json"))

    # mark-paid: handed over, exit 0, and recorded by the service's pass.
    paid_on = datetime.now(TZ).date() - timedelta(days=2)
    paid = command(config, "mark-paid", "2026-001", "--on", paid_on.isoformat())
    assert paid.returncode == 0, paid.stderr
    assert paid.stdout == (
        f"the service is running (pid {pid}): handed `mark-paid 2026-001` to it; "
        "it records it on its next pass (asked it to pass now)\n"
    )
    service.wait_until(
        lambda: invoice(service, "2026-001")[:2] == ("paid", paid_on.isoformat()), WAIT, "mark-paid"
    )
    service.wait_until(lambda: not handed(), WAIT, "the request file removed once applied")
    ledger = command(config, "ledger", "--json")
    assert ledger.returncode == 0, ledger.stderr
    (row,) = [i for i in json.loads(ledger.stdout)["accounts"][0]["invoices"] if i["number"] == "2026-001"]
    assert (row["state"], row["paid_on"]) == ("paid", paid_on.isoformat())
    # Its reminder became wrong: withdrawn from Drafts, once.
    service.wait_until(
        lambda: drafted_keys(service)["invoice/acme/2026-001/first-reminder"] == "withdrawn",
        WAIT,
        "withdrawal",
    )

    # The same command again changes nothing: one journal line, one line in the record.
    again = command(config, "mark-paid", "2026-001", "--on", paid_on.isoformat())
    assert again.returncode == 0, again.stderr
    service.wait_until(lambda: not handed(), WAIT, "the second request taken")
    assert [d for _, d in service.journal("paid")] == [f"marked paid on the command line (paid on {paid_on})"]
    record = (tmp_path / "state" / "main.record.jsonl").read_text().splitlines()
    assert [r["command"] for r in map(json.loads, record) if r.get("event") == "command"] == ["paid"]
    assert not (requests / "failed").exists()

    # A request the service cannot apply ends in requests/failed with its error, and says so.
    wrong = command(config, "pause", "2026-999", "--reason", "waiting for their budget")
    assert wrong.returncode == 0, wrong.stderr
    assert "handed `pause 2026-999` to it" in wrong.stdout
    service.wait_until(
        lambda: list((requests / "failed").glob("*.json")), WAIT, "the failed request set aside"
    )
    assert not handed()
    (error,) = (requests / "failed").glob("*.error")
    assert error.read_text().startswith("no invoice '2026-999' in the ledger")
    assert (
        "a command handed to the service failed: `pause 2026-999`: no invoice '2026-999'" in service.logged()
    )
    status = command(config, "status")
    assert status.returncode == 0, status.stderr
    (line,) = [x for x in status.stdout.splitlines() if "handed to the service" in x]
    assert line.startswith("1 command handed to the service failed: `pause 2026-999`: no invoice '2026-999'")
    assert str(requests / "failed") in line

    # The pass went on, and the service takes the next command as before.
    dispute = command(config, "dispute", "2026-017", "--reason", "they say phase 2 was not delivered")
    assert dispute.returncode == 0, dispute.stderr
    service.wait_until(lambda: invoice(service, "2026-017")[0] == "disputed", WAIT, "the dispute")
    service.wait_until(lambda: set(drafted_keys(service).values()) == {"withdrawn"}, WAIT, "both withdrawn")
    assert world.messages("Drafts") == []
    assert sorted(drafted_keys(service)) == sorted(reminders)  # no draft written twice
    assert "pass failed" not in service.logged()
    assert service.process.poll() is None


def test_a_request_found_again_after_a_crash_is_not_applied_twice(tmp_path, capsys):
    """A crash between the request's transaction and the deletion of its file: the next pass
    finds it again and only deletes it (a pause applied twice would be an illegal move)."""
    world = MaildirWorld(tmp_path / "Maildir")
    me = Freelancer(world, tmp_path / "config")
    send_invoice(world)
    me.run(date(2026, 3, 17))
    request = handover.Request.new(
        "main", "pause", "2026-001", client=None, on=date(2026, 3, 17), until=date(2026, 4, 30),
        reason="waiting for their budget", now=at(date(2026, 3, 17), 11),
    )  # fmt: skip
    queued = handover.queue(me.config.state_dir, request)
    kept = queued.read_bytes()
    # Queued while the service was stopping: status says it waits for the next pass.
    assert cli.main(["status", "--config", str(me.path)]) == 0
    assert "1 command waits for the service's next pass: `pause 2026-001`" in capsys.readouterr().out
    first = me.run(date(2026, 3, 18))
    assert not queued.exists()
    assert "invoice/acme/2026-001: `pause 2026-001` handed to the service: recorded" in first.changes[0]
    queued.write_bytes(kept)  # as if the pass had died before deleting it
    second = me.run(date(2026, 3, 19))
    assert not queued.exists()
    assert not (queued.parent / "failed").exists()
    assert any("applied before a restart" in line for line in second.changes), second.changes
    with me.store() as store:
        assert store.invoice("acme", "2026-001").status == "paused"
        assert [e.event for e in store.history("invoice/acme/2026-001")].count("paused") == 1


def test_commands_said_once_are_not_said_again_by_every_pass(tmp_path):
    """The record beside the state is replayed only into a state that lost it: a pause and a
    resume given on the command line are not paused and resumed again by each later pass."""
    world = MaildirWorld(tmp_path / "Maildir")
    me = Freelancer(world, tmp_path / "config")
    send_invoice(world)
    me.run(date(2026, 3, 17))
    for words in (["pause", "2026-001"], ["resume", "2026-001"]):
        assert cli.main([*words, "--config", str(me.path)]) == 0
    later = me.run(date(2026, 3, 18))
    assert not any("restored" in line for line in later.changes), later.changes
    with me.store() as store:
        events = [e.event for e in store.history("invoice/acme/2026-001")]
    assert (events.count("paused"), events.count("resumed")) == (1, 1), events


@pytest.mark.parametrize("holder", ["gone", "a stranger", "another user"])
def test_when_the_service_cannot_be_asked_the_command_is_refused_as_before(
    tmp_path, capsys, monkeypatch, holder
):
    """The lock names a service that cannot be signalled: the refusal stands, says why, and
    nothing is queued. A process that is not the service is never signalled."""
    world = MaildirWorld(tmp_path / "Maildir")
    config = write_config(tmp_path, world.account_yaml())
    Store.open(tmp_path / "state" / "main.sqlite3").close()
    if holder == "gone":
        finished = subprocess.Popen([sys.executable, "-c", "pass"])
        finished.wait()
        other, why = finished, "it could not be reached"
    else:
        # A live process; "another user" has the service's command line, "a stranger" not.
        words = ["assistant", "run"] if holder == "another user" else ["sleeping"]
        other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", *words])
        why = "it could not be reached"
        if holder == "another user":

            def refused(pid, sig):
                raise PermissionError(1, "Operation not permitted")

            monkeypatch.setattr(handover.os, "kill", refused)
            why = "it runs as another user"
    try:
        with StateLock.acquire(tmp_path / "state", "run"):
            (tmp_path / "state" / LOCK_NAME).write_text(json.dumps({"pid": other.pid, "command": "run"}))
            assert cli.main(["scan", "--config", str(config)]) == 2
            err = capsys.readouterr().err
            assert (
                f"the service is running (pid {other.pid}); `scan` would race it: use `systemctl reload` or stop it"
                in err
            )
            assert why in err
            assert cli.main(["mark-paid", "2026-001", "--config", str(config)]) == 2
            err = capsys.readouterr().err
            assert (
                f"the service is running (pid {other.pid}); `mark-paid` would race it: stop it, run `mark-paid`"
                in err
            )
            assert why in err
        assert list((tmp_path / "state").glob("requests/*")) == []
        if holder != "gone":
            assert other.poll() is None  # not signalled: still sleeping
    finally:
        monkeypatch.undo()  # os.kill as it is, to end the helper
        if other.poll() is None:
            other.kill()
        other.wait()
        shutil.rmtree(tmp_path / "state", ignore_errors=True)


def test_the_obvious_mistakes_are_said_at_once_not_handed_over(tmp_path, capsys):
    world = MaildirWorld(tmp_path / "Maildir")
    config = write_config(tmp_path, world.account_yaml())
    helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "assistant", "run"])
    try:
        with StateLock.acquire(tmp_path / "state", "run"):
            (tmp_path / "state" / LOCK_NAME).write_text(json.dumps({"pid": helper.pid, "command": "run"}))
            # No state yet: the service has not finished its first pass.
            assert cli.main(["mark-paid", "2026-001", "--config", str(config)]) == 2
            assert "has not finished its first pass" in capsys.readouterr().err
            Store.open(tmp_path / "state" / "main.sqlite3").close()
            # A day that is no day never reaches the service.
            with pytest.raises(SystemExit):
                cli.main(["mark-paid", "2026-001", "--on", "2026-02-30", "--config", str(config)])
            assert "expected a date as YYYY-MM-DD" in capsys.readouterr().err
            assert cli.main(["pause", "¿?", "--config", str(config)]) == 2
            assert "is not an invoice number" in capsys.readouterr().err
        assert list((tmp_path / "state").glob("requests/*")) == []
        assert helper.poll() is None
    finally:
        helper.kill()
        helper.wait()
