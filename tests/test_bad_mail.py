"""Bad mail: generated malformed messages and bombs go through parse and classify with no
exception escaping, in bounded time and memory; in a pass, a bad message is logged
(without its body) and skipped, and the pass goes on.

``FA_SOAK=1`` multiplies the number of generated messages by 20.
"""

from __future__ import annotations

import base64
import logging
import os
import time
import tracemalloc
import zlib
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.adapters.parse import parse_header, parse_mail
from assistant.config import load_rules
from assistant.demo import pdf_file
from assistant.domain.classify import classify_deliverable, classify_sent, fresh_text, signals_in
from tests.support.world import IDENTITY, TZ, at, invoice_email, write_rules

EXAMPLES = 300 * (20 if os.environ.get("FA_SOAK") else 1)
SECONDS_PER_MESSAGE = 5.0  # a bound, not a benchmark: a stuck parser would take minutes
PROCESSED = {"generated": 0}


@pytest.fixture(scope="module")
def rules(tmp_path_factory):
    from assistant.domain.model import Defaults

    return load_rules(write_rules(tmp_path_factory.mktemp("rules")), Defaults(), IDENTITY)


def read_everything(data: bytes, rules) -> None:
    """Everything a pass does with a message, up to the ledger."""
    header = parse_header(data)
    mail = parse_mail(data, uid=1)
    assert header.message_id == mail.header.message_id
    classify_sent(mail, rules, tz=TZ, seen_on=date(2026, 3, 20))
    classify_deliverable(mail, rules)
    signals_in(fresh_text(mail.text), rules.signals, language="es", written_on=date(2026, 3, 20))


# --------------------------------------------------------------------------- generated

NAMES = ["From", "To", "Cc", "Subject", "Message-ID", "In-Reply-To", "References", "Date", "Content-Type",
         "Content-Transfer-Encoding", "Content-Disposition", "Auto-Submitted", "X-Freelance-Assistant-Key", "MIME-Version"]  # fmt: skip
CHARSETS = ["utf-8", "iso-8859-1", "x-unknown", "utf-7", "gb2312", "utf-16", "", "utf-8\x00", "windows-1252"]
ENCODINGS = ["base64", "quoted-printable", "8bit", "7bit", "x-uuencode", "binary", "bogus"]
junk = st.binary(max_size=300)
text = st.text(max_size=200)


@st.composite
def header_line(draw) -> bytes:
    name = draw(st.sampled_from(NAMES) | st.text("abcXYZ-:", min_size=0, max_size=12))
    value = draw(
        st.one_of(
            text.map(lambda t: t.encode("utf-8", "surrogatepass")),
            junk,
            st.builds(
                lambda cs, b: f"=?{cs}?b?{b}?=".encode(),
                st.sampled_from(CHARSETS),
                st.text("abc=+/", max_size=20),
            ),
            st.builds(
                lambda n: b"<" + b"><".join(b"%d@x" % i for i in range(n)) + b">", st.integers(0, 3000)
            ),
            st.just(b"marta@acme.example"),
        )
    )
    return name.encode("utf-8", "surrogatepass") + b": " + value


@st.composite
def part(draw, depth: int) -> bytes:
    boundary = draw(st.text("abc123-_=", min_size=0, max_size=20))
    charset = draw(st.sampled_from(CHARSETS))
    encoding = draw(st.sampled_from(ENCODINGS))
    kind = draw(
        st.sampled_from(
            ["text/plain", "text/html", "application/pdf", "multipart/mixed", "message/rfc822", "image/png"]
        )
    )
    head = [
        f'Content-Type: {kind}; charset="{charset}"; boundary="{boundary}"'.encode(),
        f"Content-Transfer-Encoding: {encoding}".encode(),
    ]
    if draw(st.booleans()):
        head.append(
            b'Content-Disposition: attachment; filename="'
            + draw(text).encode("utf-8", "surrogatepass")
            + b'.pdf"'
        )
    if kind.startswith("multipart") and depth > 0:
        children = draw(st.lists(part(depth - 1), max_size=3))
        body = b"".join(b"--" + boundary.encode() + b"\r\n" + c + b"\r\n" for c in children)
        if draw(st.booleans()):  # a closing boundary is often missing in real mail
            body += b"--" + boundary.encode() + b"--\r\n"
    elif kind == "message/rfc822" and depth > 0:
        body = draw(message(depth - 1))
    elif encoding == "base64":
        raw = base64.b64encode(draw(junk))
        body = raw[: draw(st.integers(0, len(raw)))]  # truncated base64
    else:
        body = draw(junk)
    return b"\r\n".join(head) + b"\r\n\r\n" + body


@st.composite
def message(draw, depth: int = 4) -> bytes:
    headers = draw(st.lists(header_line(), max_size=12))
    if draw(st.booleans()):
        headers.append(b"To: Marta <marta@acme.example>")  # to a client: full classification
    if draw(st.booleans()):
        headers.append(b"Subject: Factura 2026-001")
    separator = draw(st.sampled_from([b"\r\n", b"\n", b"\r"]))
    return separator.join(headers) + separator + draw(part(depth))


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=message())
def test_generated_malformed_mail_never_escapes_an_exception(rules, data):
    started = time.process_time()
    read_everything(data, rules)
    assert time.process_time() - started < SECONDS_PER_MESSAGE
    PROCESSED["generated"] += 1


# --------------------------------------------------------------------------- bombs


def pdf_bomb(inflated: int = 400_000_000) -> bytes:
    """A 400 KB PDF whose page content inflates to 400 MB of nothing."""
    compressor = zlib.compressobj(9)
    chunk = b"\x00" * 1_000_000
    stream = b"".join(compressor.compress(chunk) for _ in range(inflated // len(chunk))) + compressor.flush()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    return pdf_file(objects)


def deep(depth: int) -> bytes:
    head = (
        b"From: a@b.example\r\nTo: marta@acme.example\r\nSubject: Factura nested\r\nMessage-ID: <deep@x>\r\n"
    )
    opening = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i) for i in range(depth)
    )
    closing = b"".join(b"\r\n--b%d--\r\n" % i for i in reversed(range(depth)))
    return head + opening + b"Content-Type: text/plain\r\n\r\nhola\r\n" + closing


BOMBS = {
    "pdf-bomb": lambda: invoice_email(pdf=pdf_bomb()),
    "30-mb-attachment": lambda: invoice_email(pdf=b"%PDF-1.4\n" + os.urandom(30 * 1024 * 1024)),
    "1-mb-header": lambda: b"Subject: " + b"x" * 1_000_000 + b"\r\nTo: marta@acme.example\r\n\r\nbody\r\n",
    "10000-headers": lambda: (
        b"".join(b"X-H%d: %d\r\n" % (i, i) for i in range(10_000)) + b"To: marta@acme.example\r\n\r\nx"
    ),
    "deep-nesting": lambda: deep(1000),
    "references-bomb": lambda: (
        b"References: " + b" ".join(b"<%d@x>" % i for i in range(200_000)) + b"\r\n\r\nx"
    ),
    "null-bytes": lambda: b"\x00" * 100_000,
}
# Bytes traced at the peak: proportional to the input. The standard library's MIME parser
# (under mail-parser too) keeps the message as text, as lines and as decoded parts, about
# nine times a large message's size; passes skip messages over sync.MAX_MESSAGE_BYTES.
MEMORY_PER_BYTE = 10
MEMORY_BASE = 64 * 1024 * 1024


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_bombs_are_read_in_bounded_time_and_memory(rules, name):
    data = BOMBS[name]()
    tracemalloc.start()
    try:
        started = time.process_time()
        read_everything(data, rules)
        spent = time.process_time() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert spent < 60, f"{name}: {spent:.1f} s"
    assert peak < MEMORY_BASE + MEMORY_PER_BYTE * len(data), (
        f"{name}: peak {peak / 1e6:.0f} MB for {len(data) / 1e6:.0f} MB"
    )


def test_the_pdf_bomb_is_not_inflated():
    from assistant.adapters.parse import pdf_text

    tracemalloc.start()
    try:
        assert pdf_text(pdf_bomb()) == ""
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 60 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB"


# --------------------------------------------------------------------------- in a pass


def test_a_bad_message_is_logged_without_its_body_and_the_pass_goes_on(tmp_path, caplog, monkeypatch):
    """Whatever breaks on one message (here: the classifier, on purpose) skips that message only."""
    from assistant.domain import classify
    from tests.support.freelancer import Freelancer
    from tests.support.mailboxes import MaildirWorld

    world = MaildirWorld(tmp_path / "Maildir")
    me = Freelancer(world, tmp_path / "config")
    secret_body = "Cuerpo confidencial que nunca debe aparecer en un log"
    world.deliver(
        "Sent", invoice_email(subject="Factura 2026-666", body=secret_body + "\n", message_id="<poison@x>")
    )
    world.deliver(
        "Sent", invoice_email(subject="Factura 2026-001", sent=at(date(2026, 3, 2)), message_id="<good@x>")
    )
    for data in (BOMBS["deep-nesting"](), BOMBS["null-bytes"](), b"To: marta@acme.example\r\n\r\n\xff\xfe"):
        world.deliver("Sent", data)
    real = classify.classify_sent

    def poisoned(mail, *args, **kwargs):
        if mail.header.message_id == "<poison@x>":
            raise RuntimeError("the classifier broke on this one")
        return real(mail, *args, **kwargs)

    monkeypatch.setattr(classify, "classify_sent", poisoned)
    with caplog.at_level(logging.WARNING):
        report = me.run(date(2026, 3, 17))
    assert [i.number for i in report.invoices] == ["2026-001"]  # the good one, after the bad ones
    assert len(report.drafted) == 1
    (skipped,) = report.skipped_messages
    assert "<poison@x>" in skipped and "RuntimeError" in skipped
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "<poison@x>" in logged and secret_body not in logged and "2026-666" not in logged


def test_a_message_too_large_to_read_is_reported_and_left_alone(tmp_path, monkeypatch):
    from assistant import sync
    from tests.support.freelancer import Freelancer
    from tests.support.mailboxes import MaildirWorld

    monkeypatch.setattr(sync, "MAX_MESSAGE_BYTES", 200_000)
    world = MaildirWorld(tmp_path / "Maildir")
    me = Freelancer(world, tmp_path / "config")
    world.deliver("Sent", invoice_email(pdf=b"%PDF-1.4\n" + b"0" * 300_000, message_id="<huge@x>"))
    report = me.run(date(2026, 3, 17))
    (skipped,) = report.skipped_messages
    assert "<huge@x>" in skipped and "too large" in skipped and report.invoices == []


def test_how_many_generated_messages_were_processed():
    """Not a check: the figure for README "Reliability" (run with -s to see it)."""
    print(f"\nmalformed generated messages processed: {PROCESSED['generated']}")
