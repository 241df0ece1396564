"""`ledger --json`: everything the assistant knows, for scripts, spreadsheets and accountants.

Every invoice (paid ones too), every deliverable, and what the assistant noted about each
client (scope changes, termination suggestions and holds), with states, dates and the
Message-IDs of the messages that moved them: one JSON document whose layout is
docs/ledger-json.md (schema 1; ``tests/test_ledger_json.py`` holds the two together).
``ledger`` without ``--json`` prints the same facts as one line each.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import IO, Any
from zoneinfo import ZoneInfo

from .adapters.store import JournalEntry, Store
from .config import Account, Config
from .domain import keys
from .domain.keys import JournalEvent
from .domain.model import Deliverable, Invoice, Money, deliverable_id
from .wording import Voice

SCHEMA = 1

# Journal events on ``client/<id>`` that say something about the relationship.
CLIENT_FLAGS = (
    JournalEvent.SCOPE_CHANGE,
    JournalEvent.TERMINATION_SUGGESTED,
    JournalEvent.TERMINATION_HELD,
    JournalEvent.TERMINATION_DRAFTED,
)


def ledger_document(accounts: Iterable[dict[str, Any]], config: Config, now: datetime) -> dict[str, Any]:
    """The whole document (docs/ledger-json.md, schema 1)."""
    tz = ZoneInfo(config.identity.timezone)
    return {
        "schema": SCHEMA,
        "generated_at": now.astimezone(tz).isoformat(timespec="seconds"),
        "accounts": list(accounts),
    }


def account_ledger(store: Store | None, config: Config, account: Account) -> dict[str, Any]:
    """One account; ``store`` is None when the account was never scanned."""
    tz = ZoneInfo(config.identity.timezone)
    if store is None:
        return {"name": account.name, "last_pass": None, "clients": [], "invoices": [], "deliverables": []}
    journal: dict[str, list[JournalEntry]] = defaultdict(list)
    for item, entry in store.journal():
        journal[item].append(entry)
    invoices = store.invoices()
    deliverables = store.deliverables()
    known = config.rules.clients
    ids = sorted({*known, *(i.client for i in invoices), *(d.client for d in deliverables)})
    last = store.last_pass()

    def when(moment: datetime | None) -> str | None:
        return moment.astimezone(tz).isoformat(timespec="seconds") if moment is not None else None

    drafts: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in store.outbox():
        if entry.kind in (keys.DraftKind.DIGEST, keys.DraftKind.NOTICE):
            continue
        why = entry.note.partition("/")[0] if entry.state in keys.NO_LONGER_NEEDED else ""
        drafts[entry.item or keys.item_of(entry.key)].append(
            {
                "key": entry.key,
                "stage": keys.stage_of(entry.key),
                "state": str(entry.state),
                "why": why or None,
                "written_at": when(entry.created_at),
                "changed_at": when(entry.updated_at),
            }
        )

    def evidence(item: str) -> list[dict[str, Any]]:
        return [
            {
                "event": entry.event,
                "at": when(entry.at),
                "source": entry.evidence.source if entry.evidence else "assistant",
                "message_id": (entry.evidence.message_id or None) if entry.evidence else None,
                **_bank(entry.data.get("bank")),
            }
            for entry in journal.get(item, [])
        ]

    return {
        "name": account.name,
        "last_pass": when(last),
        "clients": [
            {
                "id": client_id,
                "name": known[client_id].name if client_id in known else client_id,
                "configured": client_id in known,
                "flags": [
                    {
                        "event": entry.event,
                        "at": when(entry.at),
                        "why": list(entry.why),
                        "message_id": (entry.evidence.message_id or None) if entry.evidence else None,
                    }
                    for entry in journal.get(keys.client_item(client_id), [])
                    if entry.event in CLIENT_FLAGS
                ],
            }
            for client_id in ids
        ],
        "invoices": [
            {
                **_invoice(i, when, evidence(keys.invoice_item(i))),
                "drafts": drafts.get(keys.invoice_actions(i), []),
            }
            for i in invoices
        ],
        "deliverables": [
            {
                **_deliverable(d, when, evidence(keys.deliverable_item(d))),
                "drafts": drafts.get(keys.deliverable_item(d), []),
            }
            for d in deliverables
        ],
    }


def _bank(transaction: dict[str, Any] | None) -> dict[str, Any]:
    """The bank transaction a journal line cites (issue 15), or nulls."""
    transaction = transaction or {}
    return {
        "booked": transaction.get("booked"),
        "amount": transaction.get("amount"),
        "currency": transaction.get("currency"),
        "reference": transaction.get("reference"),
    }


def _invoice(invoice: Invoice, when, evidence: list[dict[str, Any]]) -> dict[str, Any]:
    amount, outstanding = invoice.amount, invoice.outstanding
    return {
        "client": invoice.client,
        "number": invoice.number,
        "state": invoice.status.value,
        "amount": _decimal(amount.amount) if amount else None,
        "currency": amount.currency if amount else None,
        "paid_amount": _decimal(invoice.paid_amount, like=amount.amount if amount else None),
        "outstanding": _decimal(outstanding.amount, like=amount.amount if amount else None)
        if outstanding
        else None,
        "issue_date": invoice.issue_date.isoformat(),
        "due_date": invoice.due_date.isoformat(),
        "paid_on": invoice.paid_on.isoformat() if invoice.paid_on else None,
        "paid_via": invoice.paid_via or None,
        "hold_until": invoice.hold_until.isoformat() if invoice.hold_until else None,
        "hold_note": invoice.hold_note or None,
        "subject": invoice.subject,
        "message_id": invoice.message_id,
        "sent_at": when(invoice.sent_at),
        "read_from": dict(invoice.read_from) or None,
        "guessed": list(invoice.guessed),
        "evidence": evidence,
    }


def _deliverable(deliverable: Deliverable, when, evidence: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "client": deliverable.client,
        "id": deliverable_id(deliverable.message_id),
        "state": deliverable.status.value,
        "subject": deliverable.subject,
        "message_id": deliverable.message_id,
        "sent_at": when(deliverable.sent_at),
        "answered_at": when(deliverable.answered_at),
        "approved_at": when(deliverable.approved_at),
        "invoice_number": deliverable.invoice_number or None,
        "evidence": evidence,
    }


def _decimal(value: Decimal, like: Decimal | None = None) -> str:
    """An exact decimal as text, never an exponent; with the places of ``like`` ("0.00")."""
    if like is not None and value == value.to_integral_value():
        exponent = like.as_tuple().exponent
        if isinstance(exponent, int) and exponent < 0:
            value = value.quantize(Decimal(1).scaleb(exponent))
    return format(value, "f")


def print_ledger(document: dict[str, Any], out: IO[str], v: Voice | None = None) -> None:
    """The document's facts, one line each, for a person: in her language (``v``, English
    when not given), each amount in her numbers with its client's currency sign."""
    v = v or Voice("en", {})
    for account in document["accounts"]:
        when = account["last_pass"] or v("never")
        print(v("account", name=account["name"]) + f" ({v('last_pass', when=when)})", file=out)
        for invoice in account["invoices"]:
            amount = (
                v.money(
                    Money(amount=Decimal(invoice["amount"]), currency=invoice["currency"]), invoice["client"]
                )
                if invoice["amount"]
                else v("amount_unknown")
            )
            state = v(f"state_{invoice['state']}")
            print(
                f"  {v('ledger_invoice'):<7} {invoice['client']:<12} {invoice['number']:<14} {state:<9} "
                f"{amount:>16}  {v('scan_due', day=invoice['due_date'])}",
                file=out,
            )
        for work in account["deliverables"]:
            state = v(f"work_{work['state']}")
            print(
                f"  {v('ledger_work'):<7} {work['client']:<12} {work['id']:<14} {state:<9} {work['subject']!r}",
                file=out,
            )
        for client in account["clients"]:
            for flag in client["flags"]:
                print(
                    f"  {v('ledger_client'):<7} {client['id']:<12} {flag['event']} {flag['at'][:10]}",
                    file=out,
                )
