"""`status`, `explain` and `scan`'s list in the freelancer's own language (es, en, nl): her
words and her numbers, each amount with the currency sign of its client's letters; and the
dates of `explain` as things happened.

Lucía's clients (tests/support/world.py): ACME in Spain (euros) and Brightside in Britain
(pounds: the reminder to them says "£2,400.00", so no view of hers says "GBP").
"""

from __future__ import annotations

import re
from datetime import UTC, date

import pytest

from assistant import cli
from tests.support.world import at, british_invoice_email, invoice_email, write_config

NOW = at(date(2026, 3, 18), 10).astimezone(UTC)  # Wednesday 18 March 2026, Madrid

# An evidence line quotes the email (its subject, its sender) as it was written.
EVIDENCE = re.compile(r"\s+(evidence|prueba|bewijs):")

# Her numbers, her clients' signs: ACME's 1,210.00 EUR and Brightside's 2,400.00 GBP.
MONEY = {
    "es": {"acme": "1.210,00 €", "bright": "2.400,00 £"},
    "en": {"acme": "€1,210.00", "bright": "£2,400.00"},
    "nl": {"acme": "€ 1.210,00", "bright": "£ 2.400,00"},
}

# A few words each view must say in each language, and words of the others it must not.
WORDS = {
    "es": {
        "scan": ["Pasada sobre la cuenta", "mensajes nuevos leídos", "facturas encontradas: 2", "vence el"],
        "ledger": ["factura", "abierta", "vence el 2026-04-01"],
        "status": ["Cuenta main", "debe 2.400,00 £", "Factura", "Importe", "Estado", "Pendiente:"],
        "explain": [
            "Factura INV-0042 a bright: 2.400,00 £",
            "leído: número: asunto, importe: texto del correo, fecha de emisión: fecha de envío (supuesto)",
            "ABIERTA (vence en 14 días)",
            "Qué pasa después:",
        ],
        "foreign": ["Outstanding", "owes", "Invoice INV-0042 to", "Pass over", "Ronde", "Open:", "next:"],
    },
    "en": {
        "scan": ["Pass over account", "new messages read", "invoices found: 2", "due 2026-04-01"],
        "ledger": ["invoice", "open", "due 2026-04-01"],
        "status": ["Account main", "owes £2,400.00", "Invoice", "Amount", "Status", "Outstanding:"],
        "explain": ["Invoice INV-0042 to bright: £2,400.00", "OPEN (due in 14 days)", "What happens next:"],
        "foreign": ["Pendiente", "debe ", "Pasada", "Ronde", "facturen", "siguiente"],
    },
    "nl": {
        "scan": ["Ronde over account", "nieuwe berichten gelezen", "facturen gevonden: 2", "vervalt"],
        "ledger": ["factuur", "open", "vervalt 2026-04-01"],
        "status": ["Account main", "is £ 2.400,00 schuldig", "Factuur", "Bedrag", "Stand", "Open:"],
        "explain": [
            "Factuur INV-0042 aan bright: £ 2.400,00",
            "nummer: onderwerp, bedrag: tekst van de e-mail, factuurdatum: verzenddatum (aangenomen)",
            "OPEN (vervalt over 14 dagen)",
            "Wat er nu gebeurt:",
        ],
        "foreign": ["Outstanding", "owes", "Pendiente", "Pasada", "Invoice INV-0042 to", "next:"],
    },
}


def test_every_language_has_every_message_with_the_same_blanks():
    from string import Formatter

    from assistant.wording import CATALOGUE

    def blanks(text: str) -> set[str]:
        return {name for _, name, _, _ in Formatter().parse(text) if name}

    english = CATALOGUE["en"]
    for language in ("es", "nl"):
        words = CATALOGUE[language]
        assert set(words) == set(english), language
        for key, text in english.items():
            assert blanks(words[key]) == blanks(text), (language, key)


@pytest.fixture
def lucia(world, tmp_path, monkeypatch):
    """Two invoices in Sent on 2 March: 2026-001 to ACME (1.210,00 €) and INV-0042 to Brightside."""
    monkeypatch.setattr(cli, "_now", lambda: NOW)
    world.deliver("Sent", invoice_email(sent=at(date(2026, 3, 2)), message_id="<inv-2026-001@x>"))
    world.deliver(
        "Sent",
        british_invoice_email(),
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
        "ledger": run(capsys, "ledger", "--config", config),
    }
    for view, out in views.items():
        for words in WORDS[language][view]:
            assert words in out, (view, words, out)
        for words in WORDS[language]["foreign"]:
            assert words not in out, (view, words, out)
        # The sign of the client's letters, never the code: the timeline's events too.
        said = "\n".join(line for line in out.splitlines() if not EVIDENCE.match(line))
        assert "GBP" not in said, (view, said)
        assert MONEY[language]["bright"] in said and (view == "explain" or MONEY[language]["acme"] in said)
        assert "2400.00" not in said, (view, said)  # plain numbers are for the JSON documents
        if language == "en":  # English numbers: not one Spanish decimal comma
            assert re.findall(r"\d,\d\d\b", said) == [], (view, said)


def test_the_status_json_stays_english_and_plain_whatever_her_language(lucia, tmp_path, capsys):
    import json

    config = str(write_config(tmp_path / "cfg", lucia.account_yaml(), language="nl"))
    run(capsys, "scan", "--config", config)
    document = json.loads(run(capsys, "status", "--config", config, "--json"))
    (bright,) = [c for c in document["accounts"][0]["clients"] if c["id"] == "bright"]
    assert bright["outstanding"] == [{"amount": "2400.00", "currency": "GBP"}]
    assert bright["invoices"][0]["state"] == "open"


def test_explains_timeline_stamps_each_event_with_when_it_happened_not_the_scan(lucia, tmp_path, capsys):
    config = str(write_config(tmp_path / "cfg", lucia.account_yaml()))
    run(capsys, "scan", "--config", config)  # on 18 March: the invoice email is of 2 March
    out = run(capsys, "explain", "--config", config, "INV-0042")
    (invoiced,) = [line for line in out.splitlines() if line.strip().split("  ")[-1].startswith("invoiced")]
    assert invoiced.strip().startswith("2026-03-02 10:00"), out
    assert (
        "2026-03-18" not in out.split("Why (what happened, oldest first):")[1].split("What happens next")[0]
    )


def test_a_paid_tag_there_at_first_sight_leaves_the_day_of_payment_unknown(lucia, tmp_path, capsys):
    import json

    lucia.tag("Sent", "<inv-0042@x>", "$Paid")  # tagged before the assistant ever read it
    config = str(write_config(tmp_path / "cfg", lucia.account_yaml()))
    run(capsys, "scan", "--config", config)
    document = json.loads(run(capsys, "ledger", "--json", "--config", config))
    (invoice,) = [i for i in document["accounts"][0]["invoices"] if i["number"] == "INV-0042"]
    assert invoice["state"] == "paid" and invoice["paid_via"] == "keyword"
    assert invoice["paid_on"] is None  # not 2026-03-18, the day of the scan
    explained = run(capsys, "explain", "--config", config, "INV-0042")
    assert "tag seen on 2026-03-18, the day it was paid is not known" in explained
    assert "paid 2026-03-18" not in run(capsys, "status", "--config", config)


def test_a_paid_tag_set_between_two_passes_is_paid_on_the_day_it_was_seen(
    lucia, tmp_path, capsys, monkeypatch
):
    import json

    config = str(write_config(tmp_path / "cfg", lucia.account_yaml()))
    run(capsys, "scan", "--config", config)
    lucia.tag("Sent", "<inv-0042@x>", "$Paid")
    monkeypatch.setattr(cli, "_now", lambda: at(date(2026, 3, 19), 10).astimezone(UTC))
    run(capsys, "scan", "--config", config)
    document = json.loads(run(capsys, "ledger", "--json", "--config", config))
    (invoice,) = [i for i in document["accounts"][0]["invoices"] if i["number"] == "INV-0042"]
    assert invoice["paid_on"] == "2026-03-19"


@pytest.mark.parametrize(
    ("currency", "client", "text", "written"),
    [
        ("GBP", "en_GB", "es_ES", "2.400,00\xa0£"),  # Spanish numbers, the pound sign of the letters
        ("GBP", "en_GB", "en_GB", "£2,400.00"),
        ("EUR", "es_ES", "en_GB", "€2,400.00"),  # no Spanish decimal comma in English
        ("CHF", "de_CH", "en_GB", "CHF\xa02,400.00"),  # a sign of letters keeps its space
        ("JPY", "ja_JP", "nl_NL", "￥\xa02.400"),  # the currency's own decimals
    ],
)
def test_an_amount_takes_her_numbers_and_its_clients_sign(currency, client, text, written):
    from decimal import Decimal

    from assistant.domain.compose import format_money
    from assistant.domain.model import Money

    assert format_money(Money(amount=Decimal("2400.00"), currency=currency), text, client) == written


# What the journal says of a client's claim, in each language: the scan's list and explain's
# timeline say it in her words, whoever wrote the reply and in whatever language.
CLAIMED = {  # the event, and the start of its detail
    "es": ("pagado según el cliente", "el cliente dice que está pagada; no se reclama, sin confirmar"),
    "en": ("claimed", "the client says it was paid; not chased, unconfirmed until the money is seen"),
    "nl": ("betaald volgens de klant", "de klant zegt dat ze betaald is; geen herinnering, niet bevestigd"),
}
INVOICED = {
    "es": "facturado: 2.400,00 £, emitida el 2026-03-02, vence el 2026-04-01",
    "en": "invoiced: £2,400.00, issued 2026-03-02, due 2026-04-01",
    "nl": "gefactureerd: £ 2.400,00, uitgegeven 2026-03-02, vervalt 2026-04-01",
}


@pytest.mark.parametrize("language", ["es", "en", "nl"])
def test_the_journals_words_are_said_in_her_language(lucia, tmp_path, capsys, language):
    from tests.test_replies import reply

    lucia.deliver(
        "INBOX",
        reply(
            sender="Oliver Hughes <oliver@bright.example>",
            subject="Re: Invoice INV-0042",
            body="Hi Lucía,\n\nSorry for the delay: we have paid this today.\n\nOliver\n",
            day=date(2026, 3, 17),
            in_reply_to="<inv-0042@x>",
        ),
    )
    config = str(write_config(tmp_path / "cfg", lucia.account_yaml(), language=language))
    scanned = run(capsys, "scan", "--config", config)
    event, detail = CLAIMED[language]
    assert f"invoice/bright/INV-0042: {event} ({detail}" in scanned, scanned
    explained = run(capsys, "explain", "--config", config, "INV-0042")
    assert INVOICED[language] in explained and f"  {event}: {detail}" in explained, explained
    if language != "en":
        assert "the client says" not in scanned + explained and "issued" not in explained


def test_a_journal_line_written_before_its_words_were_kept_is_shown_as_written():
    """A state from an earlier version has details without words: shown as they were written."""
    from assistant.domain.said import Said, said
    from assistant.wording import Voice

    spanish = Voice("es", {})
    assert spanish.detail("an old detail, in English", {}) == "an old detail, in English"
    assert spanish.detail("x", {"said": ["no-such-key", {}]}) == "x"  # a newer version's words
    assert spanish.detail("x", {"said": ["replied", {}]}) == "x"  # a blank left unfilled
    words = said("replied", sender="marta@acme.example")
    assert Said.from_data(words.as_data()) == words
    assert spanish.detail(words.english, {"said": words.as_data()}) == "marta@acme.example respondió"


def test_a_terminations_triggers_are_said_in_her_language_in_status():
    from assistant.domain.said import said
    from assistant.domain.status import Todo
    from assistant.status_report import _todo_texts
    from assistant.wording import Voice

    why = said("late_payments", count=3, days=365, numbers="INV-0091, INV-0096, INV-0101")
    todo = Todo(kind="termination-held", on=date(2026, 3, 18), ref="client/bright", why=(why,))
    (_, line) = _todo_texts(todo, Voice("es", {}), "bright")
    assert line == (
        "por qué: 3 facturas pagadas tarde o sin pagar tras el último aviso en los últimos 365 días: "
        "INV-0091, INV-0096, INV-0101"
    )
    (_, line) = _todo_texts(todo, Voice("en", {}), "bright")
    assert line == f"why: {why.english}"
