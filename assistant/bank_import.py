"""Bank statements applied to one account's ledger: `import-statement`, the watched folder, `confirm-credit`.

Reading is the adapter's (``adapters/statements.py``) and deciding the matcher's
(``domain/bank.py``); this module puts them together in one store transaction: the
credits not seen before are matched, the invoices they pay are saved with the booking
day as the payment day, the journal cites the transaction (date, amount, payer,
reference) for ``explain``, every credit is stored by its transaction id (so importing
the same statement again changes nothing), and what is unmatched waits in ``status``
for ``confirm-credit``.

``import-statement`` reads every file before applying anything: one malformed file and
none of them is applied. The watched folder (``statements: {folder: ...}``) is read by
every pass: a malformed file there is reported with its line and left out, the others
are applied. Statement files are only ever read; nothing of them leaves the machine.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from .adapters.statements import Statement, detect, read_statement
from .adapters.store import Store
from .config import Account, Config
from .domain import bank, ledger
from .domain.keys import JournalEvent
from .domain.model import Evidence, Invoice, InvoiceStatus
from .errors import StatementError, UsageError

log = logging.getLogger(__name__)

# Files a bank lets its customers download; anything else in the folder is left alone.
SUFFIXES = frozenset(
    {".xml", ".053", ".052", ".054", ".sta", ".mt940", ".940", ".txt", ".ofx", ".qfx"}
    | {".n43", ".aeb43", ".csb", ".c43", ".q43"}
)


@dataclass
class ImportReport:
    """What one import read and did, for the CLI, the pass report and the tests."""

    statements: list[Statement] = field(default_factory=list)
    new: int = 0  # credits not imported before
    known: int = 0  # credits imported before: left as they were
    payments: list[bank.Payment] = field(default_factory=list)
    unmatched: list[bank.Credit] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def changes(self) -> list[str]:
        lines = [payment_line(p) for p in self.payments]
        lines += [f"bank credit to confirm: {credit_line(c)}" for c in self.unmatched]
        return lines


def credit_line(credit: bank.Credit) -> str:
    payer = (
        " ".join(p for p in (credit.name, f"({credit.iban})" if credit.iban else "") if p) or "unknown payer"
    )
    return (
        f"{credit.booked} {credit.amount} {credit.currency} from {payer}, "
        f"reference {credit.reference!r} [{credit.transaction_id}]"
    )


def payment_line(payment: bank.Payment) -> str:
    what = {
        ledger.Event.PAID: "paid",
        ledger.Event.PART_PAID: f"part-paid {payment.amount} {payment.credit.currency}",
        None: "bank evidence",
    }[payment.event]
    transfer = credit_line(payment.credit)
    return f"invoice/{payment.invoice.key}: {what} (bank transfer {transfer}; by {payment.how})"


def _evidence(credit: bank.Credit) -> Evidence:
    return Evidence(
        source="bank",
        message_id=credit.transaction_id,
        sender=" ".join(p for p in (credit.name, credit.iban) if p),
        subject=credit.remittance,
        # Noon UTC keeps the booking day the same day in every time zone it is shown in.
        date=datetime.combine(credit.booked, time(12), tzinfo=UTC),
        quote=f"{credit.amount} {credit.currency}",
    )


def bank_data(payment: bank.Payment) -> dict:
    """The transaction as data in the journal line, for `ledger --json` (never parsed from a sentence)."""
    credit = payment.credit
    return {
        "bank": {
            "id": credit.transaction_id, "booked": credit.booked.isoformat(), "amount": str(payment.amount),
            "credit": str(credit.amount), "currency": credit.currency, "payer": credit.name, "iban": credit.iban,
            "reference": credit.remittance, "matched_by": payment.how,
        }
    }  # fmt: skip


def _record(store: Store, payment: bank.Payment, held: set[tuple[str, str]], now: datetime) -> None:
    invoice = payment.invoice
    if payment.invoice != payment.before:
        store.save_invoice(invoice)
    event = JournalEvent(str(payment.event)) if payment.event is not None else JournalEvent.BANK_EVIDENCE
    how = {"number": "its number in the remittance", "iban": "the payer's IBAN and the exact amount",
           "name": "the payer's name and the exact amount", "confirmed": "confirm-credit"}[payment.how]  # fmt: skip
    credit = payment.credit
    detail = f"bank transfer booked {credit.booked}: {payment.amount} {credit.currency}, matched by {how}"
    if payment.event is None:
        detail = f"the bank confirms the payment: {payment.credit.amount} {payment.credit.currency} booked " \
            f"{payment.credit.booked}"  # fmt: skip
    store.note(
        f"invoice/{invoice.key}", event, detail, now, _evidence(payment.credit), data=bank_data(payment)
    )
    if invoice.status is InvoiceStatus.PAID and (invoice.client, invoice.number) in held:
        store.settle_hold(invoice, "paid")


def apply_credits(store: Store, config: Config, credits: list[bank.Credit], now: datetime) -> ImportReport:
    """Match and record the credits not imported before. Call inside a store transaction."""
    report = ImportReport()
    known = store.bank_transaction_ids()
    fresh = bank.new_credits(credits, known)
    if fresh:  # the same transfer read before from another format of the same statement
        twins = {
            c.transaction_id
            for c in bank.seen_elsewhere(fresh, [t.credit for t in store.bank_transactions()])
        }
        fresh = [c for c in fresh if c.transaction_id not in twins]
    report.new, report.known = len(fresh), len(credits) - len(fresh)
    # Credits that matched nothing before are tried again: the invoice they pay may have
    # been read since (a payment in advance), or the payer learned from a newer transfer.
    waiting = [t.credit for t in store.bank_transactions("unmatched")]
    if not fresh and not waiting:
        return report
    matching = bank.match([*fresh, *waiting], store.invoices(), config.rules.clients, store.payers())
    held = store.held_invoices()
    paid_by: dict[str, list[str]] = {}
    for payment in matching.payments:
        _record(store, payment, held, now)
        paid_by.setdefault(payment.credit.transaction_id, []).append(payment.invoice.key)
    for credit in fresh:
        invoices = paid_by.get(credit.transaction_id, [])
        store.save_bank_transaction(credit, "matched" if invoices else "unmatched", invoices, now)
    for credit in waiting:
        if credit.transaction_id in paid_by:
            store.settle_bank_transaction(credit.transaction_id, "matched", paid_by[credit.transaction_id])
    for key, client in matching.learned:
        store.learn_payer(key, client, now)
    report.payments = list(matching.payments)
    fresh_ids = {c.transaction_id for c in fresh}
    report.unmatched = [c for c in matching.unmatched if c.transaction_id in fresh_ids]
    for line in report.changes:
        log.info("%s", line)
    return report


def import_statements(store: Store, config: Config, paths: list[str | Path], now: datetime) -> ImportReport:
    """``import-statement FILE...``: all files read first; a malformed one and nothing is applied."""
    statements = [read_statement(p) for p in paths]  # raises StatementError before any change
    with store.transaction():
        report = apply_credits(store, config, [c for s in statements for c in s.credits], now)
    report.statements = statements
    return report


def folder_files(account: Account) -> list[Path]:
    if account.statements is None:
        return []
    folder = Path(account.statements.folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)


def import_folder(store: Store, config: Config, account: Account, now: datetime) -> ImportReport:
    """The watched folder, read by a pass (inside its transaction): bad files reported, good ones applied."""
    statements, errors, done = [], [], []
    for path in folder_files(account):
        try:
            seen = path.stat()
            if store.statement_file_applied(str(path), seen.st_size, seen.st_mtime_ns):
                continue  # applied before and unchanged: a pass need not read it again
            with path.open("rb") as handle:
                if detect(handle.read(65536)) is None:
                    log.debug("%s is not a bank statement; left alone", path)
                    continue
            statements.append(read_statement(path))
            done.append((str(path), seen.st_size, seen.st_mtime_ns))
        except OSError as exc:
            errors.append(f"{path}: cannot read it: {exc.strerror or exc}")
            log.error("%s", errors[-1])
        except StatementError as exc:
            errors.append(f"{exc} (the file is left out; nothing of it was applied)")
            log.error("%s", errors[-1])
    report = apply_credits(store, config, [c for s in statements for c in s.credits], now)
    for path, size, mtime_ns in done:  # in the pass's transaction: a rollback reads them again
        store.statement_file_done(path, size, mtime_ns, now)
    report.statements, report.errors = statements, errors
    return report


def confirm_credit(
    store: Store, transaction_id: str, number: str | None, client: str | None, now: datetime, *, find_invoice
) -> bank.Payment | None:
    """``confirm-credit ID NUMBER`` pays that invoice with an unmatched credit; without NUMBER the
    credit is dismissed (not a payment for an invoice: a refund, a loan, a private transfer)."""
    waiting = {t.credit.transaction_id: t for t in store.bank_transactions("unmatched")}
    found = [t for tid, t in waiting.items() if tid == transaction_id or tid.endswith(transaction_id)]
    if len(found) != 1:
        raise UsageError(
            f"no unmatched bank credit {transaction_id!r} (see `status`)" if not found
            else f"{transaction_id!r} names several credits; give the whole id"
        )  # fmt: skip
    credit = found[0].credit
    with store.transaction():
        if number is None:
            store.settle_bank_transaction(credit.transaction_id, "dismissed", [])
            store.note(
                f"bank/{credit.transaction_id}", JournalEvent.DISMISSED, "not a payment of an invoice", now
            )
            return None
        invoice: Invoice = find_invoice(store, number, client)
        payment = bank.confirm(credit, invoice)
        _record(store, payment, store.held_invoices(), now)
        store.settle_bank_transaction(credit.transaction_id, "matched", [invoice.key])
        for key in bank.payer_keys(credit):
            store.learn_payer(key, invoice.client, now)
    return payment


def sync_bank(store: Store, config: Config, account: Account, now: datetime) -> ImportReport | None:
    """The optional open-banking sync (``bank_sync:``), at most every ``every_hours``; inside a pass.

    None when it is off or not due. The credits go through ``apply_credits`` like a file's.
    """
    settings = account.bank_sync
    if settings is None:
        return None
    last = store.bank_sync(settings.provider)
    if last is not None and now - last[0] < timedelta(hours=settings.every_hours):
        return None
    from types import SimpleNamespace

    from .adapters.credentials import password_for
    from .adapters.openbanking import GoCardless

    source = SimpleNamespace(
        password="", password_command=settings.secret_key_command, password_env=settings.secret_key_env,
        password_credential=settings.secret_key_credential,
    )  # fmt: skip
    client = GoCardless(settings.url, settings.secret_id, password_for(source), timeout=settings.timeout)
    fetched = client.fetch(settings.requisition, now.date(), settings.days)
    report = apply_credits(store, config, list(fetched.credits), now)
    store.record_bank_sync(settings.provider, now, fetched.consent_expires, fetched.status)
    return report


def for_pass(store, config, account, now, report) -> None:
    """What a pass reads of the bank: the watched statements folder and the optional bank
    sync; a sync that fails is reported and the mail pass goes on (the next one retries)."""
    from .domain import ledger
    from .errors import BankSyncError, CredentialError

    reports = []
    if account.statements is not None:
        reports.append(import_folder(store, config, account, now))
    try:
        reports.append(sync_bank(store, config, account, now))
    except (BankSyncError, CredentialError) as exc:
        log.error("%s", exc)
        report.errors.append(str(exc))
    for imported in filter(None, reports):
        report.paid.extend(p.invoice for p in imported.payments if p.event is ledger.Event.PAID)
        report.changes.extend(imported.changes)
        report.errors.extend(imported.errors)
