"""Getting paid (issue 18): how to pay in every reminder, the statutory claim in the final
notice, the accounts-payable address in Cc, and `check` on the new settings.

The draft tests run on a real Dovecot and on a Maildir (the `world` fixture).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from assistant.cli import main
from tests.support.freelancer import Freelancer, send_invoice
from tests.support.world import CLIENTS_YAML

IBAN_ES = "ES91 2100 0418 4502 0005 1332"  # the Spanish IBAN example of the banks' own guides
PAYMENT = """\
payment:
  iban: es9121000418450200051332
  bic: CAIXESBBXXX
  link: https://pay.example/lucia/{number}
"""


# The test's own table: the shipped one grows as the banks move their rates.
RATES = """\
checked_on: 2026-06-30
ecb_main_refinancing:
  - {since: 2025-06-11, rate: 2.15}
boe_bank_rate:
  - {since: 2025-08-07, rate: 4.00}
"""


def body(draft) -> str:
    return draft.get_body(("plain",)).get_content().replace("\r\n", "\n")


def freelancer(world, tmp_path, clients: str = CLIENTS_YAML, identity: str = PAYMENT) -> Freelancer:
    rules = {"clients.yaml": clients, "rates.yaml": RATES}
    return Freelancer(world, tmp_path / "config", rules=rules, identity_extra=identity)


def test_the_first_reminder_says_how_to_pay(world, tmp_path):
    me = freelancer(world, tmp_path)
    send_invoice(world)
    me.run(date(2026, 3, 17))
    ((_, draft),) = me.drafts()
    text = body(draft)
    assert "Datos para el pago:\n" in text
    assert f"IBAN: {IBAN_ES}\nBIC: CAIXESBBXXX\nTitular: Lucía Romero\n" in text
    assert "Pago en línea: https://pay.example/lucia/2026-001\n" in text
    assert "Concepto: 2026-001\n" in text
    assert text.index("Datos para el pago") < text.index("Un saludo,")


def test_a_client_pays_into_its_own_account_with_its_own_reference(world, tmp_path):
    clients = CLIENTS_YAML.replace(
        "    handover:\n",
        "    payment:\n"
        "      iban: GB82 WEST 1234 5698 7654 32\n"
        "      holder: Lucía Romero Ltd\n"
        "      reference: PO-77 / {number}\n"
        "    handover:\n",
        1,
    )
    me = freelancer(world, tmp_path, clients)
    send_invoice(world)
    me.run(date(2026, 3, 17))
    ((_, draft),) = me.drafts()
    text = body(draft)
    # The client's bank account replaces the freelancer's whole, BIC included; the link stays.
    assert "IBAN: GB82 WEST 1234 5698 7654 32\nTitular: Lucía Romero Ltd\n" in text
    assert "CAIXESBBXXX" not in text
    assert "Pago en línea: https://pay.example/lucia/2026-001\n" in text
    assert "Concepto: PO-77 / 2026-001\n" in text


def test_without_payment_details_the_reminder_has_no_payment_block(world, tmp_path):
    me = freelancer(world, tmp_path, identity="")
    send_invoice(world)
    me.run(date(2026, 3, 17))
    ((_, draft),) = me.drafts()
    assert "Datos para el pago" not in body(draft)


def final_notice(me: Freelancer, world) -> str:
    """Run the ladder to its final notice, sending each reminder like a mail client would."""
    send_invoice(world)
    me.run(date(2026, 3, 17))
    me.send_drafts(date(2026, 3, 17))
    me.run(date(2026, 3, 23))
    me.send_drafts(date(2026, 3, 23))
    report = me.run(date(2026, 4, 6))
    assert [d.key for d in report.drafted] == ["invoice/acme/2026-001/final-notice"]
    ((_, draft),) = me.drafts()
    return body(draft)


def test_the_final_notice_computes_the_statutory_interest_and_compensation(world, tmp_path):
    text = final_notice(freelancer(world, tmp_path), world)
    # 1,210 EUR from 17 March to 6 April 2026: 21 days at the ECB rate of 31 December 2025
    # (2.15 %) + 8 points: 1210 x 10.15 % x 21/365 = 7.066.
    assert (
        "A día de hoy, 6 de abril de 2026, los intereses de demora según la Ley 3/2004 ascienden a "
        "7,07\xa0€: 21 días sobre 1.210,00\xa0€, al 10,15 % anual del 17 de marzo de 2026 al "
        "6 de abril de 2026. La indemnización por costes de cobro es de 40,00\xa0€.\n"
        "Total adeudado a día de hoy: 1.257,07\xa0€.\n"
    ) in text
    assert f"IBAN: {IBAN_ES}" in text


def test_a_consumer_gets_no_interest_and_no_compensation(world, tmp_path):
    clients = CLIENTS_YAML.replace("    country: ES\n", "    country: ES\n    consumer: true\n", 1)
    text = final_notice(freelancer(world, tmp_path, clients), world)
    assert "intereses" not in text and "indemnización" not in text and "Ley 3/2004" not in text
    assert "me veré obligado a reclamarlo por otras vías" in text


def test_the_accounts_payable_address_is_in_cc_and_its_mail_is_the_clients(world, tmp_path):
    clients = CLIENTS_YAML.replace(
        "    handover:\n", "    billing: [Cuentas a pagar <ap@acme-group.example>]\n    handover:\n", 1
    )
    me = freelancer(world, tmp_path, clients)
    assert me.config.rules.client_for_email("ap@acme-group.example").id == "acme"
    send_invoice(world)
    me.run(date(2026, 3, 17))
    ((_, draft),) = me.drafts()
    assert draft["To"] == "Marta López <marta@acme.example>"
    assert draft["Cc"] == "Cuentas a pagar <ap@acme-group.example>"


# --------------------------------------------------------------------------- check

CONFIG = """\
identity:
  name: Lucía Romero
  email: lucia@freelancer.example
  timezone: Europe/Madrid
  payment:
    iban: {iban}
    bic: {bic}
    link: {link}
accounts:
  - name: main
    maildir:
      path: Mail
state_dir: state
rules_dir: rules
"""
GOOD = {"iban": "ES91 2100 0418 4502 0005 1332", "bic": "CAIXESBBXXX", "link": "https://pay.example"}
ONE_CLIENT = """\
clients:
  acme:
    name: ACME
    contact: Marta <marta@acme.example>
    language: es
"""


def check(tmp_path: Path, config: str, clients: str = ONE_CLIENT) -> int:
    (tmp_path / "rules").mkdir(exist_ok=True)
    (tmp_path / "Mail" / "cur").mkdir(parents=True, exist_ok=True)
    (tmp_path / "config.yaml").write_text(config, encoding="utf-8")
    (tmp_path / "rules" / "clients.yaml").write_text(clients, encoding="utf-8")
    return main(["check", "--offline", "--config", str(tmp_path / "config.yaml")])


@pytest.mark.parametrize(
    ("field", "value", "line", "says"),
    [
        # Spain's national check digits (CCC) are wrong although the IBAN's own are right.
        ("iban", "ES4121000418990200051332", 6, "identity.payment.iban: not a valid IBAN"),
        ("iban", "ES91 2100 0418 4502 0005 1331", 6, "not a valid IBAN"),
        ("bic", "CAIX", 7, "identity.payment.bic: not a valid BIC"),
        ("link", "pay.example/lucia", 8, "identity.payment.link: link must be a web address"),
        ("link", "https://pay.example/{invoice}", 8, "{invoice} is not known"),
    ],
)
def test_check_points_at_a_wrong_payment_detail_in_config_yaml(tmp_path, capsys, field, value, line, says):
    code = check(tmp_path, CONFIG.format(**{**GOOD, field: value}))
    err = capsys.readouterr().err
    assert code == 2, err
    (problem,) = [p.strip() for p in err.splitlines()[1:]]
    assert re.match(rf"{re.escape(str(tmp_path / 'config.yaml'))}:{line}:\d+: ", problem), problem
    assert says in problem, problem


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        ("    payment:\n      iban: NL91ABNA0417164301\n", "clients.acme.payment.iban: not a valid IBAN"),
        ("    billing: [accounts at acme]\n", "clients.acme.billing[0]: not a mail address"),
        ("    ladder: gentle\n", "clients.acme.ladder: no ladder named 'gentle'"),
        ("    min_amount: -5\n", "clients.acme.min_amount: min_amount cannot be negative"),
        ("    before_due: 0\n", "clients.acme.before_due: before_due is true, false or a number"),
        ("    consumer: maybe\n", "clients.acme.consumer"),
    ],
)
def test_check_points_at_a_wrong_getting_paid_setting_in_clients_yaml(tmp_path, capsys, extra, says):
    code = check(tmp_path, CONFIG.format(**GOOD), ONE_CLIENT + extra)
    err = capsys.readouterr().err
    assert code == 2, err
    (problem,) = [p.strip() for p in err.splitlines()[1:]]
    line = 5 + len(extra.splitlines())  # the last line added: the value that is wrong
    assert re.match(rf"{re.escape(str(tmp_path / 'rules' / 'clients.yaml'))}:{line}:\d+: ", problem), problem
    assert says in problem, problem


def test_check_accepts_sound_payment_details_and_says_how_reminders_get_paid(tmp_path, capsys):
    clients = ONE_CLIENT + "    payment: {link: 'https://pay.example/acme'}\n"
    code = check(tmp_path, CONFIG.format(**GOOD), clients)
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "  how to pay: IBAN ES91…1332, payment link (own details: acme)\n" in out
    assert "  late-payment rates: checked on " in out


def test_check_says_when_reminders_do_not_say_how_to_pay(tmp_path, capsys):
    config = re.sub(r"  payment:\n(    .*\n)+", "", CONFIG.format(**GOOD))
    assert "payment" not in config
    assert check(tmp_path, config) == 0
    assert "how to pay: not set: reminders do not say how to pay" in capsys.readouterr().out


def test_the_readme_payment_example_is_configuration_the_program_accepts(tmp_path):
    from assistant.config import load_config
    from tests.support.world import write_config

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Getting paid", 1)[1]
    block = re.findall(r"```yaml\n(.*?)```", section, re.S)[0]
    payment = "payment:" + block.split("  payment:", 1)[1]
    path = write_config(tmp_path, "- name: main\n  maildir:\n    path: Maildir\n", identity_extra=re.sub(
        r"^  ", "", payment, flags=re.M))  # fmt: skip
    details = load_config(path).identity.payment
    assert details.iban == "GB82WEST12345698765432" and details.bic == "NWBKGB2L"
    assert details.link == "https://pay.example/lucia/{number}"


def test_the_example_configuration_shows_payment_details_the_program_accepts():
    from assistant.config import load_settings

    example = Path(__file__).resolve().parent.parent / "config.example.yaml"
    settings = load_settings(example.read_text(encoding="utf-8"), str(example))
    assert settings.identity.payment.iban == "ES9121000418450200051332"  # kept compact
    assert settings.identity.payment.bic == "CAIXESBBXXX"


def test_a_language_of_your_own_needs_the_note_before_the_due_date_only_once_it_is_on(tmp_path, capsys):
    from assistant.config import packaged_rules_dir

    german = tmp_path / "rules" / "templates" / "de"
    german.mkdir(parents=True)
    for template in (packaged_rules_dir() / "templates" / "es").glob("*.txt.j2"):
        if template.name != "invoice-before-due.txt.j2":
            (german / template.name).write_text(template.read_text(encoding="utf-8"), encoding="utf-8")
    client = ONE_CLIENT.replace("language: es", "language: de\n    country: DE")
    assert check(tmp_path, CONFIG.format(**GOOD), client) == 0, capsys.readouterr().err
    assert check(tmp_path, CONFIG.format(**GOOD), client + "    before_due: true\n") == 2
    assert "no template de/invoice-before-due.txt.j2 for the de clients" in capsys.readouterr().err
