"""Terminations only when earned: late means late, once in any 365 days, a working last day,
wording true to what was said before. Pure: no mailbox, no clock."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from assistant.domain import compose, ladder, termination
from assistant.domain.model import Invoice, InvoiceStatus, Money, Stage
from tests.support.world import IDENTITY, TZ, rules


@pytest.fixture
def world(tmp_path):
    return rules(tmp_path)


def invoice(number: str, due: date, **changes) -> Invoice:
    base = Invoice(
        client="tulp",
        number=number,
        amount=Money(amount=Decimal("500.00"), currency="EUR"),
        issue_date=date.fromordinal(due.toordinal() - 14),
        due_date=due,
        message_id=f"<{number}@x>",
        subject=f"Factuur {number}",
        sent_at=datetime.combine(date.fromordinal(due.toordinal() - 14), datetime.min.time(), TZ),
    )
    return dataclasses.replace(base, **changes)


def fired(world, invoices, today, final_notices=None):
    client = world.clients["tulp"]
    return termination.triggers(client, invoices, [], final_notices or {}, [], world, today, TZ)


def test_three_invoices_a_day_overdue_are_being_chased_not_paid_late(world):
    today = date(2026, 4, 2)
    open_ones = [invoice(f"2026-00{n}", date(2026, 4, 1)) for n in (1, 2, 3)]
    assert fired(world, open_ones, today) == []


def test_unpaid_after_its_final_notice_or_paid_after_the_grace_is_late(world):
    today = date(2026, 6, 1)
    paid_late = [
        invoice("2026-001", date(2026, 3, 1), status=InvoiceStatus.PAID, paid_on=date(2026, 3, 9), paid_via="cli"),
        invoice("2026-002", date(2026, 4, 1), status=InvoiceStatus.PAID, paid_on=date(2026, 4, 9), paid_via="cli"),
    ]
    within_grace = invoice(
        "2026-003", date(2026, 5, 1), status=InvoiceStatus.PAID, paid_on=date(2026, 5, 3), paid_via="cli"
    )
    chased = invoice("2026-004", date(2026, 5, 1))
    assert fired(world, [*paid_late, within_grace, chased], today) == []
    final_notice = {"2026-004": datetime(2026, 5, 22, 10, tzinfo=UTC)}
    (trigger,) = fired(world, [*paid_late, within_grace, chased], today, final_notice)
    assert trigger.name == "late-payments" and "2026-001, 2026-002, 2026-004" in trigger.evidence


def test_one_suggestion_in_any_365_days_and_none_while_one_waits_unsent():
    assert termination.may_suggest([], date(2027, 1, 1))
    # 23 December and 1 January are nine days apart, not two different years.
    assert not termination.may_suggest([(date(2026, 12, 23), False)], date(2027, 1, 1))
    assert not termination.may_suggest([(date(2026, 12, 23), False)], date(2027, 12, 22))
    assert termination.may_suggest([(date(2026, 12, 23), False)], date(2027, 12, 23))
    # A draft still waiting in Drafts, however old, is enough.
    assert not termination.may_suggest([(date(2025, 1, 10), True)], date(2027, 1, 1))


def test_the_last_working_day_is_a_business_day_of_the_clients_country(world):
    acme = world.clients["acme"]  # Spain
    # 14 days after 23 December 2026 is 6 January 2027, Epiphany: a public holiday in Spain.
    assert termination.last_working_day(date(2026, 12, 23), 14, acme) == date(2027, 1, 7)
    # 14 days after Friday 1 May 2026 is Friday 15 May; 15 days is Saturday 16 May -> Monday.
    assert termination.last_working_day(date(2026, 5, 1), 15, acme) == date(2026, 5, 18)


def test_the_final_notice_is_found_by_its_role_not_its_position(world):
    stages = world.escalation.invoice
    assert ladder.final_stage(stages).name == "final-notice"
    call = Stage(name="phone-call", after_days=28, template="invoice-final-notice", action="notify")
    assert ladder.final_stage((*stages, call)).name == "final-notice"
    unmarked = tuple(dataclasses.replace(s, final=False) for s in stages)
    assert ladder.final_stage(unmarked).name == "final-notice"  # the last, when none is marked


@pytest.mark.parametrize(
    ("language", "paused", "discussed"),
    [
        ("en", "the work remains paused until the outstanding invoices are paid", "As we discussed on 30 March 2026"),
        ("es", "el trabajo sigue en pausa hasta que se abonen las facturas pendientes", "Tal como hablamos el 30 de marzo de 2026"),
        ("nl", "blijft het werk stilliggen tot de openstaande facturen zijn betaald", "Zoals we op 30 maart 2026 bespraken"),
    ],
)
def test_the_wording_fits_what_was_said_before(world, language, paused, discussed):
    client = dataclasses.replace(world.clients["tulp"], language=language, locale={"es": "es_ES", "en": "en_GB", "nl": "nl_NL"}[language])
    owed = invoice("2026-004", date(2026, 3, 1))
    today = date(2026, 4, 1)
    notices = {"2026-004": datetime(2026, 3, 22, 10, tzinfo=UTC)}
    template = world.template(language, "termination").text

    def text(**kw) -> str:
        case = termination.case(
            client, "non-payment", key="k", invoices=[owed], deliverables=[], rules=world, today=today, **kw
        )
        draft = compose.termination_draft(
            case, client=client, identity=IDENTITY, template_text=template, attachments={},
            referrals=(), final_invoice_terms_days=15, now=datetime(2026, 4, 1, 9, tzinfo=UTC), today=today,
        )  # fmt: skip
        return draft.data.decode("utf-8", "replace")

    import email
    from email import policy

    def body(raw: str) -> str:
        message = email.message_from_string(raw, policy=policy.default)
        return message.get_body(("plain",)).get_content()

    after_final_notice = body(text(final_notices=notices))
    assert paused in after_final_notice
    plain = body(text())
    assert paused not in plain
    assert discussed in body(text(discussed_on=date(2026, 3, 30)))
    assert discussed not in plain
