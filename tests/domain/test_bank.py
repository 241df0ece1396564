"""The bank matcher: a credit pays an invoice by number, else by the payer and the exact amount."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal

from assistant.domain import bank, ledger
from assistant.domain.model import Client, Invoice, InvoiceStatus, Money

CLIENTS = {
    "acme": Client(id="acme", name="ACME Soluciones S.L.", contact="Marta <marta@acme.example>",
                   iban="ES76 2077 0024 0031 0257 5766"),
    "initech": Client(id="initech", name="Initech B.V.", contact="Bob <bob@initech.example>",
                      payer_names=("INITECH HOLDING",)),
    "globex": Client(id="globex", name="Globex Ltd", contact="Hank <hank@globex.example>"),
}  # fmt: skip


def invoice(client: str, number: str, amount: str, issued: date, **changes) -> Invoice:
    return Invoice(
        client=client, number=number, amount=Money(amount=Decimal(amount), currency="EUR"),
        issue_date=issued, due_date=date.fromordinal(issued.toordinal() + 14), message_id=f"<{number}@x>",
        subject=f"Factura {number}", sent_at=datetime(issued.year, issued.month, issued.day, 9), **changes,
    )  # fmt: skip


def credit(
    amount: str, *, remittance: str = "", name: str = "", iban: str = "", tid: str = "T1", booked=None
):
    return bank.Credit(
        transaction_id=tid, booked=booked or date(2026, 4, 10), amount=Decimal(amount), currency="EUR",
        name=name, iban=iban, remittance=remittance,
    )  # fmt: skip


INVOICES = [
    invoice("acme", "2026-001", "1210.00", date(2026, 1, 31)),
    invoice("acme", "2026-004", "1210.00", date(2026, 2, 28)),
    invoice("acme", "2026-010", "800.00", date(2026, 3, 31)),
    invoice("initech", "INV-7", "605.50", date(2026, 2, 15)),
    invoice("globex", "G-12", "300.00", date(2026, 3, 1)),
]


def test_the_number_in_the_remittance_pays_that_invoice_on_the_booking_day():
    found = bank.match(
        [credit("1210.00", remittance="FRA. 2026004 MARZO", name="Someone")], INVOICES, CLIENTS, {}
    )
    (payment,) = found.payments
    assert payment.invoice.key == "acme/2026-004"
    assert payment.event is ledger.Event.PAID and payment.how == "number"
    assert payment.invoice.status is InvoiceStatus.PAID
    assert payment.invoice.paid_on == date(2026, 4, 10) and payment.invoice.paid_via == "bank"
    assert found.unmatched == ()


def test_a_number_is_not_found_inside_a_longer_one():
    # "2026-0010" is not invoice 2026-001, and "2026-010" is not 2026-001 either.
    found = bank.match([credit("800.00", remittance="Factura 2026-010")], INVOICES, CLIENTS, {})
    assert [p.invoice.number for p in found.payments] == ["2026-010"]
    found = bank.match([credit("5.00", remittance="pedido 2026-0010")], INVOICES, CLIENTS, {})
    assert found.payments == () and len(found.unmatched) == 1


def test_a_smaller_credit_is_a_partial_payment_and_the_rest_stays_owed():
    found = bank.match([credit("500.00", remittance="INV-7 part 1")], INVOICES, CLIENTS, {})
    (payment,) = found.payments
    assert payment.event is ledger.Event.PART_PAID
    assert payment.invoice.status is InvoiceStatus.OPEN
    assert payment.invoice.outstanding.amount == Decimal("105.50")


def test_the_second_part_pays_the_rest():
    parts = [
        credit("500.00", remittance="INV-7", tid="A", booked=date(2026, 4, 1)),
        credit("105.50", remittance="INV-7", tid="B", booked=date(2026, 4, 20)),
    ]
    found = bank.match(parts, INVOICES, CLIENTS, {})
    assert [p.event for p in found.payments] == [ledger.Event.PART_PAID, ledger.Event.PAID]
    assert found.payments[-1].invoice.paid_on == date(2026, 4, 20)


def test_one_transfer_for_two_invoices_pays_both_oldest_first():
    found = bank.match([credit("2420.00", remittance="Facturas 2026-004 y 2026-001")], INVOICES, CLIENTS, {})
    assert [(p.invoice.number, p.amount, p.event) for p in found.payments] == [
        ("2026-001", Decimal("1210.00"), ledger.Event.PAID),
        ("2026-004", Decimal("1210.00"), ledger.Event.PAID),
    ]


def test_without_a_number_the_clients_iban_and_the_exact_amount_pay_the_oldest_invoice():
    found = bank.match(
        [credit("1210.00", iban="ES7620770024003102575766", remittance="pago")], INVOICES, CLIENTS, {}
    )
    (payment,) = found.payments
    assert payment.invoice.number == "2026-001" and payment.how == "iban"


def test_the_payer_name_from_clients_yaml_or_the_client_name_identifies_the_client():
    by_alias = bank.match([credit("605.50", name="INITECH HOLDING BV")], INVOICES, CLIENTS, {})
    assert [(p.invoice.number, p.how) for p in by_alias.payments] == [("INV-7", "name")]
    by_name = bank.match([credit("300.00", name="GLOBEX LIMITED")], INVOICES, CLIENTS, {})
    assert [p.invoice.number for p in by_name.payments] == ["G-12"]


def test_a_known_payer_with_an_amount_that_matches_nothing_is_unmatched():
    found = bank.match([credit("999.00", iban="ES7620770024003102575766")], INVOICES, CLIENTS, {})
    assert found.payments == () and [c.amount for c in found.unmatched] == [Decimal("999.00")]


def test_an_unknown_payer_is_unmatched_even_with_a_matching_amount():
    found = bank.match(
        [credit("300.00", name="Somebody Else", iban="DE89370400440532013000")], INVOICES, CLIENTS, {}
    )
    assert found.payments == () and len(found.unmatched) == 1


def test_a_payer_is_learned_from_a_credit_that_named_the_invoice_and_used_later():
    first = bank.match(
        [credit("300.00", remittance="G-12", iban="DE89 3704 0044 0532 0130 00", name="GLBX TRADING")],
        INVOICES, CLIENTS, {},
    )  # fmt: skip
    learned = dict(first.learned)
    assert learned == {"iban:DE89370400440532013000": "globex", "name:GLBX TRADING": "globex"}
    later = [invoice("globex", "G-13", "450.00", date(2026, 4, 1))]
    found = bank.match([credit("450.00", iban="DE89370400440532013000", tid="T2")], later, CLIENTS, learned)
    assert [(p.invoice.number, p.how) for p in found.payments] == [("G-13", "iban")]


def test_a_credit_naming_an_invoice_already_paid_is_evidence_only():
    paid = ledger.apply(INVOICES[0], ledger.Event.PAID, on=date(2026, 2, 20), via="cli")
    found = bank.match([credit("1210.00", remittance="2026-001")], [paid], CLIENTS, {})
    (payment,) = found.payments
    assert payment.event is None and payment.invoice == paid


def test_a_credit_in_another_currency_does_not_pay_a_euro_invoice():
    other = bank.Credit(transaction_id="X", booked=date(2026, 4, 1), amount=Decimal("300.00"), currency="GBP",
                        remittance="G-12")  # fmt: skip
    assert bank.match([other], INVOICES, CLIENTS, {}).payments == ()


def test_new_credits_leaves_out_what_was_imported_before_and_repeats():
    a, b = credit("1.00", tid="A"), credit("2.00", tid="B")
    assert bank.new_credits([a, b, b], {"A"}) == [b]


def test_names_are_compared_without_accents_punctuation_or_legal_form():
    assert bank.normalise_name("Acmé Soluciones, S.L.") == "ACME SOLUCIONES"
    assert bank.normalise_name("Initech B.V.") == "INITECH"


def test_the_same_transfer_from_two_formats_is_seen_once_and_two_payers_are_two():
    camt = credit(
        "1210.00", remittance="Factura 2026-001", iban="ES76 2077 0024 0031 0257 5766", tid="ES91/R1"
    )
    n43 = credit("1210.00", remittance="FRA 2026-001", iban="ES7620770024003102575766", tid="n43:abc")
    other = credit("1210.00", remittance="Factura 2026-004", iban="DE89370400440532013000", tid="n43:def")
    by_name = credit("1210.00", name="ACME SOLUCIONES TEC", tid="n43:ghi")
    stored = [dataclasses.replace(camt, name="ACME SOLUCIONES TECNOLOGICAS SL", iban="")]
    assert bank.seen_elsewhere([n43, other], [camt]) == [n43]
    assert bank.seen_elsewhere([by_name], stored) == [by_name]
    assert bank.seen_elsewhere([credit("1210.00", tid="n43:x")], [camt]) == []  # no payer to compare
