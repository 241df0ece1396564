"""What comes back from clients: payments, auto-replies, disputes, promises, deliverables.

Scenarios in Spanish, English and Dutch, each against a real Dovecot and a Maildir.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from assistant.adapters.parse import parse_mail
from assistant.domain.compose import key_of
from assistant.domain.digest import invoice_todos
from assistant.domain.model import DeliverableStatus, InvoiceStatus
from tests.support.freelancer import INVOICE_ID, send_invoice
from tests.support.layouts import LAYOUTS, Person, Quoted, reply_message
from tests.support.world import at, invoice_email


def reply(
    *,
    sender: str,
    subject: str,
    body: str,
    day: date,
    in_reply_to: str = INVOICE_ID,
    **headers: str,
) -> bytes:
    """A client's reply as it lands in the freelancer's INBOX."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "Lucía Romero <lucia@freelancer.example>"
    message["Subject"] = subject
    message["Date"] = format_datetime(at(day, 9))
    message["Message-ID"] = make_msgid(domain="client.example")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes()


def english_invoice(world):
    from assistant.demo import invoice_pdf

    data = invoice_email(
        to="Oliver Hughes <oliver@bright.example>",
        subject="Invoice INV-0042",
        body="Hi Oliver,\n\nPlease find attached invoice INV-0042.\n\nAmount due: £2,400.00\n",
        filename="invoice-INV-0042.pdf",
        pdf=invoice_pdf(["INVOICE INV-0042"]),
        sent=at(date(2026, 3, 2)),
        message_id=INVOICE_ID,
    )
    world.deliver("Sent", data, when=at(date(2026, 3, 2)))  # net 30: due 1 April


def dutch_invoice(world):
    from assistant.demo import invoice_pdf

    data = invoice_email(
        to="Sanne de Vries <sanne@tulp.example>",
        subject="Factuur 2026-017",
        body="Beste Sanne,\n\nHierbij factuur 2026-017.\n\nTe betalen: € 850,00\n",
        filename="Factuur 2026-017.pdf",
        pdf=invoice_pdf(["FACTUUR 2026-017"]),
        sent=at(date(2026, 3, 2)),
        message_id=INVOICE_ID,
    )
    world.deliver("Sent", data, when=at(date(2026, 3, 2)))  # due 16 March


def status_of(me, client, number):
    with me.store() as store:
        return store.invoice(client, number)


# --------------------------------------------------------------------------- invoices


def test_a_spanish_paid_reply_stops_the_ladder(world, me):
    send_invoice(world)
    me.run(date(2026, 3, 17))
    me.send_drafts(date(2026, 3, 17))
    world.deliver(
        "INBOX",
        reply(
            sender="Marta López <marta@acme.example>",
            subject="Re: Factura 2026-001",
            body="Hola Lucía:\n\nYa hemos realizado la transferencia esta mañana.\n\nUn saludo,\nMarta\n",
            day=date(2026, 3, 18),
        ),
    )
    report = me.run(date(2026, 3, 30))
    assert report.drafted == [] and report.paid == []  # not chased, and not taken for paid either
    assert any("claimed (the client says it was paid; not chased, unconfirmed" in c for c in report.changes)
    invoice = status_of(me, "acme", "2026-001")
    assert invoice.status is InvoiceStatus.CLAIMED and invoice.paid_via == "client"
    assert invoice.paid_on == date(2026, 3, 18)


def test_a_clients_paid_stays_unconfirmed_until_the_money_is_seen_then_becomes_a_todo(
    world, me, capsys, monkeypatch
):
    from assistant import cli
    from tests.support.world import at

    monkeypatch.setattr(cli, "_now", lambda: at(date(2026, 3, 29), 9))  # eleven days after the claim

    send_invoice(world)
    world.deliver(
        "INBOX",
        reply(
            sender="Marta López <marta@acme.example>",
            subject="Re: Factura 2026-001",
            body="Hola Lucía:\n\nYa está pagada.\n\nMarta\n",
            day=date(2026, 3, 18),
        ),
    )
    me.run(date(2026, 3, 20))
    path = str(me.config.path)
    capsys.readouterr()
    assert cli.main(["status", "--config", path, "--json"]) == 0
    import json

    document = json.loads(capsys.readouterr().out)
    (client,) = [c for a in document["accounts"] for c in a["clients"] if c["id"] == "acme"]
    assert [i["state"] for i in client["invoices"]] == ["claimed"]
    # Eleven days after the claim, nothing confirmed it: a to-do.
    assert [t["ref"] for t in client["todos"] if t["kind"] == "confirm-payment"] == ["2026-001"]
    assert cli.main(["status", "--config", path]) == 0
    out = capsys.readouterr().out
    assert "the client says it is paid" in out and "UNCONFIRMED" in out
    assert "Check your bank for invoice 2026-001" in out and "mark-paid 2026-001" in out
    # A payment notification confirms it: paid at last.
    world.deliver(
        "INBOX",
        reply(
            sender="PayPal <service@paypal.es>",
            subject="Has recibido un pago de ACME Soluciones",
            body="Has recibido 1.210,00 EUR de ACME Soluciones S.L.\nNota: factura 2026-001\n",
            day=date(2026, 3, 30),
            in_reply_to="",
        ),
    )
    report = me.run(date(2026, 3, 31))
    assert [i.key for i in report.paid] == ["acme/2026-001"]
    assert status_of(me, "acme", "2026-001").status is InvoiceStatus.PAID


def test_an_out_of_office_reply_does_not_stop_the_ladder(world, me):
    english_invoice(world)
    world.deliver(
        "INBOX",
        reply(
            sender="Oliver Hughes <oliver@bright.example>",
            subject="Automatic reply: Invoice INV-0042",
            body="I am out of the office until Monday. We have paid all invoices due this week.\n",
            day=date(2026, 3, 20),
            Auto_Submitted="auto-replied",
        ),
    )
    report = me.run(date(2026, 4, 2))
    assert report.paid == []
    ((_, draft),) = me.drafts()
    assert key_of(draft) == "invoice/bright/INV-0042/first-reminder"
    with me.store() as store:
        events = [e.event for e in store.history("invoice/bright/INV-0042")]
    assert "automatic reply" in events


def test_a_dutch_dispute_pauses_with_the_clients_words(world, me):
    dutch_invoice(world)
    world.deliver(
        "INBOX",
        reply(
            sender="Sanne de Vries <sanne@tulp.example>",
            subject="Re: Factuur 2026-017",
            body="Beste Lucía,\n\nHet bedrag klopt niet: we hadden 700 euro afgesproken.\n\nGroet,\nSanne\n",
            day=date(2026, 3, 20),
        ),
    )
    report = me.run(date(2026, 4, 15))
    assert report.drafted == []
    invoice = status_of(me, "tulp", "2026-017")
    assert invoice.status is InvoiceStatus.DISPUTED
    assert "Het bedrag klopt niet" in invoice.hold_note


def test_a_promise_pauses_until_the_promised_day_and_a_grace_day(world, me):
    send_invoice(world)
    world.deliver(
        "INBOX",
        reply(
            sender="Marta López <marta@acme.example>",
            subject="Re: Factura 2026-001",
            body="Hola Lucía, disculpa el retraso. Pagaremos el viernes sin falta.\n",
            day=date(2026, 3, 18),  # a Wednesday: "el viernes" is 20 March
        ),
    )
    assert me.run(date(2026, 3, 19)).drafted == []
    invoice = status_of(me, "acme", "2026-001")
    assert invoice.status is InvoiceStatus.PROMISED and invoice.hold_until == date(2026, 3, 21)
    assert me.run(date(2026, 3, 21)).drafted == []
    report = me.run(date(2026, 3, 22))
    assert [d.key for d in report.drafted] == ["invoice/acme/2026-001/first-reminder"]
    assert status_of(me, "acme", "2026-001").status is InvoiceStatus.OPEN


def test_an_english_promise_with_a_date(world, me):
    english_invoice(world)
    world.deliver(
        "INBOX",
        reply(
            sender="accounts@bright-billing.example",  # another address of the client
            subject="Re: Invoice INV-0042",
            body="Hello, we will pay on 20 April, as agreed with Oliver.\n",
            day=date(2026, 4, 3),
        ),
    )
    me.run(date(2026, 4, 10))
    invoice = status_of(me, "bright", "INV-0042")
    assert invoice.status is InvoiceStatus.PROMISED and invoice.hold_until == date(2026, 4, 21)


def test_a_reply_that_only_names_the_invoice_number_counts(world, me):
    send_invoice(world)
    world.deliver(
        "INBOX",
        reply(
            sender="Contabilidad <contabilidad@acme.example>",
            subject="Pagos de marzo",
            body="Buenos días, la factura 2026-001 ya está pagada.\n",
            day=date(2026, 3, 18),
            in_reply_to="",
        ),
    )
    me.run(date(2026, 3, 20))
    assert status_of(me, "acme", "2026-001").status is InvoiceStatus.CLAIMED


def test_the_reminder_quoted_in_a_reply_is_not_the_clients_word(world, me):
    send_invoice(world)
    me.run(date(2026, 3, 17))
    me.send_drafts(date(2026, 3, 17))
    (_, sent) = world.messages("Sent")[-1]
    quoted = "\n".join("> " + line for line in sent.decode("utf-8", "replace").splitlines())
    world.deliver(
        "INBOX",
        reply(
            sender="Marta López <marta@acme.example>",
            subject="Re: Factura 2026-001",
            body=f"Lo miro con contabilidad.\n\nEl mar, 17 mar 2026, Lucía escribió:\n{quoted}\n",
            day=date(2026, 3, 18),
        ),
    )
    me.run(date(2026, 3, 19))
    assert status_of(me, "acme", "2026-001").status is InvoiceStatus.OPEN


def test_a_payment_notification_settles_by_number_and_a_partial_one_leaves_the_rest(world, me):
    send_invoice(world)
    notice = reply(
        sender="PayPal <service@paypal.es>",
        subject="Has recibido un pago de ACME Soluciones",
        body="Has recibido 500,00 EUR de ACME Soluciones S.L.\nNota: factura 2026-001\n",
        day=date(2026, 3, 18),
        in_reply_to="",
    )
    world.deliver("INBOX", notice)
    me.run(date(2026, 3, 19))
    invoice = status_of(me, "acme", "2026-001")
    assert invoice.status is InvoiceStatus.OPEN and str(invoice.outstanding.amount) == "710.00"
    me.run(date(2026, 3, 19), hour=12)  # reading it again counts nothing twice
    assert str(status_of(me, "acme", "2026-001").outstanding.amount) == "710.00"
    ((_, draft),) = me.drafts()  # the first reminder asks only for the rest
    body = draft.get_body(("plain",)).get_content()
    assert "Recibido: 500,00\xa0€" in body and "Pendiente: 710,00\xa0€" in body
    me.send_drafts(date(2026, 3, 19))
    report = me.run(date(2026, 3, 23))
    assert [d.key for d in report.drafted] == ["invoice/acme/2026-001/second-reminder"]
    ((_, draft),) = me.drafts()
    assert "quedan pendientes 710,00\xa0€" in draft.get_body(("plain",)).get_content()


# --------------------------------------------------------------------------- deliverables

DELIVERY_ID = "<delivery@freelancer.example>"


def send_deliverable(world, day: date):
    message = EmailMessage()
    message["From"] = "Lucía Romero <lucia@freelancer.example>"
    message["To"] = "Marta López <marta@acme.example>"
    message["Subject"] = "Propuesta de diseño v2"
    message["Date"] = format_datetime(at(day, 17))
    message["Message-ID"] = DELIVERY_ID
    message.set_content(
        "Hola Marta:\n\nAquí tienes la nueva versión: https://www.figma.com/file/abc/portada-v2\n"
    )
    world.deliver("Sent", message.as_bytes(), when=at(day, 17))


def test_a_deliverable_answered_on_day_two_gets_no_follow_up(world, me):
    send_deliverable(world, date(2026, 4, 2))
    world.deliver(
        "INBOX",
        reply(
            sender="Marta López <marta@acme.example>",
            subject="Re: Propuesta de diseño v2",
            body="¡Gracias! Lo reviso con el equipo y te digo algo.\n",
            day=date(2026, 4, 6),
            in_reply_to=DELIVERY_ID,
        ),
    )
    report = me.run(date(2026, 4, 20))
    assert report.drafted == []
    with me.store() as store:
        (deliverable,) = store.deliverables()
    assert deliverable.status is DeliverableStatus.ANSWERED


def test_an_unanswered_deliverable_is_followed_up_on_the_right_business_day_across_a_holiday(world, me):
    send_deliverable(world, date(2026, 4, 2))  # Thursday; Friday 3 April is Good Friday in Spain
    assert me.run(date(2026, 4, 7)).drafted == []  # Mon 6 and Tue 7 are business days 1 and 2
    report = me.run(date(2026, 4, 8))  # business day 3
    (draft,) = report.drafted
    assert draft.key.startswith("deliverable/acme/d") and draft.key.endswith("/feedback-request")
    ((_, message),) = me.drafts()
    assert message["In-Reply-To"] == DELIVERY_ID and message["Subject"] == "Re: Propuesta de diseño v2"
    body = message.get_body(("plain",)).get_content()
    assert "llamada" in body and "2 de abril de 2026" in body


def test_an_auto_reply_to_a_deliverable_is_not_an_answer(world, me):
    send_deliverable(world, date(2026, 4, 2))
    world.deliver(
        "INBOX",
        reply(
            sender="Marta López <marta@acme.example>",
            subject="Fuera de la oficina: Propuesta de diseño v2",
            body="Estoy fuera hasta el lunes.\n",
            day=date(2026, 4, 3),
            in_reply_to=DELIVERY_ID,
        ),
    )
    assert len(me.run(date(2026, 4, 8)).drafted) == 1


def test_an_approved_deliverable_without_an_invoice_becomes_a_to_do_until_invoiced(world, me):
    send_deliverable(world, date(2026, 4, 2))
    world.deliver(
        "INBOX",
        reply(
            sender="Marta López <marta@acme.example>",
            subject="Re: Propuesta de diseño v2",
            body="Está perfecta, aprobado. ¡Gracias!\n",
            day=date(2026, 4, 6),
            in_reply_to=DELIVERY_ID,
        ),
    )
    me.run(date(2026, 4, 8))
    with me.store() as store:
        approved = store.deliverables(DeliverableStatus.APPROVED)
    assert [d.status for d in approved] == [DeliverableStatus.APPROVED]
    assert invoice_todos(approved, 24, at(date(2026, 4, 8))) == approved
    world.deliver(
        "Sent",
        invoice_email(subject="Factura 2026-014", sent=at(date(2026, 4, 9)), message_id="<inv-14@x>"),
        when=at(date(2026, 4, 9)),
    )
    me.run(date(2026, 4, 10))
    with me.store() as store:
        (deliverable,) = store.deliverables()
    assert deliverable.status is DeliverableStatus.INVOICED and deliverable.invoice_number == "2026-014"


# --------------------------------------------------------------------------- replies as mail clients lay them out


def _answering_our_first_reminder(world, me, language: str) -> Quoted:
    """The first reminder drafted, sent by the freelancer, and the message a client answers."""
    me.run(date(2026, 3, 17))
    me.send_drafts(date(2026, 3, 17))
    (_, sent) = world.messages("Sent")[-1]
    mail = parse_mail(sent, uid=1)
    return Quoted(
        sender=Person(name="Lucía Romero", email="lucia@freelancer.example"),
        to=CLIENT_OF[language],
        sent=at(date(2026, 3, 17)),
        subject=mail.header.subject,
        text=mail.text,
        message_id=mail.header.message_id,
    )


CLIENT_OF = {
    "es": Person(name="Marta López", email="marta@acme.example"),
    "nl": Person(name="Sanne de Vries", email="sanne@tulp.example"),
}


def _client_replies(
    world, layout_name: str, own: str, quoted: Quoted, language: str, variant: int = 0
) -> None:
    layout = next(layout for layout in LAYOUTS if layout.name == layout_name)
    world.deliver(
        "INBOX",
        reply_message(
            layout, own, quoted, language, variant=variant, written=at(date(2026, 3, 18)),
            message_id=make_msgid(domain="client.example"),
        ),
    )  # fmt: skip


def _journal(me, item: str) -> list[tuple[str, str]]:
    with me.store() as store:
        return [(e.event, e.detail) for e in store.history(item)]


def test_a_resend_request_above_our_final_wording_in_outlook_is_not_paid(world, me):
    send_invoice(world)
    quoted = _answering_our_first_reminder(world, me, "es")
    assert "avíseme también cuando haya pagado" in quoted.text  # our wording, quoted back without ">"
    _client_replies(
        world,
        "outlook-desktop",
        "Hola Lucía:\n\n¿Me la puedes reenviar? No la encuentro.\n\nMarta",
        quoted,
        "es",
    )
    report = me.run(date(2026, 3, 19))
    assert report.paid == [] and status_of(me, "acme", "2026-001").status is InvoiceStatus.OPEN
    ((_, detail),) = [e for e in _journal(me, "invoice/acme/2026-001") if e[0] == "reply"]
    assert "asks for the invoice again: «¿Me la puedes reenviar?»" in detail


def test_a_dispute_written_below_the_quote_pauses_the_chase(world, me):
    send_invoice(world)
    quoted = _answering_our_first_reminder(world, me, "es")
    _client_replies(
        world,
        "thunderbird-bottom",
        "No estamos de acuerdo con el importe: eran 950 €.\n\nMarta",
        quoted,
        "es",
    )
    me.run(date(2026, 3, 19))
    invoice = status_of(me, "acme", "2026-001")
    assert invoice.status is InvoiceStatus.DISPUTED and "No estamos de acuerdo" in invoice.hold_note


def test_paid_and_disputed_in_one_html_reply_is_a_dispute(world, me):
    send_invoice(world)
    quoted = _answering_our_first_reminder(world, me, "es")
    own = "Hola Lucía:\n\nEsta factura ya la pagamos en febrero. Nos la estás cobrando dos veces, hay un error.\n\nMarta"
    _client_replies(world, "gmail-html", own, quoted, "es")
    report = me.run(date(2026, 3, 19))
    assert report.paid == [] and status_of(me, "acme", "2026-001").status is InvoiceStatus.DISPUTED
    journal = _journal(me, "invoice/acme/2026-001")
    assert ("disputed", "the client disputes it; talk to them (the same message says it was paid)") in journal
    assert (
        "reply",
        "also said: also says it was paid, not taken: «Esta factura ya la pagamos en febrero.»",
    ) in journal


def test_a_dutch_part_payment_with_the_amount_inside_the_sentence_over_ios(world, me):
    dutch_invoice(world)
    quoted = _answering_our_first_reminder(world, me, "nl")
    own = "Beste Lucía,\n\nWe hebben voorlopig het bedrag van € 300,00 gisteren via de bank overgemaakt.\n\nGroet,\nSanne"
    _client_replies(world, "apple-ios", own, quoted, "nl")
    me.run(date(2026, 3, 19))
    invoice = status_of(me, "tulp", "2026-017")
    assert invoice.status is InvoiceStatus.OPEN and invoice.paid_amount == Decimal("300.00")


def test_a_hand_written_absence_notice_is_no_answer(world, me):
    dutch_invoice(world)
    quoted = _answering_our_first_reminder(world, me, "nl")
    _client_replies(
        world, "zoho", "Beste,\n\nIk ben afwezig tot en met 30 maart.\n\nSanne de Vries", quoted, "nl"
    )
    me.run(date(2026, 3, 19))
    assert status_of(me, "tulp", "2026-017").status is InvoiceStatus.OPEN
    assert [event for event, _ in _journal(me, "invoice/tulp/2026-017")][-1] == "automatic reply"


def test_what_the_freelancer_wrote_in_the_thread_is_never_the_clients_even_pasted_without_marks(world, me):
    send_invoice(world)
    mine = EmailMessage()
    mine["From"] = "Lucía Romero <lucia@freelancer.example>"
    mine["To"] = "Marta López <marta@acme.example>"
    mine["Subject"] = "Re: Factura 2026-001"
    mine["Date"] = format_datetime(at(date(2026, 3, 10)))
    mine["Message-ID"] = "<her-own-words@freelancer.example>"
    mine["In-Reply-To"] = mine["References"] = INVOICE_ID
    mine.set_content(
        "Hola Marta:\n\nHay un error en la transferencia que recibí ayer: faltan 200 €.\n\nLucía\n"
    )
    world.deliver("Sent", mine.as_bytes(), when=at(date(2026, 3, 10)))
    world.deliver(
        "INBOX",
        reply(
            sender="Marta López <marta@acme.example>",
            subject="Re: Factura 2026-001",
            # A mobile app that pasted her message under the answer, with no heading and no ">".
            body="Vale, lo miro.\n\nHola Marta:\n\nHay un error en la transferencia que recibí ayer: faltan 200 €.\n",
            day=date(2026, 3, 11),
            in_reply_to="<her-own-words@freelancer.example>",
        ),
    )
    me.run(date(2026, 3, 12))
    assert status_of(me, "acme", "2026-001").status is InvoiceStatus.OPEN
