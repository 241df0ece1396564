"""The Dovecot harness gives every test a real, private IMAP server it can inspect and disturb."""

from __future__ import annotations

import contextlib
import imaplib
import ssl
from collections.abc import Iterator

import imapclient
import pytest

from tests.support.dovecot import Dovecot

MESSAGE = (
    b"From: Luc\xc3\xada <lucia@freelancer.example>\r\n"
    b"To: Marta <marta@acme.example>\r\n"
    b"Subject: Factura 2026-001\r\n"
    b"Message-ID: <harness-1@freelancer.example>\r\n"
    b"Date: Tue, 17 Mar 2026 10:00:00 +0100\r\n"
    b"\r\n"
    b"Adjunto la factura.\r\n"
)


@contextlib.contextmanager
def connect(dovecot: Dovecot, user: str) -> Iterator[imapclient.IMAPClient]:
    """A logged-in session over implicit TLS that trusts only the harness's certificate."""
    context = ssl.create_default_context(cafile=str(dovecot.ca_file))
    client = imapclient.IMAPClient(dovecot.host, port=dovecot.tls_port, ssl_context=context, timeout=10)
    try:
        client.login(user, dovecot.password)
        yield client
    finally:
        with contextlib.suppress(Exception):
            client.logout()
        with contextlib.suppress(Exception):
            client.shutdown()


def test_a_user_logs_in_over_implicit_tls_with_a_verified_certificate(dovecot, imap_user):
    with connect(dovecot, imap_user) as client:
        capabilities = set(client.capabilities())
        assert {
            b"IDLE",
            b"CONDSTORE",
            b"QRESYNC",
            b"MOVE",
            b"UIDPLUS",
            b"SPECIAL-USE",
        } <= capabilities
        assert client.select_folder("INBOX")[b"EXISTS"] == 0


def test_the_plain_port_offers_starttls_and_the_certificate_names_localhost(dovecot, imap_user):
    context = ssl.create_default_context(cafile=str(dovecot.ca_file))
    client = imapclient.IMAPClient("localhost", port=dovecot.port, ssl=False, timeout=10)
    try:
        assert b"STARTTLS" in client.capabilities()
        client.starttls(context)
        client.login(imap_user, dovecot.password)
        client.logout()
    finally:
        with contextlib.suppress(Exception):
            client.shutdown()


def test_a_wrong_password_is_refused(dovecot, imap_user):
    context = ssl.create_default_context(cafile=str(dovecot.ca_file))
    client = imapclient.IMAPClient(dovecot.host, port=dovecot.tls_port, ssl_context=context, timeout=10)
    try:
        with pytest.raises(imapclient.exceptions.LoginError):
            client.login(imap_user, dovecot.password + "x")
    finally:
        client.shutdown()


def test_drafts_and_sent_are_listed_with_their_special_use_flags(dovecot, imap_user):
    with connect(dovecot, imap_user) as client:
        flags = {name: set(folder_flags) for folder_flags, _, name in client.list_folders()}
        subscribed = {name for _, _, name in client.list_sub_folders()}
    assert b"\\Drafts" in flags["Drafts"]
    assert b"\\Sent" in flags["Sent"]
    assert {"INBOX", "Drafts", "Sent", "Trash", "Junk", "Archive"} <= set(flags)
    assert {"Drafts", "Sent", "Trash", "Junk", "Archive"} <= subscribed


def test_a_saved_message_is_visible_over_imap_and_counted_by_status(dovecot, imap_user):
    dovecot.save(imap_user, "Sent", MESSAGE)
    status = dovecot.status(imap_user, "Sent")
    assert status["messages"] == 1 and status["uidnext"] == 2
    assert status["uidvalidity"] > 0 and status["highestmodseq"] >= 1
    with connect(dovecot, imap_user) as client:
        selected = client.select_folder("Sent", readonly=True)
        (uid,) = client.search(["ALL"])
        body = client.fetch([uid], ["BODY.PEEK[]"])[uid][b"BODY[]"]
    assert body == MESSAGE
    assert selected[b"UIDVALIDITY"] == status["uidvalidity"]
    assert (dovecot.maildir(imap_user) / ".Sent").is_dir()


def test_deleting_and_recreating_a_folder_changes_its_uidvalidity(dovecot, imap_user):
    dovecot.save(imap_user, "Archive", MESSAGE)
    before = dovecot.status(imap_user, "Archive")
    dovecot.delete_folder(imap_user, "Archive")
    dovecot.create_folder(imap_user, "Archive")
    after = dovecot.status(imap_user, "Archive")
    assert after["uidvalidity"] != before["uidvalidity"]
    assert after["messages"] == 0


def test_a_snapshot_sees_a_flag_set_over_imap_and_nothing_else(dovecot, imap_user):
    dovecot.save(imap_user, "Sent", MESSAGE)
    before = dovecot.snapshot(imap_user)
    with connect(dovecot, imap_user) as client:
        client.select_folder("Sent", readonly=True)  # reading must leave no trace
        client.fetch(client.search(["ALL"]), ["FLAGS", "BODY.PEEK[]"])
    assert dovecot.snapshot(imap_user) == before
    with connect(dovecot, imap_user) as client:
        client.select_folder("Sent")
        client.add_flags(client.search(["ALL"]), ["$Paid"])
    after = dovecot.snapshot(imap_user)
    assert set(before) == set(after) >= {"INBOX", "Sent", "Drafts"}
    ((guid, flags),) = after["Sent"]
    assert before["Sent"] == {(guid, frozenset())}
    assert flags == {"$Paid"}


def test_a_kick_breaks_the_open_connection(dovecot, imap_user):
    with connect(dovecot, imap_user) as client:
        client.select_folder("INBOX")
        client.noop()
        assert dovecot.kick(imap_user)
        with pytest.raises((imaplib.IMAP4.abort, OSError)):
            client.noop()
    assert not dovecot.kick(imap_user)  # nothing left to kick
    with connect(dovecot, imap_user) as client:  # the user itself is not locked out
        client.noop()


def test_a_restart_keeps_the_mail_and_the_ports(dovecot, imap_user):
    dovecot.save(imap_user, "INBOX", MESSAGE)
    before = dovecot.status(imap_user, "INBOX")
    ports = (dovecot.port, dovecot.tls_port)
    dovecot.restart()
    assert (dovecot.port, dovecot.tls_port) == ports
    assert dovecot.status(imap_user, "INBOX") == before
    with connect(dovecot, imap_user) as client:
        client.select_folder("INBOX", readonly=True)
        assert len(client.search(["ALL"])) == 1
