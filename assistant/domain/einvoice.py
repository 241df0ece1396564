"""E-invoice: the structured invoice data a freelancer's tool emits, read exactly.

One job: XML bytes -> ``EInvoice`` (number, dates, totals, currency, buyer). Three
formats, told apart by their root element:

* Factur-X / ZUGFeRD 2 (UN/CEFACT Cross Industry Invoice, embedded in the PDF; ZUGFeRD 1's
  CrossIndustryDocument too),
* UBL 2.x ``Invoice`` (Peppol BIS, XRechnung UBL, what Dutch tools send),
* Facturae 3.2.x (the Spanish public sector's format).

What is printed on a PDF is read with labels and layout, and can be misread; this is
the data the tool itself wrote, so where it exists it wins. Elements are found by local
name, whatever namespace version the file declares. The standard library's parser is
enough (an e-invoice is a few kilobytes); a document type declaration is refused before
parsing, so no entity can expand. Pure: no I/O, no clock; ``None`` for anything that is
not a readable invoice, never an exception.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

__all__ = ["EInvoice", "read_einvoice"]

MAX_XML_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class EInvoice:
    """What an e-invoice says, in its own words."""

    format: str  # "Factur-X", "UBL", "Facturae"
    number: str
    issue_date: date | None = None
    due_date: date | None = None
    # What the client is asked to pay: after withholding (IRPF) and prepayments.
    total: Decimal | None = None
    currency: str = ""
    buyer_name: str = ""
    buyer_email: str = ""


_DOCTYPE = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)


def read_einvoice(data: bytes) -> EInvoice | None:
    """The invoice in ``data`` (XML), or ``None`` when it is none of the three formats."""
    if not isinstance(data, bytes | bytearray) or not data or len(data) > MAX_XML_BYTES:
        return None
    if _DOCTYPE.search(data):
        return None  # no e-invoice needs one; an entity bomb does
    try:
        root = ET.fromstring(bytes(data))
    except (ET.ParseError, ValueError):
        return None
    reader = _READERS.get(_local(root.tag))
    if reader is None:
        return None
    try:
        found = reader(root)
    except (ValueError, InvalidOperation, TypeError):
        return None
    return found if found is not None and found.number else None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _path(steps: str) -> str:
    """'a/b' -> '{*}a/{*}b': any namespace at each step."""
    return "/".join(f"{{*}}{step}" for step in steps.split("/"))


def _text(element: ET.Element, steps: str) -> str:
    found = element.find(_path(steps))
    return " ".join((found.text or "").split()) if found is not None else ""


def _first(element: ET.Element, *paths: str) -> str:
    for steps in paths:
        value = _text(element, steps)
        if value:
            return value
    return ""


def _decimal(text: str) -> Decimal | None:
    if not text:
        return None
    return Decimal(text.replace(" ", ""))


def _iso(text: str) -> date | None:
    return date.fromisoformat(text[:10]) if text else None


def _cii_date(text: str) -> date | None:
    """UN/CEFACT format 102 (YYYYMMDD); ISO dates are accepted too."""
    digits = text.replace("-", "")
    return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8])) if len(digits) >= 8 else None


# Type codes that are not a request for payment: credit notes (UNTDID 1001).
_CREDIT_NOTES = {"381", "396", "532"}


def _cross_industry(root: ET.Element) -> EInvoice | None:
    document = root.find(_path("ExchangedDocument"))
    if document is None:
        document = root.find(_path("HeaderExchangedDocument"))  # ZUGFeRD 1
    if document is None:
        return None
    if _text(document, "TypeCode") in _CREDIT_NOTES:
        return None
    transaction = root.find(_path("SupplyChainTradeTransaction"))
    if transaction is None:
        transaction = root.find(_path("SpecifiedSupplyChainTradeTransaction"))  # ZUGFeRD 1
    if transaction is None:
        transaction = root
    settlement = transaction.find(_path("ApplicableHeaderTradeSettlement"))
    if settlement is None:
        settlement = transaction.find(_path("ApplicableSupplyChainTradeSettlement"))
    agreement = transaction.find(_path("ApplicableHeaderTradeAgreement"))
    if agreement is None:
        agreement = transaction.find(_path("ApplicableSupplyChainTradeAgreement"))
    total = currency = due = None
    if settlement is not None:
        summary = settlement.find(_path("SpecifiedTradeSettlementHeaderMonetarySummation"))
        if summary is None:
            summary = settlement.find(_path("SpecifiedTradeSettlementMonetarySummation"))  # ZUGFeRD 1
        if summary is not None:
            total = _decimal(_first(summary, "DuePayableAmount", "GrandTotalAmount"))
        currency = _text(settlement, "InvoiceCurrencyCode")
        due = _cii_date(_text(settlement, "SpecifiedTradePaymentTerms/DueDateDateTime/DateTimeString"))
    buyer_name = buyer_email = ""
    if agreement is not None:
        buyer = agreement.find(_path("BuyerTradeParty"))
        if buyer is not None:
            buyer_name = _text(buyer, "Name")
            buyer_email = _first(
                buyer,
                "URIUniversalCommunication/URIID",
                "DefinedTradeContact/EmailURIUniversalCommunication/URIID",
            )
    return EInvoice(
        format="Factur-X",
        number=_text(document, "ID"),
        issue_date=_cii_date(_text(document, "IssueDateTime/DateTimeString")),
        due_date=due,
        total=total,
        currency=currency or "",
        buyer_name=buyer_name,
        buyer_email=buyer_email.lower(),
    )


def _ubl(root: ET.Element) -> EInvoice | None:
    if _text(root, "InvoiceTypeCode") in _CREDIT_NOTES:
        return None
    totals = root.find(_path("LegalMonetaryTotal"))
    total = None
    currency = _text(root, "DocumentCurrencyCode")
    if totals is not None:
        amount = totals.find(_path("PayableAmount"))
        if amount is None:
            amount = totals.find(_path("TaxInclusiveAmount"))
        if amount is not None:
            total = _decimal(" ".join((amount.text or "").split()))
            currency = currency or amount.get("currencyID", "")
    party = root.find(_path("AccountingCustomerParty/Party"))
    buyer_name = buyer_email = ""
    if party is not None:
        buyer_name = _first(party, "PartyName/Name", "PartyLegalEntity/RegistrationName")
        buyer_email = _first(party, "Contact/ElectronicMail", "EndpointID")
        if "@" not in buyer_email:
            buyer_email = ""
    return EInvoice(
        format="UBL",
        number=_text(root, "ID"),
        issue_date=_iso(_text(root, "IssueDate")),
        due_date=_iso(_first(root, "DueDate", "PaymentMeans/PaymentDueDate")),
        total=total,
        currency=currency,
        buyer_name=buyer_name,
        buyer_email=buyer_email.lower(),
    )


def _facturae(root: ET.Element) -> EInvoice | None:
    invoice = root.find(_path("Invoices/Invoice"))
    if invoice is None:
        return None
    header = invoice.find(_path("InvoiceHeader"))
    if header is None:
        return None
    if _text(header, "InvoiceClass") in ("OR", "OC", "CO", "CC"):  # corrective ("rectificativa")
        return None
    number = _text(header, "InvoiceNumber")
    series = _text(header, "InvoiceSeriesCode")
    if series and not number.startswith(series):
        number = series + number
    buyer = root.find(_path("Parties/BuyerParty"))
    buyer_name = buyer_email = ""
    if buyer is not None:
        buyer_name = _first(buyer, "LegalEntity/CorporateName", "Individual/Name")
        buyer_email = _first(
            buyer, "LegalEntity/ContactDetails/ElectronicMail", "Individual/ContactDetails/ElectronicMail"
        )
    return EInvoice(
        format="Facturae",
        number=number,
        issue_date=_iso(_text(invoice, "InvoiceIssueData/IssueDate")),
        due_date=_iso(_text(invoice, "PaymentDetails/Installment/InstallmentDueDate")),
        # TotalExecutableAmount: the total after IRPF withholding, what the client pays.
        total=_decimal(_first(invoice, "InvoiceTotals/TotalExecutableAmount", "InvoiceTotals/InvoiceTotal")),
        currency=_first(invoice, "InvoiceIssueData/InvoiceCurrencyCode")
        or _text(root, "FileHeader/Batch/InvoiceCurrencyCode"),
        buyer_name=buyer_name,
        buyer_email=buyer_email.lower(),
    )


_READERS = {
    "CrossIndustryInvoice": _cross_industry,
    "CrossIndustryDocument": _cross_industry,
    "Invoice": _ubl,
    "Facturae": _facturae,
}
