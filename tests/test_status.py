"""`status`: tables by client for a person, and `status --json` exactly as docs/status-json.md says.

The JSON is checked against the field tables of docs/status-json.md, read by this file:
a field the page does not list, a listed field the output lacks, or a value of another
type fails here, so the page and the program cannot drift apart.
"""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest

from assistant import cli
from assistant.domain import calendar, ladder
from assistant.domain.model import Stage
from assistant.status_report import wants_colour
from tests.support.world import at, british_invoice_email, invoice_email, write_config

DOC = Path(__file__).resolve().parent.parent / "docs" / "status-json.md"
SCALARS = {"string", "integer", "boolean", "decimal", "date", "datetime"}


# --------------------------------------------------------------------------- the documented schema


def documented_schema(text: str | None = None) -> dict[str, dict[str, str]]:
    """{object name: {field: type}} from the "## `name`" sections' tables of the page."""
    text = DOC.read_text(encoding="utf-8") if text is None else text
    schema: dict[str, dict[str, str]] = {}
    current = None
    for line in text.splitlines():
        heading = re.fullmatch(r"## `(\w+)`", line.strip())
        if heading:
            current = heading.group(1)
            schema[current] = {}
            continue
        row = re.fullmatch(r"\| `(\w+)` \| ([^|]+) \|.*\|", line.strip())
        if current and row:
            schema[current][row.group(1)] = row.group(2).strip()
    return schema


def check(value, kind: str, schema: dict[str, dict[str, str]], path: str, seen: set[str]) -> list[str]:
    """What in ``value`` disagrees with the documented ``kind`` (empty when all agrees)."""
    if kind.endswith(" or null"):
        if value is None:
            return []
        kind = kind.removesuffix(" or null")
    if kind.startswith("array of "):
        if not isinstance(value, list):
            return [f"{path}: expected an array, got {value!r}"]
        inner = kind.removeprefix("array of ")
        return [p for n, item in enumerate(value) for p in check(item, inner, schema, f"{path}[{n}]", seen)]
    if kind.startswith("`"):
        name = kind.strip("`")
        if not isinstance(value, dict):
            return [f"{path}: expected a {name} object, got {value!r}"]
        seen.add(name)
        fields = schema[name]
        problems = [f"{path}.{key}: not documented in {name}" for key in value if key not in fields]
        problems += [f"{path}.{key}: documented in {name}, missing" for key in fields if key not in value]
        for key, field_kind in fields.items():
            if key in value:
                problems += check(value[key], field_kind, schema, f"{path}.{key}", seen)
        return problems
    assert kind in SCALARS, f"docs/status-json.md: unknown type {kind!r} at {path}"
    ok = {
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "decimal": lambda v: isinstance(v, str) and re.fullmatch(r"-?\d+(\.\d+)?", v) is not None,
        "date": lambda v: isinstance(v, str) and re.fullmatch(r"\d{4}-\d\d-\d\d", v) is not None,
        "datetime": lambda v: isinstance(v, str) and datetime.fromisoformat(v).tzinfo is not None,
    }[kind]
    return [] if ok(value) else [f"{path}: {value!r} is not a {kind}"]


def validate(document) -> set[str]:
    """The object kinds met; fails with every disagreement with the page."""
    seen: set[str] = set()
    problems = check(document, "`document`", documented_schema(), "$", seen)
    assert not problems, "status --json and docs/status-json.md disagree:\n" + "\n".join(problems)
    return seen


def test_the_schema_check_catches_an_undocumented_a_missing_and_a_mistyped_field():
    schema = documented_schema()
    assert {"document", "account", "client", "invoice", "hold", "deliverable", "draft", "todo"} <= set(schema)
    assert schema["invoice"]["amount"] == "decimal or null" and schema["document"]["schema"] == "integer"
    document = {
        "schema": "1",
        "generated_at": "2026-03-18T10:00:00+01:00",
        "today": "2026-03-18",
        "accounts": [{"name": "main", "last_pass": None, "clients": [], "totals": {}, "colour": "red"}],
    }
    problems = check(document, "`document`", schema, "$", set())
    assert "$.schema: '1' is not a integer" in problems
    assert "$.accounts[0].colour: not documented in account" in problems
    assert "$.accounts[0].totals.outstanding: documented in totals, missing" in problems


# --------------------------------------------------------------------------- a realistic ledger

NOW = at(date(2026, 3, 18), 10).astimezone(UTC)  # Wednesday 18 March 2026, Madrid


def deliverable_email() -> bytes:
    message = EmailMessage()
    message["From"] = "Lucía Romero <lucia@freelancer.example>"
    message["To"] = "Marta López <marta@acme.example>"
    message["Subject"] = "Propuesta de diseño v2"
    message["Date"] = format_datetime(at(date(2026, 3, 16), 17))
    message["Message-ID"] = "<delivery-v2@freelancer.example>"
    message.set_content(
        "Hola Marta:\n\nAquí tienes la nueva versión: https://www.figma.com/file/abc/portada-v2\n"
    )
    return message.as_bytes()


@pytest.fixture
def ledger(world, tmp_path, monkeypatch, capsys):
    """On 18 March: 2026-001 to ACME overdue with its first reminder drafted, INV-0042 to
    Brightside paused by the freelancer, and a proposal sent to ACME on Monday unanswered."""
    monkeypatch.setattr(cli, "_now", lambda: NOW)
    world.deliver(
        "Sent",
        invoice_email(sent=at(date(2026, 3, 2)), message_id="<inv-2026-001@x>"),
        when=at(date(2026, 3, 2)),
    )
    world.deliver(
        "Sent",
        british_invoice_email(),
        when=at(date(2026, 3, 2)),
    )
    world.deliver("Sent", deliverable_email(), when=at(date(2026, 3, 16), 17))
    config = str(write_config(tmp_path / "cfg", world.account_yaml()))
    assert cli.main(["scan", "--config", config]) == 0
    reason = "waiting for their new PO"
    assert (
        cli.main(["pause", "--config", config, "INV-0042", "--until", "2026-04-30", "--reason", reason]) == 0
    )
    capsys.readouterr()
    return config


def status(capsys, *argv: str) -> str:
    assert cli.main(["status", *argv]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return out


def test_status_json_follows_the_documented_schema_and_tells_the_ledger(ledger, capsys):
    document = json.loads(status(capsys, "--config", ledger, "--json"))
    validate(document)
    assert document["schema"] == 1
    assert document["generated_at"] == "2026-03-18T10:00:00+01:00" and document["today"] == "2026-03-18"
    (account,) = document["accounts"]
    assert account["name"] == "main"
    assert account["totals"] == {
        "outstanding": [{"amount": "1210.00", "currency": "EUR"}, {"amount": "2400.00", "currency": "GBP"}],
        "overdue": [{"amount": "1210.00", "currency": "EUR"}],
        "invoices_unpaid": 2,
        "invoices_overdue": 1,
        "amounts_unknown": 0,
        "deliverables_waiting": 1,
        "drafts_waiting": 1,
        "drafts_no_longer_needed": 0,
        "todos": 0,
        "messages_unreadable": 0,
    }
    acme, bright = account["clients"]  # by name: ACME Soluciones, Brightside Media
    assert (acme["id"], acme["name"], acme["configured"]) == ("acme", "ACME Soluciones S.L.", True)
    assert acme["invoices"] == [
        {
            "number": "2026-001",
            "subject": "Factura 2026-001",
            "amount": "1210.00",
            "outstanding": "1210.00",
            "currency": "EUR",
            "issued": "2026-03-02",
            "due": "2026-03-16",
            "days_overdue": 2,
            "state": "open",
            "chased": True,
            "stage": "first-reminder",
            "stage_state": "drafted",
            "stage_on": "2026-03-18",
            "next_stage": "second-reminder",
            "next_stage_on": "2026-03-23",
            "next_stage_waits": True,
            "hold": None,
            "paid_on": None,
            "paid_via": None,
            "read_from": {
                "number": "subject",
                "amount": "PDF label",
                "issue_date": "date sent",
                "due_date": "client's terms",
            },
            "guessed": ["issue_date", "due_date"],
        }
    ]
    (deliverable,) = acme["deliverables"]
    assert deliverable["subject"] == "Propuesta de diseño v2" and re.fullmatch(
        r"d[0-9a-f]{7}", deliverable["id"]
    )
    assert (deliverable["sent_on"], deliverable["business_days_waiting"]) == ("2026-03-16", 2)
    assert (deliverable["stage"], deliverable["next_stage"], deliverable["next_stage_on"]) == (
        None,
        "feedback-request",
        "2026-03-19",  # the third business day after Monday the 16th
    )
    (draft,) = acme["drafts_waiting"]
    assert draft["key"] == "invoice/acme/2026-001/first-reminder" and draft["kind"] == "reminder"
    assert (draft["invoice"], draft["to"], draft["interrupted"]) == ("2026-001", "marta@acme.example", False)
    assert draft["subject"] == "Re: Factura 2026-001" and draft["since"] == "2026-03-18T10:00:00+01:00"
    assert acme["todos"] == [] and acme["overdue"] == [{"amount": "1210.00", "currency": "EUR"}]
    (paused,) = bright["invoices"]
    assert (paused["number"], paused["amount"], paused["currency"], paused["due"]) == (
        "INV-0042",
        "2400.00",
        "GBP",
        "2026-04-01",  # net 30
    )
    assert paused["state"] == "paused" and paused["chased"] is False and paused["days_overdue"] == 0
    assert paused["hold"] == {"kind": "paused", "until": "2026-04-30", "why": "waiting for their new PO"}
    assert paused["next_stage"] is None and bright["overdue"] == []


def test_status_prints_readable_tables_by_client_within_80_columns(ledger, capsys):
    out = status(capsys, "--config", ledger).replace("\xa0", " ")  # Babel's no-break spaces
    assert "\x1b[" not in out  # not a terminal: no colour
    assert all(len(line) <= 80 for line in out.splitlines()), out
    acme = out.index("ACME Soluciones S.L. (acme) · owes €1,210.00, all overdue")  # English numbers
    bright = out.index("Brightside Media Ltd (bright) · owes £2,400.00")  # as the draft to them writes it
    assert acme < bright
    block = out[acme:bright]
    assert re.search(
        r"Invoice +Amount +Due +Status\n +2026-001 +€1,210\.00 +2026-03-16 +2 days overdue\n", block
    )
    assert (
        "first-reminder waits in Drafts since 2026-03-18; next: second-reminder, once you have sent it"
        in (" ".join(block.split()))
    )
    assert re.search(
        r"Work sent +Sent +Waiting +Subject\n +d[0-9a-f]{7} +2026-03-16 +2 business days +Propuesta", block
    )
    assert "next: feedback-request on 2026-03-19" in block
    assert "Drafts waiting for you to send" in block and "first-reminder for invoice 2026-001" in block
    assert "paused, not chased until 2026-04-30: “waiting for their new PO”" in out[bright:]
    assert out.rstrip().endswith("Outstanding: €1,210.00 + £2,400.00 in 2 invoices, 1 of them overdue")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("TERM", raising=False)
    assert wants_colour(Terminal()) and not wants_colour(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not wants_colour(Terminal())
    monkeypatch.setenv("NO_COLOR", "")  # an empty NO_COLOR does not count (no-color.org)
    assert wants_colour(Terminal())
    monkeypatch.setenv("TERM", "dumb")
    assert not wants_colour(Terminal())


@pytest.mark.parametrize("language", ["es", "en", "nl"])
def test_the_demos_status_fits_80_columns_in_every_language(capsys, tmp_path, language):
    """Every kind of line at once (claims, a dispute, the first run's holds with their commands,
    an unmatched bank credit, a termination to review): none wider than a pipe's 80 columns."""
    assert cli.main(["demo", "--dir", str(tmp_path / "demo")]) == 0
    capsys.readouterr()
    config = tmp_path / "demo" / "config.yaml"
    # Her language (identity's, the first); her clients' letters stay as they are.
    config.write_text(re.sub(r"(?m)^  language: es$", f"  language: {language}", config.read_text(), count=1))
    out = status(capsys, "--config", str(config)).replace("\xa0", " ")
    assert "F-2025-118" in out and "431" in out  # the held invoice and the bank credit are there
    too_wide = [line for line in out.splitlines() if len(line) > 80]
    assert too_wide == [], too_wide


def test_the_demo_status_json_uses_every_documented_object(capsys, tmp_path):
    """The demo has disputes, payments, approved work, a termination: every kind of object."""
    assert cli.main(["demo", "--dir", str(tmp_path / "demo")]) == 0
    capsys.readouterr()
    clients = tmp_path / "demo" / "rules" / "clients.yaml"  # check-ins on for one client
    clients.write_text(
        clients.read_text().replace(
            "    payment_terms_days: 14\n", "    payment_terms_days: 14\n    check_in: true\n", 1
        )
    )
    # The demo's Paid tag was there before the first scan: paid on a day nobody knows, so it is not
    # among the recently paid. A payment recorded now is.
    config = str(tmp_path / "demo" / "config.yaml")
    assert cli.main(["mark-paid", "2026-021", "--config", config]) == 0
    capsys.readouterr()
    document = json.loads(status(capsys, "--config", config, "--json"))
    assert validate(document) == set(documented_schema())
    assert [c["client"] for a in document["accounts"] for c in a["check_ins"]] == ["nube"]
    kinds = {t["kind"] for a in document["accounts"] for c in a["clients"] for t in c["todos"]}
    assert kinds == {"invoice-work", "review-termination", "confirm-payment"}
    states = {i["state"] for a in document["accounts"] for c in a["clients"] for i in c["invoices"]}
    assert states == {"open", "disputed", "claimed", "paid"}


def test_an_account_never_scanned_is_in_the_document_with_no_clients(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "_now", lambda: NOW)
    (tmp_path / "Maildir" / "cur").mkdir(parents=True)
    config = write_config(tmp_path, f"- name: main\n  maildir:\n    path: {tmp_path / 'Maildir'}\n")
    document = json.loads(status(capsys, "--config", str(config), "--json"))
    validate(document)
    (account,) = document["accounts"]
    assert account["last_pass"] is None and account["clients"] == []
    assert "no state yet" in status(capsys, "--config", str(config))


# --------------------------------------------------------------------------- the pure parts


def test_what_comes_next_after_downtime_is_the_first_stage_never_a_harsher_one():
    stages = [
        (Stage(name=name, after_days=days, template="t"), f"invoice/acme/1/{name}", date(2026, 3, 16 + days))
        for name, days in (("first-reminder", 1), ("second-reminder", 7), ("final-notice", 14))
    ]
    assert ladder.coming(stages, {}, date(2026, 3, 31))[:2] == (stages[0][0], date(2026, 3, 17))
    assert ladder.coming(stages, {}, date(2026, 3, 20))[:2] == (stages[0][0], date(2026, 3, 17))
    assert ladder.coming(stages, {}, date(2026, 3, 16)) == (stages[0][0], date(2026, 3, 17), False)
    drafted = {"invoice/acme/1/first-reminder": "drafted"}
    assert ladder.coming(stages, drafted, date(2026, 3, 31)) == (stages[1][0], date(2026, 3, 23), True)


def test_business_days_skip_weekends_and_the_countrys_holidays():
    assert calendar.business_days_between(date(2026, 3, 16), date(2026, 3, 18), "ES") == 2
    assert calendar.business_days_between(date(2026, 4, 2), date(2026, 4, 7), "ES") == 2  # Good Friday
    assert calendar.business_days_between(date(2026, 3, 18), date(2026, 3, 16), "ES") == 0


def test_after_only_a_dry_run_status_says_nothing_was_read_yet(capsys, tmp_path):
    from tests.support.freelancer import send_invoice
    from tests.support.mailboxes import MaildirWorld
    from tests.support.world import write_config

    world = MaildirWorld(tmp_path / "Maildir")
    send_invoice(world)
    path = write_config(tmp_path / "cfg", world.account_yaml())
    assert cli.main(["scan", "--dry-run", "--config", str(path)]) == 0
    capsys.readouterr()
    out = status(capsys, "--config", str(path))
    assert "Nothing read yet: run `freelance-assistant scan`" in out
    assert "Nothing outstanding" not in out


def test_status_says_so_when_no_work_sent_was_recognised_lately(capsys, tmp_path):
    from datetime import datetime

    from tests.support.freelancer import send_invoice
    from tests.support.mailboxes import MaildirWorld
    from tests.support.world import TZ, plain_email, write_config

    world = MaildirWorld(tmp_path / "Maildir")
    send_invoice(world)
    path = write_config(tmp_path / "cfg", world.account_yaml())
    assert cli.main(["scan", "--config", str(path)]) == 0
    capsys.readouterr()
    assert "No work sent to a client recognised in the last 60 days" in status(capsys, "--config", str(path))
    # A logo sent today, as a small file: recognised, and the line goes away.
    logo = plain_email(
        sender="lucia@freelancer.example", to="marta@acme.example", subject="El logo", sent=datetime.now(TZ)
    )
    from email import message_from_bytes, policy

    message = message_from_bytes(logo, policy=policy.default)
    message.add_attachment(b"<svg/>", maintype="image", subtype="svg+xml", filename="logo.svg")
    world.deliver("Sent", message.as_bytes(), when=datetime.now(TZ))
    assert cli.main(["scan", "--config", str(path)]) == 0
    capsys.readouterr()
    assert "No work sent to a client recognised" not in status(capsys, "--config", str(path))
