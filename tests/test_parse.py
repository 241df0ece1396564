"""Parsing survives real-world and malformed mail, and both parsers agree on headers."""

from __future__ import annotations

import base64
import binascii
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from assistant.adapters import parse
from assistant.adapters.parse import MAX_HEADER_VALUE, parse_header, parse_mail, pdf_text
from assistant.demo import invoice_pdf
from tests.support.world import invoice_email

MALFORMED = Path(__file__).parent / "data" / "malformed"
NOT_MAIL = {"COPYING", "LICENSE", "PSF-LICENSE", "NOTICE.txt", "SOURCES.md"}


def corpus_files(root: Path) -> list[Path]:
    return sorted(
        p for p in root.rglob("*") if p.is_file() and p.name not in NOT_MAIL and not p.name.endswith(".md")
    )


def test_every_corpus_file_parses_without_an_exception(corpora):
    corpora_dir = corpora
    files = corpus_files(corpora_dir)
    assert len(files) > 150, f"expected the shared corpora under {corpora_dir}"
    fallbacks = []
    for path in files:
        data = path.read_bytes()
        header = parse_header(data)
        mail = parse_mail(data, uid=path.name)
        assert mail.header == parse_header(data, uid=path.name, size=len(data))
        assert isinstance(header.subject, str) and isinstance(mail.text, str)
        if mail.parsed_by_fallback:
            fallbacks.append(path.relative_to(corpora_dir).as_posix())
    # The three messages mail-parser 4.8.0 is known to raise on fall back to the stdlib.
    for known in ("001", "003", "013"):
        assert f"stalwart-mail-parser/dovecot-malformed/{known}.eml" in fallbacks


def test_mail_parser_reads_the_same_text_and_attachments_from_the_mime_fields_alone(corpora, monkeypatch):
    """Bodies are read with only the MIME fields of the header (bench/: the others cost
    mail-parser 40 % of a first scan); across every corpus file that changes nothing we use."""

    def outcome(data: bytes):
        try:
            text, attachments = parse._with_mailparser(data)
        except Exception as exc:
            return type(exc)
        return text, [(a.filename, a.content_type, a.data) for a in attachments]

    files = corpus_files(corpora) + sorted(MALFORMED.glob("*.eml"))
    lean = [outcome(path.read_bytes()) for path in files]
    stripped = sum(parse.only_mime_fields(p.read_bytes()) != p.read_bytes() for p in files)
    monkeypatch.setattr(parse, "only_mime_fields", lambda raw: raw)
    whole = [outcome(path.read_bytes()) for path in files]
    assert stripped > 100
    for path, ours, theirs in zip(files, lean, whole, strict=True):
        assert ours == theirs, path


@pytest.mark.parametrize("path", sorted(MALFORMED.glob("*.eml")), ids=lambda p: p.name)
def test_our_malformed_samples_parse_without_an_exception(path):
    data = path.read_bytes()
    mail = parse_mail(data)
    assert isinstance(mail.text, str)
    for attachment in mail.attachments:
        assert isinstance(attachment.data, bytes)


def test_odd_threading_headers_are_read_as_ids():
    header = parse_header((MALFORMED / "odd-threading-headers.eml").read_bytes())
    assert header.message_id == "<no-brackets@x>"
    assert header.references == ("<a@x>", "<b@x>", "<c@x>", "<d@x>", "<e@x>")
    assert header.in_reply_to == ()
    assert header.date is None


def test_raw_8bit_headers_are_kept_not_dropped():
    header = parse_header((MALFORMED / "raw-8bit-headers.eml").read_bytes())
    assert header.sender.name == "Raúl Pérez"
    assert header.subject == "Re: factura ñoña"


def test_encoded_words_with_unknown_charsets_do_not_break_the_header():
    header = parse_header((MALFORMED / "unknown-charset.eml").read_bytes())
    assert header.sender.email == "marta@acme.example"
    assert "pagada" in header.subject.lower() or "=?" in header.subject


def test_a_huge_header_is_cut_and_parsed_quickly():
    refs = " ".join(f"<{i}@x>" for i in range(150_000)).encode()
    data = b"From: a@b.example\nSubject: refs\nMessage-ID: <huge@x>\nReferences: " + refs + b"\n\nbody\n"
    started = time.process_time()
    header = parse_header(data)
    mail = parse_mail(data)
    assert header.message_id == "<huge@x>" and mail.header.message_id == "<huge@x>"
    assert 0 < len(header.references) <= MAX_HEADER_VALUE // 6
    assert time.process_time() - started < 30  # generous: a bound, not a benchmark


def test_the_invoice_pdf_is_returned_byte_for_byte_with_its_text():
    pdf = invoice_pdf(["FACTURA 2026-001", "Total: 1.210,00 €"])
    mail = parse_mail(invoice_email(pdf=pdf))
    (attachment,) = mail.attachments
    assert attachment.data == pdf and attachment.is_pdf
    assert "FACTURA 2026-001" in attachment.text and "1.210,00 €" in attachment.text
    assert "Te envío la factura 2026-001" in mail.text


def test_the_fallback_parser_gives_the_same_attachment():
    pdf = invoice_pdf(["x"])
    data = invoice_email(pdf=pdf)
    from assistant.adapters import parse

    text, attachments = parse._with_stdlib(data)
    assert [a.data for a in attachments] == [pdf]
    assert "factura 2026-001" in text


def test_unreadable_pdfs_give_no_text_and_no_error():
    assert pdf_text(b"%PDF-1.4\n garbage \x00\x01") == ""
    assert pdf_text(b"not a pdf") == ""
    assert pdf_text(b"%PDF-1.7\n" + b"1 0 obj << /Length 99999999 >> stream\n" + b"\x00" * 1000) == ""


def _with_signature_logo() -> bytes:
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = "Lucía Romero <lucia@freelancer.example>"
    message["To"] = "marta@acme.example"
    message["Subject"] = "Logo"
    message.set_content("Hola Marta, te paso el logo.")
    message.add_alternative('<p>Hola Marta, te paso el logo.</p><img src="cid:sig@lucia">', subtype="html")
    html = message.get_payload()[1]
    # As Outlook writes a logo in a signature: inline, with the Content-ID the HTML shows.
    html.add_related(
        b"\x89PNG logo", maintype="image", subtype="png", cid="<sig@lucia>", filename="image001.png",
        disposition="inline",
    )  # fmt: skip
    message.add_attachment(b"<svg/>", maintype="image", subtype="svg+xml", filename="logo.svg")
    return message.as_bytes()


@pytest.mark.parametrize("parser", ["mail-parser", "stdlib"])
def test_a_picture_shown_in_the_signature_is_inline_and_a_file_sent_is_not(parser, monkeypatch):
    if parser == "stdlib":
        monkeypatch.setattr(parse, "_with_mailparser", parse._with_stdlib)
    mail = parse_mail(_with_signature_logo(), uid=1)
    shown = {a.filename: a.inline for a in mail.attachments}
    assert shown == {"image001.png": True, "logo.svg": False}


def _nameless_pdf_email(*, disposition: str | None) -> tuple[bytes, bytes]:
    from email.message import EmailMessage

    pdf = invoice_pdf(["FACTURA NOV-12", "Total: 319,00 €"])
    message = EmailMessage()
    message["From"] = "lucia@freelancer.example"
    message["To"] = "marta@acme.example"
    message["Subject"] = "Factura"
    message.set_content("Te envío la factura.")
    message.add_attachment(pdf, maintype="application", subtype="pdf")
    (part,) = message.iter_attachments()
    del part["Content-Disposition"]
    if disposition is not None:
        part["Content-Disposition"] = disposition
    return message.as_bytes(), pdf


@pytest.mark.parametrize("disposition", [None, "attachment", "inline"])
def test_a_pdf_without_a_file_name_survives_under_a_name_from_its_content(disposition):
    """mail-parser dropped a PDF part with neither name nor disposition, and named the
    others at random on each parse: the invoice was never found, or found twice."""
    data, pdf = _nameless_pdf_email(disposition=disposition)
    first, again = parse_mail(data), parse_mail(data)
    (attachment,) = first.attachments
    assert attachment.data == pdf and attachment.is_pdf and "NOV-12" in attachment.text
    assert attachment.filename == again.attachments[0].filename
    assert attachment.filename.startswith("attachment-") and attachment.filename.endswith(".pdf")
    # The standard library's path (the fallback) names it the same.
    assert [(a.filename, a.data) for a in parse._with_stdlib(data)[1]] == [(attachment.filename, pdf)]
    assert first.text.strip() == "Te envío la factura."


def test_every_part_of_a_message_with_several_attachments_survives_in_order():
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = "a@b.example"
    message.set_content("Adjuntos.")
    message.add_attachment(invoice_pdf(["one"]), maintype="application", subtype="pdf", filename="one.pdf")
    message.add_attachment(b"<x/>", maintype="application", subtype="xml")
    message.add_attachment(b"\x89PNG....", maintype="image", subtype="png", filename="logo.png")
    names = [a.filename for a in parse_mail(message.as_bytes()).attachments]
    assert names[0] == "one.pdf" and names[2] == "logo.png"
    assert names[1].startswith("attachment-") and names[1].endswith(".xml")


def test_a_cp1252_body_without_a_charset_keeps_its_accents():
    data = (
        b"From: lucia@freelancer.example\nTo: marta@acme.example\nSubject: Factura\n"
        b"MIME-Version: 1.0\nContent-Type: text/plain\nContent-Transfer-Encoding: 8bit\n\n"
        b"Te env\xedo la factura n\xba 12 del dise\xf1o \x80 1.210,00\n"
    )
    assert parse_mail(data).text.strip() == "Te envío la factura nº 12 del diseño € 1.210,00"
    assert parse._with_stdlib(data)[0].strip() == "Te envío la factura nº 12 del diseño € 1.210,00"


def test_a_utf8_body_without_a_charset_is_read_as_utf8():
    data = b"From: a@b.example\nContent-Type: text/plain\n\nDise\xc3\xb1o\n"
    assert parse_mail(data).text.strip() == "Diseño"


def test_the_factur_x_xml_inside_a_pdf_comes_with_the_attachment():
    from bench.invoice_pdfs import Facts, Page, factur_x

    facts = Facts(number="FX-1", lines=(("x", Decimal("100.00")),), issued=date(2026, 3, 2), due_days=30)
    xml = factur_x(facts, "ACME")
    pdf = Page().at(56, 700, "Factura FX-1").pdf(embed=("factur-x.xml", xml))
    (attachment,) = parse_mail(invoice_email(pdf=pdf)).attachments
    assert attachment.einvoice == xml and "FX-1" in attachment.text


def test_pdf_text_keeps_printed_rows_and_columns():
    from bench.invoice_pdfs import Page

    pdf = (
        Page()
        .at(56, 700, "Nº FACTURA")
        .at(300, 700, "FECHA")
        .at(56, 686, "NOV-12")
        .at(300, 686, "12/03/2026")
    )
    lines = [line for line in pdf_text(pdf.pdf()).splitlines() if line.strip()]
    assert lines[0].split() == ["Nº", "FACTURA", "FECHA"] and lines[1].split() == ["NOV-12", "12/03/2026"]
    assert lines[0].index("FECHA") == lines[1].index("12/03/2026")  # the columns line up


def test_every_attachment_mail_parser_finds_in_the_corpora_is_kept_and_more(corpora):
    """Our own reading of the parts loses none that mail-parser returns (by content), and
    keeps the ones it drops: a forwarded message, a part with neither name nor disposition."""
    import mailparser

    gained = 0
    for path in corpus_files(corpora):
        data = path.read_bytes()
        try:
            theirs = mailparser.parse_from_bytes(parse.only_mime_fields(data)).attachments
        except Exception:
            continue  # the files mail-parser raises on: the fallback's business
        mail = parse_mail(data)
        ours = [a.data for a in mail.attachments]
        for item in theirs:
            payload = item.get("payload") or ""
            try:
                kept = (
                    base64.b64decode(payload)
                    if item.get("binary")
                    else payload.encode("utf-8", "surrogateescape")
                )
            except binascii.Error:
                continue  # a payload mail-parser could not decode either
            assert kept in ours or not kept.strip(), (path, item.get("filename"))
        gained += len(ours) > len(theirs)
    assert gained >= 20  # 34 of the corpora's messages carry a part mail-parser leaves out
