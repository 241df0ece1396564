"""Value types of the freelancer's world: clients, mail, invoices, ladder stages, drafts.

Everything here is a frozen dataclass and imports only the standard library (and
``patterns``, which bounds the rules' regular expressions). The rule
types (``Client``, ``Stage``, ``InvoiceRules``...) are validated straight from YAML by
``assistant.config`` (pydantic understands standard dataclasses and the plain-dict
``__pydantic_config__`` below), so the domain never sees a raw dict and never imports
the validation library.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from email.utils import formataddr, parseaddr
from enum import StrEnum
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .calendar import region as calendar_region

if TYPE_CHECKING:  # interest.py builds on these types; Rules only carries its table
    from .interest import ReferenceRates
    from .said import Said
from .patterns import bounded, slow_input

# An ISO 639 code. The program ships templates and wording for these three; any other
# language works once its templates are in the rules folder (templates/<code>/).
Language = str
GrammaticalGender = Literal["masculine", "feminine"]
FormOfAddress = Literal["usted", "tú", "tu"]  # "tu": tú typed without its accent
LANGUAGES: tuple[Language, ...] = ("es", "en", "nl")
_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")


def check_language(value: str) -> None:
    """A language is a lower-case ISO 639 code ("es", "de", "fil"): the name of its
    templates folder."""
    if not _LANGUAGE_CODE.fullmatch(value):
        raise FieldError(
            "language", f"language {value!r} is not an ISO 639 code like es, en, nl or de (lower case)"
        )


# Unknown keys in a rules file are mistakes (a typo silently ignored is a rule that
# silently does nothing), so every rule type forbids them.
_STRICT = {"extra": "forbid"}


class FieldError(ValueError):
    """A rule value that is wrong, and where: ``path`` leads from the object to the key.

    Raised from ``__post_init__`` so that the configuration loader can point at the very
    line of the key (``notice_days: -3``), not at the mapping around it.
    """

    def __init__(self, path: tuple[str | int, ...] | str, message: str):
        super().__init__(message)
        self.path = (path,) if isinstance(path, str) else tuple(path)


# --------------------------------------------------------------------------- mail


class FolderRole(StrEnum):
    """What a folder is to the assistant, whatever the server calls it."""

    INBOX = "inbox"
    SENT = "sent"
    DRAFTS = "drafts"


@dataclass(frozen=True, slots=True, kw_only=True)
class Address:
    """A mail address with an optional display name; ``email`` is lower-cased."""

    email: str
    name: str = ""

    @classmethod
    def parse(cls, text: str) -> Address:
        """One address as the freelancer writes it in a configuration field, strictly.

        ``Name <address>``, ``"Surname, Name" <address>`` or a bare ``address``, and nothing
        else: a lenient parser reads ``a@x <b@y>`` as ``a@x`` and drops the second address
        of ``a@x, b@y``, and a line break would let a ``Bcc:`` ride into every draft.
        """
        problem = _address_problem(text)
        if problem:
            raise ValueError(problem)
        name, addr = parseaddr(text)
        if "@" not in addr:
            raise ValueError(f"not a mail address: {text!r}")
        return cls(email=addr.strip().lower(), name=name.strip())

    @property
    def domain(self) -> str:
        return self.email.rpartition("@")[2]

    def __str__(self) -> str:
        return formataddr((self.name, self.email)) if self.name else self.email


# addr-spec as people write it: no spaces, brackets, quotes, commas or semicolons.
_ADDR_SPEC = re.compile(r"[^\s@<>()\[\],;:\"\\]+@[^\s@<>()\[\],;:\"\\]+")
_NAME_AND_ADDRESS = re.compile(r"(?P<name>[^<>]*)<(?P<addr>[^<>]*)>")


def control_characters(text: str) -> bool:
    """Whether ``text`` holds a line break or another control character."""
    return any(ord(c) < 32 or ord(c) == 127 for c in text)


def _address_problem(text: str) -> str:
    """What is wrong with ``text`` as one configured address, or "" if nothing."""
    if control_characters(text):
        return "an address cannot contain a line break or control character (it could add headers to drafts)"
    text = text.strip()
    named = _NAME_AND_ADDRESS.fullmatch(text)
    if named is None:
        if "<" in text or ">" in text:
            return f"not a mail address: {text!r} (write Name <address>)"
        if text.count("@") > 1 or "," in text or ";" in text:
            return f"one address per field, got {text!r}; more addresses go in a list"
        if not _ADDR_SPEC.fullmatch(text):
            return f"not a mail address: {text!r}"
        return ""
    name, addr = named["name"].strip(), named["addr"].strip()
    if name.startswith('"') and name.endswith('"') and len(name) >= 2:
        inner = name[1:-1].replace('\\"', "")
        if '"' in inner:
            return f"not a mail address: {text!r} (unbalanced quotes in the name)"
    elif "@" in name:
        return f"the name part of {text!r} is an address too: one address per field, as Name <address>"
    elif "," in name or ";" in name:
        return (
            f'one address per field, got {text!r} (a comma in a name needs quotes: "Surname, Name" <address>)'
        )
    elif '"' in name:
        return f"not a mail address: {text!r} (unbalanced quotes in the name)"
    if not _ADDR_SPEC.fullmatch(addr):
        return f"not a mail address: {text!r}"
    return ""


def _domain_problem(value: str) -> str:
    domain = value.strip().lstrip("@")
    if control_characters(value) or not re.fullmatch(r"[^\s@<>()\[\],;:\"\\]+", domain):
        return f"a domain like example.com is expected here, one per entry, got {value!r}"
    return ""


def check_bare_address(value: str) -> str:
    """A field that holds one bare address (no name): "" when fine, else what is wrong."""
    problem = _address_problem(value)
    if problem:
        return problem
    if not _ADDR_SPEC.fullmatch(value.strip()):
        return f"a bare address is expected here (no name, no brackets), got {value!r}"
    return ""


@dataclass(frozen=True, slots=True, kw_only=True)
class MailHeader:
    """What the assistant needs from a message's header, decoded.

    ``uid`` locates the message in its folder (an IMAP UID, or a Maildir key); it is
    ``None`` for a message not read from a mailbox (a draft being composed).
    """

    uid: int | str | None = None
    flags: frozenset[str] = frozenset()
    message_id: str = ""
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    subject: str = ""
    sender: Address | None = None
    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    date: datetime | None = None
    size: int = 0
    content_type: str = ""
    assistant_key: str = ""  # read back from the opaque token (or an older clear header)
    assistant_installation: str = ""  # the installation that wrote it (from its Message-ID), or ""
    # Headers that say a message was written by a machine (Auto-Submitted, Precedence,
    # X-Autoreply...), lower-case name -> raw value.
    robot_headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def recipients(self) -> tuple[Address, ...]:
        return self.to + self.cc


@dataclass(frozen=True, slots=True, kw_only=True)
class Attachment:
    """One attached file, its bytes exactly as sent, and its text when it is a PDF."""

    filename: str
    content_type: str
    data: bytes = field(repr=False)
    text: str = field(default="", repr=False)
    # Shown in the body rather than attached (Content-Disposition: inline with a
    # Content-ID): a logo or a picture in a signature, not a file sent.
    inline: bool = False
    # The e-invoice XML a PDF embeds (Factur-X / ZUGFeRD), exactly as embedded.
    einvoice: bytes = field(default=b"", repr=False)

    @property
    def is_pdf(self) -> bool:
        return self.content_type == "application/pdf" or self.filename.lower().endswith(".pdf")


@dataclass(frozen=True, slots=True, kw_only=True)
class Mail:
    """A message read in full: its header, its readable text and its attachments."""

    header: MailHeader
    text: str = ""
    attachments: tuple[Attachment, ...] = ()
    # Set when the primary parser failed and the fallback produced this result.
    parsed_by_fallback: bool = False


# --------------------------------------------------------------------------- rules


_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentDetails:
    """How to pay the freelancer, shown in every reminder (config.yaml's identity, or a client).

    The IBAN and BIC are checked by ``assistant.config`` (python-stdnum: country format,
    check digits, and the national check digits where a country has them) and kept in
    compact form; the domain only formats them. ``link`` and ``reference`` may name the
    invoice as ``{number}``: a payment page per invoice, a reference the bank statement
    carries back.
    """

    __pydantic_config__ = _STRICT

    holder: str = ""  # the account holder; empty: the freelancer's name
    iban: str = ""
    bic: str = ""
    account: str = ""  # domestic details without an IBAN: "sort code 12-34-56, account 12345678"
    link: str = ""  # a payment page (Stripe, PayPal.me, the bank's request-to-pay link)
    reference: str = ""  # what the transfer should say; empty: the invoice number

    def __post_init__(self) -> None:
        if self.link and not re.match(r"https?://[^\s/]+\S*$", self.link):
            raise FieldError("link", "link must be a web address starting with https:// (no spaces)")
        for name in ("link", "reference"):
            for word in _PLACEHOLDER.findall(getattr(self, name)):
                if word != "number":
                    raise FieldError(name, f"{{{word}}} is not known; {name} may only use {{number}}")

    @property
    def bank(self) -> bool:
        """Whether these details say where to transfer to (an IBAN or a domestic account)."""
        return bool(self.iban or self.account)

    def over(self, base: PaymentDetails) -> PaymentDetails:
        """These details (a client's) on top of ``base`` (the freelancer's).

        The bank account is one unit: a client's IBAN comes with its own BIC and holder,
        never the BIC of the freelancer's other bank. Link and reference override alone.
        """
        bank = self if self.bank else base
        return PaymentDetails(
            holder=bank.holder,
            iban=bank.iban,
            bic=bank.bic,
            account=bank.account,
            link=self.link or base.link,
            reference=self.reference or base.reference,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Identity:
    """The freelancer: who drafts are from and how they sign."""

    __pydantic_config__ = _STRICT

    name: str
    email: str
    phone: str = ""
    website: str = ""
    signature: str = ""
    language: Language = "es"
    timezone: str = "UTC"
    payment: PaymentDetails = PaymentDetails()  # shown in every reminder
    # How the Spanish wording speaks: of the freelancer ("preocupado"/"preocupada") and to the
    # client (usted, as the documented wording, or tú). Each client may say otherwise.
    grammatical_gender: GrammaticalGender = "masculine"
    form_of_address: FormOfAddress = "usted"
    # Not from config.yaml: the random id of this installation, kept in the state (the engine
    # sets it), carried in each Message-ID so a draft of another installation is recognisable.
    installation: str = ""

    def __post_init__(self) -> None:
        if problem := check_bare_address(self.email):
            raise FieldError("email", problem)
        if control_characters(self.name):
            raise FieldError("name", "the name cannot contain a line break or control character")
        check_language(self.language)
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise FieldError(
                "timezone", f"unknown time zone {self.timezone!r} (use a name like Europe/Madrid)"
            ) from None

    @property
    def address(self) -> Address:
        return Address(email=self.email.lower(), name=self.name)


@dataclass(frozen=True, slots=True, kw_only=True)
class Defaults:
    """What a client inherits unless clients.yaml says otherwise."""

    __pydantic_config__ = _STRICT

    language: Language = "es"
    country: str = "ES"
    currency: str = "EUR"
    payment_terms_days: int = 14  # seed 002: "within two weeks of the invoice date"

    def __post_init__(self) -> None:
        check_language(self.language)


@dataclass(frozen=True, slots=True, kw_only=True)
class Client:
    """A client as the freelancer describes it in clients.yaml."""

    __pydantic_config__ = _STRICT

    id: str
    name: str
    contact: str  # "Name <address>": who reminders are addressed to
    addresses: tuple[str, ...] = ()  # further addresses that speak for the client
    domains: tuple[str, ...] = ()  # any address at these domains is the client
    language: Language = "es"
    country: str = "ES"
    # A region of the country whose public holidays apply (ISO 3166-2 without the country:
    # "SCT", "MD"); empty: the national calendar (England's for GB).
    subdivision: str = ""
    currency: str = "EUR"
    payment_terms_days: int = 14
    locale: str = ""  # Babel locale for dates and money; derived when empty
    # Ending the relationship (termination.yaml has the defaults).
    notice_days: int | None = None  # seed 001/003: two weeks, or 30 days for a regular client
    handover: tuple[str, ...] = ()  # files, passwords, accesses that belong to the client
    # Check-ins during ongoing work (escalation.yaml's check_in): left out, the rule of
    # escalation.yaml; false: never for this client; true: on; a number: on, after that
    # many business days of silence.
    check_in: bool | int | None = None
    # Getting paid (issue 18). How this client pays, on top of the identity's details.
    payment: PaymentDetails | None = None
    # Accounts payable: in Cc of every reminder, and their mail is the client's mail.
    billing: tuple[str, ...] = ()
    # A private person: no statutory late-payment interest or compensation (those laws
    # are for business debts).
    consumer: bool = False
    # false: their mail is still read (payments, replies), nothing is chased.
    chase: bool = True
    ladder: str = ""  # a named ladder of escalation.yaml's `ladders:`; empty: the `invoice` one
    min_amount: Decimal | None = None  # owed less than this (client's currency): not chased
    min_gap_days: int | None = None  # at least this many days between two reminders to them
    statement: bool = True  # several reminders due the same day: one letter listing them all
    # A friendly note before the due date: true, false or how many days before.
    before_due: bool | int | None = None
    thank_you: bool | None = None  # a "thank you, payment received" draft
    # The Spanish wording for this client; left out: identity's (see Identity).
    grammatical_gender: GrammaticalGender | None = None
    form_of_address: FormOfAddress | None = None
    # Bank statements (issue 15): the account the client pays from and the names its bank
    # writes, so a transfer without the invoice number is still theirs.
    iban: str = ""
    payer_names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        try:
            Address.parse(self.contact)
        except ValueError as exc:
            raise FieldError("contact", str(exc)) from None
        for i, address in enumerate(self.billing):
            try:
                Address.parse(address)
            except ValueError as exc:
                raise FieldError(("billing", i), str(exc)) from None
        if self.min_amount is not None and self.min_amount < 0:
            raise FieldError("min_amount", "min_amount cannot be negative")
        if self.min_gap_days is not None and self.min_gap_days < 0:
            raise FieldError("min_gap_days", "min_gap_days cannot be negative")
        if not isinstance(self.before_due, bool) and self.before_due is not None and self.before_due < 1:
            raise FieldError("before_due", "before_due is true, false or a number of days (at least 1)")
        for i, extra in enumerate(self.addresses):
            if problem := check_bare_address(extra):
                raise FieldError(("addresses", i), problem)
        for i, domain in enumerate(self.domains):
            if problem := _domain_problem(domain):
                raise FieldError(("domains", i), problem)
        check_language(self.language)
        if self.payment_terms_days < 0:
            raise FieldError("payment_terms_days", "payment_terms_days cannot be negative")
        if self.notice_days is not None and self.notice_days < 0:
            raise FieldError("notice_days", "notice_days cannot be negative")
        if not isinstance(self.check_in, bool) and self.check_in is not None and self.check_in < 1:
            raise FieldError("check_in", "check_in is true, false or a number of business days (at least 1)")

    @property
    def contact_address(self) -> Address:
        return Address.parse(self.contact)

    @property
    def billing_addresses(self) -> tuple[Address, ...]:
        return tuple(Address.parse(a) for a in self.billing)

    @property
    def ibans(self) -> tuple[str, ...]:
        return (self.iban,) if self.iban else ()

    @property
    def babel_locale(self) -> str:
        return self.locale or f"{self.language}_{self.country.upper()}"

    @property
    def calendar(self) -> str:
        """The calendar of the client's business days: ``GB-ENG``, ``ES-MD``, ``NL``."""
        return calendar_region(self.country, self.subdivision)

    def owns(self, address: Address) -> bool:
        """Whether mail to or from ``address`` is mail with this client."""
        email = address.email
        if email == self.contact_address.email or email in {a.lower() for a in self.addresses}:
            return True
        if any(email == a.email for a in self.billing_addresses):
            return True
        domain = address.domain
        return any(
            domain == d or domain.endswith("." + d) for d in (d.lower().lstrip("@.") for d in self.domains)
        )


Action = Literal["draft", "send", "notify"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Stage:
    """One rung of an escalation ladder: when, which template, what to do."""

    __pydantic_config__ = _STRICT

    name: str
    after_days: int  # relative to the invoice's due date, or the day a deliverable was sent
    template: str
    days: Literal["calendar", "business"] = "calendar"
    attach_invoice: bool = True
    action: Action = "draft"
    # The final notice: the stage that pauses the work, from which "unpaid after the final
    # notice" counts. Unmarked, the last stage of the ladder is the final notice.
    final: bool = False

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", self.name):
            raise FieldError("name", "stage names are lower-case letters, digits and dashes")


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckInRule:
    """Seed 002: during ongoing work, keep in touch regularly, possibly weekly.

    Off unless the freelancer turns it on (here, or per client in clients.yaml): a draft
    nobody asked for is noise until they want it.
    """

    __pydantic_config__ = _STRICT

    enabled: bool = False
    # Business days (the client country's holidays skipped) without any message either
    # way before a check-in is suggested: 5 is a working week.
    after_business_days: int = 5
    # Work is in progress while the latest deliverable to the client is this recent and
    # no invoice followed it.
    active_within_days: int = 30
    template: str = "check-in"

    def __post_init__(self) -> None:
        for name in ("after_business_days", "active_within_days"):
            if getattr(self, name) < 1:
                raise FieldError(name, f"{name} must be at least 1")

    def after_days(self, client: Client) -> int | None:
        """Business days of silence before a check-in to ``client``; None: no check-ins."""
        if client.check_in is None:
            return self.after_business_days if self.enabled else None
        if isinstance(client.check_in, bool):  # before int: True is an int too
            return self.after_business_days if client.check_in else None
        return client.check_in


@dataclass(frozen=True, slots=True, kw_only=True)
class Chasing:
    """escalation.yaml's ``chasing``: what is not worth a reminder, and how often one client
    may get one. A client's own ``min_amount`` and ``min_gap_days`` win."""

    __pydantic_config__ = _STRICT

    # Per currency: an invoice owing less than this is not chased ({EUR: 20}).
    min_amount: Mapping[str, Decimal] = field(default_factory=dict)
    # Days between two reminders to the same client (0: no limit). A reminder due sooner
    # waits; it is never dropped.
    min_gap_days: int = 0
    # Days a client's "it is paid" may stay unconfirmed before it becomes a to-do: check
    # your bank, then `mark-paid` or `resume`.
    claims_unconfirmed_days: int = 10
    # Days at least between two stages of one invoice's ladder, counted from the day the
    # previous one was really sent: a first reminder sent late does not bring the second
    # the next morning.
    stage_gap_days: int = 3

    def __post_init__(self) -> None:
        if self.min_gap_days < 0:
            raise FieldError("min_gap_days", "min_gap_days cannot be negative")
        if self.stage_gap_days < 0:
            raise FieldError("stage_gap_days", "stage_gap_days cannot be negative")
        for currency, amount in self.min_amount.items():
            if not re.fullmatch(r"[A-Z]{3}", currency):
                raise FieldError(("min_amount", currency), "currencies are ISO 4217 codes like EUR or GBP")
            if amount < 0:
                raise FieldError(("min_amount", currency), "min_amount cannot be negative")


@dataclass(frozen=True, slots=True, kw_only=True)
class BeforeDueRule:
    """A friendly note a few days before an invoice is due. Off unless turned on."""

    __pydantic_config__ = _STRICT

    enabled: bool = False
    days: int = 3  # calendar days before the due date
    template: str = "invoice-before-due"

    def __post_init__(self) -> None:
        if self.days < 1:
            raise FieldError("days", "days must be at least 1")

    def days_for(self, client: Client) -> int | None:
        """Days before the due date for ``client``'s note; None: no note."""
        if client.before_due is None:
            return self.days if self.enabled else None
        if isinstance(client.before_due, bool):
            return self.days if client.before_due else None
        return client.before_due


@dataclass(frozen=True, slots=True, kw_only=True)
class ThankYouRule:
    """A "thank you, payment received" draft once an invoice is confirmed paid. Off by default."""

    __pydantic_config__ = _STRICT

    enabled: bool = False
    # Only invoices paid this recently: turning it on must not thank for last year's.
    within_days: int = 7
    template: str = "invoice-thank-you"

    def __post_init__(self) -> None:
        if self.within_days < 1:
            raise FieldError("within_days", "within_days must be at least 1")

    def wanted(self, client: Client) -> bool:
        return self.enabled if client.thank_you is None else client.thank_you


@dataclass(frozen=True, slots=True, kw_only=True)
class Escalation:
    """The ladders of escalation.yaml, and the check-in rule next to them."""

    __pydantic_config__ = _STRICT

    invoice: tuple[Stage, ...]
    # Follow-ups of an unanswered deliverable, relative to the day it was sent.
    deliverable: tuple[Stage, ...] = ()
    check_in: CheckInRule = CheckInRule()
    # Further invoice ladders, by name, for the clients whose `ladder:` names one.
    ladders: Mapping[str, tuple[Stage, ...]] = field(default_factory=dict)
    chasing: Chasing = Chasing()
    before_due: BeforeDueRule = BeforeDueRule()
    thank_you: ThankYouRule = ThankYouRule()

    def invoice_stages(self, client: Client) -> tuple[Stage, ...]:
        """The invoice ladder ``client`` is chased with."""
        return self.ladders.get(client.ladder, self.invoice) if client.ladder else self.invoice

    def __post_init__(self) -> None:
        for name in ("invoice", "deliverable"):
            self._check_ladder(name, getattr(self, name))
        for name, ladder in self.ladders.items():
            if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name):
                message = "ladder names are lower-case letters, digits, '_' and '-'"
                raise FieldError(("ladders", name), message)
            if not ladder:
                raise FieldError(("ladders", name), "a ladder needs at least one stage")
            self._check_ladder(("ladders", name), ladder)

    @staticmethod
    def _check_ladder(name: str | tuple, ladder: tuple[Stage, ...]) -> None:
        where = name if isinstance(name, tuple) else (name,)
        seen: set[str] = set()
        for i, stage in enumerate(ladder):
            if stage.name in seen:
                raise FieldError((*where, i, "name"), "stage names must be unique within a ladder")
            seen.add(stage.name)
            if i and stage.after_days < ladder[i - 1].after_days:
                raise FieldError(
                    (*where, i, "after_days"),
                    "stages must be listed in the order they happen (after_days ascending)",
                )


@dataclass(frozen=True, slots=True, kw_only=True)
class Recognition:
    """How an invoice email is told apart from other mail to a client."""

    __pydantic_config__ = _STRICT

    require_pdf: bool = True
    subject: tuple[re.Pattern[str], ...] = ()
    body: tuple[re.Pattern[str], ...] = ()
    attachment_name: tuple[re.Pattern[str], ...] = ()

    def __post_init__(self) -> None:
        _bound(self, "subject", "body", "attachment_name")


@dataclass(frozen=True, slots=True, kw_only=True)
class Extraction:
    """Patterns that pull an invoice's facts out of its subject, body, file name or PDF.

    Each pattern has one named group: ``number``, ``amount`` or ``date``.
    """

    __pydantic_config__ = _STRICT

    number: tuple[re.Pattern[str], ...] = ()
    amount: tuple[re.Pattern[str], ...] = ()
    issue_date: tuple[re.Pattern[str], ...] = ()
    due_date: tuple[re.Pattern[str], ...] = ()

    def __post_init__(self) -> None:
        _bound(self, "number", "amount", "issue_date", "due_date")
        _need_group("number", self.number, "number")
        _need_group("amount", self.amount, "amount")
        _need_group("issue_date", self.issue_date, "date")
        _need_group("due_date", self.due_date, "date")


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoiceLabels:
    """The words invoices print before their facts, as data (invoices.yaml ``labels:``).

    A label is plain text, matched whole and ignoring case and spacing; its value is read
    to its right on the same printed row, else below it in the same column. When labels
    overlap the longest wins: "Total IVA" (``not_a_fact``) hides the "Total" inside it.
    """

    __pydantic_config__ = _STRICT

    number: tuple[str, ...] = ()  # "Nº factura", "Invoice number", "Factuurnummer"
    # A document's title ("FACTURA"): a number only to its right, never below it.
    title: tuple[str, ...] = ()
    issue_date: tuple[str, ...] = ()  # "Fecha factura", "Invoice date", "Factuurdatum"
    due_date: tuple[str, ...] = ()  # "Vencimiento", "Due date", "Vervaldatum"
    # The amount the client pays, after withholding (IRPF) and payments: the best total.
    payable: tuple[str, ...] = ()  # "Total a pagar", "Amount due", "Te betalen"
    total: tuple[str, ...] = ()  # with tax: "Total factura", "Total incl. VAT", "Totaal incl. btw"
    # Other totals and labels whose values are never one of the above: "Subtotal",
    # "Base imponible", "IVA", "BTW", "IRPF", "Delivery date", "Fecha de pedido".
    not_a_fact: tuple[str, ...] = ()
    # Payment terms printed on the invoice: "a 30 días", "binnen 14 dagen", "net 30".
    # Each needs a named group (?P<days>...) or (?P<weeks>...): digits or a small word ("dos").
    terms: tuple[re.Pattern[str], ...] = ()

    def __post_init__(self) -> None:
        for i, pattern in enumerate(self.terms):
            if not {"days", "weeks"} & set(pattern.groupindex):
                raise FieldError(
                    ("terms", i), "this terms pattern needs a named group (?P<days>...) or (?P<weeks>...)"
                )
        for kind in ("number", "title", "issue_date", "due_date", "payable", "total", "not_a_fact"):
            for i, label in enumerate(getattr(self, kind)):
                if not label.strip():
                    raise FieldError((kind, i), "a label cannot be empty")


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoiceOverride:
    """A fix for one invoice that was misread, without editing the mail (``overrides:``).

    Found by its email's Message-ID or by the number as it was read; every other key given
    replaces what was read.
    """

    __pydantic_config__ = _STRICT

    message_id: str = ""
    read_number: str = ""  # the number as the assistant read it (status shows it)
    number: str = ""
    amount: Decimal | None = None
    currency: str = ""
    issue_date: date | None = None
    due_date: date | None = None

    def __post_init__(self) -> None:
        if bool(self.message_id) == bool(self.read_number):
            raise FieldError(
                "message_id", "an override names its invoice by message_id or by read_number (one of them)"
            )
        if not (self.number or self.amount is not None or self.currency or self.issue_date or self.due_date):
            raise FieldError(
                "number",
                "an override needs something to set: number, amount, currency, issue_date or due_date",
            )
        if self.amount is not None and self.amount <= 0:
            raise FieldError("amount", "an amount must be more than zero")
        if self.currency and not re.fullmatch(r"[A-Z]{3}", self.currency):
            raise FieldError("currency", f"currency {self.currency!r} is not an ISO 4217 code like EUR")

    def fits(self, message_id: str, number: str) -> bool:
        if self.message_id:
            return self.message_id.strip().strip("<>") == message_id.strip().strip("<>")
        return self.read_number.strip().upper() == number.upper()


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoiceRules:
    """invoices.yaml: recognition, extraction, and the mail-client tag that means paid."""

    __pydantic_config__ = _STRICT

    recognise: Recognition
    extract: Extraction
    paid_keyword: str = "$Paid"
    labels: InvoiceLabels = InvoiceLabels()
    overrides: tuple[InvoiceOverride, ...] = ()

    def __post_init__(self) -> None:
        # An IMAP keyword is an atom (RFC 3501), and it goes into SEARCH commands as one.
        if (
            not self.paid_keyword
            or self.paid_keyword.startswith("\\")
            or any(c in '(){%*"\\] ' or ord(c) < 32 or ord(c) > 126 for c in self.paid_keyword)
        ):
            raise FieldError(
                "paid_keyword",
                'paid_keyword is one IMAP keyword such as $Paid or paid: no spaces, none of ( ) { % * " \\ ] '
                "and not a system flag such as \\Seen",
            )

    def override_for(self, message_id: str, number: str) -> InvoiceOverride | None:
        return next((o for o in self.overrides if o.fits(message_id, number)), None)


def _bound(rule: object, *names: str) -> None:
    """Swap each pattern field's ``re`` patterns for bounded ones, refusing catastrophic ones."""
    for name in names:
        patterns = tuple(bounded(p) for p in getattr(rule, name))
        for i, pattern in enumerate(patterns):
            if slow := slow_input(pattern):
                raise FieldError(
                    (name, i),
                    f"this pattern backtracks for too long (catastrophic backtracking) on text like {slow}; "
                    "rewrite it without nested repetition such as (x+)+ or (a|a)*",
                )
        object.__setattr__(rule, name, patterns)


def _need_group(kind: str, patterns: tuple[re.Pattern[str], ...], group: str) -> None:
    for i, pattern in enumerate(patterns):
        if group not in pattern.groupindex:
            raise FieldError((kind, i), f"this {kind} pattern needs a named group (?P<{group}>...)")


@dataclass(frozen=True, slots=True, kw_only=True)
class Signals:
    """signals.yaml: wording in a client's message that changes what the assistant does.

    Patterns are searched in the new text of a client's message (quoted replies and
    signatures left out), in any of the three languages.
    """

    __pydantic_config__ = _STRICT

    paid: tuple[re.Pattern[str], ...] = ()  # "ya hemos pagado", "we've paid", "is betaald"
    dispute: tuple[re.Pattern[str], ...] = ()  # "no estamos de acuerdo", "incorrect invoice"
    promise: tuple[re.Pattern[str], ...] = ()  # "pagaremos el viernes": needs (?P<when>...)
    approval: tuple[re.Pattern[str], ...] = ()  # "aprobado", "looks great", "akkoord"
    scope_change: tuple[re.Pattern[str], ...] = ()  # "otro cambio", "one more change"
    resend: tuple[re.Pattern[str], ...] = ()  # "¿me la reenvías?", "send it again"
    acknowledgement: tuple[re.Pattern[str], ...] = ()  # "recibido", "I've passed it to accounts"
    out_of_office: tuple[re.Pattern[str], ...] = ()  # "estoy fuera de la oficina hasta…"

    def __post_init__(self) -> None:
        _bound(self, "paid", "dispute", "promise", "approval", "scope_change")
        _need_group("promise", self.promise, "when")


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentNotifier:
    """A sender whose mail announces money received (a bank, PayPal, Stripe...)."""

    __pydantic_config__ = _STRICT

    name: str
    senders: tuple[str, ...]  # addresses, or domains (subdomains included)
    subject: tuple[re.Pattern[str], ...] = ()  # empty: any subject from these senders
    number: tuple[re.Pattern[str], ...] = ()  # needs (?P<number>...)
    amount: tuple[re.Pattern[str], ...] = ()  # needs (?P<amount>...)

    def __post_init__(self) -> None:
        if not self.senders:
            raise FieldError("senders", "a payment notifier needs at least one sender address or domain")
        for i, sender in enumerate(self.senders):
            problem = check_bare_address(sender) if "@" in sender.lstrip("@") else _domain_problem(sender)
            if problem:
                raise FieldError(("senders", i), problem)
        _bound(self, "subject", "number", "amount")
        _need_group("number", self.number, "number")
        _need_group("amount", self.amount, "amount")

    def sent(self, address: Address) -> bool:
        for sender in self.senders:
            sender = sender.lower().lstrip("@")
            if "@" in sender:
                if address.email == sender:
                    return True
            elif address.domain == sender or address.domain.endswith("." + sender):
                return True
        return False


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentRules:
    """payments.yaml: payment notifications that settle invoices by number or amount."""

    __pydantic_config__ = _STRICT

    notifications: tuple[PaymentNotifier, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliverableRules:
    """deliverables.yaml: how work sent to a client is told apart from other mail."""

    __pydantic_config__ = _STRICT

    # Words that say "here is the work": searched in the subject and the freelancer's own
    # words. A link needs them (not every link is work); a file attached does not.
    words: tuple[re.Pattern[str], ...] = ()
    # Links that are work whatever the words (file shares, design tools, repositories).
    # Any other link in the freelancer's own words counts when the words say so, her own
    # share server included.
    links: tuple[re.Pattern[str], ...] = ()
    # Links that are never work: meetings, calendars, unsubscribe pages.
    ignore_links: tuple[re.Pattern[str], ...] = ()
    # Attached files that are never work: signatures, calendar invitations, contact cards.
    ignore_attachments: tuple[re.Pattern[str], ...] = ()
    # Attachments smaller than this are not work (0: any size; inline pictures never are).
    min_attachment_bytes: int = 0
    # Without an attachment or a link, words alone do not make a deliverable.
    require_material: bool = True
    # Seed 002: invoice 24 hours after the final version. An approved deliverable with no
    # invoice to that client after this long becomes a to-do.
    invoice_within_hours: int = 24

    def __post_init__(self) -> None:
        _bound(self, "words", "links")


Reason = Literal["non-payment", "no-feedback", "scope-changes", "outgrown", "no-capacity", "rate", "other"]
REASONS: tuple[str, ...] = (
    "non-payment",
    "no-feedback",
    "scope-changes",
    "outgrown",
    "no-capacity",
    "rate",
    "other",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class UnpaidAfterFinalNotice:
    """An invoice still unpaid this many days after its final notice was sent."""

    __pydantic_config__ = _STRICT

    days: int = 30


@dataclass(frozen=True, slots=True, kw_only=True)
class CountWithin:
    """At least ``count`` events within the last ``days`` days."""

    __pydantic_config__ = _STRICT

    count: int
    days: int

    def __post_init__(self) -> None:
        for name in ("count", "days"):
            if getattr(self, name) < 1:
                raise FieldError(name, "count and days must be at least 1")


@dataclass(frozen=True, slots=True, kw_only=True)
class LatePayments:
    """At least ``count`` late payments among the invoices due in the last ``days`` days.

    Late is paid more than ``grace_days`` after the due date (a transfer takes a day or
    two to arrive), or still unpaid after its final notice was sent: an invoice merely
    overdue is being chased, not yet paid late.
    """

    __pydantic_config__ = _STRICT

    count: int
    days: int
    grace_days: int = 3

    def __post_init__(self) -> None:
        for name in ("count", "days"):
            if getattr(self, name) < 1:
                raise FieldError(name, "count and days must be at least 1")
        if self.grace_days < 0:
            raise FieldError("grace_days", "grace_days cannot be negative")


@dataclass(frozen=True, slots=True, kw_only=True)
class Triggers:
    """When a relationship should end (seeds 000, 001, 003, 004). ``null`` disables one."""

    __pydantic_config__ = _STRICT

    unpaid_after_final_notice: UnpaidAfterFinalNotice | None = UnpaidAfterFinalNotice()
    # Deliverables unanswered for ``days`` days, at least ``count`` of them at once.
    unanswered_deliverables: CountWithin | None = CountWithin(count=2, days=21)
    late_payments: LatePayments | None = LatePayments(count=3, days=365)
    scope_changes: CountWithin | None = CountWithin(count=3, days=90)


@dataclass(frozen=True, slots=True, kw_only=True)
class TerminationRules:
    """termination.yaml: triggers and what a termination email must carry."""

    __pydantic_config__ = _STRICT

    triggers: Triggers = Triggers()
    notice_days: int = 14  # seed 001: two weeks, or a natural stopping point
    final_invoice_terms_days: int = 15  # seed 004: a final invoice on net 15 or 30
    # Seed 003: if you fear the client will not pay, wait until they have paid before
    # telling them. True: no termination draft while money is owed.
    hold_until_paid: bool = False
    review_after_hours: int = 24  # seed 004: wait 24 hours before sending it
    referrals: tuple[str, ...] = ()  # seed 001: other freelancers to recommend
    template: str = "termination"
    rate_increase_template: str = "rate-increase"

    def __post_init__(self) -> None:
        for name in ("notice_days", "final_invoice_terms_days", "review_after_hours"):
            if getattr(self, name) < 0:
                raise FieldError(name, f"{name} cannot be negative")


@dataclass(frozen=True, slots=True)
class TemplateSource:
    """A template file's text and where it came from (for error messages)."""

    path: str
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Rules:
    """Everything the freelancer decided in the rules directory, validated."""

    clients: Mapping[str, Client]
    invoices: InvoiceRules
    escalation: Escalation
    templates: Mapping[tuple[str, str], TemplateSource]  # (language, name) -> source
    signals: Signals = Signals()
    payments: PaymentRules = PaymentRules()
    deliverables: DeliverableRules = DeliverableRules()
    termination: TerminationRules = TerminationRules()
    rates: ReferenceRates | None = None  # rates.yaml: late-payment interest
    _by_email: Mapping[str, Client] = field(default_factory=dict, init=False, repr=False, compare=False)
    _by_domain: Mapping[str, Client] = field(default_factory=dict, init=False, repr=False, compare=False)

    def notice_days(self, client: Client) -> int:
        return client.notice_days if client.notice_days is not None else self.termination.notice_days

    def __post_init__(self) -> None:
        # Every message of a scan asks "is this a client?": answer from two dicts, not by
        # parsing each client's contact address again (the benchmark's top cost, 40 %).
        by_email: dict[str, Client] = {}
        by_domain: dict[str, Client] = {}
        for client in self.clients.values():
            billing = (a.email for a in client.billing_addresses)
            for email in (client.contact_address.email, *(a.lower() for a in client.addresses), *billing):
                by_email.setdefault(email, client)
            for domain in client.domains:
                by_domain.setdefault(domain.lower().lstrip("@."), client)
        object.__setattr__(self, "_by_email", by_email)
        object.__setattr__(self, "_by_domain", by_domain)

    def client_for(self, address: Address) -> Client | None:
        return self.client_for_email(address.email)

    def client_for_email(self, email: str) -> Client | None:
        """The client an address belongs to: the address itself, or its domain or a parent domain."""
        client = self._by_email.get(email)
        if client is not None or not self._by_domain:
            return client
        domain = email.rpartition("@")[2]
        while domain:
            client = self._by_domain.get(domain)
            if client is not None:
                return client
            domain = domain.partition(".")[2]
        return None

    def template(self, language: str, name: str) -> TemplateSource:
        return self.templates[(language, name)]


# --------------------------------------------------------------------------- ledger


class InvoiceStatus(StrEnum):
    OPEN = "open"  # chased by the ladder
    PROMISED = "promised"  # the client promised to pay by a date: wait until then (+ a grace day)
    DISPUTED = "disputed"  # the client disputes it: a person must talk to them, not a template
    PAUSED = "paused"  # the freelancer paused it (`pause`), until a date or until `resume`
    # The client says it is paid; nothing confirms it yet (a payment notification, a bank
    # statement, the Paid tag or `mark-paid`). Not chased, never taken for paid: after
    # ``chasing.claims_unconfirmed_days`` it becomes a to-do (check the bank).
    CLAIMED = "claimed"
    PAID = "paid"


class DeliverableStatus(StrEnum):
    OPEN = "open"  # sent, no human answer yet: followed up by the ladder
    ANSWERED = "answered"  # a person replied
    APPROVED = "approved"  # the reply approved it: time to invoice (seed 002)
    INVOICED = "invoiced"  # an invoice to that client followed the approval


@dataclass(frozen=True, slots=True, kw_only=True)
class Money:
    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Evidence:
    """Why the ledger changed: the message (or command) that said so, for ``explain``."""

    source: str  # "mail", "tag", "cli", "calendar"
    message_id: str = ""
    sender: str = ""
    subject: str = ""
    date: datetime | None = None
    quote: str = ""  # the words that triggered it, trimmed

    @classmethod
    def of(cls, header: MailHeader, quote: str = "") -> Evidence:
        return cls(
            source="mail",
            message_id=header.message_id,
            sender=header.sender.email if header.sender else "",
            subject=header.subject,
            date=header.date,
            quote=" ".join(quote.split())[:200],
        )


class Source(StrEnum):
    """Where a fact of an invoice was read (``Invoice.read_from``); shown by status and explain."""

    EINVOICE = "e-invoice XML"
    PDF_LABEL = "PDF label"
    PDF_TEXT = "PDF text"
    SUBJECT = "subject"
    FILE_NAME = "file name"
    BODY = "body"
    TERMS = "terms on the invoice"
    OVERRIDE = "override"
    # Guesses: nothing on the invoice said it.
    CLIENT_TERMS = "client's terms"
    SENT_DATE = "date sent"
    MAIL_ID = "made from the email"
    NOWHERE = "not found"


GUESSED_SOURCES = frozenset({Source.CLIENT_TERMS, Source.SENT_DATE, Source.MAIL_ID, Source.NOWHERE})


@dataclass(frozen=True, slots=True, kw_only=True)
class Invoice:
    """An invoice the freelancer sent, as the ledger knows it."""

    client: str
    number: str
    amount: Money | None
    issue_date: date
    due_date: date
    message_id: str  # of the email that carried the invoice
    subject: str
    references: tuple[str, ...] = ()  # of that email, to thread replies under it
    sent_at: datetime
    attachment_name: str = ""
    attachment_sha256: str = ""
    status: InvoiceStatus = InvoiceStatus.OPEN
    paid_amount: Decimal = Decimal(0)  # received so far (partial payments)
    paid_on: date | None = None
    paid_via: str = ""  # "keyword", "cli", "client", "notification"
    hold_until: date | None = None  # PROMISED / PAUSED: chase again after this day
    hold_note: str = ""  # the dispute's words, the promise, the freelancer's reason
    # Where each fact was read: (("number", "PDF label"), ("due_date", "client's terms"), ...).
    read_from: tuple[tuple[str, str], ...] = ()

    @property
    def key(self) -> str:
        return f"{self.client}/{self.number}"

    def source_of(self, fact: str) -> str:
        """Where ``fact`` ("number", "amount", "issue_date", "due_date") was read; "" if unknown."""
        return dict(self.read_from).get(fact, "")

    @property
    def guessed(self) -> tuple[str, ...]:
        """The facts that were not read from the invoice but assumed."""
        return tuple(fact for fact, source in self.read_from if source in GUESSED_SOURCES)

    @property
    def outstanding(self) -> Money | None:
        """What is still owed: the amount minus partial payments."""
        if self.amount is None:
            return None
        return Money(
            amount=max(Decimal(0), self.amount.amount - self.paid_amount), currency=self.amount.currency
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Deliverable:
    """A piece of work the freelancer sent a client, waiting for an answer."""

    client: str
    message_id: str
    subject: str
    references: tuple[str, ...] = ()
    sent_at: datetime
    status: DeliverableStatus = DeliverableStatus.OPEN
    answered_at: datetime | None = None
    approved_at: datetime | None = None
    invoice_number: str = ""  # the invoice that followed its approval

    @property
    def key(self) -> str:
        return f"{self.client}/{deliverable_id(self.message_id)}"


def deliverable_id(message_id: str) -> str:
    """A short, stable id for a deliverable (its email has no number of its own)."""
    return "d" + hashlib.sha256(message_id.encode()).hexdigest()[:7]


# --------------------------------------------------------------------------- facts


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoiceSeen:
    """Classification found an invoice email in Sent."""

    invoice: Invoice
    attachment: Attachment | None


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliverableSeen:
    """Classification found a deliverable in Sent."""

    deliverable: Deliverable


class Signal(StrEnum):
    """What a client's message says, as far as the ledger is concerned."""

    PAID = "paid"
    DISPUTE = "dispute"
    PROMISE = "promise"
    APPROVAL = "approval"
    SCOPE_CHANGE = "scope-change"
    # What a reply says that changes nothing in the ledger but is worth showing.
    QUESTION = "question"
    RESEND = "resend"  # the client asks for the invoice again
    ACKNOWLEDGED = "acknowledgement"  # received, passed on, being looked at
    OUT_OF_OFFICE = "out-of-office"  # an absence notice written as a reply


@dataclass(frozen=True, slots=True, kw_only=True)
class SignalSeen:
    """A signal found in the new (unquoted) text of a message."""

    signal: Signal
    quote: str  # the sentence that carries it
    until: date | None = None  # PROMISE: the promised day
    amount: Money | None = None  # PAID: the amount the message names, if any


# --------------------------------------------------------------------------- drafts


@dataclass(frozen=True, slots=True, kw_only=True)
class Reminder:
    """A ladder stage that is due for an invoice and has no draft yet."""

    key: str  # the action key, unique forever: invoice/<client>/<number>/<stage>
    invoice: Invoice
    stage: Stage
    due_on: date
    # Earlier stages that came due while nothing ran: folded into this one draft.
    skipped: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Statement:
    """Several reminders to one client due the same day, as one letter: a statement of account.

    Each reminder keeps its own key: the one draft stands for all of them, and each
    invoice's ladder advances when that draft is sent.
    """

    key: str  # statement/<client>/<day>
    client: str
    reminders: tuple[Reminder, ...]  # the oldest invoice first: the letter threads under it
    due_on: date
    first_stage: str  # the ladder's first stage: all at it, the letter uses the gentle wording
    final_stage: str  # the ladder's last stage: its invoices carry the statutory interest

    @property
    def oldest(self) -> Reminder:
        return self.reminders[0]

    @property
    def firmest(self) -> Reminder:
        """The reminder furthest up its ladder: the letter's tone follows it."""
        return max(self.reminders, key=lambda r: r.stage.after_days)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(r.key for r in self.reminders)


@dataclass(frozen=True, slots=True, kw_only=True)
class FollowUp:
    """A ladder stage that is due for an unanswered deliverable."""

    key: str  # deliverable/<client>/<id>/<stage>
    deliverable: Deliverable
    stage: Stage
    due_on: date
    skipped: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Contact:
    """The last message exchanged with a client, either way; automatic replies never count."""

    client: str
    at: datetime
    direction: Literal["to", "from"]  # to the client (Sent) or from them (INBOX)
    message_id: str = ""
    subject: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckIn:
    """Seed 002: work in progress and no contact for a while; a short check-in is due."""

    key: str  # check-in/<client>/<day of the last contact>: one per silence, ever
    client: str
    work: Deliverable  # the latest deliverable: what the work is, and the thread to write in
    last_contact: datetime
    due_on: date


@dataclass(frozen=True, slots=True, kw_only=True)
class Termination:
    """A relationship to end: what the termination email must say (seeds 000-004)."""

    key: str  # termination/<client>/suggested-<year> or termination/<client>/<reason>
    client: str
    reason: str  # one of REASONS
    evidence: tuple[str, ...]  # why it was suggested, for the freelancer (never in the email)
    evidence_said: tuple[Said, ...] = ()  # ...the same, as words any view can say in her language
    invoices: tuple[Invoice, ...]  # still owed: listed and attached
    deliverables: tuple[Deliverable, ...]  # sent, waiting for the client's feedback
    notice_days: int
    final_day: date  # the last working day, a business day of the client's country
    suggested: bool  # by a trigger, rather than asked for on the command line
    # The final notice sent to the client paused the work: the email must not promise to
    # "keep working as usual" during the notice.
    work_paused: bool = False
    # The freelancer talked to the client first (seed 003: talk, then put it in writing):
    # the email opens as the written confirmation of that conversation.
    discussed_on: date | None = None

    @property
    def money_owed(self) -> bool:
        return any(i.outstanding is None or i.outstanding.amount > 0 for i in self.invoices)


@dataclass(frozen=True, slots=True, kw_only=True)
class RateIncrease:
    """Seed 002: propose a new rate by email and suggest a call."""

    key: str
    client: str
    rate: str  # as the freelancer writes it: "55 €/hora", "£450 a day"
    starting: date | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Draft:
    """A composed message ready to be appended to Drafts."""

    key: str
    kind: str  # a keys.DraftKind: reminder, follow-up, check-in, termination, rate-increase, digest
    message_id: str
    to: Address
    subject: str
    data: bytes = field(repr=False)
    # The tracked message this draft answers (the invoice or deliverable email).
    in_reply_to: str = ""
    cc: tuple[Address, ...] = ()  # the client's accounts payable (`billing:`), on reminders
