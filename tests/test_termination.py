"""Ending a relationship: triggers, the termination draft's content, and that it is never sent."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from assistant.adapters.smtp import Sender, refuse_unless_sendable
from assistant.config import packaged_rules_dir
from assistant.demo import invoice_pdf
from assistant.domain.compose import KEY_HEADER, key_of
from assistant.domain.model import Draft, InvoiceStatus
from assistant.errors import SendRefused
from tests.support.freelancer import Freelancer, send_invoice
from tests.support.world import at, invoice_email
from tests.test_replies import reply, send_deliverable

REFERRALS = 'referrals:\n  - "Pablo Ruiz <pablo@ruiz.example>, desarrollo web"\n'


def termination_rules(**changes: str) -> dict[str, str]:
    text = (packaged_rules_dir() / "termination.yaml").read_text().replace("referrals: []\n", REFERRALS)
    for old, new in changes.items():
        text = text.replace(old, new)
    return {"termination.yaml": text}


@pytest.fixture
def me(world, tmp_path):
    return Freelancer(world, tmp_path / "config", rules=termination_rules())


def terminations(me):
    return [(flags, d) for flags, d in me.drafts() if key_of(d).startswith("termination/")]


def body(message) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def climb_to_the_final_notice(me):
    """The Spanish invoice 2026-001 (due 16 March) chased to its final notice, each reminder sent."""
    pdf = send_invoice(me.world)
    for day in (date(2026, 3, 17), date(2026, 3, 23), date(2026, 4, 6)):
        me.run(day)
        me.send_drafts(day)
    return pdf


def test_an_invoice_unpaid_30_days_after_the_final_notice_suggests_a_spanish_termination_once(world, me):
    pdf = climb_to_the_final_notice(me)
    assert me.run(date(2026, 5, 5)).terminations == []  # 29 days after the final notice went out
    report = me.run(date(2026, 5, 6))
    (case,) = report.terminations
    assert (
        case.reason == "non-payment"
        and "2026-001 still unpaid 30 days after the final notice" in case.evidence[0]
    )
    ((flags, draft),) = terminations(me)
    assert "\\Draft" in flags
    assert key_of(draft) == "termination/acme/suggested-2026-05-06"
    assert draft["To"] == "Marta López <marta@acme.example>" and draft["Subject"] == "Nuestra colaboración"
    assert draft["In-Reply-To"] is None  # a message of its own, on the usual channel
    text = body(draft)
    assert "he decidido poner fin a nuestra colaboración" in text
    assert "condiciones de pago" in text  # one general reason, no criticism
    # The final notice paused the work: no promise to "keep working as usual" now.
    assert "el trabajo sigue en pausa hasta que se abonen las facturas pendientes" in text
    assert "terminará el 20 de mayo de 2026, dentro de 14 días" in text
    assert "seguiré trabajando con normalidad" not in text
    assert "[qué queda por entregar y cuándo]" in text
    assert "- Factura 2026-001: 1.210,00\xa0€, vencida el 16 de marzo de 2026" in text
    assert "con vencimiento a 15 días" in text
    assert "- las claves del hosting" in text and "- los archivos de diseño en Figma" in text
    assert "- Pablo Ruiz <pablo@ruiz.example>, desarrollo web" in text
    assert "Muchas gracias por su confianza" in text
    assert "Lucía Romero\n+34 600 123 456\nlucia@freelancer.example" in text
    (attachment,) = list(draft.iter_attachments())
    assert attachment.get_content() == pdf
    assert me.run(date(2026, 5, 7)).terminations == [] and len(terminations(me)) == 1


def test_two_unanswered_deliverables_suggest_an_english_termination(world, me):
    from email.message import EmailMessage
    from email.utils import format_datetime

    for n, day in ((1, date(2026, 3, 2)), (2, date(2026, 3, 4))):
        message = EmailMessage()
        message["From"] = "Lucía Romero <lucia@freelancer.example>"
        message["To"] = "Oliver Hughes <oliver@bright.example>"
        message["Subject"] = f"Design proposal {n}"
        message["Date"] = format_datetime(at(day, 17))
        message["Message-ID"] = f"<design-{n}@freelancer.example>"
        message.set_content(f"Hi Oliver,\n\nHere is the proposal: https://www.figma.com/file/p{n}\n")
        world.deliver("Sent", message.as_bytes(), when=at(day, 17))
    assert me.run(date(2026, 3, 24)).terminations == []  # 20 days for the second one
    report = me.run(date(2026, 3, 25))
    (case,) = report.terminations
    assert case.reason == "no-feedback" and case.evidence[0].startswith(
        "2 deliverables unanswered for 21+ days"
    )
    ((_, draft),) = terminations(me)
    assert draft["Subject"] == "Our collaboration"
    text = body(draft)
    assert "I no longer think my services meet your needs" in text
    assert "for the next 30 days: my last working day will be 24 April 2026" in text  # bright's notice_days
    assert "Still waiting for your review:\n- Design proposal 1 (sent on 2 March 2026)" in text
    assert "These invoices are still outstanding" not in text  # nothing owed: nothing said


def tulp_invoice(world, number: str, sent: date, *, paid_days_late: int | None):
    data = invoice_email(
        to="Sanne de Vries <sanne@tulp.example>",
        subject=f"Factuur {number}",
        body=f"Beste Sanne,\n\nHierbij factuur {number}.\n\nTe betalen: € 500,00\n",
        filename=f"Factuur {number}.pdf",
        pdf=invoice_pdf([f"FACTUUR {number}"]),
        sent=at(sent),
        message_id=f"<{number}@freelancer.example>",
    )
    world.deliver("Sent", data, when=at(sent))
    if paid_days_late is not None:
        world.deliver(
            "INBOX",
            reply(
                sender="Sanne de Vries <sanne@tulp.example>",
                subject=f"Re: Factuur {number}",
                body="Beste Lucía, de factuur is betaald.\n",
                day=sent + timedelta(days=14 + paid_days_late),
                in_reply_to=f"<{number}@freelancer.example>",
            ),
        )


def test_three_late_payments_in_a_year_suggest_a_dutch_termination(world, me):
    for number, sent in (("2026-001", date(2026, 1, 5)), ("2026-004", date(2026, 2, 2))):
        tulp_invoice(world, number, sent, paid_days_late=10)
    tulp_invoice(world, "2026-007", date(2026, 3, 2), paid_days_late=2)  # within the grace: not late
    assert me.run(date(2026, 4, 1)).terminations == []
    tulp_invoice(world, "2026-009", date(2026, 3, 9), paid_days_late=6)
    report = me.run(date(2026, 4, 1), hour=12)
    (case,) = report.terminations
    assert case.reason == "non-payment" and "2026-001, 2026-004, 2026-009" in case.evidence[0]
    ((_, draft),) = terminations(me)
    assert draft["Subject"] == "Onze samenwerking"
    text = body(draft)
    assert "heb besloten onze samenwerking te beëindigen" in text
    assert "de komende 14 dagen gewoon door: mijn laatste werkdag is 15 april 2026" in text
    assert "Hartelijk dank voor het vertrouwen" in text


def test_repeated_scope_changes_suggest_a_termination(world, me):
    for n, day in enumerate((date(2026, 2, 2), date(2026, 3, 2), date(2026, 4, 1)), start=1):
        world.deliver(
            "INBOX",
            reply(
                sender="Marta López <marta@acme.example>",
                subject=f"Web, ronda {n}",
                body="Hola Lucía, un cambio más: ¿puedes rehacer la portada?\n",
                day=day,
                in_reply_to="",
            ),
        )
    report = me.run(date(2026, 4, 2))
    (case,) = report.terminations
    assert case.reason == "scope-changes" and case.evidence == (
        "3 scope-change requests in the last 90 days",
    )
    ((_, draft),) = terminations(me)
    assert "El proyecto ha ido evolucionando hacia algo que ya no encaja" in body(draft)


def test_hold_until_paid_waits_for_the_money_then_drafts(world, tmp_path, capsys):
    me = Freelancer(
        world,
        tmp_path / "config",
        rules=termination_rules(**{"hold_until_paid: false": "hold_until_paid: true"}),
    )
    for number, sent in (
        ("2026-001", date(2026, 1, 5)),
        ("2026-004", date(2026, 2, 2)),
        ("2026-006", date(2026, 2, 16)),
    ):
        tulp_invoice(world, number, sent, paid_days_late=10)
    tulp_invoice(world, "2026-009", date(2026, 3, 2), paid_days_late=None)  # unpaid, overdue: owed
    report = me.run(date(2026, 4, 1))
    assert report.terminations == [] and terminations(me) == []
    assert any("termination held" in c for c in report.changes)
    world.deliver(  # paid at last (late, too); with nothing owed the draft may be written
        "INBOX",
        reply(
            sender="Sanne de Vries <sanne@tulp.example>",
            subject="Re: Factuur 2026-009",
            body="De factuur is betaald.\n",
            day=date(2026, 4, 2),
            in_reply_to="<2026-009@freelancer.example>",
        ),
    )
    report = me.run(date(2026, 4, 2))
    assert [c.client for c in report.terminations] == ["tulp"] and len(terminations(me)) == 1
    ((_, draft),) = terminations(me)
    assert "Deze facturen staan nog open" not in body(draft)


def test_nothing_is_ever_sent_but_what_may_be_sent(dovecot, imap_user, tmp_path, smtp_server):
    """Every ladder stage set to `action: send`, a termination trigger firing: SMTP receives
    the reminders and never the termination, which waits in Drafts."""
    from tests.support.mailboxes import ImapWorld

    world = ImapWorld(dovecot, imap_user)
    escalation = (
        (packaged_rules_dir() / "escalation.yaml").read_text().replace("action: draft", "action: send")
    )
    escalation = escalation.replace("attach_invoice: false", "attach_invoice: false\n    action: send")
    smtp = (
        f"  smtp:\n    host: {smtp_server.host}\n    port: {smtp_server.port}\n    security: plain\n"
        '    username: ""\n    copy_to_sent: true\n'
    )
    me = Freelancer(
        world,
        tmp_path / "config",
        account_extra=smtp,
        rules={**termination_rules(), "escalation.yaml": escalation},
    )
    assert all(
        s.action == "send"
        for s in (*me.config.rules.escalation.invoice, *me.config.rules.escalation.deliverable)
    )
    send_invoice(world)
    send_deliverable(world, date(2026, 4, 2))
    for day in (
        date(2026, 3, 17),
        date(2026, 3, 23),
        date(2026, 4, 6),
        date(2026, 4, 8),
        date(2026, 4, 20),
        date(2026, 5, 6),
    ):
        me.run(day)
    kinds = sorted(key_of(r.message).rsplit("/", 1)[1] for r in smtp_server.received)
    assert kinds == ["feedback-call", "feedback-request", "final-notice", "first-reminder", "second-reminder"]
    assert all(r.recipients == ["marta@acme.example"] for r in smtp_server.received)
    assert not any(key_of(r.message).startswith("termination/") for r in smtp_server.received)
    assert not any("colaboración" in (r.message["Subject"] or "") for r in smtp_server.received)
    ((_, draft),) = terminations(me)
    assert key_of(draft) == "termination/acme/suggested-2026-05-06"
    sent_copies = [m for _, m in me.world.messages("Sent") if KEY_HEADER.encode() in m]
    assert len(sent_copies) == 5  # the copies of what SMTP took, nothing else


def test_the_sender_refuses_a_termination_before_connecting():
    message = b"From: a@b.example\r\nTo: c@d.example\r\nX-Freelance-Assistant-Key: termination/acme/other\r\n\r\nbye\r\n"
    termination = Draft(
        key="termination/acme/other",
        kind="termination",
        message_id="<t@x>",
        to=None,
        subject="x",
        data=message,
    )
    nowhere = Sender(
        host="127.0.0.1", port=9, security="plain", attempts=1
    )  # nothing listens: must not be reached
    with pytest.raises(SendRefused, match="never sent by the program"):
        nowhere.send(termination, sender="a@b.example", recipients=["c@d.example"])
    disguised = Draft(
        key="invoice/acme/1/first-reminder",
        kind="reminder",
        message_id="<t@x>",
        to=None,
        subject="x",
        data=message,
    )
    with pytest.raises(SendRefused):
        refuse_unless_sendable(disguised)  # the key header inside the bytes counts too
    for kind in ("termination", "rate-increase"):
        with pytest.raises(SendRefused):
            refuse_unless_sendable(
                Draft(key=f"x/{kind}", kind=kind, message_id="", to=None, subject="", data=b"\r\n")
            )


def test_an_unpaid_invoice_stays_unpaid_in_the_ledger(world, me):
    climb_to_the_final_notice(me)
    me.run(date(2026, 5, 6))
    with me.store() as store:
        assert store.invoice("acme", "2026-001").status is InvoiceStatus.OPEN


def test_after_a_call_the_draft_confirms_the_conversation_and_status_says_talk_first(world, me, capsys):
    from assistant import cli

    climb_to_the_final_notice(me)
    me.run(date(2026, 5, 6))  # the suggestion, with its draft
    path = str(me.config.path)
    capsys.readouterr()
    assert cli.main(["status", "--config", path]) == 0
    out = capsys.readouterr().out
    assert "Talk first, then put it in writing" in out and "--after-call" in out
    assert cli.main(["draft-termination", "acme", "--reason", "non-payment", "--after-call", "2026-05-07", "--config", path]) == 0
    (manual,) = [d for _, d in terminations(me) if key_of(d) == "termination/acme/non-payment"]
    text = body(manual)
    assert text.startswith("Hola Marta:\n\nTal como hablamos el 7 de mayo de 2026, le escribo para confirmarle")
    assert "el trabajo sigue en pausa" in text  # the final notice paused the work
