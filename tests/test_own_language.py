"""`status`, `explain` and `scan`'s list in the freelancer's own language (es, en, nl), with
every amount in its client's money format, and the dates of `explain` as things happened.

Lucía's clients (tests/support/world.py): ACME in Spain (euros, "1.210,00 €") and Brightside
in Britain (pounds, "£2,400.00", as the reminder to them writes it).
"""

from __future__ import annotations

import re
from datetime import UTC, date

import pytest

from assistant import cli
from tests.support.world import at, invoice_email, write_config

NOW = at(date(2026, 3, 18), 10).astimezone(UTC)  # Wednesday 18 March 2026, Madrid

TIMELINE = re.compile(r"\s+(\d{4}-\d\d-\d\d \d\d:\d\d  |evidence:)")

# A few words each view must say in each language, and words of the others it must not.
WORDS = {
    "es": {
        "scan": ["Pasada sobre la cuenta", "mensajes nuevos leídos", "facturas encontradas: 2", "vence el"],
        "status": ["Cuenta main", "debe £2,400.00", "Factura", "Importe", "Estado", "Pendiente:"],
        "explain": ["Factura INV-0042 a bright: £2,400.00", "Por qué", "Qué pasa después:"],
        "foreign": ["Outstanding", "owes", "Invoice INV-0042 to", "Pass over", "Ronde", "Open:", "next:"],
    },
    "en": {
        "scan": ["Pass over account", "new messages read", "invoices found: 2", "due 2026-04-01"],
        "status": ["Account main", "owes £2,400.00", "Invoice", "Amount", "Status", "Outstanding:"],
        "explain": ["Invoice INV-0042 to bright: £2,400.00", "Why (what happened", "What happens next:"],
        "foreign": ["Pendiente", "debe ", "Pasada", "Ronde", "facturen", "siguiente"],
    },
    "nl": {
        "scan": ["Ronde over account", "nieuwe berichten gelezen", "facturen gevonden: 2", "vervalt"],
        "status": ["Account main", "is £2,400.00 schuldig", "Factuur", "Bedrag", "Stand", "Open:"],
        "explain": ["Factuur INV-0042 aan bright: £2,400.00", "Waarom", "Wat er nu gebeurt:"],
        "foreign": ["Outstanding", "owes", "Pendiente", "Pasada", "Invoice INV-0042 to", "next:"],
    },
}


@pytest.fixture
def lucia(world, tmp_path, monkeypatch):
    """Two invoices in Sent on 2 March: 2026-001 to ACME (1.210,00 €) and INV-0042 to Brightside."""
    monkeypatch.setattr(cli, "_now", lambda: NOW)
    world.deliver("Sent", invoice_email(sent=at(date(2026, 3, 2)), message_id="<inv-2026-001@x>"))
    world.deliver(
        "Sent",
        invoice_email(
            to="Oliver Hughes <oliver@bright.example>",
            subject="Invoice INV-0042",
            body="Hi Oliver,\n\nPlease find attached invoice INV-0042.\n\nAmount due: £2,400.00\n",
            filename="invoice-INV-0042.pdf",
            pdf_lines=("INVOICE INV-0042",),
            sent=at(date(2026, 3, 2)),
            message_id="<inv-0042@x>",
        ),
    )
    return world


def run(capsys, *argv: str) -> str:
    assert cli.main(list(argv)) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return out.replace("\xa0", " ")  # Babel's no-break spaces


@pytest.mark.parametrize("language", ["es", "en", "nl"])
def test_scan_status_and_explain_speak_her_language_with_each_clients_money(
    lucia, tmp_path, capsys, language
):
    config = str(write_config(tmp_path / "cfg", lucia.account_yaml(), language=language))
    views = {
        "scan": run(capsys, "scan", "--config", config),
        "status": run(capsys, "status", "--config", config),
        "explain": run(capsys, "explain", "--config", config, "INV-0042"),
    }
    for view, out in views.items():
        for words in WORDS[language][view]:
            assert words in out, (view, words, out)
        for words in WORDS[language]["foreign"]:
            assert words not in out, (view, words, out)
        # Each amount as its client's letters write it, whatever language surrounds it (the
        # timeline's recorded events excepted: they are the journal's words, kept as written).
        said = "\n".join(line for line in out.splitlines() if not TIMELINE.match(line))
        assert "2.400,00" not in said and "2400,00" not in said and "GBP" not in said, (view, said)
    assert "1.210,00 €" in views["scan"] and "1.210,00 €" in views["status"]
    assert "£2,400.00" in views["scan"]
    if language == "en":  # no Spanish decimal comma in English text but ACME's own euros
        assert re.findall(r"\d,\d\d\b", views["status"].replace("1.210,00 €", "")) == []


def test_the_status_json_stays_english_and_plain_whatever_her_language(lucia, tmp_path, capsys):
    import json

    config = str(write_config(tmp_path / "cfg", lucia.account_yaml(), language="nl"))
    run(capsys, "scan", "--config", config)
    document = json.loads(run(capsys, "status", "--config", config, "--json"))
    (bright,) = [c for c in document["accounts"][0]["clients"] if c["id"] == "bright"]
    assert bright["outstanding"] == [{"amount": "2400.00", "currency": "GBP"}]
    assert bright["invoices"][0]["state"] == "open"
