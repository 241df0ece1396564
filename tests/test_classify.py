"""Classification: which emails in Sent are invoices, and what they say (es, en, nl)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from assistant.adapters.parse import parse_header, parse_mail
from assistant.demo import invoice_pdf
from assistant.domain.classify import classify_sent, is_candidate
from assistant.domain.model import FolderRole, Money
from tests.support.world import TZ, invoice_email, rules

TODAY = date(2026, 3, 20)


@pytest.fixture
def world(tmp_path):
    return rules(tmp_path)


def classify(world, data: bytes):
    return classify_sent(parse_mail(data), world, tz=TZ, seen_on=TODAY)


def test_a_spanish_invoice_with_an_explicit_due_date(world):
    seen = classify(
        world,
        invoice_email(
            subject="Factura F-2026-003 – Rediseño web",
            body="Hola Marta:\n\nAdjunto la factura.\n\nImporte total: 1.210,00 €\nFecha: 02/03/2026\nFecha de vencimiento: 30 de marzo de 2026\n",
            filename="F-2026-003.pdf",
            pdf_lines=("FACTURA F-2026-003",),
        ),
    )
    invoice = seen.invoice
    assert (invoice.client, invoice.number) == ("acme", "F-2026-003")
    assert invoice.amount == Money(amount=Decimal("1210.00"), currency="EUR")
    assert invoice.issue_date == date(2026, 3, 2)
    assert invoice.due_date == date(2026, 3, 30)  # the explicit date wins over 14 days of terms
    assert seen.attachment.filename == "F-2026-003.pdf"


def test_an_english_invoice_gets_the_clients_net_30_terms(world):
    seen = classify(
        world,
        invoice_email(
            to="Oliver Hughes <oliver@bright.example>",
            subject="Invoice #INV-0042 for March",
            body="Hi Oliver,\n\nPlease find attached my invoice.\n\nInvoice date: 2 March 2026\nAmount due: £2,400.00\n",
            filename="invoice-INV-0042.pdf",
            pdf_lines=("INVOICE INV-0042", "Amount due: £2,400.00"),
        ),
    )
    invoice = seen.invoice
    assert (invoice.client, invoice.number) == ("bright", "INV-0042")
    assert invoice.amount == Money(amount=Decimal("2400.00"), currency="GBP")
    assert invoice.due_date == date(2026, 4, 1)  # 2 March + 30 days


def test_a_dutch_invoice_recognised_by_its_attachment_name_with_facts_from_the_pdf(world):
    seen = classify(
        world,
        invoice_email(
            to="Sanne de Vries <sanne@tulp.example>",
            subject="Project update",
            body="Beste Sanne,\n\nZie bijlage.\n",
            filename="Factuur 2026-017.pdf",
            pdf_lines=("FACTUUR 2026-017", "Factuurdatum: 05-03-2026", "Totaal: € 850,00"),
        ),
    )
    invoice = seen.invoice
    assert (invoice.client, invoice.number) == ("tulp", "2026-017")
    assert invoice.amount == Money(amount=Decimal("850.00"), currency="EUR")
    assert invoice.issue_date == date(2026, 3, 5)
    assert invoice.due_date == date(2026, 3, 19)


def test_an_invoice_recognised_by_its_body_takes_the_number_from_the_body(world):
    seen = classify(
        world,
        invoice_email(
            subject="Proyecto web",
            body="Hola,\n\nte envío la factura nº 2026-020 del proyecto.\n",
            filename="documento.pdf",
            pdf_lines=("Gracias por su confianza",),  # a PDF that prints no number
        ),
    )
    assert seen.invoice.number == "2026-020"


def test_the_number_can_come_from_the_pdf_alone(world):
    seen = classify(
        world,
        invoice_email(
            to="oliver@bright.example",
            subject="Invoice",
            body="see attached invoice\n",
            filename="scan.pdf",
            pdf_lines=("INVOICE NUMBER: 77-B", "Total due: $1,200.00"),
        ),
    )
    assert seen.invoice.number == "77-B"
    assert seen.invoice.amount == Money(amount=Decimal("1200.00"), currency="USD")


def test_without_a_number_the_invoice_still_gets_a_stable_key(world):
    data = invoice_email(
        subject="Factura",
        body="Adjunto factura.\n",
        filename="doc.pdf",
        pdf_lines=("Gracias",),
        message_id="<n@x>",
    )
    first, second = classify(world, data), classify(world, data)
    assert first.invoice.number.startswith("MAIL-") and first.invoice.number == second.invoice.number


def test_an_impossible_explicit_due_date_is_ignored(world):
    seen = classify(
        world, invoice_email(body="Factura 2026-001\nFecha: 02/03/2026\nVencimiento: 01/01/2026\n")
    )
    assert seen.invoice.due_date == date(2026, 3, 16)


def test_without_an_issue_date_the_day_it_was_sent_counts_in_the_freelancers_time_zone(world):
    late_evening_utc = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # already 2 March in Madrid
    seen = classify(world, invoice_email(body="Factura adjunta.\n", sent=late_evening_utc))
    assert seen.invoice.issue_date == date(2026, 3, 2)


@pytest.mark.parametrize(
    ("to", "client"),
    [
        ("Marta <marta@acme.example>", "acme"),
        ("facturas@billing.acme.example", "acme"),  # a subdomain of a client domain
        ("accounts@bright-billing.example", "bright"),  # an extra address of the client
    ],
)
def test_the_client_is_found_by_contact_address_or_domain(world, to, client):
    assert classify(world, invoice_email(to=to)).invoice.client == client


@pytest.mark.parametrize(
    "data",
    [
        invoice_email(to="Pablo <pablo@friends.example>"),  # not a client
        invoice_email(pdf_lines=()),  # no PDF
        invoice_email(subject="Fotos del evento", body="Aquí van.", filename="fotos.pdf"),  # no invoice words
    ],
    ids=["not-a-client", "no-pdf", "not-an-invoice"],
)
def test_mail_that_is_not_an_invoice_is_not_one(world, data):
    assert classify(world, data) is None


def test_our_own_reminders_coming_back_through_sent_are_not_new_invoices(world):
    data = invoice_email(subject="Re: Factura 2026-001").replace(
        b"Subject:", b"X-Freelance-Assistant-Key: invoice/acme/2026-001/first-reminder\nSubject:", 1
    )
    assert classify(world, data) is None
    assert is_candidate(parse_header(data), FolderRole.SENT, world)


def test_only_mail_to_clients_is_fetched_in_full(world):
    assert is_candidate(parse_header(invoice_email()), FolderRole.SENT, world)
    assert not is_candidate(parse_header(invoice_email(to="x@elsewhere.example")), FolderRole.SENT, world)
    pdf = invoice_pdf(["x"])
    assert not is_candidate(
        parse_header(invoice_email(to="y@elsewhere.example", pdf=pdf)), FolderRole.SENT, world
    )


# --------------------------------------------------------------------------- what was read, and where


def test_each_fact_says_where_it_was_read_and_what_was_guessed(world):
    seen = classify(
        world,
        invoice_email(
            subject="Factura 2026-001",
            body="Te envío la factura.\n",
            pdf_lines=("FACTURA 2026-001", "Total: 1.210,00 €"),
        ),
    )
    invoice = seen.invoice
    assert dict(invoice.read_from) == {
        "number": "subject",
        "amount": "PDF label",
        "issue_date": "date sent",
        "due_date": "client's terms",
    }
    assert invoice.guessed == ("issue_date", "due_date")


def test_terms_printed_on_the_invoice_give_the_due_date(world):
    seen = classify(
        world,
        invoice_email(
            body="Te envío la factura.\n",
            pdf_lines=("FACTURA 2026-001", "Fecha: 02/03/2026", "Forma de pago: transferencia a 30 días"),
        ),
    )
    assert seen.invoice.due_date == date(2026, 4, 1)  # not the client's 14 days
    assert seen.invoice.source_of("due_date") == "terms on the invoice"


def _einvoice_email(world, *, printed: tuple[str, ...], **facts):
    from bench.invoice_pdfs import Facts, Page, factur_x

    fx = Facts(
        number=facts.get("number", "FX-2026-007"),
        lines=(("Diseño", Decimal("1000.00")),),
        issued=date(2026, 3, 3),
        due_days=21,
        irpf=15,
    )
    page = Page()
    for i, line in enumerate(printed):
        page.at(56, 760 - 14 * i, line)
    return invoice_email(
        subject="Factura de marzo",
        body="Adjunto la factura.\n",
        filename="doc.pdf",
        pdf=page.pdf(embed=("factur-x.xml", factur_x(fx, "ACME"))),
    )


def test_an_embedded_factur_x_wins_over_the_printed_text(world):
    seen = classify(
        world, _einvoice_email(world, printed=("FACTURA FX-9999", "Fecha: 01/01/2026", "Total: 1.210,00 €"))
    )
    invoice = seen.invoice
    assert invoice.number == "FX-2026-007"
    assert invoice.amount == Money(amount=Decimal("1060.00"), currency="EUR")  # after IRPF, as the XML says
    assert (invoice.issue_date, invoice.due_date) == (date(2026, 3, 3), date(2026, 3, 24))
    assert {source for _, source in invoice.read_from} == {"e-invoice XML"}
    assert seen.attachment.filename == "doc.pdf"  # the PDF is what reminders re-attach


def test_a_ubl_invoice_attached_without_a_pdf_is_an_invoice(world):
    from email.message import EmailMessage

    from bench.invoice_pdfs import Facts, ubl

    facts = Facts(
        number="2026-0099", lines=(("Hosting", Decimal("100.00")),), issued=date(2026, 3, 4), due_days=30
    )
    message = EmailMessage()
    message["From"] = "Lucía <lucia@freelancer.example>"
    message["To"] = "sanne@tulp.example"
    message["Subject"] = "Maart"
    message["Date"] = "Wed, 04 Mar 2026 10:00:00 +0100"
    message["Message-ID"] = "<ubl@x>"
    message.set_content("Zie bijlage.")
    message.add_attachment(
        ubl(facts, "Tulp"), maintype="application", subtype="xml", filename="2026-0099.xml"
    )
    invoice = classify(world, message.as_bytes()).invoice
    assert (invoice.client, invoice.number, invoice.due_date) == ("tulp", "2026-0099", date(2026, 4, 3))
    assert invoice.amount == Money(amount=Decimal("121.00"), currency="EUR")


def _with_overrides(tmp_path, overrides: str):
    from assistant.config import load_rules, packaged_rules_dir
    from assistant.domain.model import Defaults
    from tests.support.world import IDENTITY, write_rules

    folder = write_rules(tmp_path / "own")
    text = (packaged_rules_dir() / "invoices.yaml").read_text(encoding="utf-8")
    (folder / "invoices.yaml").write_text(text.replace("overrides: []", overrides), encoding="utf-8")
    return load_rules(folder, Defaults(), IDENTITY)


def test_an_override_by_number_read_fixes_a_misread_without_touching_the_mail(tmp_path):
    rules = _with_overrides(
        tmp_path, "overrides:\n  - read_number: 2026-001\n    number: NOV-12\n    amount: 319.00\n"
    )
    invoice = classify_sent(parse_mail(invoice_email()), rules, tz=TZ, seen_on=TODAY).invoice
    assert invoice.number == "NOV-12" and invoice.amount == Money(amount=Decimal("319.00"), currency="EUR")
    assert (invoice.source_of("number"), invoice.source_of("amount")) == ("override", "override")


def test_an_override_by_message_id_sets_the_due_date(tmp_path):
    rules = _with_overrides(tmp_path, "overrides:\n  - message_id: '<fix@x>'\n    due_date: 2026-05-01\n")
    fixed = classify_sent(
        parse_mail(invoice_email(message_id="<fix@x>")), rules, tz=TZ, seen_on=TODAY
    ).invoice
    other = classify_sent(
        parse_mail(invoice_email(message_id="<other@x>")), rules, tz=TZ, seen_on=TODAY
    ).invoice
    assert fixed.due_date == date(2026, 5, 1) and fixed.source_of("due_date") == "override"
    assert other.due_date == date(2026, 3, 16)


# --------------------------------------------------------------------------- the misreadings of issue 17


@pytest.mark.parametrize(
    ("subject", "body", "number"),
    [
        ("Factura NOV-12", "Adjunto la factura.\n", "NOV-12"),  # was V-12: "NO" read as "nº"
        ("Invoice N-0077", "Attached.\n", "N-0077"),
        ("Factura nº 2026-014", "Adjunto la factura.\n", "2026-014"),
        # the pattern ran over the line break and took the date for the number
        ("Proyecto", "Te envío la factura\n8-9-2022 por el proyecto.\nFactura nº F-77\n", "F-77"),
    ],
)
def test_a_number_keeps_its_letters_and_is_never_a_date(world, subject, body, number):
    seen = classify(
        world, invoice_email(subject=subject, body=body, filename="doc.pdf", pdf_lines=("Gracias",))
    )
    assert seen.invoice.number == number


@pytest.mark.parametrize(
    ("lines", "fact", "value"),
    [
        (("Fecha factura: 05/03/2026",), "issue_date", date(2026, 3, 5)),
        (("TOTAL FACTURA   1.060,00 €",), "amount", Decimal("1060.00")),
        (("Total con IVA   319,00 €",), "amount", Decimal("319.00")),
        (("Totaal incl. btw   € 319,00",), "amount", Decimal("319.00")),
        (("Total incl. VAT   €319.00",), "amount", Decimal("319.00")),
        (("Fecha: 02/03/2026", "Due:   20/03/2026"), "due_date", date(2026, 3, 20)),
        (("Subtotal      BTW       Totaal", "263,64        55,36      319,00"), "amount", Decimal("319.00")),
    ],
)
def test_the_labels_the_issue_found_missed_are_read(world, lines, fact, value):
    seen = classify(
        world, invoice_email(body="Adjunto la factura.\n", pdf_lines=("FACTURA 2026-001", *lines))
    )
    read = getattr(seen.invoice, fact)
    assert (read.amount if fact == "amount" else read) == value


def test_an_invoices_yaml_from_before_labels_reads_pdfs_with_the_shipped_labels(tmp_path):
    from assistant.config import load_rules, packaged_rules_dir
    from assistant.domain.model import Defaults
    from tests.support.world import IDENTITY, write_rules

    folder = write_rules(tmp_path / "own")
    text = (packaged_rules_dir() / "invoices.yaml").read_text(encoding="utf-8")
    (folder / "invoices.yaml").write_text(text[: text.index("\nlabels:")] + "\n", encoding="utf-8")
    rules = load_rules(folder, Defaults(), IDENTITY)
    assert "Factuurnummer" in rules.invoices.labels.number and rules.invoices.overrides == ()
    data = invoice_email(
        subject="Factura", filename="doc.pdf", body="Adjunto.\n", pdf_lines=("Nº factura: NOV-12",)
    )
    assert classify_sent(parse_mail(data), rules, tz=TZ, seen_on=TODAY).invoice.number == "NOV-12"


def test_a_number_pattern_that_starts_mid_word_still_gives_the_whole_number(tmp_path):
    """The invoices.yaml copied by an older `init` has the pattern that read NOV-12 as V-12."""
    from assistant.config import load_rules, packaged_rules_dir
    from assistant.domain.model import Defaults
    from tests.support.world import IDENTITY, write_rules

    folder = write_rules(tmp_path / "own")
    text = (packaged_rules_dir() / "invoices.yaml").read_text(encoding="utf-8")
    old_pattern = (
        r"""    - '(?i)\\b(?:factura|invoice|factuur|fra\\.)\\s*(?:n(?:[º°o]|[uú]m(?:ero)?|r)?\\.?\\s*)?[:#]?\\s*"""
        r"""(?P<number>[A-Z]{0,6}[-/]?\\d[\\w/-]*)'"""
    )
    start = text.index("  number:\n", text.index("extract:")) + len("  number:\n")
    (folder / "invoices.yaml").write_text(text[:start] + old_pattern + "\n" + text[start:], encoding="utf-8")
    rules = load_rules(folder, Defaults(), IDENTITY)
    data = invoice_email(
        subject="Factura NOV-12", filename="doc.pdf", body="Adjunto.\n", pdf_lines=("Gracias",)
    )
    assert classify_sent(parse_mail(data), rules, tz=TZ, seen_on=TODAY).invoice.number == "NOV-12"
