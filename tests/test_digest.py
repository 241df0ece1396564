"""The daily digest (capability 7): what it says, in the freelancer's language, as a message to themselves.

The ledgers are built by hand. "Today" is Wednesday 20 May 2026 in Madrid, 08:30; the
clients are those of tests/support/world.py: acme (es, EUR), bright (en, GBP), tulp (nl, EUR).
"""

from __future__ import annotations

import email
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email import policy

import pytest

from assistant.adapters.smtp import refuse_unless_sendable
from assistant.adapters.store import JournalEntry
from assistant.config import load_rules
from assistant.domain import compose
from assistant.domain.digest import build_digest, invoice_todos
from assistant.domain.model import (
    Defaults,
    Deliverable,
    DeliverableStatus,
    Invoice,
    InvoiceStatus,
    Money,
    Rules,
)
from tests.support.world import IDENTITY, TZ, at
from tests.support.world import rules as world_rules

TODAY = date(2026, 5, 20)
NOW = datetime(2026, 5, 20, 8, 30, tzinfo=TZ)
LOCALES = {"es": "es_ES", "en": "en_GB", "nl": "nl_NL"}


# --------------------------------------------------------------------------- ledgers


def invoice(
    client: str,
    number: str,
    due: date,
    amount: str = "1210.00",
    currency: str = "EUR",
    **more,
) -> Invoice:
    return Invoice(
        client=client,
        number=number,
        amount=Money(amount=Decimal(amount), currency=currency),
        issue_date=due - timedelta(days=14),
        due_date=due,
        message_id=f"<{number}@freelancer.example>",
        subject=f"Factura {number}",
        sent_at=at(due - timedelta(days=14)),
        **more,
    )


def deliverable(client: str, subject: str, sent: datetime, **more) -> Deliverable:
    return Deliverable(
        client=client,
        message_id=f"<{subject.replace(' ', '.')}@freelancer.example>",
        subject=subject,
        sent_at=sent,
        **more,
    )


@dataclass
class Out:
    """An outbox record as the digest reads it (adapters.store.OutboxEntry has the same attributes)."""

    key: str
    kind: str
    state: str
    created_at: datetime
    subject: str = "Re: Factura"
    recipient: str = "marta@acme.example"
    sent_at: datetime | None = None

    @property
    def item(self) -> str:
        return self.key.rsplit("/", 1)[0]


@dataclass
class Line:
    """A journal line as an object with item, at, event and why (a termination line's triggers)."""

    item: str
    at: datetime
    event: str
    why: tuple[str, ...] = ()


def sent(key: str, day: date, kind: str = "reminder") -> Out:
    return Out(key, kind, "sent", at(day, 9), sent_at=at(day, 12))


@pytest.fixture
def rules(tmp_path) -> Rules:
    return world_rules(tmp_path)


def digest(rules: Rules, *, invoices=(), deliverables=(), outbox=(), journal=(), now=NOW) -> dict:
    return build_digest(
        clients=rules.clients,
        invoices=invoices,
        deliverables=deliverables,
        outbox=outbox,
        journal=journal,
        rules=rules,
        today=now.astimezone(TZ).date(),
        now=now,
        tz=TZ,
    )


LATE = [
    invoice("bright", "B-1", date(2026, 4, 30), "300.00", "GBP"),  # 20 days
    invoice("acme", "A-200", date(2026, 3, 31), "500.00"),  # 50 days
    invoice("tulp", "T-1", date(2026, 4, 20), "800.00"),  # 30 days: still 0-30
    invoice("acme", "A-100", date(2026, 1, 10)),  # 130 days
    invoice("tulp", "T-2", date(2026, 2, 19), "400.00"),  # 90 days: still 61-90
    invoice("acme", "A-300", TODAY),  # due today: not overdue
    invoice("acme", "A-050", date(2026, 1, 5), status=InvoiceStatus.PAID, paid_amount=Decimal("1210.00")),
    invoice("acme", "A-060", date(2026, 1, 6), paid_amount=Decimal("1210.00")),  # paid in parts: nothing owed
]


# --------------------------------------------------------------------------- overdue


def test_overdue_invoices_are_grouped_by_age_oldest_bucket_first_and_most_overdue_first(rules):
    overdue = digest(rules, invoices=LATE)["overdue"]
    assert [b["bucket"] for b in overdue] == ["90+", "61-90", "31-60", "0-30"]
    assert [[i["number"] for i in b["invoices"]] for b in overdue] == [
        ["A-100"],
        ["T-2"],
        ["A-200"],
        ["T-1", "B-1"],
    ]
    first = overdue[0]["invoices"][0]
    assert first["client_name"] == "ACME Soluciones S.L."
    assert first["days_overdue"] == 130 and first["due_date"] == date(2026, 1, 10)
    assert first["outstanding"] == Money(amount=Decimal("1210.00"), currency="EUR")
    # Two currencies are never added together.
    assert overdue[3]["totals"] == [
        Money(amount=Decimal("800.00"), currency="EUR"),
        Money(amount=Decimal("300.00"), currency="GBP"),
    ]


def test_the_overdue_count_and_totals_leave_out_paid_and_not_yet_due_invoices(rules):
    result = digest(rules, invoices=LATE)
    assert result["overdue_count"] == 5
    assert result["overdue_totals"] == [
        Money(amount=Decimal("2910.00"), currency="EUR"),
        Money(amount=Decimal("300.00"), currency="GBP"),
    ]


def test_each_overdue_invoice_shows_the_last_reminder_sent_and_the_next_stage(rules):
    invoices = [
        invoice("acme", "A-100", date(2026, 1, 10)),
        invoice("acme", "A-200", date(2026, 3, 31), "500.00"),
        invoice("bright", "B-1", date(2026, 5, 14), "300.00", "GBP"),
        invoice("tulp", "T-2", date(2026, 2, 19), "400.00"),
        invoice("tulp", "2026/7", date(2026, 2, 1), "90.00"),
    ]
    outbox = [
        sent("invoice/acme/A-100/first-reminder", date(2026, 1, 11)),
        sent("invoice/acme/A-100/second-reminder", date(2026, 1, 17)),
        sent("invoice/acme/A-200/first-reminder", date(2026, 4, 1)),
        Out("invoice/acme/A-200/second-reminder", "reminder", "drafted", at(date(2026, 4, 7), 9)),
        sent("invoice/tulp/T-2/first-reminder", date(2026, 2, 20)),
        sent("invoice/tulp/T-2/second-reminder", date(2026, 2, 26)),
        sent("invoice/tulp/T-2/final-notice", date(2026, 3, 12), kind="notice"),
        # The number is quoted in keys, so '/' stays unambiguous (ladder.action_key).
        sent("invoice/tulp/2026%2F7/first-reminder", date(2026, 2, 2)),
    ]
    by_number = {
        i["number"]: i
        for b in digest(rules, invoices=invoices, outbox=outbox)["overdue"]
        for i in b["invoices"]
    }

    a100 = by_number["A-100"]
    assert a100["last_stage"] == {"name": "second-reminder", "on": date(2026, 1, 17), "notice": False}
    assert a100["next_stage"]["name"] == "final-notice"
    assert a100["next_stage"]["on"] == date(2026, 1, 31) and a100["next_stage"]["due"]
    assert (a100["next_stage"]["number"], a100["next_stage"]["of"]) == (3, 3)

    a200 = by_number["A-200"]  # the second reminder waits in Drafts: the final notice waits for it
    assert a200["last_stage"]["name"] == "first-reminder"
    assert a200["next_stage"]["name"] == "final-notice"
    assert a200["next_stage"]["waiting"] and not a200["next_stage"]["due"]

    b1 = by_number["B-1"]  # due 14 May: the first reminder came due on the 15th, none sent
    assert b1["last_stage"] is None
    assert b1["next_stage"]["name"] == "first-reminder" and b1["next_stage"]["due"]

    t2 = by_number["T-2"]  # the final notice was a notice (action: notify): every stage used
    assert t2["last_stage"] == {"name": "final-notice", "on": date(2026, 3, 12), "notice": True}
    assert t2["next_stage"] is None and t2["chased"]

    assert by_number["2026/7"]["last_stage"]["name"] == "first-reminder"


def test_an_invoice_of_a_client_no_longer_configured_is_listed_but_not_chased(rules):
    (bucket,) = digest(rules, invoices=[invoice("gone", "G-1", date(2026, 5, 1))])["overdue"]
    (only,) = bucket["invoices"]
    assert only["client_name"] == "gone" and not only["chased"] and only["next_stage"] is None


def test_promised_disputed_and_paused_invoices_are_listed_apart_with_their_hold(rules):
    invoices = [
        *LATE[:2],
        invoice(
            "tulp",
            "T-3",
            date(2026, 4, 1),
            status=InvoiceStatus.PROMISED,
            hold_until=date(2026, 5, 25),
            hold_note="we betalen volgende week",
        ),
        invoice(
            "bright",
            "B-2",
            date(2026, 3, 1),
            "200.00",
            "GBP",
            status=InvoiceStatus.DISPUTED,
            hold_note="the amount is incorrect",
        ),
        invoice("acme", "A-400", date(2026, 6, 1), status=InvoiceStatus.PAUSED, hold_until=date(2026, 6, 30)),
        invoice(
            "acme", "A-401", date(2026, 2, 1), status=InvoiceStatus.PAUSED, paid_amount=Decimal("1210.00")
        ),
    ]
    result = digest(rules, invoices=invoices)
    held = result["held"]
    assert [(i["number"], i["status"]) for i in held] == [
        ("B-2", "disputed"),
        ("T-3", "promised"),
        ("A-400", "paused"),
    ]
    assert held[0]["hold_note"] == "the amount is incorrect" and held[0]["hold_until"] is None
    assert held[1]["hold_until"] == date(2026, 5, 25) and held[1]["hold_note"] == "we betalen volgende week"
    assert not any(i["chased"] or i["next_stage"] for i in held)
    overdue = [i["number"] for b in result["overdue"] for i in b["invoices"]]
    assert overdue == ["A-200", "B-1"]


# --------------------------------------------------------------------------- deliverables, drafts


def test_unanswered_deliverables_show_days_waiting_in_the_freelancers_time_zone(rules):
    deliverables = [
        # 23:30 UTC on 10 May is already the 11th in Madrid.
        deliverable("acme", "Propuesta v2", datetime(2026, 5, 10, 23, 30, tzinfo=UTC)),
        deliverable("tulp", "Ontwerp v1", at(date(2026, 5, 1))),
        deliverable("bright", "Logo", at(date(2026, 4, 1)), status=DeliverableStatus.ANSWERED),
    ]
    outbox = [
        Out(
            f"deliverable/acme/{deliverables[0].key.split('/')[1]}/feedback-request",
            "follow-up",
            "drafted",
            NOW,
        )
    ]
    waiting = digest(rules, deliverables=deliverables, outbox=outbox)["deliverables"]
    assert [(d["subject"], d["sent_on"], d["days_waiting"]) for d in waiting] == [
        ("Ontwerp v1", date(2026, 5, 1), 19),
        ("Propuesta v2", date(2026, 5, 11), 9),
    ]
    # 19 days of silence: both follow-ups are due; the next pass drafts the first one (stages
    # are climbed, never skipped), as `status` and `explain` say (domain/attention.py).
    assert waiting[0]["next_follow_up"]["name"] == "feedback-request" and waiting[0]["next_follow_up"]["due"]
    assert waiting[1]["next_follow_up"]["waiting"]  # its follow-up waits in Drafts


def test_drafts_waiting_for_review_oldest_first_without_terminations_notices_or_the_digest(rules):
    outbox = [
        Out(
            "invoice/acme/A-200/second-reminder",
            "reminder",
            "drafted",
            at(date(2026, 5, 18)),
            "Re: Factura A-200",
        ),
        Out(
            "deliverable/tulp/d1/feedback-request",
            "follow-up",
            "pending",
            at(date(2026, 5, 17)),
            "Re: Ontwerp",
        ),
        Out("rate/bright/2026-05-19", "rate-increase", "drafted", at(date(2026, 5, 19)), "New rate"),
        Out("invoice/acme/A-100/first-reminder", "reminder", "sent", at(date(2026, 1, 11))),
        Out("termination/acme/suggested-2026", "termination", "drafted", at(date(2026, 5, 19))),
        Out("invoice/tulp/T-2/final-notice", "notice", "sent", at(date(2026, 5, 19))),
        Out("digest/2026-05-19", "digest", "drafted", at(date(2026, 5, 19))),
    ]
    drafts = digest(rules, outbox=outbox)["drafts"]
    assert [(d["subject"], d["interrupted"]) for d in drafts] == [
        ("Re: Ontwerp", True),
        ("Re: Factura A-200", False),
        ("New rate", False),
    ]
    assert drafts[1]["since"] == at(date(2026, 5, 18)) and drafts[1]["since_time"] == "10:00"
    assert drafts[1]["recipient"] == "marta@acme.example"


def test_a_termination_draft_says_when_to_review_it_and_warns_when_money_is_still_owed(rules):
    invoices = [
        invoice("acme", "A-100", date(2026, 1, 10)),
        invoice("acme", "A-101", date(2026, 2, 10), "100.00", status=InvoiceStatus.DISPUTED),
        invoice("tulp", "T-9", date(2026, 1, 10), status=InvoiceStatus.PAID, paid_amount=Decimal("1210.00")),
    ]
    outbox = [
        # 16:00 UTC is 18:00 in Madrid (summer time): review after 18:00 tomorrow, local time.
        Out(
            "termination/acme/suggested-2026",
            "termination",
            "drafted",
            datetime(2026, 5, 19, 16, tzinfo=UTC),
            "Nuestra colaboración",
        ),
        Out(
            "termination/tulp/no-capacity",
            "termination",
            "drafted",
            at(date(2026, 5, 18)),
            "Onze samenwerking",
        ),
        Out("termination/bright/rate", "termination", "sent", at(date(2026, 5, 1))),
    ]
    tulp, acme = digest(rules, invoices=invoices, outbox=outbox)["terminations"]  # oldest first
    assert acme["client_name"] == "ACME Soluciones S.L." and acme["subject"] == "Nuestra colaboración"
    assert acme["review_after"] == datetime(2026, 5, 20, 18, tzinfo=TZ)
    assert acme["review_after_time"] == "18:00" and not acme["ready"]
    assert acme["money_owed"]
    assert [(o["number"], o["outstanding"].amount) for o in acme["owed"]] == [
        ("A-100", Decimal("1210.00")),
        ("A-101", Decimal("100.00")),
    ]
    assert tulp["ready"] and not tulp["money_owed"] and tulp["owed"] == []


def test_the_review_delay_comes_from_termination_yaml(rules):
    slower = replace(rules, termination=replace(rules.termination, review_after_hours=72))
    outbox = [Out("termination/tulp/other", "termination", "drafted", at(date(2026, 5, 18)))]
    (case,) = digest(slower, outbox=outbox)["terminations"]
    assert case["review_after"] == at(date(2026, 5, 21)) and not case["ready"]
    assert digest(slower)["review_after_hours"] == 72


# --------------------------------------------------------------------------- flagged, to-dos


def test_clients_flagged_this_year_by_a_suggested_or_held_termination(rules):
    # The triggers travel as data next to the sentence people read; nothing parses the sentence.
    held_why = {"why": ["3 invoices paid late or unpaid past due in the last 365 days: T-1, T-2, T-3"]}
    journal = [
        (
            "client/acme",
            at(date(2026, 5, 19)),
            "termination suggested",
            ("invoice A-100 still unpaid", "3 late payments"),
        ),
        (
            "client/tulp",
            JournalEntry(at(date(2026, 3, 1)), "termination held", "money is still owed", None, held_why),
        ),
        Line("client/bright", at(date(2025, 12, 30)), "termination suggested", ("last year",)),
        Line("client/bright", at(date(2026, 4, 1)), "scope change"),
        ("invoice/acme/A-100", at(date(2026, 5, 1)), "termination suggested", ("not a client line",)),
    ]
    outbox = [Out("termination/acme/suggested-2026", "termination", "drafted", at(date(2026, 5, 19)))]
    flagged = digest(rules, journal=journal, outbox=outbox)["flagged"]
    assert [(f["client_name"], f["held"], f["on"]) for f in flagged] == [
        ("ACME Soluciones S.L.", False, date(2026, 5, 19)),
        ("Tulp Design B.V.", True, date(2026, 3, 1)),
    ]
    assert (
        flagged[0]["why"] == ["invoice A-100 still unpaid", "3 late payments"] and flagged[0]["draft_waiting"]
    )
    assert flagged[1]["why"] == [
        "3 invoices paid late or unpaid past due in the last 365 days: T-1, T-2, T-3"
    ]
    assert not flagged[1]["draft_waiting"]


def test_the_latest_flag_of_a_client_wins(rules):
    journal = [
        ("client/acme", at(date(2026, 2, 1)), "termination held", ("money is still owed",)),
        ("client/acme", at(date(2026, 4, 1)), "termination suggested", ("paid at last",)),
    ]
    (flag,) = digest(rules, journal=journal)["flagged"]
    assert not flag["held"] and flag["on"] == date(2026, 4, 1)


def test_an_approved_deliverable_not_invoiced_within_24_hours_is_a_to_do(rules):
    deliverables = [
        deliverable(
            "acme",
            "Web final",
            at(date(2026, 5, 15)),
            status=DeliverableStatus.APPROVED,
            approved_at=at(date(2026, 5, 18)),
        ),
        # Approved 22 h 30 min ago: not yet.
        deliverable(
            "tulp",
            "Huisstijl",
            at(date(2026, 5, 15)),
            status=DeliverableStatus.APPROVED,
            approved_at=at(date(2026, 5, 19)),
        ),
        deliverable(
            "bright",
            "Logo",
            at(date(2026, 5, 1)),
            status=DeliverableStatus.INVOICED,
            approved_at=at(date(2026, 5, 2)),
        ),
    ]
    (todo,) = digest(rules, deliverables=deliverables)["to_invoice"]
    assert todo == {
        "client": "acme",
        "client_name": "ACME Soluciones S.L.",
        "subject": "Web final",
        "approved_on": date(2026, 5, 18),
        "days_since": 2,
    }


def test_invoice_todos_is_the_one_rule_exactly_at_the_limit_included():
    approved = deliverable(
        "acme",
        "Web",
        at(date(2026, 5, 1)),
        status=DeliverableStatus.APPROVED,
        approved_at=at(date(2026, 5, 19)),
    )
    assert invoice_todos([approved], 24, at(date(2026, 5, 20))) == [approved]
    assert invoice_todos([approved], 24, at(date(2026, 5, 20)) - timedelta(seconds=1)) == []
    assert invoice_todos([approved], 0, at(date(2026, 5, 19))) == [approved]


def test_notify_stages_of_the_last_fourteen_days_are_to_dos_as_in_status(rules):
    outbox = [
        Out(
            "invoice/tulp/2026%2F7/final-notice",
            "notice",
            "sent",
            at(date(2026, 5, 17)),
            "Re: Factuur 2026/7",
            "sanne@tulp.example",
        ),
        Out(
            "deliverable/acme/d1234567/feedback-call",
            "notice",
            "sent",
            at(date(2026, 5, 19)),
            "Re: Propuesta v1",
        ),
        Out("invoice/acme/A-1/final-notice", "notice", "sent", at(date(2026, 5, 7))),  # 13 days ago
        Out("invoice/acme/A-2/final-notice", "notice", "sent", at(date(2026, 5, 6), 8)),  # 14 days ago
    ]
    contact = digest(rules, outbox=outbox)["to_contact"]
    # 14 days, as `status` lists them (domain/attention.py: one answer for every view).
    assert [(c["client_name"], c["stage"], c["invoice_number"], c["subject"]) for c in contact] == [
        ("ACME Soluciones S.L.", "final-notice", "A-1", "Factura"),
        ("Tulp Design B.V.", "final-notice", "2026/7", "Factuur 2026/7"),
        ("ACME Soluciones S.L.", "feedback-call", "", "Propuesta v1"),
    ]
    assert contact[1]["recipient"] == "sanne@tulp.example"


def test_an_empty_ledger_is_a_digest_with_nothing_to_do(rules):
    result = digest(rules, invoices=[invoice("acme", "A-1", date(2026, 6, 1))])
    assert result["nothing_to_do"]
    for section in (
        "overdue",
        "held",
        "deliverables",
        "drafts",
        "terminations",
        "flagged",
        "to_invoice",
        "to_contact",
    ):
        assert result[section] == []
    assert result["today"] == TODAY and result["overdue_totals"] == []
    assert not digest(rules, invoices=LATE)["nothing_to_do"]


# --------------------------------------------------------------------------- the message


def full_digest(rules: Rules) -> dict:
    return digest(
        rules,
        invoices=[
            *LATE,
            invoice(
                "bright",
                "B-2",
                date(2026, 3, 1),
                "200.00",
                "GBP",
                status=InvoiceStatus.DISPUTED,
                hold_note="the amount is incorrect",
            ),
        ],
        deliverables=[deliverable("tulp", "Ontwerp v1", at(date(2026, 5, 1)))],
        outbox=[
            sent("invoice/acme/A-100/first-reminder", date(2026, 1, 11)),
            Out(
                "invoice/acme/A-200/first-reminder",
                "reminder",
                "drafted",
                at(date(2026, 4, 1)),
                "Re: Factura A-200",
            ),
            Out(
                "termination/acme/suggested-2026",
                "termination",
                "drafted",
                datetime(2026, 5, 19, 16, tzinfo=UTC),
                "Nuestra colaboración",
            ),
        ],
        journal=[
            ("client/acme", at(date(2026, 5, 19)), "termination suggested", "invoice A-100 still unpaid")
        ],
    )


@pytest.fixture(scope="module")
def shipped() -> Rules:
    return load_rules(None, Defaults(), IDENTITY)


def render(shipped: Rules, context: dict, language: str):
    draft = compose.digest_draft(
        context,
        identity=IDENTITY,
        template_text=shipped.template(language, "digest").text,
        key="digest/2026-05-20",
        now=NOW,
        locale=LOCALES[language],
    )
    message = email.message_from_bytes(draft.data, policy=policy.default)
    return draft, message, message.get_body(("plain",)).get_content().replace("\r\n", "\n")


@pytest.mark.parametrize(
    ("language", "subject", "money", "words"),
    [
        (
            "es",
            "Resumen de freelance-assistant del 20 de mayo de 2026",
            "1.210,00\xa0€",
            [
                "FACTURAS VENCIDAS: 5",
                "Más de 90 días de retraso:",
                "hace 130 días",
                "Último envío: primer recordatorio, el 11 de enero de 2026",
                "en disputa",
                "Reléelo después del 20 de mayo de 2026 a las 18:00",
                "todavía te debe",
                "ENTREGAS SIN RESPUESTA",
                "esperar al menos 24 horas",
                "nunca lo envía",
            ],
        ),
        (
            "en",
            "freelance-assistant digest for 20 May 2026",
            "€1,210.00",
            [
                "OVERDUE INVOICES: 5",
                "More than 90 days overdue:",
                "130 days ago",
                "Last sent: first reminder, on 11 January 2026",
                "disputed",
                "Read it again after 20 May 2026 at 18:00",
                "they still owe you",
                "WORK WAITING FOR AN ANSWER",
                "wait at least 24 hours",
                "never sends it",
            ],
        ),
        (
            "nl",
            "Overzicht van freelance-assistant voor 20 mei 2026",
            "€\xa01.210,00",
            [
                "VERLOPEN FACTUREN: 5",
                "Meer dan 90 dagen over de vervaldatum:",
                "130 dagen geleden",
                "Laatst verstuurd: eerste herinnering, op 11 januari 2026",
                "betwist",
                "Lees het opnieuw na 20 mei 2026 om 18:00",
                "ze zijn je nog",
                "OPGELEVERD WERK ZONDER ANTWOORD",
                "minstens 24 uur",
                "verstuurt het nooit",
            ],
        ),
    ],
)
def test_the_digest_is_a_message_to_the_freelancer_in_their_language(
    rules, shipped, language, subject, money, words
):
    draft, message, body = render(shipped, full_digest(rules), language)
    assert draft.kind == "digest" and draft.key == "digest/2026-05-20"
    assert draft.to == IDENTITY.address and draft.subject == subject
    assert message["Subject"] == subject
    assert message["From"].addresses[0].addr_spec == IDENTITY.email
    assert message["To"].addresses[0].addr_spec == IDENTITY.email
    assert message["From"].addresses[0].display_name == IDENTITY.name
    assert message["Auto-Submitted"] == "auto-generated"
    assert compose.key_of(message) == "digest/2026-05-20"
    assert message["Message-ID"] == draft.message_id == compose.message_id_for("digest/2026-05-20", IDENTITY)
    assert message["Content-Language"] == language
    assert "In-Reply-To" not in message
    assert not body.startswith("Subject:")
    assert money in body and "GBP" not in body  # Brightside's pounds carry the sign of the letters to them
    assert {"es": "300,00\xa0£", "en": "£300.00", "nl": "£\xa0300,00"}[language] in body
    for text in words:
        assert text in body, text
    refuse_unless_sendable(draft)  # the one message besides reminders that may go out by SMTP


def test_the_spanish_digest_lists_the_sections_in_order(rules, shipped):
    _, _, body = render(shipped, full_digest(rules), "es")
    headings = [
        "FACTURAS VENCIDAS",
        "EN PAUSA",
        "ENTREGAS SIN RESPUESTA",
        "BORRADORES POR REVISAR",
        "FIN DE COLABORACIÓN",
        "CLIENTES SEÑALADOS",
    ]
    positions = [body.index(h) for h in headings]
    assert positions == sorted(positions)
    assert (
        "- ACME Soluciones S.L., factura A-100: 1.210,00\xa0€, vencida el 10 de enero de 2026, hace 130 días\n"
        in body
    )
    assert "Brightside Media Ltd, factura B-1: 300,00\xa0£" in body
    assert "«Re: Factura A-200» para marta@acme.example" in body
    assert "PENDIENTES" not in body  # an empty section is left out


@pytest.mark.parametrize("language", ["es", "en", "nl"])
def test_a_day_with_nothing_to_do_is_one_friendly_line_and_the_reminder(rules, shipped, language):
    _, message, body = render(shipped, digest(rules), language)
    friendly = {
        "es": "Hoy no hay nada que requiera tu atención",
        "en": "Nothing needs your attention today",
        "nl": "Vandaag vraagt niets je aandacht",
    }
    assert friendly[language] in body
    assert {"es": "24 horas", "en": "24 hours", "nl": "24 uur"}[language] in body
    assert len(body.strip().splitlines()) == 7  # greeting, the line, the reminder, the signature
    assert message["Auto-Submitted"] == "auto-generated"


# --------------------------------------------------------------------------- configuration


def test_the_shipped_digest_templates_load_and_render_with_the_sample(shipped):
    for language in ("es", "en", "nl"):
        source = shipped.template(language, "digest")
        assert compose.check_template(source.path, source.text, "digest", IDENTITY, language) is None


def test_the_sample_fills_every_section_so_a_typo_anywhere_is_caught():
    context = compose.sample_context("digest", None, "es")
    for section in (
        "overdue",
        "held",
        "deliverables",
        "drafts",
        "terminations",
        "flagged",
        "to_invoice",
        "to_contact",
    ):
        assert context[section], section
    assert context["locale"] == "es_ES" and context["freelancer"]["name"]
    broken = "Subject: Resumen\n{% if to_contact %}\n{% for c in to_contact %}\n{{ c.recipeint }}\n{% endfor %}\n{% endif %}\n"
    line, message = compose.check_template("digest.txt.j2", broken, "digest", None, "es")
    assert line == 4 and "recipeint" in message


@pytest.mark.parametrize(
    ("language", "unsent", "never"),
    [
        ("en", "The final notice is drafted, not sent: it waits in Drafts.", "Every reminder has been sent"),
        ("es", "Aviso final: preparado, sin enviar; espera en Borradores.", "Ya se enviaron todos"),
        ("nl", "De laatste aanmaning is klaargezet, niet verstuurd: hij wacht in Concepten.", "alle herinneringen"),
    ],
)
def test_a_final_notice_only_drafted_is_never_said_to_be_sent(rules, shipped, language, unsent, never):
    owed = invoice("acme", "2026-001", date(2026, 3, 16))
    outbox = [
        sent("invoice/acme/2026-001/first-reminder", date(2026, 3, 17)),
        sent("invoice/acme/2026-001/second-reminder", date(2026, 3, 23)),
        Out("invoice/acme/2026-001/final-notice", "reminder", "drafted", at(date(2026, 4, 6), 9)),
    ]
    context = digest(rules, invoices=[owed], outbox=outbox)
    _, _, text = render(shipped, context, language)
    assert unsent in text and never not in text
