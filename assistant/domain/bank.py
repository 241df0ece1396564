"""Bank credits as payment evidence: which invoice a transfer pays, decided without I/O.

A statement line (``Credit``) pays an invoice when:

1. its remittance information names the invoice's number ("Factura 2026-001", "FRA 2026001");
   the money goes to the named invoices, oldest first, and a credit smaller than what is
   owed is a partial payment;
2. else the payer is known (the IBAN or the name in clients.yaml, ``iban:`` /
   ``payer_names:``, or learned from an earlier credit that named an invoice) and the
   credit is exactly what one of that client's invoices still owes (the oldest, when
   several owe the same); a client with a single invoice owed and a smaller credit gets a
   partial payment;
3. else it is an unmatched credit, shown in ``status`` for the freelancer to confirm.

A credit that names an invoice already paid (by a word in the mail, a tag, ``mark-paid``)
adds the bank's evidence to it and changes nothing else. Debits never reach this module.
Re-importing is the caller's business: it passes only the credits whose transaction ids
it has not stored yet (``new_credits``).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from . import first_run, ledger
from .model import Client, Invoice, InvoiceStatus

# Legal forms that banks keep or drop at will in the payer's name.
_LEGAL_FORMS = frozenset(
    [
        "SL",
        "SLU",
        "SA",
        "SAU",
        "SLL",
        "SC",
        "SCOOP",
        "BV",
        "NV",
        "VOF",
        "LTD",
        "LIMITED",
        "PLC",
        "LLP",
        "LLC",
        "INC",
        "CORP",
        "GMBH",
        "AG",
        "UG",
        "KG",
        "SARL",
        "SAS",
        "EURL",
        "SRL",
        "SPA",
    ]
)
# A truncated name ("ACME SOLUCIONES TECNOLOG") still names the client when this long.
_MIN_PREFIX = 8


@dataclass(frozen=True, slots=True, kw_only=True)
class Credit:
    """Money in, as the bank's statement tells it."""

    transaction_id: str  # the bank's id (or a digest of the line when the format has none)
    booked: date
    amount: Decimal  # positive
    currency: str
    name: str = ""  # the payer as the bank wrote it
    iban: str = ""  # the payer's account
    remittance: str = ""  # what the payer wrote with the transfer
    source: str = ""  # file name and format, for `explain`

    @property
    def reference(self) -> str:
        """What the freelancer recognises the transfer by: its words, else the bank's id."""
        return self.remittance or self.transaction_id


@dataclass(frozen=True, slots=True, kw_only=True)
class Payment:
    """Part or all of a credit applied to one invoice."""

    credit: Credit
    invoice: Invoice  # after the payment
    before: Invoice
    amount: Decimal
    event: ledger.Event | None  # PAID, PART_PAID, or None: the invoice was paid already (evidence only)
    how: str  # "number", "iban", "name", "confirmed"


@dataclass(frozen=True, slots=True, kw_only=True)
class Matching:
    payments: tuple[Payment, ...]
    unmatched: tuple[Credit, ...]
    learned: tuple[tuple[str, str], ...]  # (payer key, client id): "iban:ES76...", "name:ACME SOLUCIONES"


def normalise_iban(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", (text or "").upper())


def normalise_name(text: str) -> str:
    """``"Acmé Soluciones, S.L."`` -> ``"ACME SOLUCIONES"``: accents, punctuation and legal form dropped."""
    plain = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().upper()
    words = re.sub(r"[^A-Z0-9]+", " ", plain.replace(".", "")).split()
    while words and words[-1] in _LEGAL_FORMS:
        words.pop()
    return " ".join(words)


def payer_keys(credit: Credit) -> list[str]:
    keys = []
    if credit.iban:
        keys.append("iban:" + normalise_iban(credit.iban))
    if normalise_name(credit.name):
        keys.append("name:" + normalise_name(credit.name))
    return keys


def new_credits(credits: Iterable[Credit], known_ids: set[str]) -> list[Credit]:
    """The credits not imported before, each once (a statement may repeat a line it already gave)."""
    seen = set(known_ids)
    fresh = []
    for credit in credits:
        if credit.transaction_id not in seen:
            seen.add(credit.transaction_id)
            fresh.append(credit)
    return fresh


def same_transfer(a: Credit, b: Credit) -> bool:
    """The same money seen through two files (the CAMT.053 and the Norma 43 of one account
    carry different ids): the same day, amount, currency and payer."""
    if (a.booked, a.amount, a.currency) != (b.booked, b.amount, b.currency):
        return False
    if a.iban and b.iban:
        return normalise_iban(a.iban) == normalise_iban(b.iban)
    x, y = normalise_name(a.name), normalise_name(b.name)
    return bool(x and y) and (x.startswith(y) or y.startswith(x))


def seen_elsewhere(fresh: Iterable[Credit], stored: Iterable[Credit]) -> list[Credit]:
    """The fresh credits that are a stored credit under another id (see ``same_transfer``)."""
    by_day: dict[tuple[date, Decimal], list[Credit]] = {}
    for credit in stored:
        by_day.setdefault((credit.booked, credit.amount), []).append(credit)
    return [c for c in fresh if any(same_transfer(c, o) for o in by_day.get((c.booked, c.amount), []))]


def _squash(text: str) -> str:
    return "".join(c for c in text.upper() if c.isalnum())


_squash_number = functools.lru_cache(maxsize=8192)(_squash)


@functools.lru_cache(maxsize=8192)
def _number_pattern(number: str) -> re.Pattern[str] | None:
    chars = [c for c in number.upper() if c.isalnum()]
    if not chars:
        return None
    before = r"(?<![0-9])" if chars[0].isdigit() else r"(?<![A-Z0-9])"
    after = r"(?![0-9])" if chars[-1].isdigit() else r"(?![A-Z0-9])"
    return re.compile(before + r"[^A-Z0-9]*".join(re.escape(c) for c in chars) + after)


def named_invoices(remittance: str, invoices: Iterable[Invoice]) -> list[Invoice]:
    """The invoices whose number the remittance text carries, separators and case aside."""
    text = unicodedata.normalize("NFKD", remittance or "").upper()
    squashed = _squash(text)
    found = []
    for invoice in invoices:
        if _squash_number(invoice.number) not in squashed:
            continue  # the cheap test first: a statement meets every invoice of the ledger
        pattern = _number_pattern(invoice.number)
        if pattern is not None and pattern.search(text):
            found.append(invoice)
    # "2026-001" inside "2026-0012" cannot match (boundaries); but "12" inside "FRA 12/2026"
    # could sit beside "12/2026": keep only the longest numbers among overlapping finds.
    longest = [
        i for i in found
        if not any(len(o.number) > len(i.number) and _overlaps(i.number, o.number) for o in found)
    ]  # fmt: skip
    return sorted(longest, key=lambda i: (i.issue_date, i.number))


def _overlaps(short: str, long: str) -> bool:
    return _squash(short) in _squash(long)


def client_of_payer(
    credit: Credit, clients: Mapping[str, Client], learned: Mapping[str, str]
) -> tuple[str, str] | None:
    """(client id, how) for the payer of ``credit``: by IBAN first, then by name; None if unknown."""
    iban = normalise_iban(credit.iban)
    if iban:
        for client in clients.values():
            if iban in {normalise_iban(i) for i in client.ibans}:
                return client.id, "iban"
        if learned.get("iban:" + iban) in clients:
            return learned["iban:" + iban], "iban"
    name = normalise_name(credit.name)
    if name:
        for client in clients.values():
            for known in (client.name, *client.payer_names):
                known = normalise_name(known)
                if known and (name == known or (len(name) >= _MIN_PREFIX and known.startswith(name))):
                    return client.id, "name"
        if learned.get("name:" + name) in clients:
            return learned["name:" + name], "name"
    return None


def _pay(invoice: Invoice, amount: Decimal, credit: Credit, how: str) -> Payment:
    if invoice.status is InvoiceStatus.PAID:
        after = invoice
        if invoice.paid_via == first_run.CONFIRMED:  # paid on the freelancer's word: now we know the day
            after = replace(invoice, paid_on=credit.booked, paid_via="bank")
        return Payment(credit=credit, invoice=after, before=invoice, amount=amount, event=None, how=how)
    event, after = ledger.receive(invoice, amount, on=credit.booked, via="bank")
    return Payment(credit=credit, invoice=after, before=invoice, amount=amount, event=event, how=how)


def _owed(invoice: Invoice) -> Decimal | None:
    return invoice.outstanding.amount if invoice.outstanding is not None else None


def _same_currency(credit: Credit, invoice: Invoice) -> bool:
    return invoice.amount is None or invoice.amount.currency == credit.currency


def allocate(credit: Credit, named: list[Invoice], how: str = "number") -> list[Payment]:
    """The credit spread over the invoices it names, oldest first; what is left goes to the last one."""
    payments: list[Payment] = []
    left = credit.amount
    unpaid = [i for i in named if i.status is not InvoiceStatus.PAID]
    if not unpaid:  # the bank confirms what the mail said: evidence only
        return [_pay(i, Decimal(0), credit, how) for i in named]
    for index, invoice in enumerate(unpaid):
        owed = _owed(invoice)
        last = index == len(unpaid) - 1
        share = left if last or owed is None else min(left, owed)
        if share <= 0:
            break
        payments.append(_pay(invoice, share, credit, how))
        left -= share
    return payments


def match(
    credits: Iterable[Credit],
    invoices: Iterable[Invoice],
    clients: Mapping[str, Client],
    learned: Mapping[str, str],
) -> Matching:
    """Every credit paired with what it pays, in booking order, the ledger updated as it goes."""
    state: dict[str, Invoice] = {i.key: i for i in invoices}
    learned = dict(learned)
    payments: list[Payment] = []
    unmatched: list[Credit] = []
    new_payers: list[tuple[str, str]] = []
    for credit in sorted(credits, key=lambda c: (c.booked, c.transaction_id)):
        candidates = [i for i in state.values() if _same_currency(credit, i)]
        named = named_invoices(credit.remittance, candidates)
        found: list[Payment] = []
        if named:
            found = allocate(credit, named)
            owners = {i.client for i in named}
            if len(owners) == 1:
                for key in payer_keys(credit):
                    if learned.get(key) != next(iter(owners)):
                        learned[key] = next(iter(owners))
                        new_payers.append((key, next(iter(owners))))
        else:
            payer = client_of_payer(credit, clients, learned)
            if payer is not None:
                client_id, how = payer
                owed = sorted(
                    (i for i in candidates if i.client == client_id and i.status is not InvoiceStatus.PAID),
                    key=lambda i: (i.issue_date, i.number),
                )
                exact = [i for i in owed if _owed(i) == credit.amount]
                if exact:
                    found = [_pay(exact[0], credit.amount, credit, how)]
                elif len(owed) == 1 and (_owed(owed[0]) or Decimal(0)) > credit.amount:
                    found = [_pay(owed[0], credit.amount, credit, how)]
        if not found:
            unmatched.append(credit)
            continue
        for payment in found:
            state[payment.invoice.key] = payment.invoice
        payments.extend(found)
    return Matching(payments=tuple(payments), unmatched=tuple(unmatched), learned=tuple(new_payers))


def confirm(credit: Credit, invoice: Invoice) -> Payment:
    """The freelancer says which invoice an unmatched credit pays (``confirm-credit``)."""
    return replace(allocate(credit, [invoice], how="confirmed")[0], how="confirmed")
