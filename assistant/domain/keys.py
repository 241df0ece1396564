"""Keys and names: the one place that knows how action keys and journal items are spelt.

Every draft the assistant writes carries an action key (the outbox's UNIQUE column and the
``X-Freelance-Assistant-Key`` header); every journal line names the item it is about. Both
are slash-separated paths whose first part says what they are about:

=============================================  ==============================================
``invoice/<client>/<number>/<stage>``          a reminder (or a notify to-do) of a ladder stage
``statement/<client>/<day>``                   one letter for several reminders due that day; each
                                               reminder's own key is claimed with it
``deliverable/<client>/<id>/<stage>``          a follow-up (or a notify to-do) of a ladder stage
``check-in/<client>/<day of last contact>``    a check-in during ongoing work
``termination/<client>/<reason>``              a termination draft (``suggested-<day>`` when the
                                               assistant suggested it)
``rate/<client>/<day>``                        a rate-increase proposal
``digest/<account>/<day>``                     the daily digest
=============================================  ==============================================

An action's *item* is its key without the last part (``invoice/acme/2026-001``); journal
items are the same paths, plus ``client/<id>`` for what concerns a client as a whole and
``folder/<role>`` for a rescan. In an action key the invoice number is URL-quoted, so a
``/`` in a number stays unambiguous; the journal has always named an invoice by its plain
number (``invoice_item``), and keeps doing so, so old journals still read.

Besides the format this module owns the vocabularies stored as text: the kinds of drafts
(``DraftKind``), the states of an outbox entry (``DraftState``; the legal moves between them
are ``ledger.DRAFT_TRANSITIONS``) and the events of the journal (``JournalEvent``). They are
``StrEnum``s, so the values in the database and in the JSON documents are the strings they
always were.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import date
from enum import StrEnum
from typing import NamedTuple
from urllib.parse import quote, unquote

from .model import Deliverable, Invoice, deliverable_id

INVOICE = "invoice"
STATEMENT = "statement"
DELIVERABLE = "deliverable"
CHECK_IN = "check-in"
TERMINATION = "termination"
RATE = "rate"
DIGEST = "digest"
CLIENT = "client"
FOLDER = "folder"
# Keys the program never sends, whatever a draft's kind says.
NEVER_SENT_PREFIXES = (f"{TERMINATION}/", f"{RATE}/")


class DraftKind(StrEnum):
    """What an outbox entry is (the ``kind`` column, ``Draft.kind``)."""

    REMINDER = "reminder"
    FOLLOW_UP = "follow-up"
    CHECK_IN = "check-in"
    TERMINATION = "termination"
    RATE_INCREASE = "rate-increase"
    DIGEST = "digest"
    NOTICE = "notice"  # an `action: notify` stage: nothing was written, the freelancer acts


class DraftState(StrEnum):
    """Where an outbox entry is in its lifecycle (``ledger.DRAFT_TRANSITIONS``)."""

    PENDING = "pending"  # claimed; the message may or may not be in the mailbox yet
    DRAFTED = "drafted"  # waits in Drafts for the freelancer
    SENT = "sent"  # sent (seen in Sent, sent by SMTP, delivered, or a notice recorded)
    # No longer needed (its item was paid, held, answered or approved after it was written):
    WITHDRAWN = "withdrawn"  # still exactly as written, so the assistant removed it from Drafts
    OBSOLETE = "obsolete"  # the freelancer touched it (edited, re-flagged, moved): hers, only flagged


class Action(StrEnum):
    """What to do with a planned action (a ladder stage's ``action:``)."""

    DRAFT = "draft"  # compose it, append it to Drafts: the freelancer reviews and sends
    SEND = "send"  # compose it, send it by SMTP (only what ``may_send`` allows)
    NOTIFY = "notify"  # compose nothing: `status` and the digest list a to-do


# The product rule "a termination or rate email is never sent": what the program may ever send
# by itself. Never add TERMINATION or RATE_INCREASE: those are the freelancer's words to send,
# or not, after sleeping on them. ``adapters/smtp.py`` checks again, as a second lock.
SENDABLE_KINDS = frozenset({DraftKind.REMINDER, DraftKind.FOLLOW_UP, DraftKind.DIGEST})


def may_send(kind: str, *action_keys: str) -> bool:
    """Whether the program may send a message of ``kind`` carrying ``action_keys`` by itself."""
    return kind in SENDABLE_KINDS and not any(k.startswith(NEVER_SENT_PREFIXES) for k in action_keys)


# Outbox states of a draft the freelancer has not sent yet.
WAITING = (DraftState.DRAFTED, DraftState.PENDING)
# Outbox states of a draft that became wrong before it was sent: never "waiting to be sent".
NO_LONGER_NEEDED = (DraftState.WITHDRAWN, DraftState.OBSOLETE)


class JournalEvent(StrEnum):
    """What a journal line says happened (the ``event`` column)."""

    # invoices (the ledger events keep their names: ``ledger.Event`` values are journal events too)
    INVOICED = "invoiced"  # an invoice email seen in Sent; a deliverable invoiced after approval
    PAID = "paid"
    CLAIMED = "claimed"  # the client says it was paid: unconfirmed
    PART_PAID = "part-paid"
    PROMISED = "promised"
    DISPUTED = "disputed"
    PAUSED = "paused"
    RESUMED = "resumed"
    LAPSED = "lapsed"
    REOPENED = "open"  # the paid tag was removed: the invoice is open again
    CORRECTED = "corrected"  # an override in invoices.yaml fixed what was read
    # deliverables
    DELIVERED = "delivered"
    ANSWERED = "answered"
    APPROVED = "approved"
    # what the client wrote that changed nothing
    AUTOMATIC_REPLY = "automatic reply"
    REPLY = "reply"
    SEND_TO = "send to"  # the client asked for the invoice at another address (data: send_to)
    # the client as a whole
    SCOPE_CHANGE = "scope change"
    TERMINATION_HELD = "termination held"
    TERMINATION_SUGGESTED = "termination suggested"
    TERMINATION_DRAFTED = "termination drafted"
    # the assistant's own actions
    DRAFTED = "drafted"
    SENT = "sent"  # sent by SMTP (or an interrupted send settled)
    REMINDER_SENT = "reminder sent"  # the freelancer sent a reminder or follow-up draft
    CHECK_IN_SENT = "check-in sent"
    WITHDRAWN = "withdrawn"  # a draft that became wrong, removed from Drafts untouched
    NO_LONGER_NEEDED = "no longer needed"  # ...or left there, because the freelancer touched it
    DUE_AGAIN = "due again"  # a withdrawn draft's item is open again: the stage will be drafted afresh
    TO_DO = "to do"  # an `action: notify` stage
    RESCAN = "rescan"
    # bank statements and the first run (issue 15)
    BANK_EVIDENCE = "bank evidence"  # a transfer confirms an invoice already paid
    HELD = "held"  # the first scan held an old unpaid invoice: "still owed? confirm"
    CONFIRMED_OWED = "confirmed owed"  # `confirm-owed`: back on the ladder
    DISMISSED = "dismissed"  # `confirm-credit --not-an-invoice`
    UNREADABLE = "unreadable"  # a message the server refused to FETCH, left out of the scan


class Key(NamedTuple):
    """An action key or journal item read back: ``kind/client/what[/stage]``."""

    kind: str  # invoice, deliverable, check-in, termination, rate, digest, client, folder
    client: str  # the client id (the account name of a digest), or ""
    what: str  # the invoice number (unquoted), deliverable id, reason or day, or ""

    @property
    def invoice_number(self) -> str | None:
        return self.what if self.kind == INVOICE and self.what else None

    @property
    def deliverable(self) -> str | None:
        return self.what if self.kind == DELIVERABLE and self.what else None


# Kinds of key whose second part is a client id.
CLIENT_KINDS = (INVOICE, STATEMENT, DELIVERABLE, CHECK_IN, TERMINATION, RATE)


# --------------------------------------------------------------------------- building


def _number(number: str) -> str:
    return quote(number, safe="-_.")


def invoice_item(invoice: Invoice) -> str:
    """The journal item of an invoice: ``invoice/<client>/<number>`` (the number as written)."""
    return f"{INVOICE}/{invoice.client}/{invoice.number}"


def invoice_actions(invoice: Invoice) -> str:
    """The outbox item of an invoice's actions: ``invoice/<client>/<quoted number>``."""
    return f"{INVOICE}/{invoice.client}/{_number(invoice.number)}"


def deliverable_item(deliverable: Deliverable) -> str:
    """``deliverable/<client>/<id>``: journal and outbox item alike."""
    return f"{DELIVERABLE}/{deliverable.client}/{deliverable_id(deliverable.message_id)}"


def client_item(client_id: str) -> str:
    return f"{CLIENT}/{client_id}"


def folder_item(role: str) -> str:
    return f"{FOLDER}/{role}"


def reminder_key(invoice: Invoice, stage: str) -> str:
    """``invoice/<client>/<number>/<stage>``; the number is quoted so '/' stays unambiguous."""
    return f"{invoice_actions(invoice)}/{stage}"


def statement_key(client_id: str, day: date) -> str:
    """One statement of account per client and day."""
    return f"{STATEMENT}/{client_id}/{day.isoformat()}"


def follow_up_key(deliverable: Deliverable, stage: str) -> str:
    return f"{deliverable_item(deliverable)}/{stage}"


def check_in_key(client_id: str, last_contact: date) -> str:
    """The same silence always gives the same key: the outbox makes it once, ever."""
    return f"{CHECK_IN}/{client_id}/{last_contact.isoformat()}"


def termination_key(client_id: str, reason: str) -> str:
    return f"{TERMINATION}/{client_id}/{reason}"


def suggested_termination_key(client_id: str, day: date) -> str:
    """A suggestion made on ``day`` (``termination.may_suggest``: one in any 365 days)."""
    return termination_key(client_id, f"suggested-{day.isoformat()}")


def rate_key(client_id: str, day: date) -> str:
    return f"{RATE}/{client_id}/{day.isoformat()}"


def digest_key(account: str, day: date) -> str:
    return f"{DIGEST}/{account}/{day.isoformat()}"


# --------------------------------------------------------------------------- reading


def item_of(key: str) -> str:
    """``invoice/acme/2026-001/first-reminder`` -> ``invoice/acme/2026-001``."""
    return key.rsplit("/", 1)[0]


def stage_of(key: str) -> str:
    """``invoice/acme/2026-001/first-reminder`` -> ``first-reminder`` (the reason, the day...)."""
    return key.rsplit("/", 1)[-1]


def parse(item: str) -> Key:
    """An item or key read back; the invoice number unquoted; missing parts are ''."""
    kind, _, rest = item.partition("/")
    client, _, what = rest.partition("/")
    if kind in (INVOICE, DELIVERABLE):
        what = what.partition("/")[0] if kind == DELIVERABLE else what
        if kind == INVOICE:
            what = unquote(what)
    return Key(kind, client, what)


def client_of(key: str) -> str:
    """The client an action key or item is about, or "" (a digest, a folder)."""
    found = parse(key)
    return found.client if found.kind in (*CLIENT_KINDS, CLIENT) else ""


def kind_of_key(key: str) -> DraftKind:
    """The kind of draft a key stands for (a key seen in Sent that the outbox lost)."""
    kind = parse(key).kind
    return {
        DELIVERABLE: DraftKind.FOLLOW_UP,
        CHECK_IN: DraftKind.CHECK_IN,
        TERMINATION: DraftKind.TERMINATION,
        RATE: DraftKind.RATE_INCREASE,
        DIGEST: DraftKind.DIGEST,
    }.get(kind, DraftKind.REMINDER)


def is_digest(key: str) -> bool:
    return key.startswith(f"{DIGEST}/")


def is_statement(key: str) -> bool:
    return key.startswith(f"{STATEMENT}/")


def is_check_in(key: str) -> bool:
    return key.startswith(f"{CHECK_IN}/")


def is_termination(key: str) -> bool:
    return key.startswith(f"{TERMINATION}/")


def is_suggested_termination(key: str) -> bool:
    return is_termination(key) and stage_of(key).startswith("suggested-")


# --------------------------------------------------------------------------- tokens
#
# What goes out in a draft must say nothing of the freelancer's business: the key header
# carries an opaque token, not ``invoice/acme/2026-001/...`` (issue 14, point 6). The token
# is a function of the action key and the mailbox's address only, so two installations on
# one mailbox compute the same token for the same action (the mailbox is their shared
# truth), and a state rebuilt from the mailbox reads the keys back. It is opaque, not
# secret: the salt is derived from the address, so anyone holding the address and this
# code can read it; what it hides is the client, the kind and the year from the client.
#
# Layout (lower-case base32, no padding): a 10-byte HMAC-SHA256 of the key under the
# mailbox salt, then the key XOR a SHA-256 keystream seeded by that HMAC (a synthetic-IV
# construction: deterministic, and equal prefixes of two keys do not show).

TOKEN_HEADER = "X-Ref"  # says nothing of the program (was ``X-Freelance-Assistant-Key``)
LEGACY_KEY_HEADER = "X-Freelance-Assistant-Key"  # drafts written before: still recognised
_MAC_BYTES = 10


def _salt(address: str) -> bytes:
    return hashlib.sha256(b"freelance-mailbox\0" + address.strip().lower().encode()).digest()


def _stream(salt: bytes, mac: bytes, length: int) -> bytes:
    out = b""
    counter = 0
    while len(out) < length:
        out += hashlib.sha256(salt + mac + counter.to_bytes(4, "big")).digest()
        counter += 1
    return out[:length]


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode().rstrip("=").lower()


def token_for(key: str, address: str) -> str:
    """The opaque token of action ``key`` in the mailbox of ``address`` (the same for every installation)."""
    salt = _salt(address)
    raw = key.encode()
    mac = hmac.new(salt, raw, hashlib.sha256).digest()[:_MAC_BYTES]
    return _b32(mac + bytes(a ^ b for a, b in zip(raw, _stream(salt, mac, len(raw)), strict=True)))


def key_from_token(token: str, address: str) -> str | None:
    """The action key a token stands for, or None when it is not one of ours for ``address``."""
    text = token.strip().upper()
    if not text or len(text) > 400 or not text.isalnum():
        return None
    try:
        data = base64.b32decode(text + "=" * (-len(text) % 8))
    except ValueError:
        return None
    if len(data) <= _MAC_BYTES:
        return None
    salt = _salt(address)
    mac, sealed = data[:_MAC_BYTES], data[_MAC_BYTES:]
    raw = bytes(a ^ b for a, b in zip(sealed, _stream(salt, mac, len(sealed)), strict=True))
    if not hmac.compare_digest(hmac.new(salt, raw, hashlib.sha256).digest()[:_MAC_BYTES], mac):
        return None
    try:
        return raw.decode()
    except UnicodeDecodeError:
        return None


def message_id_for(key: str, address: str, installation: str, domain: str) -> str:
    """The Message-ID of our message for ``key``: opaque, and naming the installation that wrote it.

    The left part is the token's HMAC (the same action, the same prefix) and the installation
    id, so a draft of another installation on this mailbox is recognisable by either.
    """
    mac = token_for(key, address)[:16]
    return f"<{mac}.{installation or 'x'}@{domain}>"


def installation_of(message_id: str) -> str:
    """The installation id in one of our Message-IDs (``message_id_for``), or ""."""
    local = message_id.strip().strip("<>").partition("@")[0]
    mac, dot, installation = local.partition(".")
    return installation if dot and len(mac) == 16 and installation.isalnum() else ""
