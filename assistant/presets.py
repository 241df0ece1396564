"""Mail providers `init` knows: where their IMAP server is and how one signs in there.

Data, not logic: each preset is what the provider documents for a mail client (server,
port, security, sign-in, the user name it expects), plus what the assistant needs to know
beyond that (folder names as a hint, the SMTP server for the opt-in sending). A preset only
fills in config.yaml; nothing else in the program asks which provider it talks to.

Checked against the providers' published client settings (2024-2025):

* Gmail: imap.gmail.com:993 over TLS. A plain password is refused; an *app password*
  (needs 2-Step Verification) or OAuth 2 (XOAUTH2) is accepted. The folders are
  ``[Gmail]/Sent Mail`` and ``[Gmail]/Drafts`` in English and localised otherwise
  (``[Gmail]/Enviados``...), so they are left to SPECIAL-USE, which Gmail announces.
  Gmail files what its SMTP server sends into Sent by itself: ``copy_to_sent: false``.
* Microsoft 365 and Outlook.com (hotmail.com, live.com): outlook.office365.com:993 over
  TLS, OAuth 2 only (basic authentication ended for Exchange Online in 2022 and for
  Outlook.com personal accounts on 16 September 2024).
* Fastmail: imap.fastmail.com:993 over TLS (no STARTTLS), the full address as user name,
  an app password (Settings > Privacy & Security > App passwords); the regular password is
  refused.
* iCloud Mail (icloud.com, me.com, mac.com): imap.mail.me.com:993 over TLS, an
  app-specific password (appleid.apple.com). Apple documents the user name as the name
  part of the address ("emilyparker", not "emilyparker@icloud.com") and says to try the
  full address if that is refused; SMTP (smtp.mail.me.com:587, STARTTLS) wants the full
  address.
* generic: any other server; `init` asks for the host, the port follows the security.
* local: an IMAP server on this machine (a test Dovecot, a mail bridge), plaintext, which
  the configuration allows only to a loopback address.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Auth = Literal["password", "xoauth2"]
Security = Literal["tls", "starttls", "plain"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Smtp:
    """Where the opt-in sending (`action: send`) goes; written commented out by `init`."""

    host: str
    port: int
    security: Security
    full_address_as_user: bool = False  # when the IMAP user name is not the full address
    copy_to_sent: bool | None = None  # None: the program's default (keep a copy)


@dataclass(frozen=True, slots=True, kw_only=True)
class Preset:
    name: str  # what --provider takes
    title: str  # what the freelancer calls it
    host: str  # "" (generic): asked
    port: int  # 0: from the security (993 for tls, 143 otherwise)
    security: Security
    auth: tuple[Auth, ...]  # accepted ways to sign in, the usual one first
    username: Literal["address", "local-part"] = "address"
    sent: str = ""  # the folder names, as a hint in the written config (SPECIAL-USE finds them)
    drafts: str = ""
    smtp: Smtp | None = None
    # What the freelancer must do at the provider before the first login, in one line.
    password_hint: str = ""
    token_hint: str = ""


GMAIL = Preset(
    name="gmail",
    title="Gmail",
    host="imap.gmail.com",
    port=993,
    security="tls",
    auth=("password", "xoauth2"),
    sent="[Gmail]/Sent Mail",
    drafts="[Gmail]/Drafts",
    smtp=Smtp(host="smtp.gmail.com", port=465, security="tls", copy_to_sent=False),
    password_hint=(
        "an app password, not your Google password: Google Account > Security > "
        "2-Step Verification > App passwords"
    ),
    token_hint="a command printing a Google OAuth 2 access token for the https://mail.google.com/ scope",
)

OUTLOOK = Preset(
    name="outlook",
    title="Microsoft 365 / Outlook.com",
    host="outlook.office365.com",
    port=993,
    security="tls",
    auth=("xoauth2",),
    sent="Sent Items",
    drafts="Drafts",
    smtp=Smtp(host="smtp.office365.com", port=587, security="starttls"),
    token_hint=(
        "Microsoft accepts only OAuth 2 here: a command printing an access token, "
        "from a helper such as pizauth or mutt_oauth2.py"
    ),
)

FASTMAIL = Preset(
    name="fastmail",
    title="Fastmail",
    host="imap.fastmail.com",
    port=993,
    security="tls",
    auth=("password",),
    sent="Sent",
    drafts="Drafts",
    smtp=Smtp(host="smtp.fastmail.com", port=465, security="tls"),
    password_hint="an app password: Settings > Privacy & Security > App passwords (your login password is refused)",
)

ICLOUD = Preset(
    name="icloud",
    title="iCloud Mail",
    host="imap.mail.me.com",
    port=993,
    security="tls",
    auth=("password",),
    username="local-part",
    sent="Sent Messages",
    drafts="Drafts",
    smtp=Smtp(host="smtp.mail.me.com", port=587, security="starttls", full_address_as_user=True),
    password_hint="an app-specific password: appleid.apple.com > Sign-In and Security > App-Specific Passwords",
)

GENERIC = Preset(
    name="generic",
    title="another provider",
    host="",
    port=0,
    security="tls",
    auth=("password", "xoauth2"),
)

LOCAL = Preset(
    name="local",
    title="an IMAP server on this machine",
    host="127.0.0.1",
    port=143,
    security="plain",
    auth=("password",),
)

PRESETS: dict[str, Preset] = {p.name: p for p in (GMAIL, OUTLOOK, FASTMAIL, ICLOUD, GENERIC, LOCAL)}

# Address domains whose provider is certain. A custom domain hosted at one of them is
# not guessable from the address: `init` asks.
DOMAINS: dict[str, str] = {
    "gmail.com": "gmail",
    "googlemail.com": "gmail",
    "outlook.com": "outlook",
    "hotmail.com": "outlook",
    "live.com": "outlook",
    "fastmail.com": "fastmail",
    "fastmail.fm": "fastmail",
    "icloud.com": "icloud",
    "me.com": "icloud",
    "mac.com": "icloud",
}


def guess_provider(address: str) -> str | None:
    """The preset name for the address's domain, or None when only the freelancer knows."""
    return DOMAINS.get(address.rpartition("@")[2].strip().lower())


def username_for(preset: Preset, address: str) -> str:
    return address.partition("@")[0] if preset.username == "local-part" else address
