"""Compose: a due action -> an RFC 5322 message, in the client's language and locale.

Templates are Jinja2, rendered in a sandbox with undefined variables as errors (a typo in
a template must fail ``check``, not produce "Dear ," in a client's inbox). Dates and money
go through Babel filters bound to the client's locale: ``{{ invoice.due_date|date }}``
gives "12 de marzo de 2026" for a Spanish client and "12 March 2026" for an English one.

The message threads under the invoice email (In-Reply-To, References, "Re:" subject),
carries its action key as an opaque token (``keys.token_for``: no client, kind or year
reaches the client) in ``X-Ref``, and a Message-ID derived from that token and the
installation, so the same action always yields the same message identity.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from datetime import date, datetime, tzinfo
from decimal import Decimal
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from functools import lru_cache
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import jinja2
from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, get_currency_symbol
from jinja2.sandbox import SandboxedEnvironment

from . import keys
from .interest import EU_COUNTRIES, Claim, RateChange, ReferenceRates, late_payment_claim
from .keys import DraftKind
from .model import (
    Address,
    Attachment,
    CheckIn,
    Client,
    Deliverable,
    Draft,
    FollowUp,
    Identity,
    Invoice,
    Money,
    PaymentDetails,
    RateIncrease,
    Reminder,
    Stage,
    Statement,
    Termination,
)

KEY_HEADER = keys.TOKEN_HEADER  # carries ``token_for(key, ...)``, never the key itself
LEGACY_KEY_HEADER = keys.LEGACY_KEY_HEADER  # the clear key, in drafts written before


def token_for(key: str, identity: Identity | str) -> str:
    """The value of KEY_HEADER in our message for ``key`` (``identity``: who it is from)."""
    return keys.token_for(key, identity if isinstance(identity, str) else identity.email)


def key_of(message: Mapping[str, Any], identity: Identity | str | None = None) -> str | None:
    """The action key a message of ours carries (the token read back, or an old clear header).

    ``identity`` is the mailbox's address; by default the message's own From, which is
    the freelancer's for everything the assistant writes.
    """
    token = str(message.get(KEY_HEADER) or "").strip()
    if token:
        if identity is None:
            from email.utils import parseaddr

            address = parseaddr(str(message.get("From") or ""))[1]
        else:
            address = identity if isinstance(identity, str) else identity.email
        found = keys.key_from_token(token, address)
        if found is not None:
            return found
    legacy = str(message.get(LEGACY_KEY_HEADER) or "").strip()
    return legacy or None


STATEMENT_TEMPLATE = "invoice-statement"  # one letter for everything a client owes


class TemplateError(Exception):
    """A template failed to render; ``line`` is the template line when known."""

    def __init__(self, message: str, line: int = 0):
        super().__init__(message)
        self.line = line


# --------------------------------------------------------------------------- Jinja


@jinja2.pass_context
def _date_filter(context, value: date | datetime | None, format: str = "long") -> str:
    if value is None:
        return ""
    return format_date(value, format=format, locale=context["locale"])


@jinja2.pass_context
def _money_filter(context, value: Money | None) -> str:
    if value is None:
        return ""
    # The digest names each currency's client locale (digest.money_locales); a letter has its client's.
    symbols = (context.get("money_locales") or {}).get(value.currency)
    return format_money(value, context["locale"], symbols)


def format_money(value: Money, locale: str, symbol_locale: str | None = None) -> str:
    """``value`` with the digits, separators and layout of ``locale`` (the text it sits in) and
    the currency sign the client's ``symbol_locale`` uses: "£2,400.00" in English and
    "2.400,00 £" in Spanish for a client in Britain, never "2.400,00 GBP" nor a Spanish
    decimal comma inside English text."""
    if symbol_locale is None or symbol_locale == locale:
        return format_currency(value.amount, value.currency, locale=locale)
    symbol = get_currency_symbol(value.currency, locale=symbol_locale)
    pattern = Locale.parse(locale).currency_formats["standard"].pattern.split(";")[0]
    before, _, after = pattern.partition("\u00a4")
    # A sign of letters ("CHF") keeps a space from the digits, as Babel's own spacing does.
    gap = "\u00a0" if symbol[-1:].isalpha() and before == "" and not after.startswith((" ", "\u00a0")) else ""
    gap_before = "\u00a0" if symbol[:1].isalpha() and after == "" and not before.endswith((" ", "\u00a0")) else ""
    quoted = "'" + symbol.replace("'", "''") + "'"
    pattern = f"{before}{gap_before}{quoted}{gap}{after}" if "\u00a4" in pattern else pattern
    return format_currency(value.amount, value.currency, format=pattern, locale=locale)


@jinja2.pass_context
def _number_filter(context, value: Decimal | int | float) -> str:
    return format_decimal(value, locale=context["locale"])


# A draft, a digest: a few kilobytes. A template that writes more is broken or hostile
# (`{{ "x" * 300000000 }}` built a 300 MB draft with 2 GB of memory); it stops here.
MAX_OUTPUT = 1_000_000  # characters one rendering may produce
_MAX_EXPONENT = 10_000  # `{{ 9 ** 9 ** 9 }}` would compute for ever


class _BoundedSandbox(SandboxedEnvironment):
    """The sandbox, with the operators and filters that build large values bounded.

    Intercepting `*`, `**` and `%` also keeps Jinja from folding `"x" * 300000000` into a
    constant while it compiles the template (it never folds an intercepted operator).
    """

    intercepted_binops = frozenset(("*", "**", "%"))

    def call_binop(self, context, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for sequence, times in ((left, right), (right, left)):
                if isinstance(sequence, str | list | tuple) and isinstance(times, int):
                    _bounded_size(len(sequence) * times)
        elif operator == "**" and isinstance(right, int) and abs(right) > _MAX_EXPONENT:
            raise jinja2.exceptions.SecurityError(f"an exponent over {_MAX_EXPONENT} is refused")
        elif operator == "%" and isinstance(left, str):
            _bounded_size(_widest_field(left) + len(left))
        return super().call_binop(context, operator, left, right)


def _bounded_size(size: int) -> None:
    if size > MAX_OUTPUT:
        raise jinja2.exceptions.SecurityError(
            f"the template builds a text of {size} characters; the limit is {MAX_OUTPUT}"
        )


def _widest_field(fmt: str) -> int:
    """The largest width or precision in a %-format or a filter argument (``%300000000s``)."""
    return max((int(n) for n in re.findall(r"\d+", fmt)), default=0)


def _center(value: Any, width: int = 80) -> str:
    _bounded_size(int(width))
    return str(value).center(width)


def _indent(value: Any, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
    text = str(value)
    pad = width if isinstance(width, str) else " " * _checked(int(width))
    _bounded_size(len(text) + len(pad) * (text.count("\n") + 1))
    return jinja2.filters.do_indent(text, width, first, blank)


def _checked(width: int) -> int:
    _bounded_size(width)
    return width


def _format(value: str, *args: Any, **kwargs: Any) -> str:
    _bounded_size(_widest_field(str(value)) + len(str(value)))
    return jinja2.filters.do_format(value, *args, **kwargs)


def _environment() -> SandboxedEnvironment:
    env = _BoundedSandbox(
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # plain-text mail: HTML escaping would corrupt "&" and "<"
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(date=_date_filter, money=_money_filter, number=_number_filter)
    env.filters.update(center=_center, indent=_indent, format=_format)
    return env


_ENV = _environment()
_TEMPLATE_FILE = "<template>"


@lru_cache(maxsize=256)
def _compile(text: str) -> jinja2.Template:
    return _ENV.from_string(text)


def render(text: str, context: Mapping[str, Any]) -> str:
    """Render template ``text``; every failure becomes a TemplateError with its line."""
    try:
        template = _compile(text)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"template syntax: {exc.message}", exc.lineno or 0) from None
    try:
        body = _bounded_render(template, context)
    except jinja2.TemplateError as exc:  # UndefinedError, SecurityError, ...
        raise TemplateError(f"template: {exc.message or exc}", _template_line(exc)) from None
    except Exception as exc:  # a filter given the wrong type, a division by zero...
        raise TemplateError(f"template: {type(exc).__name__}: {exc}", _template_line(exc)) from None
    return _tidy(body)


def _bounded_render(template: jinja2.Template, context: Mapping[str, Any]) -> str:
    """The template's output, piece by piece, stopped once it passes MAX_OUTPUT."""
    pieces, size = [], 0
    for piece in template.generate(context):
        size += len(piece)
        _bounded_size(size)
        pieces.append(piece)
    return "".join(pieces)


def _template_line(exc: BaseException) -> int:
    """Jinja rewrites tracebacks so template frames carry template line numbers."""
    line = 0
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == _TEMPLATE_FILE:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _tidy(body: str) -> str:
    lines = [line.rstrip() for line in body.splitlines()]
    text = "\n".join(lines).strip("\n")
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text + "\n"


# --------------------------------------------------------------------------- contexts


def _client_context(client: Client, identity: Identity | None = None) -> dict[str, Any]:
    contact = client.contact_address
    display = contact.name or client.name
    form = client.form_of_address or (identity.form_of_address if identity else "usted")
    return {
        # Spanish templates: tú ("avísame") rather than usted ("avíseme"), the default.
        "tu": form in ("tú", "tu"),
        "id": client.id,
        "name": client.name,
        "contact_name": display,
        # "Hola Marta:" reads better than "Hola Marta López Ruiz:".
        "greeting_name": display.split()[0] if contact.name else client.name,
        "country": client.country.upper(),
        "eu": client.country.upper() in EU_COUNTRIES,
        "consumer": client.consumer,
        "language": client.language,
    }


def _freelancer_context(identity: Identity, client: Client | None = None) -> dict[str, Any]:
    signature = identity.signature.strip() or identity.name
    gender = (client.grammatical_gender if client else None) or identity.grammatical_gender
    # Contact details a termination or farewell must end with (seed 002: "sign off with
    # your contact details"), leaving out what the signature already shows.
    details = [d for d in (identity.email, identity.phone, identity.website) if d and d not in signature]
    return {
        "name": identity.name,
        "email": identity.email,
        "phone": identity.phone,
        "website": identity.website,
        "signature": signature,
        "contact_line": " · ".join(details),
        # Spanish templates: "preocupada" rather than "preocupado", the documented default.
        "feminine": gender == "feminine",
    }


def payment_details(client: Client, identity: Identity) -> PaymentDetails:
    """How ``client`` pays: their own details on top of the freelancer's."""
    return client.payment.over(identity.payment) if client.payment else identity.payment


def _payment_context(client: Client, identity: Identity, numbers: list[str]) -> dict[str, Any]:
    """How to pay, for a reminder of the invoices ``numbers`` (one, or a statement's)."""
    details = payment_details(client, identity)
    template = details.reference or "{number}"
    # One reference per invoice, so the bank statement names each; a statement lists them all.
    reference = ", ".join(dict.fromkeys(template.replace("{number}", n) for n in numbers))
    # A link naming {number} pays one invoice: a statement of several shows none.
    link = details.link
    if "{number}" in link:
        link = link.replace("{number}", quote(numbers[0], safe="-_.")) if len(numbers) == 1 else ""
    return {
        "any": details.bank or bool(link),
        "holder": (details.holder or identity.name) if details.bank else "",
        "iban": " ".join(details.iban[i : i + 4] for i in range(0, len(details.iban), 4)),
        "bic": details.bic,
        "account": details.account,
        "link": link,
        "reference": reference,
    }


def _claim_context(claim: Claim | None) -> dict[str, Any] | None:
    if claim is None:
        return None
    return {
        "law": claim.law,
        "rate": claim.rate,
        "periods": [
            {"start": p.start, "end": p.end, "days": p.days, "rate": p.rate, "interest": p.interest}
            for p in claim.periods
        ],
        "days": claim.days,
        "principal": claim.principal,
        "interest": claim.interest,
        "compensation": claim.compensation,
        "total": claim.total,
        "provisional": claim.provisional,
    }


def claim_for(invoice: Invoice, client: Client, rates: ReferenceRates | None, today: date) -> Claim | None:
    """The statutory late-payment claim on ``invoice`` today, if the law gives one."""
    if rates is None:
        return None
    return late_payment_claim(
        invoice.outstanding,
        due_date=invoice.due_date,
        today=today,
        country=client.country,
        consumer=client.consumer,
        rates=rates,
    )


def _invoice_context(invoice: Invoice, today: date) -> dict[str, Any]:
    paid = Money(amount=invoice.paid_amount, currency=invoice.amount.currency) if invoice.amount else None
    return {
        "number": invoice.number,
        "amount": invoice.amount,
        "paid": paid,
        "outstanding": invoice.outstanding,
        "partly_paid": bool(invoice.paid_amount) and invoice.amount is not None,
        "issue_date": invoice.issue_date,
        "due_date": invoice.due_date,
        "subject": invoice.subject,
        "terms_days": (invoice.due_date - invoice.issue_date).days,
        "days_overdue": max(0, (today - invoice.due_date).days),
    }


def _deliverable_context(deliverable: Deliverable, today: date, tz: tzinfo | None) -> dict[str, Any]:
    sent = deliverable.sent_at.astimezone(tz) if tz else deliverable.sent_at
    return {
        "subject": strip_reply_prefix(deliverable.subject),
        "sent_on": sent.date(),
        "days_waiting": max(0, (today - sent.date()).days),
    }


def reminder_context(
    reminder: Reminder,
    client: Client,
    identity: Identity,
    today: date,
    attached: bool,
    claim: Claim | None = None,
) -> dict[str, Any]:
    return {
        "locale": client.babel_locale,
        "client": _client_context(client, identity),
        "freelancer": _freelancer_context(identity, client),
        "invoice": _invoice_context(reminder.invoice, today),
        "stage": {"name": reminder.stage.name, "skipped": list(reminder.skipped)},
        "attached": attached,
        "payment": _payment_context(client, identity, [reminder.invoice.number]),
        "claim": _claim_context(claim),
        "today": today,
    }


def statement_context(
    statement: Statement,
    client: Client,
    identity: Identity,
    today: date,
    attached: bool,
    claims: Mapping[str, Claim] | None = None,
) -> dict[str, Any]:
    """A statement of account: every invoice due a reminder today, oldest first, with totals
    per currency (what is owed, and the statutory interest where a final notice is due)."""
    claims = claims or {}
    invoices = []
    owed: dict[str, Decimal] = {}
    for reminder in statement.reminders:
        invoice = reminder.invoice
        claim = claims.get(invoice.number)
        invoices.append(
            {
                **_invoice_context(invoice, today),
                "stage": reminder.stage.name,
                "final": reminder.stage.name == statement.final_stage,
                "claim": _claim_context(claim),
            }
        )
        if invoice.outstanding is not None:
            currency = invoice.outstanding.currency
            owed[currency] = owed.get(currency, Decimal(0)) + invoice.outstanding.amount
    interest: dict[str, Decimal] = {}
    for claim in claims.values():
        for money in (claim.interest, claim.compensation):
            interest[money.currency] = interest.get(money.currency, Decimal(0)) + money.amount
    return {
        "locale": client.babel_locale,
        "client": _client_context(client),
        "freelancer": _freelancer_context(identity),
        "invoices": invoices,
        "totals": [Money(amount=a, currency=c) for c, a in sorted(owed.items())],
        "interest_totals": [Money(amount=a, currency=c) for c, a in sorted(interest.items())],
        "firmest": statement.firmest.stage.name,
        # The tone of the letter: "first" (the documented wording, in the plural), "final"
        # (work paused, interest), or "again" (firmer, a call) in between.
        "tone": (
            "final"
            if any(i["final"] for i in invoices)
            else "first"
            if all(r.stage.name == statement.first_stage for r in statement.reminders)
            else "again"
        ),
        "unknown_amounts": any(i["amount"] is None for i in invoices),
        "attached": attached,
        "payment": _payment_context(client, identity, [r.invoice.number for r in statement.reminders]),
        "today": today,
    }


def follow_up_context(
    follow_up: FollowUp, client: Client, identity: Identity, today: date, tz: tzinfo | None = None
) -> dict[str, Any]:
    return {
        "locale": client.babel_locale,
        "client": _client_context(client, identity),
        "freelancer": _freelancer_context(identity, client),
        "deliverable": _deliverable_context(follow_up.deliverable, today, tz),
        "stage": {"name": follow_up.stage.name, "skipped": list(follow_up.skipped)},
        "today": today,
    }


def check_in_context(
    check_in: CheckIn, client: Client, identity: Identity, today: date, tz: tzinfo | None = None
) -> dict[str, Any]:
    last = check_in.last_contact.astimezone(tz) if tz else check_in.last_contact
    return {
        "locale": client.babel_locale,
        "client": _client_context(client, identity),
        "freelancer": _freelancer_context(identity, client),
        "work": _deliverable_context(check_in.work, today, tz),
        "last_contact": last.date(),
        "today": today,
    }


def termination_context(
    termination: Termination,
    client: Client,
    identity: Identity,
    today: date,
    tz: tzinfo | None,
    *,
    referrals: tuple[str, ...],
    final_invoice_terms_days: int,
) -> dict[str, Any]:
    return {
        "locale": client.babel_locale,
        "client": _client_context(client, identity),
        "freelancer": _freelancer_context(identity, client),
        "reason": termination.reason,
        "notice_days": termination.notice_days,
        "final_day": termination.final_day,
        "work_paused": termination.work_paused,
        "discussed_on": termination.discussed_on,
        "invoices": [_invoice_context(i, today) for i in termination.invoices],
        "deliverables": [_deliverable_context(d, today, tz) for d in termination.deliverables],
        "handover": list(client.handover),
        "referrals": list(referrals),
        "final_invoice_terms_days": final_invoice_terms_days,
        "today": today,
    }


def rate_increase_context(
    increase: RateIncrease, client: Client, identity: Identity, today: date
) -> dict[str, Any]:
    return {
        "locale": client.babel_locale,
        "client": _client_context(client, identity),
        "freelancer": _freelancer_context(identity, client),
        "rate": increase.rate,
        "starting": increase.starting,
        "today": today,
    }


def _sample_client(language: str) -> Client:
    return Client(
        id="sample",
        name="Sample Client Ltd",
        contact="Sam Sample <sam@example.com>",
        language=language,
        country={"en": "GB"}.get(language) or _likely_country(language),
        currency="EUR",
    )


def _likely_country(language: str) -> str:
    """The country Babel (CLDR) most associates with ``language``: "de" -> "DE"."""
    likely = get_global("likely_subtags").get(language, "")
    return likely.split("_")[-1] if likely.count("_") >= 1 and likely.split("_")[-1].isalpha() else "ES"


_SAMPLE_STAGE = Stage(name="sample", after_days=1, template="sample")
_SAMPLE_PAYMENT = PaymentDetails(
    iban="ES9121000418450200051332",
    bic="CAIXESBBXXX",
    link="https://pay.example/{number}",
    reference="{number}",
)
_SAMPLE_IDENTITY = Identity(name="Sample Freelancer", email="me@example.com", payment=_SAMPLE_PAYMENT)
# A rates table that gives every sample client a claim, so a template's interest block is
# rendered (and its mistakes found) by `check`.
_SAMPLE_RATES = ReferenceRates(
    checked_on=date(2026, 1, 1),
    ecb_main_refinancing=(RateChange(since=date(2025, 6, 11), rate=Decimal("2.15")),),
    boe_bank_rate=(RateChange(since=date(2025, 8, 7), rate=Decimal("4.00")),),
)


def _sample_invoice() -> Invoice:
    return Invoice(
        client="sample",
        number="2026-001",
        amount=Money(amount=Decimal("1234.50"), currency="EUR"),
        paid_amount=Decimal("200.00"),
        issue_date=date(2026, 3, 1),
        due_date=date(2026, 3, 15),
        message_id="<sample@example.com>",
        subject="Invoice 2026-001",
        sent_at=datetime(2026, 3, 1, 9, 0),
    )


def sample_context(kind: str, identity: Identity | None, language: str) -> dict[str, Any]:
    """Realistic values for every variable a template of ``kind`` receives."""
    client = _sample_client(language)
    identity = identity or _SAMPLE_IDENTITY
    if not identity.payment.bank:  # render the how-to-pay lines even before they are set up
        identity = dataclasses.replace(identity, payment=_SAMPLE_PAYMENT)
    today = date(2026, 3, 20)
    deliverable = Deliverable(
        client="sample",
        message_id="<d@example.com>",
        subject="Propuesta v2",
        sent_at=datetime(2026, 3, 12, 9, 0),
    )
    if kind == "deliverable":
        follow_up = FollowUp(
            key="deliverable/sample/d/sample", deliverable=deliverable, stage=_SAMPLE_STAGE, due_on=today
        )
        return follow_up_context(follow_up, client, identity, today)
    if kind == "check-in":
        check_in = CheckIn(
            key="check-in/sample/2026-03-12",
            client="sample",
            work=deliverable,
            last_contact=datetime(2026, 3, 12, 9, 0),
            due_on=today,
        )
        return check_in_context(check_in, client, identity, today)
    if kind == "termination":
        termination = Termination(
            key="termination/sample/other",
            client="sample",
            reason="other",
            evidence=(),
            invoices=(_sample_invoice(),),
            deliverables=(deliverable,),
            notice_days=14,
            final_day=date(2026, 4, 3),
            suggested=True,
        )
        referrals = ("Sam Other <sam@other.example>",)
        return termination_context(
            termination, client, identity, today, None, referrals=referrals, final_invoice_terms_days=15
        )
    if kind == "digest":
        from . import digest  # the digest's own sample: every section filled

        return {"locale": client.babel_locale, "freelancer": _freelancer_context(identity), **digest.sample()}
    if kind == "rate-increase":
        increase = RateIncrease(
            key="rate/sample/2026-03-20", client="sample", rate="55 EUR/h", starting=date(2026, 5, 1)
        )
        return rate_increase_context(increase, client, identity, today)
    reminder = Reminder(
        key="invoice/sample/2026-001/sample", invoice=_sample_invoice(), stage=_SAMPLE_STAGE, due_on=today
    )
    claim = claim_for(reminder.invoice, client, _SAMPLE_RATES, today)
    if kind == "statement":
        second = dataclasses.replace(
            _sample_invoice(), number="2026-002", amount=Money(amount=Decimal(800), currency="USD")
        )
        final = Stage(name="final", after_days=21, template="sample")
        later = Reminder(key="invoice/sample/2026-002/final", invoice=second, stage=final, due_on=today)
        statement = Statement(
            key="statement/sample/2026-03-20",
            client="sample",
            reminders=(reminder, later),
            due_on=today,
            first_stage="sample",
            final_stage="final",
        )
        claims = {"2026-001": claim} if claim else {}
        return statement_context(statement, client, identity, today, True, claims)
    return reminder_context(reminder, client, identity, today, attached=True, claim=claim)


_KINDS = ("invoice", "statement", "deliverable", "check-in", "termination", "rate-increase", "digest")


def check_template(
    path: str, text: str, kind: str | None, identity: Identity | None, language: str = "en"
) -> tuple[int, str] | None:
    """Compile ``text`` and, for a known kind, render it with sample data.

    Returns (line, message) for the first problem, or None when the template is sound.
    """
    try:
        if kind in _KINDS:
            render(text, sample_context(kind, identity, language))
        else:
            _compile(text)  # syntax only: we do not know which variables it will get
    except TemplateError as exc:
        return exc.line, str(exc)
    except jinja2.TemplateSyntaxError as exc:
        return exc.lineno or 0, f"template syntax: {exc.message}"
    return None


def locale_problem(locale: str) -> str | None:
    """Why Babel cannot format for ``locale``, or None."""
    try:
        Locale.parse(locale)
    except (UnknownLocaleError, ValueError, TypeError) as exc:
        return f"unknown locale {locale!r} ({exc})"
    return None


# --------------------------------------------------------------------------- messages


def message_id_for(key: str, identity: Identity) -> str:
    """The Message-ID of the draft for ``key``: the same key, identity and installation."""
    return keys.message_id_for(key, identity.email, identity.installation, identity.address.domain)


_REPLY_PREFIX = re.compile(r"^\s*(re|aw|antw|sv|rif|res)\s*(\[\d+\]|\(\d+\))?\s*:", re.I)


def strip_reply_prefix(subject: str) -> str:
    """The subject without one leading reply prefix ("Re:", "AW:", "Antw:"...)."""
    subject = " ".join(subject.split())
    return _REPLY_PREFIX.sub("", subject, count=1).strip() if _REPLY_PREFIX.match(subject) else subject


def reply_subject(subject: str) -> str:
    """``Re: <original subject>``, without stacking a second prefix."""
    base = strip_reply_prefix(subject)
    return f"Re: {base}" if base else "Re: invoice"


def _references(message_id: str, references: tuple[str, ...]) -> str:
    # RFC 5322 3.6.4: the parent's References plus the parent's Message-ID. Long chains
    # are trimmed from the start (keeping the root) so the header stays reasonable.
    chain = [r for r in references if r != message_id]
    if len(chain) > 10:
        chain = chain[:1] + chain[-9:]
    return " ".join([*chain, message_id])


def _threaded(
    *,
    key: str,
    client: Client,
    identity: Identity,
    subject: str,
    parent_id: str,
    parent_references: tuple[str, ...],
    body: str,
    now: datetime,
) -> EmailMessage:
    """A reply to the freelancer's own email ``parent_id``, addressed to the client's contact."""
    message = _new_thread(
        key=key, client=client, identity=identity, subject=reply_subject(subject), body=body, now=now
    )
    if parent_id:
        message["In-Reply-To"] = parent_id
        message["References"] = _references(parent_id, parent_references)
    return message


def reminder_draft(
    reminder: Reminder,
    *,
    client: Client,
    identity: Identity,
    template_text: str,
    attachment: Attachment | None,
    now: datetime,
    today: date,
    rates: ReferenceRates | None = None,
    send_to: Address | None = None,
) -> Draft:
    """The reminder email for ``reminder``, as a Draft with the bytes to append.

    ``send_to``: the address the client asked for the invoice at (``recipients``); the
    reminder goes there, the client's contact in Cc.

    With ``rates`` (rates.yaml), the template also gets the statutory late-payment claim
    to date (``claim``, None for a consumer or where no law gives one); the final notice
    shows it.
    """
    attach = reminder.stage.attach_invoice and attachment is not None
    claim = claim_for(reminder.invoice, client, rates, today)
    body = render(template_text, reminder_context(reminder, client, identity, today, attach, claim))
    invoice = reminder.invoice
    attached = [(invoice, attachment)] if attach and attachment is not None else []
    return _reminder_under(reminder.key, invoice, attached, client, identity, body, now, send_to)


def statement_draft(
    statement: Statement,
    *,
    client: Client,
    identity: Identity,
    template_text: str,
    attachments: Mapping[str, Attachment],
    now: datetime,
    today: date,
    rates: ReferenceRates | None = None,
    send_to: Address | None = None,
) -> Draft:
    """One letter for every reminder due to a client today: a reply under the oldest invoice's
    email, every invoice listed with totals per currency, every PDF attached (``attachments``
    maps invoice numbers to them), the statutory claim on the invoices at the final stage.

    Its key is ``statement.key``; the engine records the draft under every reminder's key.
    """
    claims = {}
    for reminder in statement.reminders:
        if reminder.stage.name == statement.final_stage:
            claim = claim_for(reminder.invoice, client, rates, today)
            if claim is not None:
                claims[reminder.invoice.number] = claim
    wanted = [
        (r.invoice, attachments[r.invoice.number])
        for r in statement.reminders
        if r.stage.attach_invoice and r.invoice.number in attachments
    ]
    context = statement_context(statement, client, identity, today, bool(wanted), claims)
    body = render(template_text, context)
    oldest = statement.oldest.invoice
    return _reminder_under(statement.key, oldest, wanted, client, identity, body, now, send_to)


def _reminder_under(
    key: str,
    invoice: Invoice,
    attached: list[tuple[Invoice, Attachment]],
    client: Client,
    identity: Identity,
    body: str,
    now: datetime,
    send_to: Address | None,
) -> Draft:
    """A reminder (or a statement) as a reply under ``invoice``'s email: billing in Cc, the
    address the client asked for, the PDFs of ``attached`` re-attached."""
    message = _threaded(
        key=key,
        client=client,
        identity=identity,
        subject=invoice.subject,
        parent_id=invoice.message_id,
        parent_references=invoice.references,
        body=body,
        now=now,
    )
    _copy_billing(message, client)
    _send_elsewhere(message, client, send_to)
    for pdf_of, attachment in attached:
        _attach(message, attachment, pdf_of, client.language)
    return _draft(key, DraftKind.REMINDER, message, client, invoice.message_id, send_to)


def _copy_billing(message: EmailMessage, client: Client) -> None:
    """The client's accounts-payable addresses in Cc: the people who actually pay."""
    if client.billing:
        message["Cc"] = ", ".join(str(a) for a in client.billing_addresses)


def _elsewhere(client: Client, send_to: Address | None) -> bool:
    return send_to is not None and send_to.email != client.contact_address.email


def _copies(client: Client, send_to: Address) -> tuple[Address, ...]:
    return (client.contact_address, *(a for a in client.billing_addresses if a.email != send_to.email))


def _send_elsewhere(message: EmailMessage, client: Client, send_to: Address | None) -> None:
    """To the address the client asked for; their contact (and accounts payable) in Cc."""
    if not _elsewhere(client, send_to):
        return
    assert send_to is not None
    message.replace_header("To", str(send_to))
    del message["Cc"]
    message["Cc"] = ", ".join(str(a) for a in _copies(client, send_to))


def _attach(message: EmailMessage, attachment: Attachment, invoice: Invoice, language: str) -> None:
    maintype, _, subtype = (attachment.content_type or "application/pdf").partition("/")
    message.add_attachment(
        attachment.data,
        maintype=maintype or "application",
        subtype=subtype or "pdf",
        filename=attachment.filename or f"{invoice.number}.pdf",
    )
    if message["Content-Language"] is None:
        # add_attachment moved every Content-* header into the text part: the whole
        # message is in the client's language too.
        message["Content-Language"] = language


def follow_up_draft(
    follow_up: FollowUp,
    *,
    client: Client,
    identity: Identity,
    template_text: str,
    now: datetime,
    today: date,
    tz: tzinfo | None = None,
) -> Draft:
    """The follow-up of an unanswered deliverable: a reply in its thread."""
    body = render(template_text, follow_up_context(follow_up, client, identity, today, tz))
    return _reply_about_work(
        follow_up.key, DraftKind.FOLLOW_UP, follow_up.deliverable, client, identity, body, now
    )


def check_in_draft(
    check_in: CheckIn,
    *,
    client: Client,
    identity: Identity,
    template_text: str,
    now: datetime,
    today: date,
    tz: tzinfo | None = None,
) -> Draft:
    """A check-in during ongoing work (seed 002): a reply in the thread of the work in progress.

    It answers the latest deliverable email rather than the last message exchanged,
    which may be an invoice or a reminder: a note about how the work is going belongs in
    the conversation about the work, and lands there in every mail client (References).
    """
    body = render(template_text, check_in_context(check_in, client, identity, today, tz))
    return _reply_about_work(check_in.key, DraftKind.CHECK_IN, check_in.work, client, identity, body, now)


def _reply_about_work(
    key: str, kind: str, work: Deliverable, client: Client, identity: Identity, body: str, now: datetime
) -> Draft:
    """A draft threaded under the email that delivered ``work``."""
    message = _threaded(
        key=key,
        client=client,
        identity=identity,
        subject=work.subject,
        parent_id=work.message_id,
        parent_references=work.references,
        body=body,
        now=now,
    )
    return _draft(key, kind, message, client, work.message_id)


def _draft(
    key: str,
    kind: str,
    message: EmailMessage,
    client: Client,
    parent_id: str,
    send_to: Address | None = None,
) -> Draft:
    to, cc = client.contact_address, client.billing_addresses if message["Cc"] else ()
    if _elsewhere(client, send_to):
        assert send_to is not None
        to, cc = send_to, _copies(client, send_to)
    return Draft(
        key=key,
        kind=kind,
        message_id=message["Message-ID"],
        to=to,
        subject=message["Subject"],
        data=message.as_bytes(),
        in_reply_to=parent_id,
        cc=cc,
    )


# --------------------------------------------------------------------------- new threads

_SUBJECT_LINE = re.compile(r"\ASubject:[ \t]*(?P<subject>[^\n]*)\n")


def split_subject(body: str, fallback: str) -> tuple[str, str]:
    """A template may start with ``Subject: ...``: (subject, the rest of the body)."""
    match = _SUBJECT_LINE.match(body)
    if match is None:
        return fallback, body
    return " ".join(match["subject"].split()) or fallback, _tidy(body[match.end() :])


def _local_date(now: datetime, identity: Identity) -> str:
    """The Date header in the freelancer's own time zone, as their mail client would write it."""
    return format_datetime(now.astimezone(ZoneInfo(identity.timezone)))


def _new_thread(
    *, key: str, client: Client, identity: Identity, subject: str, body: str, now: datetime
) -> EmailMessage:
    """A message from the freelancer to the client's contact, in the client's language."""
    message = EmailMessage(policy=SMTP)
    message["From"] = str(identity.address)
    message["To"] = str(client.contact_address)
    message["Subject"] = subject
    message["Date"] = _local_date(now, identity)
    message["Message-ID"] = message_id_for(key, identity)
    message[KEY_HEADER] = token_for(key, identity)  # no User-Agent: nothing of ours goes out
    message.set_content(body, charset="utf-8", cte="quoted-printable")
    # After set_content, which replaces every Content-* header.
    message["Content-Language"] = client.language
    return message


def termination_draft(
    termination: Termination,
    *,
    client: Client,
    identity: Identity,
    template_text: str,
    attachments: Mapping[str, Attachment],
    referrals: tuple[str, ...],
    final_invoice_terms_days: int,
    now: datetime,
    today: date,
    tz: tzinfo | None = None,
) -> Draft:
    """The termination email (a new thread to the client's usual contact), outstanding invoices attached.

    ``attachments`` maps invoice numbers to their PDFs. The Draft's kind is
    "termination": the sending side refuses that kind, whatever the configuration says.
    """
    context = termination_context(
        termination,
        client,
        identity,
        today,
        tz,
        referrals=referrals,
        final_invoice_terms_days=final_invoice_terms_days,
    )
    subject, body = split_subject(render(template_text, context), client.name)
    message = _new_thread(
        key=termination.key, client=client, identity=identity, subject=subject, body=body, now=now
    )
    for invoice in termination.invoices:
        attachment = attachments.get(invoice.number)
        if attachment is not None:
            maintype, _, subtype = (attachment.content_type or "application/pdf").partition("/")
            message.add_attachment(
                attachment.data,
                maintype=maintype,
                subtype=subtype,
                filename=attachment.filename or f"{invoice.number}.pdf",
            )
    if message["Content-Language"] is None:  # moved into the text part by add_attachment
        message["Content-Language"] = client.language
    return _draft(termination.key, DraftKind.TERMINATION, message, client, "")


def rate_increase_draft(
    increase: RateIncrease,
    *,
    client: Client,
    identity: Identity,
    template_text: str,
    now: datetime,
    today: date,
) -> Draft:
    """Seed 002: the proposal of a new rate, suggesting a call."""
    subject, body = split_subject(
        render(template_text, rate_increase_context(increase, client, identity, today)), client.name
    )
    message = _new_thread(
        key=increase.key, client=client, identity=identity, subject=subject, body=body, now=now
    )
    return _draft(increase.key, DraftKind.RATE_INCREASE, message, client, "")


# --------------------------------------------------------------------------- the digest


def digest_draft(
    context: dict, *, identity: Identity, template_text: str, key: str, now: datetime, locale: str
) -> Draft:
    """The daily digest (``digest.build_digest``'s context), from the freelancer to themselves.

    ``locale`` is the freelancer's Babel locale (dates and money). The message is marked
    ``Auto-Submitted: auto-generated`` (RFC 3834): a machine wrote it, so no mail client
    or vacation responder should answer it. Its kind is "digest": besides reminders and
    follow-ups, the only kind ``adapters/smtp.py`` lets the program send.
    """
    body = render(template_text, {"locale": locale, "freelancer": _freelancer_context(identity), **context})
    subject, body = split_subject(body, "freelance-assistant")
    me = identity.address
    message = EmailMessage(policy=SMTP)
    message["From"] = str(me)
    message["To"] = str(me)
    message["Subject"] = subject
    message["Date"] = _local_date(now, identity)
    message["Message-ID"] = message_id_for(key, identity)
    message["Auto-Submitted"] = "auto-generated"
    message[KEY_HEADER] = token_for(key, identity)  # no User-Agent: nothing of ours goes out
    message.set_content(body, charset="utf-8", cte="quoted-printable")
    # After set_content, which drops every Content-* header set before it.
    message["Content-Language"] = locale.replace("_", "-").split("-")[0]
    return Draft(
        key=key,
        kind=DraftKind.DIGEST,
        message_id=message["Message-ID"],
        to=me,
        subject=subject,
        data=message.as_bytes(),
    )
