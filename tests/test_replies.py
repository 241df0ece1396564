"""What comes back from clients: payments, auto-replies, disputes, promises, deliverables.

Scenarios in Spanish, English and Dutch, each against a real Dovecot and a Maildir.
"""

from __future__ import annotations

from datetime import date
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from assistant.domain.compose import key_of
from assistant.domain.digest import invoice_todos
from assistant.domain.model import DeliverableStatus, InvoiceStatus
from tests.support.freelancer import INVOICE_ID, send_invoice
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
    assert [i.key for i in report.paid] == ["acme/2026-001"] and report.drafted == []
    invoice = status_of(me, "acme", "2026-001")
    assert invoice.status is InvoiceStatus.PAID and invoice.paid_via == "client"


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
    report = me.run(date(2026, 3, 20))
    assert [i.key for i in report.paid] == ["acme/2026-001"]


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
