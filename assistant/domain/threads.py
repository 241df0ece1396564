"""Threads: which message answers which, told from ids, subjects and robot markers.

Real mail is untidy, and this module is where that untidiness is absorbed:

* ids: References separated by commas, comments inside the header, ids glued together
  without spaces, ids without angle brackets (``message_ids``);
* subjects: "RE: AW: Antw: [acme] Factura 12 (fwd)" is a reply to "Factura 12"
  (``base_subject``, ``subject_key``, ``is_forward``);
* robots: out-of-office replies, mailing lists and bounces are not a client's answer
  (``is_automatic``);
* matching: the tracked message (an invoice email, a deliverable, a reminder) that an
  incoming message answers, and the thread a reminder belongs to (``ThreadIndex``).

Pure: standard library and ``model`` only, no I/O, no clock.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from .model import MailHeader

# --------------------------------------------------------------------------- message ids

_COMMENT = re.compile(r"\((?:[^()\\]|\\.)*\)")
_BRACKETED = re.compile(r"<\s*([^<>\s]+?)\s*>")
_BARE = re.compile(r"[^\s<>,;()\"]+@[^\s<>,;()\"]+")


def message_ids(value: str | None) -> tuple[str, ...]:
    """Every message id in a Message-ID, In-Reply-To or References header, in order.

    >>> message_ids("<a@x> (comment),<b@y><c@z>  d@w")
    ('<a@x>', '<b@y>', '<c@z>', '<d@w>')
    """
    if not value:
        return ()
    # Comments can nest one level in practice; two passes strip "(a (b) c)".
    text = _COMMENT.sub(" ", _COMMENT.sub(" ", value))
    found: list[str] = []
    position = 0
    for match in _BRACKETED.finditer(text):
        found.extend(_bare_ids(text[position : match.start()]))
        found.append(f"<{match.group(1)}>")
        position = match.end()
    found.extend(_bare_ids(text[position:]))
    seen: set[str] = set()
    unique = []
    for mid in found:
        if mid not in seen:
            seen.add(mid)
            unique.append(mid)
    return tuple(unique)


def _bare_ids(text: str) -> list[str]:
    # Some agents write ids without brackets; anything with an "@" is taken as one.
    return [f"<{m}>" for m in _BARE.findall(text)]


def message_id(value: str | None) -> str:
    """The id of a Message-ID header, or "" when it has none."""
    ids = message_ids(value)
    return ids[0] if ids else ""


# --------------------------------------------------------------------------- subjects

# The words mail clients put before a colon to say "reply" or "forward". RFC 5256 knows
# only re, fw and fwd; the rest are what localised clients write (Outlook translates
# them). A word counts only when a colon follows, so "Re-design" or "Ref 12" survive.
REPLY_WORDS = (
    "re",  # Latin "in re": English and most clients
    "aw",  # German "Antwort"
    "antw",  # Dutch "antwoord"
    "sv",  # Swedish, Danish, Norwegian "svar"
    "odp",  # Polish "odpowiedź"
    "res",  # Portuguese and Spanish Outlook "resposta", "respuesta"
    "r",  # Italian "risposta"
    "rif",  # Italian "riferimento"
    "vs",  # Finnish "vastaus" (Norwegian uses it for forwards: ambiguous, so not a forward)
    "ref",  # "reference"
    "réf",  # French "référence"
)
FORWARD_WORDS = (
    "fw",
    "fwd",
    "wg",  # German "weitergeleitet"
    "tr",  # French "transféré"
    "rv",  # Spanish "reenviado"
    "enc",  # Portuguese "encaminhado"
    "doorst",  # Dutch "doorsturen"
)
_WORDS = "|".join(sorted(REPLY_WORDS + FORWARD_WORDS, key=len, reverse=True))
_BLOB_TEXT = r"\[[^\[\]]*\][ \t]*"
# RFC 5256 subj-refwd (word *WSP *subj-blob ":"), plus the numbered forms clients
# write for the n-th reply ("Re[2]:" is a blob already; "Re(3):" and "RE^2:" are not)
# and the full-width colon of CJK input methods. Matched at a position, never searched.
_REFWD = re.compile(
    rf"(?P<word>{_WORDS})[ \t]*(?:\(\d+\)[ \t]*|\^\d+[ \t]*)?(?:{_BLOB_TEXT})*[:：][ \t]*",
    re.IGNORECASE,
)
_BLOB = re.compile(_BLOB_TEXT)
_NONSPACE = re.compile(r"\S")
_WHITESPACE = re.compile(r"\s+")


def base_subject(subject: str) -> str:
    """The subject without reply/forward markers and list tags (RFC 5256, section 2.1).

    Two messages with the same base subject belong to the same conversation, however
    many clients in however many languages replied and forwarded in between::

        >>> base_subject("RE: AW: Antw: [acme] Factura 12 (fwd)")
        'Factura 12'
        >>> base_subject("Re-design of the landing page")
        'Re-design of the landing page'

    ``subject`` is already decoded (``parse_header`` decodes RFC 2047 words). Case is
    kept: RFC 5256 compares base subjects with a collation of its own; use
    ``subject_key`` to match a reply to an original.

    The steps are those of the RFC, with positions instead of string copies so a
    hostile 64 KB subject costs linear time:

    1. whitespace runs become one space;
    2. trailing "(fwd)" and whitespace go, repeatedly;
    3. leading whitespace and reply/forward prefixes ("Re:", "[tag] Fwd:", "AW:") go;
    4. a leading "[blob]" (a list tag) goes when something remains after it;
    5. 3 and 4 repeat until nothing changes;
    6. a "[fwd: ...]" wrapper is unwrapped and everything starts again from 2.
    """
    text = _WHITESPACE.sub(" ", subject)
    start, end = 0, len(text)
    while True:
        end = _without_trailer(text, start, end)
        start = _without_leaders(text, start, end)
        if end - start >= 6 and text[start : start + 5].lower() == "[fwd:" and text[end - 1] == "]":
            start, end = start + 5, end - 1
            continue
        return text[start:end]


def _without_trailer(text: str, start: int, end: int) -> int:
    # Step 2: subj-trailer = "(fwd)" / WSP, case-insensitive.
    while end > start:
        if text[end - 1] == " ":
            end -= 1
        elif end - start >= 5 and text[end - 5 : end].lower() == "(fwd)":
            end -= 5
        else:
            return end
    return end


def _without_leaders(text: str, start: int, end: int) -> int:
    # Steps 3 to 5. RFC 5256's subj-leader is "*subj-blob subj-refwd"; removing the
    # blobs one at a time (step 4) first and then the subj-refwd gives the same result,
    # because a blob followed by a subj-refwd never leaves an empty remainder, and it
    # avoids rescanning a long run of blobs once per step.
    while start < end:
        if text[start] == " ":
            start += 1
            continue
        refwd = _REFWD.match(text, start, end)
        if refwd:
            start = refwd.end()
            continue
        blob = _BLOB.match(text, start, end)
        if blob and _NONSPACE.search(text, blob.end(), end):
            start = blob.end()
            continue
        break
    return start


def subject_key(subject: str) -> str:
    """The base subject case-folded: what a reply shares with the message it answers.

    Clients change case on the way ("RE: FACTURA 12" from a phone); case-folding
    rather than lower-casing also equates "ß" and "ss".
    """
    return base_subject(subject).casefold()


def is_forward(subject: str) -> bool:
    """Whether the subject says the message is a forward, not a reply.

    A client forwarding the freelancer's invoice to their accounts department has not
    answered it. The first marker decides: "Fwd: Factura 12" and "[acme] WG: Factura 12"
    are forwards, "Re: Fwd: Factura 12" is a reply (to a forward). RFC 5256's own forward
    forms count too when no prefix comes first: a "[fwd: ...]" wrapper and a trailing
    "(fwd)".
    """
    text = _WHITESPACE.sub(" ", subject).strip()
    position = 0
    while position < len(text):
        refwd = _REFWD.match(text, position)
        if refwd:
            return refwd.group("word").casefold() in FORWARD_WORDS
        if text[position : position + 5].lower() == "[fwd:":
            return True
        blob = _BLOB.match(text, position)
        if not blob:
            break
        position = blob.end()
    return text[-5:].lower() == "(fwd)"


# --------------------------------------------------------------------------- robots

# Values of Precedence that mark mail nobody wrote by hand (RFC 3834 section 3.1.8
# and long practice: vacation programs answer none of them).
_ROBOT_PRECEDENCE = frozenset({"bulk", "auto_reply", "list", "junk"})
_ROBOT_SENDERS = frozenset({"mailer-daemon", "postmaster"})

# Subjects of out-of-office replies, as Outlook/Exchange, Gmail and common webmails
# write them in es, en, nl and de. Compared accent- and case-insensitively at the start
# of the base subject (where clients put them: "Automatic reply: Factura 12"), so a
# client who writes "out of office" in the middle of a real answer is still heard.
OUT_OF_OFFICE_SUBJECTS = (
    "respuesta automática",
    "fuera de la oficina",
    "fuera de oficina",
    "ausente",
    "automatic reply",
    "auto-reply",
    "auto reply",
    "autoreply",
    "out of office",
    "out of the office",
    "away from the office",
    "vacation",
    "automatisch antwoord",
    "afwezig",
    "niet aanwezig",
    "abwesenheitsnotiz",
    "automatische antwort",
)
# Subjects of delivery failures (Postfix, Gmail, Exim, Exchange, Sendmail, qmail).
BOUNCE_SUBJECTS = (
    "undelivered mail returned to sender",
    "delivery status notification",
    "mail delivery failed",
    "mail delivery failure",
    "delivery has failed",
    "undeliverable",
    "returned mail",
    "failure notice",
    "no se puede entregar",
    "onbestelbaar",
    "unzustellbar",
)


def _folded(text: str) -> str:
    # "Respuesta automatica" arrives without its accent from some gateways.
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _phrases(phrases: Iterable[str]) -> re.Pattern[str]:
    # A phrase at the start, ending where a word ends: "Vacation:" and "Ausente -"
    # match, "Vacations in Spain" does not.
    words = "|".join(re.escape(_folded(p)) for p in phrases)
    return re.compile(rf"(?:{words})(?!\w)")


_OUT_OF_OFFICE = _phrases(OUT_OF_OFFICE_SUBJECTS)
_BOUNCE = _phrases(BOUNCE_SUBJECTS)


def is_automatic(header: MailHeader) -> str | None:
    """Why ``header`` is a machine's message (a short reason), or None for a person's.

    An auto-reply, a bounce or a list message that quotes the invoice's subject or
    threads under it is not the client answering: counting it would hold back a
    reminder the freelancer still needs. Header markers come first because they are
    meant for machines; subjects catch the many robots that set none.

    Not counted: ``X-Auto-Response-Suppress``, which a message carries to ASK others'
    robots not to answer it (Outlook puts it on ordinary mail).
    """
    robots = {name.lower(): value for name, value in header.robot_headers.items()}

    # RFC 3834: any keyword but "no" (possibly with parameters after ";") is automatic.
    # An empty value is malformed and says nothing either way.
    submitted = robots.get("auto-submitted", "").split(";")[0].strip().lower()
    if submitted and submitted != "no":
        return f"Auto-Submitted: {submitted[:40]}"  # a reason, not a copy of a hostile header
    for name, shown in (("x-autoreply", "X-Autoreply"), ("x-autorespond", "X-Autorespond")):
        if name in robots:
            return f"{shown} present"
    precedence = robots.get("precedence", "").strip().lower()
    if precedence in _ROBOT_PRECEDENCE:
        return f"Precedence: {precedence}"
    # A mailing list relays the client's words to many; it is not their answer to us.
    if "list-id" in robots:
        return "List-Id present"

    # Bounces. A null Return-Path is also what RFC 3834 asks auto-replies to use.
    if header.content_type == "multipart/report":
        return "bounce: multipart/report"
    if header.sender is not None and header.sender.email.partition("@")[0] in _ROBOT_SENDERS:
        return f"bounce: sender {header.sender.email.partition('@')[0]}"
    if "".join(robots.get("return-path", "-").split()) == "<>":  # "<>" or "< >"
        return "bounce: Return-Path <>"
    if "x-failed-recipients" in robots:
        return "bounce: X-Failed-Recipients"

    subject = _folded(base_subject(header.subject))
    if _BOUNCE.match(subject):
        return "bounce subject"
    if _OUT_OF_OFFICE.match(subject):
        return "out-of-office subject"
    return None


# --------------------------------------------------------------------------- reply matching


@dataclass(frozen=True, slots=True, kw_only=True)
class _Tracked:
    message_id: str
    subject_key: str
    client: str
    sent_at: datetime
    parents: tuple[str, ...]


class ThreadIndex:
    """The messages the assistant tracks, and which of them an incoming message answers.

    The engine adds what it follows (the freelancer's invoice and deliverable emails,
    the reminders it drafted) and asks about each incoming message. Nothing here reads
    a mailbox or a clock: dates come in with the messages.
    """

    def __init__(self) -> None:
        self._tracked: dict[str, _Tracked] = {}
        self._by_subject: dict[str, list[_Tracked]] = {}

    def __contains__(self, message_id: object) -> bool:
        return isinstance(message_id, str) and _canonical(message_id, strict=False) in self._tracked

    def __len__(self) -> int:
        return len(self._tracked)

    def add(
        self, message_id: str, *, subject: str, client: str, sent_at: datetime, parents: tuple[str, ...] = ()
    ) -> None:
        """Track a message the freelancer sent (or the assistant drafted).

        ``message_id`` is read like a Message-ID header ("<id>", "id@host" or with a
        comment). ``parents`` are the ids its own In-Reply-To and References name: a
        reminder threaded under the invoice email names it, so ``thread_of`` can lead a
        reply to the reminder back to the invoice. ``sent_at`` must carry a time zone,
        as the header dates it is compared with do.

        Adding an id that is already tracked changes nothing: the first one wins, as
        for duplicate ids in RFC 5256, and seeing the same email again in a rescan must
        not move its thread.
        """
        mid = _canonical(message_id)
        if sent_at.tzinfo is None or sent_at.utcoffset() is None:
            raise ValueError(f"sent_at of {mid} has no time zone: {sent_at!r}")
        if mid in self._tracked:
            return
        own_parents = tuple(p for p in (_canonical(p, strict=False) for p in parents) if p and p != mid)
        tracked = _Tracked(
            message_id=mid,
            subject_key=subject_key(subject),
            client=client,
            sent_at=sent_at,
            parents=own_parents,
        )
        self._tracked[mid] = tracked
        if tracked.subject_key:
            self._by_subject.setdefault(tracked.subject_key, []).append(tracked)

    def parent_of(self, header: MailHeader, *, client: str | None) -> str | None:
        """The tracked message ``header`` answers, or None.

        In order, the first that names a tracked message wins:

        1. In-Reply-To: the id the replying client meant to answer.
        2. References, last to first: the last is the direct parent; earlier ones are
           its ancestors, still right when the parent itself is not tracked (a reply to
           the client's own reply to the invoice).
        3. The subject, only when ``client`` (the client the sender belongs to) is given
           and equals the tracked message's client: many clients and webmails drop the
           threading headers, but an answer to "Factura 12" from someone else is not an
           answer to the freelancer's invoice. A forward is not an answer (``is_forward``),
           and nothing answers a message sent after it (when the reply has a date).
           Several invoices may share a subject ("Factura" alone): the most recent one
           sent before the reply is the one in the client's mind.

        Ids in headers win over subjects and need no client: a colleague of the client
        answering from another address still answers the thread.
        """
        own = header.message_id
        for mid in header.in_reply_to:
            if mid != own and mid in self._tracked:
                return mid
        for mid in reversed(header.references):
            if mid != own and mid in self._tracked:
                return mid
        if client is None or is_forward(header.subject):
            return None
        key = subject_key(header.subject)
        if not key:  # RFC 5256 threads no message by an empty subject either
            return None
        candidates = [
            t
            for t in self._by_subject.get(key, ())
            if t.client == client and t.message_id != own and (header.date is None or t.sent_at < header.date)
        ]
        if not candidates:
            return None
        return max(candidates, key=lambda t: t.sent_at).message_id

    def thread_of(self, message_id: str) -> str | None:
        """The root of a tracked message's thread: the tracked message it descends from.

        A client's reply to a reminder is a reply about the invoice: the reminder
        names the invoice email in its own References, and this follows such links up
        to a tracked message that names no tracked parent. A tracked message with no
        tracked parent is its own root; an id that is not tracked has none (None).
        A reference loop (it happens, see imaptest's thread vector) stops at the last
        message before the loop closes.
        """
        mid = _canonical(message_id, strict=False)
        if mid not in self._tracked:
            return None
        seen = {mid}
        while True:
            parent = next(
                (p for p in self._tracked[mid].parents if p in self._tracked and p not in seen), None
            )
            if parent is None:
                return mid
            seen.add(parent)
            mid = parent


def _canonical(value: str, *, strict: bool = True) -> str:
    mid = message_id(value)
    if not mid and strict:
        raise ValueError(f"not a message id: {value!r}")
    return mid
