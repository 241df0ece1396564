"""What the README shows as configuration is configuration the program accepts."""

from __future__ import annotations

import re
from pathlib import Path

from assistant.config import load_config
from tests.support.world import write_config

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_two_accounts_recipe_loads_as_two_accounts(tmp_path):
    text = README.read_text(encoding="utf-8")
    recipe = text.split("**Run for two accounts.**", 1)[1]
    (block,) = re.findall(r"```yaml\n(.*?)```", recipe, re.S)[:1]
    accounts = block.split("accounts:\n", 1)[1]
    path = write_config(tmp_path, re.sub(r"^  ", "", accounts, flags=re.M))
    config = load_config(path)
    assert [a.name for a in config.settings.accounts] == ["work", "personal"]
    assert config.account("personal").imap.auth == "xoauth2"


def test_the_thunderbird_recipe_names_a_setting_that_exists(tmp_path):
    path = write_config(tmp_path, "- name: main\n  maildir:\n    path: Maildir\n")
    invoices = (Path(__file__).resolve().parent.parent / "rules" / "invoices.yaml").read_text()
    assert 'paid_keyword: "$Paid"' in invoices
    (tmp_path / "rules" / "invoices.yaml").write_text(invoices.replace('"$Paid"', "paid"))
    assert load_config(path).rules.invoices.paid_keyword == "paid"
