"""Classify: a message -> facts about the freelancer's work, decided by the YAML rules.

Two steps, so a scan stays cheap: ``is_candidate`` looks at the header alone and says
whether the whole message is worth fetching; ``classify_sent`` reads a fetched message
and says what it is (today: an invoice sent to a client).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Iterable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, time, tzinfo

from . import calendar, reading
from .einvoice import EInvoice, read_einvoice
from .extract import normalise_invoice_number, parse_amount, parse_date
from .model import (
    Attachment,
    Client,
    Deliverable,
    DeliverableSeen,
    FolderRole,
    Invoice,
    InvoiceOverride,
    InvoiceSeen,
    Mail,
    MailHeader,
    Money,
    PaymentNotifier,
    Rules,
    Signals,
    SignalSeen,
    Source,
)
from .printed import read_printed, terms_days


def client_of_recipients(header: MailHeader, rules: Rules) -> Client | None:
    for address in header.recipients:
        client = rules.client_for(address)
        if client is not None:
            return client
    return None


def client_of_sender(header: MailHeader, rules: Rules) -> Client | None:
    return rules.client_for(header.sender) if header.sender else None


def notifier_of(header: MailHeader, rules: Rules) -> PaymentNotifier | None:
    """The payment notifier (bank, PayPal...) that sent this, if any."""
    if header.sender is None:
        return None
    for notifier in rules.payments.notifications:
        if notifier.sent(header.sender) and (
            not notifier.subject or any(p.search(header.subject) for p in notifier.subject)
        ):
            return notifier
    return None


class QuickFilter:
    """Tells from the raw header bytes which messages can possibly be candidates.

    A scan meets every message of the mailbox; parsing each header (addresses with the
    standard library, encoded words) costs far more than the server takes to send it. The
    filter searches the From/To/Cc lines for any client address or domain (and a payment
    notifier's sender) as plain bytes. It may say yes wrongly (a client's address in a
    display name): the parsed header then decides with ``is_candidate``. It never says
    no to a candidate: every address ``client_for`` can match contains one of the needles.
    """

    _LINES = re.compile(rb"^(from|to|cc|x-freelance-assistant-key)[ \t]*:(.*(?:\r?\n[ \t].*)*)", re.I | re.M)

    def __init__(self, rules: Rules):
        clients: set[bytes] = set()
        for client in rules.clients.values():
            clients.add(client.contact_address.email.encode())
            clients.update(a.lower().encode() for a in client.addresses)
            clients.update(d.lower().lstrip("@.").encode() for d in client.domains)
        notifiers = {s.lower().lstrip("@").encode() for n in rules.payments.notifications for s in n.senders}
        self._clients = self._alternation(clients)
        self._senders = self._alternation(clients | notifiers)

    @staticmethod
    def _alternation(needles: set[bytes]) -> re.Pattern[bytes] | None:
        if not needles:
            return None
        return re.compile(b"|".join(re.escape(n) for n in sorted(needles, key=len, reverse=True)))

    def __call__(self, raw_header: bytes, role: str) -> bool:
        recipients = bytearray()
        sender = bytearray()
        for match in self._LINES.finditer(raw_header):
            name = match.group(1).lower()
            if name == b"x-freelance-assistant-key":
                if role == FolderRole.SENT:
                    return True
            elif name == b"from":
                sender += match.group(2)
            else:
                recipients += match.group(2)
        if role == FolderRole.SENT:
            return self._clients is not None and self._clients.search(bytes(recipients).lower()) is not None
        if role == FolderRole.INBOX:
            return self._senders is not None and self._senders.search(bytes(sender).lower()) is not None
        return False


def is_candidate(header: MailHeader, role: str, rules: Rules) -> bool:
    """Whether the full message must be fetched to classify it."""
    if role == FolderRole.SENT:
        # Our own drafts, once sent, come back through Sent; mail to a client may be an
        # invoice, a deliverable, or the freelancer's own reply in a tracked thread.
        return bool(header.assistant_key) or client_of_recipients(header, rules) is not None
    if role == FolderRole.INBOX:
        return client_of_sender(header, rules) is not None or notifier_of(header, rules) is not None
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
    structured = _einvoice(mail)
    if recognise.require_pdf and not pdfs and structured is None:
        return None
    named = [a for a in pdfs if _any(recognise.attachment_name, a.filename)]
    if structured is None and not (
        named or _any(recognise.subject, header.subject) or _any(recognise.body, mail.text)
    ):
        return None
    document = _document(pdfs, named, structured)
    return InvoiceSeen(
        invoice=_invoice(mail, client, rules, document, structured, tz, seen_on), attachment=document
    )


def _einvoice(mail: Mail) -> tuple[EInvoice, Attachment] | None:
    """The e-invoice the email carries: XML inside a PDF (Factur-X) or attached (UBL, Facturae)."""
    for attachment in mail.attachments:
        if attachment.einvoice:
            found = read_einvoice(attachment.einvoice)
            if found is not None:
                return found, attachment
    for attachment in mail.attachments:
        # (a signed Facturae is a ".xsig": XML with its signature inside)
        if attachment.content_type in _XML_TYPES or attachment.filename.lower().endswith((".xml", ".xsig")):
            found = read_einvoice(attachment.data)
            if found is not None:
                return found, attachment
    return None


_XML_TYPES = frozenset({"application/xml", "text/xml"})


def _document(
    pdfs: list[Attachment], named: list[Attachment], structured: tuple[EInvoice, Attachment] | None
) -> Attachment | None:
    """The file to re-attach to reminders: the invoice PDF (the one the e-invoice is in)."""
    if structured is not None and structured[1].is_pdf:
        return structured[1]
    if named:
        return named[0]
    if pdfs:
        return pdfs[0]
    return structured[1] if structured is not None else None


def _any(patterns: Iterable[re.Pattern[str]], text: str) -> bool:
    return bool(text) and any(p.search(text) for p in patterns)


def _captures(patterns: Iterable[re.Pattern[str]], group: str, texts: Iterable[str]) -> Iterator[str]:
    """Captures of ``group``, lazily: texts in order, patterns in order within a text.

    A number keeps every letter of its token even when a pattern began it mid-word (an
    invoices.yaml from before the fix reads "Factura NOV-12" as "nº" + "V-12").
    """
    for text in texts:
        if not text:
            continue
        for pattern in patterns:
            for match in pattern.finditer(text):
                value = match.group(group)
                if value and group == "number":
                    start = match.start(group)
                    while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "-/._"):
                        start -= 1
                    value = text[start : match.end(group)]
                if value:
                    yield value


def _sourced(
    patterns: Iterable[re.Pattern[str]], group: str, texts: Iterable[tuple[str, Source]]
) -> Iterator[tuple[str, Source]]:
    for text, source in texts:
        for value in _captures(patterns, group, [text]):
            yield value, source


def _invoice(
    mail: Mail,
    client: Client,
    rules: Rules,
    document: Attachment | None,
    structured: tuple[EInvoice, Attachment] | None,
    tz: tzinfo,
    seen_on: date,
) -> Invoice:
    """The invoice's facts, each from the most exact place that states it.

    An e-invoice first (the tool's own data), then the PDF read by its labels and layout,
    then the patterns of invoices.yaml over subject, file name, body and PDF text; what
    none of them says is assumed (the date sent, the client's terms) and marked so.
    """
    header = mail.header
    extract = rules.invoices.extract
    pdf_text = document.text if document else ""
    filename = document.filename if document else ""
    language = client.language
    xml = structured[0] if structured is not None else None
    printed = read_printed(pdf_text, rules.invoices.labels, language=language)
    read_from: dict[str, Source] = {}

    number, read_from["number"] = next(
        (
            (n, source)
            for n, source in (
                *([(normalise_invoice_number(xml.number), Source.EINVOICE)] if xml else []),
                # The number the freelancer typed in the subject, then the printed one.
                *(
                    (_number_only(n), Source.SUBJECT)
                    for n in _captures(extract.number, "number", [header.subject])
                ),
                (printed.number, Source.PDF_LABEL),
                *(
                    (_number_only(n), source)
                    for n, source in _sourced(
                        extract.number,
                        "number",
                        [
                            (filename, Source.FILE_NAME),
                            (mail.text, Source.BODY),
                            (pdf_text, Source.PDF_TEXT),
                        ],
                    )
                ),
            )
            if n
        ),
        ("", Source.MAIL_ID),
    )
    if not number:
        # Still worth chasing; the key must be stable, so derive it from the email.
        digest = hashlib.sha256((header.message_id or header.subject).encode()).hexdigest()
        number = "MAIL-" + digest[:8].upper()

    amount = None
    read_from["amount"] = Source.NOWHERE
    shown = (xml.currency if xml else "") or printed.currency
    if xml is not None and xml.total is not None and xml.total > 0:
        amount = Money(amount=xml.total, currency=xml.currency or client.currency)
        read_from["amount"] = Source.EINVOICE
    elif printed.amount is not None:
        amount = Money(amount=printed.amount[0], currency=printed.amount[1] or shown or client.currency)
        read_from["amount"] = Source.PDF_LABEL
    else:
        for text, source in _sourced(
            extract.amount,
            "amount",
            [(header.subject, Source.SUBJECT), (mail.text, Source.BODY), (pdf_text, Source.PDF_TEXT)],
        ):
            parsed = parse_amount(text, language=language)
            if parsed is not None and parsed[0] > 0:
                amount = Money(amount=parsed[0], currency=parsed[1] or shown or client.currency)
                read_from["amount"] = source
                break

    sent_on = header.date.astimezone(tz).date() if header.date else seen_on
    issue_date, read_from["issue_date"] = _first_date(
        [
            (xml.issue_date if xml else None, Source.EINVOICE),
            (printed.issue_date, Source.PDF_LABEL),
            *_dates(extract.issue_date, [(mail.text, Source.BODY), (pdf_text, Source.PDF_TEXT)], language),
        ],
        (sent_on, Source.SENT_DATE),
    )
    explicit_due, due_source = _first_date(
        [
            (xml.due_date if xml else None, Source.EINVOICE),
            (printed.due_date, Source.PDF_LABEL),
            *_dates(extract.due_date, [(mail.text, Source.BODY), (pdf_text, Source.PDF_TEXT)], language),
        ],
        (None, Source.NOWHERE),
        not_before=issue_date,  # a due date before the invoice date is a misread, not a term
    )
    if explicit_due is not None:
        due, read_from["due_date"] = explicit_due, due_source
    else:
        terms = printed.terms_days
        if terms is None:
            terms = terms_days(mail.text, rules.invoices.labels.terms)
        if terms is not None:
            due, read_from["due_date"] = calendar.due_date(issue_date, terms), Source.TERMS
        else:
            due, read_from["due_date"] = (
                calendar.due_date(issue_date, client.payment_terms_days),
                Source.CLIENT_TERMS,
            )

    invoice = Invoice(
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
        read_from=tuple((fact, str(source)) for fact, source in read_from.items()),
    )
    override = rules.invoices.override_for(header.message_id, number)
    return _overridden(invoice, override, client.currency) if override is not None else invoice


# A number is one token: "Factura 2026-001 – Rediseño" gives 2026-001, and a capture that
# ran on to a date ("8-9-2022") or over a line is cut to what a number can be.
_NUMBER_TOKEN = re.compile(r"[^\W_](?:[\w./-]*[^\W_])?")
_NUMERIC_DATE = re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}$")


def corrected(invoice: Invoice, override: InvoiceOverride, currency: str) -> Invoice | None:
    """``invoice`` (already in the ledger) as ``override`` says, or None when it already
    reads so. The number stays: it is the key the reminders were written under.
    ``currency``: the client's, for an amount given without one."""
    if not override.fits(invoice.message_id, invoice.number):
        return None
    fixed = _overridden(invoice, replace(override, number=""), currency)
    return fixed if fixed != invoice else None


def _overridden(invoice: Invoice, override: InvoiceOverride, currency: str) -> Invoice:
    read_from = dict(invoice.read_from)
    changes: dict = {}
    if override.number:
        changes["number"], read_from["number"] = normalise_invoice_number(override.number), Source.OVERRIDE
    amount = invoice.amount
    if override.amount is not None or (override.currency and amount is not None):
        value = override.amount if override.amount is not None else amount.amount
        code = override.currency or (amount.currency if amount else currency)
        changes["amount"], read_from["amount"] = Money(amount=value, currency=code), Source.OVERRIDE
    due = invoice.due_date
    if override.issue_date is not None:
        changes["issue_date"], read_from["issue_date"] = override.issue_date, Source.OVERRIDE
        if read_from.get("due_date") in (Source.TERMS, Source.CLIENT_TERMS):
            # The same terms, counted from the right day.
            due = calendar.due_date(override.issue_date, max(0, (invoice.due_date - invoice.issue_date).days))
            changes["due_date"] = due
    if override.due_date is not None:
        changes["due_date"], read_from["due_date"] = override.due_date, Source.OVERRIDE
    changes["read_from"] = tuple((fact, str(source)) for fact, source in read_from.items())
    return replace(invoice, **changes)


def _number_only(captured: str) -> str:
    token = _NUMBER_TOKEN.search(captured.split("\n", 1)[0])
    if token is None:
        return ""
    value = token.group()
    if _NUMERIC_DATE.match(value) or not any(c.isdigit() for c in value):
        return ""  # a date is never an invoice number
    return normalise_invoice_number(value)


def _dates(patterns, texts: list[tuple[str, Source]], language: str) -> Iterator[tuple[date | None, Source]]:
    for text, source in _sourced(patterns, "date", texts):
        yield parse_date(text, language=language), source


def _first_date(candidates, fallback, *, not_before: date | None = None):
    for found, source in candidates:
        if found is not None and (not_before is None or found >= not_before):
            return found, source
    return fallback


def _midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=tz)


def paid_keyword_present(flags: Collection[str], rules: Rules) -> bool:
    """Whether the mail client's "Paid" tag is among ``flags`` (IMAP keywords ignore case)."""
    wanted = rules.invoices.paid_keyword.lower()
    return any(flag.lower() == wanted for flag in flags)


# --------------------------------------------------------------------------- deliverables


_LINK = re.compile(r"""(?i)\b(?:https?://|www\.)[^\s<>"')\]]+""")


def own_new_words(text: str, signature: str = "") -> str:
    """What the freelancer wrote in this message: not what it quotes, not her signature."""
    words = fresh_text(text)
    if signature.strip():
        mine = {line.strip() for line in signature.splitlines() if line.strip()}
        words = "\n".join(line for line in words.splitlines() if line.strip() not in mine)
    return words


def work_attachments(mail: Mail, rules: Rules) -> list[Attachment]:
    """The files attached as work: real attachments of any size, not inline pictures, not
    signatures, invitations or contact cards (deliverables.yaml's ``ignore_attachments``)."""
    wanted = rules.deliverables
    return [
        a
        for a in mail.attachments
        if not a.inline
        and len(a.data) >= max(wanted.min_attachment_bytes, 1)
        and not _any(wanted.ignore_attachments, f"{a.filename} {a.content_type}")
    ]


def work_links(text: str, rules: Rules) -> list[str]:
    """Links in ``text`` (the freelancer's own words) that may carry work."""
    return [m.group(0) for m in _LINK.finditer(text) if not _any(rules.deliverables.ignore_links, m.group(0))]


def classify_deliverable(mail: Mail, rules: Rules, *, signature: str = "") -> DeliverableSeen | None:
    """A deliverable, when ``mail`` (from Sent, and not an invoice) carries work for a client.

    Work is a file attached (any size; not an inline picture, not a signature), or a link
    in the freelancer's own new words (never one she only quotes) that is a known share or
    comes with words that say "here is the work". ``signature`` is the freelancer's, whose
    links (her website) are not work. The caller has already ruled out that the message is
    her reply in a thread the assistant tracks: a nudge is never new work.
    """
    header = mail.header
    if header.assistant_key:
        return None
    client = client_of_recipients(header, rules)
    if client is None:
        return None
    wanted = rules.deliverables
    words = own_new_words(mail.text, signature)
    says_so = _any(wanted.words, header.subject) or _any(wanted.words, words)
    links = work_links(words, rules)
    material = bool(work_attachments(mail, rules)) or any(_any(wanted.links, link) for link in links)
    if not material and links and says_so:
        material = True  # her own share server, a staging site: the words say it is the work
    if not material and (wanted.require_material or not says_so):
        return None
    return DeliverableSeen(
        deliverable=Deliverable(
            client=client.id,
            message_id=header.message_id,
            subject=header.subject,
            references=header.references,
            sent_at=header.date or datetime.min.replace(tzinfo=UTC),
        )
    )


# --------------------------------------------------------------------------- client mail


def fresh_text(text: str) -> str:
    """What the sender wrote in this message: quotes, signatures and footers left out.

    A client replying to a reminder quotes it, and the reminder says "let me know when
    you have paid"; only the client's own words may count as the client's words
    (``reading.own_words``).
    """
    return reading.own_words(text)


def signals_in(text: str, signals: Signals, *, language: str, written_on: date) -> list[SignalSeen]:
    """The signals in ``text`` (already the sender's own words) that change the ledger,
    one per kind at most, read sentence by sentence (``reading.read``): paid and a
    dispute together is a dispute.

    ``written_on`` is the day the message was written: "pagaremos el viernes" means the
    Friday after that day, whenever the message is read.
    """
    reading_ = reading.read(text, signals, language=language, written_on=written_on, own=True)
    return list(reading_.for_ledger().values())


def invoice_numbers_named(text: str, numbers: Iterable[str]) -> list[str]:
    """Which of ``numbers`` appear in ``text`` as whole tokens ("2026-001", not "12026-0011")."""
    named = []
    upper = text.upper()
    for number in numbers:
        if number and re.search(rf"(?<![\w/-]){re.escape(number.upper())}(?![\w/-])", upper):
            named.append(number)
    return named


def payment_notice(
    mail: Mail, notifier: PaymentNotifier, *, language: str = "en"
) -> tuple[list[str], Money | None]:
    """Invoice numbers and the amount a payment notification names."""
    texts = [mail.header.subject, mail.text]
    numbers = [n for n in map(normalise_invoice_number, _captures(notifier.number, "number", texts)) if n]
    amount = None
    for text in _captures(notifier.amount, "amount", texts):
        parsed = parse_amount(text, language=language)
        if parsed is not None and parsed[0] > 0:
            amount = Money(amount=parsed[0], currency=parsed[1] or "")
            break
    return list(dict.fromkeys(numbers)), amount
