"""Invoice PDFs in the layouts of the tools freelancers use, each with the facts it states.

One job: make the benchmark's invoices (bench/invoices.py) and the test suite's layout
samples, at run time, from code: nothing binary is kept in the repository. Each layout
imitates how one tool (or an office template) places its labels and values: label left
and value right, label over value, a table header over a row of totals, totals with tax
and with IRPF withheld, distractors (order numbers, delivery dates, line totals), in es,
en and nl. Some carry Factur-X XML inside the PDF (as the tools that emit it do), with
printed text that alone would be misread; some go with UBL or Facturae XML attached to
the email.

The PDF writer is the demo's (``assistant.demo.pdf_file``): Helvetica text at given
positions, which pypdf's layout mode lays out again as rows and columns. Factur-X files
are embedded with pypdf's writer, the reader the assistant uses too.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field, replace
from datetime import UTC, date, timedelta
from decimal import Decimal
from email.message import EmailMessage
from email.utils import format_datetime

from assistant.demo import pdf_file

# ------------------------------------------------------------------------- PDF writing

# Helvetica advance widths (1/1000 em) for what invoices print; others count as 556.
_WIDTHS = {" ": 278, ".": 278, ",": 278, ":": 278, "-": 333, "/": 278, "(": 333, ")": 333, "%": 889, "#": 556}
_WIDTHS.update({c: 722 for c in "ABCDHKNRUVXY"})
_WIDTHS.update({c: 667 for c in "EPS"})
_WIDTHS.update({c: 778 for c in "GOQ"})
_WIDTHS.update({"F": 611, "T": 611, "Z": 611, "I": 278, "J": 500, "L": 556, "M": 833, "W": 944})
_WIDTHS.update({c: 222 for c in "ijl"})
_WIDTHS.update({c: 278 for c in "ft"})
_WIDTHS.update(
    {"m": 833, "w": 722, "r": 333, "c": 500, "k": 500, "s": 500, "v": 500, "x": 500, "y": 500, "z": 500}
)


def text_width(text: str, size: float) -> float:
    return sum(_WIDTHS.get(c, 556) for c in text) * size / 1000


@dataclass
class Page:
    """Text placed on an A4 page: ``at`` left-aligned, ``right`` right-aligned at x."""

    cells: list[tuple[float, float, str, float]] = field(default_factory=list)

    def at(self, x: float, y: float, text: str, size: float = 10) -> Page:
        self.cells.append((x, y, text, size))
        return self

    def right(self, x: float, y: float, text: str, size: float = 10) -> Page:
        return self.at(x - text_width(text, size), y, text, size)

    def pdf(self, *, embed: tuple[str, bytes] | None = None, by_word: bool = False) -> bytes:
        """The page as a PDF; ``by_word`` draws each word on its own, at its own position,
        as many PDF generators do (the reader must put the row together again)."""

        def escape(text: str) -> bytes:
            raw = text.encode("cp1252", errors="replace")
            return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")

        pieces = []
        for x, y, text, size in self.cells:
            if not by_word:
                pieces.append((x, y, text, size))
                continue
            for word in text.split(" "):
                pieces.append((x, y, word, size))
                x += text_width(word + " ", size)
        content = b" ".join(
            b"BT /F1 %.1f Tf %.2f %.2f Td (" % (size, x, y) + escape(text) + b") Tj ET"
            for x, y, text, size in pieces
        )
        data = pdf_file(
            [
                b"<< /Type /Catalog /Pages 2 0 R >>",
                b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
                b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
                b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
                b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
            ]
        )
        if embed is None:
            return data
        import pypdf

        writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(data)))
        writer.add_attachment(*embed)
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()


# ------------------------------------------------------------------------- formatting


def money(amount: Decimal, language: str, currency: str = "EUR", style: str = "after") -> str:
    """``amount`` as the language writes it: "1.210,00 €", "€1,210.00", "€ 1.210,00"."""
    whole, cents = f"{amount:.2f}".split(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    symbol = {"EUR": "€", "GBP": "£", "USD": "$"}[currency]
    group, point = (",", ".") if language == "en" else (".", ",")
    number = group.join(groups) + point + cents
    if style == "code":
        return f"{number} {currency}"
    if style == "plain":
        return number
    if style == "before":
        return f"{symbol} {number}" if language == "nl" else f"{symbol}{number}"
    return f"{number} {symbol}" if language != "en" else f"{symbol}{number}"


_MONTHS = {
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "en": "January February March April May June July August September October November December",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
}


def when(day: date, style: str, language: str = "en") -> str:
    month = _MONTHS[language].split()[day.month - 1]
    return {
        "dmy": f"{day.day:02d}/{day.month:02d}/{day.year}",
        "d-m-y": f"{day.day:02d}-{day.month:02d}-{day.year}",
        "iso": day.isoformat(),
        "long": {
            "es": f"{day.day} de {month} de {day.year}",
            "en": f"{day.day} {month} {day.year}",
            "nl": f"{day.day} {month} {day.year}",
        }[language],
        "short": f"{day.day} {month[:3]} {day.year}",
        "us-long": f"{month} {day.day}, {day.year}",
    }[style]


# ------------------------------------------------------------------------- samples


@dataclass(frozen=True)
class Expected:
    number: str
    amount: Decimal
    currency: str
    issue_date: date
    due_date: date


@dataclass(frozen=True)
class Sample:
    """One invoice as the freelancer sends it: the email bytes and the facts it states."""

    name: str  # "holded-es-1"
    tool: str
    language: str
    email: bytes
    expected: Expected
    einvoice: str = ""  # "Factur-X", "UBL", "Facturae" when the email carries one


@dataclass(frozen=True)
class Facts:
    number: str
    lines: tuple[tuple[str, Decimal], ...]  # description, net amount
    issued: date
    due_days: int
    vat: int = 21
    irpf: int = 0
    currency: str = "EUR"

    @property
    def net(self) -> Decimal:
        return sum((amount for _, amount in self.lines), Decimal(0))

    @property
    def tax(self) -> Decimal:
        return (self.net * self.vat / 100).quantize(Decimal("0.01"))

    @property
    def withheld(self) -> Decimal:
        return (self.net * self.irpf / 100).quantize(Decimal("0.01"))

    @property
    def total(self) -> Decimal:
        return self.net + self.tax

    @property
    def payable(self) -> Decimal:
        return self.total - self.withheld

    @property
    def due(self) -> date:
        return self.issued + timedelta(days=self.due_days)


SELLER = ("Lucía Romero", "Diseño y desarrollo web", "Calle Mayor 12, 28013 Madrid", "NIF 12345678Z")
CLIENTS = {
    "es": ("ACME Soluciones S.L.", "Marta López <marta@acme.example>", "Avenida de la Paz 45, 28002 Madrid"),
    "en": (
        "Brightside Media Ltd",
        "Oliver Hughes <oliver@bright.example>",
        "12 Baker Street, London W1U 3BW",
    ),
    "nl": ("Tulp Design B.V.", "Sanne de Vries <sanne@tulp.example>", "Keizersgracht 100, 1015 CV Amsterdam"),
}


def _head(page: Page, language: str, top: float = 790) -> None:
    page.at(56, top, SELLER[0], 14).at(56, top - 16, SELLER[1], 9).at(56, top - 28, SELLER[2], 9)
    page.at(56, top - 40, SELLER[3], 9)
    name, _, address = CLIENTS[language]
    page.at(56, top - 90, name, 10).at(56, top - 102, address, 9)


def _lines_table(page: Page, facts: Facts, language: str, y: float, headers: tuple[str, ...]) -> float:
    """Line items under ``headers`` (description, qty, price, amount); returns the y below."""
    page.at(56, y, headers[0], 9).right(360, y, headers[1], 9).right(450, y, headers[2], 9)
    page.right(540, y, headers[3], 9)
    for description, amount in facts.lines:
        y -= 16
        page.at(56, y, description, 9).right(360, y, "1", 9)
        page.right(450, y, money(amount, language, facts.currency, "plain"), 9)
        page.right(540, y, money(amount, language, facts.currency, "plain"), 9)
    return y - 28


def holded(facts: Facts, language: str) -> Page:
    """Holded: FACTURA title, label/value pairs top right, totals block with IRPF."""
    page = Page()
    _head(page, language)
    labels = {
        "es": (
            "FACTURA",
            "Nº factura",
            "Fecha",
            "Vencimiento",
            ("Concepto", "Unidades", "Precio", "Subtotal"),
            "Base imponible",
            f"IVA {facts.vat}%",
            f"IRPF {facts.irpf}%",
            "TOTAL",
        ),
        "en": (
            "INVOICE",
            "Invoice number",
            "Date",
            "Due date",
            ("Item", "Units", "Price", "Subtotal"),
            "Subtotal",
            f"VAT {facts.vat}%",
            f"IRPF {facts.irpf}%",
            "TOTAL",
        ),
    }[language]
    page.right(540, 790, labels[0], 16)
    page.at(380, 760, labels[1], 9).right(540, 760, facts.number, 9)
    page.at(380, 746, labels[2], 9).right(540, 746, when(facts.issued, "dmy"), 9)
    page.at(380, 732, labels[3], 9).right(540, 732, when(facts.due, "dmy"), 9)
    y = _lines_table(page, facts, language, 640, labels[4])
    page.at(380, y, labels[5], 9).right(540, y, money(facts.net, language), 9)
    page.at(380, y - 14, labels[6], 9).right(540, y - 14, money(facts.tax, language), 9)
    if facts.irpf:
        page.at(380, y - 28, labels[7], 9).right(540, y - 28, "-" + money(facts.withheld, language), 9)
    page.at(380, y - 46, labels[8], 11).right(540, y - 46, money(facts.payable, language), 11)
    return page


def billin(facts: Facts, language: str) -> Page:
    """Billin: a header row of labels over a row of values; totals as a table (the tax
    column right beside the total)."""
    page = Page()
    _head(page, language)
    page.at(56, 640, "FACTURA", 16)
    page.at(56, 610, "Nº FACTURA", 9).at(200, 610, "FECHA", 9).at(330, 610, "VENCIMIENTO", 9)
    page.at(56, 596, facts.number, 9).at(200, 596, when(facts.issued, "dmy"), 9)
    page.at(330, 596, when(facts.due, "dmy"), 9)
    y = _lines_table(page, facts, language, 560, ("Descripción", "Cantidad", "Precio", "Importe"))
    headers = (
        ["BASE IMPONIBLE", f"IVA {facts.vat}%"]
        + ([f"RETENCIÓN {facts.irpf}%"] if facts.irpf else [])
        + ["TOTAL"]
    )
    values = [facts.net, facts.tax] + ([facts.withheld] if facts.irpf else []) + [facts.payable]
    xs = [150, 260, 380, 540][-len(headers) :]
    for x, header, value in zip(xs, headers, values, strict=True):
        page.right(x, y, header, 9).right(x, y - 14, money(value, language), 9)
    return page


def quaderno(facts: Facts, language: str) -> Page:
    """Quaderno: "Invoice #" at the top, dates under their labels, "Total" with the code."""
    page = Page()
    words = {
        "en": (
            "Invoice",
            "Issue date",
            "Due date",
            "Bill to",
            ("Description", "Qty", "Unit price", "Amount"),
            "Subtotal",
            f"VAT ({facts.vat}%)",
            "Total",
        ),
        "es": (
            "Factura",
            "Fecha de emisión",
            "Fecha de vencimiento",
            "Facturar a",
            ("Descripción", "Cant.", "Precio", "Importe"),
            "Subtotal",
            f"IVA ({facts.vat}%)",
            "Total",
        ),
        "nl": (
            "Factuur",
            "Factuurdatum",
            "Vervaldatum",
            "Aan",
            ("Omschrijving", "Aantal", "Prijs", "Bedrag"),
            "Subtotaal",
            f"Btw ({facts.vat}%)",
            "Totaal",
        ),
    }[language]
    page.at(56, 790, f"{words[0]} #{facts.number}", 18)
    page.at(56, 760, words[1], 9).at(200, 760, words[2], 9)
    page.at(56, 746, when(facts.issued, "long", language), 9).at(
        200, 746, when(facts.due, "long", language), 9
    )
    page.at(380, 760, SELLER[0], 10).at(380, 746, SELLER[2], 8)
    page.at(56, 710, words[3], 9).at(56, 696, CLIENTS[language][0], 10)
    y = _lines_table(page, facts, language, 650, words[4])
    page.at(380, y, words[5], 9).right(540, y, money(facts.net, language, style="code"), 9)
    page.at(380, y - 14, words[6], 9).right(540, y - 14, money(facts.tax, language, style="code"), 9)
    page.at(380, y - 32, words[7], 12).right(540, y - 32, money(facts.total, language, style="code"), 12)
    return page


def moneybird(facts: Facts, language: str) -> Page:
    """Moneybird: Factuur block with label/value pairs; "binnen 14 dagen" in the footer, no
    due date printed."""
    page = Page()
    _head(page, language)
    page.at(56, 640, "Factuur" if language == "nl" else "Invoice", 18)
    pairs = (
        (("Factuurnummer", facts.number), ("Factuurdatum", when(facts.issued, "d-m-y")))
        if language == "nl"
        else (("Invoice number", facts.number), ("Invoice date", when(facts.issued, "d-m-y")))
    )
    y = 612
    for label, value in pairs:
        page.at(56, y, label, 9).at(160, y, value, 9)
        y -= 14
    headers = (
        ("Omschrijving", "Aantal", "Prijs", "Bedrag")
        if language == "nl"
        else ("Description", "Quantity", "Price", "Amount")
    )
    y = _lines_table(page, facts, "nl", 560, headers)
    rows = (
        (("Subtotaal", facts.net), (f"{facts.vat}% btw", facts.tax), ("Totaal", facts.total))
        if language == "nl"
        else (("Subtotal", facts.net), (f"{facts.vat}% VAT", facts.tax), ("Total", facts.total))
    )
    for label, value in rows:
        page.at(380, y, label, 9).right(540, y, money(value, "nl", style="before"), 9)
        y -= 14
    footer = (
        f"Wij verzoeken u vriendelijk het totaalbedrag binnen {facts.due_days} dagen over te maken"
        if language == "nl"
        else f"Please pay the total amount within {facts.due_days} days"
    )
    page.at(56, 120, footer, 8).at(56, 108, "IBAN NL91 ABNA 0417 1643 00 t.n.v. Lucía Romero", 8)
    return page


def jortt(facts: Facts, language: str) -> Page:
    """Jortt: "Factuurnr.", long Dutch dates, "Te betalen voor", totals excl./incl. btw."""
    page = Page()
    _head(page, language)
    page.right(540, 790, "FACTUUR", 16)
    page.at(360, 760, "Factuurnr.:", 9).at(450, 760, facts.number, 9)
    page.at(360, 746, "Datum:", 9).at(450, 746, when(facts.issued, "long", "nl"), 9)
    page.at(360, 732, "Te betalen voor:", 9).at(450, 732, when(facts.due, "long", "nl"), 9)
    page.at(360, 718, "Uw referentie:", 9).at(450, 718, "PO-4471", 9)
    y = _lines_table(page, facts, "nl", 640, ("Omschrijving", "Aantal", "Tarief", "Bedrag"))
    page.at(360, y, "Totaal excl. btw", 9).right(540, y, money(facts.net, "nl", style="before"), 9)
    page.at(360, y - 14, f"Btw {facts.vat}%", 9).right(540, y - 14, money(facts.tax, "nl", style="before"), 9)
    page.at(360, y - 30, "Totaal incl. btw", 10).right(
        540, y - 30, money(facts.total, "nl", style="before"), 10
    )
    return page


def eboekhouden(facts: Facts, language: str) -> Page:
    """e-Boekhouden: a label column left, values far right; terms stated, no due date."""
    page = Page()
    _head(page, language)
    page.at(56, 650, "FACTUUR", 16)
    page.at(56, 620, "Factuurnummer", 9).right(300, 620, facts.number, 9)
    page.at(56, 606, "Factuurdatum", 9).right(300, 606, when(facts.issued, "d-m-y"), 9)
    page.at(56, 592, "Klantnummer", 9).right(300, 592, "10023", 9)
    page.at(56, 578, "Betalingstermijn", 9).right(300, 578, f"{facts.due_days} dagen", 9)
    y = _lines_table(page, facts, "nl", 540, ("Omschrijving", "Aantal", "Prijs", "Totaal"))
    page.at(330, y, "Subtotaal", 9).right(540, y, money(facts.net, "nl", style="plain"), 9)
    page.at(330, y - 14, f"BTW {facts.vat}%", 9).right(540, y - 14, money(facts.tax, "nl", style="plain"), 9)
    page.at(330, y - 30, "Te betalen", 10).right(540, y - 30, money(facts.total, "nl", style="before"), 10)
    return page


def freshbooks(facts: Facts, language: str) -> Page:
    """FreshBooks: labels over values in columns; "Amount Due (EUR)" big on the right."""
    page = Page()
    page.at(56, 790, SELLER[0], 14).at(56, 776, SELLER[2], 9)
    page.at(56, 720, "Billed To", 9).at(56, 706, CLIENTS[language][0], 9)
    page.at(200, 720, "Date of Issue", 9).at(200, 706, when(facts.issued, "dmy"), 9)
    page.at(200, 686, "Due Date", 9).at(200, 672, when(facts.due, "dmy"), 9)
    page.at(320, 720, "Invoice Number", 9).at(320, 706, facts.number, 9)
    page.at(320, 686, "Reference", 9).at(320, 672, "2026-PO-7", 9)
    page.right(540, 720, "Amount Due (EUR)", 9).right(540, 700, money(facts.total, language), 16)
    y = _lines_table(page, facts, language, 620, ("Description", "Qty", "Rate", "Line Total"))
    for label, value in (
        ("Subtotal", facts.net),
        ("Tax", facts.tax),
        ("Total", facts.total),
        ("Amount Paid", 0),
    ):
        page.right(450, y, label, 9).right(540, y, money(Decimal(value), language, style="plain"), 9)
        y -= 14
    page.right(450, y - 6, "Amount Due (EUR)", 10).right(540, y - 6, money(facts.total, language), 10)
    return page


def invoice_ninja(facts: Facts, language: str) -> Page:
    """Invoice Ninja: a details block with a PO number, then "Balance Due"."""
    page = Page()
    _head(page, language)
    page.at(330, 760, "Invoice Number:", 9).at(440, 760, facts.number, 9)
    page.at(330, 746, "PO Number:", 9).at(440, 746, "7781", 9)
    page.at(330, 732, "Invoice Date:", 9).at(440, 732, when(facts.issued, "iso"), 9)
    page.at(330, 718, "Due Date:", 9).at(440, 718, when(facts.due, "iso"), 9)
    page.at(330, 704, "Balance Due:", 9).at(440, 704, money(facts.total, language), 9)
    y = _lines_table(page, facts, language, 620, ("Item", "Quantity", "Unit Cost", "Line Total"))
    rows = (("Subtotal", facts.net), ("Tax", facts.tax), ("Total", facts.total), ("Paid to Date", Decimal(0)))
    for label, value in rows:
        page.at(380, y, label, 9).right(540, y, money(value, language), 9)
        y -= 14
    page.at(380, y - 6, "Balance Due", 11).right(540, y - 6, money(facts.total, language), 11)
    return page


def zoho(facts: Facts, language: str) -> Page:
    """Zoho Invoice: TAX INVOICE, "# INV-000017", Balance Due under its label, Terms: Net 30."""
    page = Page()
    _head(page, language)
    page.right(540, 790, "TAX INVOICE", 18).right(540, 772, f"# {facts.number}", 10)
    page.right(540, 752, "Balance Due", 9).right(540, 738, money(facts.total, language), 12)
    page.at(330, 700, "Invoice Date :", 9).right(540, 700, when(facts.issued, "short"), 9)
    page.at(330, 686, "Terms :", 9).right(540, 686, f"Net {facts.due_days}", 9)
    page.at(330, 672, "Due Date :", 9).right(540, 672, when(facts.due, "short"), 9)
    y = _lines_table(page, facts, language, 620, ("Item & Description", "Qty", "Rate", "Amount"))
    for label, value in (
        ("Sub Total", facts.net),
        (f"Tax ({facts.vat}%)", facts.tax),
        ("Total", facts.total),
    ):
        page.right(450, y, label, 9).right(540, y, money(value, language), 9)
        y -= 14
    page.right(450, y, "Balance Due", 10).right(540, y, money(facts.total, language), 10)
    return page


def xero(facts: Facts, language: str) -> Page:
    """Xero: a right column of labels each over its value; TOTAL EUR; due date in the footer."""
    page = Page()
    page.at(56, 790, "TAX INVOICE", 20)
    page.at(56, 760, CLIENTS[language][0], 9).at(56, 748, CLIENTS[language][2], 8)
    page.at(300, 760, "Invoice Date", 8).at(300, 748, when(facts.issued, "short"), 9)
    page.at(300, 730, "Invoice Number", 8).at(300, 718, facts.number, 9)
    page.at(300, 700, "Reference", 8).at(300, 688, "4500012345", 9)
    page.at(420, 760, SELLER[0], 9).at(420, 748, SELLER[2][:22], 8)
    headers = ("Description", "Quantity", "Unit Price", "Amount EUR")
    y = _lines_table(page, facts, language, 640, headers)
    page.right(450, y, "Subtotal", 9).right(540, y, money(facts.net, language, style="plain"), 9)
    page.right(450, y - 14, f"TOTAL VAT {facts.vat}%", 9).right(
        540, y - 14, money(facts.tax, language, style="plain"), 9
    )
    page.right(450, y - 30, "TOTAL EUR", 10).right(
        540, y - 30, money(facts.total, language, style="plain"), 10
    )
    page.at(56, y - 80, f"Due Date: {when(facts.due, 'short')}", 10)
    return page


def wave(facts: Facts, language: str) -> Page:
    """Wave: INVOICE, a details block with P.O./S.O. number and Payment Due, Amount Due (EUR)."""
    page = Page()
    page.right(540, 790, "INVOICE", 20).right(540, 772, SELLER[0], 10)
    page.at(56, 720, "BILL TO", 8).at(56, 708, CLIENTS[language][0], 10)
    rows = (
        ("Invoice Number:", facts.number),
        ("P.O./S.O. Number:", "12"),
        ("Invoice Date:", when(facts.issued, "us-long")),
        ("Payment Due:", when(facts.due, "us-long")),
        ("Amount Due (EUR):", money(facts.total, language)),
    )
    y = 720
    for label, value in rows:
        page.right(430, y, label, 9).right(540, y, value, 9)
        y -= 14
    y = _lines_table(page, facts, language, 600, ("Items", "Quantity", "Price", "Amount"))
    page.right(450, y, "Subtotal:", 9).right(540, y, money(facts.net, language), 9)
    page.right(450, y - 14, f"VAT {facts.vat}%:", 9).right(540, y - 14, money(facts.tax, language), 9)
    page.right(450, y - 28, "Total:", 9).right(540, y - 28, money(facts.total, language), 9)
    page.right(450, y - 46, "Amount Due (EUR):", 10).right(540, y - 46, money(facts.total, language), 10)
    return page


def office(facts: Facts, language: str) -> Page:
    """A word-processor template: number and date on one row, terms in a sentence, the
    grand total last ("TOTAL FACTURA" after IRPF; "Total incl. VAT"; "Totaal incl. btw")."""
    page = Page()
    _head(page, language)
    words = {
        "es": (
            "FACTURA Nº:",
            "Fecha:",
            "Forma de pago: transferencia bancaria a {d} días",
            ("Concepto", "Cantidad", "Precio", "Importe"),
            "Base imponible",
            f"IVA ({facts.vat}%)",
            f"Retención IRPF ({facts.irpf}%)",
            "TOTAL FACTURA",
        ),
        "en": (
            "Invoice No.",
            "Date:",
            "Payment terms: {d} days",
            ("Description", "Qty", "Price", "Amount"),
            "Net total",
            f"VAT {facts.vat}%",
            "",
            "Total incl. VAT",
        ),
        "nl": (
            "Factuurnummer:",
            "Datum:",
            "Gelieve binnen {d} dagen te betalen",
            ("Omschrijving", "Aantal", "Prijs", "Bedrag"),
            "Subtotaal",
            f"BTW {facts.vat}%",
            "",
            "Totaal incl. btw",
        ),
    }[language]
    page.at(56, 650, words[0], 11).at(160, 650, facts.number, 11)
    page.at(330, 650, words[1], 11).at(380, 650, when(facts.issued, "long", language), 11)
    y = _lines_table(page, facts, language, 600, words[3])
    page.at(330, y, words[4], 10).right(540, y, money(facts.net, language), 10)
    page.at(330, y - 14, words[5], 10).right(540, y - 14, money(facts.tax, language), 10)
    if facts.irpf and words[6]:
        page.at(330, y - 28, words[6], 10).right(540, y - 28, "-" + money(facts.withheld, language), 10)
    amount = facts.payable if words[6] else facts.total
    page.at(330, y - 46, words[7], 11).right(540, y - 46, money(amount, language), 11)
    page.at(56, y - 90, words[2].format(d=facts.due_days), 9)
    return page


# ------------------------------------------------------------------------- e-invoices


def factur_x(facts: Facts, buyer: str) -> bytes:
    """Factur-X (EN 16931 profile) XML for ``facts``."""
    ns = (
        'xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" '
        'xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100" '
        'xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"'
    )
    day = facts.issued.strftime("%Y%m%d")
    due = facts.due.strftime("%Y%m%d")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice {ns}>
  <rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter>
    <ram:ID>urn:cen.eu:en16931:2017</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument><ram:ID>{facts.number}</ram:ID><ram:TypeCode>380</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">{day}</udt:DateTimeString></ram:IssueDateTime>
  </rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>
    <ram:ApplicableHeaderTradeAgreement>
      <ram:SellerTradeParty><ram:Name>{SELLER[0]}</ram:Name></ram:SellerTradeParty>
      <ram:BuyerTradeParty><ram:Name>{buyer}</ram:Name></ram:BuyerTradeParty>
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:InvoiceCurrencyCode>{facts.currency}</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradePaymentTerms>
        <ram:DueDateDateTime><udt:DateTimeString format="102">{due}</udt:DateTimeString></ram:DueDateDateTime>
      </ram:SpecifiedTradePaymentTerms>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <ram:LineTotalAmount>{facts.net:.2f}</ram:LineTotalAmount>
        <ram:TaxBasisTotalAmount>{facts.net:.2f}</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="{facts.currency}">{facts.tax:.2f}</ram:TaxTotalAmount>
        <ram:GrandTotalAmount>{facts.total:.2f}</ram:GrandTotalAmount>
        <ram:DuePayableAmount>{facts.payable:.2f}</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
""".encode()


def ubl(facts: Facts, buyer: str) -> bytes:
    """A UBL 2.1 invoice (Peppol BIS Billing 3.0 shape) for ``facts``."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0</cbc:CustomizationID>
  <cbc:ID>{facts.number}</cbc:ID>
  <cbc:IssueDate>{facts.issued.isoformat()}</cbc:IssueDate>
  <cbc:DueDate>{facts.due.isoformat()}</cbc:DueDate>
  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
  <cbc:DocumentCurrencyCode>{facts.currency}</cbc:DocumentCurrencyCode>
  <cac:AccountingCustomerParty><cac:Party>
    <cac:PartyLegalEntity><cbc:RegistrationName>{buyer}</cbc:RegistrationName></cac:PartyLegalEntity>
  </cac:Party></cac:AccountingCustomerParty>
  <cac:LegalMonetaryTotal>
    <cbc:LineExtensionAmount currencyID="{facts.currency}">{facts.net:.2f}</cbc:LineExtensionAmount>
    <cbc:TaxExclusiveAmount currencyID="{facts.currency}">{facts.net:.2f}</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="{facts.currency}">{facts.total:.2f}</cbc:TaxInclusiveAmount>
    <cbc:PayableAmount currencyID="{facts.currency}">{facts.payable:.2f}</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
</Invoice>
""".encode()


def facturae(facts: Facts, buyer: str, series: str = "") -> bytes:
    """A Facturae 3.2.2 file (unsigned) for ``facts``; ``series`` splits the number."""
    number = facts.number[len(series) :] if series else facts.number
    series_xml = f"<InvoiceSeriesCode>{series}</InvoiceSeriesCode>" if series else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<fe:Facturae xmlns:fe="http://www.facturae.gob.es/formato/Versiones/Facturaev3_2_2.xml">
  <FileHeader><SchemaVersion>3.2.2</SchemaVersion><Modality>I</Modality><InvoiceIssuerType>EM</InvoiceIssuerType>
    <Batch><BatchIdentifier>12345678Z{facts.number}</BatchIdentifier><InvoicesCount>1</InvoicesCount>
      <InvoiceCurrencyCode>EUR</InvoiceCurrencyCode></Batch></FileHeader>
  <Parties>
    <SellerParty><Individual><Name>Lucía</Name><FirstSurname>Romero</FirstSurname></Individual></SellerParty>
    <BuyerParty><LegalEntity><CorporateName>{buyer}</CorporateName></LegalEntity></BuyerParty>
  </Parties>
  <Invoices><Invoice>
    <InvoiceHeader><InvoiceNumber>{number}</InvoiceNumber>{series_xml}
      <InvoiceDocumentType>FC</InvoiceDocumentType><InvoiceClass>OO</InvoiceClass></InvoiceHeader>
    <InvoiceIssueData><IssueDate>{facts.issued.isoformat()}</IssueDate>
      <InvoiceCurrencyCode>EUR</InvoiceCurrencyCode><TaxCurrencyCode>EUR</TaxCurrencyCode>
      <LanguageName>es</LanguageName></InvoiceIssueData>
    <InvoiceTotals>
      <TotalGrossAmount>{facts.net:.2f}</TotalGrossAmount>
      <TotalGrossAmountBeforeTaxes>{facts.net:.2f}</TotalGrossAmountBeforeTaxes>
      <TotalTaxOutputs>{facts.tax:.2f}</TotalTaxOutputs>
      <TotalTaxesWithheld>{facts.withheld:.2f}</TotalTaxesWithheld>
      <InvoiceTotal>{facts.payable:.2f}</InvoiceTotal>
      <TotalOutstandingAmount>{facts.payable:.2f}</TotalOutstandingAmount>
      <TotalExecutableAmount>{facts.payable:.2f}</TotalExecutableAmount>
    </InvoiceTotals>
    <PaymentDetails><Installment><InstallmentDueDate>{facts.due.isoformat()}</InstallmentDueDate>
      <InstallmentAmount>{facts.payable:.2f}</InstallmentAmount><PaymentMeans>04</PaymentMeans></Installment>
    </PaymentDetails>
  </Invoice></Invoices>
</fe:Facturae>
""".encode()


# ------------------------------------------------------------------------- emails


def invoice_email(
    *,
    language: str,
    pdf: bytes | None,
    filename: str,
    subject: str,
    body: str,
    sent: date,
    message_id: str,
    xml: tuple[str, bytes] | None = None,
    nameless: bool = False,
) -> bytes:
    """The email in Sent that carries the invoice (the PDF nameless when asked)."""
    from datetime import datetime, time

    message = EmailMessage()
    message["From"] = "Lucía Romero <lucia@freelancer.example>"
    message["To"] = CLIENTS[language][1]
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.combine(sent, time(10, 30), tzinfo=UTC))
    message["Message-ID"] = message_id
    message.set_content(body)
    if pdf is not None:
        message.add_attachment(pdf, maintype="application", subtype="pdf", filename=filename)
        if nameless:
            part = list(message.iter_attachments())[-1]
            del part["Content-Disposition"]
    if xml is not None:
        # A signed Facturae (".xsig") travels as application/octet-stream.
        subtype = "octet-stream" if xml[0].endswith(".xsig") else "xml"
        message.add_attachment(xml[1], maintype="application", subtype=subtype, filename=xml[0])
    return message.as_bytes()


_SUBJECTS = {
    "es": ("Factura de {month}", "Te envío la factura de {month}. ¡Gracias!"),
    "en": ("Your invoice for {month}", "Please find attached my invoice for {month}. Thanks!"),
    "nl": ("Factuur {month}", "Hierbij de factuur voor {month}. Bedankt!"),
}
# (tool, layout, languages): every tool in the languages it prints.
LAYOUTS = (
    ("Holded", holded, ("es", "en")),
    ("Billin", billin, ("es",)),
    ("Quaderno", quaderno, ("en", "es", "nl")),
    ("Moneybird", moneybird, ("nl", "en")),
    ("Jortt", jortt, ("nl",)),
    ("e-Boekhouden", eboekhouden, ("nl",)),
    ("FreshBooks", freshbooks, ("en",)),
    ("Invoice Ninja", invoice_ninja, ("en",)),
    ("Zoho Invoice", zoho, ("en",)),
    ("Xero", xero, ("en",)),
    ("Wave", wave, ("en",)),
    ("office", office, ("es", "en", "nl")),
)
# Numbers as the tools number: series, years, letters first (NOV- must keep its N).
NUMBERS = (
    "F2026-0045", "NOV-12", "2026/014", "INV-000017", "0000123", "J-1043", "2026.117", "A-23",
    "31", "FAC-2026-12", "2026-0012", "N-0077", "INV-0071", "E26-118", "2026003",
)  # fmt: skip
AMOUNTS = (
    Decimal("1000.00"), Decimal("263.64"), Decimal("2450.50"), Decimal("480.00"), Decimal("12500.00"),
    Decimal("89.90"), Decimal("1500.00"), Decimal("733.33"),
)  # fmt: skip


def samples(first_day: date = date(2026, 3, 2)) -> list[Sample]:
    """The benchmark's invoices: every layout in each of its languages, in two variants
    (one with IRPF withheld where Spanish), plus Factur-X, UBL and Facturae ones."""
    out: list[Sample] = []
    index = 0
    for tool, layout, languages in LAYOUTS:
        for language in languages:
            for variant in range(2):
                index += 1
                issued = first_day + timedelta(days=index * 3)
                facts = Facts(
                    number=NUMBERS[index % len(NUMBERS)] + (str(index) if index >= len(NUMBERS) else ""),
                    lines=(
                        ("Diseño web" if language == "es" else "Web design", AMOUNTS[index % len(AMOUNTS)]),
                    )
                    + (
                        (("Mantenimiento" if language == "es" else "Maintenance", Decimal("120.00")),)
                        if variant
                        else ()
                    ),
                    issued=issued,
                    due_days=(14, 30)[variant],
                    irpf=15
                    if (language == "es" and variant == 1 and tool in ("Holded", "Billin", "office"))
                    else 0,
                )
                # The second variant draws word by word, as many generators do.
                page = layout(facts, language)
                out.append(
                    _sample(
                        f"{tool.lower().replace(' ', '-')}-{language}-{variant + 1}",
                        tool,
                        language,
                        None,
                        facts,
                        pdf=page.pdf(by_word=variant == 1),
                    )
                )
    # Factur-X inside the PDF, with a printed page that says otherwise.
    for n, (language, layout) in enumerate((("es", holded), ("en", xero), ("nl", moneybird), ("en", zoho))):
        issued = first_day + timedelta(days=40 + n)
        facts = Facts(
            number=f"FX-2026-{n + 1:03d}",
            lines=(("Consulting", Decimal("800.00") + n),),
            issued=issued,
            due_days=21,
            irpf=15 if language == "es" else 0,
        )
        # What the page prints disagrees with the data: a "Total" before tax, another number
        # in the title, no dates. The XML must win.
        page = Page().at(56, 790, SELLER[0], 14).at(56, 740, f"Factura PRO-{n + 1}", 12)
        page.at(56, 700, "Factur-X", 9)
        page.at(56, 680, "Total", 9).right(300, 680, money(facts.net, language), 9)
        pdf = page.pdf(embed=("factur-x.xml", factur_x(facts, CLIENTS[language][0])))
        out.append(
            _sample(
                f"factur-x-{language}-{n + 1}",
                "Factur-X",
                language,
                None,
                facts,
                pdf=pdf,
                einvoice="Factur-X",
            )
        )
        # Printed properly and embedded: data and print agree.
        facts = replace(facts, number=f"FXP-2026-{n + 1:03d}")
        pdf = layout(facts, language).pdf(embed=("factur-x.xml", factur_x(facts, CLIENTS[language][0])))
        out.append(
            _sample(
                f"factur-x-printed-{language}-{n + 1}",
                "Factur-X",
                language,
                None,
                facts,
                pdf=pdf,
                einvoice="Factur-X",
            )
        )
    for n, language in enumerate(("nl", "en")):
        facts = Facts(
            number=f"UBL-{2026}{n + 7:03d}",
            lines=(("Hosting", Decimal("240.00")),),
            issued=first_day + timedelta(days=50 + n),
            due_days=30,
        )
        out.append(
            _sample(
                f"ubl-{language}",
                "UBL",
                language,
                quaderno(facts, language),
                facts,
                xml=("invoice.xml", ubl(facts, CLIENTS[language][0])),
                einvoice="UBL",
            )
        )
    facts = Facts(
        number="B2026-0031",
        lines=(("Desarrollo", Decimal("1500.00")),),
        issued=first_day + timedelta(days=55),
        due_days=30,
        irpf=15,
    )
    out.append(
        _sample(
            "facturae-es",
            "Facturae",
            "es",
            office(facts, "es"),
            facts,
            xml=("B2026-0031.xsig", facturae(facts, CLIENTS["es"][0], series="B")),
            einvoice="Facturae",
        )
    )
    return out


def _sample(name, tool, language, page, facts: Facts, *, pdf=None, xml=None, einvoice="") -> Sample:
    month = _MONTHS[language].split()[facts.issued.month - 1]
    subject, body = (s.format(month=month) for s in _SUBJECTS[language])
    data = pdf if pdf is not None else page.pdf()
    email = invoice_email(
        language=language,
        pdf=data,
        filename="document.pdf",
        subject=subject,
        body=body,
        sent=facts.issued,
        message_id=f"<{name}@freelancer.example>",
        xml=xml,
        # Some mail clients and tools attach the PDF with no file name at all.
        nameless=name.endswith("-2") and language != "en",
    )
    return Sample(
        name=name,
        tool=tool,
        language=language,
        email=email,
        expected=Expected(
            number=facts.number,
            amount=facts.payable,
            currency=facts.currency,  # EUR, also for the client whose default is GBP
            issue_date=facts.issued,
            due_date=facts.due,
        ),
        einvoice=einvoice,
    )
