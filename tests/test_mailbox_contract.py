"""One contract, two mailboxes: the same assertions on a real Dovecot and on a Maildir."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from assistant.adapters.mailbox import WithdrawOutcome, draft_sha256
from assistant.adapters.parse import parse_header
from tests.support.mailboxes import parsed
from tests.support.world import TZ, invoice_email, plain_email


def scan_all(mailbox, folder, checkpoint=None, **kwargs):
    scan = mailbox.scan(folder, checkpoint, **kwargs)
    headers = [raw for batch in scan.batches for raw in batch]
    return scan, headers


def test_folders_are_found_by_role(world):
    folders = world.mailbox().folders()
    assert (folders.inbox, folders.sent, folders.drafts) == ("INBOX", "Sent", "Drafts")


def test_the_profile_says_how_the_folders_were_found(world):
    profile = world.mailbox().profile()
    assert (profile.folders.sent, profile.folders.drafts) == ("Sent", "Drafts")
    # The test Dovecot marks Sent and Drafts with SPECIAL-USE; a Maildir has no such flags.
    how = "special-use" if world.kind == "imap" else "usual name"
    assert profile.kind == world.kind and dict(profile.found) == {"sent": how, "drafts": how}
    if world.kind == "imap":
        assert {"IDLE", "UIDPLUS", "SPECIAL-USE"} <= profile.capabilities
        assert profile.condstore and profile.signed_in_with == "LOGIN"


def test_a_first_scan_sees_every_message_with_its_header_and_flags(world):
    world.deliver("Sent", invoice_email(subject="Factura 1"), flags=("\\Seen", "$Paid"))
    world.deliver("Sent", plain_email(sender="a@x.example", to="b@y.example", subject="Hola"), flags=())
    mailbox = world.mailbox()
    scan, headers = scan_all(mailbox, "Sent")
    assert scan.reset
    subjects = {parse_header(h.header).subject: h.flags for h in headers}
    assert set(subjects) == {"Factura 1", "Hola"}
    assert "$Paid" in subjects["Factura 1"] and "\\Seen" in subjects["Factura 1"]
    assert "\\Seen" not in subjects["Hola"]


def test_an_incremental_scan_sees_only_what_is_new(world):
    world.deliver("Sent", plain_email(sender="a@x.example", to="b@y.example", subject="one"))
    mailbox = world.mailbox()
    first, _ = scan_all(mailbox, "Sent")
    again, headers = scan_all(mailbox, "Sent", first.checkpoint)
    assert not again.reset and headers == []
    world.deliver("Sent", plain_email(sender="a@x.example", to="b@y.example", subject="two"))
    _, headers = scan_all(world.mailbox(), "Sent", again.checkpoint)
    assert [parse_header(h.header).subject for h in headers] == ["two"]


def test_flag_changes_of_watched_messages_are_reported(world):
    data = invoice_email(message_id="<watched@x>")
    world.deliver("Sent", data)
    world.deliver("Sent", invoice_email(message_id="<other@x>"))
    mailbox = world.mailbox()
    first, headers = scan_all(mailbox, "Sent")
    uid = next(h.uid for h in headers if parse_header(h.header).message_id == "<watched@x>")
    world.tag("Sent", "<watched@x>", "$Paid")
    world.tag("Sent", "<other@x>", "$Paid")
    second = world.mailbox().scan("Sent", first.checkpoint, watch=[uid])
    assert [(u, "$Paid" in flags) for u, flags in second.flag_changes] == [(uid, True)]


def test_fetch_returns_the_message_as_stored_and_reading_marks_nothing_seen(world):
    data = invoice_email()
    world.deliver("Sent", data, flags=())
    mailbox = world.mailbox()
    _, headers = scan_all(mailbox, "Sent")
    ((_, fetched),) = list(mailbox.fetch("Sent", [headers[0].uid]))
    assert fetched.replace(b"\r\n", b"\n") == data.replace(b"\r\n", b"\n")
    mailbox.close()
    ((flags, _),) = world.messages("Sent")
    assert "\\Seen" not in flags


def test_append_adds_a_draft_that_search_finds_by_header(world):
    draft = plain_email(
        sender="me@x.example",
        to="c@y.example",
        subject="Re: Factura",
        X_Freelance_Assistant_Key="invoice/a/1/first",
    )
    mailbox = world.mailbox()
    uid = mailbox.append("Drafts", draft, flags=("\\Draft",), when=datetime(2026, 3, 17, 9, tzinfo=TZ))
    assert uid is not None
    assert mailbox.search_header("Drafts", "X-Freelance-Assistant-Key", "invoice/a/1/first") == [uid]
    assert mailbox.search_header("Drafts", "X-Freelance-Assistant-Key", "invoice/a/1/second") == []
    ((flags, data),) = world.messages("Drafts")
    assert "\\Draft" in flags
    assert parsed(data)["Subject"] == "Re: Factura"


def test_a_first_scan_can_be_bounded_by_a_lookback_date(world):
    today = date.today()
    old = datetime.combine(today - timedelta(days=400), datetime.min.time(), tzinfo=TZ)
    world.deliver("Sent", plain_email(sender="a@x.example", to="b@y.example", subject="old"), when=old)
    # Dated by the test, not by the server's clock: the test names its own today.
    recent = datetime.combine(today - timedelta(days=1), datetime.min.time(), tzinfo=TZ)
    world.deliver("Sent", plain_email(sender="a@x.example", to="b@y.example", subject="recent"), when=recent)
    _, headers = scan_all(world.mailbox(), "Sent", since=today - timedelta(days=30))
    assert [parse_header(h.header).subject for h in headers] == ["recent"]


def test_reading_bodies_and_writing_between_header_batches_loses_nothing(world, monkeypatch):
    """The engine fetches the bodies of one header batch's candidates, and may append a
    draft, before it reads the next batch: over IMAP, header FETCHes are already on the
    wire by then. Small batches make a dozen messages span many of them."""
    from assistant.adapters import imap

    monkeypatch.setattr(imap, "HEADER_BATCH", 2)
    monkeypatch.setattr(imap, "BODY_BATCH", 1)
    sent = {f"<m{i}@x>": invoice_email(message_id=f"<m{i}@x>", subject=f"Factura {i}") for i in range(11)}
    for data in sent.values():
        world.deliver("Sent", data)
    sent = {key: data.replace(b"\r\n", b"\n") for key, data in sent.items()}
    mailbox = world.mailbox()
    drafts = mailbox.folders().drafts
    seen: dict[str, bytes] = {}
    batches = 0
    for batch in mailbox.scan("Sent", None).batches:
        batches += 1
        for _, data in mailbox.fetch("Sent", [h.uid for h in batch]):
            seen[parse_header(data).message_id] = data.replace(b"\r\n", b"\n")
        draft = plain_email(sender="me@x.example", to="c@y.example", subject=f"draft {batches}")
        mailbox.append(drafts, draft, flags=("\\Draft",), when=datetime(2026, 4, 1, tzinfo=TZ))
        assert mailbox.search_header("Sent", "Message-ID", "<m0@x>")
    assert seen == sent
    assert len(world.messages("Drafts")) == batches
    if world.kind == "imap":
        assert batches == 6


# ----------------------------------------------------------------------------- withdraw


def _our_draft(mailbox, key="invoice/a/1/first"):
    draft = plain_email(
        sender="me@x.example", to="c@y.example", subject="Re: Factura 1", X_Freelance_Assistant_Key=key
    )
    uid = mailbox.append(
        "Drafts", draft, flags=("\\Draft", "\\Seen"), when=datetime(2026, 3, 17, 9, tzinfo=TZ)
    )
    return uid, draft_sha256(draft)


def test_withdraw_removes_our_untouched_draft_and_nothing_else(world):
    # Her own draft, and one of hers she marked deleted but did not expunge: both must stay.
    world.deliver(
        "Drafts", plain_email(sender="me@x.example", to="z@y.example", subject="mine"), flags=("\\Draft",)
    )
    world.deliver(
        "Drafts",
        plain_email(sender="me@x.example", to="z@y.example", subject="marked deleted"),
        flags=("\\Draft", "\\Deleted"),
    )
    mailbox = world.mailbox()
    uid, sha = _our_draft(mailbox)
    other, _ = _our_draft(mailbox, key="invoice/a/2/first")
    assert mailbox.withdraw("Drafts", uid, sha256=sha) is WithdrawOutcome.WITHDRAWN
    assert mailbox.search_header("Drafts", "X-Freelance-Assistant-Key", "invoice/a/1/first") == []
    assert mailbox.search_header("Drafts", "X-Freelance-Assistant-Key", "invoice/a/2/first") == [other]
    mailbox.close()
    left = sorted(parsed(data)["Subject"] for _, data in world.messages("Drafts"))
    assert left == ["Re: Factura 1", "marked deleted", "mine"]
    # Withdrawing again finds nothing to remove.
    assert world.mailbox().withdraw("Drafts", uid, sha256=sha) is WithdrawOutcome.GONE


def test_withdraw_leaves_a_draft_with_other_bytes_or_no_longer_a_draft(world):
    mailbox = world.mailbox()
    uid, sha = _our_draft(mailbox)
    edited = draft_sha256(b"Subject: Re: Factura 1\n\nsomething she wrote\n")
    assert mailbox.withdraw("Drafts", uid, sha256=edited) is WithdrawOutcome.CHANGED
    mailbox.close()
    ((_, data),) = world.messages("Drafts")
    world.tag("Drafts", parsed(data)["Message-ID"], "\\Draft", present=False)
    assert world.mailbox().withdraw("Drafts", uid, sha256=sha) is WithdrawOutcome.CHANGED
    assert len(world.messages("Drafts")) == 1


def test_withdraw_without_uidplus_leaves_the_draft(world, monkeypatch):
    mailbox = world.mailbox()
    uid, sha = _our_draft(mailbox)
    if world.kind != "imap":
        assert mailbox.withdraw("Drafts", uid, sha256=sha) is WithdrawOutcome.WITHDRAWN
        return
    mailbox.folders()  # signs in: the capabilities are known
    monkeypatch.setattr(mailbox, "_capabilities", mailbox._capabilities - {"UIDPLUS"})
    assert mailbox.withdraw("Drafts", uid, sha256=sha) is WithdrawOutcome.UNSUPPORTED
    mailbox.close()
    ((flags, _),) = world.messages("Drafts")
    assert "\\Deleted" not in flags
