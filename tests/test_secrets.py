"""Secrets never leak: with ``--debug``, through refused passwords, failing and refused
tokens, a connection cut mid-pass and SMTP servers that refuse, neither the IMAP password,
nor the token, nor the SMTP password appears in the log, an exception, a draft, the state
database or ``status`` - not even base64-encoded, as AUTH PLAIN and XOAUTH2 would carry it.

Each scenario also asserts that it reached the failure it is about, so none passes by
never getting there.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import sys
from datetime import UTC, date
from pathlib import Path

import pytest

from assistant import cli
from assistant.config import packaged_rules_dir
from tests.support.freelancer import send_invoice
from tests.support.mailboxes import ImapWorld
from tests.support.proxy import TO_CLIENT, Fault, Proxy
from tests.support.smtp import SmtpSink
from tests.support.world import at, write_config
from tests.test_faults import proxied_account

DAY = date(2026, 4, 6)  # the invoice of send_invoice() is three weeks overdue: a stage is due


def encodings(secret: str) -> list[bytes]:
    """``secret`` as it could show up: plain, and inside base64 at each of the three alignments
    (the middle of each encoding only, which does not depend on the bytes around it)."""
    raw = secret.encode()
    forms = [raw]
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw)
        forms.append(encoded[4:-4])
    return forms


def assert_nowhere(secret: str, *texts: str | bytes) -> None:
    for text in texts:
        data = text.encode("utf-8", "replace") if isinstance(text, str) else text
        for form in encodings(secret):
            assert form not in data, f"{secret!r} leaked as {form!r}"


@pytest.fixture(autouse=True)
def fixed_clock_and_quiet_test_servers(monkeypatch):
    monkeypatch.setattr(cli, "_now", lambda: at(DAY, 10).astimezone(UTC))
    # The test's own SMTP server logs the AUTH lines it receives: that is not our program.
    monkeypatch.setattr(logging.getLogger("mail.log"), "propagate", False)


class Run:
    """The command line with --debug, everything it printed and logged kept."""

    def __init__(self, capsys, config: Path):
        self.capsys = capsys
        self.config = config
        self.output = ""

    def __call__(self, *args: str) -> tuple[int, str]:
        code = cli.main(["--debug", *args, "--config", str(self.config)])
        out, err = self.capsys.readouterr()
        self.output += out + err
        return code, out + err

    def everything(self) -> list[str | bytes]:
        """What a secret must not be in: output, the state database, each draft."""
        state = self.config.parent / "state"
        files = [p.read_bytes() for p in state.rglob("*") if p.is_file()] if state.exists() else []
        return [self.output, *files]


def account(world: ImapWorld, **replace: str) -> str:
    text = world.account_yaml()
    for old, new in replace.items():
        text = text.replace(old, new)
    return text


def test_a_refused_imap_password(dovecot, imap_user, tmp_path, capsys):
    world = ImapWorld(dovecot, imap_user)
    wrong = "wrong-" + secrets.token_hex(12)
    run = Run(capsys, write_config(tmp_path, account(world, **{dovecot.password: wrong})))
    for command in ("check", "scan", "status"):
        code, output = run(command)
        if command != "status":
            assert code == 2 and "refused the user name or password" in output, output
    assert "Traceback" in run.output  # --debug shows the tracebacks: they must be clean too
    assert_nowhere(wrong, *run.everything())


def test_a_token_command_that_fails_and_a_token_that_is_refused(dovecot, imap_user, tmp_path, capsys):
    world = ImapWorld(dovecot, imap_user)
    token = "ya29." + secrets.token_urlsafe(24)
    without_password = "\n".join(
        line for line in world.account_yaml().splitlines() if "password:" not in line
    )

    def config(program: str, where: Path) -> Path:
        command = json.dumps([sys.executable, "-c", program])
        return write_config(where, f"{without_password}\n    auth: xoauth2\n    token_command: {command}\n")

    failing = Run(capsys, config(f"print({token!r}); import sys; sys.exit(3)", tmp_path / "failing"))
    code, output = failing("scan")
    assert code == 2 and "exited with status 3" in output, output

    refused = Run(capsys, config(f"print({token!r})", tmp_path / "refused"))
    code, output = refused("scan")
    assert code == 2 and "refused the user name or password" in output, output
    refused("status")

    assert_nowhere(token, *failing.everything(), *refused.everything())


def test_a_connection_cut_in_the_middle_of_a_pass(dovecot, tmp_path, capsys):
    world = ImapWorld(dovecot, "secretcut")
    send_invoice(world)
    with Proxy(dovecot.host, dovecot.port) as proxy:
        proxy.plan([Fault("cut", TO_CLIENT, pattern=b"FETCH", after_bytes=40)])
        run = Run(capsys, write_config(tmp_path, proxied_account(dovecot, "secretcut", proxy.port)))
        code, output = run("scan")
        assert code != 0 and "connection lost" in output, output
        assert proxy.faults_injected
        code, output = run("scan")
        assert code == 0, output
        run("status")
    drafts = [data for _, data in world.messages("Drafts")]
    assert len(drafts) == 1  # the pass that got through wrote its reminder
    assert_nowhere(dovecot.password, *run.everything(), *drafts)


def test_smtp_refusals_and_a_message_that_went_out(dovecot, imap_user, tmp_path, capsys):
    world = ImapWorld(dovecot, imap_user)
    send_invoice(world)
    smtp_secret = "smtp-" + secrets.token_hex(12)
    wrong = "wrong-" + secrets.token_hex(12)
    escalation = (
        (packaged_rules_dir() / "escalation.yaml").read_text().replace("action: draft", "action: send")
    )

    with SmtpSink(login=("lucia", smtp_secret)) as sink:

        def config(password: str, where: Path) -> Path:
            smtp = (
                f"  smtp:\n    host: {sink.host}\n    port: {sink.port}\n    security: plain\n"
                f"    username: lucia\n    password: {password}\n    copy_to_sent: false\n"
            )
            path = write_config(where, world.account_yaml() + smtp)
            (where / "rules" / "escalation.yaml").write_text(escalation, encoding="utf-8")
            return path

        refused = Run(capsys, config(wrong, tmp_path / "refused"))
        _, output = refused("scan")
        assert "sending failed" in output and "refused the user name or password" in output, output
        # aiosmtplib tries each mechanism the server offers (PLAIN, LOGIN): all refused.
        assert sink.logins and not any(sink.logins) and not sink.received
        refusals = len(sink.logins)

        accepted = Run(capsys, config(smtp_secret, tmp_path / "accepted"))
        sink.handler.refuse_data = "554 5.7.1 message refused by policy"
        _, output = accepted("scan")
        assert "sending failed" in output and "554" in output, output
        sink.handler.refuse_data = ""
        code, output = accepted("scan")
        assert code == 0 and "sent to marta@acme.example" in output, output
        accepted("status")
        assert sink.logins[refusals:] == [True, True] and len(sink.received) == 1

    received = sink.received[0].data
    for secret in (smtp_secret, wrong, dovecot.password):
        assert_nowhere(secret, *refused.everything(), *accepted.everything(), received)
