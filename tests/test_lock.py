"""One process per state: the service and a manual command never race over one state."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta

import pytest

from assistant import cli
from assistant.adapters.lock import StateLock
from assistant.domain.compose import key_of
from assistant.errors import StateLocked
from tests.support.mailboxes import MaildirWorld, parsed
from tests.support.world import TZ, invoice_email, write_config
from tests.test_daemon import Notifications, Running

RACE_TRIALS = int(os.environ.get("FA_RACE_TRIALS", "4"))


def _world_with_due_invoices(world, count: int = 3) -> None:
    """Invoices sent 20 days before today to ACME: each one due for its first reminder."""
    today = datetime.now(TZ).date()
    sent = datetime.combine(today - timedelta(days=20), datetime.min.time(), TZ)
    for n in range(1, count + 1):
        world.deliver(
            "Sent",
            invoice_email(
                subject=f"Factura 2026-00{n}",
                body=f"Hola Marta:\n\nTe envío la factura 2026-00{n}.\n\nImporte total: 1.210,00 €\n",
                pdf_lines=(f"FACTURA 2026-00{n}", "Total: 1.210,00 €"),
                filename=f"Factura_2026-00{n}.pdf",
                message_id=f"<inv-{n}@freelancer.example>",
                sent=sent,
            ),
            when=sent,
        )


def test_while_the_service_runs_the_drafts_by_hand_are_refused_naming_it_and_change_nothing(tmp_path, capsys):
    """`scan` and the ledger commands go through the running service (tests/test_handover.py);
    the drafts written by hand do not: refused, naming the service, nothing written."""
    world = MaildirWorld(tmp_path / "Maildir")
    _world_with_due_invoices(world, 1)
    schedule = "schedule:\n  workday_start: '23:59'\n  workdays: [mon]\n  poll_minutes: 60\n"
    config = write_config(tmp_path, world.account_yaml(), extra=schedule)
    notify = Notifications(tmp_path / "notify.sock")
    service = Running(tmp_path, config, notify)
    try:
        notify.wait_for("READY=1", timeout=30)
        pid = service.process.pid
        for command in (
            ["draft-termination", "acme", "--reason", "non-payment"],
            ["draft-rate-increase", "acme", "--rate", "55 €/hora"],
        ):
            assert cli.main([*command, "--config", str(config)]) == 2
            assert (
                f"the service is running (pid {pid}); `{command[0]}` would race it: stop it, run "
                f"`{command[0]}`, then start it again (`scan`, `mark-paid`, `pause`, `dispute` and "
                "`resume` go through the service; this one does not)"
            ) in capsys.readouterr().err
        assert world.messages("Drafts") == []  # the refused commands wrote nothing
        # Reading is not racing: a dry run and status still work beside the service.
        assert cli.main(["scan", "--dry-run", "--config", str(config)]) == 0
        assert cli.main(["status", "--config", str(config)]) == 0
        capsys.readouterr()

        # A crash releases the lock: nothing stale to clean up by hand.
        service.process.send_signal(signal.SIGKILL)
        service.process.wait(timeout=10)
        assert cli.main(["scan", "--config", str(config)]) == 0
        assert len(world.messages("Drafts")) == 1
    finally:
        service.stop()
        notify.close()


def test_a_second_service_on_the_same_state_exits_2_and_the_first_keeps_running(tmp_path):
    world = MaildirWorld(tmp_path / "Maildir")
    config = write_config(tmp_path, world.account_yaml())
    with StateLock.acquire(tmp_path / "state", "run"):
        second = subprocess.run(
            [sys.executable, "-m", "assistant", "run", "--config", str(config)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert second.returncode == 2
    assert f"the service is running (pid {os.getpid()}); `run` would race it" in second.stderr
    assert "Traceback" not in second.stderr


def test_the_lock_names_a_running_scan_and_is_free_again_once_released(tmp_path):
    lock = StateLock.acquire(tmp_path, "scan")
    with pytest.raises(StateLocked) as refused:
        StateLock.acquire(tmp_path, "mark-paid")
    assert str(refused.value) == (
        f"`scan` is running on this state (pid {os.getpid()}); `mark-paid` would race it: wait for it to finish"
    )
    lock.release()
    StateLock.acquire(tmp_path, "mark-paid").release()


def test_two_scans_started_together_never_draft_twice(world, tmp_path):
    """The issue's race, many times over: each due reminder exactly once, the loser told why."""
    _world_with_due_invoices(world)
    config = write_config(tmp_path, world.account_yaml())
    refused = 0
    for trial in range(RACE_TRIALS):
        command = [sys.executable, "-m", "assistant", "scan", "--config", str(config)]
        racers = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
        outcomes = [(racer.returncode, racer.communicate(timeout=120)[1].decode()) for racer in racers]
        outcomes = [(racer.returncode, err) for racer, (_, err) in zip(racers, outcomes, strict=True)]
        for code, err in outcomes:
            if code == 2:
                assert "`scan` is running on this state (pid " in err, err
                refused += 1
            else:
                assert code == 0, err
        keys = [key_of(parsed(data)) for _, data in world.messages("Drafts")]
        assert len(keys) == len(set(keys)), f"trial {trial}: a draft twice: {keys}"
        # The three reminders due to acme today go out as one statement of account.
        assert [k for k in keys if k.startswith("statement/acme/")] != [], keys
    # Started within milliseconds of each other, one of the two always found the other holding the state.
    assert refused >= 1
    print(f"{RACE_TRIALS} trials on {world.kind}: {refused} scans refused, {len(keys)} drafts, none twice")
