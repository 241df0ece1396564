"""What ``status`` prints: tables by client for a person, and a stable JSON document for scripts.

Both are made from one ``domain.status.Overview``, so they always agree. The tables fit
80 columns (wider on a wider terminal), in words a freelancer uses; colour is added only
when the output is a terminal, never in a pipe and never with ``NO_COLOR`` set
(https://no-color.org). The JSON document is schema 1 of docs/status-json.md: within a
schema fields are only added, never renamed, removed or given another meaning.
"""

from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import IO, Any, ClassVar
from zoneinfo import ZoneInfo

from .adapters.store import Store
from .config import Account, Config
from .domain import checkin, keys
from .domain.classify import guesses_of
from .domain.ledger import HOLDS
from .domain.model import Invoice, InvoiceStatus, Money
from .domain.status import (
    ClientStatus,
    DraftRow,
    InvoiceRow,
    NextStep,
    Overview,
    Step,
    Todo,
    build_overview,
)
from .report import money

SCHEMA = 1
WIDTH = 80  # the width of a pipe, and the least a terminal gets

_PAID_VIA = {
    "keyword": "you tagged the email Paid",
    "client": "the client wrote that it was paid",
    "notification": "a payment notification named it",
    "cli": "you marked it paid",
    "bank": "a bank statement shows the transfer",
    "confirmed": "you confirmed it was paid after the first scan",
}


def overview(store: Store, config: Config, now: datetime) -> Overview:
    """The overview of one account's state at ``now``."""
    tz = ZoneInfo(config.identity.timezone)
    held = set(_waiting(store))  # issue 15: listed apart, "still owed? confirm", not chased
    return build_overview(
        clients=config.rules.clients,
        invoices=[i for i in store.invoices() if i not in held],
        deliverables=store.deliverables(),
        outbox=store.outbox(),
        journal=store.journal(prefix="client/"),
        rules=config.rules,
        today=now.astimezone(tz).date(),
        now=now,
        tz=tz,
    )


# --------------------------------------------------------------------------- colour


def wants_colour(stream: IO[str]) -> bool:
    """Colour on a terminal only; NO_COLOR (any value but empty) and TERM=dumb turn it off."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def width_of(stream: IO[str]) -> int:
    """80 columns in a pipe; the terminal's width on a terminal, but never less than 80."""
    isatty = getattr(stream, "isatty", None)
    if isatty and isatty():
        return max(WIDTH, min(shutil.get_terminal_size((WIDTH, 24)).columns, 160))
    return WIDTH


class _Paint:
    """ANSI styles when on, plain text when off (the text is the same either way)."""

    CODES: ClassVar[dict[str, str]] = {
        "bold": "1",
        "dim": "2",
        "red": "31",
        "green": "32",
        "yellow": "33",
        "cyan": "36",
    }

    def __init__(self, on: bool):
        self.on = on

    def __call__(self, text: str, *styles: str) -> str:
        if not self.on or not styles or not text:
            return text
        return f"\x1b[{';'.join(self.CODES[s] for s in styles)}m{text}\x1b[0m"


# --------------------------------------------------------------------------- text


def print_status(
    store: Store,
    config: Config,
    account: Account,
    now: datetime,
    *,
    out: IO[str],
    colour: bool = False,
    width: int = WIDTH,
) -> None:
    tz = ZoneInfo(config.identity.timezone)
    paint = _Paint(colour)
    view = overview(store, config, now)
    last = store.last_pass()
    last_text = last.astimezone(tz).strftime("%Y-%m-%d %H:%M") if last else "never"
    lines = [paint(f"Account {account.name}", "bold") + f" · last pass {last_text}"]
    lines.extend(paint(line, "bold") for line in other_installation_lines(store, tz))
    if last is None:  # only dry runs so far: they keep nothing
        lines.append("Nothing read yet: run `freelance-assistant scan` (or the service) first.")
        out.write("\n".join(lines) + "\n")
        return
    for block in view.clients:
        lines.append("")
        lines.extend(_client_lines(block, view, config, paint, width))
    seen = check_ins(store, config, now)
    if seen:
        lines.append("")
        lines.extend(_check_in_lines(seen, config, view.today, paint, width))
    lines.extend(_first_run_and_bank_lines(store, config, account, paint, view.today))
    lines.append("")
    lines.extend(_total_lines(view, config, paint, width))
    lines.extend(_quiet_work_lines(store, config, now))
    if refused := store.unreadable():
        # The scan went on past them; the freelancer can open them in their mail client.
        noun = "message" if refused == 1 else "messages"
        lines.append(
            paint(f"{refused} {noun} could not be read", "yellow")
            + " (the server refused them; the log names folder and number)"
        )
    out.write("\n".join(lines) + "\n")


# No work recognised for this long while there are clients: say so, it may be a misreading.
WORK_QUIET_DAYS = 60


def _quiet_work_lines(store: Store, config: Config, now: datetime) -> list[str]:
    """A line when no work sent to a client was recognised lately: either there was none, or
    what was sent was not recognised (deliverables.yaml says what counts)."""
    if not config.rules.clients:
        return []
    since = now - timedelta(days=WORK_QUIET_DAYS)
    if any(d.sent_at >= since for d in store.deliverables()):
        return []
    return [
        f"No work sent to a client recognised in the last {WORK_QUIET_DAYS} days. If you sent",
        "some, it was not recognised: a file attached, or a link with words such as",
        "“here are the wireframes”, counts (deliverables.yaml).",
    ]


def _first_run_and_bank_lines(
    store: Store, config: Config, account: Account, paint, today: date
) -> list[str]:
    """Issue 15: the held invoices to confirm, the bank credits nobody matched, the last statement."""
    import io

    from .holds import waiting
    from .report import print_held

    lines: list[str] = []
    held = waiting(store)
    if held:
        text = io.StringIO()
        print_held(held, config, account.first_run_hold_days, out=text)
        lines += [
            "",
            *(paint(x, "bold") if i == 0 else x for i, x in enumerate(text.getvalue().splitlines())),
        ]
    unmatched = store.bank_transactions("unmatched")
    if unmatched:
        lines += ["", paint(f"Bank credits to confirm: {len(unmatched)}", "bold")]
        for t in unmatched:
            c = t.credit
            payer = c.name or c.iban or "unknown payer"
            lines.append(f"  {c.booked} {money(Money(amount=c.amount, currency=c.currency), config):>12}  "
                         f"{_clip(payer, 24)}  {_clip(c.reference, 28)!r}  id …{c.transaction_id[-12:]}")  # fmt: skip
        lines.append(
            "  `freelance-assistant confirm-credit ID NUMBER` pays that invoice with it (ID: the end shown)"
        )
    imported = store.bank_transactions()
    if imported:
        latest = max(t.credit.booked for t in imported)
        lines += ["", f"Bank statements: {len(imported)} credits imported, the latest booked {latest}."]
        # The transfers of the last weeks and what they paid: the evidence, in a line each.
        recent = [
            t for t in imported if t.state == "matched" and (today - t.credit.booked).days <= RECENT_CREDIT_DAYS
        ][-RECENT_CREDIT_LINES:]
        for t in recent:
            c = t.credit
            lines.append(
                f"  {c.booked} {money(Money(amount=c.amount, currency=c.currency), config):>12}  "
                f"{_clip(c.name or c.iban or '?', 24)}  {_clip(c.reference, 28)!r} -> {', '.join(t.invoices)}"
            )
    if account.bank_sync is not None:
        synced = store.bank_sync(account.bank_sync.provider)
        if synced is None:
            lines.append("Bank sync: on, not run yet (the next pass fetches the transactions).")
        else:
            at, expires, _ = synced
            line = f"Bank sync: last {at.astimezone(ZoneInfo(config.identity.timezone)):%Y-%m-%d %H:%M}"
            if expires is not None:
                left = (expires - today).days
                line += f"; the bank's consent {'ended' if left < 0 else 'ends'} on {expires}"
                if left <= CONSENT_WARNING_DAYS:
                    line = paint(line + ": link the bank again at the aggregator to keep it going", "bold")
            lines.append(line)
    return lines


# Status shows the bank credits of the last weeks that paid something, at most this many.
RECENT_CREDIT_DAYS = 30
RECENT_CREDIT_LINES = 10
# Renew the consent before it lapses: two weeks' notice in status and the digest.
CONSENT_WARNING_DAYS = 14


def other_installation_lines(store: Store, tz: ZoneInfo) -> list[str]:
    """Said loudly wherever the freelancer looks: another assistant writes into this mailbox."""
    return [
        f"Another installation of freelance-assistant (id {installation}) writes into this mailbox "
        f"(last seen {seen.astimezone(tz).strftime('%Y-%m-%d %H:%M')} in {where}). Nothing is drafted "
        "twice, but run only one: stop the other service (another computer, or the system and the "
        "user unit both enabled)."
        for installation, seen, where in store.other_installations()
    ]


def check_ins(store: Store, config: Config, now: datetime) -> list[checkin.Outlook]:
    """Where each client with check-ins on stands (none when the rule is off for all)."""
    rule = config.rules.escalation.check_in
    clients = [c for c in config.rules.clients.values() if rule.after_days(c) is not None]
    if not clients:
        return []
    tz = ZoneInfo(config.identity.timezone)
    deliverables, invoices, contacts = store.deliverables(), store.invoices(), store.contacts()
    drafts = [(e.key, e.created_at) for e in store.outbox()]
    return [
        checkin.outlook(
            client,
            rule,
            deliverables=deliverables,
            invoices=invoices,
            contact=contacts.get(client.id),
            drafts=drafts,
            today=now.astimezone(tz).date(),
            tz=tz,
        )
        for client in sorted(clients, key=lambda c: c.id)
    ]


def _check_in_lines(
    seen: Sequence[checkin.Outlook], config: Config, today: date, paint: _Paint, width: int
) -> list[str]:
    rule = config.rules.escalation.check_in
    tz = ZoneInfo(config.identity.timezone)
    lines = [
        paint("Check-ins", "bold", "cyan"),
        _wrap(
            f"A short note to a client with work in progress (a deliverable of the last "
            f"{rule.active_within_days} days, not invoiced yet) after that many business days "
            "without a message either way.",
            width,
            "  ",
            paint,
            "dim",
        ),
    ]
    for outlook in seen:
        n = outlook.after_days or 0
        head = f"{outlook.client} · after {n} business day{'s' if n != 1 else ''}"
        if outlook.work is None or outlook.last_contact is None:
            lines.append(_wrap(f"{head}: {outlook.held}", width, "  - ", paint, subsequent="    "))
            continue
        lines.append(
            _wrap(
                f"{head} · work in progress {outlook.work.subject!r}", width, "  - ", paint, subsequent="    "
            )
        )
        lines.append(
            _wrap(f"last contact {outlook.last_contact.astimezone(tz):%Y-%m-%d}", width, "    ", paint)
        )
        if outlook.held:
            lines.append(_wrap(f"no check-in: {outlook.held}", width, "    ", paint, "dim"))
        elif outlook.due(today):
            lines.append(
                _wrap(
                    f"check-in due since {outlook.due_on}: the next pass drafts it",
                    width,
                    "    ",
                    paint,
                    "yellow",
                )
            )
        else:
            lines.append(
                _wrap(f"check-in on {outlook.due_on} if nothing is exchanged before", width, "    ", paint)
            )
    return lines


def _client_lines(
    block: ClientStatus, view: Overview, config: Config, paint: _Paint, width: int
) -> list[str]:
    heading = f"{block.name} ({block.id})" if block.name != block.id else block.id
    lines = [paint(heading, "bold", "cyan")]
    owes = _amounts(block.outstanding, config)
    if owes:
        overdue = _amounts(block.overdue, config)
        note = "" if not overdue else (", all overdue" if overdue == owes else f", {overdue} overdue")
        if len(heading) + len(f" · owes {owes}{note}") <= width:
            lines[0] += f" · owes {owes}{note}"
        else:
            lines.append(_wrap(f"owes {owes}{note}", width, "  ", paint))
    if not block.configured:
        lines.append(
            _wrap("no longer in clients.yaml: nothing of theirs is chased", width, "  ", paint, "dim")
        )

    if block.invoices:
        rows = []
        for row in block.invoices:
            state, style = _invoice_state(row, view.today)
            amount = money(row.invoice.amount, config) if row.invoice.amount else "amount unknown"
            rows.append(
                (
                    [(row.invoice.number, ()), (amount, ()), (str(row.invoice.due_date), ()), (state, style)],
                    _invoice_detail(row, config, view.today),
                )
            )
        lines.extend(_table(["Invoice", "Amount", "Due", "Status"], ["<", ">", "<", "<"], rows, paint, width))

    if block.deliverables:
        rows = []
        waiting = {
            item.id: f"{item.business_days_waiting} business day{'s' if item.business_days_waiting != 1 else ''}"
            for item in block.deliverables
        }
        # The subject gets what the other columns leave of the line, and no less than 20.
        room = width - (2 + len("Work sent") + 2 + 10 + 2 + max(map(len, waiting.values())) + 2)
        for item in block.deliverables:
            rows.append(
                (
                    [
                        (item.id, ()),
                        (str(item.sent_on), ()),
                        (waiting[item.id], ("yellow",) if item.next and item.next.on <= view.today else ()),
                        (_clip(" ".join(item.deliverable.subject.split()), max(20, room)), ()),
                    ],
                    _ladder_text(item.last, item.next, view.today, "follow-up"),
                )
            )
        lines.append("")
        lines.extend(
            _table(["Work sent", "Sent", "Waiting", "Subject"], ["<", "<", "<", "<"], rows, paint, width)
        )

    if block.drafts:
        lines.append("")
        lines.append(paint("  Drafts waiting for you to send", "bold"))
        for draft in block.drafts:
            lines.append(_wrap(_draft_text(draft), width, "  - ", paint, subsequent="    "))

    if block.no_longer_needed:
        lines.append("")
        lines.append(paint("  Drafts no longer needed", "bold"))
        for draft in block.no_longer_needed:
            lines.append(_wrap(no_longer_needed_text(draft), width, "  - ", paint, "dim", subsequent="    "))

    if block.todos:
        lines.append("")
        lines.append(paint("  To do", "bold"))
        for todo in block.todos:
            first, *more = _todo_texts(todo, config)
            lines.append(_wrap(first, width, "  - ", paint, subsequent="    "))
            for text in more:
                warning = ("yellow",) if text.startswith("Warning") else ()
                lines.append(_wrap(text, width, "    ", paint, *warning))
    return lines


def _total_lines(view: Overview, config: Config, paint: _Paint, width: int) -> list[str]:
    unpaid = view.unpaid()
    if not view.clients:
        return ["Nothing outstanding: no unpaid invoices, no work waiting for an answer, nothing to do."]
    if not unpaid:
        return [paint("Outstanding: nothing; every invoice is paid.", "bold")]
    overdue = sum(1 for r in unpaid if r.days_overdue > 0)
    text = f"Outstanding: {_amounts(view.outstanding, config) or 'amounts unknown'}"
    text += f" in {len(unpaid)} invoice{'s' if len(unpaid) != 1 else ''}"
    if overdue:
        text += f", {overdue} of them overdue" if len(unpaid) > 1 else ", overdue"
    if view.unknown_amounts:
        text += f"; {view.unknown_amounts} with an amount not read"
    return [_wrap(text, width, "", paint, "bold")]


def _invoice_state(row: InvoiceRow, today: date) -> tuple[str, tuple[str, ...]]:
    invoice = row.invoice
    status = invoice.status
    if status is InvoiceStatus.PAID:
        return f"paid {invoice.paid_on}", ("green",)
    late = f"{row.days_overdue} day{'s' if row.days_overdue != 1 else ''} overdue"
    if status is not InvoiceStatus.OPEN:
        return (f"{status.value}, {late}" if row.days_overdue > 0 else status.value), ("yellow",)
    if row.days_overdue > 0:
        return late, ("red",)
    days = (invoice.due_date - today).days
    if days == 0:
        return "due today", ()
    return f"due in {days} day{'s' if days != 1 else ''}", ()


def _invoice_detail(row: InvoiceRow, config: Config, today: date) -> list[tuple[str, tuple[str, ...]]]:
    invoice = row.invoice
    parts: list[tuple[str, tuple[str, ...]]] = []
    if invoice.paid_amount and invoice.status is not InvoiceStatus.PAID and invoice.amount is not None:
        paid = money(Money(amount=invoice.paid_amount, currency=invoice.amount.currency), config)
        parts.append((f"{paid} paid so far, {money(invoice.outstanding, config)} still owed", ()))
    why = f": “{invoice.hold_note}”" if invoice.hold_note else ""
    if invoice.status is InvoiceStatus.PAID:
        parts.append((_PAID_VIA.get(invoice.paid_via, f"paid ({invoice.paid_via})"), ("dim",)))
    elif invoice.status is InvoiceStatus.PROMISED:
        until = f" until {invoice.hold_until}" if invoice.hold_until else ""
        parts.append((f"promised, not chased{until}{why}", ()))
    elif invoice.status is InvoiceStatus.CLAIMED:
        parts.append(
            (
                f"the client says it is paid (on {invoice.paid_on}){why}: not chased, UNCONFIRMED until a "
                f"payment notification, a bank statement, the Paid tag or `mark-paid {invoice.number}`",
                (),
            )
        )
    elif invoice.status is InvoiceStatus.DISPUTED:
        parts.append(
            (
                f"not chased{why}. A dispute needs a conversation, not a template: talk to them, "
                f"then `resume {invoice.number}`.",
                (),
            )
        )
    elif invoice.status is InvoiceStatus.PAUSED:
        until = (
            f"until {invoice.hold_until}" if invoice.hold_until else f"until you `resume {invoice.number}`"
        )
        parts.append((f"paused, not chased {until}{why}", ()))
    elif not row.chased:
        parts.append(("not chased: the client is no longer in clients.yaml", ("dim",)))
    else:
        parts.append((_ladder_text(row.last, row.next, today, "reminder"), ()))
    if invoice.status is not InvoiceStatus.PAID and (guessed := guesses_of(invoice)):
        parts.append((f"guessed: {guessed}", ("dim",)))
    return parts


def _ladder_text(last: Step | None, coming: NextStep | None, today: date, noun: str) -> str:
    said = []
    if last is not None:
        said.append(
            {
                "drafted": f"{last.name} waits in Drafts since {last.on}",
                "withdrawn": f"{last.name} of {last.on} withdrawn from Drafts, no longer needed",
                "obsolete": f"{last.name} of {last.on} no longer needed (yours in Drafts: not sent by us)",
                "pending": f"{last.name} was being written on {last.on} (the next pass finishes it)",
                "sent": f"{last.name} sent {last.on}",
                "notified": f"{last.name}: you were to contact them yourself on {last.on}",
            }.get(last.state, f"{last.name} {last.state} {last.on}")
        )
    if coming is None and last is not None:
        said[-1] += f" (the last {noun})" if last.state in ("drafted", "pending") else f"; no {noun} is left"
    elif coming is None:
        said.append(f"no {noun}s are configured")
    elif coming.waits:
        said.append(f"next: {coming.name}, once you have sent it")
    elif coming.on <= today:
        said.append(f"next: {coming.name}, written on the next pass")
    else:
        said.append(f"next: {coming.name} on {coming.on}")
    return "; ".join(said)


def _draft_text(draft: DraftRow) -> str:
    what = {
        "reminder": f"{draft.stage} for invoice {draft.invoice}",
        "follow-up": f"{draft.stage} for {draft.deliverable}",
        "termination": "termination (the program never sends it)",
        "rate-increase": "rate proposal",
    }.get(draft.kind, draft.kind)
    text = f"{what}: “{draft.subject}” to {draft.recipient}, since {draft.since:%Y-%m-%d %H:%M}"
    if draft.interrupted:
        text += " (interrupted; the next pass settles it)"
    return text


# What made a draft wrong, as the freelancer says it.
_BECAUSE = {
    "paid": "the invoice is paid",
    "promised": "the client promised to pay",
    "disputed": "the client disputes the invoice",
    "paused": "you paused the invoice",
    "answered": "the client answered",
    "approved": "the client approved the work",
    "invoiced": "the work is invoiced",
}


def no_longer_needed_text(draft: DraftRow) -> str:
    """One line of a draft that became wrong: what it was, why, and where it is now."""
    because = _BECAUSE.get(draft.why, draft.why or "its item changed")
    text = f"{_draft_text(draft)}: no longer needed ({because}); "
    folder = draft.folder or "Drafts"
    when = f"{draft.until:%Y-%m-%d %H:%M}" if draft.until else ""
    return text + {
        "withdrawn": f"withdrawn from {folder} on {when}",
        "changed": f"you changed it, so it stays in {folder}: delete it or keep it, it is yours",
        "gone": f"no longer in {folder}",
        "unsupported": (
            f"still in {folder}: the server cannot remove one message alone (no UIDPLUS); delete it yourself"
        ),
    }.get(draft.left, f"left in {folder}")


def _todo_texts(todo: Todo, config: Config) -> list[str]:
    owed = ", ".join(f"{i.number} {money(i.outstanding, config)}" for i in todo.owed)
    why = [f"why: {line}" for line in todo.why]
    if todo.kind == "invoice-work":
        return [f"Invoice the approved work “{todo.subject}” ({todo.ref}, approved {todo.on})."]
    if todo.kind == "confirm-payment":
        return [
            f"Check your bank for invoice {todo.ref}: the client said it was paid on {todo.on} and nothing "
            f"has confirmed it. Then `mark-paid {todo.ref}`, or `resume {todo.ref}` to chase it again."
        ]
    if todo.kind == "contact-client":
        about = f"invoice {todo.ref}" if todo.about == "invoice" else f"the work {todo.ref}"
        return [f"Contact {todo.recipient} yourself: {todo.stage} of {about} is due (since {todo.on})."]
    if todo.kind == "review-termination":
        after = f"{todo.not_before:%Y-%m-%d %H:%M}" if todo.not_before else "a night's sleep"
        texts = [
            f"Review the termination draft “{todo.subject}” to {todo.recipient} after {after}, "
            "then send it yourself: sleep on it, perhaps let a colleague read it."
        ]
        if keys.is_suggested_termination(todo.ref):
            texts.append(
                "Talk first, then put it in writing: call or meet them; then `draft-termination "
                f"{keys.client_of(todo.ref)} --reason REASON --after-call DAY` writes the email as the "
                "confirmation of that conversation."
            )
        if owed:
            texts.append(f"Warning: money is still owed ({owed}); wait until it is paid before telling them.")
        texts.extend(why)
        texts.append(
            "After the end: remove the client's logo from your portfolio if it invites questions, "
            "and do not speak badly of the client, to anyone."
        )
        return texts
    if todo.kind == "termination-held":
        return [
            "A termination is suggested but held until they have paid"
            + (f" ({owed})" if owed else "")
            + " (hold_until_paid: tell them once they have paid).",
            *why,
        ]
    return [f"{todo.kind}: {todo.ref}"]


# --------------------------------------------------------------------------- layout


Cell = tuple[str, tuple[str, ...]]


def _table(
    headers: Sequence[str],
    aligns: Sequence[str],
    rows: Sequence[tuple[Sequence[Cell], Any]],
    paint: _Paint,
    width: int,
) -> list[str]:
    """Columns sized to their content, two spaces apart, indented by two; under each row,
    its detail (text or (text, styles) parts) wrapped to ``width`` and indented by six."""
    widths = [max(len(h), *(len(cells[i][0]) for cells, _ in rows)) for i, h in enumerate(headers)]

    def line(cells: Sequence[Cell]) -> str:
        out = []
        for i, (text, styles) in enumerate(cells):
            last = i == len(cells) - 1
            padded = text.rjust(widths[i]) if aligns[i] == ">" else (text if last else text.ljust(widths[i]))
            out.append(paint(padded, *styles) if text else padded)
        return "  " + "  ".join(out)

    lines = [paint(line([(h, ()) for h in headers]).rstrip(), "dim")]
    for cells, detail in rows:
        lines.append(line(cells).rstrip())
        parts = [detail] if isinstance(detail, str) else list(detail)
        for part in parts:
            text, styles = (part, ()) if isinstance(part, str) else part
            if text:
                lines.append(_wrap(text, width, "      ", paint, *styles))
    return lines


def _wrap(
    text: str, width: int, indent: str, paint: _Paint, *styles: str, subsequent: str | None = None
) -> str:
    wrapped = textwrap.wrap(
        text,
        width=width,
        initial_indent=indent,
        subsequent_indent=subsequent if subsequent is not None else indent,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [indent]
    return "\n".join(paint(line, *styles) for line in wrapped)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _amounts(amounts: Sequence[Money], config: Config) -> str:
    return " + ".join(money(m, config) for m in amounts)


# --------------------------------------------------------------------------- JSON


def status_document(accounts: Sequence[dict[str, Any]], config: Config, now: datetime) -> dict[str, Any]:
    """The whole document of ``status --json`` (docs/status-json.md, schema 1)."""
    tz = ZoneInfo(config.identity.timezone)
    local = now.astimezone(tz)
    return {
        "schema": SCHEMA,
        "generated_at": local.isoformat(timespec="seconds"),
        "today": local.date().isoformat(),
        "accounts": list(accounts),
    }


def account_document(store: Store | None, config: Config, account: Account, now: datetime) -> dict[str, Any]:
    """One account of the document; ``store`` is None when the account was never scanned."""
    tz = ZoneInfo(config.identity.timezone)
    view = overview(store, config, now) if store is not None else None
    last = store.last_pass() if store is not None else None
    clients = view.clients if view is not None else []
    unpaid = view.unpaid() if view is not None else []
    return {
        "name": account.name,
        "last_pass": last.astimezone(tz).isoformat(timespec="seconds") if last else None,
        "other_installations": [i for i, _, _ in (store.other_installations() if store is not None else [])],
        "clients": [_client_json(block, config) for block in clients],
        "check_ins": [
            _check_in_json(o, tz) for o in (check_ins(store, config, now) if store is not None else [])
        ],
        # Issue 15: the first scan's held invoices and the bank credits waiting for a word.
        "still_owed_confirm": [_held_json(i) for i in (_waiting(store) if store is not None else [])],
        "unmatched_credits": [
            _credit_json(t.credit)
            for t in (store.bank_transactions("unmatched") if store is not None else [])
        ],
        "totals": {
            "outstanding": _money_list(view.outstanding if view else []),
            "overdue": _money_list(view.overdue if view else []),
            "invoices_unpaid": len(unpaid),
            "invoices_overdue": sum(1 for r in unpaid if r.days_overdue > 0),
            "amounts_unknown": view.unknown_amounts if view else 0,
            "deliverables_waiting": sum(len(c.deliverables) for c in clients),
            "drafts_waiting": sum(len(c.drafts) for c in clients),
            "drafts_no_longer_needed": sum(len(c.no_longer_needed) for c in clients),
            "todos": sum(len(c.todos) for c in clients),
            "messages_unreadable": store.unreadable() if store is not None else 0,
        },
    }


def _waiting(store: Store) -> list[Invoice]:
    from .holds import waiting

    return waiting(store)


def _held_json(invoice: Invoice) -> dict[str, Any]:
    return {
        "client": invoice.client,
        "number": invoice.number,
        "amount": _decimal(invoice.amount.amount) if invoice.amount else None,
        "currency": invoice.amount.currency if invoice.amount else None,
        "issued": invoice.issue_date.isoformat(),
        "due": invoice.due_date.isoformat(),
    }


def _credit_json(credit) -> dict[str, Any]:
    return {
        "id": credit.transaction_id,
        "booked": credit.booked.isoformat(),
        "amount": _decimal(credit.amount),
        "currency": credit.currency,
        "payer": credit.name,
        "iban": credit.iban,
        "reference": credit.remittance,
    }


def _check_in_json(outlook: checkin.Outlook, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "client": outlook.client,
        "after_business_days": outlook.after_days,
        "work": outlook.work.subject if outlook.work is not None else None,
        "last_contact": outlook.last_contact.astimezone(tz).isoformat(timespec="seconds")
        if outlook.last_contact is not None
        else None,
        "due_on": outlook.due_on.isoformat() if outlook.due_on is not None else None,
        "held": outlook.held or None,
    }


def _client_json(block: ClientStatus, config: Config) -> dict[str, Any]:
    return {
        "id": block.id,
        "name": block.name,
        "configured": block.configured,
        "outstanding": _money_list(block.outstanding),
        "overdue": _money_list(block.overdue),
        "invoices": [_invoice_json(row) for row in block.invoices],
        "deliverables": [
            {
                "id": item.id,
                "subject": item.deliverable.subject,
                "sent_on": item.sent_on.isoformat(),
                "business_days_waiting": item.business_days_waiting,
                **_ladder_json(item.last, item.next),
            }
            for item in block.deliverables
        ],
        "drafts_waiting": [_draft_json(draft) for draft in block.drafts],
        "drafts_no_longer_needed": [_draft_json(draft) for draft in block.no_longer_needed],
        "todos": [_todo_json(todo, config) for todo in block.todos],
    }


def _draft_json(draft: DraftRow) -> dict[str, Any]:
    return {
        "key": draft.key,
        "kind": draft.kind,
        "stage": draft.stage,
        "subject": draft.subject,
        "to": draft.recipient,
        "folder": draft.folder,
        "since": draft.since.isoformat(timespec="seconds"),
        "interrupted": draft.interrupted,
        "invoice": draft.invoice,
        "deliverable": draft.deliverable,
        "state": draft.state,
        "why": draft.why or None,
        "left": draft.left or None,
        "no_longer_needed_at": draft.until.isoformat(timespec="seconds") if draft.until else None,
    }


def _invoice_json(row: InvoiceRow) -> dict[str, Any]:
    invoice = row.invoice
    outstanding = invoice.outstanding
    held = invoice.status in HOLDS
    return {
        "number": invoice.number,
        "subject": invoice.subject,
        "amount": _decimal(invoice.amount.amount) if invoice.amount else None,
        "outstanding": _decimal(_places(outstanding.amount, invoice.amount.amount))
        if outstanding and invoice.amount
        else None,
        "currency": invoice.amount.currency if invoice.amount else None,
        "issued": invoice.issue_date.isoformat(),
        "due": invoice.due_date.isoformat(),
        "days_overdue": row.days_overdue,
        "state": invoice.status.value,
        "chased": row.chased,
        **_ladder_json(row.last, row.next),
        "hold": (
            {
                "kind": invoice.status.value,
                "until": invoice.hold_until.isoformat() if invoice.hold_until else None,
                "why": invoice.hold_note,
            }
            if held
            else None
        ),
        "paid_on": invoice.paid_on.isoformat() if invoice.paid_on else None,
        "paid_via": (invoice.paid_via or None) if invoice.status is InvoiceStatus.PAID else None,
        "read_from": dict(invoice.read_from) or None,
        "guessed": list(invoice.guessed),
    }


def _ladder_json(last: Step | None, coming: NextStep | None) -> dict[str, Any]:
    return {
        "stage": last.name if last else None,
        "stage_state": last.state if last else None,
        "stage_on": last.on.isoformat() if last else None,
        "next_stage": coming.name if coming else None,
        "next_stage_on": coming.on.isoformat() if coming else None,
        "next_stage_waits": bool(coming and coming.waits),
    }


def _todo_json(todo: Todo, config: Config) -> dict[str, Any]:
    text, *details = _todo_texts(todo, config)
    return {
        "kind": todo.kind,
        "text": text,
        "on": todo.on.isoformat(),
        "ref": todo.ref,
        "not_before": todo.not_before.isoformat(timespec="seconds") if todo.not_before else None,
        "details": details,
    }


def _money_list(amounts: Sequence[Money]) -> list[dict[str, str]]:
    return [{"amount": _decimal(m.amount), "currency": m.currency} for m in amounts]


def _places(value: Decimal, like: Decimal) -> Decimal:
    """``value`` with as many decimal places as ``like`` at least (a paid invoice owes "0.00")."""
    exponent, own = like.as_tuple().exponent, value.as_tuple().exponent
    if isinstance(exponent, int) and isinstance(own, int) and own > exponent:
        return value.quantize(Decimal(1).scaleb(exponent))
    return value


def _decimal(value: Decimal) -> str:
    """A plain decimal string ("1210.00"): exact, never an exponent, never a float."""
    return format(value, "f")
