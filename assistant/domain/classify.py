"""Classify: a message -> facts about the freelancer's work, decided by the YAML rules.

Two steps, so a scan stays cheap: ``is_candidate`` looks at the header alone and says
whether the whole message is worth fetching; ``classify_sent`` reads a fetched message
and says what it is (today: an invoice sent to a client).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Iterable, Iterator
from datetime import date, datetime, time, tzinfo

from . import calendar
from .extract import normalise_invoice_number, parse_amount, parse_date
from .model import (
    Attachment,
    Client,
    FolderRole,
    Invoice,
    InvoiceSeen,
    Mail,
    MailHeader,
    Money,
    Rules,
)


def client_of_recipients(header: MailHeader, rules: Rules) -> Client | None:
    for address in header.recipients:
        client = rules.client_for(address)
        if client is not None:
            return client
    return None


def is_candidate(header: MailHeader, role: str, rules: Rules) -> bool:
    """Whether the full message must be fetched to classify it."""
    if role == FolderRole.SENT:
        # Our own drafts, once sent, come back through Sent; mail to a client may be an invoice.
        return bool(header.assistant_key) or client_of_recipients(header, rules) is not None
    return False


def classify_sent(mail: Mail, rules: Rules, *, tz: tzinfo, seen_on: date) -> InvoiceSeen | None:
    """An invoice, when ``mail`` (from the Sent folder) is one. Pure: no I/O, no clock.

    ``seen_on`` stands in for the issue date when neither the message nor its Date
    header gives one.
    """
    header = mail.header
    if header.assistant_key:
        return None  # a reminder we drafted and the freelancer sent: not a new invoice
    client = client_of_recipients(header, rules)
    if client is None:
        return None
    recognise = rules.invoices.recognise
    pdfs = [a for a in mail.attachments if a.is_pdf]
    if recognise.require_pdf and not pdfs:
        return None
    named = [a for a in pdfs if _any(recognise.attachment_name, a.filename)]
    if not (named or _any(recognise.subject, header.subject) or _any(recognise.body, mail.text)):
        return None
    document = named[0] if named else (pdfs[0] if pdfs else None)
    return InvoiceSeen(invoice=_invoice(mail, client, rules, document, tz, seen_on), attachment=document)


def _any(patterns: Iterable[re.Pattern[str]], text: str) -> bool:
    return bool(text) and any(p.search(text) for p in patterns)


def _captures(patterns: Iterable[re.Pattern[str]], group: str, texts: Iterable[str]) -> Iterator[str]:
    """Captures of ``group``, lazily: texts in order, patterns in order within a text."""
    for text in texts:
        if not text:
            continue
        for pattern in patterns:
            for match in pattern.finditer(text):
                value = match.group(group)
                if value:
                    yield value


def _invoice(
    mail: Mail, client: Client, rules: Rules, document: Attachment | None, tz: tzinfo, seen_on: date
) -> Invoice:
    header = mail.header
    extract = rules.invoices.extract
    pdf_text = document.text if document else ""
    filename = document.filename if document else ""
    language = client.language

    number = next(
        (
            n
            for n in map(
                normalise_invoice_number,
                _captures(extract.number, "number", [header.subject, filename, mail.text, pdf_text]),
            )
            if n
        ),
        "",
    )
    if not number:
        # Still worth chasing; the key must be stable, so derive it from the email.
        digest = hashlib.sha256((header.message_id or header.subject).encode()).hexdigest()
        number = "MAIL-" + digest[:8].upper()

    amount = None
    for text in _captures(extract.amount, "amount", [header.subject, mail.text, pdf_text]):
        parsed = parse_amount(text, language=language)
        if parsed is not None and parsed[0] > 0:
            amount = Money(amount=parsed[0], currency=parsed[1] or client.currency)
            break

    sent_on = header.date.astimezone(tz).date() if header.date else seen_on
    issue_date = _date(extract.issue_date, [mail.text, pdf_text], language) or sent_on
    explicit_due = _date(extract.due_date, [mail.text, pdf_text], language)
    # An explicit due date wins (seed 002 asks for terms on the invoice itself), unless it
    # is impossible: a due date before the invoice date is a misread, not a term.
    if explicit_due is not None and explicit_due >= issue_date:
        due = explicit_due
    else:
        due = calendar.due_date(issue_date, client.payment_terms_days)

    return Invoice(
        client=client.id,
        number=number,
        amount=amount,
        issue_date=issue_date,
        due_date=due,
        message_id=header.message_id,
        subject=header.subject,
        references=header.references,
        sent_at=header.date or _midnight(seen_on, tz),
        attachment_name=filename,
        attachment_sha256=hashlib.sha256(document.data).hexdigest() if document else "",
    )


def _date(patterns, texts, language) -> date | None:
    for text in _captures(patterns, "date", texts):
        parsed = parse_date(text, language=language)
        if parsed is not None:
            return parsed
    return None


def _midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=tz)


def paid_keyword_present(flags: Collection[str], rules: Rules) -> bool:
    """Whether the mail client's "Paid" tag is among ``flags`` (IMAP keywords ignore case)."""
    wanted = rules.invoices.paid_keyword.lower()
    return any(flag.lower() == wanted for flag in flags)
