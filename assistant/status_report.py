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
from .domain.ledger import HOLDS
from .domain.model import Invoice, InvoiceStatus, Money
from .domain.said import Said
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
from .wording import Voice, voice_of

SCHEMA = 1
WIDTH = 80  # the width of a pipe, and the least a terminal gets

# How it was paid: wording's paid_via_* says each in her words.
_PAID_VIA = ("keyword", "client", "notification", "cli", "bank", "confirmed")


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
    v = voice_of(config)
    view = overview(store, config, now)
    last = store.last_pass()
    last_text = last.astimezone(tz).strftime("%Y-%m-%d %H:%M") if last else v("never")
    lines = [paint(v("account", name=account.name), "bold") + " · " + v("last_pass", when=last_text)]
    lines.extend(paint(line, "bold") for line in other_installation_lines(store, tz, v))
    if last is None:  # only dry runs so far: they keep nothing
        lines.append(v("nothing_read"))
        out.write("\n".join(lines) + "\n")
        return
    for block in view.clients:
        lines.append("")
        lines.extend(_client_lines(block, view, v, paint, width))
    seen = check_ins(store, config, now)
    if seen:
        lines.append("")
        lines.extend(_check_in_lines(seen, config, view.today, paint, width))
    lines.extend(_first_run_and_bank_lines(store, config, account, paint, view.today, v))
    lines.append("")
    lines.extend(_total_lines(view, v, paint, width))
    lines.extend(_quiet_work_lines(store, config, now, v))
    if refused := store.unreadable():
        # The scan went on past them; the freelancer can open them in their mail client.
        lines.append(paint(v.count("unreadable", refused), "yellow") + v("unreadable_why"))
    lines.extend(handed_over_lines(config, account, v, paint))
    out.write("\n".join(lines) + "\n")


def handed_over_lines(config: Config, account: Account, v: Voice, paint: _Paint) -> list[str]:
    """Commands handed to the service (handover.py): one line for those waiting for its next
    pass, one for those it could not apply (kept in requests/failed/ with their error)."""
    from . import handover

    lines = []
    if waiting := handover.pending(config.state_dir, account.name):
        first = handover.describe(waiting[0])
        lines.append(v.count("handed_waiting", len(waiting), command=first))
    if failed := handover.failures(config.state_dir, account.name):
        last = failed[-1]
        where = last.path.parent
        lines.append(
            paint(
                v.count("handed_failed", len(failed), command=last.command, error=last.error, where=where),
                "yellow",
            )
        )
    return lines


# No work recognised for this long while there are clients: say so, it may be a misreading.
WORK_QUIET_DAYS = 60


def _quiet_work_lines(store: Store, config: Config, now: datetime, v: Voice) -> list[str]:
    """A line when no work sent to a client was recognised lately: either there was none, or
    what was sent was not recognised (deliverables.yaml says what counts)."""
    if not config.rules.clients:
        return []
    since = now - timedelta(days=WORK_QUIET_DAYS)
    if any(d.sent_at >= since for d in store.deliverables()):
        return []
    return v("quiet_work", days=WORK_QUIET_DAYS).splitlines()


def _first_run_and_bank_lines(
    store: Store, config: Config, account: Account, paint, today: date, v: Voice
) -> list[str]:
    """The held invoices to confirm, the bank credits nobody matched, the last statement."""
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
        lines += ["", paint(v("credits_to_confirm", n=len(unmatched)), "bold")]
        for t in unmatched:
            c = t.credit
            payer = c.name or c.iban or v("unknown_payer")
            lines.append(f"  {c.booked} {v.money(Money(amount=c.amount, currency=c.currency)):>10}  "
                         f"{_clip(payer, 24)}  {_clip(c.reference, 24)!r}  id …{c.transaction_id[-12:]}")  # fmt: skip
        lines.append(_wrap(v("confirm_credit_how"), WIDTH, "  ", paint))
    imported = store.bank_transactions()
    if imported:
        latest = max(t.credit.booked for t in imported)
        lines += ["", v.count("statements_imported", len(imported), day=latest)]
        # The transfers of the last weeks and what they paid: the evidence, in a line each.
        recent = [
            t for t in imported if t.state == "matched" and (today - t.credit.booked).days <= RECENT_CREDIT_DAYS
        ][-RECENT_CREDIT_LINES:]
        for t in recent:
            c = t.credit
            lines.append(
                f"  {c.booked} {v.money(Money(amount=c.amount, currency=c.currency)):>10}  "
                f"{_clip(c.name or c.iban or '?', 24)}  {_clip(c.reference, 28)!r} -> {', '.join(t.invoices)}"
            )
    if account.bank_sync is not None:
        synced = store.bank_sync(account.bank_sync.provider)
        if synced is None:
            lines.append(v("bank_sync_not_yet"))
        else:
            at, expires, _ = synced
            line = v("bank_sync_last", when=f"{at.astimezone(ZoneInfo(config.identity.timezone)):%Y-%m-%d %H:%M}")
            if expires is not None:
                left = (expires - today).days
                line += v("consent_ended" if left < 0 else "consent_ends", day=expires)
                if left <= CONSENT_WARNING_DAYS:
                    line = paint(line + v("link_again"), "bold")
            lines.append(line)
    return lines


# Status shows the bank credits of the last weeks that paid something, at most this many.
RECENT_CREDIT_DAYS = 30
RECENT_CREDIT_LINES = 10
# Renew the consent before it lapses: two weeks' notice in status and the digest.
CONSENT_WARNING_DAYS = 14


def other_installation_lines(store: Store, tz: ZoneInfo, v: Voice | None = None) -> list[str]:
    """Said loudly wherever the freelancer looks: another assistant writes into this mailbox."""
    v = v or Voice("en", {})
    return [
        v("other_installation", id=installation, when=seen.astimezone(tz).strftime("%Y-%m-%d %H:%M"), where=where)
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
    v = voice_of(config)
    lines = [
        paint(v("check_ins"), "bold", "cyan"),
        _wrap(v("check_ins_what", days=rule.active_within_days), width, "  ", paint, "dim"),
    ]
    for outlook in seen:
        head = f"{outlook.client} · " + v.count("check_in_after", outlook.after_days or 0)
        if outlook.work is None or outlook.last_contact is None:
            lines.append(_wrap(f"{head}: {outlook.held}", width, "  - ", paint, subsequent="    "))
            continue
        work = v("work_in_progress", subject=repr(outlook.work.subject))
        lines.append(_wrap(f"{head} · {work}", width, "  - ", paint, subsequent="    "))
        contact = f"{outlook.last_contact.astimezone(tz):%Y-%m-%d}"
        lines.append(_wrap(v("last_contact", day=contact), width, "    ", paint))
        if outlook.held:
            lines.append(_wrap(v("no_check_in", why=outlook.held), width, "    ", paint, "dim"))
        elif outlook.due(today):
            lines.append(_wrap(v("check_in_due", day=outlook.due_on), width, "    ", paint, "yellow"))
        else:
            lines.append(_wrap(v("check_in_on", day=outlook.due_on), width, "    ", paint))
    return lines


def _client_lines(block: ClientStatus, view: Overview, v: Voice, paint: _Paint, width: int) -> list[str]:
    heading = f"{block.name} ({block.id})" if block.name != block.id else block.id
    lines = [paint(heading, "bold", "cyan")]
    owes = _amounts(block.outstanding, v, block.id)
    if owes:
        overdue = _amounts(block.overdue, v, block.id)
        note = (
            ""
            if not overdue
            else (v("all_overdue") if overdue == owes else v("some_overdue", amounts=overdue))
        )
        said = v("owes", amounts=owes) + note
        if len(heading) + len(f" · {said}") <= width:
            lines[0] += f" · {said}"
        else:
            lines.append(_wrap(said, width, "  ", paint))
    if not block.configured:
        lines.append(_wrap(v("not_configured"), width, "  ", paint, "dim"))

    if block.invoices:
        rows = []
        for row in block.invoices:
            state, style = _invoice_state(row, view.today, v)
            amount = v.money(row.invoice.amount, block.id) if row.invoice.amount else v("amount_unknown")
            rows.append(
                (
                    [(row.invoice.number, ()), (amount, ()), (str(row.invoice.due_date), ()), (state, style)],
                    _invoice_detail(row, v, view.today),
                )
            )
        headers = [v("h_invoice"), v("h_amount"), v("h_due"), v("h_status")]
        lines.extend(_table(headers, ["<", ">", "<", "<"], rows, paint, width))

    if block.deliverables:
        rows = []
        waiting = {
            item.id: v.count("business_days", item.business_days_waiting) for item in block.deliverables
        }
        headers = [v("h_work"), v("h_sent"), v("h_waiting"), v("h_subject")]
        # The subject gets what the other columns (as wide as their header or widest cell)
        # leave of the line, and no less than 20.
        widest_id = max([len(headers[0]), *(len(item.id) for item in block.deliverables)])
        widest_wait = max([len(headers[2]), *map(len, waiting.values())])
        room = width - (2 + widest_id + 2 + max(10, len(headers[1])) + 2 + widest_wait + 2)
        for item in block.deliverables:
            rows.append(
                (
                    [
                        (item.id, ()),
                        (str(item.sent_on), ()),
                        (waiting[item.id], ("yellow",) if item.next and item.next.on <= view.today else ()),
                        (_clip(" ".join(item.deliverable.subject.split()), max(20, room)), ()),
                    ],
                    _ladder_text(item.last, item.next, view.today, "follow-up", v),
                )
            )
        lines.append("")
        lines.extend(_table(headers, ["<", "<", "<", "<"], rows, paint, width))

    if block.drafts:
        lines.append("")
        lines.append(paint("  " + v("drafts_waiting"), "bold"))
        for draft in block.drafts:
            lines.append(_wrap(_draft_text(draft, v), width, "  - ", paint, subsequent="    "))

    if block.no_longer_needed:
        lines.append("")
        lines.append(paint("  " + v("no_longer_needed_heading"), "bold"))
        for draft in block.no_longer_needed:
            lines.append(_wrap(no_longer_needed_text(draft, v), width, "  - ", paint, "dim", subsequent="    "))

    if block.todos:
        lines.append("")
        lines.append(paint("  " + v("to_do"), "bold"))
        warning = v("warning_owed", owed="").split("(")[0]
        for todo in block.todos:
            first, *more = _todo_texts(todo, v, block.id)
            lines.append(_wrap(first, width, "  - ", paint, subsequent="    "))
            for text in more:
                styles = ("yellow",) if text.startswith(warning) else ()
                lines.append(_wrap(text, width, "    ", paint, *styles))
    return lines


def _total_lines(view: Overview, v: Voice, paint: _Paint, width: int) -> list[str]:
    unpaid = view.unpaid()
    if not view.clients:
        return [v("nothing_outstanding")]
    if not unpaid:
        return [paint(v("all_paid"), "bold")]
    overdue = sum(1 for r in unpaid if r.days_overdue > 0)
    text = v("outstanding", amounts=_amounts(view.outstanding, v, None) or v("amounts_unknown"))
    text += v.count("in_invoices", len(unpaid))
    if overdue:
        text += v("of_them_overdue", n=overdue) if len(unpaid) > 1 else v("overdue_alone")
    if view.unknown_amounts:
        text += v("not_read", n=view.unknown_amounts)
    return [_wrap(text, width, "", paint, "bold")]


def _invoice_state(row: InvoiceRow, today: date, v: Voice) -> tuple[str, tuple[str, ...]]:
    invoice = row.invoice
    status = invoice.status
    if status is InvoiceStatus.PAID:
        said = v("paid_on", day=invoice.paid_on) if invoice.paid_on else v("paid_day_unknown")
        return said, ("green",)
    late = v.count("overdue_days", row.days_overdue)
    if status is not InvoiceStatus.OPEN:
        state = v(f"state_{status.value}")
        return (f"{state}, {late}" if row.days_overdue > 0 else state), ("yellow",)
    if row.days_overdue > 0:
        return late, ("red",)
    days = (invoice.due_date - today).days
    if days == 0:
        return v("due_today"), ()
    return v.count("due_in", days), ()


def _invoice_detail(row: InvoiceRow, v: Voice, today: date) -> list[tuple[str, tuple[str, ...]]]:
    invoice = row.invoice
    client = invoice.client
    parts: list[tuple[str, tuple[str, ...]]] = []
    if invoice.paid_amount and invoice.status is not InvoiceStatus.PAID and invoice.amount is not None:
        paid = v.money(Money(amount=invoice.paid_amount, currency=invoice.amount.currency), client)
        parts.append((v("paid_so_far", paid=paid, owed=v.money(invoice.outstanding, client)), ()))
    why = f": “{invoice.hold_note}”" if invoice.hold_note else ""
    if invoice.status is InvoiceStatus.PAID:
        via = invoice.paid_via
        said = v(f"paid_via_{via}") if via in _PAID_VIA else v("paid_via_other", via=via)
        parts.append((said, ("dim",)))
    elif invoice.status is InvoiceStatus.PROMISED:
        until = v("until", day=invoice.hold_until) if invoice.hold_until else ""
        parts.append((v("promised_hold", until=until, why=why), ()))
    elif invoice.status is InvoiceStatus.CLAIMED:
        parts.append((v("claimed_hold", day=invoice.paid_on, why=why, number=invoice.number), ()))
    elif invoice.status is InvoiceStatus.DISPUTED:
        parts.append((v("disputed_hold", why=why, number=invoice.number), ()))
    elif invoice.status is InvoiceStatus.PAUSED:
        until = (
            v("paused_until", day=invoice.hold_until)
            if invoice.hold_until
            else v("paused_until_resume", number=invoice.number)
        )
        parts.append((v("paused_hold", until=until, why=why), ()))
    elif not row.chased:
        parts.append((v("unchased"), ("dim",)))
    else:
        parts.append((_ladder_text(row.last, row.next, today, "reminder", v), ()))
    if invoice.status is not InvoiceStatus.PAID and (guessed := v.guesses(invoice)):
        parts.append((v("guessed", what=guessed), ("dim",)))
    return parts


def _ladder_text(last: Step | None, coming: NextStep | None, today: date, noun: str, v: Voice) -> str:
    said = []
    if last is not None:
        if last.state in ("drafted", "withdrawn", "obsolete", "pending", "sent", "notified"):
            said.append(v(f"last_{last.state}", stage=last.name, day=last.on))
        else:
            said.append(f"{last.name} {last.state} {last.on}")
    if coming is None and last is not None:
        noun_text = v(f"noun_{noun}")
        said[-1] += (
            v("the_last", noun=noun_text)
            if last.state in ("drafted", "pending")
            else v("none_left", noun=noun_text)
        )
    elif coming is None:
        said.append(v("none_configured", nouns=v(f"noun_{noun}s")))
    elif coming.waits:
        said.append(v("next_waits", stage=coming.name))
    elif coming.on <= today:
        said.append(v("next_now", stage=coming.name))
    else:
        said.append(v("next_on", stage=coming.name, day=coming.on))
    return "; ".join(said)


def _draft_text(draft: DraftRow, v: Voice) -> str:
    if draft.kind in ("reminder", "follow-up", "termination", "rate-increase"):
        what = v(
            f"draft_{draft.kind}", stage=draft.stage, invoice=draft.invoice, deliverable=draft.deliverable
        )
    else:
        what = draft.kind
    text = v(
        "draft_line",
        what=what,
        subject=draft.subject,
        to=draft.recipient,
        since=f"{draft.since:%Y-%m-%d %H:%M}",
    )
    if draft.interrupted:
        text += v("interrupted")
    return text


# What made a draft wrong, as the freelancer says it: wording's because_*.
_BECAUSE = ("paid", "promised", "disputed", "paused", "answered", "approved", "invoiced")
_LEFT = ("withdrawn", "changed", "gone", "unsupported")


def no_longer_needed_text(draft: DraftRow, v: Voice) -> str:
    """One line of a draft that became wrong: what it was, why, and where it is now."""
    because = v(f"because_{draft.why}") if draft.why in _BECAUSE else (draft.why or v("because_other"))
    folder = draft.folder or "Drafts"
    when = f"{draft.until:%Y-%m-%d %H:%M}" if draft.until else ""
    left = draft.left if draft.left in _LEFT else "other"
    where = v(f"left_{left}", folder=folder, when=when)
    return v("no_longer_needed", what=_draft_text(draft, v), because=because, where=where)


def _todo_texts(todo: Todo, v: Voice, client: str | None) -> list[str]:
    owed = ", ".join(f"{i.number} {v.money(i.outstanding, client)}" for i in todo.owed)
    why = [v("why", line=v.said(line) if isinstance(line, Said) else line) for line in todo.why]
    if todo.kind == "invoice-work":
        return [v("todo_invoice_work", subject=todo.subject, ref=todo.ref, day=todo.on)]
    if todo.kind == "confirm-payment":
        return [v("todo_confirm_payment", ref=todo.ref, day=todo.on)]
    if todo.kind == "contact-client":
        about = v("about_invoice", ref=todo.ref) if todo.about == "invoice" else v("about_work", ref=todo.ref)
        return [v("todo_contact", who=todo.recipient, stage=todo.stage, about=about, day=todo.on)]
    if todo.kind == "review-termination":
        after = f"{todo.not_before:%Y-%m-%d %H:%M}" if todo.not_before else v("a_nights_sleep")
        texts = [v("todo_review_termination", subject=todo.subject, to=todo.recipient, after=after)]
        if keys.is_suggested_termination(todo.ref):
            texts.append(v("talk_first", client=keys.client_of(todo.ref)))
        if owed:
            texts.append(v("warning_owed", owed=owed))
        texts.extend(why)
        texts.append(v("after_the_end"))
        return texts
    if todo.kind == "termination-held":
        return [v("termination_held", owed=f" ({owed})" if owed else ""), *why]
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


def _amounts(amounts: Sequence[Money], v: Voice, client: str | None) -> str:
    return " + ".join(v.money(m, client) for m in amounts)


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
        "todos": [_todo_json(todo, config, block.id) for todo in block.todos],
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


def _todo_json(todo: Todo, config: Config, client: str) -> dict[str, Any]:
    # The document's texts stay English whatever the freelancer's language (docs/status-json.md).
    text, *details = _todo_texts(todo, Voice("en", config.rules.clients), client)
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
