"""The pure core stays pure: domain/ reaches no network, disk, clock or adapter."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parent.parent / "assistant" / "domain"

# Standard-library modules that do I/O, touch the clock or run things.
FORBIDDEN = {
    "asyncio",
    "ftplib",
    "http",
    "imaplib",
    "io",
    "logging",
    "mailbox",
    "os",
    "pathlib",
    "poplib",
    "random",
    "secrets",
    "select",
    "selectors",
    "shutil",
    "smtplib",
    "socket",
    "sqlite3",
    "ssl",
    "subprocess",
    "tempfile",
    "threading",
    "time",
    "urllib.request",
    "uuid",
}
# Third-party packages allowed in one module each (ARCHITECTURE.md, rule of dependency).
ALLOWED_THIRD_PARTY = {
    "compose.py": {"jinja2", "babel"},
    "calendar.py": {"holidays"},
    "patterns.py": {"regex"},  # rule patterns with a time limit (domain/patterns.py)
}
CLOCK_CALLS = {"now", "today", "utcnow", "time", "monotonic"}


def imports(tree: ast.AST) -> list[tuple[str, int]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: must stay inside domain/
                if node.level > 1:
                    found.append(("assistant." + (node.module or ""), node.lineno))
                continue
            found.append((node.module or "", node.lineno))
    return found


@pytest.mark.parametrize("module", sorted(p.name for p in DOMAIN.glob("*.py")))
def test_a_domain_module_imports_nothing_that_does_io(module):
    tree = ast.parse((DOMAIN / module).read_text(encoding="utf-8"))
    for name, line in imports(tree):
        top = name.split(".")[0]
        where = f"domain/{module}:{line} imports {name}"
        assert name not in FORBIDDEN and top not in FORBIDDEN, where
        assert not name.startswith("assistant"), where + " (domain/ must not reach adapters or the engine)"
        if top not in sys.stdlib_module_names and top != "__future__":
            assert top in ALLOWED_THIRD_PARTY.get(module, set()), where + " (third-party)"


@pytest.mark.parametrize("module", sorted(p.name for p in DOMAIN.glob("*.py")))
def test_a_domain_module_never_reads_the_clock(module):
    tree = ast.parse((DOMAIN / module).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in CLOCK_CALLS
        ):
            owner = ast.unparse(node.func.value)
            assert owner not in {"datetime", "date", "time", "dt"}, (
                f"domain/{module}:{node.lineno} calls {owner}.{node.func.attr}()"
            )


def test_the_checker_would_catch_a_violation(tmp_path):
    bad = ast.parse(
        "import socket\nfrom ..adapters import imap\nfrom datetime import datetime\nx = datetime.now()\n"
    )
    names = [n for n, _ in imports(bad)]
    assert "socket" in names and "assistant.adapters" in names
