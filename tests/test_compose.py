"""Compose: the reminder draft's wording, threading, attachment and locale."""

from __future__ import annotations

import email
import re
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from email import policy

import pytest

from assistant.domain import compose
from assistant.domain.model import Attachment, Invoice, Money, Reminder
from tests.support.world import IDENTITY, TZ, rules

SEED_ES = (
    "Estoy un poco preocupado por no haber tenido noticias suyas sobre mi factura y no haber recibido el pago. "
    "Lo adjunto de nuevo en caso de que no haya pasado. Por favor, avíseme que lo ha recibido de forma segura.\n"
    "\n"
    "Solicito el pago dentro de las 2 semanas posteriores a la fecha de la factura, así que avíseme también "
    "cuando haya pagado, para que pueda estar pendiente del pago."
)
SEED_EN = (
    "I'm a little concerned that I haven't heard from you about my invoice and haven't received payment. "
    "I'm attaching it again in case it didn't get through. Please let me know that you have received it safely.\n"
    "\n"
    "I ask for payment within 2 weeks of the invoice date, so please also let me know when you have paid, "
    "so that I can look out for the payment."
)

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


def invoice(
    client="acme", *, issue=date(2026, 3, 2), due=date(2026, 3, 16), amount="1210.00", currency="EUR"
) -> Invoice:
    return Invoice(
        client=client,
        number="2026-001",
        amount=Money(amount=Decimal(amount), currency=currency),
        issue_date=issue,
        due_date=due,
        message_id="<inv-1@freelancer.example>",
        subject="Factura 2026-001",
        references=("<root@acme.example>",),
        sent_at=datetime(2026, 3, 2, 10, tzinfo=TZ),
        attachment_name="Factura_2026-001.pdf",
        attachment_sha256="x",
    )


def draft_for(
    tmp_path,
    client_id="acme",
    stage_index=0,
    inv=None,
    attachment=PDF,
    now=None,
    identity=IDENTITY,
    **client_changes,
):
    world = rules(tmp_path)
    client = replace(world.clients[client_id], **client_changes)
    stage = world.escalation.invoice[stage_index]
    inv = inv or invoice(client_id)
    reminder = Reminder(
        key=f"invoice/{client_id}/2026-001/{stage.name}", invoice=inv, stage=stage, due_on=date(2026, 3, 17)
    )
    return compose.reminder_draft(
        reminder,
        client=client,
        identity=identity,
        template_text=world.template(client.language, stage.template).text,
        attachment=Attachment(
            filename="Factura_2026-001.pdf", content_type="application/pdf", data=attachment
        )
        if attachment
        else None,
        now=now or datetime(2026, 3, 17, 9, tzinfo=TZ),
        today=date(2026, 3, 17),
    )


def parsed(draft):
    return email.message_from_bytes(draft.data, policy=policy.default)


def test_the_spanish_first_reminder_carries_the_documented_wording_verbatim(tmp_path):
    body = parsed(draft_for(tmp_path)).get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert SEED_ES in body
    assert body.startswith("Hola Marta:\n")
    assert "Importe: 1.210,00\xa0€" in body
    assert "Vencimiento: 16 de marzo de 2026" in body
    assert "Lucía Romero\n+34 600 123 456" in body


def body_of(draft) -> str:
    return parsed(draft).get_body(("plain",)).get_content().replace("\r\n", "\n")


def test_the_documented_spanish_wording_speaks_as_a_woman_and_says_tu_when_told_the_rest_intact(tmp_path):
    # The documented wording (masculine, usted) is the default, above; the freelancer may be a woman...
    as_her = replace(IDENTITY, grammatical_gender="feminine")
    body = body_of(draft_for(tmp_path, identity=as_her))
    assert SEED_ES.replace("preocupado", "preocupada") in body
    # ...who writes tú to this client (clients.yaml), and usted to the others.
    body = body_of(draft_for(tmp_path, identity=as_her, form_of_address="tú"))
    words = " ".join(body.split())
    assert (
        "Estoy un poco preocupada por no haber tenido noticias tuyas sobre mi factura y no haber recibido el pago. "
        "Lo adjunto de nuevo en caso de que no haya pasado. Por favor, avísame que lo has recibido de forma segura. "
        "Solicito el pago dentro de las 2 semanas posteriores a la fecha de la factura, así que avísame también "
        "cuando hayas pagado, para que pueda estar pendiente del pago."
    ) in words
    assert "suyas" not in words and "avíseme" not in words
    # The identity's habit is the default; a client can say otherwise ("tu" without the accent too).
    body = body_of(
        draft_for(tmp_path, identity=replace(IDENTITY, form_of_address="tu"), grammatical_gender="feminine")
    )
    assert "preocupada por no haber tenido noticias tuyas" in " ".join(body.split())
    body = body_of(
        draft_for(tmp_path, identity=replace(IDENTITY, form_of_address="tú"), form_of_address="usted")
    )
    assert SEED_ES in body


SPANISH = {  # every shipped Spanish template written to a client, and the kind of its context
    "invoice-reminder-1": "invoice",
    "invoice-reminder-2": "invoice",
    "invoice-final-notice": "invoice",
    "deliverable-follow-up-1": "deliverable",
    "deliverable-follow-up-2": "deliverable",
    "check-in": "check-in",
    "rate-increase": "rate-increase",
    "termination": "termination",
}
USTED = re.compile(r"\b(usted|ustedes|Le|le|su|sus|suyas|dígame|avíseme|Podría|Necesita|Tiene|tenga)\b")
TU = re.compile(r"\b(te|Te|tu|tus|tuyas|dime|avísame|Podrías|Necesitas|Tienes|tengas|ti|contigo)\b")


@pytest.mark.parametrize("template", sorted(SPANISH))
def test_every_spanish_template_says_tu_to_a_client_addressed_so_and_usted_otherwise(tmp_path, template):
    world = rules(tmp_path)
    text = world.template("es", template).text
    usted = compose.render(text, compose.sample_context(SPANISH[template], IDENTITY, "es"))
    tu = compose.render(
        text, compose.sample_context(SPANISH[template], replace(IDENTITY, form_of_address="tú"), "es")
    )
    assert USTED.search(usted) and not TU.search(usted.replace("tu empresa", "")), usted
    assert TU.search(tu) and not USTED.search(tu), tu


def test_the_english_first_reminder_carries_the_english_rendering(tmp_path):
    inv = invoice("bright", issue=date(2026, 3, 2), due=date(2026, 3, 16), amount="2400", currency="GBP")
    body = (
        parsed(draft_for(tmp_path, "bright", inv=inv))
        .get_body(("plain",))
        .get_content()
        .replace("\r\n", "\n")
    )
    assert SEED_EN in body
    assert "Amount: £2,400.00" in body
    assert "Due date: 16 March 2026" in body


def test_the_dutch_first_reminder_says_the_same_in_dutch(tmp_path):
    body = parsed(draft_for(tmp_path, "tulp")).get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "Ik maak me een beetje zorgen" in body
    assert "binnen 2 weken na de factuurdatum" in body
    assert "Bedrag: €\xa01.210,00" in body
    assert "Vervaldatum: 16 maart 2026" in body


def test_other_terms_are_stated_truthfully(tmp_path):
    inv = invoice(issue=date(2026, 3, 2), due=date(2026, 4, 1))
    body = parsed(draft_for(tmp_path, inv=inv)).get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "dentro de los 30 días posteriores a la fecha de la factura" in body
    assert "2 semanas" not in body


def test_the_draft_threads_under_the_invoice_email(tmp_path):
    draft = draft_for(tmp_path)
    message = parsed(draft)
    assert message["From"] == "Lucía Romero <lucia@freelancer.example>"
    assert message["To"] == "Marta López <marta@acme.example>"
    assert message["Subject"] == "Re: Factura 2026-001"
    assert message["In-Reply-To"] == "<inv-1@freelancer.example>"
    assert message["References"] == "<root@acme.example> <inv-1@freelancer.example>"
    assert compose.key_of(message) == "invoice/acme/2026-001/first-reminder"
    assert message["Message-ID"] == compose.message_id_for("invoice/acme/2026-001/first-reminder", IDENTITY)
    assert draft.message_id == message["Message-ID"]


def test_the_date_header_is_in_the_freelancers_time_zone_whatever_zone_now_is_in(tmp_path):
    # The service's clock is UTC; the freelancer (Europe/Madrid) sees her own morning in the draft.
    message = parsed(draft_for(tmp_path, now=datetime(2026, 3, 17, 8, 30, tzinfo=UTC)))
    assert message["Date"] == "Tue, 17 Mar 2026 09:30:00 +0100"
    summer = parsed(draft_for(tmp_path, now=datetime(2026, 7, 1, 7, 0, tzinfo=UTC)))
    assert summer["Date"] == "Wed, 01 Jul 2026 09:00:00 +0200"


def test_the_invoice_pdf_is_reattached_byte_for_byte(tmp_path):
    message = parsed(draft_for(tmp_path))
    (part,) = list(message.iter_attachments())
    assert part.get_content_type() == "application/pdf"
    assert part.get_filename() == "Factura_2026-001.pdf"
    assert part.get_content() == PDF


def test_without_the_pdf_the_wording_does_not_claim_an_attachment(tmp_path):
    message = parsed(draft_for(tmp_path, attachment=None))
    assert list(message.iter_attachments()) == []
    body = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "Lo adjunto de nuevo" not in body


def test_the_final_notice_cites_the_clients_late_payment_law(tmp_path):
    es = parsed(draft_for(tmp_path, "acme", 2)).get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "Ley 3/2004" in es
    nl = parsed(draft_for(tmp_path, "tulp", 2)).get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "artikel 6:119a BW" in nl
    en = parsed(draft_for(tmp_path, "bright", 2)).get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "Late Payment of Commercial Debts (Interest) Act 1998" in en


def test_the_same_key_always_gives_the_same_message_id():
    a = compose.message_id_for("invoice/acme/1/first-reminder", IDENTITY)
    assert a == compose.message_id_for("invoice/acme/1/first-reminder", IDENTITY)
    assert a != compose.message_id_for("invoice/acme/1/second-reminder", IDENTITY)
    assert a.endswith("@freelancer.example>")


@pytest.mark.parametrize(
    ("original", "reply"),
    [
        ("Factura 2026-001", "Re: Factura 2026-001"),
        ("RE: Factura 2026-001", "Re: Factura 2026-001"),
        ("Re: Re: Invoice 7", "Re: Re: Invoice 7"),
        ("AW: Rechnung", "Re: Rechnung"),
        ("  Factuur\n 12  ", "Re: Factuur 12"),
        ("", "Re: invoice"),
    ],
)
def test_reply_subjects_get_one_re(original, reply):
    assert compose.reply_subject(original) == reply


def test_render_errors_carry_the_template_line():
    with pytest.raises(compose.TemplateError) as exc:
        compose.render("line one\nline two\n{{ nothing.here }}\n", {"locale": "es_ES"})
    assert exc.value.line == 3
