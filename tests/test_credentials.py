"""Where passwords and tokens come from, against the real Dovecot; none of them ever printed."""

from __future__ import annotations

import json
import os
import stat
import sys

import pytest

from assistant.adapters.credentials import password_for, run_secret_command, secret_for
from assistant.cli import main
from assistant.config import load_settings
from assistant.errors import CredentialError
from tests.support.mailboxes import ImapWorld
from tests.support.world import write_config


def account_with(world: ImapWorld, secret_lines: str) -> str:
    """The test account's YAML with its password line replaced by ``secret_lines``."""
    lines = [line for line in world.account_yaml().splitlines() if "password:" not in line]
    return "\n".join(lines) + "\n" + "".join(f"    {line}\n" for line in secret_lines.splitlines())


def check(capsys, path) -> tuple[int, str]:
    code = main(["--debug", "check", "--config", str(path)])
    out, err = capsys.readouterr()
    return code, out + err


def test_a_password_command_is_run_without_a_shell(dovecot, imap_user, tmp_path, capsys):
    world = ImapWorld(dovecot, imap_user)
    script = tmp_path / "print-password"
    script.write_text(f"#!/bin/sh\necho '{dovecot.password}'\n")
    script.chmod(0o700)
    path = write_config(tmp_path, account_with(world, f"password_command: ['{script}']"))
    code, output = check(capsys, path)
    assert code == 0 and "connected" in output
    assert dovecot.password not in output
    # Shell syntax in argv is text, not a command: nothing is run but echo itself.
    assert (
        run_secret_command(["/bin/echo", "$HOME;touch", str(tmp_path / "pwned")], "test")
        == f"$HOME;touch {tmp_path / 'pwned'}"
    )
    assert not (tmp_path / "pwned").exists()


def test_an_environment_variable_and_a_systemd_credential(dovecot, imap_user, tmp_path, capsys, monkeypatch):
    world = ImapWorld(dovecot, imap_user)
    monkeypatch.setenv("FA_TEST_PASSWORD", dovecot.password)
    code, output = check(
        capsys, write_config(tmp_path / "env", account_with(world, "password_env: FA_TEST_PASSWORD"))
    )
    assert code == 0 and dovecot.password not in output
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "imap-password").write_text(dovecot.password + "\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(credentials))
    code, output = check(
        capsys, write_config(tmp_path / "cred", account_with(world, "password_credential: imap-password"))
    )
    assert code == 0 and dovecot.password not in output


def test_xoauth2_logs_in_with_the_token_a_command_prints(dovecot, imap_user, tmp_path, capsys):
    world = ImapWorld(dovecot, imap_user)
    # Dovecot's XOAUTH2 checks the token against its passdb: here, the suite's password.
    token = json.dumps([sys.executable, "-c", f"print({dovecot.password!r})"])
    path = write_config(tmp_path, account_with(world, f"auth: xoauth2\ntoken_command: {token}"))
    code, output = check(capsys, path)
    assert code == 0 and "connected" in output and dovecot.password not in output, output


def test_a_failing_token_command_is_a_clear_error_that_shows_nothing_it_printed(
    dovecot, imap_user, tmp_path, capsys
):
    world = ImapWorld(dovecot, imap_user)
    program = "import sys; print('tok-leak-123'); print('err-leak-456', file=sys.stderr); sys.exit(3)"
    token = json.dumps([sys.executable, "-c", program])
    path = write_config(tmp_path, account_with(world, f"auth: xoauth2\ntoken_command: {token}"))
    code, output = check(capsys, path)
    assert code == 2
    assert "token_command:" in output and "exited with status 3" in output
    assert "tok-leak-123" not in output and "err-leak-456" not in output


def test_missing_sources_name_what_is_missing(monkeypatch):
    settings = load_settings(
        "identity: {name: x, email: x@x.example}\naccounts:\n  - imap: {host: h, username: u, password_env: FA_NOPE}\n",
        "c.yaml",
    )
    monkeypatch.delenv("FA_NOPE", raising=False)
    with pytest.raises(CredentialError, match="environment variable FA_NOPE is not set"):
        password_for(settings.accounts[0].imap)
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    settings = load_settings(
        "identity: {name: x, email: x@x.example}\naccounts:\n  - imap: {host: h, username: u, password_credential: pw}\n",
        "c.yaml",
    )
    with pytest.raises(CredentialError, match=r"\$CREDENTIALS_DIRECTORY is not set"):
        secret_for(settings.accounts[0].imap)
    with pytest.raises(CredentialError, match="command not found: /nonexistent/pass"):
        run_secret_command(["/nonexistent/pass"], "password_command")


def test_xoauth2_needs_a_token_command_and_no_password():
    base = "identity: {name: x, email: x@x.example}\naccounts:\n  - imap: {host: h, username: u, auth: xoauth2%s}\n"
    from assistant.errors import ConfigError

    with pytest.raises(ConfigError, match="needs a token_command"):
        load_settings(base % "", "c.yaml")
    with pytest.raises(ConfigError, match="uses token_command, not a password"):
        load_settings(base % ", token_command: [t], password: p", "c.yaml")


def test_a_config_file_with_a_password_readable_by_others_is_warned_about(
    dovecot, imap_user, tmp_path, capsys
):
    path = write_config(tmp_path, ImapWorld(dovecot, imap_user).account_yaml())
    os.chmod(path, 0o644)
    code, output = check(capsys, path)
    assert code == 0
    assert "holds an IMAP password and is readable by others (mode 644); run: chmod 600" in output
    assert dovecot.password not in output
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
    code, output = check(capsys, path)
    assert code == 0 and "readable by others" not in output
