"""A password beyond ASCII (ñ) logs in with AUTHENTICATE PLAIN, and no error shows any of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import cli
from tests.support.dovecot import Dovecot, scratch_dir
from tests.support.mailboxes import ImapWorld
from tests.support.world import write_config

PASSWORD = "contraseña-ñandú"
# A second passdb: the static one of the harness refuses, this one accepts the UTF-8 password.
UTF8_PASSDB = f"passdb {{\n  driver = static\n  args = password={PASSWORD}\n}}\n"


@pytest.fixture(scope="module")
def utf8_dovecot():
    with scratch_dir("fa-dovecot-utf8-") as workdir, Dovecot.start(workdir, settings=UTF8_PASSDB) as server:
        yield server


@pytest.fixture(scope="module")
def no_plain_dovecot():
    """A server that takes only LOGIN: nothing can carry UTF-8 there."""
    settings = UTF8_PASSDB + "auth_mechanisms = login\n"
    with scratch_dir("fa-dovecot-noplain-") as workdir, Dovecot.start(workdir, settings=settings) as server:
        yield server


def _config(server: Dovecot, user: str, directory: Path, password: str) -> Path:
    yaml = ImapWorld(server, user).account_yaml().replace(server.password, f'"{password}"')
    return write_config(directory, yaml)


def _leaks(output: str, password: str) -> list[str]:
    """Pieces of the password in ``output``: any non-ASCII character of it, or a 4-letter run."""
    found = [c for c in set(password) if not c.isascii() and c in output]
    found += [password[i : i + 4] for i in range(len(password) - 3) if password[i : i + 4] in output]
    if "\\xf1" in output or "position" in output:
        found.append("an encoder's message")
    return found


def test_check_and_scan_log_in_with_a_password_beyond_ascii(utf8_dovecot, imap_user, tmp_path, capsys):
    config = _config(utf8_dovecot, imap_user, tmp_path, PASSWORD)
    assert cli.main(["check", "--config", str(config)]) == 0
    out, err = capsys.readouterr()
    assert "connected" in out and "signed in with AUTHENTICATE PLAIN" in out, out + err
    assert cli.main(["scan", "--config", str(config)]) == 0, capsys.readouterr().err
    assert _leaks("".join(capsys.readouterr()), PASSWORD) == []


def test_a_wrong_password_beyond_ascii_is_refused_without_a_trace_of_it(
    utf8_dovecot, imap_user, tmp_path, capsys
):
    wrong = "contraseñX-ñandú"
    config = _config(utf8_dovecot, imap_user, tmp_path, wrong)
    assert cli.main(["--debug", "check", "--config", str(config)]) == 2
    out, err = capsys.readouterr()
    assert "the server refused the user name or password" in err
    assert "internal error" not in err
    assert _leaks(out + err, wrong) == []


def test_a_server_without_plain_says_so_and_shows_nothing_of_the_password(
    no_plain_dovecot, imap_user, tmp_path, capsys
):
    config = _config(no_plain_dovecot, imap_user, tmp_path, PASSWORD)
    assert cli.main(["--debug", "check", "--config", str(config)]) == 2
    out, err = capsys.readouterr()
    assert "non-ASCII characters, which only AUTHENTICATE PLAIN can carry" in err, err
    assert "internal error" not in err
    assert _leaks(out + err, PASSWORD) == []
