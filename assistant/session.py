"""The account session: one ``with`` block owns an account's mailbox, state and sender.

``AccountSession(config, account)`` opens the state database, the mailbox adapter (nothing
connects until the first call) and the SMTP sender (when the account has one) and gives the
``Engine`` built on them; leaving the block closes the mailbox and the database, whatever
happened inside. The CLI, the service, the demo, the tests and the benchmark use it instead
of wiring the three themselves::

    with AccountSession(config, account) as engine:
        report = engine.run_pass(now)

The service keeps one session open across passes: ``open()`` and ``close()`` are the same
two halves, and ``close`` may be called any number of times.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from .adapters.credentials import password_for, secret_for
from .adapters.mailbox import Mailbox
from .adapters.smtp import Sender
from .adapters.store import Store
from .config import Account, Config


def state_path(config: Config, account: Account) -> Path:
    return config.state_dir / f"{account.name}.sqlite3"


def open_mailbox(account: Account, own_address: str = "") -> Mailbox:
    """The adapter for ``account``. Nothing connects until the first call.

    ``own_address`` (the identity's) decides between several folders named like Sent."""
    if account.maildir is not None:
        from .adapters.maildir import MaildirMailbox

        names = account.maildir.folders
        return MaildirMailbox(
            account.maildir.path,
            inbox=names.inbox,
            sent=names.sent,
            drafts=names.drafts,
            own_address=own_address,
            filed=names.filed,
        )
    from .adapters.imap import ImapMailbox

    imap = account.imap
    assert imap is not None
    return ImapMailbox(
        host=imap.host,
        port=imap.effective_port,
        username=imap.username,
        password=lambda: secret_for(imap),
        auth=imap.auth,
        security=imap.security,
        ca_file=imap.ca_file,
        timeout=imap.timeout,
        inbox=imap.folders.inbox,
        sent=imap.folders.sent,
        drafts=imap.folders.drafts,
        own_address=own_address,
        filed=imap.folders.filed,
    )


def open_sender(account: Account) -> Sender | None:
    """The SMTP sender of ``account`` (for stages with ``action: send``), or None."""
    smtp = account.smtp
    if smtp is None:
        return None
    source = smtp if smtp.has_own_password or account.imap is None else account.imap
    return Sender(
        host=smtp.host,
        port=smtp.effective_port,
        security=smtp.security,
        username=smtp.username
        if smtp.username is not None
        else (account.imap.username if account.imap else ""),
        password=lambda: password_for(source),
        ca_file=smtp.ca_file,
        timeout=smtp.timeout,
    )


class AccountSession:
    """Mailbox, store and sender of one account, opened and closed together."""

    def __init__(self, config: Config, account: Account, *, send: bool = True):
        """``send=False`` leaves the SMTP sender out (commands that only write drafts)."""
        self.config = config
        self.account = account
        self.send = send
        self._stack: contextlib.ExitStack | None = None
        self.engine = None

    def open(self):
        """The engine of this account; the store is opened now, the mailbox on first use."""
        from .engine import Engine

        if self.engine is not None:
            return self.engine
        with contextlib.ExitStack() as stack:
            store = stack.enter_context(Store.open(state_path(self.config, self.account)))
            mailbox = open_mailbox(self.account, self.config.identity.email)
            stack.callback(mailbox.close)
            sender = open_sender(self.account) if self.send else None
            self.engine = Engine(self.config, self.account, mailbox, store, sender)
            self._stack = stack.pop_all()
        return self.engine

    def close(self) -> None:
        """Close the mailbox (first: it may hold a connection) and the store."""
        stack, self._stack, self.engine = self._stack, None, None
        if stack is not None:
            stack.close()

    def __enter__(self):
        return self.open()

    def __exit__(self, *exc_info) -> None:
        self.close()
