"""Keys, kinds, states and the draft lifecycle: one module spells them, one table moves them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from assistant.adapters import smtp
from assistant.domain import keys, ledger
from assistant.domain.keys import DraftKind, DraftState
from assistant.domain.ledger import DRAFT_TRANSITIONS, DraftEvent, IllegalTransition, draft_after
from assistant.domain.model import Deliverable, Invoice


def invoice(number: str = "2026-001") -> Invoice:
    return Invoice(
        client="acme",
        number=number,
        amount=None,
        issue_date=date(2026, 3, 1),
        due_date=date(2026, 3, 31),
        message_id="<inv@me.example>",
        subject="Factura",
        sent_at=datetime(2026, 3, 1, 9, tzinfo=UTC),
    )


def test_a_reminder_key_quotes_the_number_and_reads_back_to_the_invoice():
    bill = invoice("2026/007 B")
    key = keys.reminder_key(bill, "first-reminder")
    assert key == "invoice/acme/2026%2F007%20B/first-reminder"
    assert keys.item_of(key) == keys.invoice_actions(bill) == "invoice/acme/2026%2F007%20B"
    assert keys.stage_of(key) == "first-reminder"
    about = keys.parse(keys.item_of(key))
    assert (about.kind, about.client, about.invoice_number, about.deliverable) == (
        "invoice",
        "acme",
        "2026/007 B",
        None,
    )
    # The journal names an invoice by its number as written (as it always has).
    assert keys.invoice_item(bill) == "invoice/acme/2026/007 B"


def test_every_kind_of_key_names_its_client_except_the_digest():
    work = Deliverable(
        client="tulp",
        message_id="<work@me.example>",
        subject="Logo",
        sent_at=datetime(2026, 3, 1, tzinfo=UTC),
    )
    follow_up = keys.follow_up_key(work, "feedback-request")
    assert keys.parse(keys.item_of(follow_up)).deliverable == follow_up.split("/")[2]
    assert keys.client_of(follow_up) == "tulp"
    assert keys.client_of(keys.check_in_key("acme", date(2026, 3, 2))) == "acme"
    assert keys.client_of(keys.statement_key("acme", date(2026, 3, 2))) == "acme"
    assert keys.kind_of_key(keys.statement_key("acme", date(2026, 3, 2))) is DraftKind.REMINDER
    assert keys.client_of(keys.suggested_termination_key("acme", date(2026, 4, 10))) == "acme"
    assert keys.client_of(keys.rate_key("acme", date(2026, 3, 2))) == "acme"
    assert keys.client_of(keys.client_item("acme")) == "acme"
    assert keys.client_of(keys.digest_key("work", date(2026, 3, 2))) == ""
    assert keys.is_suggested_termination("termination/acme/suggested-2026")
    assert not keys.is_suggested_termination(keys.termination_key("acme", "non-payment"))


def test_a_key_seen_in_sent_without_an_outbox_entry_gets_the_kind_its_prefix_names():
    assert keys.kind_of_key("invoice/acme/1/first-reminder") is DraftKind.REMINDER
    assert keys.kind_of_key("deliverable/acme/d1234567/feedback-request") is DraftKind.FOLLOW_UP
    assert keys.kind_of_key("check-in/acme/2026-03-02") is DraftKind.CHECK_IN
    assert keys.kind_of_key("termination/acme/other") is DraftKind.TERMINATION


def test_the_domain_never_sends_a_termination_or_a_rate_email_and_smtp_agrees():
    for kind in DraftKind:
        for key in ("invoice/acme/1/first-reminder", "termination/acme/other", "rate/acme/2026-03-02"):
            domain = keys.may_send(kind, key)
            assert domain == (kind in smtp.SENDABLE_KINDS and not key.startswith(smtp._NEVER_KEY_PREFIXES))
    assert not keys.may_send(DraftKind.TERMINATION, "invoice/acme/1/first-reminder")
    assert not keys.may_send(DraftKind.REMINDER, "termination/acme/other")


def test_the_draft_lifecycle_claims_then_drafts_then_sees_it_sent():
    state = draft_after("k", None, DraftEvent.CLAIMED)
    assert state is DraftState.PENDING
    state = draft_after("k", state, DraftEvent.APPENDED)
    assert state is DraftState.DRAFTED
    assert draft_after("k", state, DraftEvent.SEEN_SENT) is DraftState.SENT
    assert draft_after("k", DraftState.PENDING, DraftEvent.RELEASED) is None


def test_a_draft_that_became_wrong_is_withdrawn_or_left_flagged_and_only_from_drafted():
    assert draft_after("k", DraftState.DRAFTED, DraftEvent.WITHDRAWN) is DraftState.WITHDRAWN
    assert draft_after("k", DraftState.DRAFTED, DraftEvent.OUTDATED) is DraftState.OBSOLETE
    # She sent her copy anyway: Sent is the truth.
    assert draft_after("k", DraftState.OBSOLETE, DraftEvent.SEEN_SENT) is DraftState.SENT
    # Withdrawn and its item open again: the stage may be drafted afresh (nothing of it is left).
    assert draft_after("k", DraftState.WITHDRAWN, DraftEvent.RELEASED) is None
    assert set(keys.NO_LONGER_NEEDED).isdisjoint(keys.WAITING)


@pytest.mark.parametrize(
    ("state", "event"),
    [
        (DraftState.DRAFTED, DraftEvent.RELEASED),  # a draft the freelancer deleted stays deleted
        (DraftState.SENT, DraftEvent.APPENDED),
        (DraftState.DRAFTED, DraftEvent.CLAIMED),
        (None, DraftEvent.APPENDED),
        (DraftState.SENT, DraftEvent.WITHDRAWN),  # what was sent is never "withdrawn"
        (DraftState.PENDING, DraftEvent.WITHDRAWN),  # not known to be in Drafts yet
        (DraftState.OBSOLETE, DraftEvent.WITHDRAWN),  # hers: never removed
        (DraftState.WITHDRAWN, DraftEvent.APPENDED),  # never a draft twice
        (DraftState.OBSOLETE, DraftEvent.RELEASED),  # hers may still be in Drafts
    ],
)
def test_a_move_the_draft_table_does_not_hold_raises(state, event):
    with pytest.raises(IllegalTransition, match="does not apply"):
        draft_after("invoice/acme/1/first-reminder", state, event)


def test_every_draft_state_has_a_row_in_the_table():
    assert set(DRAFT_TRANSITIONS) == {None, *DraftState}
    assert all(t is None or t in DraftState for row in DRAFT_TRANSITIONS.values() for t in row.values())
    assert ledger.DraftEvent.NOTIFIED in DRAFT_TRANSITIONS[None]


def test_a_new_invoice_state_is_unpaid_unless_it_is_paid_one_table_decides():
    from assistant.domain.model import InvoiceStatus

    assert set(ledger.UNPAID) == set(InvoiceStatus) - {InvoiceStatus.PAID}
    assert set(ledger.HOLDS) == set(ledger.UNPAID) - {InvoiceStatus.OPEN}
    assert set(ledger.INVOICE_TRANSITIONS) == set(InvoiceStatus)


def test_a_waiting_draft_is_no_longer_needed_once_its_item_is_no_longer_open():
    from dataclasses import replace

    from assistant.domain.attention import no_longer_needed
    from assistant.domain.model import DeliverableStatus, InvoiceStatus

    bill = invoice()
    work = Deliverable(
        client="acme", message_id="<w@x>", subject="Propuesta", sent_at=datetime(2026, 3, 2, tzinfo=UTC)
    )
    reminder = "invoice/acme/2026-001/first-reminder"
    assert no_longer_needed(reminder, DraftKind.REMINDER, bill, None) is None  # open: still right
    for status in (InvoiceStatus.PAID, InvoiceStatus.PROMISED, InvoiceStatus.DISPUTED, InvoiceStatus.PAUSED):
        assert no_longer_needed(reminder, DraftKind.REMINDER, replace(bill, status=status), None) == status
    paid = replace(bill, status=InvoiceStatus.PAID)
    assert no_longer_needed("invoice/acme/2026-001/thank-you", DraftKind.REMINDER, paid, None) is None
    follow_up = "deliverable/acme/d1234567/feedback-request"
    assert no_longer_needed(follow_up, DraftKind.FOLLOW_UP, None, work) is None
    for status in (DeliverableStatus.ANSWERED, DeliverableStatus.APPROVED):
        assert no_longer_needed(follow_up, DraftKind.FOLLOW_UP, None, replace(work, status=status)) == status
    # A check-in or a termination is about the client, not an item's state.
    assert no_longer_needed("check-in/acme/2026-03-02", DraftKind.CHECK_IN, paid, None) is None
    assert (
        no_longer_needed("termination/acme/suggested-2026-03-20", DraftKind.TERMINATION, paid, None) is None
    )
