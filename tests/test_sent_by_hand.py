"""The ladder moves on what was really sent: reminders the freelancer wrote herself, and our
drafts sent from a mail client that dropped our headers. On IMAP and Maildir."""

from __future__ import annotations

from datetime import date

from assistant.domain.compose import KEY_HEADER, key_of
from tests.support.freelancer import INVOICE_ID, PDF_LINES, send_invoice
from tests.support.mailboxes import parsed
from tests.support.world import at, invoice_email


def her_reminder(day: date, body: str, *, pdf: bytes | None = None) -> bytes:
    """A reminder written by hand in the invoice's thread, the invoice re-attached, as
    Thunderbird would put it in Sent."""
    return invoice_email(
        subject="Re: Factura 2026-001",
        body=body,
        sent=at(day, 18),
        pdf=pdf,
        pdf_lines=PDF_LINES,
        references=INVOICE_ID,
    ).replace(b"References:", b"In-Reply-To: " + INVOICE_ID.encode() + b"\nReferences:", 1)


def keys_of(me) -> list[str]:
    return sorted(key_of(d) for _, d in me.drafts())


def test_a_reminder_written_by_hand_before_installing_counts_and_is_never_a_new_invoice(world, me):
    pdf = send_invoice(world)  # due 16 March
    world.deliver(
        "Sent",
        her_reminder(date(2026, 3, 18), "Hola Marta:\n\n¿Has podido ver la factura? Te la adjunto otra vez.\n", pdf=pdf),
        when=at(date(2026, 3, 18), 18),
    )
    report = me.run(date(2026, 3, 20))  # the first scan after installing
    assert [i.number for i in report.invoices] == ["2026-001"]  # her reminder is not a second invoice
    assert report.drafted == []  # the first reminder was sent already, by her
    assert report.sent == ["invoice/acme/2026-001/first-reminder"]
    assert any("first-reminder: the freelancer chased by hand" in c for c in report.changes)
    # The next stage is the one after hers, on its day (due + 7).
    assert [d.key for d in me.run(date(2026, 3, 23)).drafted] == ["invoice/acme/2026-001/second-reminder"]
    with me.store() as store:
        assert len(store.invoices()) == 1


def test_a_message_in_the_thread_before_the_due_date_is_not_a_reminder(world, me):
    send_invoice(world)
    world.deliver(
        "Sent",
        her_reminder(date(2026, 3, 10), "Hola Marta:\n\nTe reenvío la factura, como me pediste.\n"),
        when=at(date(2026, 3, 10), 18),
    )
    report = me.run(date(2026, 3, 17))
    assert [d.key for d in report.drafted] == ["invoice/acme/2026-001/first-reminder"]


def test_our_draft_sent_from_a_client_that_drops_our_headers_moves_the_ladder(world, me):
    send_invoice(world)
    me.run(date(2026, 3, 17))
    ((_, draft),) = me.drafts()
    # Webmail sends the draft as a new message: new Message-ID, no header of ours.
    sent = parsed(draft.as_bytes())
    del sent[KEY_HEADER]
    del sent["Message-ID"]
    sent["Message-ID"] = "<webmail-123@mail.example>"
    world.deliver("Sent", sent.as_bytes(), when=at(date(2026, 3, 18), 9))
    world.delete("Drafts", draft["Message-ID"])
    report = me.run(date(2026, 3, 19))
    assert report.sent == ["invoice/acme/2026-001/first-reminder"] and report.invoices == []
    assert [d.key for d in me.run(date(2026, 3, 23)).drafted] == ["invoice/acme/2026-001/second-reminder"]
    assert keys_of(me) == ["invoice/acme/2026-001/second-reminder"]
