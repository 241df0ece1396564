"""Credentials: where a mailbox password comes from, read only when it is needed.

Four sources, exactly one per account: the config file itself, a command (argv, never a
shell) such as ``pass show mail``, an environment variable, or a systemd credential
(``LoadCredential=`` puts a file in ``$CREDENTIALS_DIRECTORY``). For XOAUTH2 (Gmail,
Microsoft 365) a ``token_command`` prints a current access token, asked for at every login
because such tokens expire within the hour.

Error messages name the source (the variable, the command's first word, the credential
name) and never what was read.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import stat
import subprocess
from pathlib import Path

from ..errors import CredentialError

log = logging.getLogger(__name__)

COMMAND_TIMEOUT = 30.0


def secret_for(account) -> str:
    """What to log in with: the OAuth 2 access token (``auth: xoauth2``) or the password."""
    if getattr(account, "auth", "password") == "xoauth2":
        return run_secret_command(account.token_command, "token_command")
    return password_for(account)


def password_for(imap) -> str:
    """The password of an ``ImapAccount`` (see config.py), from its one configured source."""
    if imap.password:
        return imap.password
    if imap.password_env:
        value = os.environ.get(imap.password_env)
        if not value:
            raise CredentialError(f"environment variable {imap.password_env} is not set or empty")
        return value
    if imap.password_credential:
        return read_credential(imap.password_credential)
    if imap.password_command:
        return run_secret_command(imap.password_command, "password_command")
    raise CredentialError("no password source configured")


def read_credential(name: str) -> str:
    directory = os.environ.get("CREDENTIALS_DIRECTORY")
    if not directory:
        raise CredentialError(
            f"systemd credential {name!r} requested but $CREDENTIALS_DIRECTORY is not set "
            "(run under systemd with LoadCredential=, or use another password source)"
        )
    path = Path(directory) / name
    try:
        return path.read_text(encoding="utf-8").strip("\r\n")
    except OSError as exc:
        raise CredentialError(f"systemd credential {name!r}: {exc.strerror}") from None


def run_secret_command(argv: tuple[str, ...] | list[str], what: str) -> str:
    """First line of a command's output. argv is run directly: no shell, no quoting games."""
    if not argv:
        raise CredentialError(f"{what} is empty")
    try:
        # Its own process group: a helper that hangs is killed with whatever it started
        # (an agent, a pinentry), which would otherwise keep running and hold our pipes.
        process = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except FileNotFoundError:
        raise CredentialError(f"{what}: command not found: {argv[0]}") from None
    except OSError as exc:
        raise CredentialError(f"{what}: cannot run {argv[0]}: {exc.strerror}") from None
    try:
        stdout, _ = process.communicate(timeout=COMMAND_TIMEOUT)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        raise CredentialError(f"{what}: {argv[0]} did not finish within {COMMAND_TIMEOUT:g} s") from None
    except BaseException:
        _kill_group(process)
        raise
    result = subprocess.CompletedProcess(process.args, process.returncode, stdout, b"")
    if result.returncode != 0:
        # stderr is not quoted: a password manager may print anything there.
        raise CredentialError(f"{what}: {argv[0]} exited with status {result.returncode}")
    line = result.stdout.decode("utf-8", errors="replace").splitlines()
    if not line or not line[0]:
        raise CredentialError(f"{what}: {argv[0]} printed nothing")
    return line[0]


def passwords_written_in(accounts) -> str:
    """What secrets config.yaml holds itself, for the warning about its mode ("" if none)."""
    kinds = []
    if any(a.imap is not None and a.imap.password for a in accounts):
        kinds.append("an IMAP password")
    if any(a.smtp is not None and a.smtp.password for a in accounts):
        kinds.append("an SMTP password")
    return " and ".join(kinds)


def _kill_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        process.communicate(timeout=5)


def warn_if_readable_by_others(path: Path, holds: str) -> None:
    """Log a warning when a file holding a secret can be read by group or others."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        log.warning(
            "%s holds %s and is readable by others (mode %o); run: chmod 600 %s",
            path,
            holds,
            mode & 0o777,
            path,
        )
