"""The exception tree of freelance-assistant.

Every error the program reports on purpose derives from ``AssistantError``. Library
exceptions are translated into these at the adapter boundary (``raise X(...) from exc``),
so the CLI and the daemon only ever need to know this tree::

    AssistantError
    ├── ConfigError          config or rules invalid; carries every Problem of the files
    ├── CredentialError      a password, password command or token command failed
    ├── MailboxError         the mailbox could not be used
    │   ├── MailboxUnavailable   transient: connection refused, timeout, BYE; retry later
    │   ├── TLSError             the server's certificate or TLS setup was refused
    │   ├── LoginFailed          the server refused the credentials
    │   └── FolderMissing        a needed folder (Sent, Drafts) was not found
    ├── StateError           the state database is unusable (newer schema, corrupt)
    │   └── StateLocked          another process holds the state (the service, a scan)
    ├── SendRefused          a message kind that may never be sent reached the sender
    ├── SendFailed           SMTP delivery failed (transient or permanent)
    ├── StatementError       a bank statement file cannot be read; names the file and line
    ├── BankSyncError        the open-banking aggregator could not be used (transient or not)
    └── UsageError           the command line asked for something that cannot be done

Messages never contain a secret: adapters build them from host names, folder names and
server replies, and the credential layer never includes what it read.
"""

from __future__ import annotations

from dataclasses import dataclass


class AssistantError(Exception):
    """Base of every error freelance-assistant reports on purpose."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a configuration or rules file, located precisely."""

    file: str
    line: int  # 1-based; 0 when unknown
    column: int  # 1-based; 0 when unknown
    path: str  # dotted key path inside the file, "" for the whole file
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line:
            where += f":{self.line}:{self.column}"
        # A problem of no one file (a message that names its own) has no place to prefix.
        return ": ".join(part for part in (where, self.path, self.message) if part)


class ConfigError(AssistantError):
    """Configuration or rules are invalid. ``problems`` lists all of them at once."""

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem("", 0, 0, "", problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class CredentialError(AssistantError):
    """A secret could not be obtained (command failed, file missing, variable unset)."""


class MailboxError(AssistantError):
    """The mailbox (IMAP server or Maildir) could not be used."""


class MailboxUnavailable(MailboxError):
    """A transient failure: refused, timed out, disconnected. Retrying later may work."""


class TLSError(MailboxError):
    """TLS could not be established safely (certificate not trusted, wrong host name)."""


class LoginFailed(MailboxError):
    """The server refused the credentials."""


class FolderMissing(MailboxError):
    """A folder the assistant needs (Sent, Drafts) does not exist."""


class StateError(AssistantError):
    """The state database cannot be used as it is."""


class StateLocked(StateError):
    """Another freelance-assistant process holds the state; this one must not race it.

    ``pid`` and ``command`` name the holder when its lock file says (``run``: the service,
    which takes a manual ``scan`` and the ledger commands through ``handover``)."""

    def __init__(self, message: str, *, pid: int | None = None, command: str | None = None):
        super().__init__(message)
        self.pid = pid
        self.command = command


class SendRefused(AssistantError):
    """A message kind that may never be sent automatically was handed to the sender."""


class SendFailed(AssistantError):
    """The SMTP server did not accept a message."""

    def __init__(self, message: str, *, transient: bool):
        super().__init__(message)
        self.transient = transient


class StatementError(AssistantError):
    """A bank statement file is malformed: nothing of it is applied. Says file and line."""

    def __init__(self, file: str, line: int, message: str):
        self.file, self.line = file, line
        super().__init__(f"{file}:{line}: {message}" if line else f"{file}: {message}")


class BankSyncError(AssistantError):
    """The open-banking aggregator refused or could not be reached; the message names no secret."""


class UsageError(AssistantError):
    """The command line asked for something impossible (unknown invoice, bad date...)."""
