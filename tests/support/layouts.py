"""How real mail clients lay out a reply around the message it answers.

Each layout builds the whole message (RFC 5322 bytes) a client would send when answering
``quoted``, with the client's own words where that client puts them: above the quote
(Outlook desktop, OWA/Outlook.com, Gmail web and mobile, Apple Mail and iOS, Thunderbird,
Zoho, GroupWise, a Horde-style webmail), below it (Thunderbird bottom-posting) or between
its parts (inline answers), in text or HTML only (Gmail's ``gmail_quote``, Outlook's
``divRplyFwdMsg``, Thunderbird's ``moz-cite-prefix``, Apple's ``blockquote type=cite``).

The headings follow what those clients write in each language (their localised
"On … wrote:", header blocks "De: / Enviado el: / Para: / Asunto:", iOS Dutch's "… het
volgende geschreven:", Zoho's "---- On … wrote ----", GroupWise's ">>> … >>>"), as seen in
their documentation and in public reply samples. The quoted message is whatever the
caller passes: in the tests and the benchmark, the project's own reminders rendered.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Person:
    name: str
    email: str

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


@dataclass(frozen=True, slots=True, kw_only=True)
class Quoted:
    """The message being answered: what the freelancer (or the assistant) sent."""

    sender: Person
    to: Person
    sent: datetime
    subject: str
    text: str
    message_id: str = "<reminder-1@freelancer.example>"


# Dates as each client writes them in its headings, per language (Tuesday 17 March 2026).
_DAY = {
    "es": ("mar", "martes", "marzo", "mar"),
    "en": ("Tue", "Tuesday", "March", "Mar"),
    "nl": ("di", "dinsdag", "maart", "mrt"),
    "de": ("Di", "Dienstag", "März", "Mär"),
    "fr": ("mar.", "mardi", "mars", "mars"),
}


def _d(quoted: Quoted) -> dict[str, object]:
    t = quoted.sent
    return {"d": t.day, "m": t.month, "y": t.year, "hm": t.strftime("%H:%M"), "n": quoted.sender.name,
            "e": quoted.sender.email}  # fmt: skip


def _quote(text: str, mark: str = "> ") -> str:
    return "\n".join((mark + line).rstrip() if line.strip() else mark.rstrip() for line in text.splitlines())


def _header_block(quoted: Quoted, language: str, *, bold: bool, owa: bool) -> str:
    _, weekday, month, _ = _DAY[language]
    v = _d(quoted)
    s = quoted.sent
    b = "*" if bold else ""
    names = {
        "es": ("De", "Enviado" if owa else "Enviado el", "Para", "Asunto"),
        "en": ("From", "Sent", "To", "Subject"),
        "nl": ("Van", "Verzonden", "Aan", "Onderwerp"),
        "de": ("Von", "Gesendet", "An", "Betreff"),
        "fr": ("De ", "Envoyé ", "À ", "Objet "),
    }[language]
    when = {
        "es": f"{weekday}, {s.day} de {month} de {s.year} {v['hm']}",
        "en": f"{weekday}, {month} {s.day}, {s.year} 10:00 AM",
        "nl": f"{weekday} {s.day} {month} {s.year} {v['hm']}",
        "de": f"{weekday}, {s.day}. {month} {s.year} {v['hm']}",
        "fr": f"{weekday} {s.day} {month} {s.year} {v['hm']}",
    }[language]
    sender = f"{quoted.sender.name} <{quoted.sender.email}>"
    return "\n".join(
        [
            f"{b}{names[0]}:{b} {sender}",
            f"{b}{names[1]}:{b} {when}",
            f"{b}{names[2]}:{b} {quoted.to}",
            f"{b}{names[3]}:{b} {quoted.subject}",
        ]
    )


def _attribution(quoted: Quoted, language: str, style: str) -> str:
    """The "On … wrote:" line of a client, in its language."""
    wd, _, month, mon = _DAY[language]
    v = _d(quoted)
    s = quoted.sent
    n, e, hm = v["n"], v["e"], v["hm"]
    if style == "gmail":
        return {
            "es": f"El {wd}, {s.day} {mon} {s.year} a las {hm}, {n} (<{e}>) escribió:",
            "en": f"On {wd}, {s.day} {mon} {s.year} at {hm}, {n} <{e}> wrote:",
            "nl": f"Op {wd} {s.day} {mon} {s.year} om {hm} schreef {n} <{e}>:",
            "de": f"Am {wd}., {s.day}. {month} {s.year} um {hm} Uhr schrieb {n} <{e}>:",
            "fr": f"Le {wd} {s.day} {mon} {s.year} à {hm}, {n} <{e}> a écrit :",
        }[language]
    if style == "gmail-mobile":
        return {
            "es": f"El {wd}., {s.day} {mon}. {s.year} {hm}, {n} <{e}> escribió:",
            "en": f"On {wd}, {s.day} {mon} {s.year}, {hm} {n}, <{e}> wrote:",
            "nl": f"Op {wd} {s.day} {mon}. {s.year} {hm} schreef {n} <{e}>:",
            "de": f"{n} <{e}> schrieb am {wd}., {s.day}. {month} {s.year}, {hm}:",  # name first
            "fr": f"Le {wd} {s.day} {mon} {s.year}, {hm}, {n} <{e}> a écrit :",
        }[language]
    if style == "apple":
        return {
            "es": f"El {s.day} {mon} {s.year}, a las {hm}, {n} <{e}> escribió:",
            "en": f"On {s.day} {mon} {s.year}, at {hm}, {n} <{e}> wrote:",
            "nl": f"Op {s.day} {mon}. {s.year} om {hm} heeft {n} <{e}> het volgende geschreven:",
            "de": f"Am {s.day:02d}.{s.month:02d}.{s.year} um {hm} schrieb {n} <{e}>:",
            "fr": f"Le {s.day} {month} {s.year} à {hm}, {n} <{e}> a écrit :",
        }[language]
    if style == "thunderbird":
        return {
            "es": f"El {s.day}/{s.month}/{s.year % 100} a las {hm}, {n} escribió:",
            "en": f"On {s.day:02d}/{s.month:02d}/{s.year} {hm}, {n} wrote:",
            "nl": f"Op {s.day:02d}-{s.month:02d}-{s.year} om {hm} schreef {n}:",
            "de": f"Am {s.day:02d}.{s.month:02d}.{s.year % 100} um {hm} schrieb {n}:",
            "fr": f"Le {s.day:02d}/{s.month:02d}/{s.year} à {hm}, {n} a écrit :",
        }[language]
    if style == "zoho":
        return {
            "es": f"---- El {wd}, {s.day} {mon} {s.year} {hm}:00 +0100 {n} <{e}> escribió ----",
            "en": f"---- On {wd}, {s.day:02d} {mon} {s.year} {hm}:00 +0100 {n} <{e}> wrote ----",
            "nl": f"---- Op {wd}, {s.day:02d} {mon} {s.year} {hm}:00 +0100 {n} <{e}> schreef ----",
            "de": f"---- Am {wd}, {s.day:02d} {mon} {s.year} {hm}:00 +0100 schrieb {n} <{e}> ----",
            "fr": f"---- Le {wd}, {s.day:02d} {mon} {s.year} {hm}:00 +0100 {n} <{e}> a écrit ----",
        }[language]
    if style == "horde":
        return {
            "es": f"Citando a {n} <{e}>:",
            "en": f"Quoting {n} <{e}>:",
            "nl": f"Citeer {n} <{e}>:",
            "de": f"Zitat von {n} <{e}>:",
            "fr": f"Citation {n} <{e}> :",
        }[language]
    raise ValueError(style)


_MOBILE = {
    "es": "Enviado desde mi iPhone",
    "en": "Sent from my iPhone",
    "nl": "Verstuurd vanaf mijn iPhone",
    "de": "Von meinem iPhone gesendet",
    "fr": "Envoyé de mon iPhone",
}
_ORIGINAL = {
    "es": "-----Mensaje original-----",
    "en": "-----Original Message-----",
    "nl": "-----Oorspronkelijk bericht-----",
    "de": "-----Ursprüngliche Nachricht-----",
    "fr": "-----Message d'origine-----",
}


def _wrap_attribution(line: str) -> str:
    """Gmail's text part wraps a long attribution before the address."""
    if len(line) > 76 and " <" in line:
        head, _, tail = line.partition(" <")
        return f"{head} <\n{tail}"
    return line


def _split_own(own: str) -> tuple[str, str]:
    """Own words in two parts for inline answers: the first paragraph, and the rest."""
    parts = own.strip().split("\n\n", 1)
    return parts[0], parts[1] if len(parts) > 1 else ""


def _split_quote(text: str) -> tuple[str, str]:
    paragraphs = text.strip().split("\n\n")
    cut = max(1, len(paragraphs) // 2)
    return "\n\n".join(paragraphs[:cut]), "\n\n".join(paragraphs[cut:])


# --------------------------------------------------------------------------- text layouts


def outlook_desktop(own: str, quoted: Quoted, language: str, variant: int) -> tuple[str, str]:
    rule = _ORIGINAL[language] if variant % 3 == 2 else "________________________________"
    block = _header_block(quoted, language, bold=variant % 3 == 1, owa=False)
    return own + "\n\n" + rule + "\n" + block + "\n\n" + quoted.text, ""


def owa(own: str, quoted: Quoted, language: str, variant: int) -> tuple[str, str]:
    block = _header_block(quoted, language, bold=False, owa=True)
    return own + "\n\n________________________________\n" + block + "\n\n" + quoted.text, ""


def gmail_web(own: str, quoted: Quoted, language: str, variant: int) -> tuple[str, str]:
    line = _attribution(quoted, language, "gmail")
    line = _wrap_attribution(line) if variant % 2 else line
    return own + "\n\n" + line + "\n\n" + _quote(quoted.text), ""


def gmail_mobile(own: str, quoted: Quoted, language: str, variant: int) -> tuple[str, str]:
    return own + "\n\n" + _attribution(quoted, language, "gmail-mobile") + "\n\n" + _quote(quoted.text), ""


def apple_ios(own: str, quoted: Quoted, language: str, variant: int) -> tuple[str, str]:
    footer = "\n\n" + _MOBILE[language] if variant % 2 == 0 else ""
    attribution = _attribution(quoted, language, "apple")
    return own + footer + "\n\n" + _quote(attribution + "\n\n" + quoted.text), ""


def thunderbird_top(own: str, quoted: Quoted, language: str, variant: int) -> tuple[str, str]:
    return own + "\n\n" + _attribution(quoted, language, "thunderbird") + "\n" + _quote(quoted.text), ""


def thunderbird_bottom(own: str, quoted: Quoted, language: str, variant: int) -> tuple[str, str]:
    attribution = _attribution(quoted, language, "thunderbird")
    if variant % 2:  # inline answers: between the quote's parts, and below it
        first, rest = _split_own(own)
        q1, q2 = _split_quote(quoted.text)
        body = attribution + "\n" + _quote(q1) + "\n\n" + first + "\n\n" + _quote(q2)
        return body + ("\n\n" + rest if rest else ""), ""
    return attribution + "\n" + _quote(quoted.text) + "\n\n" + own, ""


def zoho(own: str, quoted: Quoted, language: str, variant: int) -> tuple[str, str]:
    return own + "\n\n\n" + _attribution(quoted, language, "zoho") + "\n\n" + quoted.text, ""


def groupwise(own: str, quoted: Quoted, language: str, variant: int) -> tuple[str, str]:
    s = quoted.sent
    heading = (
        f'>>> "{quoted.sender.name}" <{quoted.sender.email}> {s.day:02d}/{s.month:02d}/{s.year} {s:%H:%M} >>>'
    )
    return own + "\n\n" + heading + "\n" + quoted.text, ""


def horde_webmail(own: str, quoted: Quoted, language: str, variant: int) -> tuple[str, str]:
    mark = "| " if variant % 2 else "> "
    return own + "\n\n" + _attribution(quoted, language, "horde") + "\n\n" + _quote(quoted.text, mark), ""


def lotus_notes(own: str, quoted: Quoted, language: str, variant: int) -> tuple[str, str]:
    """HCL/Lotus Notes: the sender, the date, then "To", "cc", "Subject" each on a line of its own."""
    to, cc, subject = {
        "es": ("Para", "CC", "Asunto"), "en": ("To", "cc", "Subject"), "nl": ("Aan", "Cc", "Onderwerp"),
        "de": ("An", "Kopie", "Thema"), "fr": ("A", "cc", "Objet"),
    }[language]  # fmt: skip
    s = quoted.sent
    heading = (
        f"{quoted.sender.name} <{quoted.sender.email}>\n{s.day:02d}/{s.month:02d}/{s.year} {s:%H:%M}\n\n"
        f"{to}\n{quoted.to}\n{cc}\n\n{subject}\n{quoted.subject}\n"
    )
    return own + "\n\n\n\n" + heading + "\n\n" + quoted.text, ""


def no_heading(own: str, quoted: Quoted, language: str, variant: int) -> tuple[str, str]:
    """The quote with neither a heading nor marks: pasted, or cut by a mobile app."""
    return own + "\n\n" + quoted.text, ""


# --------------------------------------------------------------------------- HTML-only layouts


def _html_lines(text: str) -> str:
    return "".join(
        f"<div>{html.escape(line) if line.strip() else '<br>'}</div>" for line in text.splitlines()
    )


def gmail_html(own: str, quoted: Quoted, language: str, variant: int) -> tuple[str, str]:
    attribution = html.escape(_attribution(quoted, language, "gmail"))
    return "", (
        f'<div dir="ltr">{_html_lines(own)}</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">'
        f'{attribution}<br></div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;'
        f'border-left:1px solid rgb(204,204,204);padding-left:1ex">{_html_lines(quoted.text)}</blockquote></div>'
    )


def outlook_html(own: str, quoted: Quoted, language: str, variant: int) -> tuple[str, str]:
    block = _header_block(quoted, language, bold=False, owa=True)
    fields = "<br>".join(
        f"<b>{html.escape(line.split(':', 1)[0])}:</b>{html.escape(line.split(':', 1)[1])}"
        for line in block.splitlines()
    )
    return "", (
        f'<html><head><style>p{{margin:0}}</style></head><body><div dir="ltr">{_html_lines(own)}</div>'
        f'<div id="appendonsend"></div><hr style="display:inline-block;width:98%" tabindex="-1">'
        f'<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt" '
        f'color="#000000">{fields}</font><div>&nbsp;</div></div><div>{_html_lines(quoted.text)}</div></body></html>'
    )


def thunderbird_html(own: str, quoted: Quoted, language: str, variant: int) -> tuple[str, str]:
    attribution = html.escape(_attribution(quoted, language, "thunderbird"))
    cite = (
        f'<div class="moz-cite-prefix">{attribution}<br></div><blockquote type="cite" '
        f'cite="mid:{html.escape(quoted.message_id.strip("<>"))}">{_html_lines(quoted.text)}</blockquote>'
    )
    if variant % 2:  # bottom-posted
        return "", f"<html><body>{cite}<p>{_html_lines(own)}</p></body></html>"
    return "", f"<html><body><p>{_html_lines(own)}</p>{cite}</body></html>"


def apple_html(own: str, quoted: Quoted, language: str, variant: int) -> tuple[str, str]:
    attribution = html.escape(_attribution(quoted, language, "apple"))
    return "", (
        f'<html><body dir="auto">{_html_lines(own)}<div dir="ltr"><br><blockquote type="cite">'
        f'<div dir="ltr">{attribution}</div><div dir="ltr"><br></div>{_html_lines(quoted.text)}'
        f"</blockquote></div></body></html>"
    )


@dataclass(frozen=True, slots=True)
class Layout:
    name: str
    client: str  # the mail client that writes it
    build: Callable[[str, Quoted, str, int], tuple[str, str]]  # -> (text/plain, text/html)


LAYOUTS: tuple[Layout, ...] = (
    Layout(
        "outlook-desktop",
        "Outlook desktop (header block, bold or '-----Original Message-----')",
        outlook_desktop,
    ),
    Layout("owa", "Outlook on the web / Outlook.com", owa),
    Layout("gmail-web", "Gmail web (attribution wrapped or not)", gmail_web),
    Layout("gmail-mobile", "Gmail Android/iOS (name first in German)", gmail_mobile),
    Layout("apple-ios", "Apple Mail / iOS ('Sent from my iPhone', quoted attribution)", apple_ios),
    Layout("thunderbird-top", "Thunderbird, top-posted", thunderbird_top),
    Layout("thunderbird-bottom", "Thunderbird, bottom-posted or inline", thunderbird_bottom),
    Layout("zoho", "Zoho Mail ('---- On … wrote ----', unmarked quote)", zoho),
    Layout("groupwise", "GroupWise ('>>> … >>>', unmarked quote)", groupwise),
    Layout("horde", "Horde-style webmail ('Quoting …:', '>' or '|')", horde_webmail),
    Layout("lotus-notes", "HCL/Lotus Notes (sender, date, To/cc/Subject lines)", lotus_notes),
    Layout("no-heading", "a quote with no heading and no marks (pasted; a heading nobody knows)", no_heading),
    Layout("gmail-html", "Gmail, HTML only (gmail_quote)", gmail_html),
    Layout("outlook-html", "Outlook, HTML only (divRplyFwdMsg)", outlook_html),
    Layout("thunderbird-html", "Thunderbird, HTML only (moz-cite-prefix), top or bottom", thunderbird_html),
    Layout("apple-html", "Apple Mail, HTML only (blockquote type=cite)", apple_html),
)


def reply_message(
    layout: Layout,
    own: str,
    quoted: Quoted,
    language: str,
    *,
    variant: int = 0,
    written: datetime,
    message_id: str,
) -> bytes:
    """The client's reply as it lands in the freelancer's INBOX."""
    text, html_body = layout.build(own, quoted, language, variant)
    message = EmailMessage()
    message["From"] = str(quoted.to)
    message["To"] = str(quoted.sender)
    prefix = {"es": "RE", "en": "RE", "nl": "RE", "de": "AW", "fr": "RE "}[language]
    message["Subject"] = f"{prefix}: {quoted.subject}"
    message["Date"] = format_datetime(written)
    message["Message-ID"] = message_id
    message["In-Reply-To"] = quoted.message_id
    message["References"] = quoted.message_id
    if html_body:
        message.set_content(html_body, subtype="html")
    else:
        message.set_content(text)
    return message.as_bytes()
