"""The invoice path end to end: an invoice in Sent -> one threaded reminder draft in Drafts.

Every test runs twice: against a real Dovecot over IMAPS and against a Maildir.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from assistant.domain.compose import key_of
from assistant.domain.model import InvoiceStatus
from assistant.engine import mark_paid
from tests.support.freelancer import PDF_LINES, Freelancer, send_invoice
from tests.support.mailboxes import parsed
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
    assert key_of(draft) == "invoice/acme/2026-001/first-reminder"
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


def test_after_downtime_the_first_letter_is_the_first_reminder_and_the_ladder_climbs_from_it(world, me):
    send_invoice(world)
    report = me.run(date(2026, 4, 10))  # 25 days overdue, never chased
    (reminder,) = report.planned
    assert reminder.stage.name == "first-reminder"
    ((_, draft),) = me.drafts()
    assert key_of(draft) == "invoice/acme/2026-001/first-reminder"
    text = draft.get_body(("plain",)).get_content()
    assert "Estoy un poco preocupado" in text and "Ley 3/2004" not in text
    me.send_drafts(date(2026, 4, 10))
    assert me.run(date(2026, 4, 12)).drafted == []  # three days at least after what was sent
    assert [d.key for d in me.run(date(2026, 4, 13)).drafted] == ["invoice/acme/2026-001/second-reminder"]


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
    assert key_of(draft) == "invoice/acme/2026-001/first-reminder"


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
    assert [i.key for i in report.paid] == ["acme/2026-001"] and report.drafted == []
    # Paid after its reminder was drafted: the untouched draft is withdrawn, not written again.
    assert report.withdrawn == ["invoice/acme/2026-001/first-reminder"] and me.drafts() == []


# --------------------------------------------------------------------------- invoices as the tools write them


def _bench_sample(name: str):
    from bench.invoice_pdfs import samples

    return next(s for s in samples() if s.name == name)


def test_an_e_invoice_is_read_from_its_xml_and_the_pdf_is_re_attached(world, me):
    """Factur-X inside the PDF; the printed page says another number and total, and no dates."""
    sample = _bench_sample("factur-x-es-1")
    world.deliver("Sent", sample.email, when=at(sample.expected.issue_date))
    expected = sample.expected
    report = me.run(expected.due_date + timedelta(days=1))
    (invoice,) = report.invoices
    assert invoice.key == f"acme/{expected.number}"
    assert (invoice.amount.amount, invoice.amount.currency) == (expected.amount, "EUR")
    assert (invoice.issue_date, invoice.due_date) == (expected.issue_date, expected.due_date)
    with me.store() as store:
        stored = store.invoice("acme", expected.number)
    assert {source for _, source in stored.read_from} == {"e-invoice XML"}
    ((_, draft),) = me.drafts()
    (attachment,) = list(draft.iter_attachments())
    sent_pdf = next(parsed(sample.email).iter_attachments()).get_content()
    assert attachment.get_content_type() == "application/pdf" and attachment.get_content() == sent_pdf


def test_a_pdf_without_a_file_name_is_found_and_re_attached_under_one_name(world, me):
    from bench.invoice_pdfs import invoice_email as tool_email

    sample = _bench_sample("holded-es-1")
    pdf = next(p for p in parsed(sample.email).iter_attachments()).get_content()
    data = tool_email(
        language="es",
        pdf=pdf,
        filename="",
        subject="Factura de marzo",
        body="Te envío la factura de marzo.",
        sent=sample.expected.issue_date,
        message_id="<nameless@freelancer.example>",
        nameless=True,
    )
    assert b"filename" not in data
    world.deliver("Sent", data, when=at(sample.expected.issue_date))
    report = me.run(sample.expected.due_date + timedelta(days=1))
    (invoice,) = report.invoices
    assert invoice.key == f"acme/{sample.expected.number}" and invoice.amount.amount == sample.expected.amount
    assert invoice.attachment_name.startswith("attachment-") and invoice.attachment_name.endswith(".pdf")
    ((_, draft),) = me.drafts()
    (attachment,) = list(draft.iter_attachments())
    assert attachment.get_filename() == invoice.attachment_name and attachment.get_content() == pdf
    assert me.run(sample.expected.due_date + timedelta(days=1), hour=18).invoices == []  # the same key again


def test_invoices_in_the_layouts_of_the_tools_are_read_whole(world, me):
    """One invoice per layout (label right, label over value, totals tables, IRPF, terms
    only): each is keyed by its own number and carries its own total and due date."""
    from bench.invoice_pdfs import samples

    chosen = {}
    for sample in samples():
        chosen.setdefault(sample.tool, sample)
    for sample in chosen.values():
        world.deliver("Sent", sample.email, when=at(sample.expected.issue_date))
    report = me.run(max(s.expected.issue_date for s in chosen.values()) + timedelta(days=1))
    read = {i.number: (i.amount.amount, i.amount.currency, i.issue_date, i.due_date) for i in report.invoices}
    assert read == {
        s.expected.number: (
            s.expected.amount,
            s.expected.currency,
            s.expected.issue_date,
            s.expected.due_date,
        )
        for s in chosen.values()
    }
    assert len(chosen) >= 12


def test_check_summarises_what_the_last_invoices_in_sent_read_as(world, me, monkeypatch, capsys):
    from assistant import cli

    for name in ("holded-es-1", "moneybird-nl-1", "factur-x-en-2"):
        sample = _bench_sample(name)
        world.deliver("Sent", sample.email, when=at(sample.expected.issue_date))
    unreadable = invoice_email(
        subject="Factura",
        body="Adjunto la factura.\n",
        pdf_lines=("Gracias",),
        filename="doc.pdf",
        sent=at(date(2026, 6, 1)),
        message_id="<unreadable@freelancer.example>",
    )
    world.deliver("Sent", unreadable, when=at(date(2026, 6, 1)))
    monkeypatch.setattr(cli, "_now", lambda: at(date(2026, 7, 1)))
    assert cli.main(["check", "--config", str(me.config.path)]) == 0
    out = capsys.readouterr().out
    assert (
        "invoices: the last 4 in Sent: 3 numbers, 3 totals, 1 due date from terms, "
        "1 due date from the client's terms, 1 from e-invoice XML"
    ) in out
    assert "'Factura' <unreadable@freelancer.example>: no number, no total read" in out
    assert me.drafts() == []  # check reads; it writes nothing


def test_an_override_in_the_rules_fixes_an_invoice_already_read_and_its_reminder(world, me, tmp_path):
    from assistant.config import packaged_rules_dir

    send_invoice(world)  # its PDF says 1.210,00 €; say the freelancer really billed 1.331,00 €
    me.run(date(2026, 3, 10))
    shipped = (packaged_rules_dir() / "invoices.yaml").read_text(encoding="utf-8")
    fixed = shipped.replace(
        "overrides: []",
        "overrides:\n  - message_id: '<inv-2026-001@freelancer.example>'\n    amount: 1331.00\n    due_date: 2026-03-20\n",
    )
    me = Freelancer(world, tmp_path / "config", rules={"invoices.yaml": fixed})
    report = me.run(date(2026, 3, 17))
    assert report.drafted == []  # due on the 20th now, not the 16th
    assert any("acme/2026-001: corrected" in change for change in report.changes)
    with me.store() as store:
        invoice = store.invoice("acme", "2026-001")
    assert (invoice.amount.amount, invoice.due_date) == (Decimal("1331.00"), date(2026, 3, 20))
    assert invoice.source_of("amount") == "override" and invoice.source_of("number") == "subject"
    assert me.run(date(2026, 3, 18)).changes == []  # corrected once, not on every pass
    me.run(date(2026, 3, 21))
    ((_, draft),) = me.drafts()
    assert "1.331,00" in draft.get_body(("plain",)).get_content()
