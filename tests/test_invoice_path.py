"""The invoice path end to end: an invoice in Sent -> one threaded reminder draft in Drafts.

Every test runs twice: against a real Dovecot over IMAPS and against a Maildir.
"""

from __future__ import annotations

from datetime import date

from assistant.domain.compose import KEY_HEADER
from assistant.domain.model import InvoiceStatus
from assistant.engine import mark_paid
from tests.support.freelancer import PDF_LINES, Freelancer, send_invoice
from tests.support.world import at, invoice_email, plain_email
from tests.test_compose import SEED_ES


def test_an_overdue_invoice_yields_exactly_one_threaded_draft_with_the_pdf(world, me):
    pdf = send_invoice(world)
    report = me.run(date(2026, 3, 17))
    assert [i.key for i in report.invoices] == ["acme/2026-001"]
    assert report.invoices[0].due_date == date(2026, 3, 16)
    ((draft_flags, draft),) = me.drafts()
    assert "\\Draft" in draft_flags and "\\Seen" in draft_flags  # a draft is not unread mail
    # In the freelancer's time zone (Madrid, +0100 in March), as their own mail client writes it.
    assert draft["Date"].endswith(" +0100")
    assert draft["From"] == "Lucía Romero <lucia@freelancer.example>"
    assert draft["To"] == "Marta López <marta@acme.example>"
    assert draft["Subject"] == "Re: Factura 2026-001"
    assert draft["In-Reply-To"] == "<inv-2026-001@freelancer.example>"
    assert draft["References"] == "<inv-2026-001@freelancer.example>"
    assert draft[KEY_HEADER] == "invoice/acme/2026-001/first-reminder"
    body = draft.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert SEED_ES in body
    assert "Importe: 1.210,00\xa0€" in body and "Vencimiento: 16 de marzo de 2026" in body
    (attachment,) = list(draft.iter_attachments())
    assert attachment.get_filename() == "Factura_2026-001.pdf"
    assert attachment.get_content() == pdf


def test_a_second_pass_adds_nothing(world, me):
    send_invoice(world)
    me.run(date(2026, 3, 17))
    again = me.run(date(2026, 3, 17), hour=18)
    assert again.drafted == [] and again.invoices == []
    assert len(me.drafts()) == 1


def test_nothing_is_drafted_before_the_first_stage(world, me):
    send_invoice(world)
    report = me.run(date(2026, 3, 16))
    assert len(report.invoices) == 1 and report.drafted == []
    assert me.drafts() == []


def test_a_draft_the_freelancer_deleted_is_not_recreated(world, me):
    send_invoice(world)
    me.run(date(2026, 3, 17))
    ((_, draft),) = me.drafts()
    world.delete("Drafts", draft["Message-ID"])
    report = me.run(date(2026, 3, 18))
    assert report.drafted == [] and me.drafts() == []


def test_the_paid_tag_stops_the_chase(world, me):
    send_invoice(world)
    me.run(date(2026, 3, 10))
    world.tag("Sent", "<inv-2026-001@freelancer.example>", "$Paid")
    report = me.run(date(2026, 3, 17))
    assert [i.key for i in report.paid] == ["acme/2026-001"]
    assert report.drafted == [] and me.drafts() == []
    with me.store() as store:
        invoice = store.invoice("acme", "2026-001")
    assert invoice.status is InvoiceStatus.PAID and invoice.paid_via == "keyword"


def test_an_invoice_already_tagged_paid_when_first_seen_is_never_chased(world, me):
    from assistant.demo import invoice_pdf

    data = invoice_email(sent=at(date(2026, 3, 2)), pdf=invoice_pdf(list(PDF_LINES)), message_id="<paid@x>")
    world.deliver("Sent", data, flags=("\\Seen", "$Paid"))
    report = me.run(date(2026, 4, 30))
    assert report.drafted == [] and [i.key for i in report.paid] == ["acme/2026-001"]


def test_removing_the_paid_tag_resumes_the_chase(world, me):
    send_invoice(world)
    world.tag("Sent", "<inv-2026-001@freelancer.example>", "$Paid")
    me.run(date(2026, 3, 10))
    world.tag("Sent", "<inv-2026-001@freelancer.example>", "$Paid", present=False)
    report = me.run(date(2026, 3, 17))
    assert [i.key for i in report.reopened] == ["acme/2026-001"]
    assert len(me.drafts()) == 1


def test_mark_paid_on_the_command_line_stops_the_chase(world, me):
    send_invoice(world)
    me.run(date(2026, 3, 10))
    with me.store() as store:
        mark_paid(store, "2026-001", client=None, on=date(2026, 3, 12), now=at(date(2026, 3, 12)))
    assert me.run(date(2026, 3, 30)).drafted == []
    assert me.drafts() == []


def test_missed_stages_become_one_catch_up_draft(world, me):
    send_invoice(world)
    report = me.run(date(2026, 4, 10))
    (reminder,) = report.planned
    assert reminder.stage.name == "final-notice" and reminder.skipped == ("first-reminder", "second-reminder")
    ((_, draft),) = me.drafts()
    assert draft[KEY_HEADER] == "invoice/acme/2026-001/final-notice"
    assert "Ley 3/2004" in draft.get_body(("plain",)).get_content()


def test_the_ladder_climbs_one_stage_per_due_date_as_reminders_are_sent(world, me):
    send_invoice(world)
    keys = []
    for day in (date(2026, 3, 17), date(2026, 3, 23), date(2026, 4, 6)):
        report = me.run(day)
        keys += [d.key for d in report.drafted]
        me.send_drafts(day)
    assert keys == [
        "invoice/acme/2026-001/first-reminder",
        "invoice/acme/2026-001/second-reminder",
        "invoice/acme/2026-001/final-notice",
    ]
    report = me.run(date(2026, 4, 7))
    assert report.sent == ["invoice/acme/2026-001/final-notice"] and report.drafted == []


def test_an_unsent_reminder_is_not_duplicated_and_holds_the_next_stage(world, me):
    send_invoice(world)
    me.run(date(2026, 3, 17))
    for day in (date(2026, 3, 23), date(2026, 4, 6), date(2026, 5, 1)):
        assert me.run(day).drafted == []
    ((_, draft),) = me.drafts()
    assert draft[KEY_HEADER] == "invoice/acme/2026-001/first-reminder"


def test_mail_that_is_not_an_invoice_to_a_client_is_left_alone(world, me):
    world.deliver("Sent", invoice_email(to="Pablo <pablo@friends.example>", message_id="<friend@x>"))
    world.deliver("Sent", invoice_email(pdf_lines=(), message_id="<nopdf@x>"))
    world.deliver(
        "Sent", plain_email(sender="me@x.example", to="marta@acme.example", subject="Avance del proyecto")
    )
    report = me.run(date(2026, 4, 10))
    assert report.candidates == 2 and report.invoices == [] and me.drafts() == []


def test_a_dry_run_changes_neither_the_mailbox_nor_the_state(world, me):
    send_invoice(world)
    report = me.run(date(2026, 3, 17), dry_run=True)
    assert [d.key for d in report.composed] == ["invoice/acme/2026-001/first-reminder"]
    assert me.drafts() == []
    real = me.run(date(2026, 3, 17))
    assert [i.key for i in real.invoices] == ["acme/2026-001"]  # the dry run stored nothing
    assert len(me.drafts()) == 1


def test_an_interrupted_append_is_finished_once(world, me):
    """A crash after claiming the key: with the draft in Drafts, or without it."""
    send_invoice(world)
    me.run(date(2026, 3, 16))
    with me.store() as store:
        store.add_pending(
            key="invoice/acme/2026-001/first-reminder",
            kind="reminder",
            message_id="<x@y>",
            subject="Re: Factura 2026-001",
            recipient="marta@acme.example",
            folder="Drafts",
            at=at(date(2026, 3, 17)),
        )
    me.run(date(2026, 3, 17))  # the draft never reached Drafts: the key is released and drafted
    assert len(me.drafts()) == 1
    with me.store() as store:
        store._db.execute("UPDATE outbox SET state = 'pending'")  # as if we died right after APPEND
    me.run(date(2026, 3, 17), hour=12)
    assert len(me.drafts()) == 1
    with me.store() as store:
        assert [e.state for e in store.outbox()] == ["drafted"]


def test_a_uidvalidity_change_causes_no_duplicate(dovecot, imap_user, tmp_path):
    from tests.support.mailboxes import ImapWorld

    world = ImapWorld(dovecot, imap_user)
    me = Freelancer(world, tmp_path / "config")
    send_invoice(world)
    me.run(date(2026, 3, 17))
    world.recreate("Sent")
    report = me.run(date(2026, 3, 17), hour=12)
    assert report.invoices == [] and report.drafted == []
    assert len(me.drafts()) == 1
    world.tag("Sent", "<inv-2026-001@freelancer.example>", "$Paid")  # the new UID is watched again
    report = me.run(date(2026, 3, 24))
    assert [i.key for i in report.paid] == ["acme/2026-001"] and len(me.drafts()) == 1
