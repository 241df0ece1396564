"""The fold's rules, with values alone: no mailbox, no store, milliseconds each.

Each test names a rule the pass applies to mail (issue 12, point 2): which Sent mail is what,
what a client's words do (PAID > DISPUTE > PROMISE), payment notices matched by number or by
amount, the Paid tag, lapsed promises, approved work invoiced, the evidence for a termination.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from assistant.adapters.parse import parse_mail
from assistant.domain import facts, keys, ledger
from assistant.domain.facts import (
    AutomaticReply,
    CalendarDay,
    ClientWrote,
    DeliverableSent,
    DraftSeenSent,
    FreelancerWrote,
    InvoiceSent,
    PaidTag,
    PaymentNotice,
    View,
)
from assistant.domain.fold import apply, payment_targets, suggested_termination
from assistant.domain.keys import DraftState, JournalEvent
from assistant.domain.model import (
    Deliverable,
    DeliverableSeen,
    DeliverableStatus,
    Evidence,
    Invoice,
    InvoiceSeen,
    InvoiceStatus,
    Money,
    Signal,
    SignalSeen,
)
from tests.support.world import TZ, invoice_email, plain_email, rules

TODAY = date(2026, 4, 10)
NOW = datetime(2026, 4, 10, 9, tzinfo=UTC)
MAIL = Evidence(source="mail", message_id="<reply@acme.example>", sender="marta@acme.example")


def invoice(number="2026-001", *, client="acme", amount="1210.00", currency="EUR", **changes) -> Invoice:
    return Invoice(
        client=client,
        number=number,
        amount=Money(amount=Decimal(amount), currency=currency) if amount else None,
        issue_date=date(2026, 3, 2),
        due_date=date(2026, 3, 16),
        message_id=f"<{number}@me.example>",
        subject=f"Factura {number}",
        sent_at=datetime(2026, 3, 2, 9, tzinfo=UTC),
        **changes,
    )


def work(**changes) -> Deliverable:
    return Deliverable(
        client="acme",
        message_id="<web@me.example>",
        subject="Web v2",
        sent_at=datetime(2026, 3, 20, 9, tzinfo=UTC),
        **changes,
    )


@dataclass
class Draft:
    """An outbox entry as the fold reads it."""

    key: str
    state: DraftState
    item: str
    created_at: datetime
    sent_at: datetime | None = None
    message_id: str = ""


def said(*signals: SignalSeen, client="acme") -> ClientWrote:
    return ClientWrote(
        client=client,
        thread=None,
        named=(),
        signals={s.signal: s for s in signals},
        written_on=TODAY,
        at=NOW,
        sender="marta@acme.example",
        evidence=MAIL,
    )


PAID = SignalSeen(signal=Signal.PAID, quote="ya está pagada")
DISPUTE = SignalSeen(signal=Signal.DISPUTE, quote="no estamos de acuerdo con el importe")
PROMISE = SignalSeen(signal=Signal.PROMISE, quote="pagamos el viernes", until=date(2026, 4, 17))


# --------------------------------------------------------------------------- which Sent mail is what


@pytest.fixture(scope="module")
def test_rules(tmp_path_factory):
    return rules(tmp_path_factory.mktemp("rules"))


def test_sent_mail_is_ours_before_it_is_an_invoice_a_deliverable_or_a_reply(test_rules):
    def kind(data: bytes, *, ours=None, thread=None):
        fact = facts.of_sent_mail(
            parse_mail(data), test_rules, tz=TZ, today=TODAY, now=NOW, ours=ours, thread=lambda: thread
        )
        return type(fact).__name__ if fact else None

    bill = invoice_email()
    assert kind(bill) == "InvoiceSent"
    # The same bytes, but the outbox knows its Message-ID: our draft, sent.
    entry = Draft("invoice/acme/2026-000/first-reminder", DraftState.DRAFTED, "invoice/acme/2026-000", NOW)
    assert kind(bill, ours=entry) == "DraftSeenSent"
    chat = plain_email(sender="lucia@freelancer.example", to="marta@acme.example", subject="Re: Web v2")
    assert kind(chat) is None
    assert kind(chat, thread="deliverable/acme/d1234567") == "FreelancerWrote"
    keyed = plain_email(
        sender="lucia@freelancer.example",
        to="marta@acme.example",
        subject="Re: Factura",
        X_Freelance_Assistant_Key="check-in/acme/2026-04-01",
    )
    fact = facts.of_sent_mail(
        parse_mail(keyed), test_rules, tz=TZ, today=TODAY, now=NOW, ours=None, thread=lambda: None
    )
    assert isinstance(fact, DraftSeenSent) and fact.key == "check-in/acme/2026-04-01"


def test_inbox_mail_is_a_payment_notice_an_automatic_reply_or_what_a_client_wrote(test_rules):
    def fact(data: bytes, *, thread=None):
        return facts.of_incoming_mail(
            parse_mail(data), test_rules, tz=TZ, today=TODAY, now=NOW, thread=lambda client: thread,
            open_numbers=lambda client: ["2026-001", "2026-002"] if client == "acme" else [],
        )  # fmt: skip

    stripe = plain_email(
        sender="Stripe <notifications@stripe.com>", to="lucia@freelancer.example",
        subject="Payment received", body="You received a payment of €1.210,00 for invoice 2026-001.\n",
    )  # fmt: skip
    notice = fact(stripe)
    assert isinstance(notice, PaymentNotice) and notice.numbers == ("2026-001",)
    away = plain_email(
        sender="marta@acme.example", to="lucia@freelancer.example", subject="Fuera de la oficina",
        Auto_Submitted="auto-replied",
    )  # fmt: skip
    assert fact(away) is None  # not in a tracked thread: nothing to note
    assert isinstance(fact(away, thread="invoice/acme/2026-001"), AutomaticReply)
    words = plain_email(
        sender="marta@acme.example", to="lucia@freelancer.example", subject="Pagos",
        body="Hola, la 2026-002 te la pagaremos el viernes.\n",
    )  # fmt: skip
    wrote = fact(words)
    assert isinstance(wrote, ClientWrote) and wrote.named == ("2026-002",) and wrote.thread is None
    assert Signal.PROMISE in wrote.signals
    stranger = plain_email(sender="someone@else.example", to="lucia@freelancer.example", subject="Hola")
    assert fact(stranger) is None


def test_our_draft_in_sent_climbs_the_ladder_once():
    key = "invoice/acme/2026-001/first-reminder"
    fact = DraftSeenSent(key=key, message_id="<m>", subject="Re: x", recipient="m@a", at=NOW, evidence=MAIL)
    drafted = Draft(key, DraftState.DRAFTED, "invoice/acme/2026-001", NOW - timedelta(days=1))
    (change,) = apply(View(drafts=(drafted,)), fact, TODAY)
    assert (change.draft_sent, change.event, change.detail) == (
        key,
        JournalEvent.REMINDER_SENT,
        "first-reminder: seen in Sent",
    )
    assert apply(View(drafts=(replace(drafted, state=DraftState.SENT),)), fact, TODAY) == []


def test_a_statement_of_account_in_sent_climbs_the_ladder_of_every_invoice_it_carries():
    key, mid = "statement/acme/2026-04-01", "<fa.1@freelancer.example>"
    letter = Draft(key, DraftState.DRAFTED, "statement/acme", NOW, message_id=mid)
    first = Draft(
        "invoice/acme/2026-001/first-reminder",
        DraftState.DRAFTED,
        "invoice/acme/2026-001",
        NOW,
        message_id=mid,
    )
    second = Draft(
        "invoice/acme/2026-002/final-notice", DraftState.DRAFTED, "invoice/acme/2026-002", NOW, message_id=mid
    )
    other = Draft(
        "invoice/acme/2026-003/first-reminder",
        DraftState.DRAFTED,
        "invoice/acme/2026-003",
        NOW,
        message_id="<x>",
    )
    fact = DraftSeenSent(key=key, message_id=mid, subject="Re: x", recipient="m@a", at=NOW, evidence=MAIL)
    changes = apply(View(drafts=(letter, first, second, other)), fact, TODAY)
    assert [(c.item, c.draft_sent) for c in changes] == [
        ("statement/acme", key),
        ("invoice/acme/2026-001", first.key),
        ("invoice/acme/2026-002", second.key),
    ]
    assert changes[1].detail == "first-reminder: seen in Sent, in the statement of account"
    # Seen again (a rescan): nothing is sent twice.
    sent = tuple(replace(d, state=DraftState.SENT) for d in (letter, first, second))
    assert apply(View(drafts=sent), fact, TODAY) == []


def test_a_key_in_sent_the_outbox_never_knew_is_recorded_with_the_kind_its_prefix_names():
    fact = DraftSeenSent(
        key="deliverable/acme/d1234567/feedback-request", message_id="<m>", subject="Re: Web", recipient="m@a",
        at=NOW, evidence=MAIL,
    )  # fmt: skip
    (change,) = apply(View(), fact, TODAY)
    assert change.lost_draft.kind == keys.DraftKind.FOLLOW_UP
    assert change.lost_draft.item == "deliverable/acme/d1234567"
    assert change.detail == "feedback-request: seen in Sent (not in the outbox)"


def test_the_freelancers_own_reply_after_a_draft_counts_as_that_stage_sent():
    item = "invoice/acme/2026-001"
    drafted = Draft(f"{item}/first-reminder", DraftState.DRAFTED, item, NOW - timedelta(days=1))
    older = Draft(f"{item}/second-reminder", DraftState.DRAFTED, item, NOW + timedelta(hours=1))
    wrote = FreelancerWrote(item=item, written_at=NOW, at=NOW, evidence=MAIL)
    changes = apply(View(drafts=(drafted, older)), wrote, TODAY)
    # Only the draft made before the reply: a reply written earlier did not send a later draft.
    assert [c.draft_sent for c in changes] == [f"{item}/first-reminder"]
    assert changes[0].detail == "first-reminder: the freelancer replied in the thread"


def test_an_invoice_email_is_recorded_once_and_paid_when_it_carries_the_tag():
    new = invoice()
    seen = InvoiceSeen(invoice=new, attachment=None)
    evidence = replace(MAIL, message_id=new.message_id)
    first = apply(View(), InvoiceSent(seen=seen, tagged_paid=False, evidence=evidence), TODAY)
    assert [(c.event, c.detail) for c in first] == [
        (JournalEvent.INVOICED, "1210.00 EUR, issued 2026-03-02, due 2026-03-16")
    ]
    assert (
        apply(View(invoices=(new,)), InvoiceSent(seen=seen, tagged_paid=False, evidence=evidence), TODAY)
        == []
    )
    tagged = apply(View(), InvoiceSent(seen=seen, tagged_paid=True, evidence=evidence), TODAY)
    assert [c.event for c in tagged] == [JournalEvent.INVOICED, JournalEvent.PAID]
    assert tagged[1].invoice.paid_via == "keyword"
    # Tagged before it was ever read: the day of payment is not known, and the scan day is not it.
    assert tagged[1].invoice.paid_on is None
    assert f"tag seen on {TODAY}, the day it was paid is not known" in tagged[1].detail


def test_a_deliverable_is_recorded_once():
    seen = DeliverableSeen(deliverable=work())
    (change,) = apply(View(), DeliverableSent(seen=seen, evidence=MAIL), TODAY)
    assert change.event is JournalEvent.DELIVERED and change.deliverable == work()
    assert apply(View(deliverables=(work(),)), DeliverableSent(seen=seen, evidence=MAIL), TODAY) == []


# --------------------------------------------------------------------------- the Paid tag


def test_the_paid_tag_pays_and_its_removal_reopens_only_what_the_tag_paid():
    bill = invoice()
    (paid,) = apply(View(invoices=(bill,)), PaidTag(client="acme", number="2026-001", present=True), TODAY)
    assert paid.invoice.status is InvoiceStatus.PAID and paid.detail == "the invoice email was tagged $Paid"
    assert paid.invoice.paid_on == TODAY  # set between two passes: seen the day it was set, near enough
    removed = PaidTag(client="acme", number="2026-001", present=False)
    (reopened,) = apply(View(invoices=(paid.invoice,)), removed, TODAY)
    assert reopened.event is JournalEvent.REOPENED and reopened.invoice.status is InvoiceStatus.OPEN
    by_client = replace(bill, status=InvoiceStatus.PAID, paid_via="client")
    assert apply(View(invoices=(by_client,)), removed, TODAY) == []


def test_the_paid_tag_on_a_filed_copy_is_the_same_rule_and_the_journal_says_where():
    bill = invoice()
    tagged = PaidTag(client="acme", number="2026-001", present=True, folder="Archive/2025")
    (paid,) = apply(View(invoices=(bill,)), tagged, TODAY)
    assert paid.invoice.status is InvoiceStatus.PAID and paid.invoice.paid_via == "keyword"
    assert paid.detail == "the invoice email was tagged $Paid in Archive/2025"
    assert paid.evidence.source == "tag"
    removed = PaidTag(client="acme", number="2026-001", present=False, folder="Archive/2025")
    (reopened,) = apply(View(invoices=(paid.invoice,)), removed, TODAY)
    assert reopened.invoice.status is InvoiceStatus.OPEN
    assert reopened.detail == "the $Paid tag was removed in Archive/2025"


# --------------------------------------------------------------------------- what a client said


@pytest.mark.parametrize(
    ("signals", "status"),
    [
        ((PAID, DISPUTE, PROMISE), InvoiceStatus.DISPUTED),  # issue 13: a conflict is a dispute
        ((PAID, PROMISE), InvoiceStatus.CLAIMED),  # their word: not chased, never taken for paid
        ((DISPUTE, PROMISE), InvoiceStatus.DISPUTED),
        ((PROMISE,), InvoiceStatus.PROMISED),
    ],
)
def test_a_dispute_outweighs_a_payment_which_outweighs_a_promise(signals, status):
    (change,) = apply(View(invoices=(invoice(),)), said(*signals), TODAY)
    assert change.invoice.status is status


def test_a_promise_holds_the_chase_until_the_day_plus_a_grace_day():
    (change,) = apply(View(invoices=(invoice(),)), said(PROMISE), TODAY)
    assert change.invoice.hold_until == date(2026, 4, 18)
    assert change.detail == "promised for 2026-04-17; chasing again after 2026-04-18"
    assert change.evidence.quote == "pagamos el viernes"


def test_a_client_naming_less_than_owed_part_pays():
    partly = SignalSeen(
        signal=Signal.PAID, quote="pagamos 500", amount=Money(amount=Decimal(500), currency="")
    )
    (change,) = apply(View(invoices=(invoice(),)), said(partly), TODAY)
    assert change.event is JournalEvent.PART_PAID and change.invoice.outstanding.amount == Decimal("710.00")


def test_a_reply_without_a_signal_is_a_quiet_journal_line_and_paid_invoices_hear_nothing():
    (change,) = apply(View(invoices=(invoice(),)), said(), TODAY)
    assert change.event is JournalEvent.REPLY and not change.reported and change.invoice is None
    paid = replace(invoice(), status=InvoiceStatus.PAID)
    assert apply(View(invoices=(paid,)), said(DISPUTE), TODAY) == []


def test_a_message_changes_an_item_once():
    view = View(invoices=(invoice(),), seen=frozenset({"invoice/acme/2026-001"}))
    assert apply(view, said(PAID), TODAY) == []


def test_an_answer_moves_a_deliverable_and_a_scope_change_is_noted_on_the_client():
    approval = SignalSeen(signal=Signal.APPROVAL, quote="¡Aprobado!")
    scope = SignalSeen(signal=Signal.SCOPE_CHANGE, quote="otro cambio")
    changes = apply(View(deliverables=(work(),)), said(approval, scope), TODAY)
    assert [(c.item, c.event) for c in changes] == [
        ("client/acme", JournalEvent.SCOPE_CHANGE),
        (keys.deliverable_item(work()), JournalEvent.APPROVED),
    ]
    assert changes[1].deliverable.approved_at == NOW
    answered = replace(work(), status=DeliverableStatus.APPROVED)
    (again,) = apply(View(deliverables=(answered,)), said(approval), TODAY)
    assert again.event is JournalEvent.REPLY and not again.reported


def test_an_automatic_reply_is_never_an_answer():
    fact = AutomaticReply(item="invoice/acme/2026-001", robot="auto-reply", evidence=MAIL)
    (change,) = apply(View(), fact, TODAY)
    assert change.invoice is None and change.detail == "auto-reply; not an answer"


# --------------------------------------------------------------------------- payment notices


def notice(numbers=(), amount=None, currency="EUR") -> PaymentNotice:
    money = Money(amount=Decimal(amount), currency=currency) if amount else None
    return PaymentNotice(
        notifier="Stripe", numbers=tuple(numbers), amount=money, written_on=TODAY, evidence=MAIL
    )


def test_a_payment_notice_without_a_number_pays_the_one_invoice_owing_exactly_that_amount():
    owed = (invoice("A-1", amount="500.00"), invoice("A-2", amount="1210.00"))
    (change,) = apply(View(invoices=owed), notice(amount="1210.00"), TODAY)
    assert change.item == "invoice/acme/A-2" and change.invoice.status is InvoiceStatus.PAID
    assert change.detail == "Stripe notified a payment 1210.00 EUR"


def test_an_amount_two_invoices_owe_pays_neither_and_another_currency_none():
    twins = (invoice("A-1", amount="500.00"), invoice("A-2", amount="500.00"))
    assert payment_targets(notice(amount="500.00"), twins) == []
    assert payment_targets(notice(amount="500.00", currency="GBP"), twins[:1]) == []


def test_a_payment_notice_naming_a_number_pays_that_invoice_even_in_part():
    owed = (invoice("A-1", amount="500.00"), invoice("A-2", amount="1210.00"))
    (change,) = apply(View(invoices=owed), notice(numbers=["A-2"], amount="210.00"), TODAY)
    assert change.event is JournalEvent.PART_PAID and change.invoice.outstanding.amount == Decimal("1000.00")


# --------------------------------------------------------------------------- the calendar


def test_a_promise_lapses_the_day_after_its_grace_day_and_the_chase_resumes():
    promised = replace(invoice(), status=InvoiceStatus.PROMISED, hold_until=date(2026, 4, 9))
    (change,) = apply(View(invoices=(promised,)), CalendarDay(now=NOW), TODAY)
    assert change.event is JournalEvent.LAPSED and change.invoice.status is InvoiceStatus.OPEN
    assert change.detail == "promised until 2026-04-09, not paid: chasing again"
    not_yet = replace(promised, hold_until=TODAY)
    assert apply(View(invoices=(not_yet,)), CalendarDay(now=NOW), TODAY) == []


def test_approved_work_is_invoiced_once_an_invoice_to_that_client_follows():
    approved = work(status=DeliverableStatus.APPROVED, approved_at=datetime(2026, 3, 25, tzinfo=UTC))
    before = invoice("B-1")  # sent 2 March: before the approval
    after = replace(invoice("B-2"), sent_at=datetime(2026, 3, 26, tzinfo=UTC))
    other = replace(invoice("X-1", client="tulp"), sent_at=datetime(2026, 3, 27, tzinfo=UTC))
    assert apply(View(invoices=(before, other), deliverables=(approved,)), CalendarDay(now=NOW), TODAY) == []
    (change,) = apply(View(invoices=(before, after), deliverables=(approved,)), CalendarDay(now=NOW), TODAY)
    assert (
        change.deliverable.status is DeliverableStatus.INVOICED and change.deliverable.invoice_number == "B-2"
    )


# --------------------------------------------------------------------------- termination evidence


def test_an_invoice_unpaid_30_days_after_its_final_notice_suggests_a_termination(test_rules):
    client = test_rules.clients["acme"]
    final = test_rules.escalation.invoice[-1]
    bill = invoice()
    key = keys.reminder_key(bill, final.name)
    sent = Draft(key, DraftState.SENT, keys.item_of(key), NOW, sent_at=datetime(2026, 3, 1, tzinfo=UTC))

    def suggest(rules, outbox, history=()):
        return suggested_termination(
            client, invoices=[bill], deliverables=[], outbox=outbox, history=history, rules=rules,
            today=TODAY, tz=TZ,
        )  # fmt: skip

    assert suggest(test_rules, {}) == (None, None)
    case, change = suggest(test_rules, {key: sent})
    assert case.key == "termination/acme/suggested-2026-04-10" and case.reason == "non-payment"
    assert change.event is JournalEvent.TERMINATION_SUGGESTED
    assert change.data["why"] == list(case.evidence) and change.detail == " / ".join(case.evidence)
    # hold_until_paid: no draft while money is owed; a held line once a year.
    holding = replace(test_rules, termination=replace(test_rules.termination, hold_until_paid=True))
    case, change = suggest(holding, {key: sent})
    assert case is None and change.event is JournalEvent.TERMINATION_HELD and change.data["why"]

    @dataclass
    class Line:
        at: datetime
        event: str
        evidence: Evidence | None = None

    assert suggest(holding, {key: sent}, [Line(NOW, "termination held")]) == (None, None)


def test_a_clients_paid_is_unconfirmed_until_the_money_is_seen_and_a_todo_after_ten_days():
    (change,) = apply(View(invoices=(invoice(),)), said(PAID), TODAY)
    claimed = change.invoice
    assert claimed.status is InvoiceStatus.CLAIMED and claimed.paid_on == TODAY and claimed.paid_via == "client"
    assert change.event == "claimed" and "unconfirmed" in change.detail
    # Not chased, not paid: a notification, the tag, the bank or mark-paid confirms it...
    assert ledger.apply(claimed, ledger.Event.PAID, on=TODAY, via="notification").status is InvoiceStatus.PAID
    # ...or the freelancer finds nothing in the bank and chases it again.
    reopened = ledger.apply(claimed, ledger.Event.RESUMED, on=TODAY)
    assert reopened.status is InvoiceStatus.OPEN and reopened.paid_on is None
    assert not ledger.claim_unconfirmed(claimed, TODAY + timedelta(days=10), 10)
    assert ledger.claim_unconfirmed(claimed, TODAY + timedelta(days=11), 10)
