"""Sending (opt-in): a ladder stage with ``action: send`` goes out over SMTP with aiosmtplib.

The one rule above all: **a termination email is never sent by the program.** That is
not a setting. ``Sender`` accepts only the kinds in ``SENDABLE_KINDS`` (reminders,
follow-ups, the freelancer's own digest) and refuses anything else with ``SendRefused``
before a connection is even opened, looking at the draft's kind, its action key and the
key header inside the message bytes. A termination draft is composed with kind
"termination" and key "termination/...", so no configuration, template or code path can
hand one to SMTP: the only way out is the freelancer pressing Send in their mail client.

TLS is explicit: ``tls`` (implicit TLS, port 465) or ``starttls`` (587), certificates
verified; aiosmtplib's default (``start_tls=None``) would silently fall back to cleartext
and is never used. Plaintext only to a loopback address, when configured so. A partial
recipient refusal does not raise in aiosmtplib: the returned dict is checked.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from email.parser import BytesHeaderParser
from email.policy import compat32

import aiosmtplib

from ..domain.compose import key_of
from ..domain.model import Draft
from ..errors import CredentialError, SendFailed, SendRefused
from .imap import tls_context

log = logging.getLogger(__name__)
logging.getLogger("aiosmtplib").setLevel(logging.WARNING)  # its DEBUG output carries AUTH lines

# The rule lives in the domain (``keys.may_send``); the engine decides with it. This is the
# second lock, kept apart on purpose so that one mistake cannot open both: the same kinds and
# key prefixes, spelt out again (tests/test_termination.py checks the two agree).
# Never add "termination" or "rate-increase".
SENDABLE_KINDS = frozenset({"reminder", "follow-up", "digest"})
_NEVER_KEY_PREFIXES = ("termination/", "rate/")


def refuse_unless_sendable(draft: Draft) -> None:
    """Raise SendRefused unless ``draft`` is of a kind the program may send by itself."""
    header = BytesHeaderParser(policy=compat32).parsebytes(draft.data)
    keys = (draft.key, key_of(header) or "")
    if draft.kind not in SENDABLE_KINDS or any(k.startswith(_NEVER_KEY_PREFIXES) for k in keys):
        raise SendRefused(
            f"{draft.key}: a {draft.kind} message is never sent by the program; "
            "it stays in Drafts for you to review and send"
        )


class Sender:
    """One SMTP account. ``send`` delivers a sendable draft to its recipient, or raises."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        security: str,
        username: str = "",
        password: str | Callable[[], str] = "",
        ca_file: str = "",
        timeout: float = 30.0,
        attempts: int = 3,
        backoff: float = 2.0,
    ):
        if security not in ("tls", "starttls", "plain"):
            raise ValueError(f"unknown SMTP security {security!r}")
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self._password = password
        self.ca_file = ca_file
        self.timeout = timeout
        self.attempts = attempts
        self.backoff = backoff
        self.sent = 0

    def describe(self) -> str:
        return f"SMTP {self.username + '@' if self.username else ''}{self.host}:{self.port}"

    async def send_async(
        self,
        draft: Draft,
        *,
        sender: str,
        recipients: Sequence[str],
        on_sending: Callable[[], None] | None = None,
    ) -> None:
        """``on_sending`` is called once connected and logged in, just before MAIL FROM:
        until then nothing of the message has left, so a failure (or a crash) before it is
        safe to try again; from then on the server may have taken it."""
        refuse_unless_sendable(draft)
        try:
            password = self._password() if callable(self._password) else self._password
        except CredentialError as exc:
            # Before any connection: nothing went out, so the reminder is retried next pass.
            raise SendFailed(f"{self.describe()}: no password: {exc}", transient=False) from None
        try:
            client = aiosmtplib.SMTP(
                hostname=self.host,
                port=self.port,
                username=self.username or None,
                password=password if self.username else None,
                use_tls=self.security == "tls",
                start_tls=self.security == "starttls",  # never None: no silent cleartext
                tls_context=tls_context(self.ca_file) if self.security != "plain" else None,
                timeout=self.timeout,
            )
            async with client:  # connects, STARTTLS, logs in
                if on_sending is not None:
                    on_sending()
                errors, _ = await client.sendmail(sender, list(recipients), draft.data)
        except aiosmtplib.SMTPAuthenticationError:
            raise SendFailed(
                f"{self.describe()}: the server refused the user name or password", transient=False
            ) from None
        except aiosmtplib.SMTPNotSupported as exc:  # e.g. AUTH without TLS: a setting to fix, not to retry
            raise SendFailed(f"{self.describe()}: {str(exc)[:200]}", transient=False) from None
        except aiosmtplib.SMTPResponseException as exc:
            transient = 400 <= exc.code < 500
            raise SendFailed(
                f"{self.describe()}: {exc.code} {exc.message[:200]}", transient=transient
            ) from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise SendFailed(
                f"{self.describe()}: {type(exc).__name__}: {str(exc)[:200]}", transient=True
            ) from None
        if errors:
            refused = ", ".join(f"{r} ({e.code})" for r, e in errors.items())
            raise SendFailed(f"{self.describe()}: recipients refused: {refused}", transient=False)
        self.sent += 1

    def send(
        self,
        draft: Draft,
        *,
        sender: str,
        recipients: Sequence[str],
        on_sending: Callable[[], None] | None = None,
    ) -> None:
        """Send, retrying transient failures with exponential backoff. Blocking."""
        refuse_unless_sendable(draft)  # before any retry loop or connection
        delay = self.backoff
        for attempt in range(1, self.attempts + 1):
            try:
                asyncio.run(
                    self.send_async(draft, sender=sender, recipients=recipients, on_sending=on_sending)
                )
                return
            except SendFailed as exc:
                if not exc.transient or attempt == self.attempts:
                    raise
                log.warning("%s: attempt %d failed (%s); retrying in %.0f s", draft.key, attempt, exc, delay)
                time.sleep(delay)
                delay *= 2
