"""A language the program does not ship: its templates in the rules folder are all it takes."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.config import load_config, packaged_rules_dir
from assistant.domain.compose import key_of
from tests.support.freelancer import Freelancer, send_invoice
from tests.support.world import CLIENTS_YAML, write_config

GERMAN_CLIENT = CLIENTS_YAML.replace(
    "    language: es\n    country: ES\n", "    language: de\n    country: DE\n", 1
)


def add_german(rules: Path) -> None:
    """What the README's recipe says: copy the English templates, then translate them."""
    shutil.copytree(packaged_rules_dir() / "templates" / "en", rules / "templates" / "de")
    first = rules / "templates" / "de" / "invoice-reminder-1.txt.j2"
    first.write_text(
        "Sehr geehrte Damen und Herren,\n\nich habe zu meiner Rechnung {{ invoice.number }} "
        "über {{ invoice.amount|money }} noch nichts von Ihnen gehört; sie war am "
        "{{ invoice.due_date|date }} fällig.\n\nMit freundlichen Grüßen\n{{ freelancer.signature }}\n",
        encoding="utf-8",
    )


def test_a_client_in_german_gets_the_reminder_from_the_german_templates(world, tmp_path):
    directory = tmp_path / "config"
    write_config(directory, world.account_yaml())
    add_german(directory / "rules")
    me = Freelancer(world, directory, rules={"clients.yaml": GERMAN_CLIENT})
    send_invoice(world)
    me.run(date(2026, 3, 17))
    ((_, draft),) = me.drafts()
    assert key_of(draft) == "invoice/acme/2026-001/first-reminder"
    assert draft["Content-Language"] == "de"
    body = draft.get_body(("plain",)).get_content()
    # Babel formats money and dates for de_DE, the client's language and country.
    assert "Rechnung 2026-001 über 1.210,00\xa0€" in body
    assert "am 16. März 2026 fällig" in body
    assert len(list(draft.iter_attachments())) == 1


def test_a_missing_template_of_the_new_language_is_named_with_its_place(tmp_path, capsys):
    path = write_config(tmp_path, "- name: main\n  maildir:\n    path: Maildir\n")
    (tmp_path / "rules" / "clients.yaml").write_text(GERMAN_CLIENT, encoding="utf-8")
    assert main(["check", "--offline", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "no template de/invoice-reminder-1.txt.j2 for the de clients" in err
    assert "escalation.yaml:" in err


@pytest.mark.parametrize("language", ["German", "DE", "d", "de-DE"])
def test_a_language_must_be_a_lower_case_iso_639_code(tmp_path, language):
    path = write_config(tmp_path, "- name: main\n  maildir:\n    path: Maildir\n")
    clients = GERMAN_CLIENT.replace("language: de", f"language: {language}")
    (tmp_path / "rules" / "clients.yaml").write_text(clients, encoding="utf-8")
    with pytest.raises(Exception) as caught:
        load_config(path)
    assert "clients.yaml:6:" in str(caught.value) and "ISO 639" in str(caught.value)
