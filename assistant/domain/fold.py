"""The fold: what each fact does to the ledger. ``apply(view, fact, today) -> [Change]``.

Every judgement the pass makes about mail lives here, pure: which Sent mail climbs a ladder,
what a client's words do to an invoice (PAID > DISPUTE > PROMISE, the signal precedence),
which invoice a payment notification pays (by number, else by an amount exactly one invoice
still owes), what the paid tag does, when a promise or a pause lapses, when approved work
counts as invoiced. The sync reads the ``View`` a fact concerns, calls ``apply``, and writes
the changes; the state machines themselves are the tables of ``ledger``.

A message changes an item at most once: an item in ``view.seen`` (this message changed it
already, in an earlier pass over the same mail) is left alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, tzinfo
from typing import Any

from . import classify, keys, ladder, ledger, recipients, termination
from .facts import (
    AutomaticReply,
    CalendarDay,
    Change,
    ClientWrote,
    DeliverableSent,
    DraftSeenSent,
    Fact,
    FreelancerWrote,
    InvoiceSent,
    LostDraft,
    OverrideInRules,
    PaidTag,
    PaymentNotice,
    View,
)
from .keys import DraftState, JournalEvent
from .model import (
    Client,
    Deliverable,
    DeliverableStatus,
    Evidence,
    Invoice,
    InvoiceStatus,
    Rules,
    Signal,
    Termination,
)
from .said import Said, amount_text, said

# Invoices a client's message can still change (paid ones only by removing the tag).
UNPAID = ledger.UNPAID

# What a client's words do to an unpaid invoice, strongest first: a message that says it was
# paid and also disputes it is a dispute (a person talks to them; issue 13: a conflict is
# never resolved silently), a dispute outweighs a promise. A table, so a new signal is one
# line.
CLIENT_SIGNALS: tuple[Signal, ...] = (Signal.DISPUTE, Signal.PAID, Signal.PROMISE)


def apply(view: View, fact: Fact, today: date) -> list[Change]:
    """The changes ``fact`` makes to the part of the ledger in ``view`` on ``today``."""
    rule: Callable[[View, Fact, date], list[Change]] = _RULES[type(fact)]
    return rule(view, fact, today)


# --------------------------------------------------------------------------- Sent


def draft_seen_sent(view: View, fact: DraftSeenSent, today: date) -> list[Change]:
    """Our draft in Sent: the freelancer sent it, and the ladder may climb."""
    entry = view.draft(fact.key)
    if entry is None:
        # The state was lost, or the draft came from another installation: record it as sent.
        lost = LostDraft(
            key=fact.key,
            kind=keys.kind_of_key(fact.key),
            item=keys.item_of(fact.key),
            message_id=fact.message_id,
            subject=fact.subject,
            recipient=fact.recipient,
            at=fact.at,
        )
        return [_sent(fact.key, lost.item, "seen_in_sent_unknown", fact.evidence, lost=lost)]
    # A statement of account stands for each reminder it carries (the same Message-ID): the
    # letter sent is each of those stages sent, and each invoice's ladder climbs.
    together = [entry]
    if entry.message_id:
        together += [d for d in view.drafts if d.key != entry.key and d.message_id == entry.message_id]
    return [
        _sent(d.key, d.item, "seen_in_sent" if d is entry else "seen_in_statement", fact.evidence, at=fact.at)
        for d in together
        if d.state is not DraftState.SENT
    ]  # fmt: skip


def freelancer_wrote(view: View, fact: FreelancerWrote, today: date) -> list[Change]:
    """The freelancer's own message in a tracked thread.

    After a draft was made: she chased in her own words, or sent our draft from a mail
    client that dropped our headers; the drafted stage counts as sent. With no draft
    waiting, in the thread of an invoice past its due date: a reminder she wrote herself
    (before installing, or by hand): it counts as the next stage of the ladder, so the next
    draft neither repeats it nor starts the ladder over.
    """
    drafted = [
        _sent(
            entry.key,
            entry.item or fact.item,
            "replied_in_thread",
            fact.evidence,
            at=fact.at,
        )
        for entry in view.drafts
        if entry.state is DraftState.DRAFTED
        and (fact.written_at is None or fact.written_at >= entry.created_at)
    ]
    if drafted or not view.next_stage or fact.item in view.seen:
        return drafted
    found = keys.parse(fact.item)
    invoice = view.invoice(found.client, found.what) if found.kind == keys.INVOICE else None
    if invoice is None or invoice.status not in UNPAID:
        return []
    written = fact.at.date() if fact.written_at is None else fact.written_at.date()
    if written <= invoice.due_date:
        return []  # before the due date it is not a reminder (the invoice sent again, a note)
    by_hand = LostDraft(
        key=view.next_stage,
        kind=keys.DraftKind.REMINDER,
        item=fact.item,
        message_id=fact.evidence.message_id,
        subject=fact.evidence.subject,
        recipient="",
        at=fact.at,
    )
    return [
        _sent(
            view.next_stage,
            fact.item,
            "chased_by_hand",
            fact.evidence,
            lost=by_hand,
        )
    ]


def _sent(
    key: str, item: str, how: str, evidence: Evidence, *, at=None, lost: LostDraft | None = None
) -> Change:
    event = JournalEvent.CHECK_IN_SENT if keys.is_check_in(key) else JournalEvent.REMINDER_SENT
    return Change(
        item=item,
        event=event,
        said=said(how, stage=keys.stage_of(key)),
        evidence=evidence,
        draft_sent="" if lost else key,
        sent_at=at,
        lost_draft=lost,
    )


def invoice_sent(view: View, fact: InvoiceSent, today: date) -> list[Change]:
    """An invoice email: the first one with a number is the invoice; seeing it again changes
    nothing. An invoice email already tagged paid is paid."""
    seen = fact.seen
    existing = view.invoice(seen.invoice.client, seen.invoice.number)
    new = ledger.record(existing, seen)
    changes = []
    if new is not None:
        changes.append(
            Change(
                item=keys.invoice_item(new),
                event=JournalEvent.INVOICED,
                said=_dated("invoiced", new),
                evidence=fact.evidence,
                invoice=new,
            )
        )
    invoice = new or existing
    assert invoice is not None
    if invoice.message_id == fact.evidence.message_id and fact.tagged_paid:
        # Tagged before we ever read it: paid on a day nobody told us, not today.
        changes += _paid_tag(invoice, True, view.paid_keyword, today, first_sight=True)
    return changes


def deliverable_sent(view: View, fact: DeliverableSent, today: date) -> list[Change]:
    existing = next((d for d in view.deliverables if d.message_id == fact.seen.deliverable.message_id), None)
    new = ledger.record_deliverable(existing, fact.seen)
    if new is None:
        return []
    return [
        Change(
            item=keys.deliverable_item(new),
            event=JournalEvent.DELIVERED,
            said=said("delivered", subject=repr(new.subject), day=f"{new.sent_at:%Y-%m-%d}"),
            evidence=fact.evidence,
            deliverable=new,
        )
    ]


def override_in_rules(view: View, fact: OverrideInRules, today: date) -> list[Change]:
    """An override corrects the amount and dates read from the invoices it names, once: an
    invoice that already reads so is left alone."""
    changes = []
    for invoice in view.invoices:
        fixed = classify.corrected(invoice, fact.override, fact.currencies.get(invoice.client, ""))
        if fixed is None:
            continue
        changes.append(
            Change(
                item=keys.invoice_item(fixed),
                event=JournalEvent.CORRECTED,
                said=_dated("corrected", fixed),
                invoice=fixed,
            )
        )
    return changes


def paid_tag(view: View, fact: PaidTag, today: date) -> list[Change]:
    """In Sent or on a copy filed elsewhere, the same rule; the journal says where."""
    invoice = view.invoice(fact.client, fact.number)
    if invoice is None:
        return []
    return _paid_tag(
        invoice, fact.present, view.paid_keyword, today, fact.folder, first_sight=fact.first_sight
    )


def _paid_tag(
    invoice: Invoice,
    present: bool,
    keyword: str,
    today: date,
    folder: str = "",
    *,
    first_sight: bool = False,
) -> list[Change]:
    """The tag set pays an unpaid invoice; removed, it reopens one it had paid (and only that).

    A tag that appears between two passes was set about ``today``; one already there when
    the invoice email is first read was set on a day nobody knows (a first scan of a year
    of mail): the invoice is paid with no ``paid_on``, and the journal says when the tag
    was seen, never pretending that was the day of payment. ``folder`` names where a copy
    filed outside Sent carries it."""
    if present and invoice.status in UNPAID:
        changed = ledger.apply(invoice, ledger.Event.PAID, on=None if first_sight else today, via="keyword")
        if first_sight and folder:
            words = said("tagged_first_sight_in", keyword=keyword, folder=folder, day=today)
        elif first_sight:
            words = said("tagged_first_sight", keyword=keyword, day=today)
        else:
            words = (
                said("tagged_in", keyword=keyword, folder=folder)
                if folder
                else said("tagged", keyword=keyword)
            )
    elif not present and invoice.status is InvoiceStatus.PAID and invoice.paid_via == "keyword":
        changed = ledger.apply(invoice, ledger.Event.REOPENED, on=today, via="keyword")
        words = (
            said("tag_removed_in", keyword=keyword, folder=folder)
            if folder
            else said("tag_removed", keyword=keyword)
        )
    else:
        return []
    event = JournalEvent(changed.status.value)  # "paid", or "open" again
    return [
        Change(
            item=keys.invoice_item(invoice),
            event=event,
            said=words,
            evidence=Evidence(source="tag"),
            invoice=changed,
        )
    ]


# --------------------------------------------------------------------------- INBOX


def automatic_reply(view: View, fact: AutomaticReply, today: date) -> list[Change]:
    """An auto-reply or a bounce is journaled, never read as an answer."""
    if fact.item in view.seen:
        return []
    return [
        Change(
            item=fact.item,
            event=JournalEvent.AUTOMATIC_REPLY,
            said=said("automatic_reply", robot=fact.robot),
            evidence=fact.evidence,
        )
    ]


def client_wrote(view: View, fact: ClientWrote, today: date) -> list[Change]:
    """A client's message: a scope change is noted on the client; an answer to a deliverable
    moves it; each unpaid invoice it concerns (its thread, the numbers it names) hears it."""
    changes = []
    signals = fact.signals
    client = keys.client_item(fact.client)
    if Signal.SCOPE_CHANGE in signals and client not in view.seen:
        changes.append(
            Change(
                item=client,
                event=JournalEvent.SCOPE_CHANGE,
                evidence=_quoted(fact.evidence, signals[Signal.SCOPE_CHANGE].quote),
            )
        )
    for deliverable in view.deliverables:
        changes += _deliverable_answered(view, fact, deliverable)
    for invoice in view.invoices:
        changes += _client_said(view, fact, invoice)
        changes += _send_elsewhere(view, fact, invoice)
    return changes


def _send_elsewhere(view: View, fact: ClientWrote, invoice: Invoice) -> list[Change]:
    """The client asked for the invoice at another address: the next reminder goes there."""
    item = keys.invoice_item(invoice)
    if fact.asked is None or item in view.seen or invoice.status not in UNPAID:
        return []
    address = fact.asked.address
    return [
        Change(
            item=item,
            event=JournalEvent.SEND_TO,
            said=said("asked_elsewhere", sender=fact.sender or "the client", address=address),
            evidence=_quoted(fact.evidence, fact.asked.quote),
            data={recipients.SEND_TO: address},
        )
    ]


def _deliverable_answered(view: View, fact: ClientWrote, deliverable) -> list[Change]:
    item = keys.deliverable_item(deliverable)
    if item in view.seen:
        return []
    approval = fact.signals.get(Signal.APPROVAL)
    event = ledger.DeliverableEvent.APPROVED if approval else ledger.DeliverableEvent.ANSWERED
    try:
        changed = ledger.apply_deliverable(deliverable, event, at=fact.at)
    except ledger.IllegalTransition:
        return [Change(item=item, event=JournalEvent.REPLY, evidence=fact.evidence, reported=False)]
    return [
        Change(
            item=item,
            event=JournalEvent(changed.status.value),
            said=said("replied", sender=fact.sender or "?"),
            evidence=_quoted(fact.evidence, approval.quote if approval else ""),
            deliverable=changed,
        )
    ]


def _client_said(view: View, fact: ClientWrote, invoice: Invoice) -> list[Change]:
    item = keys.invoice_item(invoice)
    if item in view.seen or invoice.status not in UNPAID:
        return []
    signals = fact.reading.for_ledger(invoice.number) if fact.reading is not None else fact.signals
    heard = next((signals[s] for s in CLIENT_SIGNALS if s in signals), None)
    on = fact.written_on
    # Journaled for `explain`, never logged: what else the reply says, what was not taken.
    notes = fact.reading.notes() if fact.reading is not None else ""
    if heard is None:
        return [
            Change(
                item=item,
                event=JournalEvent.REPLY,
                detail=said("no_signal").english + (f"; {notes}" if notes else ""),
                said=None if notes else said("no_signal"),
                evidence=fact.evidence,
                reported=False,
            )
        ]
    if heard.signal is Signal.PAID:
        amount = (
            heard.amount.amount if heard.amount and same_currency(heard.amount.currency, invoice) else None
        )
        event, changed = ledger.receive(invoice, amount, on=on, via="client")
        if event is ledger.Event.PAID:
            # Their word stops the chase, never the money: unconfirmed until a notification,
            # a bank statement, the Paid tag or `mark-paid` says so.
            event = ledger.Event.CLAIMED
            changed = ledger.apply(invoice, event, on=on, via="client", note=heard.quote)
            words = said("claimed")
        else:
            currency = invoice.amount.currency if invoice.amount else ""
            words = said("part_claimed", amount=f"{amount} {currency}".strip())
    elif heard.signal is Signal.DISPUTE:
        changed = ledger.apply(invoice, ledger.Event.DISPUTED, on=on, note=heard.quote)
        event = ledger.Event.DISPUTED
        # logged: none of their words here
        words = said(
            "disputed_and_paid" if fact.reading is not None and fact.reading.conflict else "disputed"
        )
    else:
        changed = ledger.apply(invoice, ledger.Event.PROMISED, on=on, until=heard.until, note=heard.quote)
        event = ledger.Event.PROMISED
        after = changed.hold_until
        words = (
            said("promised_for", day=heard.until, after=after)
            if heard.until
            else said("promised_no_day", after=after)
        )
    changes = [
        Change(
            item=item,
            event=JournalEvent(event),
            said=words,
            evidence=_quoted(fact.evidence, heard.quote),
            invoice=changed,
        )
    ]
    if notes:
        changes.append(
            Change(item=item, event=JournalEvent.REPLY, detail=f"also said: {notes}", evidence=fact.evidence,
                   reported=False)
        )  # fmt: skip
    return changes


def payment_targets(fact: PaymentNotice, unpaid: Iterable[Invoice]) -> list[Invoice]:
    """The unpaid invoices a payment notification pays: those it names by number; naming
    none, the one invoice that still owes exactly its amount (two such: neither)."""
    unpaid = [i for i in unpaid if i.status in UNPAID]
    targets = [i for i in unpaid if i.number in fact.numbers]
    amount = fact.amount
    if not targets and not fact.numbers and amount is not None:
        matching = [
            i
            for i in unpaid
            if i.outstanding is not None
            and i.outstanding.amount == amount.amount
            and same_currency(amount.currency, i)
        ]
        targets = matching if len(matching) == 1 else []
    return targets


def payment_notice(view: View, fact: PaymentNotice, today: date) -> list[Change]:
    changes = []
    amount = fact.amount
    for invoice in payment_targets(fact, view.invoices):
        item = keys.invoice_item(invoice)
        if item in view.seen:
            continue
        received = amount.amount if amount and same_currency(amount.currency, invoice) else None
        event, changed = ledger.receive(invoice, received, on=fact.written_on, via="notification")
        words = (
            said("notified_amount", notifier=fact.notifier, amount=f"{received} {invoice.amount.currency}")
            if received is not None and invoice.amount is not None
            else said("notified", notifier=fact.notifier)
        )
        changes.append(
            Change(
                item=item,
                event=JournalEvent(event),
                said=words,
                evidence=fact.evidence,
                invoice=changed,
            )
        )
    return changes


# --------------------------------------------------------------------------- the calendar


def calendar_day(view: View, fact: CalendarDay, today: date) -> list[Change]:
    """Promises and pauses whose day passed; approved work invoiced once an invoice followed."""
    changes = []
    for invoice in view.invoices:
        if ledger.lapsed(invoice, today):
            changes.append(
                Change(
                    item=keys.invoice_item(invoice),
                    event=JournalEvent.LAPSED,
                    said=said(f"lapsed_{invoice.status.value}", day=invoice.hold_until),
                    evidence=Evidence(source="calendar"),
                    invoice=ledger.apply(invoice, ledger.Event.LAPSED, on=today),
                )
            )
    for deliverable in view.deliverables:
        if deliverable.status is not DeliverableStatus.APPROVED or deliverable.approved_at is None:
            continue
        approved_at = deliverable.approved_at
        later = [i for i in view.invoices if i.client == deliverable.client and i.sent_at >= approved_at]
        if later:
            changed = ledger.apply_deliverable(
                deliverable, ledger.DeliverableEvent.INVOICED, at=fact.now, invoice_number=later[0].number
            )
            changes.append(
                Change(
                    item=keys.deliverable_item(deliverable),
                    event=JournalEvent.INVOICED,
                    said=said("work_invoiced", number=later[0].number),
                    deliverable=changed,
                )
            )
    return changes


# --------------------------------------------------------------------------- termination evidence


def final_notices(
    client: Client, invoices: Iterable[Invoice], outbox: Mapping[str, Any], rules: Rules
) -> dict[str, Any]:
    """Invoice number -> when its final notice (the stage with that role) was really sent."""
    final = ladder.final_stage(rules.escalation.invoice_stages(client))
    sent = {}
    if final is not None:
        for invoice in invoices:
            entry = outbox.get(keys.reminder_key(invoice, final.name))
            if entry is not None and entry.state == DraftState.SENT and entry.sent_at is not None:
                sent[invoice.number] = entry.sent_at
    return sent


def suggested_termination(
    client: Client,
    *,
    invoices: Sequence[Invoice],
    deliverables: Sequence[Deliverable],
    outbox: Mapping[str, Any],
    history: Iterable[Any],
    rules: Rules,
    today: date,
    tz: tzinfo,
) -> tuple[Termination | None, Change | None]:
    """Whether ``client``'s ledger trips a termination.yaml trigger today: the case to draft
    (or None) and the journal line that says so (or None).

    ``outbox`` maps action keys to entries (``key``, ``state``, ``sent_at``); ``history`` is
    the client's journal (``client/<id>``: entries with ``at``, ``event``, ``evidence``).
    At most one suggestion per client in any 365 days, none while one waits unsent
    (``termination.may_suggest`` over the client's termination drafts in ``outbox``).
    With ``hold_until_paid`` and money owed, no draft: a "termination held" line, once a year.
    """
    earlier = [
        (e.created_at.astimezone(tz).date(), e.state in keys.WAITING)
        for e in outbox.values()
        if keys.is_termination(e.key) and keys.client_of(e.key) == client.id
    ]
    if not termination.may_suggest(earlier, today):
        return None, None
    history = list(history)
    notices = final_notices(client, invoices, outbox, rules)
    scope = [
        (e.evidence.date if e.evidence and e.evidence.date else e.at)
        for e in history
        if e.event == JournalEvent.SCOPE_CHANGE
    ]
    fired = termination.triggers(client, invoices, deliverables, notices, scope, rules, today, tz)
    if not fired:
        return None, None
    why = tuple(t.evidence for t in fired)
    # The triggers' own words: a view says them (and the line citing them) in her language.
    data = {"why": list(why), "why_said": [t.said.as_data() for t in fired]}
    case = termination.case(
        client,
        fired[0].reason,
        key=keys.suggested_termination_key(client.id, today),
        invoices=invoices,
        deliverables=deliverables,
        rules=rules,
        today=today,
        evidence=why,
        evidence_said=tuple(t.said for t in fired),
        suggested=True,
        final_notices=notices,
    )
    item = keys.client_item(client.id)
    if termination.held(case, rules):
        if any(e.event == JournalEvent.TERMINATION_HELD and e.at.year == today.year for e in history):
            return None, None
        return None, Change(
            item=item,
            event=JournalEvent.TERMINATION_HELD,
            said=said("termination_held", why=" / ".join(why)),
            data=data,
        )
    return case, Change(
        item=item,
        event=JournalEvent.TERMINATION_SUGGESTED,
        said=said("termination_suggested", why=" / ".join(why)),
        data=data,
    )


# --------------------------------------------------------------------------- helpers


def _dated(key: str, invoice: Invoice) -> Said:
    """An invoice's amount and days, as the journal says them ("invoiced", "corrected")."""
    if invoice.amount is None:
        return said(f"{key}_no_amount", issued=invoice.issue_date, due=invoice.due_date)
    return said(key, amount=amount_text(invoice.amount), issued=invoice.issue_date, due=invoice.due_date)


def same_currency(currency: str, invoice: Invoice) -> bool:
    """An amount without a currency is taken to be in the invoice's currency."""
    return not currency or invoice.amount is None or currency == invoice.amount.currency


def _quoted(evidence: Evidence, quote: str) -> Evidence:
    if not quote:
        return evidence
    return Evidence(
        source=evidence.source,
        message_id=evidence.message_id,
        sender=evidence.sender,
        subject=evidence.subject,
        date=evidence.date,
        quote=" ".join(quote.split())[:200],
    )


_RULES: dict[type, Callable] = {
    DraftSeenSent: draft_seen_sent,
    FreelancerWrote: freelancer_wrote,
    InvoiceSent: invoice_sent,
    DeliverableSent: deliverable_sent,
    PaidTag: paid_tag,
    AutomaticReply: automatic_reply,
    ClientWrote: client_wrote,
    PaymentNotice: payment_notice,
    OverrideInRules: override_in_rules,
    CalendarDay: calendar_day,
}
