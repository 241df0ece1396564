"""The freelancer in scenario tests: runs passes like the service, sends drafts like a mail client."""

from __future__ import annotations

from datetime import date
from email.utils import format_datetime

from assistant.adapters.store import Store
from assistant.config import load_config
from assistant.demo import invoice_pdf
from assistant.engine import PassReport
from assistant.session import AccountSession, state_path
from tests.support.mailboxes import parsed
from tests.support.world import at, invoice_email, write_config

PDF_LINES = ("FACTURA 2026-001", "Fecha: 02/03/2026", "Total: 1.210,00 €")
INVOICE_ID = "<inv-2026-001@freelancer.example>"


class Freelancer:
    """Runs passes the way the service does: config from disk, state in SQLite."""

    def __init__(
        self,
        world,
        directory,
        *,
        account_extra: str = "",
        rules: dict[str, str] | None = None,
        identity_extra: str = "",
        language: str = "en",
    ):
        """``account_extra`` is added to the account's YAML (an smtp: section); ``rules``
        maps rules file names to their text, next to the test clients.yaml;
        ``identity_extra`` is added under ``identity:`` (payment details)."""
        self.world = world
        path = write_config(
            directory, world.account_yaml() + account_extra, identity_extra=identity_extra, language=language
        )
        self.path = path  # config.yaml, for the commands a test runs by name
        for name, text in (rules or {}).items():
            (directory / "rules" / name).write_text(text, encoding="utf-8")
        self.config = load_config(path)
        self.account = self.config.account(None)

    def store(self) -> Store:
        return Store.open(state_path(self.config, self.account))

    def run(self, day: date, *, dry_run: bool = False, hour: int = 10, progress=None) -> PassReport:
        with AccountSession(self.config, self.account) as engine:
            return engine.run_pass(at(day, hour), dry_run=dry_run, progress=progress)

    def drafts(self):
        return [(flags, parsed(data)) for flags, data in self.world.messages("Drafts")]

    def send_drafts(self, day: date) -> None:
        """What a mail client does when the freelancer sends a draft: Drafts -> Sent."""
        for _, data in self.world.messages("Drafts"):
            message = parsed(data)
            del message["Date"]
            message["Date"] = format_datetime(at(day, 11))
            self.world.deliver("Sent", message.as_bytes(), when=at(day, 11))
            self.world.delete("Drafts", message["Message-ID"])


def send_invoice(world, **overrides) -> bytes:
    """The Spanish invoice 2026-001 to ACME, sent on 2 March 2026 (due 16 March); its PDF."""
    pdf = invoice_pdf(list(PDF_LINES))
    data = invoice_email(sent=at(date(2026, 3, 2)), pdf=pdf, message_id=INVOICE_ID, **overrides)
    world.deliver("Sent", data, when=at(date(2026, 3, 2)))
    return pdf
