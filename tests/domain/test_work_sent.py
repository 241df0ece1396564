"""Work sent to a client is recognised from what it carries, never from what a reply quotes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from assistant.domain.classify import classify_deliverable
from assistant.domain.model import Address, Attachment, Mail, MailHeader
from tests.support.world import rules as load_test_rules

SIGNATURE = "Lucía Romero\nDiseño gráfico · https://luciaromero.example\n+34 600 123 456"
SENT = datetime(2026, 3, 2, 10, tzinfo=UTC)


@pytest.fixture
def rules(tmp_path: Path):
    return load_test_rules(tmp_path)


def sent(body: str, *, subject: str = "Logo", attachments=(), to="marta@acme.example") -> Mail:
    header = MailHeader(
        message_id="<work@freelancer.example>",
        subject=subject,
        sender=Address(email="lucia@freelancer.example", name="Lucía Romero"),
        to=(Address(email=to, name=""),),
        date=SENT,
    )
    return Mail(header=header, text=body, attachments=tuple(attachments))


def svg(size: int = 900, **kw) -> Attachment:
    return Attachment(filename="logo.svg", content_type="image/svg+xml", data=b"<svg/>" * (size // 6), **kw)


def test_a_small_svg_logo_and_a_one_page_pdf_proof_are_work(rules):
    assert classify_deliverable(sent("Hola Marta,\n\nQué te parece?\n", attachments=[svg()]), rules)
    proof = Attachment(filename="prueba.pdf", content_type="application/pdf", data=b"%PDF-1.4 " * 300)
    assert classify_deliverable(sent("Hola Marta,\n\nTe paso la prueba.\n", attachments=[proof]), rules)


def test_a_logo_in_the_signature_or_a_calendar_invitation_is_not_work(rules):
    logo = Attachment(filename="image001.png", content_type="image/png", data=b"x" * 4000, inline=True)
    invite = Attachment(filename="invite.ics", content_type="text/calendar", data=b"BEGIN:VCALENDAR")
    assert classify_deliverable(sent("Hola Marta,\n\nNos vemos el jueves.\n", attachments=[logo, invite]), rules) is None


def test_her_own_share_server_counts_when_her_words_say_it_is_the_work(rules):
    body = "Hi Marta,\n\nHere are the wireframes: https://share.luciaromero.example/s/ab12cd\n"
    assert classify_deliverable(sent(body, subject="Homepage"), rules)
    spanish = "Hola Marta,\n\nAquí tienes la maqueta: https://staging.luciaromero.example/home\n"
    assert classify_deliverable(sent(spanish, subject="Web"), rules)
    dutch = "Hoi Sanne,\n\nDe schetsen staan hier: https://files.lucia.example/schets-v1\n"
    assert classify_deliverable(sent(dutch, subject="Iconen"), rules)


def test_a_known_file_share_counts_without_words(rules):
    assert classify_deliverable(sent("Hola,\n\nhttps://www.dropbox.com/s/xyz/file\n", subject="Hola"), rules)


def test_a_meeting_link_or_the_website_in_her_signature_is_not_work(rules):
    meeting = "Hi Marta,\n\nHere is the link for tomorrow: https://zoom.us/j/123456\n"
    assert classify_deliverable(sent(meeting, subject="Call"), rules) is None
    signed = f"Hola Marta,\n\nGracias por la reunión de ayer, te envío un resumen mañana.\n\n{SIGNATURE}\n"
    assert classify_deliverable(sent(signed, subject="Reunión"), rules, signature=SIGNATURE) is None


def test_a_link_she_only_quotes_is_not_new_work(rules):
    nudge = (
        "Hola Marta, ¿has podido echarle un vistazo?\n\n"
        "El lun, 2 mar 2026 a las 10:00, Lucía Romero <lucia@freelancer.example> escribió:\n"
        "> Aquí tienes la maqueta: https://staging.luciaromero.example/home\n"
    )
    assert classify_deliverable(sent(nudge, subject="Re: Web"), rules) is None


def test_mail_to_someone_who_is_not_a_client_is_not_a_deliverable(rules):
    assert classify_deliverable(sent("Here are the files", attachments=[svg()], to="x@elsewhere.example"), rules) is None
