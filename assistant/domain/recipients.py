"""Whom a reminder goes to: the address a client asked, in their own words, to be written to.

A client often answers a reminder with "please send it to accounts@..." ("envíala a
facturas@...", "stuur hem naar administratie@..."): the invoice went to the wrong desk.
``asked_address`` reads that request from the client's fresh text (never from what they
quote: the caller passes ``classify.fresh_text``), sentence by sentence: a sentence that
asks to send or forward something and names one address. A question is not a request
("can I send it to x@...?") unless it asks the freelancer ("could you send it to...?"), and
the client telling what they did ("I sent it to x@...") is not one either.
The fold remembers the address on the invoice (journal event ``send to``, structured data
``{"send_to": ...}``); ``send_to`` reads the latest one back, and the next reminder goes
there, the client's contact in Cc.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .model import Address

SEND_TO = "send_to"  # the journal data key of the address a client asked for

_ADDRESS = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_SENTENCE = re.compile(r"(?<=[.!?¿¡\n])\s+|\n")

# A request to send or forward (an imperative, a "please", "could you" is still a request):
# the verb in the three shipped languages, and the preposition before the address.
_REQUEST = re.compile(
    r"""
    \b(
        (please\s+)?(re-?)?(send|forward|address|email|mail)\b(\s+(it|them|the\s+invoices?|invoices?|
            this|these|future\s+invoices|reminders?|all\s+invoices))?\b.*?\b(to|at)\b
      | (please\s+)?use\s+.*?\b(address|email)\b
      | (env[ií]a(la|las|lo|los|dla|dlas|me|nos)?|env[ií]e(la|las|lo|los)?|reenv[ií]a(la|las|lo|los)?
            |reenv[ií]e(la|las|lo|los)?|m[aá]nda(la|las|lo|los)?|m[aá]nde(la|las|lo|los)?
            |dir[ií]ja(la|las)?|dir[ií]ge(la|las)?|remit(e|a)(la|las)?)\b.*?\b(a|al|en)\b
      | (por\s+favor,?\s+)?(env[ií]ar|reenviar|mandar|dirigir)(la|las|lo|los)?\b.*?\b(a|al)\b
      | (stuur|verstuur|stuurt|zend|mail|e-?mail)\b.*?\b(naar|aan|op)\b
      | (graag|gelieve)\b.*?\b(naar|aan)\b
    )
    """,
    re.IGNORECASE | re.VERBOSE | re.DOTALL,
)

# The client telling what they did, not asking: "I sent it to", "we forwarded it to", "he
# enviado", "hemos reenviado", "ik heb ... gestuurd", "we hebben ... doorgestuurd".
_TELLING = re.compile(
    r"\b(i|we)\s+(have\s+|'ve\s+)?(sent|forwarded|emailed|mailed)\b"
    r"|\b(he|hemos|ha|han)\s+(enviado|reenviado|mandado|remitido)\b"
    r"|\b(envi[eé]|enviamos|reenvi[eé]|reenviamos|mand[eé]|mandamos)\b"
    r"|\b(ik|we|wij)\s+(heb|hebben)\b.*\b(gestuurd|doorgestuurd|verstuurd|gemaild)\b"
    r"|\b(ik|we|wij)\s+(stuurde|stuurden)\b",
    re.IGNORECASE,
)


# A question that is a polite request to the freelancer ("could you send it to...?").
_POLITE = re.compile(
    r"\b(could|can|would|will)\s+you\b|\bkun(t)?\s+(je|jij|u)\b|\bzou(den)?\s+(je|jij|u)\b"
    r"|\bpodr[ií](a|as|an)\b|\bpuede(s|n)?\b|\bser[ií]a\s+posible\b",
    re.IGNORECASE,
)
# Dutch puts the verb last: "kun je hem naar x@... sturen?".
_DUTCH_BEFORE = re.compile(r"\b(naar|aan)\s*$", re.IGNORECASE)
_DUTCH_AFTER = re.compile(
    r"^\W*\s*(\w+\s+)?(sturen|versturen|doorsturen|mailen|e-?mailen|zenden)\b", re.IGNORECASE
)


@dataclass(frozen=True, slots=True, kw_only=True)
class AskedAddress:
    """An address the client asked reminders to go to, and the sentence that asks it."""

    address: str  # lower-cased
    quote: str


def asked_address(text: str, *, known: Iterable[str] = ()) -> AskedAddress | None:
    """The address the client's own words ask the invoice to be sent to, or None.

    ``known`` are addresses a request to use changes nothing (the client's contact, the
    freelancer's own). A sentence naming two addresses is ambiguous and is left alone.
    """
    ignore = {a.lower() for a in known}
    for sentence in _SENTENCE.split(text):
        sentence = " ".join(sentence.split())
        question = sentence.endswith("?") or sentence.startswith("¿")
        if not sentence or (question and not _POLITE.search(sentence)):
            continue
        found = {m.group(0).lower().rstrip(".") for m in _ADDRESS.finditer(sentence)}
        if len(found) != 1:
            continue
        (address,) = found
        if address in ignore or _TELLING.search(sentence):
            continue
        start = sentence.lower().index(address)
        before, after = sentence[:start], sentence[start + len(address) :]
        if _REQUEST.search(before) or (_DUTCH_BEFORE.search(before) and _DUTCH_AFTER.search(after)):
            return AskedAddress(address=address, quote=sentence)
    return None


def send_to(history: Iterable[tuple[str, Mapping[str, Any]]]) -> Address | None:
    """The address the latest ``send to`` line of an invoice's journal names, or None;
    ``history`` is its (event, data) pairs, oldest first."""
    latest = None
    for _event, data in history:
        if data.get(SEND_TO):
            latest = data[SEND_TO]
    return Address(email=latest) if latest else None
