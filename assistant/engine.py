"""One pass of the assistant over one account: sync -> fold -> plan -> act.

The pass reads what is new since the stored checkpoints, Sent first (the freelancer's
invoices, deliverables, and the reminders they actually sent), then INBOX (what clients
answered: payments, disputes, promises, approvals; payment notifications), then the Paid
tag on copies of invoice emails in the folders she files mail into: ``sync.Sync``
turns each message into typed facts and folds them into the ledger with the pure
``domain.fold.apply``. Then the calendar has its say (promises lapse, approved work is
invoiced), planning returns the due reminders, follow-ups, check-ins and suggested
terminations, each with what to do with it (draft, send, notify), and, unless it is a dry
run, ``act.Outbox`` withdraws the drafts that became wrong and carries each action out
exactly once. Only what will be drafted or sent is
composed; a notify stage is recorded as a to-do.

Ingestion (checkpoints, ledger, journal) is one SQLite transaction: a pass that fails
half-way leaves the state as it was and the next pass does the same work again. A
message changes an item at most once (the journal remembers which message did what),
so reading the same mail again after a UIDVALIDITY change counts nothing twice. A dry
run performs the whole pass inside that transaction and rolls it back, so it changes
neither the mailbox nor the state.

A scan of several header batches (a first scan reads months of mail) commits after each
batch but the last, together with the checkpoint that covers exactly that batch
(``FolderScan.partial``): an interrupted first scan keeps what it read, and the next
pass goes on from there. The ``progress`` callable of ``run_pass`` hears how far each
folder's scan is after every batch; the engine does nothing else with it.

Acting is deliberately outside that transaction (see ``act``). The commands the freelancer
runs by name live in ``commands``; ``session.AccountSession`` opens what a pass needs.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from datetime import date, datetime
from zoneinfo import ZoneInfo

from . import bank_import, handover, holds
from .act import DRAFT_FLAGS, Outbox
from .adapters.mailbox import Mailbox
from .adapters.smtp import Sender
from .adapters.store import Store
from .commands import command_on_invoice, find_invoice, find_item, mark_paid, recover
from .config import Account, Config
from .domain import checkin, compose, fold, keys, ladder, recipients
from .domain.facts import PlannedAction
from .domain.keys import Action
from .domain.model import (
    Address,
    CheckIn,
    Client,
    DeliverableStatus,
    Draft,
    FollowUp,
    Invoice,
    InvoiceStatus,
    Reminder,
    Statement,
    Termination,
)
from .pass_report import PassReport, Progress, ScanProgress, Stopped
from .session import AccountSession, open_mailbox, open_sender, state_path
from .sync import MAX_MESSAGE_BYTES, Sync

__all__ = [
    "DRAFT_FLAGS",
    "MAX_MESSAGE_BYTES",
    "AccountSession",
    "Engine",
    "PassReport",
    "Progress",
    "ScanProgress",
    "Stopped",
    "command_on_invoice",
    "find_invoice",
    "find_item",
    "mark_paid",
    "open_mailbox",
    "open_sender",
    "state_path",
]

log = logging.getLogger(__name__)


class _DryRun(Exception):
    """Raised inside the pass transaction to roll a dry run back."""


class Engine:
    """The pass over one account, on a mailbox, a store and (optionally) an SMTP sender."""

    def __init__(
        self, config: Config, account: Account, mailbox: Mailbox, store: Store, sender: Sender | None = None
    ):
        # The identity drafts are written as, with this state's installation id (Message-IDs).
        identity = dataclasses.replace(config.identity, installation=store.installation())
        config = dataclasses.replace(config, settings=dataclasses.replace(config.settings, identity=identity))
        self.config = config
        self.account = account
        self.mailbox = mailbox
        self.store = store
        self.sender = sender
        self.rules = config.rules
        self.tz = ZoneInfo(config.identity.timezone)
        self.sync = Sync(config, account, mailbox, store)
        self.outbox = Outbox(config, account, mailbox, store, sender)
        self._held: set[tuple[str, str]] = set()  # first run: (client, number) not chased until confirmed

    def today(self, now: datetime) -> date:
        return now.astimezone(self.tz).date()

    # ----------------------------------------------------------------- the pass

    def run_pass(
        self,
        now: datetime,
        *,
        dry_run: bool = False,
        plan: bool = True,
        stop: threading.Event | None = None,
        progress: Progress | None = None,
    ) -> PassReport:
        """One pass. ``plan=False`` only reads mail and updates the ledger (the service does
        that on every IDLE push and writes drafts at the start of the working day).
        ``stop`` set by another thread ends the pass early: before the commit it rolls
        the pass back (the next one redoes the work; the batches of a long scan committed
        already stay), after it no further draft is written. ``progress`` is called with a
        ``ScanProgress`` after every header batch; an exception it raises (Ctrl-C) ends
        the pass like any other, after the batches committed so far.
        """
        report = PassReport(account=self.account.name, dry_run=dry_run)
        today = self.today(now)
        sync = self.sync
        sync.stop, sync.progress = stop, progress
        if not dry_run:
            self.store.daily_backup(today)
            # Handed-over commands first (handover.py): a server that is down does not hold them up.
            handover.apply_requests(self.store, self.config.state_dir, self.account.name, now, report)
        folders = self.mailbox.folders()
        if not dry_run:
            self.outbox.resolve_pending(folders, now)
        sync.begin()
        actions: list[tuple[PlannedAction, Draft | None]] = []
        try:
            with self.store.transaction():
                self.store.sync_clients(
                    {c.id: (c.name, c.language) for c in self.rules.clients.values()}, now
                )
                sync.read_mail(folders, now, today, report)  # Sent, INBOX, the Paid tag where filed
                bank_import.for_pass(self.store, self.config, self.account, now, report)
                sync.settle_calendar(now, today, report)
                if not dry_run:
                    recover(self.store, now, report)
                if plan:
                    actions = self._plan(now, today, report)
                if dry_run:
                    raise _DryRun
            sync.committed()
        except _DryRun:
            pass
        finally:
            sync.end()
        if not dry_run:
            # What this pass learnt (paid, promised, approved...) may make a waiting draft wrong.
            self.outbox.withdraw_outdated(folders, now, report)
            for planned, draft in actions:
                if stop is not None and stop.is_set():
                    break
                self._act(planned, draft, folders, now, report)
        return report

    def _act(
        self, planned: PlannedAction, draft: Draft | None, folders, now: datetime, report: PassReport
    ) -> None:
        if planned.action is Action.NOTIFY:
            self.outbox.notify(planned.what, now, report)
        elif draft is None:
            return  # it could not be composed; the error is in the report
        else:
            statement = planned.what if isinstance(planned.what, Statement) else None
            if planned.action is Action.SEND:
                self.outbox.send(draft, folders, now, report, statement)
            else:
                self.outbox.draft(draft, folders, now, report, statement)

    # ----------------------------------------------------------------- plan

    def _plan(
        self, now: datetime, today: date, report: PassReport
    ) -> list[tuple[PlannedAction, Draft | None]]:
        """What is due today, each with what to do with it, composed only when it will be used."""
        report.held = holds.hold_the_past(self.store, self.account, today, now) or []
        self._held = self.store.held_invoices()  # first run: not chased until confirmed
        taken = self.store.taken()
        escalation = self.rules.escalation
        clients, chasing = self.rules.clients, escalation.chasing
        unpaid = [i for i in self.store.invoices(InvoiceStatus.OPEN) if not holds.is_held(i, self._held)]
        outbox = self.store.outbox()
        last_reminded = ladder.last_reminder_days(((e.key, e.created_at) for e in outbox), self.tz)
        sent_on = ladder.sent_days(outbox, self.tz)  # the ladder climbs from what was really sent
        reminders = ladder.due_reminders(
            unpaid, escalation.invoice, clients, taken, today,
            ladders=escalation.ladders, chasing=chasing, last_reminded=last_reminded, sent_on=sent_on,
        )  # fmt: skip
        ladders: list[Reminder | Statement | FollowUp] = [
            # Several invoices of one client due today: one letter (unless `statement: false`).
            *ladder.group_statements(
                reminders, clients, escalation.invoice, today, ladders=escalation.ladders
            ),
            # Before and after the ladder (both off unless turned on).
            *ladder.due_before_notes(unpaid, escalation.before_due, clients, taken, today, chasing=chasing),
            *ladder.due_thanks(
                self.store.invoices(InvoiceStatus.PAID), escalation.thank_you, clients, taken, today
            ),
            *ladder.due_follow_ups(
                self.store.deliverables(DeliverableStatus.OPEN),
                escalation.deliverable,
                self.rules.clients,
                taken,
                today,
                self.tz,
                sent_on,
                chasing.stage_gap_days,
            ),
        ]
        check_ins = self._check_ins(ladders, now, today)
        report.planned = [*ladders, *check_ins]
        planned = [PlannedAction(what=p, action=self._action_of(p)) for p in ladders]
        planned += [PlannedAction(what=c) for c in check_ins]
        actions = []
        for action in planned:
            draft = None if action.action is Action.NOTIFY else self._compose(action.what, now, today, report)
            if draft is not None:
                report.composed.append(draft)
            actions.append((action, draft))
        for case in self._suggested_terminations(now, today, report, taken):
            draft = self.compose_termination(case, now, today, report)
            if draft is not None:
                report.composed.append(draft)
                report.terminations.append(case)
                actions.append((PlannedAction(what=case), draft))
        return actions

    def _action_of(self, planned: Reminder | Statement | FollowUp) -> Action:
        """The stage's ``action:`` (a statement's: its firmest reminder's); ``send`` only with a
        sender and for what may be sent."""
        stage = planned.firmest.stage if isinstance(planned, Statement) else planned.stage
        action = Action(stage.action)
        kind = keys.DraftKind.FOLLOW_UP if isinstance(planned, FollowUp) else keys.DraftKind.REMINDER
        if action is Action.SEND and (self.sender is None or not keys.may_send(kind, planned.key)):
            return Action.DRAFT
        return action

    def _check_ins(
        self, ladders: list[Reminder | Statement | FollowUp], now: datetime, today: date
    ) -> list[CheckIn]:
        """Check-ins due today. A reminder or follow-up planned in this same pass counts as a
        draft already written to that client: one message to them a day is enough."""
        rule = self.rules.escalation.check_in
        if not any(rule.after_days(c) is not None for c in self.rules.clients.values()):
            return []  # off (the default): not even a query
        drafts = [(e.key, e.created_at) for e in self.store.outbox()] + [(p.key, now) for p in ladders]
        return checkin.due_check_ins(
            self.rules.clients, rule, deliverables=self.store.deliverables(), invoices=self.store.invoices(),
            contacts=self.store.contacts(), drafts=drafts, today=today, tz=self.tz,
        )  # fmt: skip

    def _compose(
        self,
        planned: Reminder | Statement | FollowUp | CheckIn,
        now: datetime,
        today: date,
        report: PassReport,
    ) -> Draft | None:
        if isinstance(planned, CheckIn):
            client: Client = self.rules.clients[planned.client]
            name = self.rules.escalation.check_in.template
        elif isinstance(planned, Statement):
            client = self.rules.clients[planned.client]
            name = compose.STATEMENT_TEMPLATE
        else:
            item = planned.invoice if isinstance(planned, Reminder) else planned.deliverable
            client = self.rules.clients[item.client]
            name = planned.stage.template
        identity = self.config.identity
        try:
            template = self.rules.template(client.language, name)
            if isinstance(planned, CheckIn):
                return compose.check_in_draft(
                    planned, client=client, identity=identity, template_text=template.text, now=now,
                    today=today, tz=self.tz,
                )  # fmt: skip
            if isinstance(planned, Statement):
                attachments = {
                    r.invoice.number: a
                    for r in planned.reminders
                    if r.invoice.attachment_sha256
                    and (a := self.store.attachment(r.invoice.attachment_sha256)) is not None
                }
                return compose.statement_draft(
                    planned, client=client, identity=identity, template_text=template.text,
                    attachments=attachments, now=now, today=today, rates=self.rules.rates,
                    send_to=self._send_to(*(r.invoice for r in planned.reminders)),
                )  # fmt: skip
            if isinstance(planned, FollowUp):
                return compose.follow_up_draft(
                    planned, client=client, identity=identity, template_text=template.text, now=now,
                    today=today, tz=self.tz,
                )  # fmt: skip
            invoice = planned.invoice
            attachment = (
                self.store.attachment(invoice.attachment_sha256) if invoice.attachment_sha256 else None
            )
            return compose.reminder_draft(
                planned, client=client, identity=identity, template_text=template.text,
                attachment=attachment, now=now, today=today, rates=self.rules.rates,
                send_to=self._send_to(invoice),
            )  # fmt: skip
        except (KeyError, compose.TemplateError) as exc:
            message = f"{planned.key}: cannot compose the draft: {exc}"
            log.error("%s", message)
            report.errors.append(message)
            return None

    def _send_to(self, *invoices: Invoice) -> Address | None:
        """The address the client last asked for any of ``invoices`` at (journal ``send to``)."""
        asked = sorted(
            (
                entry
                for invoice in invoices
                for entry in self.store.history(keys.invoice_item(invoice))
                if entry.event == keys.JournalEvent.SEND_TO
            ),
            key=lambda entry: entry.at,
        )
        return recipients.send_to((entry.event, entry.data) for entry in asked)

    # ----------------------------------------------------------------- termination

    def _suggested_terminations(
        self, now: datetime, today: date, report: PassReport, taken
    ) -> list[Termination]:
        """Clients whose ledger trips a termination.yaml trigger this pass (once in 365 days each)."""
        outbox = {e.key: e for e in self.store.outbox()}
        cases = []
        for client in self.rules.clients.values():
            case, change = fold.suggested_termination(
                client,
                invoices=[i for i in self.store.invoices(client=client.id) if not holds.is_held(i, self._held)],
                deliverables=self.store.deliverables(client=client.id), outbox=outbox,
                history=self.store.history(keys.client_item(client.id)), rules=self.rules, today=today,
                tz=self.tz,
            )  # fmt: skip
            if change is not None:
                self.store.note(change.item, change.event, change.detail, now, data=change.journal_data)
                log.info("%s", change.line)
                report.add_change(change)
            if case is not None:
                cases.append(case)
        return cases

    def compose_termination(
        self, case: Termination, now: datetime, today: date, report: PassReport
    ) -> Draft | None:
        """The termination email of ``case`` (see ``commands.compose_termination``)."""
        from . import commands

        return commands.compose_termination(self, case, now, today, report)

    # ----------------------------------------------------------------- commands (see commands.py)

    def write_termination(
        self, client_id: str, reason: str, now: datetime, *, discussed_on: date | None = None
    ) -> tuple[Draft, Termination]:
        """``draft-termination``: the freelancer decided; write the draft (never send it)."""
        from . import commands

        return commands.write_termination(self, client_id, reason, now, discussed_on=discussed_on)

    def write_rate_increase(self, client_id: str, rate: str, starting: date | None, now: datetime) -> Draft:
        """``draft-rate-increase``: propose the new rate by email, suggesting a call."""
        from . import commands

        return commands.write_rate_increase(self, client_id, rate, starting, now)

    def write_digest(self, now: datetime, *, via: str = "imap") -> bool:
        """The daily digest, once a day (see ``commands.write_digest``)."""
        from . import commands

        return commands.write_digest(self, now, via=via)

    def digest_draft(self, now: datetime) -> Draft:
        """Today's digest, composed and not delivered (see ``commands.digest_draft``)."""
        from . import commands

        return commands.digest_draft(self, now)
