"""`init`: a new freelancer's config.yaml and rules folder, asking only what cannot be guessed.

The answers come from the command line's flags first, then from guesses (the provider
from the address's domain, the language and country from the locale, the time zone from
``$TZ`` or /etc/timezone, the currency from the country), then from questions read on
standard input, one line each (so a script or a test can answer them). With
``--non-interactive`` nothing is asked: what is missing is a usage error naming the flags.

What is written is never written over: config.yaml and each rules file are created with
O_EXCL, and a file already there is kept and named. config.yaml and the rules are ``0600``
and a directory created here ``0700``: they hold the names of clients and perhaps a
password. The config text is validated by the same loader as every other command before
it is written, so `init` cannot leave a file that `check` refuses.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import re
import shlex
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import presets
from .config import _is_loopback, load_settings, packaged_rules_dir
from .domain.model import LANGUAGES, Address
from .errors import ConfigError, UsageError
from .presets import Preset

PASSWORD_SOURCES = ("command", "env", "credential", "file")
DEFAULT_ENV = "FREELANCE_ASSISTANT_PASSWORD"
DEFAULT_CREDENTIAL = "imap-password"
# The country of a language when the locale names none: where most of its clients are.
_COUNTRY_OF = {"es": "ES", "en": "GB", "nl": "NL"}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")  # an environment variable
_CREDENTIAL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$")


# --------------------------------------------------------------------------- answers


@dataclass(slots=True)
class Answers:
    """Everything config.yaml needs from the freelancer."""

    name: str
    email: str
    preset: Preset
    host: str
    port: int
    security: str
    username: str
    auth: str  # password | xoauth2
    token_command: tuple[str, ...] = ()
    password_source: str = ""  # one of PASSWORD_SOURCES when auth is password
    password_command: tuple[str, ...] = ()
    password_env: str = ""
    password_credential: str = ""
    password: str = field(default="", repr=False)
    ca_file: str = ""
    maildir: str = ""  # a local Maildir instead of IMAP (then the IMAP fields are unused)
    language: str = "en"
    country: str = "GB"
    currency: str = "EUR"
    timezone: str = "UTC"


# --------------------------------------------------------------------------- guesses


def guess_locale(environ: Mapping[str, str]) -> tuple[str | None, str | None]:
    """(language, country) from LC_ALL, LC_MESSAGES or LANG; a language only if es, en or nl."""
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(variable, "")
        if value:
            break
    else:
        return None, None
    match = re.match(r"^([a-z]{2,3})(?:_([A-Z]{2}))?", value)
    if not match:  # C, POSIX, C.UTF-8
        return None, None
    language = match.group(1) if match.group(1) in LANGUAGES else None
    return language, match.group(2)


def guess_timezone(environ: Mapping[str, str], etc: Path = Path("/etc")) -> tuple[str | None, str]:
    """The IANA zone name and where it came from: $TZ, /etc/timezone, or /etc/localtime."""
    candidates: list[tuple[str, str]] = []
    tz = environ.get("TZ", "").lstrip(":")
    if tz:
        candidates.append((tz.partition("zoneinfo/")[2] or tz, "$TZ"))
    with contextlib.suppress(OSError, UnicodeDecodeError):
        candidates.append(((etc / "timezone").read_text(encoding="utf-8").strip(), str(etc / "timezone")))
    try:
        target = os.readlink(etc / "localtime")
        if "zoneinfo/" in target:
            candidates.append((target.partition("zoneinfo/")[2], str(etc / "localtime")))
    except OSError:
        pass
    for zone, source in candidates:
        if zone and _valid_zone(zone):
            return zone, source
    return None, ""


def _valid_zone(zone: str) -> bool:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def guess_name() -> str:
    """The full name in the account's passwd entry, if it is one ("Lucía Romero").

    Not a login name, nor a one-word entry such as "root": emails are signed with it, and a
    default is taken with a mere Enter.
    """
    try:
        import pwd

        entry = pwd.getpwuid(os.getuid())
    except (ImportError, KeyError):
        return ""
    gecos = " ".join(entry.pw_gecos.split(",")[0].split())
    if " " not in gecos or gecos.casefold() == entry.pw_name.casefold():
        return ""
    return gecos


def currency_for(country: str) -> str:
    from babel.numbers import get_territory_currencies

    try:
        found = get_territory_currencies(country)
    except Exception:  # Babel raises several kinds for territories it does not know
        found = []
    return found[0] if found else "EUR"


# --------------------------------------------------------------------------- checks
# Each returns the cleaned value or raises ValueError with what is wrong, in words.


def check_name(text: str) -> str:
    text = " ".join(text.split())
    if not text:
        raise ValueError("a name is needed: your emails are signed with it")
    return text


def check_email(text: str) -> str:
    text = text.strip()
    try:
        address = Address.parse(text)
    except ValueError:
        raise ValueError(f"not an email address: {text!r}") from None
    if address.name or "." not in address.domain:
        raise ValueError(f"not an email address: {text!r}")
    return address.email


def check_host(text: str) -> str:
    text = text.strip().lower()
    if not text or not re.fullmatch(r"[a-z0-9.:\[\]-]+", text):
        raise ValueError(f"not a host name: {text!r} (e.g. imap.example.com)")
    return text


def check_port(text: str) -> int:
    text = str(text).strip()
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise ValueError(f"a port is a number from 1 to 65535, not {text!r}")
    return int(text)


def check_ca_file(text: str) -> str:
    """ "" (none), or the absolute path of a readable PEM file holding a certificate."""
    text = text.strip()
    if not text:
        return ""
    path = Path(text).expanduser().resolve()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror}") from None
    if b"-----BEGIN CERTIFICATE-----" not in data:
        raise ValueError(f"{path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
    return str(path)


def check_maildir(text: str) -> str:
    """The absolute path of a Maildir++ tree: a folder with cur/ and new/ (INBOX) in it."""
    text = text.strip()
    if not text:
        raise ValueError("the folder of your Maildir is needed, e.g. ~/Mail")
    path = Path(text).expanduser().resolve()
    if not path.is_dir():
        raise ValueError(f"{path} is not a folder")
    if not ((path / "cur").is_dir() and (path / "new").is_dir()):
        raise ValueError(f"{path} is no Maildir: it has no cur/ and new/ (its INBOX)")
    return str(path)


def guess_maildir(home: Path) -> str:
    for name in ("Maildir", "Mail", ".mail", "mail"):
        if (home / name / "cur").is_dir():
            return str(home / name)
    return ""


def check_language(text: str) -> str:
    text = text.strip().lower()
    if text not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {text!r}")
    return text


def check_country(text: str, language: str) -> str:
    from babel import Locale

    from .domain.compose import locale_problem

    text = text.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", text) or text not in Locale("en").territories:
        raise ValueError(f"country must be a two-letter ISO 3166 code such as ES, NL or GB, not {text!r}")
    if locale_problem(f"{language}_{text}"):
        # Clients inherit both: dates and money in their emails are formatted that way.
        raise ValueError(
            f"language {language} with country {text} is no locale dates and money can be "
            "written in; choose another country (or language)"
        )
    return text


def check_timezone(text: str) -> str:
    text = text.strip()
    if not _valid_zone(text):
        raise ValueError(f"unknown time zone {text!r} (use a name like Europe/Madrid)")
    return text


def check_command(text: str) -> tuple[str, ...]:
    try:
        argv = tuple(shlex.split(text))
    except ValueError as exc:
        raise ValueError(f"cannot split that command: {exc}") from None
    if not argv:
        raise ValueError("a command is needed")
    return argv


def check_env(text: str) -> str:
    text = text.strip()
    if not _NAME.match(text):
        raise ValueError(f"not an environment variable name: {text!r}")
    return text


def check_credential(text: str) -> str:
    text = text.strip()
    if not _CREDENTIAL.match(text):
        raise ValueError(f"not a systemd credential name: {text!r}")
    return text


# --------------------------------------------------------------------------- questions


class Questions:
    """Questions on ``output``, answers from ``input``, one line each; Enter takes the default.

    The streams are looked up when asked (not at import), so a test can replace sys.stdin.
    A wrong answer is explained and the question asked again; the end of the input is a
    usage error, never a hang.
    """

    def __init__(
        self,
        input: TextIO | None = None,
        output: TextIO | None = None,
        secret: Callable[[str], str] | None = None,
    ):
        self._input = input
        self._output = output
        self._secret = secret

    @property
    def input(self) -> TextIO:
        return self._input or sys.stdin

    @property
    def output(self) -> TextIO:
        return self._output or sys.stdout

    def say(self, text: str = "") -> None:
        print(text, file=self.output, flush=True)

    def ask(self, question: str, default: str = "", check: Callable[[str], object] = str):
        while True:
            prompt = f"{question} [{default}]: " if default else f"{question}: "
            self.output.write(prompt)
            self.output.flush()
            line = self.input.readline()
            if line and not self.input.isatty():
                self.output.write(line if line.endswith("\n") else line + "\n")  # a readable transcript
            if not line:
                self.output.write("\n")
                raise UsageError(
                    f"init: the input ended before {question!r} was answered "
                    "(for scripts: init --non-interactive with flags, see init --help)"
                )
            answer = line.strip() or default
            try:
                return check(answer)
            except ValueError as exc:
                self.say(f"  {exc}")

    def choose(self, question: str, options: list[tuple[str, str]], default: str) -> str:
        """One of ``options`` (key, explanation), by number or by key."""
        self.say(question)
        for number, (_, text) in enumerate(options, 1):
            self.say(f"  {number}. {text}")
        keys = [key for key, _ in options]

        def check(answer: str) -> str:
            answer = answer.strip().lower()
            if answer.isdigit() and 1 <= int(answer) <= len(keys):
                return keys[int(answer) - 1]
            if answer in keys:
                return answer
            raise ValueError(f"answer 1 to {len(keys)}, or one of {', '.join(keys)}")

        return self.ask("Your choice", str(keys.index(default) + 1), check)

    def secret(self, question: str) -> str:
        # Never echoed: getpass reads from the terminal with echo off.
        reader = self._secret or getpass.getpass
        while True:
            value = reader(f"{question} (not shown): ")
            if value:
                return value
            self.say("  an empty password cannot be right")


# --------------------------------------------------------------------------- gathering


class _Missing:
    """What --non-interactive lacks, reported all at once."""

    def __init__(self) -> None:
        self.flags: list[str] = []

    def add(self, flag: str) -> None:
        self.flags.append(flag)

    def raise_if_any(self) -> None:
        if self.flags:
            raise UsageError(f"init --non-interactive: missing {', '.join(self.flags)} (see init --help)")


def _flag(check: Callable, value, flag: str):
    try:
        return check(value)
    except ValueError as exc:
        raise UsageError(f"init: {flag}: {exc}") from None


def gather(args, questions: Questions | None, environ: Mapping[str, str] | None = None) -> Answers:
    """Answers from flags, guesses and (when ``questions`` is given) questions."""
    environ = os.environ if environ is None else environ
    ask = questions
    missing = _Missing()
    say = ask.say if ask else print  # what was guessed is said either way

    if args.password_stdin and ask:
        raise UsageError(
            "init: --password-stdin reads the password from standard input: add --non-interactive"
        )

    # Who.
    if args.name:
        name = _flag(check_name, args.name, "--name")
    elif ask:
        name = ask.ask("Your name, as your emails are signed", guess_name(), check_name)
    else:
        name = ""
        missing.add("--name")
    if args.email:
        email = _flag(check_email, args.email, "--email")
    elif ask:
        email = ask.ask("Your email address", "", check_email)
    else:
        email = ""
        missing.add("--email")
    missing.raise_if_any()

    # Where the mail is.
    maildir = _flag(check_maildir, args.maildir, "--maildir") if getattr(args, "maildir", None) else ""
    if maildir:
        preset = presets.GENERIC
    elif args.provider:
        preset = presets.PRESETS[args.provider]
    elif args.host:
        preset = presets.GENERIC
    elif (guessed := presets.guess_provider(email)) is not None:
        preset = presets.PRESETS[guessed]
        say(f"  Provider: {preset.title} (from the address; --provider to choose another)")
    elif ask:
        names = [p for p in presets.PRESETS if p != "local"]
        chosen = ask.choose(
            "Who provides this mailbox?",
            [(p, presets.PRESETS[p].title) for p in names]
            + [("maildir", "a Maildir on this computer (kept in sync by mbsync, offlineimap...)")],
            default="generic",
        )
        if chosen == "maildir":
            maildir = ask.ask("The folder of your Maildir", guess_maildir(Path.home()), check_maildir)
            preset = presets.GENERIC
        else:
            preset = presets.PRESETS[chosen]
    else:
        preset = presets.GENERIC
    if maildir:
        return _local_answers(args, ask, name=name, email=email, maildir=maildir, environ=environ)
    security = args.security or preset.security
    asked_host = False
    if args.host:
        host = _flag(check_host, args.host, "--host")
    elif preset.host:
        host = preset.host
    elif ask:
        host = ask.ask("Your IMAP server's host name (your provider's help pages name it)", "", check_host)
        asked_host = True
        if not args.security:
            options = [
                ("tls", "TLS from the start (usually port 993), the usual"),
                ("starttls", "STARTTLS (usually port 143; a local bridge such as Proton Bridge: 1143)"),
            ]
            if _is_loopback(host):
                options.append(("plain", "no encryption (allowed only on this computer)"))
            security = ask.choose("How does it encrypt the connection?", options, default="tls")
    else:
        host = ""
        missing.add("--host (or --provider)")
    if security == "plain" and host and not _is_loopback(host):
        raise UsageError(
            "init: --security plain sends the password unencrypted: only to 127.0.0.1, ::1 or localhost"
        )
    if args.port:
        port = _flag(check_port, args.port, "--port")
    else:
        port = preset.port if security == preset.security and preset.port else 0
        port = port or (993 if security == "tls" else 143)
        if asked_host:  # another provider, or a bridge: its port is whatever it says
            port = ask.ask("Port", str(port), check_port)
    ca_file = _flag(check_ca_file, args.ca_file, "--ca-file") if args.ca_file else ""
    if asked_host and not args.ca_file and security != "plain":
        ca_file = ask.ask(
            "A CA certificate to trust, for a server or bridge with its own (a file; Enter for none)",
            "",
            check_ca_file,
        )
    if args.username:
        username = args.username.strip()
    elif preset is presets.GENERIC and ask:
        username = ask.ask(
            "Your IMAP user name", email, lambda t: t.strip() or _raise("a user name is needed")
        )
    else:
        username = presets.username_for(preset, email)

    # How to sign in.
    auth = args.auth or ("xoauth2" if args.token_command else "")
    if not auth:
        if len(preset.auth) == 1:
            auth = preset.auth[0]
        elif ask and preset is not presets.GENERIC:
            auth = ask.choose(
                f"How do you sign in to {preset.title}?",
                [
                    ("password", f"a password: {preset.password_hint or 'your mail password'}"),
                    ("xoauth2", "OAuth 2: a command that prints an access token"),
                ],
                default=preset.auth[0],
            )
        else:
            auth = "password"
    if auth not in preset.auth and preset is not presets.GENERIC:
        raise UsageError(
            f"init: {preset.title} does not accept --auth {auth} (it takes {', '.join(preset.auth)})"
        )
    answers = Answers(
        name=name, email=email, preset=preset, host=host, port=port, security=security,
        username=username, auth=auth, ca_file=ca_file,
    )  # fmt: skip
    if auth == "xoauth2":
        if args.token_command:
            answers.token_command = _flag(check_command, args.token_command, "--token-command")
        elif ask:
            if preset.token_hint:
                say(f"  {preset.token_hint}")
            answers.token_command = ask.ask("Command that prints an OAuth 2 access token", "", check_command)
        else:
            missing.add("--token-command")
    else:
        _password_source(args, ask, answers, missing)

    _where_and_when(args, ask, answers, missing, environ)
    return answers


def _local_answers(args, ask, *, name: str, email: str, maildir: str, environ) -> Answers:
    """A Maildir account: no server, no password; the rest as for IMAP."""
    answers = Answers(
        name=name, email=email, preset=presets.GENERIC, host="", port=0, security="tls",
        username="", auth="password", maildir=maildir,
    )  # fmt: skip
    missing = _Missing()
    _where_and_when(args, ask, answers, missing, environ)
    return answers


def _where_and_when(args, ask: Questions | None, answers: Answers, missing: _Missing, environ) -> None:
    """Language, country, currency and time zone, into ``answers``."""
    say = ask.say if ask else print
    locale_language, locale_country = guess_locale(environ)
    if args.language:
        language = _flag(check_language, args.language, "--language")
    elif ask:
        language = ask.ask(
            "Language of your digest and of your clients' reminders (es, en, nl)",
            locale_language or "en",
            check_language,
        )
    else:
        language = locale_language or "en"
    country_default = locale_country or _COUNTRY_OF[language]
    if args.country:
        country = _flag(lambda t: check_country(t, language), args.country, "--country")
    elif ask:
        country = ask.ask(
            "Your clients' usual country, ISO code (public holidays, late-payment law)",
            country_default,
            lambda t: check_country(t, language),
        )
    else:
        country = _flag(lambda t: check_country(t, language), country_default, "--country")
    zone, source = guess_timezone(environ)
    if args.timezone:
        timezone = _flag(check_timezone, args.timezone, "--timezone")
    elif zone and (zone not in ("UTC", "Etc/UTC", "Etc/Universal") or not ask):
        timezone = zone
        say(f"  Time zone: {zone} (from {source}; --timezone to choose another)")
    elif ask:
        # A computer on UTC is usually a server's habit, not where the freelancer lives.
        timezone = ask.ask("Your time zone (drafts are written at 09:00 there)", zone or "", check_timezone)
    else:
        timezone = ""
        missing.add("--timezone (it could not be guessed)")
    missing.raise_if_any()
    answers.language, answers.country, answers.timezone = language, country, timezone
    answers.currency = (args.currency or currency_for(country)).upper()
    if not re.fullmatch(r"[A-Z]{3}", answers.currency):
        raise UsageError(f"init: --currency: an ISO 4217 code such as EUR, not {args.currency!r}")


def _raise(message: str):
    raise ValueError(message)


def _password_source(args, ask: Questions | None, answers: Answers, missing: _Missing) -> None:
    given = [
        (source, value)
        for source, value in (
            ("command", args.password_command),
            ("env", args.password_env),
            ("credential", args.password_credential),
            ("file", args.password_stdin or None),
        )
        if value
    ]
    if len(given) > 1:
        raise UsageError(
            "init: give one of --password-command, --password-env, --password-credential, --password-stdin"
        )
    if given:
        source, value = given[0]
    elif ask:
        hint = answers.preset.password_hint
        if hint:
            ask.say(f"  {answers.preset.title} wants {hint}.")
        source = ask.choose(
            "How will the assistant get that password? (it is never asked for on screen)",
            [
                (
                    "command",
                    "a command that prints it, e.g. pass show mail (recommended: nothing secret in a file)",
                ),
                ("env", "an environment variable"),
                ("credential", "a systemd credential (LoadCredential=, for the service)"),
                ("file", "written into config.yaml, which only you can read"),
            ],
            default="command",
        )
        value = None
    else:
        missing.add(
            "--password-command (recommended), --password-env, --password-credential or --password-stdin"
        )
        return
    answers.password_source = source
    if source == "command":
        answers.password_command = (
            _flag(check_command, value, "--password-command")
            if value
            else ask.ask("Command that prints the password", f"pass show mail/{answers.email}", check_command)
        )
    elif source == "env":
        answers.password_env = (
            _flag(check_env, value, "--password-env")
            if value
            else ask.ask("Name of the environment variable", DEFAULT_ENV, check_env)
        )
    elif source == "credential":
        answers.password_credential = (
            _flag(check_credential, value, "--password-credential")
            if value
            else ask.ask("Name of the systemd credential", DEFAULT_CREDENTIAL, check_credential)
        )
    elif value:  # --password-stdin: the first line of standard input
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise UsageError("init: --password-stdin: standard input held no password")
        answers.password = password
    else:
        answers.password = ask.secret("The password")


# --------------------------------------------------------------------------- the file


def _q(value: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is a subset of it)."""
    return json.dumps(value, ensure_ascii=False)


def _argv(argv: tuple[str, ...]) -> str:
    return "[" + ", ".join(_q(a) for a in argv) + "]"


def _pad(line: str, comment: str, width: int = 36) -> str:
    return f"{line.ljust(width - 1)} # {comment}" if comment else line


def render_config(a: Answers, today: date) -> str:
    """config.yaml for these answers, commented like config.example.yaml."""
    lines = [
        f"# freelance-assistant configuration, written by `freelance-assistant init` on {today}.",
        "# Edit it freely: `init` never writes over it. Check it with:  freelance-assistant check",
        "# (config.example.yaml in the source shows every setting there is.)",
        "#",
        "# Relative paths are relative to this file.",
        "",
        "# Who you are: drafts are written from this identity and signed with `signature`.",
        "identity:",
        f"  name: {_q(a.name)}",
        f"  email: {_q(a.email)}",
        '  # phone: "+34 600 123 456"        # quote it: YAML would otherwise try to read a number',
        "  # website: https://example.com",
        "  signature: |                      # the lines under your reminders; add your trade, phone...",
        f"    {a.name}",
        _pad(f"  language: {a.language}", "es, en or nl: the language of status and the digest"),
        _pad(f"  timezone: {a.timezone}", '"today" and working hours are yours, not the server\'s'),
        "  # How to pay you, shown in every reminder (IBAN and BIC are checked):",
        "  # payment:",
        "  #   iban: ES91 2100 0418 4502 0005 1332",
        "  #   bic: CAIXESBBXXX",
        "  #   link: https://pay.example/you/{number}   # optional; {number}: the invoice number",
        '  # Spanish drafts speak as you and to clients: "preocupado" (masculine, the documented',
        '  # wording) or "preocupada"; usted (documented) or tú. A client may say otherwise.',
        "  # grammatical_gender: feminine",
        "  # form_of_address: tú",
        "",
        "# What a client in rules/clients.yaml gets unless it says otherwise.",
        "defaults:",
        _pad(f"  language: {a.language}", "es, en or nl: the language of the drafts to that client"),
        _pad(f"  country: {a.country}", "ISO 3166 code: public holidays and late-payment law"),
        _pad(f"  currency: {a.currency}", "ISO 4217 code of the amounts in your invoices"),
        _pad("  payment_terms_days: 14", '"payment is due within two weeks of the invoice date"'),
        "",
        "# The mailboxes to watch. Each account keeps its own state (<state_dir>/<name>.sqlite3).",
        "accounts:",
        "  - name: main",
        "    # Read this far back on the first scan (0: all mail).",
        "    lookback_days: 540",
    ]
    lines += _maildir_lines(a) if a.maildir else _imap_lines(a)
    lines += [
        "",
        "# Where the state databases live. Empty: $STATE_DIRECTORY (systemd), else",
        "# $XDG_STATE_HOME/freelance-assistant (~/.local/state/freelance-assistant).",
        'state_dir: ""',
        "",
        "# Your rules folder: clients.yaml (your clients go there) and the rest of the rules,",
        "# copied from the ones shipped with the program for you to change. A file you delete",
        "# from it is taken from the shipped rules again.",
        "rules_dir: rules",
        "",
        "# What the service (`freelance-assistant run`) does when, in your time zone.",
        "schedule:",
        _pad('  workday_start: "09:00"', "drafts are written at the start of your working day..."),
        _pad("  workdays: [mon, tue, wed, thu, fri]", "...on these days; mail is read all day long", 40),
        _pad("  poll_minutes: 15", "a pass every so often, whatever IMAP IDLE says"),
        _pad('  digest: "08:30"', 'the daily summary; "" for none'),
        _pad("  digest_delivery: imap", "imap: into your INBOX; smtp: sent to you (needs smtp:)"),
        "",
    ]
    return "\n".join(lines)


def _maildir_lines(a: Answers) -> list[str]:
    return [
        "    # A Maildir++ tree on this computer (mbsync, offlineimap, notmuch keep it in sync).",
        "    maildir:",
        f"      path: {_q(a.maildir)}",
        "      # Sent and Drafts are found by their usual names (.Sent, .Enviados, .Drafts...).",
        "      # Name them here if that fails:",
        "      # folders:",
        '      #   sent: "Sent"',
        '      #   drafts: "Drafts"',
        "      #   # Your Paid tag counts in every folder but INBOX, Sent, Drafts, Trash and",
        '      #   # Junk; to choose (`*` for any text, [] for none): filed: ["Archive*", INBOX]',
    ]


def _imap_lines(a: Answers) -> list[str]:
    preset = a.preset
    lines = ["    imap:"]
    if preset is not presets.GENERIC:
        lines.append(
            f"      # {preset.title}: {preset.host or a.host}, port {preset.port or a.port}, {preset.security}."
        )
    lines += [
        f"      host: {_q(a.host)}",
        _pad(f"      port: {a.port}", "the usual: 993 for tls, 143 for starttls"),
        _pad(f"      security: {a.security}", "tls (993), starttls (143), or plain (loopback only)"),
        f"      username: {_q(a.username)}",
    ]
    if preset.username == "local-part":
        lines.append(
            f"      # {preset.title} documents the name part of the address; if the login is refused, try {_q(a.email)}."
        )
    if a.auth == "xoauth2":
        lines += [
            "      # OAuth 2: this command prints a fresh access token at every login.",
            "      auth: xoauth2",
            f"      token_command: {_argv(a.token_command)}",
        ]
    else:
        if preset.password_hint:
            what, _, where = preset.password_hint.partition(": ")
            lines.append(f"      # The password is {what}" + (f":\n      #   {where}." if where else "."))
        lines.append("      # Exactly one source for the password:")
        sources = {
            "command": (
                f"password_command: {_argv(a.password_command or ('pass', 'show', f'mail/{a.email}'))}",
                "argv, run without a shell",
            ),
            "env": (f"password_env: {_q(a.password_env or DEFAULT_ENV)}", "an environment variable"),
            "credential": (
                f"password_credential: {_q(a.password_credential or DEFAULT_CREDENTIAL)}",
                "systemd LoadCredential= name",
            ),
            "file": ('password: "..."' if a.password_source != "file" else f"password: {_q(a.password)}",
                     "in this file: keep it chmod 600"),
        }  # fmt: skip
        for source in PASSWORD_SOURCES:
            text, comment = sources[source]
            if source == a.password_source:
                lines.append(_pad(f"      {text}", comment, 46))
            else:
                lines.append(_pad(f"      # {text}", comment, 46))
        if "xoauth2" in preset.auth:
            lines += [
                "      # OAuth 2 instead: a command printing a fresh access token.",
                "      # auth: xoauth2",
                "      # token_command: [oauth2-token, " + _q(a.email) + "]",
            ]
    if a.ca_file:
        lines.append(_pad(f"      ca_file: {_q(a.ca_file)}", "trust this CA (a self-hosted server)"))
    else:
        lines.append("      # ca_file: /etc/ssl/my-own-ca.pem      # trust a private CA (self-hosted server)")
    lines += [
        _pad("      timeout: 30", "seconds; every network call has one"),
        "      # Folders are found by SPECIAL-USE (\\Sent, \\Drafts), then by usual names",
        "      # (Sent, Enviados, Verzonden, [Gmail]/Borradores...). Name them here if that fails:",
        "      # folders:",
        f"      #   sent: {_q(preset.sent or 'Sent')}",
        f"      #   drafts: {_q(preset.drafts or 'Drafts')}",
        "      #   # Your Paid tag counts in every folder but INBOX, Sent, Drafts, Trash and",
        '      #   # Junk; to choose (`*` for any text, [] for none): filed: ["Archive/*", INBOX]',
    ]
    if preset is presets.GMAIL:
        lines.append("      # (Gmail's English names; in another language Gmail names them in it.)")
    lines += ["", "    # Only for escalation stages with `action: send` (opt-in; drafts are the default)."]
    smtp = preset.smtp
    if smtp is not None:
        lines += [
            "    # smtp:",
            f"    #   host: {smtp.host}",
            f"    #   port: {smtp.port}",
            f"    #   security: {smtp.security}",
        ]
        if smtp.full_address_as_user:
            lines.append(f"    #   username: {_q(a.email)}     # {preset.title} wants the full address here")
        if smtp.copy_to_sent is False:
            lines.append(f"    #   copy_to_sent: false       # {preset.title} files sent mail in Sent itself")
    else:
        lines += [
            "    # smtp:",
            "    #   host: smtp.example.com",
            "    #   security: starttls          # starttls (587) or tls (465); plain only to loopback",
        ]
    lines.append("    #   # The IMAP account's password source is used unless one is given here.")
    return lines


# --------------------------------------------------------------------------- writing


@dataclass(slots=True)
class Written:
    """What `init` did with each file: written anew or kept as it was."""

    written: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)


def make_directory(path: Path) -> None:
    """Create ``path`` (0700) and missing parents; an existing directory is left as it is."""
    if path.is_dir():
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.mkdir(mode=0o700)
        os.chmod(path, 0o700)  # whatever the umask
    except FileExistsError:
        if not path.is_dir():
            raise UsageError(f"init: {path} exists and is not a directory") from None
    except OSError as exc:
        raise UsageError(f"init: cannot create {path}: {exc.strerror}") from None


def write_new(path: Path, data: bytes, outcome: Written) -> None:
    """Create ``path`` 0600 with ``data``, unless it exists: then it is kept."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        outcome.kept.append(path)
        return
    except OSError as exc:
        raise UsageError(f"init: cannot write {path}: {exc.strerror}") from None
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    except OSError as exc:
        path.unlink(missing_ok=True)
        raise UsageError(f"init: cannot write {path}: {exc.strerror}") from None
    outcome.written.append(path)


def rules_files() -> list[Path]:
    """The shipped rules, relative to their folder: what the wheel carries."""
    root = packaged_rules_dir()
    files = sorted(root.glob("*.yaml")) + sorted(root.glob("templates/*/*.j2"))
    return [f.relative_to(root) for f in files]


def copy_rules(rules_dir: Path, outcome: Written) -> None:
    root = packaged_rules_dir()
    for relative in rules_files():
        for parent in reversed(relative.parents[:-1]):  # templates, then templates/es
            make_directory(rules_dir / parent)
        write_new(rules_dir / relative, (root / relative).read_bytes(), outcome)


def write_config(path: Path, answers: Answers, today: date, outcome: Written) -> None:
    text = render_config(answers, today)
    try:
        load_settings(text, str(path))  # the loader every command uses: never write what it refuses
    except ConfigError as exc:  # pragma: no cover - a bug here, not the freelancer's mistake
        raise UsageError(f"init: the configuration it would write is invalid: {exc}") from None
    write_new(path, text.encode("utf-8"), outcome)


def summary(outcome: Written, config_path: Path, rules_dir: Path) -> list[str]:
    """What was written and what was kept, in a few lines (the kept files by name)."""
    lines = []
    if config_path in outcome.written:
        lines.append(f"Wrote {config_path} (readable only by you)")
    copied = [p for p in outcome.written if p != config_path]
    if copied:
        lines.append(
            f"Copied {len(copied)} rules file{'s' if len(copied) != 1 else ''} into {rules_dir}/ "
            "for you to change; your clients go in clients.yaml there"
        )
    kept = [config_path.name] if config_path in outcome.kept else []
    rules_kept = [p.relative_to(rules_dir) for p in outcome.kept if p != config_path]
    total = len(rules_files())
    if rules_kept and len(rules_kept) == total:
        kept.append(f"rules/ (all {total} files)")
    else:
        kept += [f"rules/{p}" for p in rules_kept if p.parent == Path(".")]
        templates = [p for p in rules_kept if p.parent != Path(".")]
        if templates:
            kept.append(f"{len(templates)} templates in rules/templates/")
    if kept:
        lines.append(f"Kept as they were (init never writes over a file): {', '.join(kept)}")
    return lines


# --------------------------------------------------------------------------- first clients

# Mail providers of people, not companies: a client there is one address, not a domain.
_PUBLIC_DOMAINS = frozenset(
    {*presets.DOMAINS, "yahoo.com", "yahoo.es", "gmx.de", "gmx.net", "web.de", "proton.me",
     "protonmail.com", "pm.me", "outlook.es", "hotmail.es", "live.nl", "ziggo.nl", "kpnmail.nl",
     "telefonica.net", "aol.com", "mail.com", "zoho.com", "yandex.com", "tutanota.com"}
)  # fmt: skip
CANDIDATE_DAYS = 120  # "the last months" of Sent mail
CANDIDATES = 10


@dataclass(frozen=True, slots=True)
class Candidate:
    """Someone the freelancer wrote to often: perhaps a client."""

    address: Address
    messages: int


def frequent_correspondents(mailbox, me: str, since: date, limit: int = CANDIDATES) -> list[Candidate]:
    """Whom the Sent folder's mail since ``since`` went to most often (To and Cc), not ``me``.

    Reads headers only, through the same scan as a pass (nothing is stored or changed).
    """
    import email
    from collections import Counter
    from email import policy

    folders = mailbox.folders()
    scan = mailbox.scan(folders.sent, None, since=since)
    counts: Counter[str] = Counter()
    names: dict[str, str] = {}
    own = me.lower()
    for batch in scan.batches:
        for raw in batch:
            message = email.message_from_bytes(raw.header, policy=policy.default)
            seen: set[str] = set()
            for field_name in ("to", "cc"):
                try:
                    header = message[field_name]
                    addresses = header.addresses if header is not None else ()
                except (IndexError, ValueError, AttributeError):  # a malformed header: skip it
                    continue
                for address in addresses:
                    mail = (address.addr_spec or "").lower()
                    if "@" not in mail or mail == own or mail in seen:
                        continue
                    seen.add(mail)
                    counts[mail] += 1
                    if address.display_name and mail not in names:
                        names[mail] = address.display_name
    return [
        Candidate(Address(name=names.get(mail, ""), email=mail), n)
        for mail, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    ]


def _shown(address: Address) -> str:
    """ "Marta López <marta@acme.example>" as people write it (not RFC 2047-encoded)."""
    return f"{address.name} <{address.email}>" if address.name else address.email


def _client_id(address: Address, taken: set[str]) -> str:
    local, _, domain = address.email.partition("@")
    base = local if domain in _PUBLIC_DOMAINS else domain.split(".")[-2] if "." in domain else domain
    base = re.sub(r"[^a-z0-9_-]+", "-", base.lower()).strip("-") or "client"
    if not base[0].isalpha():
        base = f"c-{base}"
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    taken.add(candidate)
    return candidate


def clients_yaml_entries(chosen: list[Candidate]) -> str:
    """The `clients:` mapping for the chosen correspondents, for the freelancer to complete."""
    taken: set[str] = set()
    lines = ["clients:"]
    for candidate in chosen:
        address = candidate.address
        domain = address.email.partition("@")[2]
        company = domain not in _PUBLIC_DOMAINS
        client_id = _client_id(address, taken)
        name = domain.split(".")[0].capitalize() if company else (address.name or address.email)
        lines += [
            f"  {client_id}:",
            f"    name: {_q(name)}{'            # as you call them: change it' if company else ''}",
            f"    contact: {_q(_shown(address))}",
        ]
        if company:
            lines.append(f"    domains: [{_q(domain)}]   # anyone at {domain} counts as this client")
    return "\n".join(lines) + "\n"


def add_clients(path: Path, chosen: list[Candidate]) -> bool:
    """Put ``chosen`` into clients.yaml, only if it still has no client (`clients: {}`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return False
    empty = re.search(r"^clients:\s*\{\}\s*$", text, re.M)
    if empty is None:
        return False
    updated = text[: empty.start()] + clients_yaml_entries(chosen) + text[empty.end() :].lstrip("\n")
    path.write_text(updated, encoding="utf-8")
    return True


def _numbers(limit: int) -> Callable[[str], list[int]]:
    def check(text: str) -> list[int]:
        parts = text.replace(",", " ").split()
        if not all(p.isdigit() and 1 <= int(p) <= limit for p in parts):
            raise ValueError(f"numbers from 1 to {limit}, separated by spaces (or Enter for none)")
        return sorted({int(p) for p in parts})

    return check


def offer_clients(config, ask: Questions | None, today: date) -> list[str]:
    """With no client yet: the most frequent correspondents of the last months' Sent mail,
    offered as clients (asked which), or listed for a script. Returns the ids added."""
    from .engine import open_mailbox
    from .errors import AssistantError

    say = ask.say if ask else print
    since = date.fromordinal(today.toordinal() - CANDIDATE_DAYS)
    mailbox = open_mailbox(config.account(None))
    try:
        found = frequent_correspondents(mailbox, config.identity.email, since)
    except AssistantError as exc:
        say(f"Could not read your Sent mail to suggest clients ({exc}); add them to clients.yaml yourself.")
        return []
    finally:
        mailbox.close()
    say()
    if not found:
        say(f"No mail in Sent since {since}: add your clients to clients.yaml yourself.")
        return []
    say(f"You have no clients yet. Whom you wrote to most since {since} (Sent):")
    for number, candidate in enumerate(found, 1):
        plural = "s" if candidate.messages != 1 else ""
        say(f"  {number}. {_shown(candidate.address)} ({candidate.messages} message{plural})")
    if ask is None:
        say("Add the ones who are clients to clients.yaml (`init` without --non-interactive asks).")
        return []
    numbers = ask.ask(
        "Which are your clients? Their numbers (e.g. 1 3), or Enter for none", "", _numbers(len(found))
    )
    chosen = [found[n - 1] for n in numbers]
    if not chosen:
        return []
    path = config.rules_dir / "clients.yaml"
    if not add_clients(path, chosen):
        say(f"{path} already lists clients: add these yourself:")
        say(clients_yaml_entries(chosen))
        return []
    ids = re.findall(r"^  ([a-z][a-z0-9_-]*):$", clients_yaml_entries(chosen), re.M)
    say(f"Added to {path}: {', '.join(ids)} (check their names, language and country there).")
    return ids
