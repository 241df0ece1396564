"""One letter per client (issue 18, point 2): several invoices of one client due a reminder the
same day become one statement of account in Drafts, and each invoice's ladder advances when
that one letter is sent. On a real Dovecot and on a Maildir (the `world` fixture).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.support.freelancer import INVOICE_ID, Freelancer, send_invoice
from tests.support.mailboxes import parsed
from tests.support.world import CLIENTS_YAML, TZ, at, invoice_email, plain_email

SECOND_ID = "<inv-2026-002@freelancer.example>"
THIRD_ID = "<inv-2026-003@freelancer.example>"
NUMBERS = ("2026-001", "2026-002", "2026-003")
# The test's own rates (the shipped table grows as the banks move): the ECB rate since June 2025.
RATES = "checked_on: 2026-06-30\necb_main_refinancing:\n  - {since: 2025-06-11, rate: 2.15}\n"


def three_invoices(world) -> None:
    """2026-001 (1,210 EUR), 2026-002 (500 EUR) and 2026-003 (300 USD) to ACME, sent on 2 March
    2026 an hour apart: all due on 16 March, 2026-001 the oldest."""
    send_invoice(world)
    for hour, number, message_id, total in (
        (11, "2026-002", SECOND_ID, "500,00 €"),
        (12, "2026-003", THIRD_ID, "300,00 USD"),
    ):
        sent = at(date(2026, 3, 2), hour)
        data = invoice_email(
            subject=f"Factura {number}", sent=sent, message_id=message_id,
            body=f"Hola Marta:\n\nTe envío la factura {number}.\n\nImporte total: {total}\n",
            pdf_lines=(f"FACTURA {number}", f"Total: {total}"), filename=f"Factura_{number}.pdf",
        )  # fmt: skip
        world.deliver("Sent", data, when=sent)


def clients(statement: bool = True) -> dict[str, str]:
    extra = "" if statement else "    statement: false\n"
    return {"clients.yaml": CLIENTS_YAML.replace("    country: ES\n", "    country: ES\n" + extra, 1)}


def test_three_invoices_due_the_same_day_make_one_letter_with_three_pdfs(world, tmp_path):
    me = Freelancer(world, tmp_path / "config", rules=clients())
    three_invoices(world)
    report = me.run(date(2026, 3, 17))
    assert [d.key for d in report.drafted] == ["statement/acme/2026-03-17"]
    ((flags, draft),) = me.drafts()
    assert "\\Draft" in flags
    assert draft["To"] == "Marta López <marta@acme.example>"
    assert draft["Subject"] == "Re: Factura 2026-001"
    assert draft["In-Reply-To"] == INVOICE_ID  # threaded under the oldest
    assert [a.get_filename() for a in draft.iter_attachments()] == [f"Factura_{n}.pdf" for n in NUMBERS]
    text = draft.get_body(("plain",)).get_content()
    assert "Estoy un poco preocupado por no haber tenido noticias suyas sobre mis facturas" in text
    for number in NUMBERS:
        assert f"- Factura {number} del 2 de marzo de 2026, vencida el 16 de marzo de 2026 (1 día)" in text
    assert "Total pendiente: 1.710,00\xa0€ + 300,00\xa0US$" in text
    # Each invoice knows its first reminder was drafted, in that letter: nothing more today.
    with me.store() as store:
        drafted = {e.key: (e.state, e.message_id, e.parent_id) for e in store.outbox()}
    for number, parent in zip(NUMBERS, (INVOICE_ID, SECOND_ID, THIRD_ID), strict=True):
        state, message_id, parent_id = drafted[f"invoice/acme/{number}/first-reminder"]
        assert (state, message_id, parent_id) == ("drafted", draft["Message-ID"], parent)
    assert me.run(date(2026, 3, 17), hour=15).drafted == []
    assert len(me.drafts()) == 1


def test_sending_the_letter_advances_the_ladder_of_all_three_invoices(world, tmp_path):
    me = Freelancer(world, tmp_path / "config", rules=clients())
    three_invoices(world)
    me.run(date(2026, 3, 17))
    me.send_drafts(date(2026, 3, 17))
    me.run(date(2026, 3, 18))
    with me.store() as store:
        states = {e.key: e.state for e in store.outbox()}
    assert states == {
        "statement/acme/2026-03-17": "sent",
        **{f"invoice/acme/{n}/first-reminder": "sent" for n in NUMBERS},
    }
    # A week later the second stage of all three is due: one letter again, the firmer one.
    report = me.run(date(2026, 3, 23))
    assert [d.key for d in report.drafted] == ["statement/acme/2026-03-23"]
    (_, draft) = me.drafts()[-1]
    assert "Le escribo de nuevo en relación con las facturas siguientes" in (
        draft.get_body(("plain",)).get_content()
    )


def test_a_letter_not_sent_holds_every_ladder_it_carries(world, tmp_path):
    me = Freelancer(world, tmp_path / "config", rules=clients())
    three_invoices(world)
    me.run(date(2026, 3, 17))
    assert me.run(date(2026, 3, 23)).drafted == []  # the first letter still waits in Drafts


def test_with_statement_false_each_invoice_gets_its_own_draft(world, tmp_path):
    me = Freelancer(world, tmp_path / "config", rules=clients(statement=False))
    three_invoices(world)
    report = me.run(date(2026, 3, 17))
    assert sorted(d.key for d in report.drafted) == [f"invoice/acme/{n}/first-reminder" for n in NUMBERS]
    assert sorted(d["In-Reply-To"] for _, d in me.drafts()) == sorted((INVOICE_ID, SECOND_ID, THIRD_ID))


# --------------------------------------------------------------------------- the digest


def digest_text(me: Freelancer, day: date) -> str:
    from assistant.session import AccountSession

    with AccountSession(me.config, me.account) as engine:
        draft = engine.digest_draft(at(day, 8))
    return parsed(draft.data).get_body(("plain",)).get_content().replace("\r\n", "\n")


def test_the_digest_lists_the_letter_once_with_the_invoices_it_chases(world, tmp_path):
    me = Freelancer(world, tmp_path / "config", rules=clients(), language="es")
    three_invoices(world)
    me.run(date(2026, 3, 17))
    text = digest_text(me, date(2026, 3, 18))
    drafts = text[text.index("BORRADORES POR REVISAR Y ENVIAR:") :].split("\n\n")[0].splitlines()[1:]
    assert drafts == [
        "- «Re: Factura 2026-001» para marta@acme.example, desde el 17 de marzo de 2026 "
        "(estado de cuenta: facturas 2026-001, 2026-002, 2026-003)"
    ]


def test_the_digest_shows_the_interest_to_date_once_the_final_notice_went_out(world, tmp_path):
    me = Freelancer(
        world, tmp_path / "config", rules={**clients(statement=False), "rates.yaml": RATES}, language="es"
    )
    send_invoice(world)
    for day in (date(2026, 3, 17), date(2026, 3, 23)):
        me.run(day)
        me.send_drafts(day)
    assert "intereses" not in digest_text(me, date(2026, 3, 24)).lower()  # not before the final notice
    me.run(date(2026, 4, 6))
    me.send_drafts(date(2026, 4, 6))
    # 1,210 EUR from 17 March to 10 April 2026: 25 days at 10.15 % (the worked example of
    # test_getting_paid gives 7.07 EUR for 21 days): 1210 x 10.15 % x 25/365 = 8.41.
    me.run(date(2026, 4, 10))  # the pass sees it in Sent
    assert (
        "  Intereses de demora a día de hoy: 8,41\xa0€ (10,15 % anual, 25 días), más 40,00\xa0€ de indemnización."
        in digest_text(me, date(2026, 4, 10))
    )


# --------------------------------------------------------------------------- the review


def test_the_review_counts_a_statement_as_one_letter_and_shows_the_interest_owed(world, tmp_path):
    from assistant.domain.review import Period, review_clients
    from assistant.review_report import render_text

    me = Freelancer(world, tmp_path / "config", rules={**clients(), "rates.yaml": RATES})
    three_invoices(world)
    me.run(date(2026, 3, 17))
    me.send_drafts(date(2026, 3, 17))
    me.run(date(2026, 3, 18))
    today = date(2026, 4, 15)
    with me.store() as store:
        reviews = review_clients(
            clients=me.config.rules.clients, invoices=store.invoices(), deliverables=store.deliverables(),
            outbox=store.outbox(), journal=[], period=Period.year(2026), today=today, tz=TZ,
            rates=me.config.rules.rates,
        )  # fmt: skip
    acme = next(r for r in reviews if r.client == "acme")
    assert (acme.reminders, acme.statements) == (1, 1)  # three invoices, one letter
    # Spain, Ley 3/2004, 30 days (17 March to 15 April) at 2.15 + 8 = 10.15 %: 1,710 EUR gives
    # 14.26 EUR, 300 USD gives 2.50 USD; and 40 EUR of compensation for each of the three.
    assert acme.interest == {"EUR": Decimal("134.26"), "USD": Decimal("2.50")}
    text = " ".join(render_text(reviews, {}, period_label="2026", locale="en_GB").split())
    assert (
        "Statements of account (one letter for several invoices, one reminder each): ACME Soluciones S.L. 1."
        in text
    )
    assert (
        "Statutory interest and compensation claimable today: ACME Soluciones S.L. €134.26 + US$2.50." in text
    )


# --------------------------------------------------------------------------- "send it to accounts@..."


@pytest.mark.parametrize(
    ("words", "asked"),
    [
        (
            "Hola Lucía, por favor envíala a facturas@acme-group.example. Gracias.",
            "facturas@acme-group.example",
        ),
        (
            "Hi Lucía, could you send it to accounts@acme-group.example instead? Thanks",
            "accounts@acme-group.example",
        ),
        (
            "Dag Lucía, stuur de factuur naar administratie@acme-group.example alsjeblieft.",
            "administratie@acme-group.example",
        ),
        ("Kun je hem naar administratie@acme-group.example sturen?", "administratie@acme-group.example"),
        ("Please send future invoices to ap@acme-group.example", "ap@acme-group.example"),
        # Not a request: a question about themselves, what they did, an address in passing.
        ("Can I send it to ap@acme-group.example?", None),
        ("I sent it to ap@acme-group.example yesterday.", None),
        ("Le he reenviado la factura a pagos@acme-group.example.", None),
        ("Nuestra dirección es pagos@acme-group.example.", None),
        # Their own contact address, or the freelancer's, changes nothing.
        ("Envíala a marta@acme.example, por favor.", None),
    ],
)
def test_the_address_a_client_asks_for_is_read_from_their_own_words(words, asked):
    from assistant.domain.recipients import asked_address

    found = asked_address(words, known=("marta@acme.example", "lucia@freelancer.example"))
    assert (found.address if found else None) == asked
    if found:  # the sentence that asks
        assert found.quote in words and found.address in found.quote


def test_the_next_reminder_goes_to_the_address_the_client_asked_for(world, tmp_path, capsys):
    from assistant.cli import main

    me = Freelancer(world, tmp_path / "config", rules=clients())
    send_invoice(world)
    me.run(date(2026, 3, 5))
    written = at(date(2026, 3, 10), 9)
    world.deliver(
        "INBOX",
        plain_email(
            sender="Marta López <marta@acme.example>",
            to="lucia@freelancer.example",
            subject="Re: Factura 2026-001",
            body="Hola Lucía, por favor envíala a facturas@acme-group.example. Gracias.\n\n> Te envío la factura\n",
            sent=written,
            In_Reply_To=INVOICE_ID,
        ),
        when=written,
    )
    report = me.run(date(2026, 3, 10))
    assert report.drafted == []  # a request, not a payment: the invoice is still owed
    report = me.run(date(2026, 3, 17))
    assert [d.key for d in report.drafted] == ["invoice/acme/2026-001/first-reminder"]
    ((_, draft),) = me.drafts()
    assert draft["To"] == "facturas@acme-group.example"
    assert draft["Cc"] == "Marta López <marta@acme.example>"
    assert draft["In-Reply-To"] == INVOICE_ID
    capsys.readouterr()
    assert main(["explain", "--config", str(tmp_path / "config" / "config.yaml"), "2026-001"]) == 0
    out = capsys.readouterr().out
    assert "reminders go to: facturas@acme-group.example (the client asked; marta@acme.example in Cc)" in out
    assert "send to: marta@acme.example asked for it at facturas@acme-group.example" in out
    assert "“Hola Lucía, por favor envíala a facturas@acme-group.example.”" in out


# --------------------------------------------------------------------------- sent by the program, interrupted


def test_a_statement_sent_by_smtp_goes_once_and_advances_every_ladder(
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
    me = Freelancer(
        world, tmp_path / "config", account_extra=smtp, rules={**clients(), "escalation.yaml": escalation}
    )
    three_invoices(world)
    report = me.run(date(2026, 3, 17))
    assert [d.key for d in report.sent_by_smtp] == ["statement/acme/2026-03-17"]
    (received,) = smtp_server.received
    assert received.recipients == ["marta@acme.example"]
    assert len(list(received.message.iter_attachments())) == 3
    with me.store() as store:
        assert {e.key: e.state for e in store.outbox()} == {
            "statement/acme/2026-03-17": "sent",
            **{f"invoice/acme/{n}/first-reminder": "sent" for n in NUMBERS},
        }
    me.run(date(2026, 3, 18))  # its copy in Sent is ours: nothing new, nothing sent again
    assert len(smtp_server.received) == 1
    assert [d.key for d in me.run(date(2026, 3, 23)).sent_by_smtp] == ["statement/acme/2026-03-23"]


def test_a_statement_whose_append_failed_is_written_whole_on_the_next_pass(world, tmp_path, monkeypatch):
    from assistant.errors import MailboxError
    from assistant.session import AccountSession

    me = Freelancer(world, tmp_path / "config", rules=clients())
    three_invoices(world)
    with AccountSession(me.config, me.account) as engine:
        mailbox_type = type(engine.mailbox)

    def failing_append(self, folder, message, *, flags, when):
        raise MailboxError("the server went away")

    with monkeypatch.context() as patch:
        patch.setattr(mailbox_type, "append", failing_append)
        report = me.run(date(2026, 3, 17))
    assert report.drafted == [] and report.errors
    with me.store() as store:  # the letter and its three reminders wait, claimed together
        assert sorted((e.key, e.state) for e in store.outbox()) == sorted(
            [("statement/acme/2026-03-17", "pending")]
            + [(f"invoice/acme/{n}/first-reminder", "pending") for n in NUMBERS]
        )
    report = me.run(date(2026, 3, 17), hour=15)  # it was never written: written now, once
    assert [d.key for d in report.drafted] == ["statement/acme/2026-03-17"]
    assert len(me.drafts()) == 1
    with me.store() as store:
        assert {e.key: e.state for e in store.outbox()} == {
            "statement/acme/2026-03-17": "drafted",
            **{f"invoice/acme/{n}/first-reminder": "drafted" for n in NUMBERS},
        }


def test_a_statement_appended_just_before_a_crash_is_settled_whole_and_not_written_again(
    world, tmp_path, monkeypatch
):
    from assistant.adapters.store import Store
    from assistant.domain.ledger import DraftEvent

    me = Freelancer(world, tmp_path / "config", rules=clients())
    three_invoices(world)
    real_move = Store.move

    def crash_after_append(self, key, event, **kwargs):
        if event is DraftEvent.APPENDED:
            raise KeyboardInterrupt  # the process dies between the APPEND and its record
        return real_move(self, key, event, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(Store, "move", crash_after_append)
        with pytest.raises(KeyboardInterrupt):
            me.run(date(2026, 3, 17))
    assert len(me.drafts()) == 1
    report = me.run(date(2026, 3, 17), hour=15)
    assert report.drafted == [] and report.errors == []
    assert len(me.drafts()) == 1
    with me.store() as store:
        assert {e.key: e.state for e in store.outbox()} == {
            "statement/acme/2026-03-17": "drafted",
            **{f"invoice/acme/{n}/first-reminder": "drafted" for n in NUMBERS},
        }


def test_a_statement_at_a_notify_stage_is_a_to_do_for_each_invoice_and_no_draft(world, tmp_path, capsys):
    from assistant.config import packaged_rules_dir
    from assistant.report import print_pass

    escalation = (packaged_rules_dir() / "escalation.yaml").read_text(encoding="utf-8")
    notify_first = escalation.replace("    action: draft\n", "    action: notify\n", 1)
    assert notify_first != escalation
    me = Freelancer(world, tmp_path / "config", rules={**clients(), "escalation.yaml": notify_first})
    three_invoices(world)
    report = me.run(date(2026, 3, 17))
    assert report.drafted == [] and me.drafts() == []
    assert sorted(report.notified) == [f"invoice/acme/{n}/first-reminder" for n in NUMBERS]
    print_pass(report, me.config, "test")
    assert (
        "statement/acme/2026-03-17: to do, contact the client yourself (action: notify; statement of account"
        in (capsys.readouterr().out)
    )
    with me.store() as store:
        assert {(e.key, e.kind, e.state) for e in store.outbox()} == {
            (f"invoice/acme/{n}/first-reminder", "notice", "sent") for n in NUMBERS
        }


def test_the_letter_sent_from_a_client_that_drops_our_headers_moves_every_ladder(world, tmp_path):
    from assistant.domain.compose import KEY_HEADER

    me = Freelancer(world, tmp_path / "config", rules=clients())
    three_invoices(world)
    me.run(date(2026, 3, 17))
    ((_, draft),) = me.drafts()
    # Webmail sends the draft as a new message: new Message-ID, no header of ours.
    sent = parsed(draft.as_bytes())
    del sent[KEY_HEADER]
    del sent["Message-ID"]
    sent["Message-ID"] = "<webmail-456@mail.example>"
    world.deliver("Sent", sent.as_bytes(), when=at(date(2026, 3, 18), 9))
    world.delete("Drafts", draft["Message-ID"])
    report = me.run(date(2026, 3, 19))
    assert sorted(report.sent) == sorted(
        ["statement/acme/2026-03-17", *(f"invoice/acme/{n}/first-reminder" for n in NUMBERS)]
    )
    assert [d.key for d in me.run(date(2026, 3, 23)).drafted] == ["statement/acme/2026-03-23"]
