"""Chasing per client, one letter for all that is owed, and the notes before and after the ladder.

The planning is pure (``domain/ladder.py``) and tested with values; the drafts it leads
to are tested on a real Dovecot and on a Maildir (the `world` fixture).
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from decimal import Decimal
from email import message_from_bytes, policy
from zoneinfo import ZoneInfo

import pytest

from assistant.domain import compose, ladder
from assistant.domain.model import (
    Attachment,
    BeforeDueRule,
    Chasing,
    Client,
    Identity,
    Invoice,
    InvoiceStatus,
    Money,
    PaymentDetails,
    Stage,
    Statement,
    ThankYouRule,
)
from tests.support.freelancer import INVOICE_ID, Freelancer, send_invoice
from tests.support.world import CLIENTS_YAML, at, invoice_email

TZ = ZoneInfo("Europe/Madrid")
LADDER = (
    Stage(name="first-reminder", after_days=1, template="invoice-reminder-1"),
    Stage(name="second-reminder", after_days=7, template="invoice-reminder-2"),
    Stage(name="final-notice", after_days=21, template="invoice-final-notice"),
)
GENTLE = (
    Stage(name="first-reminder", after_days=7, template="invoice-reminder-1"),
    Stage(name="final-notice", after_days=30, template="invoice-final-notice"),
)
ACME = Client(id="acme", name="ACME", contact="Marta <marta@acme.example>", country="ES")
DUE = date(2026, 3, 16)


def invoice(
    number: str = "2026-001", amount: str | None = "1210", currency: str = "EUR", **changes
) -> Invoice:
    base = Invoice(
        client="acme",
        number=number,
        amount=Money(amount=Decimal(amount), currency=currency) if amount else None,
        issue_date=date(2026, 3, 2),
        due_date=DUE,
        message_id=f"<{number}@freelancer.example>",
        subject=f"Factura {number}",
        sent_at=datetime(2026, 3, 2, 10, tzinfo=TZ),
    )
    return dataclasses.replace(base, **changes)


def due(invoices, client: Client = ACME, today: date = DUE + timedelta(days=1), **kwargs):
    return ladder.due_reminders(invoices, LADDER, {"acme": client}, {}, today, **kwargs)


# --------------------------------------------------------------------------- chasing per client


def test_a_client_not_chased_gets_no_reminder():
    assert due([invoice()], dataclasses.replace(ACME, chase=False)) == []
    assert [r.key for r in due([invoice()])] == ["invoice/acme/2026-001/first-reminder"]


def test_an_invoice_owing_less_than_the_minimum_is_not_chased():
    small = invoice(amount="15")
    assert due([small], chasing=Chasing(min_amount={"EUR": Decimal(20)})) == []
    assert len(due([small], chasing=Chasing(min_amount={"GBP": Decimal(20)}))) == 1  # another currency
    # The client's own minimum wins over the default, both ways.
    assert len(due([small], dataclasses.replace(ACME, min_amount=Decimal(10)), chasing=Chasing(
        min_amount={"EUR": Decimal(20)}))) == 1  # fmt: skip
    assert due([small], dataclasses.replace(ACME, min_amount=Decimal(50))) == []
    # Partly paid: what is still owed counts.
    assert due([invoice(paid_amount=Decimal(1200))], dataclasses.replace(ACME, min_amount=Decimal(50))) == []
    # An amount nobody could read is chased: better a reminder than lost money.
    assert len(due([invoice(amount=None)], dataclasses.replace(ACME, min_amount=Decimal(50)))) == 1


def test_a_client_reminded_recently_waits_for_the_gap():
    today = DUE + timedelta(days=1)
    client = dataclasses.replace(ACME, min_gap_days=7)
    assert due([invoice()], client, today, last_reminded={"acme": today - timedelta(days=6)}) == []
    assert len(due([invoice()], client, today, last_reminded={"acme": today - timedelta(days=7)})) == 1
    # The default gap of escalation.yaml, when the client says nothing.
    waiting = due([invoice()], ACME, today, chasing=Chasing(min_gap_days=3), last_reminded={"acme": today})
    assert waiting == []


def test_with_a_gap_and_no_statement_only_one_reminder_goes_to_a_client_a_day():
    two = [invoice("2026-001"), invoice("2026-002")]
    separate = dataclasses.replace(ACME, min_gap_days=7, statement=False)
    assert [r.invoice.number for r in due(two, separate)] == ["2026-001"]
    together = dataclasses.replace(ACME, min_gap_days=7)  # they become one statement
    assert [r.invoice.number for r in due(two, together)] == ["2026-001", "2026-002"]


def test_a_client_with_its_own_ladder_is_chased_on_it():
    gentle = dataclasses.replace(ACME, ladder="gentle")
    ladders = {"gentle": GENTLE}
    assert due([invoice()], gentle, DUE + timedelta(days=6), ladders=ladders) == []
    (reminder,) = due([invoice()], gentle, DUE + timedelta(days=7), ladders=ladders)
    assert reminder.stage == GENTLE[0] and reminder.key == "invoice/acme/2026-001/first-reminder"


def test_the_last_reminder_day_per_client_comes_from_the_outbox():
    drafts = [
        ("invoice/acme/2026-001/first-reminder", datetime(2026, 3, 17, 9, tzinfo=TZ)),
        ("invoice/acme/2026-002/before-due", datetime(2026, 3, 20, 9, tzinfo=TZ)),  # not a reminder
        ("statement/bright/2026-03-18", datetime(2026, 3, 18, 23, 30, tzinfo=ZoneInfo("UTC"))),
        ("deliverable/acme/d1234567/feedback-request", datetime(2026, 3, 25, 9, tzinfo=TZ)),
        ("invoice/acme/2026-003/thank-you", datetime(2026, 3, 26, 9, tzinfo=TZ)),
    ]
    assert ladder.last_reminder_days(drafts, TZ) == {"acme": date(2026, 3, 17), "bright": date(2026, 3, 19)}


# --------------------------------------------------------------------------- one letter


def test_several_reminders_to_one_client_on_one_day_become_one_statement():
    older = invoice("2026-001", issue_date=date(2026, 2, 1), due_date=date(2026, 3, 8))
    newer = invoice("2026-007", amount="300", currency="USD")
    other = dataclasses.replace(invoice("B-1"), client="bright")
    clients = {"acme": ACME, "bright": dataclasses.replace(ACME, id="bright")}
    today = DUE + timedelta(days=1)
    chased_once = {"invoice/acme/2026-001/first-reminder": "sent"}  # the older one was reminded before
    reminders = ladder.due_reminders([newer, older, other], LADDER, clients, chased_once, today)
    grouped = ladder.group_statements(reminders, clients, LADDER, today)
    (statement,) = [g for g in grouped if isinstance(g, Statement)]
    assert statement.key == "statement/acme/2026-03-17"
    assert [r.invoice.number for r in statement.reminders] == ["2026-001", "2026-007"]  # oldest first
    assert statement.keys == ("invoice/acme/2026-001/second-reminder", "invoice/acme/2026-007/first-reminder")
    assert statement.firmest.invoice.number == "2026-001"
    assert (statement.first_stage, statement.final_stage) == ("first-reminder", "final-notice")
    assert [g.key for g in grouped if not isinstance(g, Statement)] == ["invoice/bright/B-1/first-reminder"]
    # statement: false keeps one letter per invoice.
    clients["acme"] = dataclasses.replace(ACME, statement=False)
    assert all(
        not isinstance(g, Statement) for g in ladder.group_statements(reminders, clients, LADDER, today)
    )


def test_the_statement_draft_lists_everything_attaches_every_pdf_and_threads_under_the_oldest():
    older = invoice("2026-001", issue_date=date(2026, 2, 1), due_date=date(2026, 3, 8), references=("<r@x>",))
    newer = invoice("2026-007", amount="300", currency="USD")
    today = date(2026, 3, 17)
    chased_once = {"invoice/acme/2026-001/first-reminder": "sent"}
    reminders = ladder.due_reminders([older, newer], LADDER, {"acme": ACME}, chased_once, today)
    (statement,) = ladder.group_statements(reminders, {"acme": ACME}, LADDER, today)
    client = dataclasses.replace(ACME, billing=("AP <ap@acme.example>",))
    identity = Identity(
        name="Lucía Romero", email="lucia@freelancer.example",
        payment=PaymentDetails(iban="ES9121000418450200051332", reference="{number}"),
    )  # fmt: skip
    pdfs = {
        n: Attachment(filename=f"Factura_{n}.pdf", content_type="application/pdf", data=f"%PDF {n}".encode())
        for n in ("2026-001", "2026-007")
    }
    from assistant.config import load_rules

    rules = load_rules(None)
    draft = compose.statement_draft(
        statement, client=client, identity=identity, template_text=rules.template("es", "invoice-statement").text,
        attachments=pdfs, now=datetime(2026, 3, 17, 9, tzinfo=TZ), today=today, rates=rules.rates,
    )  # fmt: skip
    message = message_from_bytes(draft.data, policy=policy.default)
    assert draft.key == "statement/acme/2026-03-17" and draft.kind == "reminder"
    assert message["In-Reply-To"] == "<2026-001@freelancer.example>"
    assert message["References"] == "<r@x> <2026-001@freelancer.example>"
    assert message["Subject"] == "Re: Factura 2026-001"
    assert message["Cc"] == "AP <ap@acme.example>"
    assert [a.get_filename() for a in message.iter_attachments()] == [
        "Factura_2026-001.pdf",
        "Factura_2026-007.pdf",
    ]
    text = message.get_body(("plain",)).get_content()
    # 2026-001 is at its second stage: the firmer wording, not the first one's.
    assert "Le escribo de nuevo en relación con las facturas siguientes" in text
    assert (
        "- Factura 2026-001 del 1 de febrero de 2026, vencida el 8 de marzo de 2026 (9 días): 1.210,00\xa0€ pendientes"
        in text
    )
    assert (
        "- Factura 2026-007 del 2 de marzo de 2026, vencida el 16 de marzo de 2026 (1 día): 300,00\xa0US$ pendientes"
        in text
    )
    assert "Total pendiente: 1.210,00\xa0€ + 300,00\xa0US$" in text
    assert "intereses" not in text  # no invoice at the final notice yet
    assert "Concepto: 2026-001, 2026-007" in text


def test_a_statement_with_an_invoice_at_its_final_notice_shows_its_interest():
    old = invoice("2025-090", issue_date=date(2025, 5, 1), due_date=date(2025, 5, 15))
    new = invoice("2025-120", amount="500", issue_date=date(2025, 6, 1), due_date=date(2025, 6, 15))
    today = date(2025, 6, 16)
    chased_twice = {f"invoice/acme/2025-090/{s}": "sent" for s in ("first-reminder", "second-reminder")}
    reminders = ladder.due_reminders([old, new], LADDER, {"acme": ACME}, chased_twice, today)
    (statement,) = ladder.group_statements(reminders, {"acme": ACME}, LADDER, today)
    assert statement.firmest.stage.name == "final-notice"
    from assistant.config import load_rules

    rules = load_rules(None)
    draft = compose.statement_draft(
        statement, client=dataclasses.replace(ACME, language="en", locale="en_IE"),
        identity=Identity(name="L", email="l@x.example"),
        template_text=rules.template("en", "invoice-statement").text, attachments={},
        now=datetime(2025, 6, 16, 9, tzinfo=TZ), today=today, rates=rules.rates,
    )  # fmt: skip
    text = message_from_bytes(draft.data, policy=policy.default).get_body(("plain",)).get_content()
    assert "This is my final reminder about the invoices below." in text
    # 1,210 EUR, 16 May to 16 June 2025 (32 days), in the first half of 2025 at 3.15 + 8 = 11.15 %
    # for 16 May-30 June: 1210 x 11.15 % x 32/365 = 11.83.
    assert "- Invoice 2025-090: statutory interest of €11.83 (11.15% a year, 32 days) and €40.00" in text
    assert "Interest and compensation as of today: €51.83" in text
    assert "2025-120: statutory" not in text  # its first reminder carries no claim


# --------------------------------------------------------------------------- before and after


def test_a_note_before_the_due_date_only_when_turned_on_and_only_in_its_window():
    off, on = BeforeDueRule(), BeforeDueRule(enabled=True, days=3)
    clients = {"acme": ACME}
    assert ladder.due_before_notes([invoice()], off, clients, {}, DUE - timedelta(days=3)) == []
    (note,) = ladder.due_before_notes([invoice()], on, clients, {}, DUE - timedelta(days=3))
    assert note.key == "invoice/acme/2026-001/before-due" and not note.stage.attach_invoice
    assert len(ladder.due_before_notes([invoice()], on, clients, {}, DUE)) == 1  # missed the day: still
    assert ladder.due_before_notes([invoice()], on, clients, {}, DUE - timedelta(days=4)) == []
    assert ladder.due_before_notes([invoice()], on, clients, {}, DUE + timedelta(days=1)) == []  # overdue
    assert ladder.due_before_notes([invoice()], on, clients, {note.key: "drafted"}, DUE) == []
    # Per client: on with its own number of days, or off.
    five = {"acme": dataclasses.replace(ACME, before_due=5)}
    assert len(ladder.due_before_notes([invoice()], off, five, {}, DUE - timedelta(days=5))) == 1
    never = {"acme": dataclasses.replace(ACME, before_due=False)}
    assert ladder.due_before_notes([invoice()], on, never, {}, DUE - timedelta(days=3)) == []
    # Due within days of being sent: no note right after the invoice itself.
    quick = invoice(issue_date=DUE - timedelta(days=2))
    assert ladder.due_before_notes([quick], on, clients, {}, DUE - timedelta(days=1)) == []


@pytest.mark.parametrize(
    ("via", "thanked"), [("keyword", True), ("notification", True), ("cli", True), ("client", False)]
)
def test_a_thank_you_once_the_payment_is_confirmed(via, thanked):
    paid = invoice(status=InvoiceStatus.PAID, paid_on=date(2026, 3, 20), paid_via=via)
    rule = ThankYouRule(enabled=True, within_days=7)
    found = ladder.due_thanks([paid], rule, {"acme": ACME}, {}, date(2026, 3, 20))
    assert [t.key for t in found] == (["invoice/acme/2026-001/thank-you"] if thanked else [])
    assert ladder.due_thanks([paid], ThankYouRule(), {"acme": ACME}, {}, date(2026, 3, 20)) == []  # off
    assert ladder.due_thanks([paid], rule, {"acme": ACME}, {}, date(2026, 3, 28)) == []  # too long ago


# --------------------------------------------------------------------------- the drafts


def clients_with(extra: str) -> str:
    return CLIENTS_YAML.replace("    country: ES\n", "    country: ES\n" + extra, 1)


def test_a_client_not_chased_gets_no_draft_but_its_mail_is_still_read(world, tmp_path):
    me = Freelancer(world, tmp_path / "config", rules={"clients.yaml": clients_with("    chase: false\n")})
    send_invoice(world)
    report = me.run(date(2026, 4, 30))
    assert [i.key for i in report.invoices] == ["acme/2026-001"]  # read and tracked
    assert report.drafted == [] and me.drafts() == []


def test_the_note_before_the_due_date_is_a_reply_under_the_invoice(world, tmp_path):
    me = Freelancer(world, tmp_path / "config", rules={"clients.yaml": clients_with("    before_due: 3\n")})
    send_invoice(world)
    report = me.run(date(2026, 3, 13))
    assert [d.key for d in report.drafted] == ["invoice/acme/2026-001/before-due"]
    ((_, draft),) = me.drafts()
    assert draft["In-Reply-To"] == INVOICE_ID
    text = draft.get_body(("plain",)).get_content()
    assert "Solo un recordatorio amable: la factura 2026-001 de 1.210,00\xa0€" in text
    assert "vence el 16 de marzo de 2026." in text
    assert list(draft.iter_attachments()) == []
    # The ladder is not held by it: the first reminder still comes the day after the due date.
    assert [d.key for d in me.run(date(2026, 3, 17)).drafted] == ["invoice/acme/2026-001/first-reminder"]


def test_a_thank_you_draft_once_the_invoice_is_tagged_paid(world, tmp_path):
    me = Freelancer(world, tmp_path / "config", rules={"clients.yaml": clients_with("    thank_you: true\n")})
    send_invoice(world)
    me.run(date(2026, 3, 10))
    world.tag("Sent", INVOICE_ID, "$Paid")
    report = me.run(date(2026, 3, 12))
    assert [d.key for d in report.drafted] == ["invoice/acme/2026-001/thank-you"]
    ((_, draft),) = me.drafts()
    assert draft["In-Reply-To"] == INVOICE_ID
    assert "He recibido el pago de la factura 2026-001 (1.210,00\xa0€). ¡Muchas gracias!" in (
        draft.get_body(("plain",)).get_content()
    )
    assert me.run(date(2026, 3, 13)).drafted == []  # once


def test_a_minimum_gap_holds_the_second_invoices_reminder(world, tmp_path):
    me = Freelancer(
        world,
        tmp_path / "config",
        rules={"clients.yaml": clients_with("    min_gap_days: 5\n    statement: false\n")},
    )
    send_invoice(world)
    later = invoice_email(
        subject="Factura 2026-002", sent=at(date(2026, 3, 4)), message_id="<inv-2026-002@freelancer.example>",
        body="Hola Marta:\n\nTe envío la factura 2026-002.\n\nImporte total: 500,00 €\n",
        pdf_lines=("FACTURA 2026-002", "Total: 500,00 €"), filename="Factura_2026-002.pdf",
    )  # fmt: skip
    world.deliver("Sent", later, when=at(date(2026, 3, 4)))
    assert [d.key for d in me.run(date(2026, 3, 17)).drafted] == ["invoice/acme/2026-001/first-reminder"]
    assert me.run(date(2026, 3, 19)).drafted == []  # 2026-002 was due on the 18th: it waits
    assert [d.key for d in me.run(date(2026, 3, 22)).drafted] == ["invoice/acme/2026-002/first-reminder"]


def test_a_client_on_its_own_ladder_gets_its_first_reminder_on_that_ladders_day(world, tmp_path):
    from assistant.config import packaged_rules_dir

    escalation = (packaged_rules_dir() / "escalation.yaml").read_text(encoding="utf-8").replace(
        "ladders: {}\n",
        "ladders:\n  gentle:\n    - name: first-reminder\n      after_days: 7\n      template: invoice-reminder-1\n",
    )  # fmt: skip
    me = Freelancer(
        world,
        tmp_path / "config",
        rules={"clients.yaml": clients_with("    ladder: gentle\n"), "escalation.yaml": escalation},
    )
    assert me.config.rules.escalation.invoice_stages(me.config.rules.clients["acme"])[0].after_days == 7
    send_invoice(world)
    assert me.run(date(2026, 3, 17)).drafted == []  # the default ladder's day: not this client's
    assert [d.key for d in me.run(date(2026, 3, 23)).drafted] == ["invoice/acme/2026-001/first-reminder"]


def test_an_invoice_below_the_clients_minimum_is_tracked_but_not_chased(world, tmp_path):
    me = Freelancer(
        world, tmp_path / "config", rules={"clients.yaml": clients_with("    min_amount: 2000\n")}
    )
    send_invoice(world)  # 1,210 EUR
    report = me.run(date(2026, 4, 30))
    assert [i.key for i in report.invoices] == ["acme/2026-001"] and me.drafts() == []


def test_a_reminder_sent_by_the_program_reaches_the_accounts_payable_address_too(
    dovecot, imap_user, tmp_path, smtp_server
):
    from assistant.config import packaged_rules_dir
    from tests.support.mailboxes import ImapWorld

    world = ImapWorld(dovecot, imap_user)
    escalation = (
        (packaged_rules_dir() / "escalation.yaml").read_text().replace("action: draft", "action: send")
    )
    smtp = (
        f"  smtp:\n    host: {smtp_server.host}\n    port: {smtp_server.port}\n    security: plain\n"
        '    username: ""\n    copy_to_sent: true\n'
    )
    clients = clients_with("    billing: [Cuentas a pagar <ap@acme-group.example>]\n")
    me = Freelancer(
        world,
        tmp_path / "config",
        account_extra=smtp,
        rules={"clients.yaml": clients, "escalation.yaml": escalation},
    )
    send_invoice(world)
    me.run(date(2026, 3, 17))
    (received,) = smtp_server.received
    assert received.recipients == ["marta@acme.example", "ap@acme-group.example"]
    assert received.message["Cc"] == "Cuentas a pagar <ap@acme-group.example>"


def test_a_statement_total_says_when_an_amount_is_unknown():
    from assistant.config import load_rules

    known, unknown = invoice("2026-001"), invoice("2026-002", amount=None)
    reminders = ladder.due_reminders([known, unknown], LADDER, {"acme": ACME}, {}, DUE + timedelta(days=1))
    (statement,) = ladder.group_statements(reminders, {"acme": ACME}, LADDER, DUE + timedelta(days=1))
    rules = load_rules(None)
    draft = compose.statement_draft(
        statement, client=ACME, identity=Identity(name="L", email="l@x.example"),
        template_text=rules.template("es", "invoice-statement").text, attachments={},
        now=datetime(2026, 3, 17, 9, tzinfo=TZ), today=DUE + timedelta(days=1),
    )  # fmt: skip
    text = message_from_bytes(draft.data, policy=policy.default).get_body(("plain",)).get_content()
    assert "Total pendiente: 1.210,00\xa0€, más las facturas cuyo importe no consta" in text
    # The documented wording of the first reminder, in the plural, when all are at it.
    assert "Estoy un poco preocupado por no haber tenido noticias suyas sobre mis facturas" in text
