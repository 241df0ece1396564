"""The command line: parse arguments, call the engine, print, and choose the exit code.

This is the only module that exits. Every error of ours (``AssistantError``) is printed
as one clear message and gives exit code 2; a traceback appears only with ``--debug``.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from . import __version__, invocation
from .adapters.lock import HANDED_TO_THE_SERVICE
from .config import Config, load_config
from .domain.model import LANGUAGES, REASONS
from .errors import AssistantError, ConfigError, MailboxError, StateLocked, UsageError
from .presets import PRESETS

log = logging.getLogger("assistant")

EXIT_OK = 0
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports Ctrl-C


# --------------------------------------------------------------------------- helpers


def default_config_path() -> Path:
    """$FREELANCE_ASSISTANT_CONFIG, systemd's configuration directory, or ~/.config."""
    if os.environ.get("FREELANCE_ASSISTANT_CONFIG"):
        return Path(os.environ["FREELANCE_ASSISTANT_CONFIG"])
    if os.environ.get("CONFIGURATION_DIRECTORY"):
        return Path(os.environ["CONFIGURATION_DIRECTORY"].split(":")[0]) / "config.yaml"
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "freelance-assistant" / "config.yaml"


def _config(args: argparse.Namespace) -> Config:
    # Loaded once per command: the state lock (main) and the command both need it.
    if getattr(args, "loaded_config", None) is None:
        args.loaded_config = load_config(args.config or default_config_path())
    return args.loaded_config


# The commands that write the state take its lock first (adapters/lock.py); `run` takes it
# in the service itself, a dry run writes nothing. While the service holds it, those of
# HANDED_TO_THE_SERVICE go through the service (_hand_to_service).
WRITES_STATE = frozenset(
    ("scan", "mark-paid", "pause", "dispute", "resume", "draft-termination", "draft-rate-increase")
)


def _state_lock(args: argparse.Namespace):
    if args.command not in WRITES_STATE or getattr(args, "dry_run", False):
        return contextlib.nullcontext()
    from .adapters.lock import StateLock

    return StateLock.acquire(_config(args).state_dir, args.command)


def _hand_to_service(args: argparse.Namespace, locked: StateLocked) -> int:
    """The service holds the state (handover.py): `scan` asks it for a pass now; `mark-paid`,
    `pause`, `dispute` and `resume` are handed to it as a request it applies on that pass.
    When it cannot be asked (it runs as another user), the refusal stands, saying why."""
    from . import handover
    from .session import state_path

    pid = locked.pid
    if args.command == "scan":
        try:
            handover.ask_for_a_pass(pid)
        except (PermissionError, ProcessLookupError) as exc:
            raise StateLocked(f"{locked} ({handover.why_not(exc)})") from None
        print(
            f"the service is running (pid {pid}): asked it to read the mailbox now; "
            "`freelance-assistant status` shows the result in a moment "
            "(its log: journalctl --user -u freelance-assistant)"
        )
        return EXIT_OK
    config = _config(args)
    account = config.account(args.account)
    if not state_path(config, account).exists():
        raise UsageError(
            f"no state for account {account.name} yet ({state_path(config, account)}): the service "
            f"(pid {pid}) has not finished its first pass; try again once `freelance-assistant status` shows it"
        )
    now = _now()
    request = handover.Request.new(
        account.name, args.command, args.number, client=args.client,
        on=getattr(args, "on", None) or now.date(), until=getattr(args, "until", None),
        reason=getattr(args, "reason", None) or "", now=now,
    )  # fmt: skip
    try:
        handover.ask_for_a_pass(pid, check_only=True)  # before writing anything
        queued = handover.queue(config.state_dir, request)
        try:
            handover.ask_for_a_pass(pid)
        except (PermissionError, ProcessLookupError):
            if handover.withdraw(queued):
                raise
            # Gone already: the service took it in the meantime.
    except (PermissionError, ProcessLookupError) as exc:
        raise StateLocked(f"{locked} ({handover.why_not(exc)})") from None
    print(
        f"the service is running (pid {pid}): handed `{request.text}` to it; "
        "it records it on its next pass (asked it to pass now)"
    )
    return EXIT_OK


def _date_arg(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None


def _now() -> datetime:
    return datetime.now(UTC)


def setup_logging(level: int) -> None:
    # Under systemd, journald adds timestamps and knows the unit: print level and text only.
    from .adapters.systemd import journal_stream_attached

    if journal_stream_attached():
        fmt = "%(levelname)s %(name)s: %(message)s"
    else:
        fmt = "%(asctime)s %(levelname)s %(name)s: %(message)s"
    logging.basicConfig(level=level, format=fmt, stream=sys.stderr, force=True)
    # Libraries speak only when something is wrong, even in --debug (imapclient's DEBUG
    # output would contain the IMAP LOGIN line).
    for noisy in ("imapclient", "mailparser", "pypdf", "apscheduler", "asyncio"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


# --------------------------------------------------------------------------- commands


def _warn_about_secrets(config: Config) -> None:
    from .adapters.credentials import passwords_written_in, warn_if_readable_by_others

    if held := passwords_written_in(config.settings.accounts):
        warn_if_readable_by_others(config.path, held)


def _getting_paid_lines(config: Config) -> list[str]:
    """`check` on how reminders get paid: the payment details, and whether rates.yaml is current."""
    from .domain.interest import unchecked_since

    payment = config.identity.payment
    ways = [
        f"IBAN {payment.iban[:4]}…{payment.iban[-4:]}" if payment.iban else "",
        "account" if payment.account else "",
        "payment link" if payment.link else "",
    ]
    shown = ", ".join(w for w in ways if w)
    own = sorted(c.id for c in config.rules.clients.values() if c.payment is not None)
    lines = [
        f"how to pay: {shown}" + (f" (own details: {', '.join(own)})" if own else "")
        if shown
        else "how to pay: not set: reminders do not say how to pay (identity.payment in config.yaml)"
    ]
    rates = config.rules.rates
    if rates is not None:
        today = datetime.now(ZoneInfo(config.identity.timezone)).date()
        since = unchecked_since(rates, today)
        line = f"late-payment rates: checked on {rates.checked_on.isoformat()}"
        if since is not None:
            line += (
                f"; from {since.isoformat()} the last rate listed is assumed: "
                "update rates.yaml (ECB and Bank of England rates)"
            )
        lines.append(line)
    return lines


def cmd_check(args: argparse.Namespace) -> int:
    return EXIT_OK if check(_config(args), offline=args.offline) else EXIT_ERROR


def check(config: Config, *, offline: bool) -> bool:
    """What `check` prints (and `init` at its end): the configuration, then each mailbox.
    False when a mailbox cannot take drafts (a read-only Drafts)."""
    _warn_about_secrets(config)
    rules = config.rules
    print(f"{config.path}: configuration valid")
    print(f"  rules: {config.rules_dir}")
    print(
        f"  clients: {len(rules.clients)} ({', '.join(sorted(rules.clients)) or 'none yet: add them to clients.yaml'})"
    )
    print(
        f"  invoice ladder: {', '.join(f'{s.name} (+{s.after_days} d, {s.action})' for s in rules.escalation.invoice)}"
    )
    languages = sorted({lang for lang, _ in rules.templates})
    print(f"  templates: {len(rules.templates)} in {', '.join(languages)}")
    for line in _getting_paid_lines(config):
        print(f"  {line}")
    print(f"  state: {config.state_dir}")
    if offline:
        return True
    from .daemon import MAILDIR_LOOK
    from .report import mailbox_lines
    from .session import open_mailbox

    usable = True
    for account in config.settings.accounts:
        mailbox = open_mailbox(account, config.identity.email)
        try:
            profile = mailbox.profile()
            invoices = _invoice_lines(mailbox, config)
        finally:
            mailbox.close()
        print(f"  account {account.name}: {mailbox.describe()}: {'connected' if account.imap else 'opened'}")
        for line in mailbox_lines(
            profile, poll_minutes=config.settings.schedule.poll_minutes, maildir_look=MAILDIR_LOOK
        ):
            print(f"    {line}")
        for line in invoices:
            print(f"    {line}")
        for line in state_lines(config, account):
            print(f"    {line}")
        usable = usable and profile.drafts_writable is not False
    return usable


def state_lines(config: Config, account) -> list[str]:
    """What `check` says of an account's state: lost or empty (and how it is rebuilt), its
    backups, and any other installation seen writing into the same mailbox."""
    from zoneinfo import ZoneInfo

    from .adapters.store import Store
    from .session import state_path
    from .status_report import other_installation_lines

    path = state_path(config, account)
    record = path.with_suffix(".record.jsonl")
    backups = sorted(p for p in path.parent.glob(f"{path.name}.backup-*") if p.suffix != ".part")
    lines = []
    empty = not path.exists() or path.stat().st_size == 0
    if empty and record.exists():
        lines.append(
            f"state: {path} is {'missing' if not path.exists() else 'empty'}, but its record {record} "
            "is there: the next `freelance-assistant scan` rebuilds it from the record and the mailbox "
            "(nothing is drafted twice, a deleted draft is not written again, `mark-paid` is kept)"
            + (f"; or restore the newest backup, {backups[-1]}" if backups else "")
        )
    elif empty:
        lines.append(f"state: none yet ({path}); the first scan makes it")
    else:
        with Store.open(path) as store:
            lines.extend(other_installation_lines(store, ZoneInfo(config.identity.timezone)))
        lines.append(f"state: {path} ({len(backups)} backup(s) beside it)")
    return lines


def _invoice_lines(mailbox, config: Config) -> list[str]:
    """What the last invoices in Sent read as (see invoice_check.py)."""
    from zoneinfo import ZoneInfo

    from .invoice_check import last_invoices, summary_lines

    today = _now().astimezone(ZoneInfo(config.identity.timezone)).date()
    return summary_lines(last_invoices(mailbox, config, today))


def cmd_init(args: argparse.Namespace) -> int:
    """A first config.yaml and rules folder; then the same check as `check`."""
    from . import onboarding

    path = Path(args.config).expanduser() if args.config else default_config_path()
    path = path.absolute()
    directory = path.parent
    rules_dir = directory / "rules"
    outcome = onboarding.Written()
    questions = None if args.non_interactive else onboarding.Questions()
    if path.exists():
        outcome.kept.append(path)  # nothing to ask: its answers are in it
    else:
        if questions is not None:
            questions.say(f"Setting up freelance-assistant: {path} and the rules next to it.")
            questions.say("Press Enter to take the answer in [brackets]. Your clients can come later.")
            questions.say()
        answers = onboarding.gather(args, questions)
        onboarding.make_directory(directory)
        onboarding.write_config(path, answers, _now().date(), outcome)
    onboarding.make_directory(rules_dir)
    onboarding.copy_rules(rules_dir, outcome)

    print()
    for line in onboarding.summary(outcome, path, rules_dir):
        print(line)
    given = f" --config {path}" if path != default_config_path().absolute() else ""
    if args.no_check:
        print()
        print(f"Check it when the mailbox is reachable: {invocation.program()} check{given}")
    else:
        print()
        print(f"Checking it, as `freelance-assistant check{given}` does:")
        try:
            check(load_config(path), offline=False)
        except ConfigError:
            raise  # a file kept from before: its problems are listed as `check` lists them
        except AssistantError as exc:
            # One line, as for `check`, saying that the file is there to be fixed.
            raise AssistantError(
                f"{exc} (the configuration is written: fix {path}, then run `freelance-assistant check{given}`)"
            ) from exc
        config = load_config(path)
        if not config.rules.clients:
            onboarding.offer_clients(config, questions, _now().date())
    program = invocation.program()
    print()
    print(
        f"Next: add your clients to {rules_dir / 'clients.yaml'} (it shows how), then see what would be drafted:"
    )
    print(f"  {program} scan --dry-run{given}")
    return EXIT_OK


def _accounts(config: Config, name: str | None):
    return [config.account(name)] if name else list(config.settings.accounts)


def scan_progress():
    """What shows a long scan's progress: a bar when stderr is a terminal, else lines."""
    from .progress import for_stream

    return for_stream(sys.stderr)


def cmd_scan(args: argparse.Namespace) -> int:
    from .report import print_pass
    from .session import AccountSession

    if args.as_of and not args.dry_run:
        raise UsageError("--as-of only makes sense with --dry-run (drafts are written for today)")
    config = _config(args)
    now = datetime.combine(args.as_of, time(12), tzinfo=UTC) if args.as_of else _now()
    failed = False
    progress = scan_progress()
    for account in _accounts(config, args.account):
        # The same pass as the service's: a stage with `action: send` is sent here too, else a
        # manual scan would turn it into a draft for good.
        session = AccountSession(config, account)
        try:
            with session as engine:
                described = engine.mailbox.describe()
                report = engine.run_pass(now, dry_run=args.dry_run, progress=progress)
        except KeyboardInterrupt:
            # Ctrl-C: the batches read so far are committed with their checkpoints, the one
            # being read is rolled back; the next scan goes on from there.
            progress.close()  # end the progress line before the message
            what = "nothing was changed" if args.dry_run else "the next scan continues from here"
            print(f"freelance-assistant: interrupted; {what}", file=sys.stderr)
            return EXIT_INTERRUPTED
        finally:
            progress.close()
        print_pass(report, config, described)
        failed = failed or bool(report.errors)
    if not config.rules.clients:
        # Mail is only followed for clients: with none, a scan can find nothing to do.
        from .wording import voice_of

        print()
        print(voice_of(config)("no_clients", path=config.rules_dir / "clients.yaml"))
    return EXIT_ERROR if failed else EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    import json

    from .adapters.store import Store
    from .session import state_path
    from .status_report import account_document, print_status, status_document, wants_colour, width_of

    config = _config(args)
    now = _now()
    documents = []
    for number, account in enumerate(_accounts(config, args.account)):
        path = state_path(config, account)
        if not path.exists():
            if args.json:
                documents.append(account_document(None, config, account, now))
            else:
                print(f"Account {account.name}: no state yet ({path}); run `freelance-assistant scan` first")
            continue
        with Store.open(path) as store:
            if args.json:
                documents.append(account_document(store, config, account, now))
                continue
            if number:
                print()
            print_status(
                store, config, account, now, out=sys.stdout,
                colour=wants_colour(sys.stdout), width=width_of(sys.stdout),
            )  # fmt: skip
    if args.json:
        print(json.dumps(status_document(documents, config, now), ensure_ascii=False, indent=2))
    return EXIT_OK


def cmd_digest(args: argparse.Namespace) -> int:
    """Today's digest on demand: printed, or with --deliver delivered now as the service would."""
    import email
    from email import policy

    from .adapters.store import Store
    from .engine import Engine, open_mailbox, open_sender, state_path

    config = _config(args)
    now = _now()
    failed = False
    for number, account in enumerate(_accounts(config, args.account)):
        path = state_path(config, account)
        if not path.exists():
            print(f"Account {account.name}: no state yet ({path}); run `freelance-assistant scan` first")
            continue
        if number:
            print()
        mailbox = open_mailbox(account)  # connects only to deliver
        try:
            with Store.open(path) as store:
                engine = Engine(
                    config, account, mailbox, store, open_sender(account) if args.deliver else None
                )
                if not args.deliver:
                    draft = engine.digest_draft(now)
                    message = email.message_from_bytes(draft.data, policy=policy.default)
                    print(f"Subject: {message['Subject']}\n")
                    print(message.get_body(("plain",)).get_content().replace("\r\n", "\n").rstrip())
                    continue
                via = config.settings.schedule.digest_delivery
                where = (
                    "sent to you by SMTP" if via == "smtp" and engine.sender else "delivered into your INBOX"
                )
                if engine.write_digest(now, via=via):
                    print(f"Account {account.name}: today's digest {where}")
                else:
                    # One digest a day (its key is the day): the scheduled one is this one.
                    print(f"Account {account.name}: today's digest was delivered already; `digest` prints it")
        except MailboxError as exc:
            print(
                f"freelance-assistant: {account.name}: the digest could not be delivered: {exc}",
                file=sys.stderr,
            )
            failed = True
        finally:
            mailbox.close()
    return EXIT_ERROR if failed else EXIT_OK


def cmd_ledger(args: argparse.Namespace) -> int:
    import json

    from .adapters.store import Store
    from .ledger_report import account_ledger, ledger_document, print_ledger
    from .session import state_path

    config = _config(args)
    accounts = []
    for account in _accounts(config, args.account):
        path = state_path(config, account)
        if not path.exists():
            accounts.append(account_ledger(None, config, account))
            continue
        with Store.open(path) as store:
            accounts.append(account_ledger(store, config, account))
    document = ledger_document(accounts, config, _now())
    if args.json:
        print(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        from .wording import voice_of

        print_ledger(document, sys.stdout, voice_of(config))
    return EXIT_OK


def cmd_mark_paid(args: argparse.Namespace) -> int:
    from .adapters.store import Store
    from .commands import mark_paid
    from .session import state_path

    config = _config(args)
    account = config.account(args.account)
    path = state_path(config, account)
    if not path.exists():
        raise UsageError(
            f"no state for account {account.name} yet ({path}); run `freelance-assistant scan` first"
        )
    now = _now()
    on = args.on or now.date()
    with Store.open(path) as store:
        invoice = mark_paid(store, args.number, client=args.client, on=on, now=now)
    since = invoice.paid_on or "a day not known: its Paid tag was there when first read"
    print(f"Invoice {invoice.key} is paid (since {since}); it will not be chased.")
    return EXIT_OK


def cmd_import_statement(args: argparse.Namespace) -> int:
    """Bank statements as payment evidence (issue 15)."""
    from .bank_import import import_statements
    from .report import print_import

    config = _config(args)
    with _store_of(config, args.account) as store:
        report = import_statements(store, config, args.files, _now())
    print_import(report, config)
    return EXIT_OK


def cmd_confirm_credit(args: argparse.Namespace) -> int:
    from .bank_import import confirm_credit, payment_line
    from .engine import find_invoice

    if args.number is None and not args.not_an_invoice:
        raise UsageError("name the invoice the credit pays, or say --not-an-invoice")
    config = _config(args)
    with _store_of(config, args.account) as store:
        payment = confirm_credit(store, args.id, args.number, args.client, _now(), find_invoice=find_invoice)
    print(payment_line(payment) if payment else f"Bank credit {args.id} set aside: not an invoice payment.")
    return EXIT_OK


def cmd_confirm_owed(args: argparse.Namespace) -> int:
    from .holds import confirm_owed, waiting
    from .report import money

    config = _config(args)
    rest = "paid" if args.rest_paid else "owed" if args.rest_owed else None
    if not (args.numbers or args.paid or args.paid_before or rest):
        with _store_of(config, args.account) as store:
            from .report import print_held

            held = waiting(store)
        if not held:
            print("No invoice is waiting for confirmation.")
        print_held(held, config, config.account(args.account).first_run_hold_days)
        return EXIT_OK
    with _store_of(config, args.account) as store:
        settled = confirm_owed(
            store, owed=args.numbers, paid=args.paid, paid_before=args.paid_before, rest=rest, now=_now()
        )
    for invoice in settled.owed:
        print(
            f"Still owed, back on the reminder ladder: {invoice.key} ({money(invoice.outstanding, config)})"
        )
    for invoice in settled.paid:
        print(f"Paid, not chased: {invoice.key} ({money(invoice.amount, config)})")
    if settled.still_held:
        print(f"Still waiting for your word: {', '.join(i.key for i in settled.still_held)}")
    return EXIT_OK


def _store_of(config: Config, account_name: str | None):
    from .adapters.store import Store
    from .session import state_path

    account = config.account(account_name)
    path = state_path(config, account)
    if not path.exists():
        raise UsageError(
            f"no state for account {account.name} yet ({path}); run `freelance-assistant scan` first"
        )
    return Store.open(path)


def cmd_hold(args: argparse.Namespace) -> int:
    """pause, dispute and resume: the freelancer takes an invoice out of the ladder, or back."""
    from .commands import command_on_invoice
    from .domain.ledger import Event

    event = {"pause": Event.PAUSED, "dispute": Event.DISPUTED, "resume": Event.RESUMED}[args.command]
    config = _config(args)
    now = _now()
    with _store_of(config, args.account) as store:
        invoice = command_on_invoice(
            store, args.number, event, client=args.client, on=now.date(), now=now,
            until=getattr(args, "until", None), note=getattr(args, "reason", "") or "",
        )  # fmt: skip
    what = {
        Event.PAUSED: "paused"
        + (f" until {invoice.hold_until}" if invoice.hold_until else " until you resume it"),
        Event.DISPUTED: "marked disputed: not chased until you resume it",
        Event.RESUMED: "back on the reminder ladder",
    }[event]
    print(f"Invoice {invoice.key} is {what}.")
    return EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    from .commands import find_item
    from .domain.keys import deliverable_item, invoice_item
    from .domain.model import Invoice
    from .report import print_explanation

    config = _config(args)
    with _store_of(config, args.account) as store:
        item = find_item(store, args.item, args.client)
        name = invoice_item(item) if isinstance(item, Invoice) else deliverable_item(item)
        print_explanation(item, store.history(name), store.outbox_for(name), config, _now())
    return EXIT_OK


def _session_for(config: Config, account_name: str | None):
    """A session on an existing state, for the commands that write one draft (never send)."""
    from .session import AccountSession

    _store_of(config, account_name).close()  # the same clear error when there is no state yet
    return AccountSession(config, config.account(account_name), send=False)


def cmd_draft_termination(args: argparse.Namespace) -> int:
    from .report import money

    config = _config(args)
    with _session_for(config, args.account) as engine:
        draft, case = engine.write_termination(args.client, args.reason, _now(), discussed_on=args.after_call)
        last = engine.store.last_pass()
        tz = engine.tz
    review = config.rules.termination.review_after_hours
    print(
        f"Termination draft for {case.client} ({case.reason}) is in Drafts: {draft.subject!r} to {draft.to.email}"
    )
    print(f"  notice: {case.notice_days} days, last working day {case.final_day}")
    if case.invoices:
        owed = ", ".join(f"{i.number} {money(i.outstanding, config, i.client)}" for i in case.invoices)
        print(f"  WARNING money is still owed ({owed}): the draft says so and attaches the invoices.")
        print("  If you fear they will not pay, wait until they have paid before telling them.")
    print(
        f"  Review it, sleep on it, and send it yourself no sooner than in {review} hours: never end a relationship in anger."
    )
    print("  The program never sends a termination email.")
    if last is not None:
        print(f"  (ledger as of the last pass, {last.astimezone(tz):%Y-%m-%d %H:%M})")
    return EXIT_OK


def cmd_draft_rate_increase(args: argparse.Namespace) -> int:
    config = _config(args)
    with _session_for(config, args.account) as engine:
        draft = engine.write_rate_increase(args.client, args.rate, args.starting, _now())
    print(f"Rate proposal for {args.client} is in Drafts: {draft.subject!r} to {draft.to.email}")
    print(
        "  It proposes the new rate by email and suggests a call to talk it over. Review it and send it yourself."
    )
    return EXIT_OK


def cmd_review(args: argparse.Namespace) -> int:
    """Seeds 000 and 003: the year-end review; about 20 % of clients cause most trouble."""
    from zoneinfo import ZoneInfo

    from .domain.review import Period, ageing, review_clients
    from .report import LOCALES
    from .review_report import render_html, render_text

    config = _config(args)
    tz = ZoneInfo(config.identity.timezone)
    now = _now()
    today = now.astimezone(tz).date()
    if args.since and args.year:
        raise UsageError("give --year or --since, not both")
    period = Period.since(args.since, today) if args.since else Period.year(args.year or today.year)
    locale = LOCALES.get(config.identity.language, "en_GB")
    from .holds import waiting

    with _store_of(config, args.account) as store:
        # The first scan's held invoices are unknown, not late: left out until confirmed (issue 15).
        held = waiting(store)
        invoices = [i for i in store.invoices() if i not in held]
        reviews = review_clients(
            clients=config.rules.clients,
            invoices=invoices,
            deliverables=store.deliverables(),
            outbox=store.outbox(),
            journal=[(item, entry.at, entry.event) for item, entry in store.journal()],
            period=period,
            today=today,
            tz=tz,
            rates=config.rules.rates,
        )
    buckets = ageing(invoices, today)
    print(render_text(reviews, buckets, period_label=period.label, locale=locale))
    if held:
        language = config.identity.language
        count = len(held)
        print(
            {
                "es": f"Fuera de la revisión hasta que las confirmes (`confirm-owed`): {count} factura(s)\n"
                "que el primer escaneo dejó en espera; nadie sabe aún si están pagadas.",
                "nl": f"Buiten de terugblik tot je ze bevestigt (`confirm-owed`): {count} factuur/facturen\n"
                "die de eerste scan vasthield; of ze betaald zijn, weet nog niemand.",
            }.get(
                language,
                f"Left out until you confirm them (`confirm-owed`): {count} invoice(s) the\n"
                "first scan held; nobody knows yet whether they were paid.",
            )
        )
    if args.html:
        html = render_html(
            reviews, buckets, period_label=period.label, locale=locale, generated_at=now.astimezone(tz)
        )
        path = Path(args.html)
        try:
            # Client names and money owed: readable by the freelancer only, whatever the umask.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(html)
        except OSError as exc:
            raise UsageError(f"cannot write {path}: {exc.strerror}") from None
        print(f"HTML report with charts: {path.resolve()}")
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    """The service: passes on IDLE pushes and a schedule, until SIGTERM (see daemon.py)."""
    from .daemon import run_service

    if not args.debug:
        setup_logging(logging.INFO)
    return run_service(Path(args.config) if args.config else default_config_path())


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(Path(args.dir), args.today)


# --------------------------------------------------------------------------- parser

SCAN_EXAMPLES = """\
examples:
  freelance-assistant scan --dry-run                    what would be drafted, and why
  freelance-assistant scan --dry-run --as-of 2026-04-01 the same, as if it were that day
  freelance-assistant scan                              read new mail, write due drafts

The first scan reads lookback_days of mail and shows its progress: a bar on a
terminal, else a line every 10 s or 10 %. Ctrl-C stops it cleanly: what was read
is kept, and the next scan continues from there.
"""

STATUS_EXAMPLES = """\
examples:
  freelance-assistant status                  tables by client, with the total owed
  freelance-assistant status --account work   one account only
  freelance-assistant status --json | jq '.accounts[].totals.outstanding'

Colour only on a terminal (set NO_COLOR to turn it off). --json follows a stable,
documented schema: docs/status-json.md.
"""


DIGEST_EXAMPLES = """\
examples:
  freelance-assistant digest              today's digest, printed here (nothing is delivered)
  freelance-assistant digest --deliver    deliver it now instead of at schedule.digest

The digest is the one the service delivers at its hour, in your language: overdue invoices
by age, unanswered work, drafts waiting for you, clients flagged, to-dos. One is delivered
a day: after `--deliver`, the service does not deliver another that day.
"""


INIT_EXAMPLES = """\
examples:
  freelance-assistant init
      asks your name, address, language, country and how the password is supplied;
      guesses the provider from the address and the time zone from this computer

  freelance-assistant init --non-interactive --name "Lucía Romero" --email lucia@fastmail.com \\
      --password-command "pass show mail/fastmail" --language es --country ES --timezone Europe/Madrid

  freelance-assistant init --config ~/work/fa/config.yaml --provider generic --host mail.example.com

Writes config.yaml (0600) and a copy of the default rules next to it, in
$XDG_CONFIG_HOME/freelance-assistant/ (or where --config or $FREELANCE_ASSISTANT_CONFIG
says); a file already there is kept. Then runs `check` (skip it with --no-check).
"""

CHECK_EXAMPLES = """\
examples:
  freelance-assistant check            validate, log in, list Sent, Drafts and what the server offers
  freelance-assistant check --offline  validate config.yaml and the rules only
"""


# Every subcommand's --help ends with examples (the ones above, and these).
EXAMPLES = {
    "run": """\
examples:
  freelance-assistant run                              in the foreground, Ctrl-C to stop
  systemctl --user enable --now freelance-assistant    as a service (systemd/README.md)
  journalctl --user -u freelance-assistant -f          its log

Reads mail all day (IMAP IDLE), writes drafts at schedule.workday_start, the digest at
schedule.digest. SIGHUP (systemctl reload) rereads config and rules; a broken file
keeps the old ones in force. While it runs, `scan` asks it for a pass now (SIGUSR1) and
`mark-paid`, `pause`, `dispute` and `resume` are handed to it (its state directory's
requests/): no need to stop it.
""",
    "demo": """\
examples:
  freelance-assistant demo --dir ~/freelance-demo
  freelance-assistant status --config ~/freelance-demo/config.yaml

Builds a sample Maildir with three clients, a config and rules in DIR, and runs one
pass: nothing leaves your computer. DIR must be yours and writable by no one else
(not a shared /tmp): a directory under your home is best.
""",
    "ledger": """\
examples:
  freelance-assistant ledger                             every invoice and deliverable, one line each
  freelance-assistant ledger --json > ledger.json        for scripts and spreadsheets (docs/ledger-json.md)
  freelance-assistant ledger --json | jq -r '.accounts[].invoices[] | [.number, .state, .amount] | @csv'
""",
    "import-statement": """\
examples:
  freelance-assistant import-statement ~/Downloads/extracto-2026-03.n43
  freelance-assistant import-statement camt053-march.xml camt053-april.xml

CAMT.053/052/054, MT940, OFX and Norma 43 are recognised by their content. A credit pays
the invoice its reference names, else the exact amount a client owes from their IBAN or
name (clients.yaml `iban:`, `payer_names:`, or learned); what is left waits in `status`.
Importing a file again changes nothing; a malformed file is refused with its line and
nothing of it is applied. Files are read, never changed.
""",
    "confirm-credit": """\
examples:
  freelance-assistant confirm-credit TAX-REFUND --not-an-invoice    set it aside
  freelance-assistant confirm-credit 7Q2 2026-014                   it pays invoice 2026-014

The ID is the one `status` shows under "Bank credits to confirm" (its end is enough).
The payer is remembered: their next transfer of an exact amount is matched by itself.
""",
    "confirm-owed": """\
examples:
  freelance-assistant confirm-owed                              list what waits
  freelance-assistant confirm-owed 2025-112 2025-118 --rest-paid  these two are owed, the rest paid
  freelance-assistant confirm-owed --paid-before 2025-10-01     all issued before October were paid
  freelance-assistant confirm-owed --rest-owed                  chase them all

On an account's first scan, invoices more than first_run_hold_days (30) past due with no
payment seen in the mailbox are held instead of chased. Paid here, an invoice's payment
day is unknown: a bank statement naming it later puts the real day in.
""",
    "mark-paid": """\
examples:
  freelance-assistant mark-paid 2026-014                    paid today
  freelance-assistant mark-paid 2026-014 --on 2026-03-20    paid on that day
  freelance-assistant mark-paid 7 --client brightside       two clients have an invoice 7

Or tag the invoice email "Paid" ($Paid) in your mail client: the next pass sees it.
""",
    "pause": """\
examples:
  freelance-assistant pause 2026-014 --until 2026-04-30 --reason "waiting for their budget"
  freelance-assistant pause 2026-014                        until `resume`
""",
    "dispute": """\
examples:
  freelance-assistant dispute 2026-014 --reason "they say phase 2 was not delivered"
  freelance-assistant resume 2026-014                       once you have sorted it out
""",
    "resume": """\
examples:
  freelance-assistant resume 2026-014
  freelance-assistant resume 7 --client brightside

The ladder goes on from where it stopped; stages missed meanwhile become one catch-up
draft.
""",
    "draft-termination": """\
examples:
  freelance-assistant draft-termination nube --reason non-payment --after-call 2026-11-30
  freelance-assistant draft-termination brightside --reason no-capacity --account work

Talk first, then put it in writing: call or meet the client, then write the email as the
confirmation of that conversation (--after-call opens it with "as we discussed on ...").
The email is written into Drafts for you to read, edit and send yourself: the program
never sends it. The handover and notice period come from clients.yaml.
""",
    "draft-rate-increase": """\
examples:
  freelance-assistant draft-rate-increase nube --rate "55 €/hora" --starting 2027-01-01
  freelance-assistant draft-rate-increase brightside --rate "£480 a day"
""",
    "review": """\
examples:
  freelance-assistant review                          this calendar year
  freelance-assistant review --year 2025 --html ~/review-2025.html
  freelance-assistant review --since 2026-01-01
""",
    "explain": """\
examples:
  freelance-assistant explain 2026-014                an invoice, by its number
  freelance-assistant explain d1a2b3c4                a deliverable, by the id `status` shows
  freelance-assistant explain 7 --client brightside
""",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="freelance-assistant",
        description="Tracks the invoices in your Sent folder and writes threaded payment reminders into Drafts.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="debug logging and tracebacks on errors")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every state change")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(
        name: str, func, help: str, *, config: bool = True, account: bool = True, epilog: str | None = None
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            name,
            help=help,
            description=help,
            epilog=epilog or EXAMPLES.get(name),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.set_defaults(func=func)
        if config:
            sub.add_argument(
                "--config", metavar="FILE", help=f"config.yaml (default: {default_config_path()})"
            )
        if account:
            sub.add_argument("--account", metavar="NAME", help="only this account (default: all)")
        return sub

    command(
        "run", cmd_run, "run as a service: watch the mailbox, write drafts, send the digest", account=False
    )

    demo = command(
        "demo",
        cmd_demo,
        "build a sample mailbox in DIR and run one pass over it",
        config=False,
        account=False,
    )
    demo.add_argument(
        "--dir", required=True, metavar="DIR", help="where to create the sample (an empty or new directory)"
    )
    demo.add_argument(
        "--today",
        type=_date_arg,
        metavar="YYYY-MM-DD",
        help="build the sample as it would be on this day (default: today), to reproduce a run",
    )

    init = command(
        "init",
        cmd_init,
        "write a first config.yaml and rules folder, asking only what it cannot guess; never overwrites",
        account=False,
        epilog=INIT_EXAMPLES,
    )
    init.add_argument(
        "--non-interactive", action="store_true", help="ask nothing: take the flags, fail on what is missing"
    )
    init.add_argument("--no-check", action="store_true", help="do not log in at the end (no network)")
    who = init.add_argument_group("who you are")
    who.add_argument("--name", metavar="TEXT", help="your name, as your emails are signed")
    who.add_argument("--email", metavar="ADDRESS", help="your email address")
    who.add_argument("--language", choices=LANGUAGES, help="of your digest and of new clients' reminders")
    who.add_argument("--country", metavar="CC", help="ISO 3166 code: public holidays, late-payment law")
    who.add_argument("--currency", metavar="CUR", help="ISO 4217 code (default: the country's)")
    who.add_argument("--timezone", metavar="ZONE", help="e.g. Europe/Madrid (default: this computer's)")
    where = init.add_argument_group("your mailbox")
    where.add_argument(
        "--provider",
        choices=sorted(PRESETS),
        help="default: guessed from the address (gmail.com, outlook.com, fastmail.com, icloud.com...)",
    )
    where.add_argument("--host", metavar="HOST", help="the IMAP server (for --provider generic)")
    where.add_argument("--port", type=int, metavar="N", help="default: 993 for tls, 143 otherwise")
    where.add_argument("--security", choices=("tls", "starttls", "plain"), help="plain: loopback only")
    where.add_argument("--username", metavar="USER", help="default: the address (iCloud: its name part)")
    where.add_argument(
        "--ca-file", metavar="FILE", help="trust this CA (a self-hosted server, a local bridge)"
    )
    where.add_argument(
        "--maildir", metavar="DIR", help="a Maildir on this computer instead of IMAP (mbsync, offlineimap)"
    )
    where.add_argument("--auth", choices=("password", "xoauth2"), help="default: the provider's usual")
    where.add_argument(
        "--token-command", metavar="CMD", help='xoauth2: prints an access token ("pizauth show me")'
    )
    secret = init.add_argument_group("the password: one of")
    secret.add_argument(
        "--password-command", metavar="CMD", help='prints it, e.g. "pass show mail" (recommended)'
    )
    secret.add_argument("--password-env", metavar="VAR", help="an environment variable holding it")
    secret.add_argument(
        "--password-credential", metavar="NAME", help="a systemd credential (LoadCredential=)"
    )
    secret.add_argument(
        "--password-stdin", action="store_true", help="read it from standard input into config.yaml (0600)"
    )

    check = command(
        "check",
        cmd_check,
        "validate config and rules, then log in and explain what the mailbox offers",
        account=False,
        epilog=CHECK_EXAMPLES,
    )
    check.add_argument("--offline", action="store_true", help="do not connect to the mailbox")

    scan = command(
        "scan",
        cmd_scan,
        "run one pass: read new mail, update the ledger, write due drafts",
        epilog=SCAN_EXAMPLES,
    )
    scan.add_argument(
        "--dry-run", action="store_true", help="show what would be drafted and why; change nothing"
    )
    scan.add_argument(
        "--as-of", type=_date_arg, metavar="YYYY-MM-DD", help="with --dry-run: plan as if it were that day"
    )

    status = command(
        "status",
        cmd_status,
        "per client: invoices owed and their reminders, work waiting for an answer, drafts, to-dos",
        epilog=STATUS_EXAMPLES,
    )
    status.add_argument(
        "--json",
        action="store_true",
        help="print one JSON document for scripts instead (schema: docs/status-json.md)",
    )

    digest = command(
        "digest",
        cmd_digest,
        "print today's digest now (--deliver: deliver it now, as the service does at its hour)",
        epilog=DIGEST_EXAMPLES,
    )
    digest.add_argument(
        "--deliver",
        action="store_true",
        help="deliver it into your INBOX (or by SMTP, per schedule.digest_delivery); once a day",
    )

    ledger = command(
        "ledger",
        cmd_ledger,
        "every invoice, deliverable and client note the assistant knows, paid and closed ones too",
    )
    ledger.add_argument(
        "--json",
        action="store_true",
        help="print one JSON document for scripts and spreadsheets (schema: docs/ledger-json.md)",
    )

    paid = command("mark-paid", cmd_mark_paid, "record that an invoice was paid so it is no longer chased")
    paid.add_argument("number", metavar="NUMBER", help="the invoice number, as shown by `status`")
    paid.add_argument("--client", metavar="ID", help="the client id, when several clients have that number")
    paid.add_argument("--on", type=_date_arg, metavar="YYYY-MM-DD", help="payment date (default: today)")

    for name, help_text in (
        ("pause", "stop chasing an invoice for now (until a date, or until `resume`)"),
        ("dispute", "the client disputes an invoice: stop chasing it until `resume`"),
        ("resume", "put a paused, disputed or promised invoice back on the reminder ladder"),
    ):
        hold = command(name, cmd_hold, help_text)
        hold.add_argument("number", metavar="NUMBER", help="the invoice number, as shown by `status`")
        hold.add_argument(
            "--client", metavar="ID", help="the client id, when several clients have that number"
        )
        if name == "pause":
            hold.add_argument(
                "--until", type=_date_arg, metavar="YYYY-MM-DD", help="resume by itself after this day"
            )
        if name in ("pause", "dispute"):
            hold.add_argument("--reason", metavar="TEXT", help="a note shown in `status` and `explain`")

    ending = command(
        "draft-termination",
        cmd_draft_termination,
        "write the email that ends a client relationship, as a draft",
    )
    ending.add_argument("client", metavar="CLIENT", help="the client id in clients.yaml")
    ending.add_argument(
        "--reason", required=True, choices=REASONS, help="the one general reason the email gives"
    )
    ending.add_argument(
        "--after-call",
        type=_date_arg,
        metavar="YYYY-MM-DD",
        help="the day you talked to the client: the email opens as the written confirmation of that conversation",
    )

    rate = command(
        "draft-rate-increase", cmd_draft_rate_increase, "write the email that proposes a new rate, as a draft"
    )
    rate.add_argument("client", metavar="CLIENT", help="the client id in clients.yaml")
    rate.add_argument(
        "--rate", required=True, metavar="TEXT", help='the new rate as you want it written: "55 €/hora"'
    )
    rate.add_argument("--starting", type=_date_arg, metavar="YYYY-MM-DD", help="from when it applies")

    review = command(
        "review",
        cmd_review,
        "the client review: revenue, lateness, trouble; who to keep (about 20 % of clients cause most of the trouble)",
    )
    review.add_argument(
        "--year", type=int, metavar="YYYY", help="the calendar year to review (default: this year)"
    )
    review.add_argument("--since", type=_date_arg, metavar="YYYY-MM-DD", help="review from this day to today")
    review.add_argument("--html", metavar="FILE", help="also write an offline HTML report with charts")

    statement = command(
        "import-statement",
        cmd_import_statement,
        "read bank statements (CAMT.053/052/054, MT940, OFX, Norma 43): credits pay invoices",
    )
    statement.add_argument("files", nargs="+", metavar="FILE", help="statement files, read and never changed")

    credit = command(
        "confirm-credit", cmd_confirm_credit, "say which invoice an unmatched bank credit (see `status`) pays"
    )
    credit.add_argument("id", metavar="ID", help="the transaction id `status` shows (its end is enough)")
    credit.add_argument("number", nargs="?", metavar="NUMBER", help="the invoice it pays")
    credit.add_argument("--client", metavar="ID", help="the client id, when several clients have that number")
    credit.add_argument("--not-an-invoice", action="store_true", help="set it aside: not an invoice payment")

    owed = command(
        "confirm-owed",
        cmd_confirm_owed,
        "settle the old invoices the first scan held: which are still owed, which were paid",
    )
    owed.add_argument("numbers", nargs="*", metavar="NUMBER", help="still owed: back on the reminder ladder")
    owed.add_argument("--paid", nargs="+", default=[], metavar="NUMBER", help="these were paid")
    owed.add_argument(
        "--paid-before",
        type=_date_arg,
        metavar="YYYY-MM-DD",
        help="every held invoice issued before was paid",
    )
    rest = owed.add_mutually_exclusive_group()
    rest.add_argument("--rest-paid", action="store_true", help="every other held invoice was paid")
    rest.add_argument("--rest-owed", action="store_true", help="every other held invoice is still owed")

    explain = command(
        "explain", cmd_explain, "why an invoice or deliverable is where it is, and what comes next"
    )
    explain.add_argument(
        "item", metavar="ITEM", help="an invoice number, or a deliverable id (d1a2b3c4) from `status`"
    )
    explain.add_argument(
        "--client", metavar="ID", help="the client id, when several clients have that number"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(logging.DEBUG if args.debug else logging.INFO if args.verbose else logging.WARNING)
    try:
        try:
            with _state_lock(args):
                return args.func(args)
        except StateLocked as locked:
            if locked.command != "run" or args.command not in HANDED_TO_THE_SERVICE:
                raise
            return _hand_to_service(args, locked)
    except ConfigError as exc:
        if args.debug:
            traceback.print_exc()
        count = len(exc.problems)
        print(
            f"freelance-assistant: {count} problem{'s' if count != 1 else ''} in the configuration:",
            file=sys.stderr,
        )
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_ERROR
    except AssistantError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"freelance-assistant: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("freelance-assistant: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `freelance-assistant status | head`: the reader left; that is not an error.
        sys.stderr.close()
        return EXIT_OK
    except Exception as exc:
        if args.debug:
            traceback.print_exc()
        print(
            f"freelance-assistant: internal error: {type(exc).__name__}: {exc}\n"
            "  (this is a bug; run again with --debug for the traceback and report it)",
            file=sys.stderr,
        )
        return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
