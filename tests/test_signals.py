"""Reading clients' words: payments, disputes, promises, approvals, scope changes (es, en, nl)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from assistant.config import load_rules
from assistant.domain.classify import fresh_text, invoice_numbers_named, signals_in
from assistant.domain.extract import parse_when
from assistant.domain.model import Signal

WEDNESDAY = date(2026, 3, 18)


@pytest.fixture(scope="module")
def signals():
    return load_rules(None).signals


def said(signals, text, language="es"):
    return {s.signal: s for s in signals_in(text, signals, language=language, written_on=WEDNESDAY)}


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Hola Lucía, ya hemos realizado la transferencia.", "es"),
        ("La factura 2026-001 ya está pagada.", "es"),
        ("El pago ha sido efectuado hoy.", "es"),
        ("Pagado!", "es"),
        ("Hi Lucía, we've just paid it.", "en"),
        ("Payment has been made this morning.", "en"),
        ("The invoice has now been settled.", "en"),
        ("De factuur is inmiddels betaald.", "nl"),
        ("Wij hebben het bedrag vandaag overgemaakt.", "nl"),
    ],
)
def test_a_client_saying_it_was_paid(signals, text, language):
    assert Signal.PAID in said(signals, text, language)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Todavía no lo hemos pagado, falta la orden de compra.", "es"),
        ("No hemos pagado porque falta el PO.", "es"),
        ("We have not paid yet.", "en"),
        ("Sorry, we never paid that one?", "en"),
        ("De factuur is nog niet betaald.", "nl"),
        ("Avíseme cuando haya pagado.", "es"),  # our own words, if they ever got through
    ],
)
def test_a_negation_is_not_a_payment(signals, text, language):
    assert Signal.PAID not in said(signals, text, language)


def test_a_smaller_amount_in_the_paid_sentence_is_kept_for_a_partial_payment(signals):
    found = said(signals, "Hemos pagado 500,00 € de momento; el resto en abril.")
    assert found[Signal.PAID].amount.amount == Decimal("500.00")


def test_a_number_that_is_not_money_is_not_a_partial_payment(signals):
    found = said(signals, "Ya hemos realizado la transferencia de la factura F-2026-001.")
    assert Signal.PAID in found and found[Signal.PAID].amount is None


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("No estamos de acuerdo con el importe, hay un error en la factura.", "es"),
        ("We dispute this invoice: the amount is not what we agreed.", "en"),
        ("Het bedrag klopt niet.", "nl"),
    ],
)
def test_a_dispute_is_read_with_its_sentence(signals, text, language):
    found = said(signals, text, language)
    assert Signal.DISPUTE in found and found[Signal.DISPUTE].quote


@pytest.mark.parametrize(
    ("text", "language", "day"),
    [
        ("Pagaremos el viernes sin falta.", "es", date(2026, 3, 20)),
        ("Le pagaremos la semana que viene.", "es", date(2026, 3, 27)),
        ("Haremos la transferencia el 25 de marzo.", "es", date(2026, 3, 25)),
        ("We will pay on 12 April.", "en", date(2026, 4, 12)),
        ("We'll transfer it by the end of the month.", "en", date(2026, 3, 31)),
        ("Payment will be made within 10 days.", "en", date(2026, 3, 28)),
        ("We gaan volgende week betalen.", "nl", date(2026, 3, 27)),
        ("We betalen morgen.", "nl", date(2026, 3, 19)),
        ("Volgende week betalen we.", "nl", date(2026, 3, 27)),
    ],
)
def test_a_promise_to_pay_names_a_day(signals, text, language, day):
    assert said(signals, text, language)[Signal.PROMISE].until == day


def test_a_vague_promise_has_no_day(signals):
    assert said(signals, "We will pay soon.", "en")[Signal.PROMISE].until is None


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Está perfecta, aprobado.", "es"),
        ("Looks great, thanks!", "en"),
        ("Ziet er goed uit, akkoord!", "nl"),
    ],
)
def test_approval(signals, text, language):
    assert Signal.APPROVAL in said(signals, text, language)


def test_niet_akkoord_is_a_dispute_not_an_approval(signals):
    found = said(signals, "Hier zijn we niet akkoord mee.", "nl")
    assert Signal.DISPUTE in found and Signal.APPROVAL not in found


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Un cambio más: el logo más grande.", "es"),
        ("Just one more thing: a new page.", "en"),
        ("Nog een kleine aanpassing graag.", "nl"),
    ],
)
def test_scope_change_wording(signals, text, language):
    assert Signal.SCOPE_CHANGE in said(signals, text, language)


@pytest.mark.parametrize(
    "reply",
    [
        "Lo miro.\n\nEl mar, 17 mar 2026 a las 10:00, Lucía <l@x> escribió:\nHemos pagado",
        "Lo miro.\n> Hemos pagado",
        "Lo miro.\n-----Original Message-----\nHemos pagado",
        "Ik kijk ernaar.\n\nOp 17 mrt. 2026 om 10:00 schreef Lucía <l@x>:\nis betaald",
        "I'll check.\n\nOn Tue, 17 Mar 2026, Lucía <l@x> wrote:\nwe have paid",
        "Lo miro.\n--\nMarta López · Hemos pagado siempre a tiempo",
    ],
)
def test_fresh_text_leaves_quotes_and_signatures_out(reply):
    text = fresh_text(reply)
    assert text.strip() in ("Lo miro.", "Ik kijk ernaar.", "I'll check.")


def test_invoice_numbers_are_named_only_as_whole_tokens():
    assert invoice_numbers_named("la factura 2026-001 y la F-7", ["2026-001", "2026-00", "F-7", "7"]) == [
        "2026-001",
        "F-7",
    ]


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("el lunes", date(2026, 3, 23)),
        ("next Monday", date(2026, 3, 23)),
        ("el viernes de la semana que viene", date(2026, 3, 27)),
        ("mañana", date(2026, 3, 19)),
        ("pasado mañana", date(2026, 3, 20)),
        ("overmorgen", date(2026, 3, 20)),
        ("vandaag", date(2026, 3, 18)),
        ("deze week", date(2026, 3, 20)),
        ("eind van de maand", date(2026, 3, 31)),
        ("next month", date(2026, 4, 30)),
        ("en dos semanas", date(2026, 4, 1)),
        ("binnen 5 dagen", date(2026, 3, 23)),
        ("12/04", date(2026, 4, 12)),
        ("March 30th", date(2026, 3, 30)),
        ("on 2 January", date(2027, 1, 2)),  # a day without a year is the next such day
        ("15/06/2026", date(2026, 6, 15)),
        ("soon", None),
        ("", None),
    ],
)
def test_promised_days_are_read_relative_to_the_message(text, day):
    assert parse_when(text, language="en", today=WEDNESDAY) == day
