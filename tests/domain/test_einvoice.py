"""E-invoices read exactly: Factur-X/ZUGFeRD (CII), UBL and Facturae XML."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from assistant.domain.einvoice import read_einvoice
from bench.invoice_pdfs import Facts, factur_x, facturae, ubl

FACTS = Facts(
    number="NOV-12",
    lines=(("Diseño web", Decimal("1000.00")),),
    issued=date(2026, 3, 12),
    due_days=30,
    irpf=15,
)


def test_factur_x_gives_number_dates_payable_total_currency_and_buyer():
    found = read_einvoice(factur_x(FACTS, "ACME Soluciones S.L."))
    assert found.format == "Factur-X"
    assert (found.number, found.issue_date, found.due_date) == (
        "NOV-12",
        date(2026, 3, 12),
        date(2026, 4, 11),
    )
    # DuePayableAmount (after IRPF), not GrandTotalAmount (1210.00)
    assert (found.total, found.currency) == (Decimal("1060.00"), "EUR")
    assert found.buyer_name == "ACME Soluciones S.L."


def test_ubl_gives_the_payable_amount():
    found = read_einvoice(ubl(FACTS, "Tulp Design B.V."))
    assert found.format == "UBL"
    assert (found.number, found.total, found.currency) == ("NOV-12", Decimal("1060.00"), "EUR")
    assert (found.issue_date, found.due_date) == (date(2026, 3, 12), date(2026, 4, 11))
    assert found.buyer_name == "Tulp Design B.V."


def test_facturae_joins_series_and_number_and_takes_the_total_after_withholding():
    found = read_einvoice(facturae(FACTS, "ACME Soluciones S.L.", series="NOV-"))
    assert found.format == "Facturae"
    assert found.number == "NOV-12"
    assert (found.total, found.due_date) == (Decimal("1060.00"), date(2026, 4, 11))


def test_a_ubl_credit_note_is_no_invoice_to_chase():
    credit = ubl(FACTS, "x").replace(b"<cbc:InvoiceTypeCode>380<", b"<cbc:InvoiceTypeCode>381<")
    assert read_einvoice(credit) is None


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not xml at all",
        b"<html><body>Factura</body></html>",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><Invoice>&b;</Invoice>',
        b"<Invoice xmlns='urn:oasis:names:specification:ubl:schema:xsd:Invoice-2'><x/></Invoice>",  # no number
        b"<Invoice><ID>1</ID><IssueDate>2026-13-45</IssueDate></Invoice>",  # an impossible date
    ],
    ids=["empty", "text", "html", "entities", "no-number", "bad-date"],
)
def test_what_is_not_a_readable_e_invoice_gives_none(data):
    assert read_einvoice(data) is None


def test_zugferd_1_is_read_too():
    data = b"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryDocument xmlns:rsm="urn:ferd:CrossIndustryDocument:invoice:1p0"
 xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12"
 xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15">
  <rsm:HeaderExchangedDocument><ram:ID>RE-2026-17</ram:ID><ram:TypeCode>380</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">20260312</udt:DateTimeString></ram:IssueDateTime>
  </rsm:HeaderExchangedDocument>
  <rsm:SpecifiedSupplyChainTradeTransaction>
    <ram:ApplicableSupplyChainTradeSettlement>
      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradeSettlementMonetarySummation>
        <ram:GrandTotalAmount currencyID="EUR">595.00</ram:GrandTotalAmount>
      </ram:SpecifiedTradeSettlementMonetarySummation>
    </ram:ApplicableSupplyChainTradeSettlement>
  </rsm:SpecifiedSupplyChainTradeTransaction>
</rsm:CrossIndustryDocument>"""
    found = read_einvoice(data)
    assert (found.number, found.issue_date, found.total, found.currency) == (
        "RE-2026-17",
        date(2026, 3, 12),
        Decimal("595.00"),
        "EUR",
    )
