"""Configuration and rules: YAML files in, frozen typed objects out, every error located.

The loader reads ``config.yaml`` and the rules directory (clients.yaml, invoices.yaml,
escalation.yaml and templates/{es,en,nl}/*.txt.j2) and either returns a ``Config`` or
raises one ``ConfigError`` listing *every* problem of the files, each as
``file:line:column: key.path: message``.

Why the YAML handling is our own:

* PyYAML follows YAML 1.1, where ``no`` is False (Norway's country code!), ``8:30`` is
  510 and ``0612`` is an octal number. Our loader keeps only ``true``/``false``, decimal
  numbers and ISO dates as implicit types; everything else stays the string it looks like.
* PyYAML lets a duplicate key silently win. We compose the node tree (which keeps each
  node's line and column), reject duplicates, and remember where every key and value
  is, so a validation error from pydantic (its ``loc`` tuple) can point at the line.
"""

from __future__ import annotations

import dataclasses
import difflib
import io
import ipaddress
import os
import re
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TextIO

import pydantic
import yaml
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError as NumberInvalid

from .domain import calendar, compose
from .domain.interest import ReferenceRates
from .domain.model import (
    LANGUAGES,
    Client,
    Defaults,
    DeliverableRules,
    Escalation,
    FieldError,
    Identity,
    InvoiceLabels,
    InvoiceRules,
    Language,
    PaymentDetails,
    PaymentRules,
    Rules,
    Signals,
    TemplateSource,
    TerminationRules,
    control_characters,
)
from .errors import ConfigError, Problem

_STRICT = {"extra": "forbid"}

# --------------------------------------------------------------------------- settings


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _one_line(section: object, *names: str) -> None:
    """Host and user names go into protocol commands: a line break there would be a second command."""
    for name in names:
        value = getattr(section, name)
        if value and control_characters(value):
            raise FieldError(name, f"{name} cannot contain a line break or control character")
        if name == "host" and value != value.strip():
            raise FieldError(name, f"{name} cannot start or end with spaces")


@dataclass(frozen=True, slots=True, kw_only=True)
class FolderNames:
    """Folder names when SPECIAL-USE and the usual names do not find them."""

    __pydantic_config__ = _STRICT

    inbox: str = "INBOX"
    sent: str = ""  # empty: found by SPECIAL-USE \\Sent, then by usual names
    drafts: str = ""
    # Where you file mail: a Paid tag on a copy of an invoice email there counts as in Sent.
    # Left out: every folder but INBOX, Sent, Drafts, Trash and Junk (and the folders under
    # those two); [] reads none. Names as the server lists them; `*` stands for anything, `/` for
    # the server's separator ("Archive/*" finds Dovecot's "Archive.2025").
    filed: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        seen: dict[str, int] = {}
        for i, name in enumerate(self.filed or ()):
            if not name.strip():
                raise FieldError(("filed", i), "a folder name cannot be empty")
            if control_characters(name) or name != name.strip():
                raise FieldError(
                    ("filed", i), "a folder name cannot contain a line break or start or end with spaces"
                )
            if name.lower() in seen:
                raise FieldError(
                    ("filed", i), f"{name!r} is listed twice (as entry {seen[name.lower()] + 1})"
                )
            seen[name.lower()] = i


@dataclass(frozen=True, slots=True, kw_only=True)
class ImapAccount:
    """How to reach an IMAP mailbox.

    ``auth: password`` (the default) takes exactly one password source. ``auth: xoauth2``
    (Gmail, Microsoft 365: plain passwords are no longer accepted there) takes a
    ``token_command`` printing a current OAuth 2 access token, e.g. an oauth2 helper.
    """

    __pydantic_config__ = _STRICT

    host: str
    username: str
    port: int = 0  # 0: 993 for tls, 143 for starttls and plain
    security: Literal["tls", "starttls", "plain"] = "tls"
    auth: Literal["password", "xoauth2"] = "password"
    password: str = field(default="", repr=False)
    password_command: tuple[str, ...] = ()
    password_env: str = ""
    password_credential: str = ""  # name of a systemd credential ($CREDENTIALS_DIRECTORY)
    token_command: tuple[str, ...] = ()  # argv printing an OAuth 2 access token (xoauth2)
    ca_file: str = ""  # trust this CA (a self-hosted server) in addition to nothing else
    timeout: float = 30.0
    folders: FolderNames = FolderNames()

    def __post_init__(self) -> None:
        _one_line(self, "host", "username")
        ways = sum(
            bool(w)
            for w in (self.password, self.password_command, self.password_env, self.password_credential)
        )
        if self.auth == "xoauth2":
            if not self.token_command:
                raise FieldError("auth", "auth: xoauth2 needs a token_command that prints an access token")
            if ways:
                raise FieldError("auth", "auth: xoauth2 uses token_command, not a password")
        elif ways != 1:
            raise ValueError(
                "set exactly one of password, password_command, password_env, password_credential"
            )
        if self.timeout <= 0:
            raise FieldError("timeout", "timeout must be positive: a blocking call without one can hang")
        if self.security == "plain" and not _is_loopback(self.host):
            raise FieldError(
                "security",
                "security: plain sends the password unencrypted and is only allowed to "
                "a loopback address (127.0.0.1, ::1, localhost)",
            )

    @property
    def effective_port(self) -> int:
        return self.port or (993 if self.security == "tls" else 143)


@dataclass(frozen=True, slots=True, kw_only=True)
class SmtpAccount:
    """Where stages with ``action: send`` go out. Without a password source of its own,
    the IMAP account's is used (most providers share one login)."""

    __pydantic_config__ = _STRICT

    host: str
    port: int = 0  # 0: 465 for tls, 587 for starttls, 25 for plain
    security: Literal["tls", "starttls", "plain"] = "starttls"
    # Left out: the IMAP account's user name. "" (empty): the server needs no login.
    username: str | None = None
    password: str = field(default="", repr=False)
    password_command: tuple[str, ...] = ()
    password_env: str = ""
    password_credential: str = ""
    ca_file: str = ""
    timeout: float = 30.0
    # Keep a copy in Sent. Gmail files sent mail itself (a copy would show twice).
    copy_to_sent: bool | None = None

    def __post_init__(self) -> None:
        ways = sum(
            bool(w)
            for w in (self.password, self.password_command, self.password_env, self.password_credential)
        )
        _one_line(self, "host", "username")
        if ways > 1:
            raise ValueError(
                "set at most one of password, password_command, password_env, password_credential"
            )
        if self.timeout <= 0:
            raise FieldError("timeout", "timeout must be positive")
        if self.security == "plain" and not _is_loopback(self.host):
            raise FieldError(
                "security",
                "security: plain is only allowed to a loopback address (127.0.0.1, ::1, localhost)",
            )

    @property
    def effective_port(self) -> int:
        return self.port or {"tls": 465, "starttls": 587, "plain": 25}[self.security]

    @property
    def has_own_password(self) -> bool:
        return bool(self.password or self.password_command or self.password_env or self.password_credential)

    @property
    def keeps_copy(self) -> bool:
        if self.copy_to_sent is not None:
            return self.copy_to_sent
        host = self.host.lower()
        return not (host.endswith("gmail.com") or host.endswith("googlemail.com"))


@dataclass(frozen=True, slots=True, kw_only=True)
class MaildirAccount:
    """A local Maildir++ tree (mbsync, offlineimap, the demo)."""

    __pydantic_config__ = _STRICT

    path: str
    folders: FolderNames = FolderNames()


@dataclass(frozen=True, slots=True, kw_only=True)
class Statements:
    """Where the freelancer (or a bank sync job) drops bank statement files for this account."""

    __pydantic_config__ = _STRICT

    # CAMT.053/052/054, MT940, OFX and Norma 43 files found here are imported by each pass
    # and by `import-statement`; they are read, never moved or changed.
    folder: str


@dataclass(frozen=True, slots=True, kw_only=True)
class BankSync:
    """Optional: the account's transactions fetched from an open-banking aggregator (issue 15).

    Only the GoCardless Bank Account Data API (PSD2, EU and UK banks) is known. You link
    your bank once on their side (a *requisition*, whose consent lasts up to 90 days, or
    180 where the bank allows it) and give its id here; the secret key comes from one
    source, like the IMAP password.
    """

    __pydantic_config__ = _STRICT

    provider: Literal["gocardless"] = "gocardless"
    url: str = "https://bankaccountdata.gocardless.com"
    secret_id: str
    secret_key_command: tuple[str, ...] = ()
    secret_key_env: str = ""
    secret_key_credential: str = ""  # a systemd credential ($CREDENTIALS_DIRECTORY)
    requisition: str
    days: int = 90  # how far back each fetch reads
    # The aggregator allows a few transaction fetches a day per account: at most this often.
    every_hours: int = 6
    timeout: float = 30.0

    def __post_init__(self) -> None:
        ways = sum(
            bool(w) for w in (self.secret_key_command, self.secret_key_env, self.secret_key_credential)
        )
        if ways != 1:
            raise ValueError("set exactly one of secret_key_command, secret_key_env, secret_key_credential")
        host = self.url.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0].strip("[]")
        if not self.url.startswith("https://") and not (
            self.url.startswith("http://") and _is_loopback(host)
        ):
            raise FieldError(
                "url", "the aggregator is reached over https (plain http only to a loopback address)"
            )
        if self.days < 1 or self.every_hours < 1 or self.timeout <= 0:
            raise FieldError("days", "days, every_hours and timeout must be positive")


@dataclass(frozen=True, slots=True, kw_only=True)
class Account:
    """One mailbox the assistant watches, with its own state database."""

    __pydantic_config__ = _STRICT

    name: str = "main"
    imap: ImapAccount | None = None
    maildir: MaildirAccount | None = None
    smtp: SmtpAccount | None = None  # only for stages with `action: send`
    # A first scan reads this far back; older mail is history, not work.
    lookback_days: int = 540
    # The first scan drafts nothing for invoices already overdue by more than this many
    # days: they are listed as "still owed? confirm" until `confirm-owed` settles them.
    first_run_hold_days: int = 30
    statements: Statements | None = None
    bank_sync: BankSync | None = None  # off unless configured

    def __post_init__(self) -> None:
        if (self.imap is None) == (self.maildir is None):
            raise ValueError("an account has exactly one of imap: or maildir:")
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", self.name):
            raise FieldError("name", "account names are letters, digits, '.', '_' and '-'")
        if self.lookback_days < 0:
            raise FieldError("lookback_days", "lookback_days cannot be negative (0 means all mail)")
        if self.first_run_hold_days < 0:
            raise FieldError("first_run_hold_days", "first_run_hold_days cannot be negative")


_TIME = r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]$"


@dataclass(frozen=True, slots=True, kw_only=True)
class Schedule:
    """When the service (``run``) does what, in the freelancer's time zone."""

    __pydantic_config__ = _STRICT

    # Drafts are written at the start of the working day, on working days: the freelancer
    # finds them when they sit down, not at 3 a.m. Mail is read all day (IDLE).
    workday_start: str = "09:00"
    workdays: tuple[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], ...] = (
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
    )
    # A pass also runs this often whatever IDLE says (servers without IDLE, lost pushes).
    poll_minutes: int = 15
    # The daily digest: a time ("08:30"), or "" for none; delivered into your INBOX by
    # IMAP APPEND, or sent to yourself by SMTP (the account's smtp: section).
    digest: str = "08:30"
    digest_delivery: Literal["imap", "smtp"] = "imap"

    def __post_init__(self) -> None:
        for name in ("workday_start", "digest"):
            value = getattr(self, name)
            if value and not re.match(_TIME, value):
                raise FieldError(name, f"{name} must be a time as HH:MM, got {value!r}")
        if not self.workday_start:
            raise FieldError("workday_start", "workday_start must be a time as HH:MM")
        if self.poll_minutes < 1:
            raise FieldError("poll_minutes", "poll_minutes must be at least 1")


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """config.yaml as validated."""

    __pydantic_config__ = _STRICT

    identity: Identity
    accounts: tuple[Account, ...]
    defaults: Defaults = Defaults()
    state_dir: str = ""  # empty: $STATE_DIRECTORY, else $XDG_STATE_HOME/freelance-assistant
    rules_dir: str = ""  # empty: the rules shipped with the program
    schedule: Schedule = Schedule()

    def __post_init__(self) -> None:
        if not self.accounts:
            raise FieldError("accounts", "at least one account is needed")
        names = [a.name for a in self.accounts]
        if len(set(names)) != len(names):
            raise FieldError("accounts", "account names must be unique (each has its own state)")


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    """Everything a pass needs to know, validated."""

    path: Path
    settings: Settings
    rules: Rules
    rules_dir: Path
    state_dir: Path

    @property
    def identity(self) -> Identity:
        return self.settings.identity

    def account(self, name: str | None) -> Account:
        if name is None:
            return self.settings.accounts[0]
        for account in self.settings.accounts:
            if account.name == name:
                return account
        known = ", ".join(a.name for a in self.settings.accounts)
        raise ConfigError(f"{self.path}: no account named {name!r} (accounts: {known})")


# --------------------------------------------------------------------------- YAML


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2-like implicit types (see the module docstring)."""

    yaml_implicit_resolvers: dict = {}  # noqa: RUF012 (PyYAML's own class attribute)


def _resolver(tag: str, pattern: str, first: str) -> None:
    _Loader.add_implicit_resolver(tag, re.compile(pattern, re.X), list(first))


_resolver("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF")
_resolver("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", "~nN")
_Loader.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^$"), [""])
_resolver("tag:yaml.org,2002:int", r"^[-+]?(?:0|[1-9][0-9_]*)$", "-+0123456789")
_resolver(
    "tag:yaml.org,2002:float",
    r"^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]+(?:[eE][-+]?[0-9]+)?$",
    "-+0123456789.",
)
_resolver("tag:yaml.org,2002:timestamp", r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "0123456789")
_resolver("tag:yaml.org,2002:merge", r"^(?:<<)$", "<")


@dataclass(slots=True)
class _Located:
    """A YAML document as plain Python, plus where each key path sits in the file."""

    data: Any
    # key path -> (line, column), both 1-based. Keys point at the key, "values" at the value.
    keys: dict[tuple, tuple[int, int]]
    values: dict[tuple, tuple[int, int]]
    # Problems found while reading (duplicate keys...): reported with the validation ones.
    problems: list[Problem] = field(default_factory=list)


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _load_yaml(stream: TextIO | str, filename: str) -> _Located:
    text = stream if isinstance(stream, str) else stream.read()
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        message = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        raise ConfigError(Problem(filename, line, column, "", f"YAML: {message}")) from exc
    except yaml.YAMLError as exc:
        raise ConfigError(Problem(filename, 0, 0, "", f"YAML: {exc}")) from exc

    located = _Located(None, {}, {})
    if node is None:
        located.data = {}
        return located
    located.data = _walk(node, (), located, located.problems, filename, loader, depth=0)
    return located


def _walk(node, path, located, problems, filename, loader, depth):
    if depth > 50:  # a recursive alias would otherwise loop forever
        problems.append(Problem(filename, *_mark(node), _dotted(path), "nesting too deep"))
        return None
    located.values[path] = _mark(node)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        first_seen: dict[Any, tuple[int, int]] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                problems.append(
                    Problem(filename, *_mark(key_node), _dotted(path), "'<<' merge keys are not supported")
                )
                continue
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int):
                problems.append(
                    Problem(filename, *_mark(key_node), _dotted(path), "keys must be plain names")
                )
                continue
            if key in first_seen:
                line, _ = first_seen[key]
                problems.append(
                    Problem(
                        filename,
                        *_mark(key_node),
                        _dotted((*path, key)),
                        f"duplicate key (first defined on line {line})",
                    )
                )
                continue
            first_seen[key] = _mark(key_node)
            located.keys[(*path, key)] = _mark(key_node)
            result[key] = _walk(value_node, (*path, key), located, problems, filename, loader, depth + 1)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _walk(item, (*path, i), located, problems, filename, loader, depth + 1)
            for i, item in enumerate(node.value)
        ]
    return loader.construct_object(node, deep=True)


def _dotted(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# --------------------------------------------------------------------------- validation


def _validate(kind: type, data: Any, located: _Located, filename: str, prefix: tuple = ()):
    """Validate ``data`` as ``kind``; map every pydantic error to file:line:column.

    Problems met while reading the file (duplicate keys) are reported together with the
    validation errors, in file order, so one run of ``check`` shows everything.
    """
    problems = list(located.problems)
    result = None
    try:
        result = pydantic.TypeAdapter(kind).validate_python(data)
    except pydantic.ValidationError as exc:
        problems.extend(
            _problem(err, kind, located, filename, prefix) for err in _one_per_value(exc.errors(), located)
        )
    if problems:
        raise ConfigError(sorted(problems, key=lambda p: (p.line, p.column)))
    return result


def _one_per_value(errors: list, located: _Located) -> list:
    """pydantic's errors, with one error per value that fits none of a union's types.

    For ``check_in: often`` (``bool | int``) pydantic reports each type that refused it,
    the type's name appended to the ``loc`` (``check_in.bool``, ``check_in.int``). A
    plain value has no keys below it, so such a last part is a type's name: it is dropped
    and the refusals become one message ("a valid boolean or a valid integer").
    """
    out = []
    refused: dict[tuple, list] = {}
    for err in errors:
        loc = tuple(err["loc"])
        if len(loc) > 1 and isinstance(loc[-1], str) and _plain_value_at(located.data, loc[:-1]):
            refused.setdefault(loc[:-1], []).append(err)
        else:
            out.append(err)
    for loc, group in refused.items():
        kinds = dict.fromkeys(e["msg"].removeprefix("Input should be ").split(", ")[0] for e in group)
        out.append({**group[0], "loc": loc, "type": "union", "msg": "Input should be " + " or ".join(kinds)})
    return out


def _plain_value_at(data: Any, path: tuple) -> bool:
    """Whether ``path`` leads to a scalar (not a mapping or a list) in ``data``."""
    for part in path:
        if isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
            continue
        if not isinstance(data, dict) or part not in data:
            return False
        data = data[part]
    return not isinstance(data, dict | list)


def _problem(err: Mapping[str, Any], kind: type, located: _Located, filename: str, prefix: tuple) -> Problem:
    loc = (*prefix, *(part for part in err["loc"] if isinstance(part, str | int)))
    kind_of_error = err["type"]
    message = err["msg"].removeprefix("Value error, ")
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, FieldError):  # a __post_init__ check that knows its key
        loc = (*loc, *cause.path)
        message = str(cause)
    if kind_of_error in ("unexpected_keyword_argument", "extra_forbidden"):
        allowed = _allowed_keys(kind, loc[len(prefix) : -1])
        guess = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        message = "unknown key" + (f" (did you mean {guess[0]!r}?)" if guess else "")
        if allowed:
            message += f"; allowed: {', '.join(allowed)}"
        where = located.keys.get(loc) or located.values.get(loc)
    elif kind_of_error == "missing":
        message = "required key is missing"
        where = None
    else:
        where = located.values.get(loc)
        if "input" in err and kind_of_error not in ("dataclass_type", "model_type"):
            value = err["input"]
            if isinstance(value, str | int | float | bool) and len(repr(value)) < 60:
                message += f" (got {value!r})"
    # Missing keys and errors about a whole mapping point at the closest enclosing node.
    probe = loc
    while where is None and probe:
        probe = probe[:-1]
        where = located.values.get(probe)
    line, column = where or (0, 0)
    return Problem(filename, line, column, _dotted(loc), message)


def _allowed_keys(kind: Any, path: tuple) -> list[str]:
    """The field names of the dataclass found by following ``path`` from ``kind``."""
    for part in (*path, None):
        kind = _unwrap(kind)
        if part is None:
            break
        if dataclasses.is_dataclass(kind):
            hints = typing.get_type_hints(kind)
            if part not in hints:
                return []
            kind = hints[part]
        elif typing.get_origin(kind) in (dict, Mapping):
            kind = typing.get_args(kind)[1]
        elif typing.get_origin(kind) in (tuple, list):
            kind = typing.get_args(kind)[0]
        else:
            return []
    kind = _unwrap(kind)
    if dataclasses.is_dataclass(kind):
        return [f.name for f in dataclasses.fields(kind) if f.name != "id"]
    return []


def _unwrap(kind: Any) -> Any:
    """``X | None`` -> ``X``."""
    args = [a for a in typing.get_args(kind) if a is not type(None)]
    if typing.get_origin(kind) in (typing.Union, types.UnionType) and len(args) == 1:
        return args[0]
    return kind


# --------------------------------------------------------------------------- files


def packaged_rules_dir() -> Path:
    """The default rules: inside the installed package, or at the top of a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "rules", here.parent / "rules"):
        if (candidate / "escalation.yaml").is_file():
            return candidate
    raise ConfigError(f"the default rules are missing from the installation (looked in {here})")


def default_state_dir() -> Path:
    if os.environ.get("STATE_DIRECTORY"):  # systemd StateDirectory=
        return Path(os.environ["STATE_DIRECTORY"].split(":")[0])
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "freelance-assistant"


def load_settings(stream: TextIO | str, filename: str = "config.yaml") -> Settings:
    """Validate config.yaml text; for tests and ``check``. Paths stay as written."""
    located = _load_yaml(stream, filename)
    if not isinstance(located.data, dict):
        raise ConfigError(Problem(filename, 1, 1, "", "the file must be a mapping of settings"))
    settings = _validate(Settings, located.data, located, filename)
    where = ("identity", "payment")
    payment, problems = _checked_payment(settings.identity.payment, where, located, filename)
    if problems:
        raise ConfigError(problems)
    return dataclasses.replace(settings, identity=dataclasses.replace(settings.identity, payment=payment))


def _checked_payment(
    details: PaymentDetails, where: tuple, located: _Located, filename: str
) -> tuple[PaymentDetails, list[Problem]]:
    """The IBAN and BIC checked (python-stdnum) and made compact, or the problems, located.

    stdnum checks the country's length and format, the IBAN check digits and, where a
    country has them (Spain's CCC, for one), the national check digits inside it.
    """
    problems = []
    changes = {}
    for name, module in (("iban", stdnum_iban), ("bic", stdnum_bic)):
        value = getattr(details, name)
        if not value:
            continue
        try:
            changes[name] = module.validate(value)
        except NumberInvalid as exc:
            line, column = located.values.get((*where, name), (0, 0))
            what = "IBAN" if name == "iban" else "BIC"
            message = f"not a valid {what}: {exc}"
            problems.append(Problem(filename, line, column, _dotted((*where, name)), message))
    return dataclasses.replace(details, **changes), problems


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read config.yaml and the rules it points to. Raises ConfigError with every problem."""
    path = Path(path).expanduser()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the configuration: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    settings = load_settings(text, str(path))
    base = path.parent
    settings = _resolve_paths(settings, base)
    rules_dir = Path(settings.rules_dir) if settings.rules_dir else packaged_rules_dir()
    state_dir = Path(settings.state_dir) if settings.state_dir else default_state_dir()
    rules = load_rules(rules_dir, settings.defaults, settings.identity)
    without = [a.name for a in settings.accounts if a.smtp is None]
    sending = [
        (ladder, i, stage.name)
        for ladder in ("invoice", "deliverable")
        for i, stage in enumerate(getattr(rules.escalation, ladder))
        if stage.action == "send"
    ]
    if sending and without:
        # Point at the first `action: send`: that is the line the freelancer will change.
        ladder, i, name = sending[0]
        escalation = rules_dir / "escalation.yaml"
        if not escalation.is_file():
            escalation = packaged_rules_dir() / "escalation.yaml"
        located = _load_yaml(io.StringIO(_read(escalation)), str(escalation))
        line, column = located.values.get((ladder, i, "action"), (0, 0))
        message = (
            f"stage {name} has `action: send`, but account{'s' if len(without) > 1 else ''} "
            f"{', '.join(without)} {'have' if len(without) > 1 else 'has'} no smtp: section to send with"
        )
        raise ConfigError(Problem(str(escalation), line, column, f"{ladder}[{i}].action", message))
    return Config(path=path, settings=settings, rules=rules, rules_dir=rules_dir, state_dir=state_dir)


def _resolve_paths(settings: Settings, base: Path) -> Settings:
    def resolve(p: str) -> str:
        return str((base / Path(p).expanduser()).resolve()) if p else p

    accounts = []
    for account in settings.accounts:
        if account.maildir is not None:
            account = dataclasses.replace(
                account, maildir=dataclasses.replace(account.maildir, path=resolve(account.maildir.path))
            )
        if account.imap is not None and account.imap.ca_file:
            account = dataclasses.replace(
                account, imap=dataclasses.replace(account.imap, ca_file=resolve(account.imap.ca_file))
            )
        if account.statements is not None:
            account = dataclasses.replace(
                account, statements=Statements(folder=resolve(account.statements.folder))
            )
        if account.smtp is not None and account.smtp.ca_file:
            account = dataclasses.replace(
                account, smtp=dataclasses.replace(account.smtp, ca_file=resolve(account.smtp.ca_file))
            )
        accounts.append(account)
    return dataclasses.replace(
        settings,
        accounts=tuple(accounts),
        state_dir=resolve(settings.state_dir),
        rules_dir=resolve(settings.rules_dir),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class _ClientsFile:
    __pydantic_config__ = _STRICT
    clients: dict[str, Client]


def load_rules(
    rules_dir: Path | None, defaults: Defaults = Defaults(), identity: Identity | None = None
) -> Rules:
    """Load and cross-check every rules file; all problems of all files are reported together.

    Each file is looked up in ``rules_dir`` first and in the shipped rules second, so a
    freelancer keeps only what they changed (usually clients.yaml) in their own folder.
    """
    shipped = packaged_rules_dir()
    folders = [rules_dir, shipped] if rules_dir and rules_dir.resolve() != shipped else [shipped]
    if rules_dir is not None and not rules_dir.is_dir():
        raise ConfigError(Problem(str(rules_dir), 0, 0, "", "rules directory not found"))

    def find(name: str) -> Path:
        for folder in folders:
            if (folder / name).is_file():
                return folder / name
        return folders[0] / name

    problems: list[Problem] = []

    def attempt(fn, *args):
        try:
            return fn(*args)
        except ConfigError as exc:
            problems.extend(exc.problems)
            return None

    clients = attempt(_load_clients, find("clients.yaml"), defaults)
    invoices = attempt(_load_file, find("invoices.yaml"), InvoiceRules)
    if (
        invoices is not None
        and invoices.labels == InvoiceLabels()
        and find("invoices.yaml").parent != shipped
    ):
        # An invoices.yaml without labels (copied by an `init` from before they existed)
        # reads PDFs with the shipped ones rather than with none.
        packaged = attempt(_load_file, shipped / "invoices.yaml", InvoiceRules)
        if packaged is not None:
            invoices = dataclasses.replace(invoices, labels=packaged.labels)
    signals = attempt(_load_file, find("signals.yaml"), Signals)
    payments = attempt(_load_file, find("payments.yaml"), PaymentRules)
    deliverables = attempt(_load_file, find("deliverables.yaml"), DeliverableRules)
    termination_file = find("termination.yaml")
    termination = attempt(_load_file, termination_file, TerminationRules)
    escalation_file = find("escalation.yaml")
    escalation = attempt(_load_file, escalation_file, Escalation)
    rates = attempt(_load_file, find("rates.yaml"), ReferenceRates)
    templates: dict[tuple[str, str], TemplateSource] = {}
    for folder in reversed(folders):  # the freelancer's own templates win
        if (folder / "templates").is_dir():
            templates.update(attempt(_load_templates, folder / "templates") or {})
    if escalation is not None and clients:
        problems.extend(_check_client_ladders(clients, find("clients.yaml"), escalation))
    if escalation is not None:
        languages = {c.language for c in (clients or {}).values()} or set(LANGUAGES)
        problems.extend(
            _check_templates(
                escalation,
                escalation_file,
                termination,
                termination_file,
                templates,
                languages,
                identity,
                _getting_paid_templates(escalation, escalation_file, (clients or {}).values()),
            )
        )
    if problems:
        raise ConfigError(problems)
    return Rules(
        clients=clients,
        invoices=invoices,
        escalation=escalation,
        templates=templates,
        signals=signals,
        payments=payments,
        deliverables=deliverables,
        termination=termination,
        rates=rates,
    )


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(Problem(str(path), 0, 0, "", "file not found")) from None
    except OSError as exc:
        raise ConfigError(Problem(str(path), 0, 0, "", f"cannot read: {exc.strerror}")) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(Problem(str(path), 0, 0, "", f"not UTF-8 text ({exc.reason})")) from exc


def _load_file(path: Path, kind: type):
    located = _load_yaml(io.StringIO(_read(path)), str(path))
    if not isinstance(located.data, dict):
        raise ConfigError(Problem(str(path), 1, 1, "", "the file must be a mapping"))
    return _validate(kind, located.data, located, str(path))


def _load_clients(path: Path, defaults: Defaults) -> dict[str, Client]:
    located = _load_yaml(io.StringIO(_read(path)), str(path))
    data = located.data
    if not isinstance(data, dict) or not isinstance(data.get("clients", {}), dict):
        raise ConfigError(
            Problem(str(path), 1, 1, "clients", "expected 'clients:' mapping client ids to clients")
        )
    problems = []
    for client_id, body in (data.get("clients") or {}).items():
        if not isinstance(client_id, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", client_id):
            line, column = located.keys.get(("clients", client_id), (0, 0))
            problems.append(
                Problem(
                    str(path),
                    line,
                    column,
                    f"clients.{client_id}",
                    "client ids are lower-case letters, digits, '_' and '-' (they appear in commands and keys)",
                )
            )
            continue
        if isinstance(body, dict):
            # Inherit what the client does not say from config.yaml's defaults.
            body.setdefault("id", client_id)
            body.setdefault("language", defaults.language)
            body.setdefault("country", defaults.country)
            body.setdefault("currency", defaults.currency)
            body.setdefault("payment_terms_days", defaults.payment_terms_days)
    if problems:
        raise ConfigError(problems)
    data.setdefault("clients", {})
    if data["clients"] is None:
        data["clients"] = {}
    parsed = _validate(_ClientsFile, data, located, str(path))
    checked = {}
    for client in parsed.clients.values():
        if client.subdivision:
            known = calendar.subdivisions(client.country)
            if client.subdivision.upper() not in {k.upper() for k in known}:
                where = ("clients", client.id, "subdivision")
                line, column = located.values.get(where, (0, 0))
                listed = ", ".join(known) if known else "none"
                problems.append(
                    Problem(
                        str(path), line, column, _dotted(where),
                        f"{client.subdivision!r} is not a subdivision of {client.country.upper()} "
                        f"whose public holidays are known (known: {listed})",
                    )
                )  # fmt: skip
        if client.payment is not None:
            where = ("clients", client.id, "payment")
            payment, trouble = _checked_payment(client.payment, where, located, str(path))
            problems.extend(trouble)
            client = dataclasses.replace(client, payment=payment)
        checked[client.id] = client
        trouble = compose.locale_problem(client.babel_locale)
        if trouble:
            where = ("clients", client.id, "locale")
            if not client.locale:  # made of language and country: point at the language
                where = ("clients", client.id, "language")
                trouble += f"; name one with `locale:` (e.g. {client.language}_{client.language.upper()})"
            line, column = located.values.get(where) or located.values.get(where[:2], (0, 0))
            problems.append(Problem(str(path), line, column, _dotted(where), trouble))
    if problems:
        raise ConfigError(problems)
    return checked


def _check_client_ladders(clients: Mapping[str, Client], path: Path, escalation: Escalation) -> list[Problem]:
    """A client's ``ladder:`` names one of escalation.yaml's ``ladders:``."""
    wrong = [c for c in clients.values() if c.ladder and c.ladder not in escalation.ladders]
    if not wrong:
        return []
    located = _load_yaml(io.StringIO(_read(path)), str(path))
    known = ", ".join(sorted(escalation.ladders)) or "none; add them under `ladders:` in escalation.yaml"
    problems = []
    for client in wrong:
        where = ("clients", client.id, "ladder")
        line, column = located.values.get(where, (0, 0))
        message = f"no ladder named {client.ladder!r} in escalation.yaml (ladders: {known})"
        problems.append(Problem(str(path), line, column, _dotted(where), message))
    return problems


_TEMPLATE_NAME = re.compile(r"^(?P<name>[a-z0-9][a-z0-9-]*)\.txt\.j2$")
_LANGUAGE_FOLDER = re.compile(r"[a-z]{2,3}")


def _load_templates(root: Path) -> dict[tuple[str, str], TemplateSource]:
    templates: dict[tuple[str, str], TemplateSource] = {}
    problems: list[Problem] = []
    if not root.is_dir():
        raise ConfigError(Problem(str(root), 0, 0, "", "templates directory not found"))
    # Every language folder there is: the shipped three, and any the freelancer added.
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and _LANGUAGE_FOLDER.fullmatch(p.name)):
        language = folder.name
        for file in sorted(folder.iterdir()):
            match = _TEMPLATE_NAME.match(file.name)
            if not match:
                continue
            try:
                source = TemplateSource(str(file), _read(file))
            except ConfigError as exc:
                problems.extend(exc.problems)
                continue
            templates[(language, match["name"])] = source
    if problems:
        raise ConfigError(problems)
    return templates


def _getting_paid_templates(
    escalation: Escalation, escalation_file: Path, clients: Iterable[Client]
) -> list[tuple[str, str, Path, tuple]]:
    """The templates of the statement, the note before the due date and the thank-you, each
    needed once something uses it: a language of your own (templates/de/) keeps working
    without them until you turn one on, and `check` then asks for it."""
    clients = list(clients)
    wanted = []
    if any(c.statement for c in clients):
        wanted.append((compose.STATEMENT_TEMPLATE, "statement", escalation_file, ()))
    before, thanks = escalation.before_due, escalation.thank_you
    if any(before.days_for(c) is not None for c in clients):
        wanted.append((before.template, "invoice", escalation_file, ("before_due", "template")))
    if any(thanks.wanted(c) for c in clients):
        wanted.append((thanks.template, "invoice", escalation_file, ("thank_you", "template")))
    return wanted


def _check_templates(
    escalation: Escalation,
    escalation_file: Path,
    termination: TerminationRules | None,
    termination_file: Path,
    templates: Mapping[tuple[str, str], TemplateSource],
    languages: set[Language],
    identity: Identity | None,
    also: Sequence[tuple[str, str, Path, tuple]] = (),
) -> list[Problem]:
    """Every template in use exists in every language in use, compiles and renders."""
    problems: list[Problem] = []
    wanted: list[tuple[str, str, Path, tuple]] = list(also)  # (template, kind, file, key path)
    for ladder in ("invoice", "deliverable"):
        for i, stage in enumerate(getattr(escalation, ladder)):
            wanted.append((stage.template, ladder, escalation_file, (ladder, i, "template")))
    for name, stages in escalation.ladders.items():
        for i, stage in enumerate(stages):
            wanted.append((stage.template, "invoice", escalation_file, ("ladders", name, i, "template")))
    # Checked even while check-ins are off: turning them on must not reveal a broken template.
    wanted.append((escalation.check_in.template, "check-in", escalation_file, ("check_in", "template")))
    wanted.append(("digest", "digest", termination_file, ()))  # the daily digest (identity.language)
    if termination is not None:
        wanted.append((termination.template, "termination", termination_file, ("template",)))
        wanted.append(
            (
                termination.rate_increase_template,
                "rate-increase",
                termination_file,
                ("rate_increase_template",),
            )
        )
    kinds: dict[str, str] = {}
    located: dict[Path, _Located] = {}
    for name, kind, file, path in wanted:
        kinds[name] = kind
        needed = {identity.language if identity else "es"} if kind == "digest" else languages
        for language in sorted(needed):
            if (language, name) in templates:
                continue
            if file not in located:
                located[file] = _load_yaml(io.StringIO(_read(file)), str(file))
            line, column = located[file].values.get(path, (0, 0))
            whose = "your digest" if kind == "digest" else f"the {language} clients"
            message = f"no template {language}/{name}.txt.j2 for {whose}"
            problems.append(Problem(str(file), line, column, _dotted(path), message))
    for (language, name), source in templates.items():
        problem = compose.check_template(source.path, source.text, kinds.get(name), identity, language)
        if problem is not None:
            line, message = problem
            problems.append(Problem(source.path, line, 1 if line else 0, "", message))
    return problems
