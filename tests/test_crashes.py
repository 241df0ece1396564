"""Crashes: the service is killed with SIGKILL at seeded random moments while it scans and
writes drafts; after a restart every draft exists exactly once and the ledger equals a
clean run's. Also: Dovecot restarted in the middle of a pass.

``FA_CRASH_TRIALS`` (default 30) sets the number of kill -9 trials.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.domain.compose import key_of
from tests.support.dovecot import Dovecot, scratch_dir
from tests.support.freelancer import Freelancer
from tests.support.mailboxes import ImapWorld
from tests.support.world import CLIENTS_YAML, TZ, invoice_email, plain_email, write_config

# Randomised trials: two thirds of the suite's time; `./tests/run -m "not trials"` skips them.
pytestmark = pytest.mark.trials

TRIALS = int(os.environ.get("FA_CRASH_TRIALS", "30"))
SCHEDULE = (
    "schedule:\n  workday_start: '00:00'\n  workdays: [mon, tue, wed, thu, fri, sat, sun]\n  digest: ''\n"
)
FIGURES: dict[str, object] = {"trials": 0, "drafts_at_kill": Counter()}


@pytest.fixture(scope="module")
def own_dovecot():
    with scratch_dir("fa-dovecot-crash-") as workdir, Dovecot.start(workdir) as server:
        yield server


# One draft per invoice (no statement of account grouping a client's reminders): eight
# drafts to lose or to duplicate, not three.
SEPARATE = {"clients.yaml": CLIENTS_YAML.replace("    language: ", "    statement: false\n    language: ")}


def fill(world) -> None:
    """Eight overdue invoices to three clients and mail around them: a pass writes eight drafts."""
    today = datetime.now(TZ).date()
    for n in range(8):
        to = ("Marta <marta@acme.example>", "Oliver <oliver@bright.example>", "Sanne <sanne@tulp.example>")[
            n % 3
        ]
        # 35 to 42 days ago: past due for the 30-day client too, yet no more than 30 days past
        # due for the 14-day ones, so the first scan chases them all (none held, issue 15).
        sent = datetime.combine(today - timedelta(days=35 + n), datetime.min.time(), TZ)
        world.deliver(
            "Sent",
            invoice_email(to=to, subject=f"Factura 2026-1{n:02d}", sent=sent, message_id=f"<crash-{n}@x>"),
        )
    for n in range(60):
        world.deliver(
            "INBOX",
            plain_email(
                sender=f"news{n}@letters.example",
                to="lucia@freelancer.example",
                subject=f"News {n}",
                body="x" * 2000,
            ),
        )


def canonical(me: Freelancer) -> dict:
    drafts = Counter(key_of(d) for _, d in me.drafts())
    assert all(n == 1 for n in drafts.values()), f"a draft written twice: {drafts}"
    with me.store() as store:
        return {
            "invoices": sorted((i.client, i.number, i.status.value) for i in store.invoices()),
            "outbox": sorted((e.key, e.state) for e in store.outbox()),
            "drafts": sorted(drafts),
        }


def scan(config: Path) -> None:
    assert main(["scan", "--config", str(config)]) in (0, 2)


def start(config: Path, notify: Path | None = None) -> subprocess.Popen:
    env = {**os.environ}
    if notify is not None:
        env["NOTIFY_SOCKET"] = str(notify)
    return subprocess.Popen(
        [sys.executable, "-m", "assistant", "run", "--config", str(config)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip


@pytest.fixture(scope="module")
def reference(own_dovecot, tmp_path_factory):
    world = ImapWorld(own_dovecot, "crashreference")
    fill(world)
    directory = tmp_path_factory.mktemp("reference")
    config = write_config(directory, world.account_yaml(), extra=SCHEDULE)
    (directory / "rules" / "clients.yaml").write_text(SEPARATE["clients.yaml"], encoding="utf-8")
    scan(config)
    scan(config)
    state = canonical(Freelancer(world, directory, rules=SEPARATE))
    assert len(state["drafts"]) >= 8  # a reminder per invoice, and termination suggestions
    return state


def drafting_window(dovecot, directory: Path, drafts: int) -> tuple[float, float]:
    """Seconds from the service's start to its first and to its last draft, on this machine."""
    world = ImapWorld(dovecot, "crashcalibration")
    fill(world)
    config = write_config(directory, world.account_yaml(), extra=SCHEDULE)
    (directory / "rules" / "clients.yaml").write_text(SEPARATE["clients.yaml"], encoding="utf-8")
    service = start(config)
    started = time.monotonic()
    first = None
    try:
        while time.monotonic() - started < 60:
            count = len(world.messages("Drafts"))
            now = time.monotonic() - started
            if count and first is None:
                first = now
            if count >= drafts:
                return first, now
            time.sleep(0.005)
    finally:
        service.send_signal(signal.SIGKILL)
        service.wait()
    raise AssertionError("the service wrote no drafts within 60 s")


def test_kill_9_at_random_moments_loses_nothing_and_duplicates_nothing(
    own_dovecot, reference, tmp_path, capsys
):
    rng = random.Random("kill -9")
    first, last = drafting_window(own_dovecot, tmp_path / "calibration", len(reference["drafts"]))
    FIGURES["drafting_window_s"] = (round(first, 2), round(last, 2))
    for trial in range(TRIALS):
        world = ImapWorld(own_dovecot, f"crash{trial}")
        fill(world)
        directory = tmp_path / str(trial)
        config = write_config(directory, world.account_yaml(), extra=SCHEDULE)
        (directory / "rules" / "clients.yaml").write_text(SEPARATE["clients.yaml"], encoding="utf-8")
        service = start(config)
        # Half the kills land while drafts are being appended (the dangerous moment, a few
        # hundred ms), the other half anywhere from start-up through the scan.
        if trial % 2:
            time.sleep(rng.uniform(max(0.0, first - 0.05), last + 0.02))
        else:
            time.sleep(rng.uniform(0.3, first))
        service.send_signal(signal.SIGKILL)
        service.wait()
        FIGURES["drafts_at_kill"][len(world.messages("Drafts"))] += 1
        # Restart: the service again (until its first pass is done), then a last pass.
        notify = directory / "notify.sock"
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        listener.bind(str(notify))
        listener.settimeout(30)
        restarted = start(config, notify)
        try:
            while b"READY=1" not in listener.recv(4096):
                pass
        finally:
            restarted.send_signal(signal.SIGTERM)
            assert restarted.wait(timeout=15) == 0
            listener.close()
        scan(config)
        capsys.readouterr()
        me = Freelancer(world, directory, rules=SEPARATE)
        assert canonical(me) == reference, f"trial {trial}"
        FIGURES["trials"] += 1
    print(f"\ncrash trials: {FIGURES}")
    assert FIGURES["trials"] >= TRIALS


def test_a_dovecot_restart_in_the_middle_of_a_pass_is_survived(own_dovecot, reference, tmp_path, capsys):
    world = ImapWorld(own_dovecot, "crashrestart")
    fill(world)
    config = write_config(tmp_path, world.account_yaml(), extra=SCHEDULE)
    (tmp_path / "rules" / "clients.yaml").write_text(SEPARATE["clients.yaml"], encoding="utf-8")
    service = start(config)
    deadline = time.monotonic() + 30
    while not world.messages("Drafts") and time.monotonic() < deadline:
        time.sleep(0.02)
    own_dovecot.restart()  # while the first drafts are being appended
    time.sleep(8)  # the service reconnects with backoff (2 s, then 4 s...)
    service.send_signal(signal.SIGTERM)
    assert service.wait(timeout=15) == 0
    scan(config)
    capsys.readouterr()
    assert canonical(Freelancer(world, tmp_path, rules=SEPARATE)) == reference
