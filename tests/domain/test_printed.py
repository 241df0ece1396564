"""Reading a printed invoice by its labels and layout (the shipped labels of invoices.yaml)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from assistant.config import load_rules
from assistant.domain.printed import read_printed, terms_days

LABELS = load_rules(None).invoices.labels
TERMS = LABELS.terms


def read(text: str, language: str = "es"):
    return read_printed(text, LABELS, language=language)


def test_a_value_right_of_its_label_far_across_the_row():
    found = read(
        "Nº factura                F2026-0045\nFecha          12/03/2026\nTOTAL             1.060,00 €"
    )
    assert found.number == "F2026-0045"
    assert found.issue_date == date(2026, 3, 12)
    assert found.amount == (Decimal("1060.00"), "EUR")


def test_values_below_a_header_row_of_labels_stay_in_their_columns():
    text = (
        "Nº FACTURA                          FECHA                            VENCIMIENTO\n"
        "J-1043                              17/03/2026                       31/03/2026\n"
    )
    found = read(text)
    assert (found.number, found.issue_date, found.due_date) == (
        "J-1043",
        date(2026, 3, 17),
        date(2026, 3, 31),
    )


def test_a_totals_table_gives_the_total_not_the_tax_beside_it():
    """The issue's case: a row of totals made the tax (40.39) the total (319.00)."""
    text = (
        "      BASE IMPONIBLE         IVA 21%          TOTAL\n"
        "            278,61 €          40,39 €       319,00 €\n"
    )
    assert read(text).amount == (Decimal("319.00"), "EUR")


def test_the_total_after_irpf_withholding_wins_over_the_total_with_tax():
    text = (
        "Total factura                 1.210,00 €\n"
        "Retención IRPF 15%             -150,00 €\n"
        "Total a pagar                 1.060,00 €\n"
        "Subtotal                      1.000,00 €\n"  # printed after, still never the total
    )
    assert read(text).amount == (Decimal("1060.00"), "EUR")


@pytest.mark.parametrize(
    ("text", "language", "amount"),
    [
        ("Subtotal   263,64\nTotal IVA   55,36\nTotal con IVA   319,00 €", "es", "319.00"),
        ("Subtotaal  € 263,64\n21% btw  € 55,36\nTotaal incl. btw  € 319,00", "nl", "319.00"),
        ("Subtotal  €263.64\nVAT 21%  €55.36\nTotal incl. VAT  €319.00", "en", "319.00"),
        ("Sub Total   €263.64\nTax (21%)   €55.36\nTotal   €319.00\nBalance Due   €319.00", "en", "319.00"),
        ("Amount Due (EUR):   €1,210.00", "en", "1210.00"),
        ("TOTAL FACTURA   1.060,00 €", "es", "1060.00"),
        ("Te betalen   € 850,00", "nl", "850.00"),
    ],
)
def test_grand_total_labels_of_the_tools(text, language, amount):
    assert read(text, language).amount[0] == Decimal(amount)


def test_a_value_printed_before_its_label_is_read():
    assert read("1.210,00 €     Total\n12/03/2026     Fecha").amount == (Decimal("1210.00"), "EUR")
    assert read("12/03/2026     Fecha").issue_date == date(2026, 3, 12)


def test_a_number_keeps_every_letter():
    """The issue's case: NOV-12 read as V-12, so "we've paid NOV-12" stopped nothing."""
    assert read("Factura NOV-12\nFecha: 08/09/2022").number == "NOV-12"
    assert read("Invoice No. NOV-12", "en").number == "NOV-12"
    assert read("Factuurnummer: N-0077", "nl").number == "N-0077"


def test_a_number_never_crosses_a_line_and_is_never_a_date():
    """The issue's case: 8-9-2022 under "Invoice number" became the number."""
    found = read("Invoice number:\n8-9-2022\nInvoice #: 2022-77", "en")
    assert found.number == "2022-77"
    assert read("Factura nº:\n12/03/2026").number == ""


def test_a_number_at_the_very_start_of_a_line_under_its_label():
    assert read("Invoice Number      Date of Issue\n0000123             12/03/2026", "en").number == "0000123"


def test_other_numbers_and_dates_are_not_the_invoices():
    text = (
        "PO Number:        7781\n"
        "Invoice Number:   0042\n"
        "Delivery date:    01/03/2026\n"
        "Invoice Date:     2026-03-12\n"
    )
    found = read(text, "en")
    assert (found.number, found.issue_date) == ("0042", date(2026, 3, 12))


def test_a_title_gives_the_number_beside_it_or_marked_under_it():
    assert read("FACTURA 2026/014").number == "2026/014"
    assert (
        read("                TAX INVOICE\n                      # INV-000017", "en").number == "INV-000017"
    )
    # An address under a title is no number.
    assert read("FACTURA\nCalle Mayor 12").number == ""


def test_a_currency_shown_in_a_label_is_the_documents():
    found = read("Description    Amount EUR\nWeb design   1,000.00\nTOTAL EUR      1,210.00", "en")
    assert found.amount == (Decimal("1210.00"), "EUR")


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("Forma de pago: transferencia bancaria a 30 días", 30),
        ("Wij verzoeken u het bedrag binnen 14 dagen over te maken", 14),
        ("Terms : Net 30", 30),
        ("Payment terms: 15 days", 15),
        ("El pago vence dentro de las dos semanas posteriores a la fecha de la factura.", 14),  # seed 002
        ("Zahlbar innerhalb von 10 Tagen", 10),
        ("Gracias por su confianza", None),
    ],
)
def test_payment_terms_printed_on_the_invoice(text, days):
    assert terms_days(text, TERMS) == days


def test_nothing_printed_reads_as_nothing():
    found = read("")
    assert (found.number, found.amount, found.issue_date, found.due_date) == ("", None, None, None)


def test_words_a_character_layout_glued_or_spread_are_still_read():
    """pypdf lays a page out in characters: separately drawn words come out glued
    ("InvoiceNumber", "incl.btw", "1de abrilde 2026") or a few spaces apart."""
    assert read("InvoiceNumber\nE26-11828", "en").number == "E26-11828"
    assert read("Totaal  incl.btw                  € 3.110,30", "nl").amount == (Decimal("3110.30"), "EUR")
    assert read("Fecha de emisión\n1de abrilde 2026").issue_date == date(2026, 4, 1)
    assert read("Datum:                 25 april2026", "nl").issue_date == date(2026, 4, 25)
    found = read("Base   imponible      1.120,00   €\nTOTAL     FACTURA                      1.187,20    €")
    assert found.amount[0] == Decimal("1187.20") and found.currency == "EUR"
    assert terms_days("Please pay thetotalamount  within30 days", TERMS) == 30
