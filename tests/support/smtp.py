"""A real SMTP server for tests: aiosmtpd on a free loopback port, keeping what it receives."""

from __future__ import annotations

import email
import socket
from dataclasses import dataclass, field
from email import policy

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.data, policy=policy.default)


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    refuse_data: str = ""  # an SMTP reply such as "554 5.7.1 no" to refuse every message with

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_data:
            return self.refuse_data
        self.received.append(
            Received(
                envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content
            )
        )
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpSink:
    """With ``login=(user, password)`` it offers AUTH (over plaintext: it is loopback) and
    takes mail only from a client that logged in with exactly those."""

    def __init__(self, *, login: tuple[str, str] | None = None) -> None:
        self.handler = _Handler()
        self.host = "127.0.0.1"
        self.port = _free_port()
        self.logins: list[bool] = []  # each AUTH attempt: accepted or not
        extra = {}
        if login is not None:

            def authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
                ok = (
                    isinstance(auth_data, LoginPassword)
                    and (
                        auth_data.login.decode(),
                        auth_data.password.decode(),
                    )
                    == login
                )
                self.logins.append(ok)
                return AuthResult(success=ok, handled=False)  # aiosmtpd answers 235 or 535

            extra = {"authenticator": authenticate, "auth_require_tls": False}
        self._controller = Controller(self.handler, hostname=self.host, port=self.port, **extra)

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def __enter__(self) -> SmtpSink:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()
