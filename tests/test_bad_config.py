"""A catalogue of broken configuration and rules files: each gives one clear message with
file:line:column and exit code 2, never a traceback.

The catalogue size is reported in README "Reliability" (broken configs caught).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.config import packaged_rules_dir
from tests.support.world import CLIENTS_YAML

CONFIG = """\
identity:
  name: Lucía Romero
  email: lucia@freelancer.example
  timezone: Europe/Madrid
accounts:
  - name: main
    maildir:
      path: Mail
state_dir: state
rules_dir: rules
"""
ONE_CLIENT = """\
clients:
  acme:
    name: ACME
    contact: Marta <marta@acme.example>
    language: es
"""


@dataclass(frozen=True)
class Broken:
    name: str
    file: str  # config.yaml, or a path under rules/
    text: str  # the file's whole broken text
    line: int  # where the message must point
    says: str  # a phrase the message must contain


def shipped(name: str) -> str:
    return (packaged_rules_dir() / name).read_text(encoding="utf-8")


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def replaced(name: str, old: str, new: str) -> tuple[str, int]:
    text = shipped(name).replace(old, new, 1)
    return text, line_of(text, new.splitlines()[0])


_bad_regex, _bad_regex_line = replaced("invoices.yaml", r"- '(?i)\bfactura\b'", "- '(?i)\\bfactura('")
_no_group, _no_group_line = replaced(
    "invoices.yaml", "(?P<number>[A-Z]{0,6}[-/]?\\d[\\w/-]*)'", "([A-Z]{0,6}[-/]?\\d[\\w/-]*)'"
)
_no_days, _no_days_line = replaced("invoices.yaml", "net\\s*(?P<days>", "net\\s*(?P<count>")
_empty_label, _empty_label_line = replaced("invoices.yaml", "    - Factuurnummer\n", "    - ''\n")
_OVERRIDES = "overrides: []"


def overridden(text: str, line: int) -> tuple[str, int]:
    """invoices.yaml with ``text`` for its overrides; the ``line``-th line of it (1-based)."""
    source = shipped("invoices.yaml")
    start = source.rindex(_OVERRIDES)
    return source[:start] + text + source[start + len(_OVERRIDES) :], source[:start].count("\n") + line


_override_twice, _override_twice_line = overridden(
    "overrides:\n  - read_number: V-12\n    message_id: '<a@b>'\n    number: NOV-12\n", 3
)
_override_nothing, _override_nothing_line = overridden("overrides:\n  - read_number: V-12\n", 2)
_override_date, _override_date_line = overridden(
    "overrides:\n  - read_number: V-12\n    due_date: 30/04/2026\n", 3
)
_order, _order_line = replaced("escalation.yaml", "after_days: 7\n", "after_days: 0\n")
_stage_name, _stage_name_line = replaced("escalation.yaml", "name: second-reminder", "name: Second Reminder")
_no_template, _no_template_line = replaced(
    "escalation.yaml", "template: invoice-reminder-2", "template: gentle-nudge"
)
_send, _send_line = replaced("escalation.yaml", "    action: draft\n", "    action: send\n")
_bad_action, _bad_action_line = replaced("escalation.yaml", "    action: draft\n", "    action: shout\n")
_promise, _promise_line = replaced("signals.yaml", "(?P<when>[^.\\n!?]{0,40})'", "([^.\\n!?]{0,40})'")
_notice, _notice_line = replaced("termination.yaml", "notice_days: 14", "notice_days: -3")
_trigger, _trigger_line = replaced(
    "termination.yaml", "    count: 3\n    days: 90", "    count: 0\n    days: 90"
)
_senders, _senders_line = replaced("payments.yaml", "senders: [stripe.com]", "senders: []")
_catastrophic = shipped("signals.yaml").replace("\npaid:\n", "\npaid:\n  - '(x+x+)+y'\n", 1)
_catastrophic_line = line_of(_catastrophic, "(x+x+)+y")
_check_in_key, _check_in_key_line = replaced(
    "escalation.yaml", "  after_business_days: 5", "  after_busines_days: 5"
)
_check_in_days, _check_in_days_line = replaced(
    "escalation.yaml", "  active_within_days: 30", "  active_within_days: 0"
)
_bytes, _bytes_line = replaced(
    "deliverables.yaml", "min_attachment_bytes: 0", "min_attachment_bytes: big"
)

CATALOGUE = [
    Broken(
        "wrong type",
        "config.yaml",
        CONFIG.replace("    maildir:", "    lookback_days: many\n    maildir:"),
        7,
        "valid integer",
    ),
    Broken(
        "unknown key",
        "config.yaml",
        CONFIG.replace("  timezone:", "  nmae: x\n  timezone:"),
        4,
        "unknown key (did you mean 'name'?)",
    ),
    Broken(
        "duplicate key",
        "config.yaml",
        CONFIG + "state_dir: other\n",
        11,
        "duplicate key (first defined on line 9)",
    ),
    Broken("YAML syntax", "config.yaml", CONFIG.replace("path: Mail", "path: [Mail"), 9, "YAML:"),
    Broken("tab indentation", "config.yaml", CONFIG.replace("  name: Lucía", "\tname: Lucía"), 2, "YAML:"),
    Broken(
        "missing email",
        "config.yaml",
        CONFIG.replace("  email: lucia@freelancer.example\n", ""),
        2,
        "required key is missing",
    ),
    Broken(
        "not an address",
        "config.yaml",
        CONFIG.replace("lucia@freelancer.example", "lucia at home"),
        3,
        "not a mail address",
    ),
    Broken(
        "unknown time zone",
        "config.yaml",
        CONFIG.replace("Europe/Madrid", "Europe/Atlantis"),
        4,
        "unknown time zone",
    ),
    Broken(
        "imap and maildir",
        "config.yaml",
        CONFIG.replace("    maildir:", "    imap: {host: h, username: u, password: p}\n    maildir:"),
        6,
        "exactly one of imap: or maildir:",
    ),
    Broken(
        "plaintext to a remote host",
        "config.yaml",
        CONFIG.replace(
            "    maildir:\n      path: Mail",
            "    imap: {host: mail.example.com, username: u, password: p, security: plain}",
        ),
        7,
        "only allowed to a loopback address",
    ),
    Broken(
        "no password source",
        "config.yaml",
        CONFIG.replace("    maildir:\n      path: Mail", "    imap: {host: h, username: u}"),
        7,
        "set exactly one of password",
    ),
    Broken(
        "a filed folder listed twice",
        "config.yaml",
        CONFIG.replace(
            "      path: Mail",
            "      path: Mail\n      folders:\n        filed:\n          - Archive\n          - archive",
        ),
        12,
        "'archive' is listed twice (as entry 1)",
    ),
    Broken(
        "an empty filed folder",
        "config.yaml",
        CONFIG.replace("      path: Mail", "      path: Mail\n      folders: {filed: [Archive, '']}"),
        9,
        "a folder name cannot be empty",
    ),
    Broken(
        "bad digest time",
        "config.yaml",
        CONFIG + "schedule:\n  digest: '8.30'\n",
        12,
        "digest must be a time as HH:MM",
    ),
    Broken(
        "client id",
        "rules/clients.yaml",
        ONE_CLIENT.replace("  acme:", "  ACME Corp:"),
        2,
        "client ids are lower-case",
    ),
    Broken(
        "client language",
        "rules/clients.yaml",
        ONE_CLIENT.replace("language: es", "language: French"),
        5,
        "language 'French' is not an ISO 639 code like es, en, nl or de",
    ),
    Broken(
        "client language without a locale in its country",
        "rules/clients.yaml",
        ONE_CLIENT.replace("language: es", "language: fr"),
        5,
        "unknown locale 'fr_ES'",
    ),
    Broken(
        "client contact",
        "rules/clients.yaml",
        ONE_CLIENT.replace("Marta <marta@acme.example>", "Marta"),
        4,
        "not a mail address",
    ),
    Broken("client locale", "rules/clients.yaml", ONE_CLIENT + "    locale: xx_YY\n", 6, "unknown locale"),
    # Issue 16: a lenient parser let each of these redirect or copy every draft to the client.
    Broken(
        "contact with a line break and a Bcc",
        "rules/clients.yaml",
        ONE_CLIENT.replace(
            "Marta <marta@acme.example>", '"Marta <marta@acme.example>\\r\\nBcc: spy@evil.example"'
        ),
        4,
        "cannot contain a line break",
    ),
    Broken(
        "contact that is an address named by an address",
        "rules/clients.yaml",
        ONE_CLIENT.replace("Marta <marta@acme.example>", "marta@acme.example <boss@evil.example>"),
        4,
        "is an address too: one address per field",
    ),
    Broken(
        "two contacts in one field",
        "rules/clients.yaml",
        ONE_CLIENT.replace("Marta <marta@acme.example>", "marta@acme.example, boss@acme.example"),
        4,
        "one address per field",
    ),
    Broken(
        "a comma in an unquoted contact name",
        "rules/clients.yaml",
        ONE_CLIENT.replace("Marta <marta@acme.example>", "López, Marta <marta@acme.example>"),
        4,
        'needs quotes: "Surname, Name" <address>',
    ),
    Broken(
        "a named address in the client's address list",
        "rules/clients.yaml",
        ONE_CLIENT + "    addresses: [billing@acme.example, Boss <boss@acme.example>]\n",
        6,
        "a bare address is expected here",
    ),
    Broken(
        "two addresses as the identity",
        "config.yaml",
        CONFIG.replace("email: lucia@freelancer.example", "email: lucia@freelancer.example, me@evil.example"),
        3,
        "one address per field",
    ),
    Broken(
        "a line break in the identity's name",
        "config.yaml",
        CONFIG.replace("name: Lucía Romero", 'name: "Lucía\\nBcc: spy@evil.example"'),
        2,
        "cannot contain a line break",
    ),
    Broken(
        "a payment sender holding two domains",
        "rules/payments.yaml",
        "notifications:\n  - name: PayPal\n    senders: [paypal.com stripe.com]\n",
        3,
        "a domain like example.com is expected",
    ),
    Broken(
        "a line break in the IMAP user name",
        "config.yaml",
        CONFIG.replace(
            "    maildir:\n      path: Mail",
            '    imap: {host: h.example, username: "u\\r\\nA1 DELETE INBOX", password: p}',
        ),
        7,
        "username cannot contain a line break",
    ),
    Broken(
        "a paid keyword with a space",
        "rules/invoices.yaml",
        shipped("invoices.yaml").replace('paid_keyword: "$Paid"', 'paid_keyword: "Paid invoice"'),
        line_of(shipped("invoices.yaml"), "paid_keyword:"),
        "paid_keyword is one IMAP keyword",
    ),
    Broken("bad regex", "rules/invoices.yaml", _bad_regex, _bad_regex_line, "valid regular expression"),
    Broken(
        "extraction group",
        "rules/invoices.yaml",
        _no_group,
        _no_group_line,
        "needs a named group (?P<number>...)",
    ),
    Broken("terms without days", "rules/invoices.yaml", _no_days, _no_days_line, "(?P<days>...)"),
    Broken("empty label", "rules/invoices.yaml", _empty_label, _empty_label_line, "a label cannot be empty"),
    Broken(
        "override names its invoice twice",
        "rules/invoices.yaml",
        _override_twice,
        _override_twice_line,
        "by message_id or by read_number",
    ),
    Broken(
        "override sets nothing",
        "rules/invoices.yaml",
        _override_nothing,
        _override_nothing_line,
        "needs something to set",
    ),
    Broken("override date", "rules/invoices.yaml", _override_date, _override_date_line, "valid date"),
    Broken("stages out of order", "rules/escalation.yaml", _order, _order_line, "after_days ascending"),
    Broken(
        "stage name", "rules/escalation.yaml", _stage_name, _stage_name_line, "stage names are lower-case"
    ),
    Broken(
        "unknown action",
        "rules/escalation.yaml",
        _bad_action,
        _bad_action_line,
        "Input should be 'draft', 'send' or 'notify'",
    ),
    Broken(
        "missing client language template",
        "rules/escalation.yaml",
        _no_template,
        _no_template_line,
        "no template es/gentle-nudge.txt.j2",
    ),
    Broken("send without smtp", "rules/escalation.yaml", _send, _send_line, "has no smtp: section"),
    Broken(
        "check-in key typo",
        "rules/escalation.yaml",
        _check_in_key,
        _check_in_key_line,
        "unknown key (did you mean 'after_business_days'?)",
    ),
    Broken(
        "check-in window", "rules/escalation.yaml", _check_in_days, _check_in_days_line, "must be at least 1"
    ),
    Broken(
        "client check-in not a boolean or days",
        "rules/clients.yaml",
        ONE_CLIENT + "    check_in: weekly\n",
        6,
        "Input should be a valid boolean or a valid integer (got 'weekly')",
    ),
    Broken(
        "client check-in of zero days",
        "rules/clients.yaml",
        ONE_CLIENT + "    check_in: 0\n",
        6,
        "check_in is true, false or a number of business days",
    ),
    Broken(
        "promise without its day",
        "rules/signals.yaml",
        _promise,
        _promise_line,
        "needs a named group (?P<when>...)",
    ),
    Broken("negative notice", "rules/termination.yaml", _notice, _notice_line, "cannot be negative"),
    Broken(
        "trigger count",
        "rules/termination.yaml",
        _trigger,
        _trigger_line,
        "count and days must be at least 1",
    ),
    Broken("notifier without senders", "rules/payments.yaml", _senders, _senders_line, "at least one sender"),
    Broken("wrong type in rules", "rules/deliverables.yaml", _bytes, _bytes_line, "valid integer"),
    Broken(
        "undefined template variable",
        "rules/templates/es/invoice-reminder-1.txt.j2",
        "Hola {{ cliente.nombre }}\n",
        1,
        "'cliente' is undefined",
    ),
    Broken(
        "undefined variable in the check-in template",
        "rules/templates/es/check-in.txt.j2",
        "Hola {{ client.greeting_name }}:\n\n{{ trabajo.asunto }}\n",
        3,
        "'trabajo' is undefined",
    ),
    Broken(
        "a template that builds a huge text",
        "rules/templates/es/invoice-reminder-2.txt.j2",
        'Hola\n{{ "x" * 300000000 }}\n',
        2,
        "the template builds a text of 300000000 characters; the limit is 1000000",
    ),
    Broken(
        "a catastrophic pattern",
        "rules/signals.yaml",
        _catastrophic,
        _catastrophic_line,
        "catastrophic backtracking",
    ),
    Broken(
        "template syntax",
        "rules/templates/es/invoice-reminder-2.txt.j2",
        "Hola\n{% if invoice.amount %}\n",
        2,
        "template syntax",
    ),
    Broken(
        "sandbox escape",
        "rules/templates/es/invoice-final-notice.txt.j2",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}\n",
        1,
        "template:",
    ),
    Broken("not UTF-8", "rules/clients.yaml", "clients: {}\n# caf\xe9\n", 0, "not UTF-8"),
]


def write(tmp_path: Path, broken: Broken) -> Path:
    (tmp_path / "rules").mkdir()
    (tmp_path / "Mail" / "cur").mkdir(parents=True)
    (tmp_path / "config.yaml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "rules" / "clients.yaml").write_text(ONE_CLIENT, encoding="utf-8")
    target = tmp_path / broken.file
    target.parent.mkdir(parents=True, exist_ok=True)
    if broken.name == "not UTF-8":
        target.write_bytes(broken.text.encode("latin-1"))
    else:
        target.write_text(broken.text, encoding="utf-8")
    return target


def test_the_catalogue_is_large_enough():
    assert len(CATALOGUE) >= 20
    assert CLIENTS_YAML  # the scenario tests' clients are valid (loaded elsewhere)


@pytest.mark.parametrize("broken", CATALOGUE, ids=lambda b: b.name)
def test_a_broken_file_gets_one_clear_located_message_and_exit_code_2(broken, tmp_path, capsys):
    target = write(tmp_path, broken)
    code = main(["check", "--offline", "--config", str(tmp_path / "config.yaml")])
    out, err = capsys.readouterr()
    assert code == 2, err
    assert "Traceback" not in err and out == ""
    problems = [line.strip() for line in err.splitlines()[1:]]
    assert len(problems) == 1, err
    (problem,) = problems
    where = f"{target}:{broken.line}:" if broken.line else f"{target}:"
    assert problem.startswith(where), (problem, where)
    if broken.line:
        assert re.match(rf"{re.escape(str(target))}:{broken.line}:\d+: ", problem), problem
    assert broken.says in problem, problem
