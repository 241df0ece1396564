"""Sent chosen by evidence on a server without SPECIAL-USE: never a stray empty "Sent" over the
real "Sent Items"; `check` says how it chose, and config.yaml still decides when it names one."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from assistant.cli import main
from tests.support.dovecot import LIMITED, Dovecot, scratch_dir
from tests.support.world import TZ, invoice_email, write_config


@pytest.fixture(scope="module")
def limited():
    """The check tests' server: no IDLE, CONDSTORE, UIDPLUS or SPECIAL-USE."""
    with scratch_dir("fa-limited-sent-") as workdir, Dovecot.start(workdir, settings=LIMITED) as server:
        yield server


def _account(server: Dovecot, user: str, folders: str = "") -> str:
    return (
        f"- name: main\n  imap:\n    host: 127.0.0.1\n    port: {server.port}\n    security: plain\n"
        f"    username: {user}\n    password: {server.password}\n    timeout: 10\n" + folders
    )


@pytest.fixture
def stray_sent(limited, imap_user):
    """An empty "Sent" (the server made it) beside "Sent Items", where the invoice really is."""
    limited.create_folder(imap_user, "Sent Items")
    sent = datetime.combine(datetime.now(TZ).date() - timedelta(days=20), datetime.min.time(), TZ)
    limited.save(imap_user, "Sent Items", invoice_email(sent=sent, message_id="<inv-1@freelancer.example>"))
    assert limited.status(imap_user, "Sent")["messages"] == 0
    return imap_user


def test_check_and_scan_take_sent_items_holding_the_freelancers_mail_over_an_empty_sent(
    limited, stray_sent, tmp_path, capsys
):
    config = write_config(tmp_path, _account(limited, stray_sent))
    config.chmod(0o600)
    assert main(["check", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert (
        "Sent:   'Sent Items' (chosen among the usual names by what it holds: "
        "1 message from lucia@freelancer.example (the other candidates: 'Sent' 0))"
    ) in out, out

    assert main(["scan", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "2026-001" in out, out
    drafts = limited.status(stray_sent, "Drafts")["messages"]
    assert drafts >= 1  # the invoice was found, so its reminder is due


def test_a_folder_named_in_the_config_wins_over_the_evidence(limited, stray_sent, tmp_path, capsys):
    folders = "    folders:\n      sent: Sent\n"
    config = write_config(tmp_path, _account(limited, stray_sent, folders))
    config.chmod(0o600)
    assert main(["check", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "Sent:   'Sent' (named in config.yaml)" in out, out


def test_with_one_usual_name_that_name_is_taken(limited, imap_user, tmp_path, capsys):
    config = write_config(tmp_path, _account(limited, imap_user))
    config.chmod(0o600)
    assert main(["check", "--config", str(config)]) == 0
    assert "Sent:   'Sent' (found by its usual name)" in capsys.readouterr().out
