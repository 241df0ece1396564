"""Configuration and rules: typed, frozen, and every mistake pointed at file:line:column."""

from __future__ import annotations

import dataclasses
import io
import shutil
from pathlib import Path

import pytest

from assistant.config import load_config, load_rules, load_settings, packaged_rules_dir
from assistant.domain.model import Defaults
from assistant.errors import ConfigError
from tests.support.world import IDENTITY, write_config, write_rules

REPO = Path(__file__).resolve().parent.parent


def problems(exc: pytest.ExceptionInfo[ConfigError]) -> list[str]:
    return [str(p) for p in exc.value.problems]


def test_the_shipped_rules_load_and_the_example_config_validates():
    rules = load_rules(None, Defaults(), IDENTITY)
    assert [s.name for s in rules.escalation.invoice] == ["first-reminder", "second-reminder", "final-notice"]
    assert [s.after_days for s in rules.escalation.invoice] == [1, 7, 21]
    assert {lang for lang, _ in rules.templates} == {"es", "en", "nl"}
    assert rules.invoices.paid_keyword == "$Paid"
    settings = load_settings((REPO / "config.example.yaml").read_text(), "config.example.yaml")
    assert settings.defaults.payment_terms_days == 14
    assert settings.accounts[0].imap.security == "tls"


def test_loaded_objects_are_frozen(tmp_path):
    rules = load_rules(write_rules(tmp_path / "rules"), Defaults(), IDENTITY)
    with pytest.raises(dataclasses.FrozenInstanceError):
        rules.clients["acme"].language = "en"  # type: ignore[misc]


def test_clients_inherit_defaults_and_keep_their_own_terms(tmp_path):
    rules = load_rules(
        write_rules(tmp_path / "rules"), Defaults(country="ES", payment_terms_days=14), IDENTITY
    )
    assert rules.clients["acme"].payment_terms_days == 14
    assert rules.clients["bright"].payment_terms_days == 30
    assert rules.clients["bright"].babel_locale == "en_GB"


def test_a_wrong_value_names_file_line_column_and_key_path():
    text = "identity:\n  name: Lucía\n  email: lucia@example.com\n  language: French\naccounts:\n  - maildir: {path: /tmp}\n"
    with pytest.raises(ConfigError) as exc:
        load_settings(io.StringIO(text), "config.yaml")
    assert problems(exc) == [
        "config.yaml:4:13: identity.language: language 'French' is not an ISO 639 code like es, en, nl or de (lower case)"
    ]


def test_every_problem_of_a_file_is_reported_at_once():
    text = (
        "identity:\n  name: x\n  email: x@example.com\n  timezon: Europe/Madrid\n"
        "accounts:\n  - maildir: {path: /tmp}\n    lookback_days: lots\n"
        "state_dir: a\nstate_dir: b\n"
    )
    with pytest.raises(ConfigError) as exc:
        load_settings(text, "c.yaml")
    found = problems(exc)
    assert len(found) == 3
    assert found[0].startswith("c.yaml:4:3: identity.timezon: unknown key (did you mean 'timezone'?)")
    assert found[1].startswith("c.yaml:7:20: accounts[0].lookback_days: Input should be a valid integer")
    assert found[2] == "c.yaml:9:1: state_dir: duplicate key (first defined on line 8)"


def test_yaml_1_1_surprises_do_not_happen():
    # "no" stays a string (not False); 08:30 stays a string (not 510); 0612 is not octal.
    text = "identity:\n  name: no\n  email: a@b.example\n  phone: 0612345678\n  signature: 08:30\naccounts:\n  - maildir: {path: x}\n"
    settings = load_settings(text, "c.yaml")
    assert settings.identity.name == "no"
    assert settings.identity.phone == "0612345678"
    assert settings.identity.signature == "08:30"


def test_a_yaml_syntax_error_points_at_the_line(tmp_path):
    rules = write_rules(tmp_path / "rules")
    (rules / "escalation.yaml").write_text(
        "invoice:\n  - name: first\n    after_days: [1\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError) as exc:
        load_rules(rules, Defaults(), IDENTITY)
    (message,) = problems(exc)
    assert message.startswith(f"{rules / 'escalation.yaml'}:4:1: YAML:")


def test_broken_rules_in_several_files_are_all_reported(tmp_path):
    rules = write_rules(tmp_path / "rules", "clients:\n  acme:\n    name: A\n    contact: not an address\n")
    (rules / "invoices.yaml").write_text(
        "recognise:\n  subject: ['(unclosed']\nextract: {}\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError) as exc:
        load_rules(rules, Defaults(), IDENTITY)
    found = problems(exc)
    assert any(
        f"{rules / 'clients.yaml'}:4:14: clients.acme.contact: not a mail address" in p for p in found
    ), found
    assert any(
        f"{rules / 'invoices.yaml'}:2:13: recognise.subject[0]: Input should be a valid regular expression"
        in p
        for p in found
    ), found


def test_client_ids_must_be_usable_in_commands(tmp_path):
    rules = write_rules(tmp_path / "rules", "clients:\n  ACME Corp:\n    name: A\n    contact: a@a.example\n")
    with pytest.raises(ConfigError) as exc:
        load_rules(rules, Defaults(), IDENTITY)
    assert "clients.yaml:2:3: clients.ACME Corp: client ids are lower-case" in problems(exc)[0]


def test_extraction_patterns_need_their_named_group(tmp_path):
    rules = write_rules(tmp_path / "rules")
    source = (packaged_rules_dir() / "invoices.yaml").read_text()
    (rules / "invoices.yaml").write_text(source.replace("(?P<number>", "(", 1), encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_rules(rules, Defaults(), IDENTITY)
    assert "needs a named group (?P<number>...)" in problems(exc)[0]


def test_a_stage_without_a_template_in_a_clients_language_is_an_error(tmp_path):
    rules = write_rules(tmp_path / "rules")
    escalation = (
        (packaged_rules_dir() / "escalation.yaml").read_text().replace("invoice-reminder-2", "invoice-gentle")
    )
    (rules / "escalation.yaml").write_text(escalation, encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_rules(rules, Defaults(), IDENTITY)
    found = problems(exc)
    assert len(found) == 3  # es, en, nl: the three clients speak all three
    assert all("invoice[1].template: no template" in p and "invoice-gentle.txt.j2" in p for p in found)
    line = escalation.splitlines().index("    template: invoice-gentle") + 1
    assert all(f"escalation.yaml:{line}:15:" in p for p in found)


def test_a_template_with_a_syntax_error_or_an_unknown_variable_names_its_line(tmp_path):
    rules = write_rules(tmp_path / "rules")
    (rules / "templates" / "es").mkdir(parents=True)
    (rules / "templates" / "es" / "invoice-reminder-1.txt.j2").write_text(
        "Hola\n\n{{ client.nombre }}\n", encoding="utf-8"
    )
    (rules / "templates" / "es" / "invoice-reminder-2.txt.j2").write_text(
        "Hola\n{% if %}\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError) as exc:
        load_rules(rules, Defaults(), IDENTITY)
    found = sorted(problems(exc))
    assert len(found) == 2, found
    assert "invoice-reminder-1.txt.j2:3:1: template: 'dict object' has no attribute 'nombre'" in found[0]
    assert "invoice-reminder-2.txt.j2:2:1: template syntax:" in found[1]


def test_a_template_cannot_reach_python_internals(tmp_path):
    rules = write_rules(tmp_path / "rules")
    (rules / "templates" / "en").mkdir(parents=True)
    (rules / "templates" / "en" / "invoice-reminder-1.txt.j2").write_text(
        "{{ client.__class__.__mro__[1].__subclasses__() }}\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError) as exc:
        load_rules(rules, Defaults(), IDENTITY)
    assert "invoice-reminder-1.txt.j2:1:1: template:" in problems(exc)[0]
    assert "unsafe" in problems(exc)[0] or "__class__" in problems(exc)[0]


def test_the_freelancers_own_templates_override_the_shipped_ones(tmp_path):
    rules_dir = write_rules(tmp_path / "rules")
    (rules_dir / "templates" / "en").mkdir(parents=True)
    (rules_dir / "templates" / "en" / "invoice-reminder-1.txt.j2").write_text(
        "Hi {{ client.greeting_name }}!\n", encoding="utf-8"
    )
    rules = load_rules(rules_dir, Defaults(), IDENTITY)
    assert rules.template("en", "invoice-reminder-1").text == "Hi {{ client.greeting_name }}!\n"
    assert "Estoy un poco {{ preocupado }}" in rules.template("es", "invoice-reminder-1").text


def test_a_rules_copy_works_on_its_own(tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(packaged_rules_dir(), copy)
    write_rules(copy)
    assert set(load_rules(copy, Defaults(), IDENTITY).clients) == {"acme", "bright", "tulp"}


def test_load_config_resolves_paths_next_to_the_file(tmp_path):
    path = write_config(tmp_path, "- name: main\n  maildir:\n    path: Mail\n")
    config = load_config(path)
    assert config.state_dir == tmp_path / "state"
    assert config.settings.accounts[0].maildir.path == str(tmp_path / "Mail")
    assert set(config.rules.clients) == {"acme", "bright", "tulp"}


def test_plaintext_is_refused_except_to_loopback():
    base = "identity: {name: x, email: x@x.example}\naccounts:\n  - imap: {host: %s, username: u, password: p, security: plain}\n"
    assert load_settings(base % "127.0.0.1", "c.yaml").accounts[0].imap.effective_port == 143
    with pytest.raises(ConfigError) as exc:
        load_settings(base % "mail.example.com", "c.yaml")
    assert "only allowed to a loopback address" in problems(exc)[0]


def test_a_missing_config_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError) as exc:
        load_config(tmp_path / "nope.yaml")
    assert "cannot read the configuration" in str(exc.value)


def test_the_spanish_voice_is_set_in_identity_and_per_client_and_a_wrong_one_is_pointed_at(tmp_path):
    path = write_config(tmp_path, "- name: main\n  maildir:\n    path: Mail\n")
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace(
            "  timezone: Europe/Madrid\n", "  timezone: Europe/Madrid\n  grammatical_gender: feminine\n"
        )
    )
    clients = tmp_path / "rules" / "clients.yaml"
    clients.write_text(
        clients.read_text().replace("    language: es\n", "    language: es\n    form_of_address: tú\n", 1)
    )
    config = load_config(path)
    assert config.identity.grammatical_gender == "feminine" and config.identity.form_of_address == "usted"
    assert config.rules.clients["acme"].form_of_address == "tú"
    clients.write_text(clients.read_text().replace("form_of_address: tú", "form_of_address: vos"))
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    (problem,) = raised.value.problems
    assert problem.file.endswith("clients.yaml") and problem.line > 0 and "form_of_address" in str(problem)


def test_what_the_freelancer_reads_cites_the_advice_not_seed_numbers(capsys):
    """A freelancer does not know what "seed 002" is: the rules files and the help say the advice itself."""
    import argparse
    import re

    from assistant.cli import build_parser, main

    seed = re.compile(r"\bseeds? 0\d\d", re.I)
    for path in sorted(packaged_rules_dir().glob("*.yaml")):
        assert not seed.search(path.read_text(encoding="utf-8")), path
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    for name in commands:
        with pytest.raises(SystemExit):
            main([name, "--help"])
        assert not seed.search(capsys.readouterr().out), name
