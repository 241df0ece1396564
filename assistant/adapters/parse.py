"""Parse: message bytes -> ``MailHeader`` / ``Mail``, surviving whatever the wire brings.

Two entry points:

* ``parse_header`` reads only the header block. It is on the hot path of a scan (one
  call per message in the mailbox), so it splits and unfolds the header itself and
  decodes only the fields the assistant uses.
* ``parse_mail`` reads a whole message (only for candidates: mail with a client). The
  body and attachments come from mail-parser; when mail-parser raises (it does, on some
  malformed multiparts) the standard library's parser takes over. Headers always come
  from ``parse_header`` so both paths agree on ids, subjects and addresses.

Nothing here raises on bad input: a message that cannot be read at all gives an empty
result with what could be salvaged. Size limits keep one absurd message from costing
the whole pass its memory or time.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.message
import email.policy
import hashlib
import io
import logging
import re
import warnings
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

import mailparser

from ..domain import keys
from ..domain.model import Address, Attachment, Mail, MailHeader
from ..domain.threads import message_id, message_ids

log = logging.getLogger(__name__)

# mail-parser logs every defect it meets at WARNING; for mail we did not write that is
# noise, and our own log line per bad message says what matters.
logging.getLogger("mailparser").setLevel(logging.ERROR)
logging.getLogger("pypdf").setLevel(logging.ERROR)

# The header fields a scan asks the server for (see adapters/imap.py); keep in sync.
HEADER_FIELDS = (
    "Message-ID",
    "In-Reply-To",
    "References",
    "Subject",
    "From",
    "To",
    "Cc",
    "Date",
    "Content-Type",
    "Auto-Submitted",
    "X-Autoreply",
    "X-Autorespond",
    "Precedence",
    "X-Ref",  # keys.TOKEN_HEADER: our opaque action token
    "X-Freelance-Assistant-Key",  # keys.LEGACY_KEY_HEADER: the clear key of older drafts
    "List-Id",
    "Return-Path",
    "X-Failed-Recipients",
)

ROBOT_HEADERS = (
    "auto-submitted",
    "x-autoreply",
    "x-autorespond",
    "precedence",
    "list-id",
    "return-path",
    "x-failed-recipients",
)

MAX_TEXT_CHARS = 1_000_000  # body text kept for classification
MAX_PDF_BYTES = 20 * 1024 * 1024  # larger PDFs are attached as they are but not read
MAX_PDF_PAGES = 5  # invoice facts sit on the first page; a bomb has thousands
MAX_HEADER_VALUE = 64 * 1024  # a 10 MB References header is an attack, not a thread

# An invoice's text is a few kilobytes. pypdf's defaults allow 75 MB per stream; a PDF
# bomb (a small file that inflates to gigabytes) must stop far sooner, and no external
# decoder (jbig2dec) is ever run on mail we did not write.
_PDF_LIMITS = {
    "zlib_maximum_output_length": 8_000_000,
    "lzw_maximum_output_length": 8_000_000,
    "run_length_maximum_output_length": 8_000_000,
    "brotli_maximum_output_length": 8_000_000,
    "array_based_stream_maximum_output_length": 8_000_000,
    "maximum_declared_stream_length": 20_000_000,
    "stream_decoding_work_maximum_length": 40_000_000,
    "stream_parsing_work_maximum_count": 500_000,
    "image_maximum_buffer_size": 8_000_000,
    "xform_maximum_invocations_per_extraction": 200,
    "jbig2dec_binary": None,
}

_HEADER_END = re.compile(rb"\r?\n\r?\n")
_FOLD = re.compile(r"\r?\n[ \t]+")
_FIELD_NAME = re.compile(r"^[!-9;-~]+$")


# --------------------------------------------------------------------------- headers


def header_block(raw: bytes) -> bytes:
    """The bytes of the header section (without the blank line that ends it)."""
    match = _HEADER_END.search(raw)
    return raw[: match.start()] if match else raw


def _decode_bytes(data: bytes) -> str:
    # Headers should be ASCII; real ones carry raw UTF-8 or Latin-1. Never drop them.
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def split_header(raw: bytes) -> dict[str, list[str]]:
    """Header fields by lower-case name, unfolded, in order of appearance."""
    text = _FOLD.sub(" ", _decode_bytes(header_block(raw)))
    fields: dict[str, list[str]] = {}
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        name = name.strip()
        if not sep or not name or not _FIELD_NAME.match(name):
            continue  # a "From " mbox line, garbage, or a body line without a blank line
        fields.setdefault(name.lower(), []).append(value.strip()[:MAX_HEADER_VALUE])
    return fields


def message_id_of(raw: bytes) -> str:
    """The Message-ID of a header block, as ``parse_header`` reads it ("" when none)."""
    values = split_header(raw).get("message-id")
    return message_id(values[0]) if values else ""


def decode_words(value: str) -> str:
    """RFC 2047 encoded words decoded; the raw text when they are broken."""
    if "=?" not in value:
        return " ".join(value.split())
    try:
        return " ".join(str(make_header(decode_header(value))).split())
    except Exception:  # unknown charset, bad base64: keep what was there
        return " ".join(value.split())


def _addresses(values: list[str]) -> tuple[Address, ...]:
    found = []
    try:
        pairs = getaddresses(values)
    except Exception:
        return ()
    for name, addr in pairs:
        addr = addr.strip().lower()
        if "@" not in addr or " " in addr:
            continue
        found.append(Address(email=addr, name=decode_words(name) if name else ""))
    return tuple(found)


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None:
        return None
    # RFC 5322 "-0000" (unknown zone) comes back naive: treat it as UTC.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _assistant_key(first, senders: tuple[Address, ...]) -> str:
    """The action key of one of our messages: the token read back with the sender's address
    (the mailbox's: we write from it), else the clear key of a draft written before tokens."""
    token = (first("x-ref") or "").strip()
    if token and senders:
        found = keys.key_from_token(token, senders[0].email)
        if found:
            return found
    return (first("x-freelance-assistant-key") or "").strip()


def parse_header(
    raw: bytes, *, uid: int | str | None = None, flags: frozenset[str] = frozenset(), size: int = 0
) -> MailHeader:
    """Decode the header fields the assistant uses. Never raises."""
    fields = split_header(raw)

    def first(name: str) -> str | None:
        values = fields.get(name)
        return values[0] if values else None

    senders = _addresses(fields.get("from", []))
    return MailHeader(
        uid=uid,
        flags=flags,
        message_id=message_id(first("message-id")),
        in_reply_to=message_ids(first("in-reply-to")),
        references=message_ids(" ".join(fields.get("references", []))),
        subject=decode_words(first("subject") or ""),
        sender=senders[0] if senders else None,
        to=_addresses(fields.get("to", [])),
        cc=_addresses(fields.get("cc", [])),
        date=_date(first("date")),
        size=size or len(raw),
        content_type=(first("content-type") or "").split(";")[0].strip().lower(),
        assistant_key=_assistant_key(first, senders),
        assistant_installation=keys.installation_of(first("message-id") or "")
        if first("x-ref") or first("x-freelance-assistant-key")
        else "",
        robot_headers={name: fields[name][0] for name in ROBOT_HEADERS if name in fields},
    )


# --------------------------------------------------------------------------- whole mail


def parse_mail(
    raw: bytes,
    *,
    uid: int | str | None = None,
    flags: frozenset[str] = frozenset(),
    header: MailHeader | None = None,
) -> Mail:
    """Header, text and attachments of a whole message. Never raises.

    ``header``: the message's header as a scan already parsed it (the same fields), so
    it is not parsed twice.
    """
    if header is None:
        header = parse_header(raw, uid=uid, flags=flags, size=len(raw))
    try:
        text, attachments = _with_mailparser(raw)
        fallback = False
    except Exception as exc:  # mail-parser has no exception contract: anything goes
        log.info(
            "mail-parser failed on %s (%s); using the standard library",
            header.message_id or uid,
            type(exc).__name__,
        )
        try:
            text, attachments = _with_stdlib(raw)
        except Exception as exc2:  # pragma: no cover - the stdlib parser is total in practice
            log.warning(
                "message %s unreadable (%s); header only", header.message_id or uid, type(exc2).__name__
            )
            text, attachments = "", []
        fallback = True
    attachments = [_with_pdf_text(a) for a in attachments]
    return Mail(
        header=header, text=text[:MAX_TEXT_CHARS], attachments=tuple(attachments), parsed_by_fallback=fallback
    )


# mail-parser analyses every field of a header it is given: addresses forensically (about
# 0.4 ms a field), Received chains, dates. That was 40 % of a 100k first scan (bench/).
# We take only text and attachments from it (the header is ours: parse_header), and those
# depend on the MIME fields alone, so it is given the message with no other top-level field.
_MIME_FIELD = re.compile(rb"(?:content-[!-9;-~]*|mime-version)[ \t]*:", re.IGNORECASE)
_FIELD_START = re.compile(rb"(?<=\n)(?![ \t])")
_VALID_FIELD = re.compile(rb"[!-9;-~]+:")


def only_mime_fields(raw: bytes) -> bytes:
    """``raw`` with only its MIME fields (Content-*, MIME-Version) in the top-level header;
    the structure, and so the text and the attachments, unchanged."""
    match = _HEADER_END.search(raw)
    # The header ends after the line break of its last line; the blank line follows.
    end = match.start() + (2 if raw[match.start()] == 13 else 1) if match else len(raw)
    fields = _FIELD_START.split(raw[:end])
    tail = b""
    for index, field in enumerate(fields):
        if not _VALID_FIELD.match(field):
            # A parser reads the rest of a broken header as body: leave it as it is.
            fields, tail = fields[:index], b"".join(fields[index:])
            break
    kept = b"".join(field for field in fields if _MIME_FIELD.match(field))
    return kept + tail + raw[end:]


def _with_mailparser(raw: bytes) -> tuple[str, list[Attachment]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = mailparser.parse_from_bytes(only_mime_fields(raw))
        text = "\n".join(parsed.text_plain)
        if not text.strip() and parsed.text_html:
            text = html_to_text("\n".join(parsed.text_html))
        # mail-parser drops a part with neither a file name nor a disposition (a nameless
        # PDF: an invoice never found) and names a nameless one at random on each parse.
        # Its message tree is the standard library's: the parts are read from it ourselves.
        texts, attachments = _parts(parsed.message) if parsed.message is not None else ([], [])
        # What mail-parser recovers beyond the tree (a part in a broken multipart's
        # epilogue) and the files inside a forwarded message are kept too.
        have = {a.data for a in attachments}
        for item in parsed.attachments:
            extra = _mailparser_attachment(item)
            if extra.data and extra.data not in have:
                attachments.append(extra)
                have.add(extra.data)
    if any(bare for _, _, bare in texts):
        # A body in cp1252 without a charset: mail-parser read it as UTF-8 and lost its
        # accents; our reading keeps them.
        text = _text_of(texts) or text
    return text, attachments


# mail-parser's name for a part without one: ten random lower-case letters.
_RANDOM_NAME = re.compile(r"[a-z]{10}\.(?:txt|rtf)")


def _mailparser_attachment(item: dict) -> Attachment:
    payload = item.get("payload") or ""
    content_type = (item.get("mail_content_type") or "application/octet-stream").lower()
    if item.get("binary"):
        try:
            data = base64.b64decode(payload)
        except (binascii.Error, ValueError):
            data = payload.encode("ascii", errors="replace")
    else:
        data = (
            payload.encode("utf-8", errors="surrogateescape") if isinstance(payload, str) else bytes(payload)
        )
    filename = decode_words(item.get("filename") or "")
    if not filename or _RANDOM_NAME.fullmatch(filename):
        filename = stable_name(content_type, data)
    inline = _shown_inline(content_type, item.get("content-disposition"), item.get("content-id"))
    return Attachment(filename=filename, content_type=content_type, data=data, inline=inline)


def _shown_inline(content_type: str, disposition: object, content_id: object) -> bool:
    """A picture shown inside the message (a logo in a signature), not a file sent: an image
    with a Content-ID the HTML refers to, not marked as an attachment. Apple Mail marks
    every file "inline" and gives it a Content-ID, so any other type is a file."""
    disposition = str(disposition or "").strip().lower()
    return (
        content_type.lower().startswith("image/")
        and bool(content_id)
        and not disposition.startswith("attachment")
    )


def _with_stdlib(raw: bytes) -> tuple[str, list[Attachment]]:
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    texts, attachments = _parts(message)
    return _text_of(texts), attachments


def _text_of(texts: list[tuple[str, str, bool]]) -> str:
    plain = "\n".join(t for content_type, t, _ in texts if content_type != "text/html")
    if not plain.strip():
        htmls = [t for content_type, t, _ in texts if content_type == "text/html"]
        if htmls:
            return html_to_text("\n".join(htmls))
    return plain


def _parts(message: email.message.Message) -> tuple[list[tuple[str, str, bool]], list[Attachment]]:
    """The body texts (content type, text, whether it was 8-bit without a charset) and
    every attachment of ``message``, in order: nothing attached is left out."""
    texts: list[tuple[str, str, bool]] = []
    attachments: list[Attachment] = []
    stack = [message]
    while stack:
        part = stack.pop()
        try:
            _read_part(part, part is message, stack, texts, attachments)
        except Exception as exc:  # one broken part must not cost the others
            log.info("a MIME part unreadable (%s); kept as it is", type(exc).__name__)
            raw = part.get_payload()
            data = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""
            attachments.append(
                Attachment(filename=stable_name("", data), content_type="application/octet-stream", data=data)
            )
    return texts, attachments


def _read_part(part, top: bool, stack: list, texts: list, attachments: list[Attachment]) -> None:
    content_type = part.get_content_type()
    if content_type == "message/rfc822" and not top:
        # A forwarded or attached message is one file, not parts of this one.
        inner = part.get_payload()
        data = inner[0].as_bytes() if isinstance(inner, list) and inner else b""
        attachments.append(_attachment(part, content_type, data))
        return
    if part.is_multipart():
        payload = part.get_payload()
        stack.extend(reversed(payload if isinstance(payload, list) else []))
        return
    filename = part.get_filename()
    disposition = str(part.get("Content-Disposition") or "").lower()  # compat32 may give a Header
    payload = part.get_payload(decode=True) or b""
    if filename or disposition.startswith("attachment") or content_type not in ("text/plain", "text/html"):
        attachments.append(_attachment(part, content_type, payload))
        return
    texts.append((content_type, *_decode_text(payload, part.get_content_charset())))


def _decode_text(payload: bytes, charset: str | None) -> tuple[str, bool]:
    if charset is None:
        try:
            return payload.decode("utf-8"), False
        except UnicodeDecodeError:
            # No charset and not UTF-8: Windows mail clients write cp1252 (a superset of
            # Latin-1 for text), so "Factura nº" keeps its "º".
            return payload.decode("cp1252", errors="replace"), True
    try:
        return payload.decode(charset, errors="replace"), False
    except LookupError:  # an unknown charset name
        return payload.decode("utf-8", errors="replace"), False


def _attachment(part: email.message.Message, content_type: str, data: bytes) -> Attachment:
    try:
        filename = decode_words(part.get_filename() or "")
    except Exception:  # a broken RFC 2231 parameter: the part still counts, nameless
        filename = ""
    return Attachment(
        filename=filename or stable_name(content_type, data),
        content_type=content_type,
        data=data,
        inline=_shown_inline(content_type, part.get("Content-Disposition"), part.get("Content-ID")),
    )


# Extensions for the nameless parts that matter; anything else is ".bin".
_EXTENSIONS = {
    "application/pdf": ".pdf",
    "application/xml": ".xml",
    "text/xml": ".xml",
    "message/rfc822": ".eml",
    "text/plain": ".txt",
    "text/html": ".html",
    "text/calendar": ".ics",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "application/zip": ".zip",
}


def stable_name(content_type: str, data: bytes) -> str:
    """A name for a nameless attachment, derived from its content: the same on every parse,
    so the invoice it carries keeps one key and is re-attached under one name."""
    digest = hashlib.sha256(data).hexdigest()[:12]
    return f"attachment-{digest}{_EXTENSIONS.get(content_type, '.bin')}"


# Block elements end a line; a <blockquote> (Gmail's gmail_quote, Apple Mail's and
# Thunderbird's type="cite") marks its lines with "> ", so the reader of a client's reply
# can tell the quote from the words written around it, even in an HTML-only reply. An
# <hr> (Outlook's rule above divRplyFwdMsg) becomes the rule Outlook writes in text.
_BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "footer", "form", "h1", "h2",
    "h3", "h4", "h5", "h6", "header", "hr", "li", "ol", "p", "pre", "section", "table", "tbody", "td", "th",
    "thead", "tr", "ul",
})  # fmt: skip
_SKIPPED_TAGS = frozenset({"script", "style", "head", "title", "template"})


class _HtmlText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._words: list[str] = []
        self._depth = 0
        self._skipping = 0

    def _end_line(self) -> None:
        text = " ".join("".join(self._words).split())
        self._words = []
        if text:
            self.lines.append("> " * self._depth + text)
        elif self.lines and self.lines[-1]:
            self.lines.append("")

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping += 1
        elif tag in _BLOCK_TAGS:
            self._end_line()
            if tag == "hr":
                self.lines.append("> " * self._depth + "_" * 32)
            elif tag == "blockquote":
                self._depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK_TAGS:
            self._end_line()
            if tag == "blockquote":
                self._depth = max(0, self._depth - 1)

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self._words.append(data)


def html_to_text(html: str) -> str:
    """Readable text of an HTML body, its quotes marked with "> " (see ``_HtmlText``)."""
    converter = _HtmlText()
    try:
        converter.feed(html[: MAX_TEXT_CHARS * 2])
        converter.close()
    except Exception:  # HTMLParser is lenient; whatever it read so far is the text
        pass
    converter._end_line()
    return "\n".join(converter.lines).strip("\n")


# --------------------------------------------------------------------------- PDF


def _with_pdf_text(attachment: Attachment) -> Attachment:
    if not attachment.is_pdf:
        return attachment
    text, einvoice = read_pdf(attachment.data)
    return Attachment(
        filename=attachment.filename,
        content_type="application/pdf",
        data=attachment.data,
        text=text,
        einvoice=einvoice,
    )


def pdf_text(data: bytes) -> str:
    """The text of a PDF's first pages, or "" when it cannot be read safely."""
    return read_pdf(data)[0]


# The names Factur-X / ZUGFeRD (and XRechnung in a PDF) give the XML they embed.
EINVOICE_NAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml", "order-x.xml")
MAX_EINVOICE_BYTES = 2 * 1024 * 1024


def read_pdf(data: bytes) -> tuple[str, bytes]:
    """A PDF's text laid out as on the page, and the e-invoice XML it embeds (or b"").

    Layout mode keeps each printed row on one line and its columns apart, so a value
    stays beside (or under) its label. ("", b"") when the PDF cannot be read safely.
    """
    if not data.startswith(b"%PDF") and b"%PDF" not in data[:1024]:
        return "", b""
    if len(data) > MAX_PDF_BYTES:
        return "", b""
    import pypdf  # imported lazily: most passes read no PDF at all

    try:
        with warnings.catch_warnings(), pypdf.apply_configuration(**_PDF_LIMITS):
            warnings.simplefilter("ignore")
            reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
            parts: list[str] = []
            for page in reader.pages[:MAX_PDF_PAGES]:
                parts.append(_page_text(page))
                if sum(len(p) for p in parts) > MAX_TEXT_CHARS:
                    break
            text = "\n".join(parts)[:MAX_TEXT_CHARS]
            return text, _embedded_einvoice(reader)
    except Exception as exc:  # pypdf raises a zoo of errors on broken files
        log.info("PDF text unreadable (%s)", type(exc).__name__)
        return "", b""


def _page_text(page) -> str:
    try:
        text = page.extract_text(extraction_mode="layout") or ""
    except Exception:  # layout mode fails on some fonts where plain mode does not
        text = ""
    if not text.strip():
        text = page.extract_text() or ""
    return "\n".join(line.rstrip() for line in text.splitlines())


def _embedded_einvoice(reader) -> bytes:
    try:
        files = reader.attachments
        names = list(files)
    except Exception:  # a broken name tree: the printed text still counts
        return b""
    by_name = {name.lower(): name for name in names}
    wanted = [by_name[n] for n in EINVOICE_NAMES if n in by_name]
    wanted += [n for n in names if n.lower().endswith(".xml") and n not in wanted]
    for name in wanted:
        try:
            contents = files[name]
        except Exception:
            continue
        for content in contents:
            if isinstance(content, bytes) and 0 < len(content) <= MAX_EINVOICE_BYTES:
                return content
    return b""
