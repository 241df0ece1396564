"""A year of monthly invoices paid silently by transfer: the first scan asks, the bank statements answer.

Two clients invoiced every month of 2025 and in January 2026; ACME pays through a Spanish
bank (Norma 43), Tulp through a Dutch one (CAMT.053), neither writes a word. On the first
scan nothing old is chased: the invoices overdue by more than 30 days are held and listed
as "still owed? confirm"; the one that fell due last week gets its first reminder. The
statements then pay every invoice the bank received, with the transaction as evidence;
importing them again changes nothing; a garbled statement is refused with its line and
nothing of it applied; what the bank never received stays to confirm. IMAP and Maildir.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from assistant import cli
from assistant.domain.model import InvoiceStatus
from assistant.engine import Engine, open_mailbox
from tests.support import statements as files
from tests.support.freelancer import Freelancer
from tests.support.mailboxes import parsed
from tests.support.statements import Movement
from tests.support.world import CLIENTS_YAML, at, invoice_email

TODAY = date(2026, 2, 20)
ACME_IBAN = "ES7620770024003102575766"
TULP_IBAN = "NL91ABNA0417164300"

CLIENTS = CLIENTS_YAML.replace(
    "    domains: [tulp.example]\n", f"    domains: [tulp.example]\n    iban: {TULP_IBAN}\n"
)


def months():
    """(month index 1..13, issue day): the 28th of every month of 2025, then January 2026."""
    for index in range(1, 14):
        year, month = (2025, index) if index <= 12 else (2026, 1)
        yield index, date(year, month, 28)


def number(client: str, index: int) -> str:
    year = 2025 if index <= 12 else 2026
    return f"{year}-{(1 if client == 'acme' else 2)}{index if index <= 12 else 1:02d}"


AMOUNT = {"acme": Decimal("1210.00"), "tulp": Decimal("605.00")}
TO = {"acme": "Marta López <marta@acme.example>", "tulp": "Sanne de Vries <sanne@tulp.example>"}


def send_the_year(world) -> None:
    for client in ("acme", "tulp"):
        for index, issued in months():
            n = number(client, index)
            shown = f"{AMOUNT[client]:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
            data = invoice_email(
                to=TO[client], subject=f"Factura {n}", sent=at(issued, 9),
                body=f"Hola:\n\nTe envío la factura {n}.\n\nImporte total: {shown} €\n",
                pdf_lines=(f"FACTURA {n}", f"Total: {shown} €"), filename=f"Factura_{n}.pdf",
            )  # fmt: skip
            world.deliver("Sent", data, when=at(issued, 9))


def paid_day(issued: date) -> date:
    return issued + timedelta(days=12)


def acme_norma43() -> bytes:
    """ACME pays January to November 2025 with the number in the concept; December is never paid."""
    return files.norma43(_acme_movements())


def _acme_movements() -> list[Movement]:
    moves = [
        Movement(paid_day(issued), AMOUNT["acme"], f"{index:010d}", "ACME SOLUCIONES SL", ACME_IBAN,
                 f"FRA {number('acme', index)}")
        for index, issued in months() if index <= 11
    ]  # fmt: skip
    moves.append(
        Movement(date(2026, 1, 5), Decimal("-80.00"), "9999999999", "COMISION", "", "Comision mantenimiento")
    )
    return moves


def tulp_camt053() -> bytes:
    """Tulp pays every month of 2025; some transfers name the invoice, most only come from Tulp's
    IBAN; March is paid in two parts; a tax refund nobody can match arrives too."""
    moves = []
    for index, issued in months():
        n = number("tulp", index)
        if index == 13:
            continue  # January 2026: not paid yet
        if index == 3:
            moves += [
                Movement(paid_day(issued), Decimal("300.00"), f"TULP-{index}-A", "TULP DESIGN BV", TULP_IBAN, f"Factuur {n} deel 1"),
                Movement(paid_day(issued) + timedelta(days=20), Decimal("305.00"), f"TULP-{index}-B", "TULP DESIGN BV",
                         TULP_IBAN, f"Factuur {n} rest"),
            ]  # fmt: skip
            continue
        remittance = f"Factuur {n}" if index % 4 == 0 else "Betaling Tulp"
        moves.append(
            Movement(
                paid_day(issued), AMOUNT["tulp"], f"TULP-{index}", "TULP DESIGN BV", TULP_IBAN, remittance
            )
        )
    moves.append(
        Movement(
            date(2026, 1, 30), Decimal("431.17"), "TAX-REFUND", "AGENCIA TRIBUTARIA", "", "DEVOLUCION IRPF"
        )
    )
    return files.camt(moves, statement_id="TULP-2025")


def cli_main(me: Freelancer, *args: str) -> int:
    return cli.main([args[0], "--config", str(me.config.path), *args[1:]])


def test_a_year_paid_by_transfer_is_confirmed_by_the_bank_and_nothing_old_is_chased(
    world, tmp_path: Path, capsys
):
    me = Freelancer(world, tmp_path / "config", rules={"clients.yaml": CLIENTS})
    send_the_year(world)

    # A dry run tells what the first scan would hold and keeps nothing of it.
    assert len(me.run(TODAY, dry_run=True).held) == 24
    with me.store() as store:
        assert not store.first_run_decided()
    first = me.run(TODAY)
    # The first scan chases only what fell due recently: January 2026's invoices, due on
    # 11 February, nine days ago. Nothing older is drafted, and no termination either.
    assert sorted(p.invoice.number for p in first.planned) == ["2026-101", "2026-201"]
    assert first.terminations == []
    subjects = [m["Subject"] for _, m in me.drafts()]
    assert len(subjects) == 2 and not any("2025" in s for s in subjects)  # and both are unpaid
    held = {i.number for i in first.held}
    assert held == {number(c, i) for c in ("acme", "tulp") for i in range(1, 13)}

    # The end of the first scan says what was held and why.
    from assistant.report import print_pass

    print_pass(first, me.config, "test")
    shown = capsys.readouterr().out
    assert "Still owed? confirm: 24 invoices" in shown and "More than 30 days past due" in shown
    assert "2025-112" in shown and "confirm-owed" in shown

    # The review does not count as late what nobody knows to be unpaid.
    assert cli_main(me, "review", "--year", "2025") == 0
    assert "until you confirm them (`confirm-owed`): 24 invoice(s)" in capsys.readouterr().out

    # The statements answer: every invoice the bank received is paid, on the booking day.
    norma43 = tmp_path / "acme.n43"
    norma43.write_bytes(acme_norma43())
    camt = tmp_path / "tulp.xml"
    camt.write_bytes(tulp_camt053())
    before = (norma43.read_bytes(), camt.read_bytes())
    assert cli_main(me, "import-statement", str(norma43), str(camt)) == 0
    out = capsys.readouterr().out
    assert "norma43" in out and "camt.053" in out
    assert (norma43.read_bytes(), camt.read_bytes()) == before  # read, never changed
    with me.store() as store:
        invoices = {i.number: i for i in store.invoices()}
        for index, issued in months():
            acme, tulp = invoices[number("acme", index)], invoices[number("tulp", index)]
            if index <= 11:
                assert acme.status is InvoiceStatus.PAID and acme.paid_via == "bank", acme
                assert acme.paid_on == paid_day(issued)
            else:
                assert acme.status is InvoiceStatus.OPEN, acme
            if index <= 12:
                assert tulp.status is InvoiceStatus.PAID and tulp.paid_via == "bank", tulp
            else:
                assert tulp.status is InvoiceStatus.OPEN, tulp
        # March was paid in two parts: paid on the day the rest arrived.
        assert invoices["2025-203"].paid_on == paid_day(date(2025, 3, 28)) + timedelta(days=20)
        transactions = store.bank_transactions()
        assert len(transactions) == 11 + 13 + 1  # the bank fee (a debit) is not stored
        (refund,) = store.bank_transactions("unmatched")
        assert refund.credit.amount == Decimal("431.17")
        journal_lines = len(store.journal())

    # explain cites the bank transaction: date, amount, reference.
    assert cli_main(me, "explain", "2025-104") == 0
    explained = capsys.readouterr().out
    assert "PAID on 2025-05-10 (bank)" in explained
    assert "bank transaction: booked 2025-05-10, 1210.00 EUR, from ACME SOLUCIONES SL" in explained
    assert "reference 'FRA 2025-104" in explained
    # ledger --json cites it as data: the day, the amount, the reference, the transaction id.
    assert cli_main(me, "ledger", "--json") == 0
    (ledger_account,) = json.loads(capsys.readouterr().out)["accounts"]
    (paid_104,) = [i for i in ledger_account["invoices"] if i["number"] == "2025-104"]
    (cited,) = [e for e in paid_104["evidence"] if e["source"] == "bank"]
    assert (cited["event"], cited["booked"], cited["amount"], cited["currency"]) == (
        "paid",
        "2025-05-10",
        "1210.00",
        "EUR",
    )
    assert cited["reference"] == "FRA 2025-104" and cited["message_id"].startswith("n43:")
    assert paid_104["paid_via"] == "bank" and paid_104["paid_on"] == "2025-05-10"

    # status: what the bank never received stays to confirm; the refund waits for a word.
    assert cli_main(me, "status") == 0
    status = capsys.readouterr().out
    assert "Still owed? confirm: 1 invoice (€1,210.00)" in status
    confirm = status.split("Still owed? confirm", 1)[1]
    assert "2025-112" in confirm and "2025-112" not in status.split("Still owed? confirm", 1)[0]
    assert "Bank credits to confirm: 1" in status and "AGENCIA TRIBUTARIA" in status
    assert cli_main(me, "status", "--json") == 0
    document = json.loads(capsys.readouterr().out)
    (account,) = document["accounts"]
    assert [h["number"] for h in account["still_owed_confirm"]] == ["2025-112"]
    assert [c["amount"] for c in account["unmatched_credits"]] == ["431.17"]

    assert cli_main(me, "explain", "2025-112") == 0
    assert "nothing until you confirm it: held on the first scan" in capsys.readouterr().out

    # Importing the same statements again adds nothing.
    assert cli_main(me, "import-statement", str(norma43), str(camt)) == 0
    assert "new transactions: 0; imported before (unchanged): 25" in capsys.readouterr().out
    with me.store() as store:
        assert len(store.journal()) == journal_lines
    # ...and so does the same account's statement in another format (other ids, same transfers).
    as_camt = tmp_path / "acme.xml"
    movements = [m for m in _acme_movements() if m.amount > 0]
    as_camt.write_bytes(files.camt([replace(m, reference=f"CAMT-{m.reference}") for m in movements]))
    assert cli_main(me, "import-statement", str(as_camt)) == 0
    assert "new transactions: 0; imported before (unchanged): 11" in capsys.readouterr().out
    with me.store() as store:
        assert len(store.journal()) == journal_lines

    # A garbled statement is refused with its line, and nothing of it is applied.
    late = files.norma43([Movement(date(2026, 2, 18), AMOUNT["acme"], "0000000112", "ACME SOLUCIONES SL",
                                   ACME_IBAN, "FRA 2025-112")])  # fmt: skip
    garbled = tmp_path / "garbled.n43"
    garbled.write_bytes(late.replace(b"22    0418260218", b"22    04182602XX", 1))
    assert cli_main(me, "import-statement", str(garbled)) == 2
    error = capsys.readouterr().err
    assert f"{garbled}:2:" in error
    with me.store() as store:
        assert store.invoice("acme", "2025-112").status is InvoiceStatus.OPEN
        assert len(store.journal()) == journal_lines

    # The freelancer settles the rest: 2025-112 is still owed; the next pass chases it.
    assert cli_main(me, "confirm-owed", "2025-112") == 0
    assert "back on the reminder ladder: acme/2025-112" in capsys.readouterr().out
    again = me.run(TODAY + timedelta(days=1))
    assert "2025-112" in {p.invoice.number for p in again.planned}
    assert again.terminations == []


def test_statements_in_the_watched_folder_are_read_before_the_first_scan_plans(world, tmp_path: Path):
    folder = tmp_path / "bank"
    folder.mkdir()
    (folder / "acme.n43").write_bytes(acme_norma43())
    (folder / "tulp.xml").write_bytes(tulp_camt053())
    (folder / "notes.pdf").write_bytes(b"%PDF-1.4 not a statement")  # not a statement's name: left alone
    me = Freelancer(
        world, tmp_path / "config", rules={"clients.yaml": CLIENTS},
        account_extra=f"  statements:\n    folder: {folder}\n", language="es",
    )  # fmt: skip
    send_the_year(world)
    first = me.run(TODAY)
    # Paid before anything is planned: only what the bank never received is held or chased.
    assert [i.number for i in first.held] == ["2025-112"]
    assert sorted(p.invoice.number for p in first.planned) == ["2026-101", "2026-201"]
    assert first.errors == []
    # The digest lists what waits for a word, and not as overdue.
    mailbox = open_mailbox(me.account)
    try:
        with me.store() as store:
            assert Engine(me.config, me.account, mailbox, store).write_digest(at(TODAY, 8))
    finally:
        mailbox.close()
    (digest,) = [parsed(d) for _, d in world.messages("INBOX")]
    body = digest.get_body(("plain",)).get_content()
    confirm = body.split("¿SIGUEN PENDIENTES? CONFIRMA (1)", 1)[1]
    assert "2025-112" in confirm and "2025-112" not in body.split("¿SIGUEN PENDIENTES?", 1)[0]
    assert "INGRESOS DEL BANCO POR CONFIRMAR" in body and "431,17" in body and "AGENCIA TRIBUTARIA" in body
    # A file applied before and unchanged (size, modification time) is not read again: here
    # one byte of it changes behind the pass's back and nothing notices.
    applied = folder / "acme.n43"
    before = applied.stat()
    applied.write_bytes(applied.read_bytes().replace(b"22    0418", b"22    04X8", 1))
    os.utime(applied, ns=(before.st_atime_ns, before.st_mtime_ns))
    # A garbled file dropped later is reported with its line; the others stay applied.
    (folder / "broken.xml").write_bytes(tulp_camt053().replace(b">605.00<", b">6O5.00<", 1))
    second = me.run(TODAY + timedelta(days=1))
    assert len(second.errors) == 1 and "broken.xml:" in second.errors[0]
    assert second.held == []  # the first run is decided once
    with me.store() as store:
        assert store.invoice("tulp", "2025-205").paid_via == "bank"
        assert len(store.bank_transactions()) == 25

    # A transfer from someone the assistant does not know waits in status until the
    # freelancer says what it pays; then the payer is remembered.
    stranger = files.camt(
        [Movement(date(2026, 2, 19), AMOUNT["acme"], "GARCIA-1", "J. GARCIA LOPEZ", "ES1000492352082414205416", "pago")],
        statement_id="ACME-2026-02",
    )  # fmt: skip
    (folder / "february.xml").write_bytes(stranger)
    third = me.run(TODAY + timedelta(days=2))
    assert any("bank credit to confirm" in line and "J. GARCIA LOPEZ" in line for line in third.changes)
    assert cli_main(me, "confirm-credit", "GARCIA-1", "2025-112") == 0
    with me.store() as store:
        owed = store.invoice("acme", "2025-112")
        assert (
            owed.status is InvoiceStatus.PAID
            and owed.paid_on == date(2026, 2, 19)
            and owed.paid_via == "bank"
        )
        assert store.payers()["iban:ES1000492352082414205416"] == "acme"
        assert store.held_invoices() == set()
        assert [t.credit.remittance for t in store.bank_transactions("unmatched")] == ["DEVOLUCION IRPF"]
    assert cli_main(me, "confirm-credit", "TAX-REFUND", "--not-an-invoice") == 0
    with me.store() as store:
        assert store.bank_transactions("unmatched") == []


def test_a_credit_that_matched_nothing_pays_the_invoice_read_after_it(tmp_path: Path):
    """Paid in advance: the transfer names an invoice the ledger does not know yet."""
    from assistant.adapters.store import Store
    from assistant.bank_import import apply_credits
    from assistant.domain.bank import Credit
    from assistant.domain.model import Invoice, Money
    from tests.support.world import config as make_config

    config = make_config(tmp_path, f"- name: main\n  maildir:\n    path: {tmp_path / 'Maildir'}\n")
    advance = Credit(transaction_id="A-1", booked=date(2026, 3, 1), amount=Decimal("500.00"), currency="EUR",
                     name="ACME SOLUCIONES SL", remittance="Factura 2026-050")  # fmt: skip
    with Store.memory() as store:
        with store.transaction():
            report = apply_credits(store, config, [advance], at(date(2026, 3, 1)))
        assert [c.transaction_id for c in report.unmatched] == ["A-1"]
        invoice = Invoice(
            client="acme", number="2026-050", amount=Money(amount=Decimal("500.00"), currency="EUR"),
            issue_date=date(2026, 3, 3), due_date=date(2026, 3, 17), message_id="<i@x>", subject="Factura 2026-050",
            sent_at=at(date(2026, 3, 3)),
        )  # fmt: skip
        with store.transaction():
            store.save_invoice(invoice)
            again = apply_credits(store, config, [advance], at(date(2026, 3, 4)))  # the same file, read again
        assert again.new == 0 and [p.invoice.number for p in again.payments] == ["2026-050"]
        paid = store.invoice("acme", "2026-050")
        assert paid.status is InvoiceStatus.PAID and paid.paid_on == date(2026, 3, 1)
        assert store.bank_transactions("unmatched") == []
        with store.transaction():
            assert apply_credits(store, config, [advance], at(date(2026, 3, 5))).payments == []
