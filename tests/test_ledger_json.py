"""`ledger --json` exactly as docs/ledger-json.md says, paid invoices and client notes included.

The document is checked against the field tables of docs/ledger-json.md (with the checker
of tests/test_status.py): a field the page does not list, a listed field the output lacks,
a value of another type, or a documented object the scenario never produces fails here.
"""

from __future__ import annotations

import json
from datetime import UTC, date
from pathlib import Path

from assistant import cli
from tests.support.freelancer import INVOICE_ID, send_invoice
from tests.support.world import at, british_invoice_email, write_config
from tests.test_replies import reply
from tests.test_status import check, deliverable_email, documented_schema

DOC = Path(__file__).resolve().parent.parent / "docs" / "ledger-json.md"
NOW = at(date(2026, 4, 10), 10).astimezone(UTC)


def validate(document) -> set[str]:
    schema = documented_schema(DOC.read_text(encoding="utf-8"))
    seen: set[str] = set()
    problems = check(document, "`document`", schema, "$", seen)
    assert not problems, "ledger --json and docs/ledger-json.md disagree:\n" + "\n".join(problems)
    return seen


def ledger(capsys, config: str) -> dict:
    assert cli.main(["ledger", "--json", "--config", config]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return json.loads(out)


def test_the_ledger_lists_paid_and_open_invoices_work_and_client_notes_as_documented(
    world, tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(cli, "_now", lambda: NOW)
    send_invoice(world)  # 2026-001 to ACME, due 16 March
    world.deliver(
        "Sent",
        british_invoice_email(),
        when=at(date(2026, 3, 2)),
    )
    world.deliver("Sent", deliverable_email(), when=at(date(2026, 3, 16), 17))
    paid = reply(
        sender="Marta López <marta@acme.example>",
        subject="Re: Factura 2026-001",
        body="Hola Lucía:\n\nYa está pagada. Por cierto, otro cambio en la portada, por favor.\n",
        day=date(2026, 3, 20),
        in_reply_to=INVOICE_ID,
    )
    world.deliver("INBOX", paid, when=at(date(2026, 3, 20)))
    config = str(write_config(tmp_path / "cfg", world.account_yaml()))
    assert cli.main(["scan", "--config", config]) == 0
    capsys.readouterr()

    document = ledger(capsys, config)
    seen = validate(document)
    schema = documented_schema(DOC.read_text(encoding="utf-8"))
    assert seen == set(schema), f"documented but never produced: {set(schema) - seen}"
    assert document["schema"] == 1
    (account,) = document["accounts"]
    by_number = {i["number"]: i for i in account["invoices"]}
    acme = by_number["2026-001"]
    # The client's word: not chased, not paid until the money is seen ("claimed").
    assert (acme["state"], acme["paid_via"], acme["paid_on"], acme["outstanding"]) == (
        "claimed",
        "client",
        "2026-03-20",
        "1210.00",
    )
    said = [e for e in acme["evidence"] if e["event"] == "claimed"]
    assert said and said[0]["source"] == "mail" and said[0]["message_id"].endswith("@client.example>")
    assert acme["evidence"][0]["event"] == "invoiced"
    assert by_number["INV-0042"]["state"] == "open" and by_number["INV-0042"]["currency"] == "GBP"
    clients = {c["id"]: c for c in account["clients"]}
    ((flag,),) = [clients["acme"]["flags"]]
    assert flag["event"] == "scope change" and flag["message_id"] == said[0]["message_id"]
    assert clients["bright"]["flags"] == [] and clients["acme"]["configured"]
    (work,) = account["deliverables"]
    assert (work["state"], work["subject"], work["evidence"][0]["event"]) == (
        "open",
        "Propuesta de diseño v2",
        "delivered",
    )


def test_an_account_never_scanned_has_an_empty_ledger_and_the_text_form_reads(
    world, tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(cli, "_now", lambda: NOW)
    config = str(write_config(tmp_path / "cfg", world.account_yaml()))
    document = ledger(capsys, config)
    validate(document)
    (account,) = document["accounts"]
    assert account["last_pass"] is None and account["invoices"] == [] and account["clients"] == []
    send_invoice(world)
    assert cli.main(["scan", "--config", config]) == 0
    capsys.readouterr()
    assert cli.main(["ledger", "--config", config]) == 0
    out = capsys.readouterr().out
    assert "invoice acme" in out and "2026-001" in out and "due 2026-03-16" in out
