"""A small freelancer's world for tests: identity, three clients, rules, and invoice emails."""

from __future__ import annotations

import textwrap
from datetime import date, datetime, time
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from zoneinfo import ZoneInfo

from assistant.config import load_config, load_rules
from assistant.demo import invoice_pdf
from assistant.domain.model import Defaults, Identity, Rules

TZ = ZoneInfo("Europe/Madrid")
ME = ("Lucía Romero", "lucia@freelancer.example")

CLIENTS_YAML = """\
clients:
  acme:
    name: ACME Soluciones S.L.
    contact: Marta López <marta@acme.example>
    domains: [acme.example]
    language: es
    country: ES
    handover:
      - las claves del hosting
      - los archivos de diseño en Figma
  bright:
    name: Brightside Media Ltd
    contact: Oliver Hughes <oliver@bright.example>
    addresses: [accounts@bright-billing.example]
    language: en
    country: GB
    currency: GBP
    payment_terms_days: 30
    notice_days: 30
  tulp:
    name: Tulp Design B.V.
    contact: Sanne de Vries <sanne@tulp.example>
    domains: [tulp.example]
    language: nl
    country: NL
"""

IDENTITY = Identity(
    name=ME[0], email=ME[1], signature="Lucía Romero\n+34 600 123 456", timezone="Europe/Madrid"
)


def write_rules(directory: Path, clients_yaml: str = CLIENTS_YAML) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "clients.yaml").write_text(clients_yaml, encoding="utf-8")
    return directory


def rules(tmp_path: Path) -> Rules:
    return load_rules(write_rules(tmp_path / "rules"), Defaults(), IDENTITY)


def write_config(
    directory: Path, account_yaml: str, *, extra: str = "", identity_extra: str = "", language: str = "en"
) -> Path:
    """A config.yaml with the test identity, the test clients and one account.

    ``identity_extra`` is YAML added under ``identity:`` (payment details, say); ``language``
    is Lucía's own (status, explain, scan, the digest and the review speak it)."""
    write_rules(directory / "rules")
    path = directory / "config.yaml"
    path.write_text(
        textwrap.dedent(
            f"""\
            identity:
              name: {ME[0]}
              email: {ME[1]}
              signature: |
                Lucía Romero
                +34 600 123 456
              language: {language}
              timezone: Europe/Madrid
            """
        )
        + textwrap.indent(identity_extra, "  ")
        + textwrap.dedent(
            """\
            state_dir: state
            rules_dir: rules
            accounts:
            """
        )
        + textwrap.indent(account_yaml, "  ")
        + extra,
        encoding="utf-8",
    )
    return path


def config(directory: Path, account_yaml: str):
    return load_config(write_config(directory, account_yaml))


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=TZ)


def invoice_email(
    *,
    to: str = "Marta López <marta@acme.example>",
    subject: str = "Factura 2026-001",
    body: str = "Hola Marta:\n\nTe envío la factura 2026-001.\n\nImporte total: 1.210,00 €\n",
    sent: datetime | None = None,
    pdf_lines: tuple[str, ...] = ("FACTURA 2026-001", "Total: 1.210,00 €"),
    filename: str = "Factura_2026-001.pdf",
    pdf: bytes | None = None,
    message_id: str | None = None,
    references: str = "",
) -> bytes:
    """An invoice email as the freelancer's mail client would put it in Sent."""
    message = EmailMessage()
    message["From"] = f"{ME[0]} <{ME[1]}>"
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(sent or at(date(2026, 3, 2)))
    message["Message-ID"] = message_id or make_msgid(domain="freelancer.example")
    if references:
        message["References"] = references
    message.set_content(body)
    if pdf is not None or pdf_lines:
        message.add_attachment(
            pdf if pdf is not None else invoice_pdf(list(pdf_lines)),
            maintype="application",
            subtype="pdf",
            filename=filename,
        )
    return message.as_bytes()


def british_invoice_email() -> bytes:
    """Invoice INV-0042 to Oliver at Brightside (pounds, a client in Britain), sent on 2 March."""
    return invoice_email(
        to="Oliver Hughes <oliver@bright.example>",
        subject="Invoice INV-0042",
        body="Hi Oliver,\n\nPlease find attached invoice INV-0042.\n\nAmount due: £2,400.00\n",
        filename="invoice-INV-0042.pdf",
        pdf_lines=("INVOICE INV-0042",),
        sent=at(date(2026, 3, 2)),
        message_id="<inv-0042@x>",
    )


def plain_email(
    *, sender: str, to: str, subject: str, body: str = "Hello\n", sent: datetime | None = None, **headers: str
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(sent or at(date(2026, 3, 2)))
    message["Message-ID"] = make_msgid(domain="test.example")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes()
