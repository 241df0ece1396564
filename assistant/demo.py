"""The demo: a realistic sample mailbox, a config pointing at it, and one pass over it.

``freelance-assistant demo --dir DIR`` writes a Maildir++ tree (INBOX, Sent, Drafts) for
a freelancer with three clients (Spanish, English, Dutch), invoices of several ages with
PDF attachments (one already tagged paid), and some ordinary mail around them; then a
``config.yaml`` and an editable copy of the rules; then runs one pass and explains how
to look at the drafts. Dates are relative to today, so the demo always has invoices
that are overdue, due soon and paid.
"""

from __future__ import annotations

import contextlib
import email
import hashlib
import os
import shlex
import shutil
import stat
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from email import policy
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from . import invocation
from .errors import UsageError

TZ = ZoneInfo("Europe/Madrid")
FREELANCER = ("Lucía Romero", "lucia@lucia-romero.example")
SIGNATURE = "Lucía Romero\nDiseño web y de producto\n+34 600 123 456 · https://lucia-romero.example"


@dataclass(frozen=True)
class _Client:
    id: str
    name: str
    contact_name: str
    contact: str
    language: str
    country: str
    currency: str
    terms: int


CLIENTS = (
    _Client("nube", "Estudio Nube S.L.", "Marta López", "marta@estudionube.example", "es", "ES", "EUR", 14),
    _Client(
        "brightside",
        "Brightside Media Ltd",
        "Oliver Hughes",
        "oliver@brightside.example",
        "en",
        "GB",
        "GBP",
        30,
    ),
    _Client("tulp", "Tulp Design B.V.", "Sanne de Vries", "sanne@tulpdesign.example", "nl", "NL", "EUR", 14),
)
_BY_ID = {c.id: c for c in CLIENTS}

# What belongs to the client and goes back when the work ends (seed 001), and colleagues
# to recommend: both appear in the termination email.
HANDOVER = {
    "brightside": (
        "the Figma files of the autumn landing page",
        "the admin password of the WordPress site",
        "access to the Google Analytics property",
    ),
}
REFERRALS = (
    "Pablo Ruiz <pablo@ruiz-web.example>, web developer",
    "Estudio Faro <hola@estudiofaro.example>, design agency",
)


@dataclass(frozen=True)
class _Invoice:
    client: str
    number: str
    amount: str  # as written in the client's language
    issued_days_ago: int
    project: str
    paid_tag: bool = False
    explicit_due_days: int | None = None  # an explicit due date, relative to the issue date


INVOICES = (
    # Brightside pays, but always late: with INV-0107 overdue too, that trips the
    # "late payments" termination trigger (termination.yaml) and the demo ends with a draft.
    _Invoice("brightside", "INV-0091", "£1,200.00", 210, "Monthly retainer, April"),
    _Invoice("brightside", "INV-0096", "£1,200.00", 150, "Monthly retainer, June"),
    _Invoice("brightside", "INV-0101", "£1,200.00", 100, "Monthly retainer, August"),
    _Invoice("nube", "F-2026-041", "1.210,00 €", 17, "Rediseño de la web corporativa"),
    _Invoice("nube", "F-2026-044", "484,00 €", 5, "Mantenimiento de noviembre"),
    _Invoice("brightside", "INV-0107", "£2,400.00", 60, "September retainer"),
    _Invoice("brightside", "INV-0112", "£780.00", 38, "Landing page, deposit (50 %)", explicit_due_days=28),
    _Invoice("tulp", "2026-017", "€ 1.650,00", 45, "Huisstijl en logo", paid_tag=True),
    _Invoice("tulp", "2026-021", "€ 850,00", 16, "Iconenset voor de app"),
    _Invoice("tulp", "2026-023", "€ 720,00", 20, "Extra iconen"),
    # Long past due and never mentioned again: the first scan holds it as "still owed? confirm"
    # instead of chasing it (issue 15); the bank statement in bank/ does not show it paid.
    _Invoice("nube", "F-2025-118", "363,00 €", 75, "Banners de campaña"),
)

_MONTHS = {
    "es": [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "nl": [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ],
}


def _long_date(day: date, language: str) -> str:
    month = _MONTHS[language][day.month - 1]
    return f"{day.day} de {month} de {day.year}" if language == "es" else f"{day.day} {month} {day.year}"


# --------------------------------------------------------------------------- PDF


def invoice_pdf(lines: list[str]) -> bytes:
    """A small, valid one-page PDF showing ``lines`` in Helvetica (text pypdf can read)."""

    def escape(text: str) -> bytes:
        raw = text.encode("cp1252", errors="replace")
        return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")

    content = (
        b"BT /F1 12 Tf 16 TL 56 780 Td "
        + b" ".join(b"(" + escape(line) + b") Tj T*" for line in lines)
        + b" ET"
    )
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    return pdf_file(objects)


def pdf_file(objects: list[bytes]) -> bytes:
    """A PDF file of ``objects`` (numbered from 1; the first is the catalog) with its
    cross-reference table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


# --------------------------------------------------------------------------- messages


def _message_id(seed: str) -> str:
    return f"<{hashlib.sha256(seed.encode()).hexdigest()[:20]}@lucia-romero.example>"


def _when(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour, 12), tzinfo=TZ)


def _invoice_email(invoice: _Invoice, today: date) -> tuple[bytes, bool]:
    client = _BY_ID[invoice.client]
    issued = today - timedelta(days=invoice.issued_days_ago)
    first = client.contact_name.split()[0]
    due_line = ""
    if invoice.explicit_due_days is not None:
        due = issued + timedelta(days=invoice.explicit_due_days)
        due_line = {
            "es": f"Fecha de vencimiento: {_long_date(due, 'es')}",
            "en": f"Due date: {_long_date(due, 'en')}",
            "nl": f"Vervaldatum: {_long_date(due, 'nl')}",
        }[client.language]
    if client.language == "es":
        subject = f"Factura {invoice.number} – {invoice.project}"
        body = (
            f"Hola {first}:\n\nTe envío la factura {invoice.number} correspondiente a: {invoice.project}.\n\n"
            f"Importe total: {invoice.amount}\nFecha de la factura: {issued:%d/%m/%Y}\n{due_line}\n\n"
            "El pago vence dentro de las dos semanas posteriores a la fecha de la factura.\n\n"
            f"Muchas gracias,\n{SIGNATURE}\n"
        )
        lines = [
            f"FACTURA {invoice.number}",
            f"Fecha: {issued:%d/%m/%Y}",
            f"Cliente: {client.name}",
            f"Concepto: {invoice.project}",
            f"Total: {invoice.amount}",
            "El pago vence dentro de las dos semanas posteriores a la fecha de la factura.",
        ]
        filename = f"Factura_{invoice.number}.pdf"
    elif client.language == "en":
        subject = f"Invoice {invoice.number} - {invoice.project}"
        body = (
            f"Hi {first},\n\nPlease find attached invoice {invoice.number} for the {invoice.project.lower()}.\n\n"
            f"Amount due: {invoice.amount}\nInvoice date: {_long_date(issued, 'en')}\n{due_line}\n\n"
            f"Payment terms: {client.terms} days from the invoice date.\n\nThanks,\n{SIGNATURE}\n"
        )
        lines = [
            f"INVOICE {invoice.number}",
            f"Invoice date: {_long_date(issued, 'en')}",
            f"Bill to: {client.name}",
            f"Description: {invoice.project}",
            f"Amount due: {invoice.amount}",
        ]
        filename = f"invoice-{invoice.number}.pdf"
    else:
        subject = f"Factuur {invoice.number} — {invoice.project}"
        body = (
            f"Beste {first},\n\nHierbij stuur ik je factuur {invoice.number} voor: {invoice.project}.\n\n"
            f"Te betalen: {invoice.amount}\nFactuurdatum: {issued:%d-%m-%Y}\n{due_line}\n\n"
            f"Met vriendelijke groet,\n{SIGNATURE}\n"
        )
        lines = [
            f"FACTUUR {invoice.number}",
            f"Factuurdatum: {issued:%d-%m-%Y}",
            f"Klant: {client.name}",
            f"Omschrijving: {invoice.project}",
            f"Totaal: {invoice.amount}",
        ]
        filename = f"Factuur {invoice.number}.pdf"
    message = _message(
        sender=FREELANCER,
        to=(client.contact_name, client.contact),
        subject=subject,
        body=body,
        when=_when(issued),
        seed=f"invoice {invoice.number}",
    )
    message.add_attachment(invoice_pdf(lines), maintype="application", subtype="pdf", filename=filename)
    return message.as_bytes(policy=SMTP).replace(b"\r\n", b"\n"), invoice.paid_tag


def _message(*, sender, to, subject, body, when, seed, in_reply_to: str = "", **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"{sender[0]} <{sender[1]}>"
    message["To"] = f"{to[0]} <{to[1]}>"
    message["Subject"] = subject
    message["Date"] = format_datetime(when)
    message["Message-ID"] = _message_id(seed)
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


def _conversations(today: date) -> list[tuple[str, bytes]]:
    """The mail around the invoices: work delivered, clients' answers, and noise.

    Each piece shows one behaviour: an unanswered deliverable (followed up), an
    approved one never invoiced (a to-do), a client saying they paid (no reminder), an
    out-of-office reply (does not count: the reminder is still drafted), a dispute (the
    chase pauses), and mail that is nobody's business (read past).
    """
    days = lambda n: _when(today - timedelta(days=n))  # noqa: E731
    nube = ("Marta López", "marta@estudionube.example")
    oliver = ("Oliver Hughes", "oliver@brightside.example")
    sanne = ("Sanne de Vries", "sanne@tulpdesign.example")
    mails = [
        ("Sent", _message(
            sender=FREELANCER, to=nube, subject="Avance del rediseño: nueva versión de la portada", when=days(9), seed="update nube",
            body="Hola Marta:\n\nAquí tienes la nueva versión de la portada para que la revises:\n"
            "https://www.figma.com/file/demo/portada-v3\n\nUn saludo,\nLucía\n",
        )),
        ("Sent", _message(
            sender=FREELANCER, to=oliver, subject="Landing page: final version", when=days(25), seed="landing",
            body="Hi Oliver,\n\nThe final version of the landing page is ready for review:\n"
            "https://www.figma.com/file/demo/autumn-landing-final\n\nBest,\nLucía\n",
        )),
        ("INBOX", _message(
            sender=oliver, to=FREELANCER, subject="Re: Landing page: final version", when=days(20), seed="approved",
            in_reply_to=_message_id("landing"), body="Hi Lucía,\n\nLooks great, approved! Thanks.\n\nOliver\n",
        )),
        *(
            ("INBOX", _message(
                sender=oliver, to=FREELANCER, subject=f"Re: Invoice {number} - Monthly retainer", when=days(ago),
                seed=f"paid {number}", in_reply_to=_message_id(f"invoice {number}"),
                body="Hi Lucía,\n\nApologies for the delay, we have paid it today.\n\nOliver\n",
            ))
            for number, ago in (("INV-0091", 150), ("INV-0096", 95), ("INV-0101", 50))
        ),
        ("INBOX", _message(
            sender=oliver, to=FREELANCER, subject="Re: Invoice INV-0112 - Landing page, deposit (50 %)", when=days(9),
            seed="paid", in_reply_to=_message_id("invoice INV-0112"),
            body="Hi Lucía,\n\nSorry for the delay: we have paid this today.\n\nOliver\n",
        )),
        ("INBOX", _message(
            sender=nube, to=FREELANCER, subject="Respuesta automática: Factura F-2026-041 – Rediseño de la web corporativa",
            when=days(1), seed="out of office", in_reply_to=_message_id("invoice F-2026-041"), Auto_Submitted="auto-replied",
            body="Estoy fuera de la oficina hasta el lunes. Para asuntos urgentes, escriba a info@estudionube.example.\n",
        )),
        ("INBOX", _message(
            sender=sanne, to=FREELANCER, subject="Re: Factuur 2026-023 — Extra iconen", when=days(3), seed="dispute",
            in_reply_to=_message_id("invoice 2026-023"),
            body="Hoi Lucía,\n\nHet bedrag klopt niet: we hadden € 600 afgesproken voor de extra iconen.\n\nGroet,\nSanne\n",
        )),
        ("INBOX", _message(
            sender=("Design Weekly", "news@designweekly.example"), to=FREELANCER, when=days(1), seed="newsletter",
            subject="This week: 12 colour palettes for autumn", body="Unsubscribe at any time.\n",
        )),
    ]  # fmt: skip
    friend = _message(
        sender=FREELANCER,
        to=("Pablo", "pablo@amigos.example"),
        subject="Factura del alquiler de la furgoneta",
        body="Pablo, te reenvío la factura de la furgoneta del viernes.\n",
        when=days(4),
        seed="friend",
    )
    friend.add_attachment(
        invoice_pdf(["Factura alquiler 2211", "Total: 95,00 €"]),
        maintype="application",
        subtype="pdf",
        filename="factura-furgoneta.pdf",
    )
    mails.append(("Sent", friend))
    return [(folder, message.as_bytes()) for folder, message in mails]


# --------------------------------------------------------------------------- files


def _deliver(folder: Path, data: bytes, when: datetime, flags: str = "S") -> None:
    for sub in ("cur", "new", "tmp"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    key = f"{int(when.timestamp())}.{hashlib.sha256(data).hexdigest()[:12]}.demo"
    path = folder / "cur" / f"{key}:2,{flags}"
    path.write_bytes(data.replace(b"\r\n", b"\n"))
    os.utime(path, (when.timestamp(), when.timestamp()))


def build_mailbox(root: Path, today: date) -> None:
    folders = {"INBOX": root, "Sent": root / ".Sent", "Drafts": root / ".Drafts"}
    for folder in folders.values():
        for sub in ("cur", "new", "tmp"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
    # Dovecot stores IMAP keywords in Maildir file names as letters listed in this file;
    # "a" is $Paid, the tag a mail client sets with "Mark as paid".
    (folders["Sent"] / "dovecot-keywords").write_text("0 $Paid\n", encoding="utf-8")
    for invoice in INVOICES:
        data, paid = _invoice_email(invoice, today)
        issued = today - timedelta(days=invoice.issued_days_ago)
        _deliver(folders["Sent"], data, _when(issued), flags="Sa" if paid else "S")
    for folder, data in _conversations(today):
        _deliver(folders[folder], data, datetime.combine(today - timedelta(days=1), time(12, 0), TZ))


def write_statement(folder: Path, today: date) -> None:
    """A bank statement (CAMT.053) in the watched folder: a tax refund no invoice explains."""
    folder.mkdir(parents=True, exist_ok=True)
    booked = (today - timedelta(days=3)).isoformat()
    (folder / "extracto.xml").write_text(
        f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>DEMO-1</MsgId><CreDtTm>{booked}T08:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>DEMO-1</Id>
      <Acct><Id><IBAN>ES9121000418450200051332</IBAN></Id><Ccy>EUR</Ccy></Acct>
      <Ntry>
        <Amt Ccy="EUR">431.17</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>{booked}</Dt></BookgDt><AcctSvcrRef>DEMO-TAX-REFUND</AcctSvcrRef>
        <NtryDtls><TxDtls>
          <RltdPties><Dbtr><Pty><Nm>AGENCIA TRIBUTARIA</Nm></Pty></Dbtr></RltdPties>
          <RmtInf><Ustrd>DEVOLUCION IRPF</Ustrd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>
    </Stmt>
  </BkToCstmrStmt>
</Document>
""",
        encoding="utf-8",
    )


def write_config(directory: Path) -> Path:
    from .config import packaged_rules_dir

    rules = directory / "rules"
    shutil.copytree(packaged_rules_dir(), rules, ignore=shutil.ignore_patterns("__pycache__", "__init__.py"))
    lines = ["# Written by `freelance-assistant demo`: the three sample clients.", "clients:"]
    for c in CLIENTS:
        lines += [
            f"  {c.id}:",
            f"    name: {c.name}",
            f"    contact: {c.contact_name} <{c.contact}>",
            f"    domains: [{c.contact.split('@')[1]}]",
            f"    language: {c.language}",
            f"    country: {c.country}",
            f"    currency: {c.currency}",
            f"    payment_terms_days: {c.terms}",
        ]
        if c.id in HANDOVER:
            lines += ["    notice_days: 14", "    handover:", *(f"      - {item}" for item in HANDOVER[c.id])]
    (rules / "clients.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    termination = rules / "termination.yaml"
    termination.write_text(
        termination.read_text(encoding="utf-8").replace(
            "referrals: []\n", "referrals:\n" + "".join(f'  - "{r}"\n' for r in REFERRALS)
        ),
        encoding="utf-8",
    )
    config = directory / "config.yaml"
    config.write_text(
        f"""# Written by `freelance-assistant demo`. See config.example.yaml for every setting.
identity:
  name: {FREELANCER[0]}
  email: {FREELANCER[1]}
  phone: "+34 600 123 456"
  website: https://lucia-romero.example
  signature: |
    {SIGNATURE.replace(chr(10), chr(10) + "    ")}
  language: es
  timezone: Europe/Madrid

defaults:
  language: es
  country: ES
  currency: EUR
  payment_terms_days: 14

accounts:
  - name: demo
    maildir:
      path: Maildir
    statements:
      folder: bank

state_dir: state
rules_dir: rules
""",
        encoding="utf-8",
    )
    return config


def _own_empty_directory(directory: Path) -> Path:
    """Create `directory` (0700) or accept it empty, only if it is this user's and no one else can write to it.

    The demo writes a config whose `password_command` the printed commands run: in a directory
    another user owns or can write to (a shared /tmp), that user could plant their own.
    """
    elsewhere = f"choose one under your home directory, e.g. `--dir {Path('~/freelance-demo')}`"
    try:
        directory.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with contextlib.suppress(FileExistsError):
            directory.mkdir(mode=0o700)
        info = directory.stat()
    except PermissionError:
        raise UsageError(f"cannot create or read {directory}: permission denied; {elsewhere}") from None
    except OSError as exc:
        raise UsageError(f"cannot create {directory}: {exc.strerror}; {elsewhere}") from None
    if not stat.S_ISDIR(info.st_mode):
        raise UsageError(f"{directory} is not a directory; {elsewhere}")
    if info.st_uid != os.getuid():
        raise UsageError(f"{directory} belongs to another user; {elsewhere}")
    if info.st_mode & 0o022:
        raise UsageError(f"others can write to {directory} (mode {stat.filemode(info.st_mode)}); {elsewhere}")
    parent = directory.parent.stat()
    if parent.st_mode & 0o022 and not parent.st_mode & stat.S_ISVTX:
        # Without the sticky bit, another user could rename the directory away and put theirs.
        raise UsageError(f"others can replace {directory} (its folder is writable by others); {elsewhere}")
    try:
        empty = not any(directory.iterdir())
    except PermissionError:
        raise UsageError(f"cannot read {directory}: permission denied; {elsewhere}") from None
    if not empty:
        raise UsageError(f"{directory} is not empty; give `demo --dir` a new or empty directory")
    return directory


def _look_at_drafts(drafts: Path) -> str:
    """A way to read the drafts with what is installed: a Maildir reader, else the files themselves."""
    for reader in ("neomutt", "mutt"):
        if shutil.which(reader):
            return f"{reader} -f {shlex.quote(str(drafts))}    (the drafts themselves, in a mail reader)"
    return f"ls {shlex.quote(str(drafts / 'cur'))}    (each draft is one plain email file there)"


def run_demo(directory: Path, today: date | None = None) -> int:
    """Build the sample mailbox in `directory` as it would be on `today` (default: the real day) and run one pass."""
    from .config import load_config
    from .domain.keys import DraftKind
    from .report import print_pass
    from .session import AccountSession

    directory = _own_empty_directory(directory.expanduser().resolve())
    now = datetime.now(UTC)
    if today is None:
        today = now.astimezone(TZ).date()
    else:
        # The pass runs at ten in the morning of that day, inside the working day.
        now = datetime.combine(today, time(10, 0), TZ).astimezone(UTC)
    build_mailbox(directory / "Maildir", today)
    write_statement(directory / "bank", today)
    config_path = write_config(directory)
    config = load_config(config_path)
    account = config.account(None)
    with AccountSession(config, account) as engine:
        described = engine.mailbox.describe()
        report = engine.run_pass(now)

    print(f"Sample mailbox: {directory / 'Maildir'} (INBOX, Sent, Drafts)")
    print(f"Configuration:  {config_path}   rules: {directory / 'rules'}")
    print()
    print_pass(report, config, described)
    ending = next((d for d in report.drafted if d.kind == DraftKind.TERMINATION), None)
    spanish = next((d for d in report.drafted if d.key.startswith("invoice/nube/")), None)
    if spanish is not None:
        message = email.message_from_bytes(spanish.data, policy=policy.default)
        body = message.get_body(("plain",)).get_content()
        attached = [part.get_filename() for part in message.iter_attachments()]
        print()
        print(f"The Spanish reminder, as it sits in Drafts (attached: {', '.join(attached)}):")
        print(
            "  "
            + "\n  ".join(f"{name}: {message[name]}" for name in ("From", "To", "Subject", "In-Reply-To"))
        )
        print()
        print("  " + body.replace("\n", "\n  ").rstrip())
    if ending is not None:
        message = email.message_from_bytes(ending.data, policy=policy.default)
        body = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
        attached = [part.get_filename() for part in message.iter_attachments()]
        print()
        print(f"And a termination email, only as a draft (attached: {', '.join(attached) or 'nothing'}):")
        print("  " + "\n  ".join(f"{name}: {message[name]}" for name in ("To", "Subject")))
        print()
        print("  " + body.replace("\n", "\n  ").rstrip())
        print()
        print(
            "  The program never sends it. Fill in the [bracketed] part, sleep on it for 24 hours, send it yourself."
        )
    print()
    program = invocation.program()
    config_arg = shlex.quote(str(config_path))
    print("Look around:")
    print(f"  {program} status --config {config_arg}")
    print(f"  {program} explain --config {config_arg} 2026-023     (why the Dutch invoice is not chased: the client disputes it)")
    print(f"  {program} scan --config {config_arg}    (a second pass adds nothing)")
    print(f"  {_look_at_drafts(directory / 'Maildir' / '.Drafts')}")
    return 0 if not report.errors else 2
