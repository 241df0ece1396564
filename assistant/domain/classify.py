"""Classify: a message -> facts about the freelancer's work, decided by the YAML rules.

Two steps, so a scan stays cheap: ``is_candidate`` looks at the header alone and says
whether the whole message is worth fetching; ``classify_sent`` reads a fetched message
and says what it is (today: an invoice sent to a client).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Iterable, Iterator
from datetime import UTC, date, datetime, time, tzinfo

from . import calendar
from .extract import normalise_invoice_number, parse_amount, parse_date, parse_when
from .model import (
    Attachment,
    Client,
    Deliverable,
    DeliverableSeen,
    FolderRole,
    Invoice,
    InvoiceSeen,
    Mail,
    MailHeader,
    Money,
    PaymentNotifier,
    Rules,
    Signal,
    Signals,
    SignalSeen,
)


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

# Where the quoted part of a reply begins: "On ... wrote:", "El ... escribió:", "Op ...
# schreef ...:", Outlook's header block and separators, a signature delimiter.
_QUOTE_START = re.compile(
    r"""^(?:
        \s*>                                                   # > quoted line
      | \s*(?:on|el|op|am|le)\b.{0,200}?(?:wrote|escribi[oó]|schreef|geschrieben|a\s+[ée]crit)\b.{0,40}:\s*$
      | \s*-{2,}\s*(?:original\s+message|mensaje\s+original|oorspronkelijk\s+bericht|urspr[uü]ngliche\s+nachricht)\s*-{2,}
      | \s*_{10,}\s*$                                          # Outlook's rule
      | \s*(?:from|de|van|von):\s.+$                           # Outlook header block
      | --\s?$                                                 # signature delimiter
    )""",
    re.I | re.X,
)
_CLAUSE_END = re.compile(r"[.;!?\n]|,\s")
_NEGATION = re.compile(
    r"(?i)(?:\b(?:no|not|never|nunca|todav[ií]a\s+no|a[uú]n\s+no|niet|nog\s+niet|geen|nooit)\b|n't\b)"
)


def fresh_text(text: str) -> str:
    """What the sender wrote in this message: the text before any quoted earlier mail.

    A client replying to a reminder quotes it, and the reminder says "let me know when
    you have paid"; only the client's own words may count as the client's words.
    """
    lines = []
    for line in text.splitlines():
        if _QUOTE_START.match(line):
            break
        lines.append(line)
    return "\n".join(lines)


def _negated(text: str, start: int, end: int) -> bool:
    """A negation in the clause up to the end of the match: "no hemos pagado", "is nog niet betaald"."""
    clause_start = 0
    for match in _CLAUSE_END.finditer(text, 0, start):
        clause_start = match.end()
    return bool(_NEGATION.search(text[clause_start:end]))


def _sentence(text: str, start: int, end: int) -> str:
    left = max(text.rfind(".", 0, start), text.rfind("\n", 0, start)) + 1
    stops = [i for i in (text.find(".", end), text.find("\n", end)) if i != -1]
    right = min(stops) + 1 if stops else len(text)
    return " ".join(text[left:right].split())[:200]


def signals_in(text: str, signals: Signals, *, language: str, written_on: date) -> list[SignalSeen]:
    """The signals in ``text`` (already the sender's fresh text), one per kind at most.

    ``written_on`` is the day the message was written: "pagaremos el viernes" means the
    Friday after that day, whenever the message is read.
    """
    found: list[SignalSeen] = []
    for kind, patterns, negatable in (
        (Signal.PAID, signals.paid, True),
        (Signal.DISPUTE, signals.dispute, False),
        (Signal.PROMISE, signals.promise, False),
        (Signal.APPROVAL, signals.approval, True),
        (Signal.SCOPE_CHANGE, signals.scope_change, False),
    ):
        for pattern in patterns:
            match = next(
                (m for m in pattern.finditer(text) if not (negatable and _negated(text, m.start(), m.end()))),
                None,
            )
            if match is None:
                continue
            quote = _sentence(text, match.start(), match.end())
            until = None
            amount = None
            if kind is Signal.PROMISE:
                until = parse_when(match.group("when") or "", language=language, today=written_on)
            if kind is Signal.PAID:
                # Only money that says it is money: in "la transferencia de la factura
                # F-2026-001" the 2026 is part of a number, not a partial payment.
                parsed = parse_amount(quote, language=language)
                if parsed and parsed[0] > 0 and parsed[1]:
                    amount = Money(amount=parsed[0], currency=parsed[1])
            found.append(SignalSeen(signal=kind, quote=quote, until=until, amount=amount))
            break
    return found


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
