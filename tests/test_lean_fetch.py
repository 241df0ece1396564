"""The lean FETCH reader and imapclient's parser agree on every message of the shared
corpora, as Dovecot serves them: same UIDs, flags, sizes, header bytes and bodies."""

from __future__ import annotations

import ssl
from pathlib import Path

import imapclient

from assistant.adapters import imapwire
from assistant.adapters.imap import _HEADER_ITEMS, ImapMailbox
from tests.test_parse import corpus_files


def test_the_lean_reader_and_imapclient_agree_on_the_corpora(dovecot, imap_user, corpora):
    files = corpus_files(corpora)
    context = ssl.create_default_context(cafile=str(dovecot.ca_file))
    client = imapclient.IMAPClient(dovecot.host, port=dovecot.tls_port, ssl_context=context, timeout=30)
    client.login(imap_user, dovecot.password)
    flags = [(), ("\\Seen",), ("\\Seen", "$Paid"), ("\\Flagged", "$label1", "\\Answered")]
    stored = 0
    for n, path in enumerate(files):
        data = Path(path).read_bytes()
        if not data.strip():
            continue
        client.append("INBOX", data, flags=flags[n % len(flags)])
        stored += 1
    client.select_folder("INBOX", readonly=True)
    uids = client.search(["ALL"])
    assert len(uids) == stored > 150
    header_item = _HEADER_ITEMS.strip("()").split(" ", 3)[3].replace("BODY.PEEK", "BODY")
    expected = client.fetch(uids, ["FLAGS", "RFC822.SIZE", header_item.replace("BODY", "BODY.PEEK", 1)])
    bodies = client.fetch(uids, ["BODY.PEEK[]"])
    client.logout()

    mailbox = ImapMailbox(
        host=dovecot.host,
        port=dovecot.tls_port,
        username=imap_user,
        password=dovecot.password,
        ca_file=str(dovecot.ca_file),
    )
    try:
        connection = mailbox._reader("INBOX")
        lean = {
            row[b"UID"]: row
            for row in mailbox._uid_fetch(imapwire.uid_set(uids), _HEADER_ITEMS, client=connection)
        }
        lean_bodies = dict(mailbox.fetch("INBOX", uids))
    finally:
        mailbox.close()
    assert set(lean) == set(expected) == set(uids)
    for uid in uids:
        theirs = expected[uid]
        ours = lean[uid]
        assert ours[b"FLAGS"] == tuple(theirs[b"FLAGS"]), uid
        assert ours[b"RFC822.SIZE"] == theirs[b"RFC822.SIZE"], uid
        their_header = next(v for k, v in theirs.items() if k.startswith(b"BODY["))
        assert imapwire.body_item(ours) == their_header, uid
        assert lean_bodies[uid] == bodies[uid][b"BODY[]"], uid


def test_the_lean_uid_search_and_imapclient_agree(dovecot, imap_user):
    """Scans read UID SEARCH answers raw (imapclient's parser peaks at 15 MB for 70,000
    UIDs); by day and by UID range they must say exactly what imapclient says."""
    from datetime import date, datetime

    context = ssl.create_default_context(cafile=str(dovecot.ca_file))
    client = imapclient.IMAPClient(dovecot.host, port=dovecot.tls_port, ssl_context=context, timeout=30)
    client.login(imap_user, dovecot.password)
    days = [date(2025, 12, 31), date(2026, 1, 1), date(2026, 2, 28), date(2026, 3, 1), date(2026, 5, 9)]
    for n, day in enumerate(days * 3):
        message = f"From: a@b.example\r\nSubject: {n}\r\nMessage-ID: <{n}@b.example>\r\n\r\nx\r\n"
        client.append("INBOX", message.encode(), msg_time=datetime(day.year, day.month, day.day, 12))
    client.select_folder("INBOX", readonly=True)
    mailbox = ImapMailbox(
        host=dovecot.host, port=dovecot.tls_port, username=imap_user, password=dovecot.password,
        ca_file=str(dovecot.ca_file),
    )  # fmt: skip
    try:
        connection = mailbox._reader("INBOX")
        criteria = [["UID", "1:*"], ["UID", "7:*"], ["UID", "99:*"]]
        criteria += [["SINCE", day] for day in days] + [["UID", "4:*", "SINCE", date(2026, 3, 1)]]
        for wanted in criteria:
            assert mailbox._uids_of(wanted, connection) == sorted(client.search(wanted)), wanted
        assert mailbox._uids_of(["SINCE", date(2026, 3, 1)], connection) != []
    finally:
        mailbox.close()
        client.logout()
