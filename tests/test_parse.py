"""Parsing survives real-world and malformed mail, and both parsers agree on headers."""

from __future__ import annotations

import time
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
        # (mail-parser names a nameless part at random: compare what the parts hold)
        return text, [(a.content_type, a.data) for a in attachments]

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
