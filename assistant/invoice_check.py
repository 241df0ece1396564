"""What `check` says about invoices: the last ones in Sent, read the way a scan reads them.

One job: fetch the newest invoice emails of an account's Sent folder (a bounded look-back,
the newest first), read each with ``parse_mail`` and ``classify_sent`` as a pass would,
and summarise what was read and what had to be guessed ("12 invoices: 12 numbers, 11
totals, 1 due date from terms"), naming the invoices whose number or total could not be
read so the freelancer can add a label or an override. It reads; it stores and changes
nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from .adapters.mailbox import Mailbox
from .adapters.parse import parse_header, parse_mail
from .config import Config
from .domain.classify import classify_sent, is_candidate
from .domain.model import FolderRole, Invoice, Source

LOOK_BACK_DAYS = 180
LAST = 12  # the invoices summarised
MAX_FETCHED = 300  # mail to clients read whole at most: `check` stays quick on a busy Sent


@dataclass(frozen=True, slots=True)
class InvoiceReading:
    invoices: tuple[Invoice, ...]
    days: int


def last_invoices(mailbox: Mailbox, config: Config, today: date, *, last: int = LAST) -> InvoiceReading:
    """The ``last`` newest invoices sent in the ``LOOK_BACK_DAYS`` before ``today``."""
    rules = config.rules
    folder = mailbox.folders().sent
    scan = mailbox.scan(folder, None, since=today - timedelta(days=LOOK_BACK_DAYS))
    candidates = []
    for batch in scan.batches:
        for raw in batch:
            header = parse_header(raw.header, uid=raw.uid, flags=raw.flags, size=raw.size)
            if is_candidate(header, FolderRole.SENT, rules):
                candidates.append((header.date, raw.uid, raw.size, header))
    # Newest first by the Date header (UIDs follow arrival, not sending).
    candidates.sort(key=lambda c: (c[0] is not None, c[0] or 0), reverse=True)
    tz = ZoneInfo(config.identity.timezone)
    found: list[Invoice] = []
    for start in range(0, len(candidates), 50):
        chunk = candidates[start : start + 50]
        headers = {uid: header for _, uid, _, header in chunk}
        for uid, data in mailbox.fetch(
            folder, [uid for _, uid, _, _ in chunk], {u: s for _, u, s, _ in chunk}
        ):
            seen = classify_sent(
                parse_mail(data, uid=uid, header=headers.get(uid)), rules, tz=tz, seen_on=today
            )
            if seen is not None:
                found.append(seen.invoice)
        if len(found) >= last or start + 50 >= MAX_FETCHED:
            break
    found.sort(key=lambda i: i.sent_at, reverse=True)
    return InvoiceReading(invoices=tuple(found[:last]), days=LOOK_BACK_DAYS)


def summary_lines(reading: InvoiceReading) -> list[str]:
    """ "12 invoices: 12 numbers, 11 totals, ..." and one line per invoice missing a fact."""
    invoices = reading.invoices
    if not invoices:
        return [f"invoices: none in Sent in the last {reading.days} days"]
    sources = {
        fact: Counter(i.source_of(fact) for i in invoices) for fact in ("number", "amount", "due_date")
    }
    numbers = len(invoices) - sources["number"][Source.MAIL_ID]
    totals = len(invoices) - sources["amount"][Source.NOWHERE]
    xml = sum(1 for i in invoices if Source.EINVOICE in dict(i.read_from).values())
    due = sources["due_date"]
    parts = [
        f"{numbers} number{'s' if numbers != 1 else ''}",
        f"{totals} total{'s' if totals != 1 else ''}",
    ]
    if due[Source.TERMS]:
        parts.append(f"{due[Source.TERMS]} due date{'s' if due[Source.TERMS] != 1 else ''} from terms")
    if due[Source.CLIENT_TERMS]:
        count = due[Source.CLIENT_TERMS]
        parts.append(f"{count} due date{'s' if count != 1 else ''} from the client's terms")
    if xml:
        parts.append(f"{xml} from e-invoice XML")
    head = f"invoices: the last {len(invoices)} in Sent: " + ", ".join(parts)
    lines = [head]
    for invoice in invoices:
        missing = []
        if invoice.source_of("number") == Source.MAIL_ID:
            missing.append("no number")
        if invoice.source_of("amount") == Source.NOWHERE:
            missing.append("no total")
        if missing:
            lines.append(
                f"  {invoice.sent_at:%Y-%m-%d} {invoice.subject!r} {invoice.message_id}: {', '.join(missing)} "
                "read (add a label to invoices.yaml, or an override)"
            )
    return lines
