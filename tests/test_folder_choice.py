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


ACL = """
mail_plugins = $mail_plugins acl
protocol imap {
  mail_plugins = $mail_plugins imap_acl
}
plugin {
  acl = vfile
}
"""


@pytest.fixture(scope="module")
def acl_dovecot():
    """A server with the ACL extension: each folder's rights in its dovecot-acl file."""
    with scratch_dir("fa-acl-") as workdir, Dovecot.start(workdir, settings=ACL) as server:
        yield server


def test_check_fails_on_a_drafts_folder_the_login_may_not_write(acl_dovecot, imap_user, tmp_path, capsys):
    import os

    from tests.support.mailboxes import ImapWorld

    world = ImapWorld(acl_dovecot, imap_user)
    config = write_config(tmp_path, world.account_yaml())
    config.chmod(0o600)
    assert main(["check", "--config", str(config)]) == 0  # rights of an owner: everything
    assert "read-only" not in capsys.readouterr().out

    world.deliver("Drafts", invoice_email(), flags=("\\Draft",))  # the folder exists on disk now
    drafts = acl_dovecot.maildir(imap_user) / ".Drafts"
    acl = drafts / "dovecot-acl"
    acl.write_text("owner lr\n")  # look and read, no insert: what a shared, read-only folder gives
    owner = drafts.stat()
    os.chown(acl, owner.st_uid, owner.st_gid)
    assert main(["check", "--config", str(config)]) == 2
    out = capsys.readouterr().out
    assert (
        "PROBLEM Drafts is read-only for the assistant (the server's ACL gives this login the rights 'lr'; "
        "appending needs 'i')"
    ) in out, out
    # The warning is true: the server refuses the APPEND a pass would make.
    import imapclient.exceptions

    with world.client() as client, pytest.raises(imapclient.exceptions.IMAPClientError):
        client.append("Drafts", invoice_email(), flags=("\\Draft",))


def test_a_maildir_with_an_empty_sent_beside_sent_items_is_read_from_sent_items(tmp_path, capsys):
    from tests.support.mailboxes import MaildirWorld

    world = MaildirWorld(tmp_path / "Maildir")
    for sub in ("cur", "new", "tmp"):
        (tmp_path / "Maildir" / ".Sent Items" / sub).mkdir(parents=True)
    sent = datetime.combine(datetime.now(TZ).date() - timedelta(days=20), datetime.min.time(), TZ)
    world.deliver("Sent Items", invoice_email(sent=sent, message_id="<inv-1@freelancer.example>"), when=sent)
    config = write_config(tmp_path, world.account_yaml())
    assert main(["check", "--config", str(config)]) == 0
    assert (
        "Sent:   'Sent Items' (chosen among the usual names by what it holds: "
        "1 message from lucia@freelancer.example (the other candidates: 'Sent' 0))"
    ) in capsys.readouterr().out
    assert main(["scan", "--config", str(config)]) == 0
    assert "2026-001" in capsys.readouterr().out
