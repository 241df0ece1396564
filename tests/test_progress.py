"""A long first scan shows how far it is, and Ctrl-C in the middle loses nothing.

The engine commits after every header batch with the checkpoint of that batch; a scan
interrupted after some batches goes on with the next one, and the ledger and the drafts
end up as a clean run leaves them. The batch size is made small here so that a handful
of messages make several batches.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from datetime import date, timedelta

import pytest

from assistant import cli
from assistant.adapters import imap, maildir
from assistant.domain.compose import key_of
from assistant.engine import ScanProgress
from assistant.progress import ProgressBar, ProgressLog
from tests.support.freelancer import Freelancer
from tests.support.mailboxes import ImapWorld, MaildirWorld, parsed
from tests.support.world import at, invoice_email, plain_email, write_config
from tests.test_replies import reply

BATCH = 4


# --------------------------------------------------------------------------- what the person sees


def reports(total: int, step: int, seconds_per_step: float, *, first: bool = True) -> list[ScanProgress]:
    """What the engine tells about one folder: a start, one report per batch, the end."""
    done = [*range(0, total, step), total]
    return [
        ScanProgress("main", "Sent", n, total, i * seconds_per_step, first) for i, n in enumerate(done)
    ] + [ScanProgress("main", "Sent", total, total, (len(done) - 1) * seconds_per_step, first, True)]


class Terminal(io.StringIO):
    encoding = "utf-8"

    def isatty(self) -> bool:
        return True


def test_on_a_terminal_a_big_scan_is_one_line_redrawn_with_counts_and_rate(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    screen = Terminal()
    bar = ProgressBar(screen)
    for report in reports(10000, 2000, 0.25):
        bar(report)
    bar.close()
    text = screen.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n")  # one line, ended once
    frames = text.rstrip("\n").split("\r")[1:]
    assert frames[0].startswith("main: first scan of Sent [") and frames[0].endswith("] 0/10000 messages")
    bar_at = re.fullmatch(
        r"main: first scan of Sent \[(█+)(░+)\] 4000/10000 \(8000/s, 1 s left\) *", frames[2]
    )
    assert bar_at and abs(len(bar_at[1]) / (len(bar_at[1]) + len(bar_at[2])) - 0.4) < 0.07
    assert len({frame.index("]") for frame in frames[:-1]}) == 1  # the bar keeps its width
    assert frames[-1].startswith("main: first scan of Sent: 10000 messages read in 1 s (8000/s)")
    assert all(len(frame) < 80 for frame in frames)


def test_a_small_quick_scan_shows_nothing():
    screen, lines = Terminal(), []
    bar, log = ProgressBar(screen), ProgressLog(lines.append)
    for report in reports(1500, 500, 0.1):
        bar(report)
        log(report)
    bar.close()
    assert screen.getvalue() == "" and lines == []


def test_a_slow_small_scan_shows_once_it_takes_more_than_two_seconds():
    lines: list[str] = []
    log = ProgressLog(lines.append)
    for report in reports(1500, 500, 1.5, first=False):
        log(report)
    assert lines == [
        "main: scan of Sent: 1000/1500 messages (333/s)",
        "main: scan of Sent: 1500 messages read in 4 s (333/s)",
    ]


def test_without_a_terminal_a_line_every_ten_percent_or_ten_seconds():
    lines: list[str] = []
    log = ProgressLog(lines.append)
    for report in reports(100000, 2000, 0.25):  # 8000/s: 10 % every 1.25 s
        log(report)
    assert lines[0] == "main: first scan of Sent: 100000 messages to read"
    assert lines[1] == "main: first scan of Sent: 10000/100000 messages (8000/s)"
    assert len(lines) == 11 and lines[-1] == "main: first scan of Sent: 100000 messages read in 12 s (8000/s)"
    lines.clear()
    for report in reports(20000, 2000, 6.0):  # slow: 10 % every 6 s, so every 10 s at most
        log(report)
    assert len(lines) == 11  # 10 % comes first


# --------------------------------------------------------------------------- Ctrl-C and the rest


def with_id(data: bytes, message_id: str) -> bytes:
    """The same message in both worlds: the clean run and the interrupted one must agree."""
    message = parsed(data)
    del message["Message-ID"]
    message["Message-ID"] = message_id
    return message.as_bytes()


def fill(world) -> None:
    """Sent: 3 overdue invoices, a deliverable and news among them (14 messages); INBOX: a
    promise to pay one invoice, a dispute of another, and news (9 messages)."""
    day = date(2026, 3, 2)
    to = (
        "Marta López <marta@acme.example>",
        "Oliver Hughes <oliver@bright.example>",
        "Sanne <sanne@tulp.example>",
    )
    for n in range(14):
        when = at(day + timedelta(days=n // 3), 9 + n % 3)
        if n % 5 == 0:
            number = f"2026-10{n // 5}"
            data = invoice_email(
                to=to[n // 5], subject=f"Factura {number}", sent=when, message_id=f"<inv-{n}@x>",
                body=f"Factura {number}.\n\nImporte total: 1.210,00 €\n",
                pdf_lines=(f"FACTURA {number}", "Total: 1.210,00 €"), filename=f"Factura_{number}.pdf",
            )  # fmt: skip
        elif n == 7:
            data = plain_email(
                sender="Lucía Romero <lucia@freelancer.example>", to=to[2], subject="Entrega: iconos v1",
                body="Hola Sanne:\n\nAquí tienes la entrega: https://www.figma.com/file/x/iconos\n", sent=when,
            )  # fmt: skip
        else:
            data = plain_email(
                sender="lucia@freelancer.example", to=f"friend{n}@mail.example", subject=f"Hi {n}"
            )
        world.deliver("Sent", with_id(data, f"<sent-{n}@x>"), when=when)
    for n in range(9):
        when = at(date(2026, 3, 20) + timedelta(days=n // 4), 9)
        if n == 2:
            data = reply(
                sender="Marta López <marta@acme.example>", subject="Re: Factura 2026-100",
                body="Pagaremos el 15/04/2026.\n", day=when.date(), in_reply_to="<inv-0@x>",
            )  # fmt: skip
        elif n == 6:
            data = reply(
                sender="Oliver Hughes <oliver@bright.example>", subject="Re: Factura 2026-101",
                body="The amount is incorrect, we agreed on less.\n", day=when.date(), in_reply_to="<inv-5@x>",
            )  # fmt: skip
        else:
            data = plain_email(
                sender=f"news{n}@letters.example", to="lucia@freelancer.example", subject=f"News {n}"
            )
        world.deliver("INBOX", with_id(data, f"<inbox-{n}@x>"), when=when)


TODAY = date(2026, 4, 10)
MESSAGES = 14 + 9


def canonical(me: Freelancer) -> dict:
    drafts = Counter(key_of(message) for _, message in me.drafts())
    with me.store() as store:
        return {
            "invoices": sorted(
                (i.client, i.number, i.status.value, str(i.amount), i.hold_until, i.hold_note)
                for i in store.invoices()
            ),
            "deliverables": sorted((d.client, d.subject, d.status.value) for d in store.deliverables()),
            "outbox": sorted((e.key, e.state) for e in store.outbox()),
            "journal": sorted(
                (item, e.event, e.detail, e.evidence.message_id if e.evidence else "")
                for item, e in store.journal()
            ),
            "drafts": drafts,
        }


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(imap, "HEADER_BATCH", BATCH)
    monkeypatch.setattr(maildir, "_BATCH", BATCH)


def clean_run(kind: str, request, tmp_path) -> dict:
    if kind == "imap":
        world = ImapWorld(request.getfixturevalue("dovecot"), f"{request.getfixturevalue('imap_user')}c")
    else:
        world = MaildirWorld(tmp_path / "clean" / "Maildir")
    fill(world)
    me = Freelancer(world, tmp_path / "clean" / "config")
    assert me.run(TODAY).scanned == MESSAGES
    world.close()
    return canonical(me)


@pytest.mark.parametrize("interrupt_after", [2, 5])  # batches: in Sent; in INBOX, once Sent is done
def test_ctrl_c_during_the_first_scan_keeps_what_was_read_and_the_next_scan_goes_on(
    world, me, small_batches, request, tmp_path, interrupt_after
):
    fill(world)
    seen: list[ScanProgress] = []

    def ctrl_c(progress: ScanProgress) -> None:
        seen.append(progress)
        if sum(1 for p in seen if p.done and not p.finished) == interrupt_after:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        me.run(TODAY, progress=ctrl_c)
    read = sum(p.done for p in seen if p.finished) + seen[-1].done  # folders done + the one interrupted
    assert read == {2: 2 * BATCH, 5: 14 + BATCH}[interrupt_after]  # Sent has 14 messages
    assert seen[0] == ScanProgress("main", "Sent", 0, 14, seen[0].elapsed, True)
    assert me.drafts() == []  # the pass never got to plan

    rest = me.run(TODAY)
    assert rest.scanned == MESSAGES - read  # nothing read twice
    assert canonical(me) == clean_run(world.kind, request, tmp_path)
    assert me.run(TODAY).scanned == 0 and len(me.drafts()) == len(canonical(me)["drafts"])


def test_a_dry_run_interrupted_keeps_nothing(world, me, small_batches):
    fill(world)
    calls = []

    def ctrl_c(progress: ScanProgress) -> None:
        calls.append(progress)
        if len(calls) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        me.run(TODAY, dry_run=True, progress=ctrl_c)
    assert me.run(TODAY).scanned == MESSAGES


def test_the_command_line_says_interrupted_exits_130_and_the_next_scan_continues(
    dovecot, imap_user, tmp_path, small_batches, monkeypatch, capsys
):
    world = ImapWorld(dovecot, imap_user)
    fill(world)
    config = str(write_config(tmp_path, world.account_yaml()))
    monkeypatch.setattr(cli, "_now", lambda: at(TODAY, 10))

    class CtrlC:
        batches = 0

        def __call__(self, progress: ScanProgress) -> None:
            if progress.done and not progress.finished:
                CtrlC.batches += 1
                if CtrlC.batches == 3:
                    raise KeyboardInterrupt

        def close(self) -> None:
            pass

    shown = cli.scan_progress
    monkeypatch.setattr(cli, "scan_progress", CtrlC)
    assert cli.main(["scan", "--config", config]) == 130
    out, err = capsys.readouterr()
    assert err == "freelance-assistant: interrupted; the next scan continues from here\n" and out == ""
    monkeypatch.setattr(cli, "scan_progress", shown)
    assert cli.main(["scan", "--config", config]) == 0
    out, err = capsys.readouterr()
    assert f"{MESSAGES - 3 * BATCH} new messages read" in out and err == ""
    assert "drafts written to Drafts: 2" in out  # 2026-100 is promised; the other two are chased
    world.close()


def test_scan_help_and_status_help_show_examples(capsys):
    for command in ("scan", "status"):
        with pytest.raises(SystemExit):
            cli.main([command, "--help"])
        out, _ = capsys.readouterr()
        assert "examples:\n  freelance-assistant " + command in out


def test_a_later_scan_interrupted_still_sees_the_paid_tag_set_meanwhile(world, me, small_batches):
    world.deliver(
        "Sent", invoice_email(sent=at(date(2026, 3, 2)), message_id="<inv@x>"), when=at(date(2026, 3, 2))
    )
    me.run(date(2026, 3, 10))
    world.tag("Sent", "<inv@x>", "$Paid")  # the flag change is read after the new batches...
    for n in range(10):
        world.deliver(
            "Sent", plain_email(sender="lucia@freelancer.example", to=f"f{n}@mail.example", subject="Hi")
        )

    def ctrl_c(progress: ScanProgress) -> None:
        if progress.done == BATCH:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        me.run(date(2026, 3, 11), progress=ctrl_c)
    # ...so the checkpoint stored after the first batch must not claim it was seen.
    assert me.run(date(2026, 3, 11)).scanned == 10 - BATCH
    with me.store() as store:
        assert store.invoice("acme", "2026-001").paid_via == "keyword"
