"""What the journal says of a change, as words every view can say in the freelancer's language.

A detail is a message key and its values, all text, so the journal keeps them as JSON next
to the detail itself. English is written here: it is the journal's ``detail``, the log's
line and the pass report's. ``wording.py`` says the same keys (as ``said_<key>``) in the
other languages. A value named ``amount`` is "AMOUNT CURRENCY" (``Decimal`` text and an
ISO code), so a view can write it in the freelancer's numbers with its currency's sign;
every other value is shown as it is (dates are ISO days, subjects quoted).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # model.py names Said in its own types
    from .model import Money

ENGLISH: dict[str, str] = {
    # Sent
    "invoiced": "{amount}, issued {issued}, due {due}",
    "invoiced_no_amount": "amount unknown, issued {issued}, due {due}",
    "corrected": "by an override in invoices.yaml: {amount}, issued {issued}, due {due}",
    "corrected_no_amount": "by an override in invoices.yaml: amount unknown, issued {issued}, due {due}",
    "delivered": "{subject} sent {day}",
    "seen_in_sent": "{stage}: seen in Sent",
    "seen_in_sent_unknown": "{stage}: seen in Sent (not in the outbox)",
    "seen_in_statement": "{stage}: seen in Sent, in the statement of account",
    "replied_in_thread": "{stage}: the freelancer replied in the thread",
    "chased_by_hand": "{stage}: the freelancer chased by hand in the thread",
    "work_invoiced": "invoice {number}",
    # the Paid tag
    "tagged": "the invoice email was tagged {keyword}",
    "tagged_first_sight": "the invoice email was already tagged {keyword} when first read: tag seen on "
    "{day}, the day it was paid is not known",
    "tag_removed": "the {keyword} tag was removed",
    "tagged_in": "the invoice email was tagged {keyword} in {folder}",
    "tagged_first_sight_in": "a copy of the invoice email in {folder} was already tagged {keyword} when "
    "that folder was first read: tag seen on {day}, the day it was paid is not known",
    "tag_removed_in": "the {keyword} tag was removed in {folder}",
    # INBOX
    "automatic_reply": "{robot}; not an answer",
    "replied": "{sender} replied",
    "no_signal": "a reply with no payment, dispute or promise in it",
    "asked_elsewhere": "{sender} asked for it at {address}: the next reminder goes there",
    "claimed": "the client says it was paid; not chased, unconfirmed until the money is seen",
    "part_claimed": "the client says {amount} was paid",
    "disputed": "the client disputes it; talk to them",
    "disputed_and_paid": "the client disputes it; talk to them (the same message says it was paid)",
    "promised_for": "promised for {day}; chasing again after {after}",
    "promised_no_day": "promised, no day named; chasing again after {after}",
    "notified": "{notifier} notified a payment",
    "notified_amount": "{notifier} notified a payment {amount}",
    # the calendar
    "lapsed_promised": "promised until {day}, not paid: chasing again",
    "lapsed_paused": "paused until {day}, not paid: chasing again",
    "lapsed_disputed": "disputed until {day}, not paid: chasing again",
    # terminations: the triggers, and the journal lines that cite them (``why`` is filled in
    # by the view from the triggers' own words)
    "unpaid_after_final_notice": "invoice {number} still unpaid {days} days after the final notice "
    "(sent {day})",
    "unanswered_deliverables": "{count} deliverables unanswered for {days}+ days: {listed}",
    "late_payments": "{count} invoices paid late or unpaid after the final notice in the last {days} "
    "days: {numbers}",
    "scope_changes": "{count} scope-change requests in the last {days} days",
    "termination_held": "money is still owed; hold_until_paid: tell them once they have paid. {why}",
    "termination_suggested": "{why}",
}


@dataclass(frozen=True, slots=True)
class Said:
    """One detail: ``ENGLISH[key]`` filled with ``values``."""

    key: str
    values: Mapping[str, str] = field(default_factory=dict)

    @property
    def english(self) -> str:
        return ENGLISH[self.key].format(**self.values)

    def as_data(self) -> list[Any]:
        """As the journal keeps it (JSON)."""
        return [self.key, dict(self.values)]

    @classmethod
    def from_data(cls, data: Any) -> Said | None:
        """From the journal; None for anything this version does not know how to say."""
        if not (isinstance(data, list | tuple) and len(data) == 2 and isinstance(data[1], Mapping)):
            return None
        key, values = data
        if key not in ENGLISH:
            return None
        said = cls(str(key), {str(k): str(v) for k, v in values.items()})
        try:
            said.english  # noqa: B018 - every blank filled, or it is not ours to say
        except (KeyError, IndexError):
            return None
        return said


def said(key: str, /, **values: object) -> Said:
    return Said(key, {name: str(value) for name, value in values.items()})


def amount_text(value: Money) -> str:
    """An amount as a value of ``Said``: "1210.00 EUR"."""
    return f"{value.amount} {value.currency}"


def amount_of(text: str) -> Money | None:
    """The amount a value of ``Said`` carries, or None for text that is not one."""
    number, _, currency = text.partition(" ")
    from .model import Money

    if not (currency.isalpha() and len(currency) == 3):
        return None
    try:
        return Money(amount=Decimal(number), currency=currency)
    except InvalidOperation:
        return None
