"""The mailbox port over IMAP (imapclient), safe by default and cheap per pass.

* TLS with verified certificates (implicit TLS or STARTTLS); plaintext only where the
  configuration allows it (loopback, explicitly). Every socket has a timeout.
* Folders are read with EXAMINE (read-only) and bodies with BODY.PEEK, so reading never
  sets \\Seen or anything else. The only write is APPEND.
* Drafts and Sent are found by SPECIAL-USE, then by their usual names.
* A scan fetches what is new since the stored checkpoint (UIDVALIDITY, UIDNEXT,
  HIGHESTMODSEQ): headers of new UIDs in large batches, and flags changed since the
  stored MODSEQ (CONDSTORE) for the messages the engine watches. The bulk FETCH goes
  through ``imapwire`` (imapclient's parser is the slow part); everything else uses
  imapclient.
* The paid tag in the folders the freelancer files mail into (``tag_changes``): one
  pipelined STATUS for all of them; only a folder whose HIGHESTMODSEQ moved is EXAMINEd
  and searched (``UID SEARCH MODSEQ n KEYWORD``), and only newly tagged messages have
  their Message-ID read. Without CONDSTORE every folder is searched for the keyword at
  every pass, and still only the Message-IDs of UIDs not seen tagged before are read.

Library and socket errors are translated into ``errors.MailboxError`` subclasses here.
"""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import ssl
import time
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from functools import partial
from typing import Any, TypeVar

import imapclient
from imapclient.exceptions import IMAPClientError, LoginError
from imapclient.imap_utf7 import decode as decode_utf7
from imapclient.imapclient import DRAFTS, SENT, SocketTimeout
from imapclient.response_parser import parse_response

from ..errors import FolderMissing, LoginFailed, MailboxError, MailboxUnavailable, TLSError
from . import imapwire
from .mailbox import (
    DRAFTS_NAMES,
    SENT_NAMES,
    Folders,
    FolderScan,
    FoundBy,
    ListedFolder,
    MailboxProfile,
    RawHeader,
    TagChange,
    TagCheckpoint,
    TagScan,
    Uid,
    WithdrawOutcome,
    draft_sha256,
    filed_folders,
    pick_folder,
    usual_folders,
)
from .parse import HEADER_FIELDS, message_id_of

log = logging.getLogger(__name__)
# imapclient's DEBUG output contains the raw protocol, LOGIN included. Never let it through.
logging.getLogger("imapclient").setLevel(logging.WARNING)

HEADER_BATCH = 2000  # UIDs per header FETCH: large, so a scan is a few round trips
REEXAMINE = 600.0  # seconds a kept-open folder goes without a fresh EXAMINE
BODY_BATCH = 100  # whole messages per FETCH at most...
BODY_BYTES = 8 * 1024 * 1024  # ...and about this many bytes: they may carry 20 MB PDFs
PIPELINE = 2  # FETCH commands on the wire at once
_HEADER_ITEMS = (
    f"(UID FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS ({' '.join(f.upper() for f in HEADER_FIELDS)})])"
)
_APPENDUID = re.compile(rb"APPENDUID\s+(\d+)\s+(\d+)", re.I)
_MESSAGE_ID_ITEMS = "(UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])"

T = TypeVar("T")


def tls_context(ca_file: str = "") -> ssl.SSLContext:
    """Verified TLS: the system's CAs, or only ``ca_file`` when one is configured."""
    context = ssl.create_default_context(cafile=ca_file or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


class ImapMailbox:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        username: str,
        password: str | Callable[[], str],
        security: str = "tls",
        ca_file: str = "",
        timeout: float = 30.0,
        inbox: str = "INBOX",
        sent: str = "",
        drafts: str = "",
        auth: str = "password",
        own_address: str = "",
        filed: Sequence[str] | None = None,
    ):
        self.host = host
        # The freelancer's address: among several folders named like Sent, the one holding
        # mail from it is Sent (a stray empty "Sent" beside the real "Sent Items").
        self.own_address = own_address
        self.port = port
        self.username = username
        self._password = password  # or the OAuth 2 access token when auth is "xoauth2"
        self.auth = auth
        self.security = security
        self.ca_file = ca_file
        self.timeout = timeout
        self._names = (inbox or "INBOX", sent, drafts)
        self._filed = tuple(filed) if filed is not None else None  # None: every folder but...
        self._client: imapclient.IMAPClient | None = None
        self._folders: Folders | None = None
        self._selected: str | None = None
        self._sessions: dict[str, imapclient.IMAPClient] = {}  # folder -> connection keeping it selected
        self._examined: dict[str, float] = {}
        self._condstore = False
        self._capabilities: frozenset[str] = frozenset()  # as announced after the last login
        self._found: dict[str, FoundBy] = {}  # how folders() found Sent and Drafts
        self._signed_in_with = "LOGIN"
        self._evidence: dict[str, str] = {}  # role -> what folders() chose it by
        self.round_trips = 0  # commands sent; the benchmark reads it
        self._inflight: dict[int, list[_Pipeline]] = {}  # id(connection) -> FETCH pipelines on it
        self._refused: list[tuple[str, Uid, str]] = []  # (folder, uid, why): see take_refused

    def describe(self) -> str:
        return f"IMAP {self.username}@{self.host}:{self.port}"

    # ----------------------------------------------------------------- connection

    def _guard(self, what: str, call: Callable[[], T]) -> T:
        """Run one IMAP interaction; translate whatever breaks into our error tree."""
        try:
            return call()
        except MailboxError:
            raise
        except ssl.SSLCertVerificationError as exc:
            self._drop()
            raise TLSError(
                f"{self.describe()}: the server's certificate is not trusted ({exc.verify_message}); "
                f"if this server uses its own CA, set ca_file in config.yaml"
            ) from None
        except ssl.SSLError as exc:
            self._drop()
            raise TLSError(f"{self.describe()}: TLS failed during {what} ({exc.reason or exc})") from None
        except LoginError as exc:
            self._drop()
            lost = _connection_lost(exc)
            if lost is None:
                raise LoginFailed(
                    f"{self.describe()}: the server refused the user name or password"
                ) from None
            raise MailboxUnavailable(f"{self.describe()}: {what}: connection lost ({_short(lost)})") from None
        except (TimeoutError, OSError, EOFError) as exc:
            self._drop()
            reason = (
                "timed out"
                if isinstance(exc, TimeoutError | socket.timeout)
                else (exc.strerror or type(exc).__name__)
            )
            raise MailboxUnavailable(f"{self.describe()}: {what}: {reason}") from None
        except UnicodeError:
            # Whatever text the library could not encode, its message would quote it (a
            # character of a password, and where): say what, never which.
            self._drop()
            raise MailboxError(
                f"{self.describe()}: {what}: text the server cannot take (not ASCII)"
            ) from None
        except imapclient.IMAPClient.AbortError as exc:
            self._drop()
            raise MailboxUnavailable(f"{self.describe()}: {what}: connection lost ({_short(exc)})") from None
        except (IMAPClientError, imapclient.IMAPClient.Error) as exc:
            raise MailboxError(f"{self.describe()}: {what}: {_short(exc)}") from None

    def open_client(self, *, read_timeout: float | None = None) -> imapclient.IMAPClient:
        """A new, logged-in connection (TLS verified, timeouts set). Raises library errors."""
        context = tls_context(self.ca_file)
        client = imapclient.IMAPClient(
            self.host,
            port=self.port,
            ssl=self.security == "tls",
            ssl_context=context if self.security == "tls" else None,
            timeout=SocketTimeout(connect=self.timeout, read=read_timeout or self.timeout),
        )
        # imapclient turns imaplib's protocol trace on (debug 5) and routes it to a logger we
        # keep silent (it would show LOGIN); imaplib still formats every line it reads with
        # %r first, 10 % of a 100k first scan (bench/). Off: nothing of it is ever shown.
        client._imap.debug = 0
        try:
            if self.security == "starttls":
                client.starttls(context)
            secret = self._password() if callable(self._password) else self._password
            if self.auth == "xoauth2":
                client.oauth2_login(self.username, secret)
            elif (self.username + secret).isascii():
                client.login(self.username, secret)
            else:
                self._plain_login(client, secret)
            self.round_trips += 2
        except BaseException:
            with contextlib.suppress(Exception):
                client.shutdown()
            raise
        return client

    def _plain_login(self, client: imapclient.IMAPClient, secret: str) -> None:
        """A user name or password beyond ASCII (``contraseña``): AUTHENTICATE PLAIN.

        LOGIN's quoted strings are ASCII (imaplib refuses anything else, and its error
        quoted the character and its position); SASL PLAIN carries UTF-8 (RFC 4616).
        """
        if not client.has_capability("AUTH=PLAIN"):
            raise LoginFailed(
                f"{self.describe()}: the user name or password has non-ASCII characters, which only "
                "AUTHENTICATE PLAIN can carry, and this server does not offer it; "
                "use an ASCII password (an app password) for this account"
            )
        self._signed_in_with = "AUTHENTICATE PLAIN (UTF-8)"
        client.plain_login(self.username, secret)

    def _new_connection(self) -> imapclient.IMAPClient:
        client = self.open_client()
        try:
            # After LOGIN: what the server offers a signed-in user (Dovecot sends it with the
            # OK; otherwise this is one CAPABILITY command, which has_capability needs anyway).
            self._capabilities = frozenset(
                (c.decode("ascii", "replace") if isinstance(c, bytes) else str(c)).upper()
                for c in client.capabilities()
            )
            if client.has_capability("CONDSTORE") and client.has_capability("ENABLE"):
                # Must come before any SELECT (imapclient pitfall, ARCHITECTURE.md).
                client.enable("CONDSTORE")
                self._condstore = True
                self.round_trips += 1
        except BaseException:
            with contextlib.suppress(Exception):
                client.shutdown()
            raise
        return client

    def _connect(self) -> imapclient.IMAPClient:
        """The general connection: folder list, Drafts, APPEND."""
        if self._client is None:
            self._client = self._guard("connecting", self._new_connection)
            self._selected = None
        return self._client

    def watcher(self, folder: str) -> IdleWatcher:
        """A second connection that IDLEs on ``folder`` (see IdleWatcher)."""
        return IdleWatcher(self, folder)

    def _drop(self) -> None:
        """After any connection failure: forget every connection; the next call reconnects."""
        clients = [self._client, *self._sessions.values()]
        for pipelines in self._inflight.values():
            for pipeline in pipelines:
                pipeline.broken = True
        self._inflight.clear()
        self._client, self._selected = None, None
        self._sessions.clear()
        self._examined.clear()
        for client in clients:
            if client is not None:
                with contextlib.suppress(Exception):
                    client.shutdown()

    def close(self) -> None:
        for client in [self._client, *self._sessions.values()]:
            if client is not None:
                with contextlib.suppress(Exception):
                    client.logout()
        self._drop()

    def _select(self, folder: str) -> dict[bytes, Any]:
        client = self._connect()
        self._quiet(client)
        info = self._guard(f"opening {folder}", lambda: client.select_folder(folder, readonly=True))
        self.round_trips += 1
        self._selected = folder
        return info

    def _session(self, folder: str) -> tuple[imapclient.IMAPClient, dict[bytes, Any] | None]:
        """A connection that keeps ``folder`` selected between passes, and the EXAMINE
        answer when it (re)selected the folder.

        On a large Maildir, Dovecot needs 80-300 ms to EXAMINE a folder and 1-2 ms for a
        NOOP on a folder already selected (bench/); a service holding these connections
        makes an incremental pass cost the same at 1,000 messages as at 100,000. The folder
        is examined again every REEXAMINE seconds to refresh UIDVALIDITY and MODSEQ.
        """
        client = self._sessions.get(folder)
        if client is not None:
            self._quiet(client)
        if client is not None and time.monotonic() - self._examined.get(folder, 0.0) < REEXAMINE:
            self._guard(f"checking {folder}", client.noop)
            self.round_trips += 1
            return client, None
        if client is None:
            client = self._guard("connecting", self._new_connection)
            self._sessions[folder] = client
        info = self._guard(f"opening {folder}", lambda: client.select_folder(folder, readonly=True))
        self.round_trips += 1
        self._examined[folder] = time.monotonic()
        return client, info

    def _reader(self, folder: str) -> imapclient.IMAPClient:
        """A connection with ``folder`` selected, without asking the server anything new."""
        client = self._sessions.get(folder)
        if client is not None:
            return client
        if self._selected != folder:
            self._select(folder)
        return self._connect()

    # ----------------------------------------------------------------- folders

    def folders(self) -> Folders:
        if self._folders is not None:
            return self._folders
        client = self._connect()
        self._quiet(client)
        listing = self._guard("listing folders", client.list_folders)
        self.round_trips += 1
        names = [name for _, _, name in listing]
        by_flag: dict[bytes, str] = {}
        for flags, _, name in listing:
            for flag in flags:
                by_flag.setdefault(flag.lower() if isinstance(flag, bytes) else flag.encode().lower(), name)
        inbox, sent, drafts = self._names
        found: dict[str, FoundBy] = {}
        for role, configured, flag in (("sent", sent, SENT), ("drafts", drafts, DRAFTS)):
            if configured:
                found[role] = "config"
            elif by_flag.get(flag.lower()):
                found[role] = "special-use"
            else:
                found[role] = "usual name"
        evidence: dict[str, str] = {}
        if found["sent"] == "usual name" and len(usual_folders(SENT_NAMES, names)) > 1:
            sent, evidence["sent"] = self._sent_by_evidence(client, usual_folders(SENT_NAMES, names))
            found["sent"] = "evidence"
        sent = sent or by_flag.get(SENT.lower()) or pick_folder(SENT_NAMES, names)
        drafts = drafts or by_flag.get(DRAFTS.lower()) or pick_folder(DRAFTS_NAMES, names)
        for role, name in (("Sent", sent), ("Drafts", drafts), ("INBOX", inbox)):
            if not name or (name not in names and name.upper() != "INBOX"):
                raise FolderMissing(
                    f"{self.describe()}: no {role} folder found (by SPECIAL-USE or usual names) "
                    f"among: {', '.join(names[:20])}; set folders.{role.lower()} in config.yaml"
                )
        self._folders = Folders(inbox=inbox, sent=sent, drafts=drafts)
        self._found = found
        self._evidence = evidence
        return self._folders

    def _sent_by_evidence(self, client: imapclient.IMAPClient, candidates: list[str]) -> tuple[str, str]:
        """Among folders that could be Sent, the one holding the freelancer's own mail.

        Without SPECIAL-USE, a usual name is a guess: an old client may have left an empty
        "Sent" beside the real "Sent Items", and the wrong guess finds no invoice, silently.
        Mail from the freelancer's address decides; then the number of messages; then the
        order of the usual names.
        """
        counted = []
        for rank, name in enumerate(candidates):
            info = self._guard(f"opening {name}", partial(client.select_folder, name, readonly=True))
            self._selected = name
            total = int(info.get(b"EXISTS", 0))
            own = 0
            if self.own_address and total:
                own = len(
                    self._guard(f"searching {name}", partial(client.search, ["FROM", self.own_address]))
                )
                self.round_trips += 1
            self.round_trips += 1
            counted.append((own, total, -rank, name))
        own, total, _, chosen = max(counted)
        what = f"from {self.own_address}" if self.own_address else "in it"
        others = "; ".join(
            f"{name!r} {n_own if self.own_address else n_total}"
            for n_own, n_total, _, name in counted
            if name != chosen
        )
        held = own if self.own_address else total
        return chosen, f"{held} message{'s' if held != 1 else ''} {what} (the other candidates: {others})"

    def profile(self) -> MailboxProfile:
        """How Sent and Drafts were found and what the server offers (connects if needed)."""
        folders = self.folders()
        writable, why = self._may_append(folders.drafts)
        filed, missing = self.filed()
        return MailboxProfile(
            kind="imap",
            folders=folders,
            found=dict(self._found),
            capabilities=self._capabilities,
            signed_in_with="XOAUTH2" if self.auth == "xoauth2" else self._signed_in_with,
            condstore=self._condstore,
            evidence=dict(self._evidence),
            drafts_writable=writable,
            drafts_why=why,
            filed=tuple(filed),
            filed_missing=tuple(missing),
            filed_configured=self._filed is not None,
        )

    def _may_append(self, folder: str) -> tuple[bool | None, str]:
        """Whether this login may APPEND to ``folder``: the ACL extension's MYRIGHTS (RFC 4314,
        right 'i'), asked without writing anything; None where the server has no ACL."""
        if "ACL" not in self._capabilities:
            return None, ""
        client = self._connect()
        # imapclient has no MYRIGHTS; imaplib's, on its connection, answers `"Drafts" lr`.
        typ, data = self._guard(
            f"asking the rights on {folder}", partial(client._imap.myrights, client._normalise_folder(folder))
        )
        self.round_trips += 1
        answer = data[-1] if typ == "OK" and data and data[-1] else b""
        rights = (answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)).split()
        if not rights:
            return None, ""
        mine = rights[-1]
        return "i" in mine, f"the server's ACL gives this login the rights {mine!r}; appending needs 'i'"

    # ----------------------------------------------------------------- reading

    def _uid_fetch(
        self, uids: str, items: str, modifiers: str | None = None, *, client: imapclient.IMAPClient
    ) -> list[dict[bytes, Any]]:

        def run() -> list[dict[bytes, Any]]:
            imap = client._imap  # imaplib underneath imapclient: raw lines, no parsing
            args = ["FETCH", uids, items] + ([modifiers] if modifiers else [])
            tag = imap._command("UID", *args)
            typ, data = imap._command_complete("FETCH", tag)
            if typ != "OK":
                raise MailboxError(f"{self.describe()}: FETCH failed: {_short(data)}")
            typ, data = imap._untagged_response(typ, data, "FETCH")
            return imapwire.parse_fetch(data)

        self._quiet(client)
        self.round_trips += 1
        try:
            return self._guard("fetching", run)
        except imapwire.WireError as exc:
            raise MailboxError(f"{self.describe()}: unreadable FETCH response ({exc})") from None

    def _pipelined(
        self, uid_sets: Iterable[str], items: str, *, client: imapclient.IMAPClient, ahead: int = PIPELINE
    ) -> Iterator[list[dict[bytes, Any]]]:
        """One FETCH per UID set, ``ahead`` of them on the wire at once (see _Pipeline).

        The caller may send other commands on the same connection between two batches
        (the engine fetches the bodies of one header batch's candidates before the next):
        every command first has this connection's pipelines read what is still on the wire.
        """
        self._quiet(client)
        pipeline = _Pipeline(self, client, uid_sets, items, ahead)
        running = self._inflight.setdefault(id(client), [])
        running.append(pipeline)
        try:
            yield from pipeline.batches()
        finally:
            if pipeline in running:
                running.remove(pipeline)
            if pipeline.tags and not pipeline.broken:
                # The reader stopped early: answers still on the wire would be misread.
                self._drop()

    def _quiet(self, client: imapclient.IMAPClient) -> None:
        """Before a command on ``client``: read the answers its pipelines still expect."""
        for pipeline in self._inflight.get(id(client), ()):
            pipeline.settle()

    def _search(self, criteria: list[Any], *, client: imapclient.IMAPClient) -> list[int]:
        self._quiet(client)
        self.round_trips += 1
        if any(isinstance(c, str) and c.upper() == "HEADER" for c in criteria):
            return sorted(self._guard("searching", lambda: client.search(criteria)))
        return self._guard("searching", lambda: self._uids_of(criteria, client))

    def _uids_of(self, criteria: list[Any], client: imapclient.IMAPClient) -> list[int]:
        """UID SEARCH by UID range and day, the numbers read straight from the raw line.

        imapclient's parser needs 15 MB at its peak for the 70,000 UIDs of a large INBOX
        (bench/): a fifth of a first scan's memory. Header searches, with quoting and
        charsets to get right, still go through imapclient.
        """
        args = [_imap_date(c) if isinstance(c, date) else str(c) for c in criteria]
        typ, data = client._imap.uid("SEARCH", *args)
        if typ != "OK":
            raise MailboxError(f"{self.describe()}: SEARCH failed: {_short(data)}")
        # A search with MODSEQ ends its answer with "(MODSEQ n)" (RFC 7162): not a UID.
        return sorted(
            int(n) for line in data if isinstance(line, bytes) for n in line.split(b"(", 1)[0].split()
        )

    def scan(
        self,
        folder: str,
        checkpoint: dict[str, Any] | None,
        *,
        since: date | None = None,
        watch: Collection[Uid] = (),
    ) -> FolderScan:
        client, info = self._session(folder)
        if info is None and checkpoint is not None:
            # Still selected since the last pass (a NOOP told the server to report news):
            # UIDVALIDITY cannot have changed under a selected folder, MODSEQ is as examined.
            validity = int(checkpoint.get("uidvalidity", 0))
            uidnext, modseq, exists = 0, int(checkpoint.get("highestmodseq", 0)), 1
        else:
            info = (
                info
                if info is not None
                else self._guard(f"opening {folder}", lambda: client.select_folder(folder, readonly=True))
            )
            validity = int(info.get(b"UIDVALIDITY", 0))
            uidnext = int(info.get(b"UIDNEXT", 0))
            modseq = int(info.get(b"HIGHESTMODSEQ", 0))
            exists = int(info.get(b"EXISTS", 0))
        reset = checkpoint is None or checkpoint.get("uidvalidity") != validity
        if reset and checkpoint is not None:
            log.warning(
                "%s: %s UIDVALIDITY changed (%s -> %s); rescanning it",
                self.describe(),
                folder,
                checkpoint.get("uidvalidity"),
                validity,
            )
        start = 1 if reset else int(checkpoint.get("uidnext", 1))
        # The rest of an interrupted first scan: its checkpoint says how far it got and the
        # SINCE day it searched with, so it goes on reading what the whole scan would have.
        first = reset or bool(checkpoint.get("first"))
        first_since = since if reset else _day(checkpoint.get("since"))

        new: list[int] = []
        if exists and (reset or not uidnext or start < uidnext):
            if reset and since is not None:
                new = self._search(["SINCE", since], client=client)
            elif first_since is not None:
                criteria: list[Any] = ["UID", f"{start}:*", "SINCE", first_since]
                new = [u for u in self._search(criteria, client=client) if u >= start]
            else:
                new = [u for u in self._search(["UID", f"{start}:*"], client=client) if u >= start]
            if uidnext:
                new = [u for u in new if u < uidnext]  # later arrivals belong to the next pass

        changes: list[tuple[Uid, frozenset[str]]] = []
        watched = sorted(int(u) for u in watch)
        if not reset and watched:
            old_modseq = int(checkpoint.get("highestmodseq", 0))
            if self._condstore and old_modseq:
                if modseq != old_modseq or info is None:
                    rows = self._uid_fetch(
                        imapwire.uid_set(watched),
                        "(UID FLAGS)",
                        f"(CHANGEDSINCE {old_modseq})",
                        client=client,
                    )
                    changes = [(row[b"UID"], _flags(row)) for row in rows if b"UID" in row]
            else:
                # No CONDSTORE: read the flags of the few watched messages every pass.
                rows = self._uid_fetch(imapwire.uid_set(watched), "(UID FLAGS)", client=client)
                changes = [(row[b"UID"], _flags(row)) for row in rows if b"UID" in row]

        after = {
            "uidvalidity": validity,
            "uidnext": uidnext or (max(new) + 1 if new else start),
            "highestmodseq": modseq,
        }

        def batches() -> Iterator[list[RawHeader]]:
            chunks = [new[i : i + HEADER_BATCH] for i in range(0, len(new), HEADER_BATCH)]
            # Dovecot may start answering a pipelined FETCH before the one ahead of it has
            # completed, so an answer can hold rows of the next chunk. They wait here for
            # their own chunk: each batch is exactly its chunk (all of a chunk's rows have
            # come once its command completed), and ``partial`` is exact.
            early: dict[int, dict[bytes, Any]] = {}
            answers = self._resilient(folder, chunks, _HEADER_ITEMS, client=client)
            for number, rows in enumerate(answers):
                for row in rows:
                    if b"UID" in row:
                        early.setdefault(row[b"UID"], {}).update(row)
                yield [
                    RawHeader(
                        uid=row[b"UID"],
                        flags=_flags(row),
                        header=imapwire.body_item(row) or b"",
                        size=row.get(b"RFC822.SIZE", 0),
                    )
                    for row in (early.pop(uid) for uid in chunks[number] if uid in early)
                ]

        def partial(done: int) -> dict[str, Any] | None:
            if done * HEADER_BATCH >= len(new):
                return None
            mark: dict[str, Any] = {
                "uidvalidity": validity,
                "uidnext": new[done * HEADER_BATCH - 1] + 1,
                # Flag changes are read after the batches: the next scan asks from the old MODSEQ.
                "highestmodseq": 0 if reset else int(checkpoint.get("highestmodseq", 0)),
            }
            if first:
                mark["first"] = True
                if first_since is not None:
                    mark["since"] = first_since.isoformat()
            return mark

        return FolderScan(
            folder=folder, checkpoint=after, reset=reset, batches=batches(), flag_changes=changes,
            total=len(new), first=first, partial=partial,
        )  # fmt: skip

    def fetch(
        self, folder: str, uids: Sequence[Uid], sizes: Mapping[Uid, int] | None = None
    ) -> Iterator[tuple[Uid, bytes]]:
        """Whole messages, in batches of at most BODY_BATCH messages or BODY_BYTES bytes
        (by the sizes a scan saw), pipelined like the header batches."""
        client = self._sessions.get(folder)
        if client is not None and any(p.tags for p in self._inflight.get(id(client), ())):
            # The next header batches are on the wire on the folder's own connection:
            # reading bodies there would first wait for them, a round trip per batch on a
            # slow link (bench/: +25 ms each way cost 1.8x). The general connection reads
            # the bodies meanwhile; one EXAMINE per folder and pass, only on long scans.
            if self._selected != folder:
                self._select(folder)
            client = self._connect()
        else:
            client = self._reader(folder)
        chunks = list(_body_batches([int(u) for u in uids], sizes or {}))
        for rows in self._resilient(folder, chunks, "(UID BODY.PEEK[])", client=client):
            for row in rows:
                body = imapwire.body_item(row)
                if b"UID" in row and body is not None:
                    yield row[b"UID"], body

    def _resilient(
        self, folder: str, chunks: list[list[int]], items: str, *, client: imapclient.IMAPClient
    ) -> Iterator[list[dict[bytes, Any]]]:
        """The rows of each chunk, pipelined; after a FETCH the server refused, one by one.

        Dovecot answers a message it cannot read (a damaged or unreadable file) with
        "BYE Internal error" and closes the connection: the whole batch fails, and so would
        every pass. So after a FETCH the server refused in words (not a reset or a timeout:
        those fail the pass as before) the chunks left are read again on a fresh
        connection, each alone, and a chunk that fails again message by message: a message
        refused alone twice, on a connection that worked for its neighbours, is left out and
        remembered (``take_refused``); the scan goes on past it. When the server cannot be
        reached at all, that error goes up as before and nothing is skipped.
        """
        answers = self._pipelined((imapwire.uid_set(c) for c in chunks), items, client=client)
        done = 0
        try:
            for rows in answers:
                yield rows
                done += 1
            return
        except MailboxError as exc:
            if not _refused(exc):
                raise  # the network or the server as a whole: the pass fails, nothing is skipped
            failure = exc
        finally:
            answers.close()  # drops the connection if answers are still on the wire
        log.warning(
            "%s: reading %s failed (%s); reading the rest of it message by message",
            self.describe(),
            folder,
            _refusal(str(failure).removeprefix(f"{self.describe()}: ")),
        )
        for chunk in chunks[done:]:
            yield self._alone(folder, chunk, items)

    def _alone(self, folder: str, uids: list[int], items: str) -> list[dict[bytes, Any]]:
        try:
            return self._uid_fetch(imapwire.uid_set(uids), items, client=self._reader(folder))
        except MailboxError as exc:
            if not _refused(exc):
                raise
            if len(uids) == 1:
                return self._last_try(folder, uids[0], items)
        rows: list[dict[bytes, Any]] = []
        for uid in uids:
            try:
                rows += self._uid_fetch(str(uid), items, client=self._reader(folder))
            except MailboxError as exc:
                if not _refused(exc):
                    raise
                rows += self._last_try(folder, uid, items)
        return rows

    def _last_try(self, folder: str, uid: int, items: str) -> list[dict[bytes, Any]]:
        """A message refused alone once: once more, then left out. Reconnecting is not its
        fault: an error there (the server gone) goes up and skips nothing."""
        reader = self._reader(folder)
        try:
            return self._uid_fetch(str(uid), items, client=reader)
        except MailboxError as exc:
            if not _refused(exc):
                raise
            why = _refusal(str(exc).removeprefix(f"{self.describe()}: "))
        # The connection must work for what follows it, or this was the network, not the message.
        self._guard("checking the connection", self._reader(folder).noop)
        if not any(f == folder and u == uid for f, u, _ in self._refused):
            self._refused.append((folder, uid, why))
        log.warning("%s: %s message %s could not be read (%s); left out", self.describe(), folder, uid, why)
        return []

    def take_refused(self) -> list[tuple[str, Uid, str]]:
        """The messages the server refused to FETCH since the last call: (folder, uid, why)."""
        refused, self._refused = self._refused, []
        return refused

    # ----------------------------------------------------------------- the paid tag in filed folders

    def filed(self) -> tuple[list[str], list[str]]:
        """The folders the paid tag is read in (``mailbox.filed_folders``), and the configured
        names that match none. One LIST: an archive folder made today counts today."""
        folders = self.folders()
        client = self._connect()
        self._quiet(client)
        listing = self._guard("listing folders", client.list_folders)
        self.round_trips += 1
        listed = [
            ListedFolder(
                name=str(name),
                flags=frozenset(_text(flag).lower() for flag in flags),
                delimiter=_text(delimiter) if delimiter else "",
            )
            for flags, delimiter, name in listing
        ]
        return filed_folders(listed, self._filed, folders)

    def tag_changes(self, keyword: str, checkpoints: Mapping[str, TagCheckpoint]) -> TagScan:
        """The paid keyword set or cleared in each filed folder since its checkpoint.

        One LIST and one pipelined STATUS for all the folders; a folder whose HIGHESTMODSEQ
        has not moved costs nothing more. Any other is EXAMINEd (or read on the connection
        that keeps it selected) and searched: with CONDSTORE, ``UID SEARCH MODSEQ n KEYWORD``
        for what was tagged since, ``UID SEARCH UID <tagged> MODSEQ n UNKEYWORD`` for what
        was cleared, and ``UID SEARCH UID <tagged>`` only when the counts say something was
        expunged; without it (or on a mailbox without MODSEQ), ``UID SEARCH KEYWORD`` and a
        search of the UIDs that no longer match. Only newly tagged UIDs have their Message-ID
        read (BODY.PEEK). A new UIDVALIDITY (or another keyword) reads the folder afresh.
        """
        names, missing = self.filed()
        scan = TagScan(folders=names, missing=missing)
        statuses = self._statuses(names) if names else {}
        for name in names:
            before = checkpoints.get(name)
            status = statuses.get(name)
            if status is None:
                if before is not None:
                    scan.checkpoints[name] = before  # not answered this time: kept as it was
                continue
            self._tag_folder(name, keyword, status, before, scan)
        return scan

    def _statuses(self, names: Sequence[str]) -> dict[str, dict[bytes, int]]:
        """STATUS of every folder in ``names``, pipelined: one round trip whatever their number.
        A folder the server answers NO for (deleted since the LIST) is left out.

        STATUS of the folder a connection has selected answers from that connection's view,
        as of its last sync (Dovecot: a flag another client set since did not move its
        HIGHESTMODSEQ, even with a NOOP pipelined ahead), and a SEARCH there would miss it
        too. So a folder selected on this connection is let go first (UNSELECT, RFC 3691;
        else a NOOP, which syncs it): then every STATUS is current, and a folder searched
        after it is EXAMINEd afresh.
        """
        client = self._connect()
        self._quiet(client)
        if self._selected is not None and self._selected in names:
            if "UNSELECT" in self._capabilities:
                self._guard("closing a folder read-only", client.unselect_folder)
                self._selected = None
            else:
                self._guard("checking the folder", client.noop)
            self.round_trips += 1
        items = "(UIDVALIDITY UIDNEXT MESSAGES" + (" HIGHESTMODSEQ)" if self._condstore else ")")

        def run() -> list[Any]:
            imap = client._imap  # imapclient has one STATUS per round trip; these go together
            imap.untagged_responses.pop("STATUS", None)
            tags = [imap._command("STATUS", client._normalise_folder(name), items) for name in names]
            for tag in tags:
                imap._command_complete("STATUS", tag)
            return imap.untagged_responses.pop("STATUS", [])

        data = [line for line in self._guard("reading the folders' status", run) if line not in (b"", None)]
        self.round_trips += 1
        parsed = parse_response(data) if data else ()
        statuses: dict[str, dict[bytes, int]] = {}
        for position in range(0, len(parsed) - 1, 2):
            name, values = parsed[position], parsed[position + 1]
            if isinstance(name, bytes):
                name = decode_utf7(name) if client.folder_encode else name.decode("utf-8", "replace")
            pairs = list(values)
            statuses[str(name)] = {
                _text(pairs[i]).upper().encode(): int(pairs[i + 1]) for i in range(0, len(pairs) - 1, 2)
            }
        return statuses

    def _tag_folder(
        self,
        folder: str,
        keyword: str,
        status: Mapping[bytes, int],
        before: TagCheckpoint | None,
        scan: TagScan,
    ) -> None:
        state = {
            "keyword": keyword.lower(),
            "uidvalidity": int(status.get(b"UIDVALIDITY", 0)),
            "uidnext": int(status.get(b"UIDNEXT", 0)),
            "messages": int(status.get(b"MESSAGES", 0)),
            "highestmodseq": int(status.get(b"HIGHESTMODSEQ", 0)),
        }
        old = dict(before.state) if before is not None else {}
        reset = before is None or any(old.get(k) != state[k] for k in ("uidvalidity", "keyword"))
        old_modseq = 0 if reset else int(old.get("highestmodseq", 0))
        if before is not None and not reset and old_modseq and old_modseq == state["highestmodseq"]:
            scan.checkpoints[folder] = before  # nothing at all changed there: the STATUS said so
            return
        scan.searched.append(folder)
        known = {} if reset else {str(uid): mid for uid, mid in before.tagged.items()}
        if folder in self._sessions:
            client, _ = self._session(folder)  # NOOP: its view catches up with the STATUS read
        else:
            client = self._reader(folder)  # EXAMINE (or synced by the NOOP of _statuses)
        cleared: list[int] = []
        gone: list[int] = []
        if not reset and old_modseq:
            since = str(old_modseq)
            tagged = self._search(["MODSEQ", since, "KEYWORD", keyword], client=client)
            if known:
                ours = imapwire.uid_set([int(u) for u in known])
                cleared = self._search(["UID", ours, "MODSEQ", since, "UNKEYWORD", keyword], client=client)
                # Something vanished (MESSAGES grew less than UIDNEXT): which of ours are left.
                arrived = state["uidnext"] - int(old.get("uidnext", 0))
                if state["messages"] < int(old.get("messages", 0)) + arrived:
                    left = set(self._search(["UID", ours], client=client))
                    gone = [int(u) for u in known if int(u) not in left]
        else:
            tagged = self._search(["KEYWORD", keyword], client=client)
            now = set(tagged)
            lost = [int(u) for u in known if int(u) not in now]
            if lost:
                left = set(self._search(["UID", imapwire.uid_set(lost)], client=client))
                cleared = [u for u in lost if u in left]
                gone = [u for u in lost if u not in left]
        new = [uid for uid in tagged if str(uid) not in known]
        tagged_ids = dict(known)
        for uid in [*cleared, *gone]:
            message_id = tagged_ids.pop(str(uid), "")
            if message_id and uid in cleared:
                scan.changes.append(TagChange(folder=folder, message_id=message_id, present=False))
        for uid, message_id in self._message_ids(folder, new, client):
            scan.read += 1
            tagged_ids[str(uid)] = message_id
            if message_id:
                scan.changes.append(TagChange(folder=folder, message_id=message_id, present=True))
        if reset and before is not None and old.get("keyword") == state["keyword"]:
            # A new UIDVALIDITY: the old UIDs mean nothing, so a copy tagged before and not now
            # is looked for by its Message-ID; still there, its tag was cleared.
            still = set(tagged_ids.values())
            for message_id in sorted(set(before.tagged.values()) - still - {""}):
                if self._search(["HEADER", "Message-ID", message_id], client=client):
                    scan.changes.append(TagChange(folder=folder, message_id=message_id, present=False))
        scan.checkpoints[folder] = TagCheckpoint(state=state, tagged=tagged_ids)

    def _message_ids(
        self, folder: str, uids: Sequence[int], client: imapclient.IMAPClient
    ) -> Iterator[tuple[int, str]]:
        """The Message-ID of each of ``uids`` (BODY.PEEK of that one field), "" when it has none."""
        for start in range(0, len(uids), HEADER_BATCH):
            chunk = uids[start : start + HEADER_BATCH]
            rows = self._uid_fetch(imapwire.uid_set(chunk), _MESSAGE_ID_ITEMS, client=client)
            for row in rows:
                if b"UID" in row:
                    yield int(row[b"UID"]), message_id_of(imapwire.body_item(row) or b"")

    def flags(self, folder: str, uid: Uid) -> frozenset[str] | None:
        """The flags of one message (UID FETCH FLAGS), None when it is gone. Asked rarely (a
        filed copy lost its tag), so the folder is seen as it is now: after a NOOP on the
        connection keeping it selected, else EXAMINEd afresh."""
        if folder in self._sessions:
            client, _ = self._session(folder)
        else:
            self._select(folder)
            client = self._connect()
        rows = self._uid_fetch(str(int(uid)), "(UID FLAGS)", client=client)
        row = next((r for r in rows if r.get(b"UID") == int(uid)), None)
        return _flags(row) if row is not None else None

    # ----------------------------------------------------------------- writing

    def append(self, folder: str, message: bytes, *, flags: Sequence[str], when: datetime) -> Uid | None:
        client = self._connect()
        self._quiet(client)
        response = self._guard(
            f"appending to {folder}",
            lambda: client.append(folder, message, flags=tuple(flags), msg_time=when),
        )
        self.round_trips += 1
        # imapclient returns the raw text; UIDPLUS puts [APPENDUID validity uid] in it.
        match = _APPENDUID.search(response if isinstance(response, bytes) else str(response).encode())
        return int(match.group(2)) if match else None

    def withdraw(self, folder: str, uid: Uid, *, sha256: str) -> WithdrawOutcome:
        """Remove our draft ``uid`` from ``folder`` if it is still exactly as appended.

        An IMAP message never changes once stored: a client that edits a draft stores a
        new one under a new UID. So the UID with our bytes (``sha256``) and still
        ``\\Draft`` is our untouched draft. It goes by UID STORE ``\\Deleted`` and
        UID EXPUNGE of that UID alone (UIDPLUS); a plain EXPUNGE would also remove what the
        freelancer marked deleted there, so without UIDPLUS nothing is flagged or expunged.
        The folder is SELECTed (read-write) for this only, and EXAMINEd again right after:
        never CLOSE, which would expunge the rest.
        """
        client = self._connect()
        self._quiet(client)
        self._guard(f"opening {folder}", lambda: client.select_folder(folder, readonly=False))
        self._selected = None
        self.round_trips += 1
        try:
            rows = self._guard(
                f"reading {folder}", lambda: client.fetch([int(uid)], ["FLAGS", "BODY.PEEK[]"])
            )
            self.round_trips += 1
            row = rows.get(int(uid))
            if row is None or b"BODY[]" not in row:
                return WithdrawOutcome.GONE
            flags = {f.decode() if isinstance(f, bytes) else str(f) for f in row.get(b"FLAGS", ())}
            if "\\Draft" not in flags or draft_sha256(row[b"BODY[]"]) != sha256:
                return WithdrawOutcome.CHANGED
            if "UIDPLUS" not in self._capabilities:
                return WithdrawOutcome.UNSUPPORTED
            what = f"withdrawing a draft from {folder}"
            self._guard(what, lambda: client.add_flags([int(uid)], [b"\\Deleted"], silent=True))
            self._guard(what, lambda: client.uid_expunge([int(uid)]))
            self.round_trips += 2
            return WithdrawOutcome.WITHDRAWN
        finally:
            if self._client is client:  # back to read-only; a failure above dropped the connection
                self._select(folder)

    def search_header(self, folder: str, name: str, value: str) -> list[Uid]:
        if folder in self._sessions:
            client, _ = self._session(folder)  # NOOP: see what arrived since
        else:
            self._select(folder)  # EXAMINE again: a draft appended since must be seen
            client = self._connect()
        return list(self._search(["HEADER", name, value], client=client))

    def first_of(self, folder: str, uids: Sequence[Uid]) -> Uid:
        return min(uids, key=int)  # UIDs grow with each APPEND: the smallest came first

    def retract(self, folder: str, uid: Uid) -> None:
        """UID STORE \\Deleted then UID EXPUNGE of that one UID (UIDPLUS): a plain EXPUNGE
        would also remove whatever the freelancer marked deleted, so without UIDPLUS the copy
        stays and the caller says so."""
        client = self._connect()
        self._quiet(client)
        if not client.has_capability("UIDPLUS"):
            raise MailboxError(
                f"{self.describe()}: the server lacks UIDPLUS; a second copy stays in {folder}"
            )

        def remove() -> None:
            client.select_folder(folder)
            client.add_flags([int(uid)], [imapclient.DELETED])
            client.uid_expunge([int(uid)])

        self._selected = None  # selected read-write here: the next reader EXAMINEs again
        self._guard(f"removing our second copy from {folder}", remove)
        self.round_trips += 3


class _Pipeline:
    """UID FETCH commands kept ``ahead`` deep on one connection.

    While the rows of one batch are read and classified, the server already sends the
    next: on a slow link the batches cost one round trip between them, not one each.
    imaplib reads a command's responses up to its own tag line and no further, so the
    answers of the commands behind it wait on the socket, in order. But its untagged
    FETCH responses pile up in one list whoever asked: before another command goes out
    on the connection, ``settle`` reads every answer still expected into ``ready``, so
    no answer is taken by the wrong command. At most ``ahead`` batches are held.
    """

    def __init__(
        self,
        mailbox: ImapMailbox,
        client: imapclient.IMAPClient,
        uid_sets: Iterable[str],
        items: str,
        ahead: int,
    ) -> None:
        self.mailbox = mailbox
        self.imap = client._imap  # imaplib underneath imapclient: raw lines, no parsing
        self.items = items
        self.sets = iter(uid_sets)
        self.ahead = max(1, ahead)
        self.tags: deque[str] = deque()  # sent, answer not read yet
        self.ready: deque[list[dict[bytes, Any]]] = deque()  # read early by settle()
        self.broken = False  # the connection was dropped under it

    def batches(self) -> Iterator[list[dict[bytes, Any]]]:
        self._top_up()
        while self.ready or self.tags:
            rows = self.ready.popleft() if self.ready else self._read(self.tags.popleft())
            self._top_up()
            yield rows

    def settle(self) -> None:
        while self.tags:
            self.ready.append(self._read(self.tags.popleft()))

    def _top_up(self) -> None:
        while len(self.tags) + len(self.ready) < self.ahead:
            uid_set = next(self.sets, None)
            if uid_set is None:
                return
            self._check()
            self.tags.append(self.mailbox._guard("fetching", partial(self._send, uid_set)))
            self.mailbox.round_trips += 1

    def _send(self, uid_set: str) -> str:
        return self.imap._command("UID", "FETCH", uid_set, self.items)

    def _read(self, tag: str) -> list[dict[bytes, Any]]:
        self._check()
        mailbox = self.mailbox

        def read() -> list[dict[bytes, Any]]:
            typ, data = self.imap._command_complete("FETCH", tag)
            if typ != "OK":
                raise MailboxError(f"{mailbox.describe()}: FETCH failed: {_short(data)}")
            typ, data = self.imap._untagged_response(typ, data, "FETCH")
            return imapwire.parse_fetch(data)

        try:
            return mailbox._guard("fetching", read)
        except imapwire.WireError as exc:
            mailbox._drop()  # responses still in flight cannot be told apart any more
            raise MailboxError(f"{mailbox.describe()}: unreadable FETCH response ({exc})") from None

    def _check(self) -> None:
        if self.broken:
            raise MailboxUnavailable(f"{self.mailbox.describe()}: fetching: connection lost")


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _imap_date(day: date) -> str:
    """RFC 3501 date-text (``2-Mar-2026``): English month names whatever the locale."""
    return f"{day.day}-{_MONTHS[day.month - 1]}-{day.year}"


def _day(text: Any) -> date | None:
    """The SINCE day an interrupted first scan stored in its checkpoint, if any."""
    try:
        return date.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None


def _flags(row: dict[bytes, Any]) -> frozenset[str]:
    return frozenset(
        f.decode("utf-8", "replace") if isinstance(f, bytes) else str(f) for f in row.get(b"FLAGS", ())
    )


def _refused(exc: MailboxError) -> bool:
    """Whether the server refused a FETCH in words (a tagged NO, or Dovecot's "BYE FETCH
    failed: Internal error"), rather than the connection breaking (a reset, a timeout)."""
    return "FETCH failed:" in str(exc)


def _refusal(text: str) -> str:
    """What the server said when it refused a FETCH ("FETCH failed: Internal error..."),
    rather than imaplib's "connection lost" around it (Dovecot closes the connection)."""
    at = text.find("FETCH failed:")
    return text[at:].rstrip(")") if at >= 0 else text


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _short(exc: Any) -> str:
    text = exc.decode("utf-8", "replace") if isinstance(exc, bytes) else str(exc)
    return " ".join(text.split())[:200]


class IdleWatcher:
    """Waits for changes in one folder with IMAP IDLE, on its own connection and thread.

    ``run(stop, on_change)`` blocks until ``stop`` is set: it connects, SELECTs the folder
    read-only, IDLEs, and calls ``on_change`` when the server reports anything (EXISTS,
    EXPUNGE, FETCH). IDLE is re-issued every ``REISSUE`` seconds (RFC 2177 asks for less
    than 29 minutes; NATs and firewalls forget quiet connections sooner).

    A dead connection is dropped and reopened with exponential backoff and jitter. Dead
    means: an error, a BYE, or ``idle_check`` returning empty at once again and again
    (after a server BYE imapclient does that forever: a busy loop, not a quiet wait).
    ``on_change`` is also called after every reconnect, because changes made while the
    connection was down were never pushed.
    """

    CHECK = 5.0  # seconds per idle_check: how soon a stop request is seen
    REISSUE = 9 * 60.0

    def __init__(self, mailbox: ImapMailbox, folder: str):
        self.mailbox = mailbox
        self.folder = folder
        self.reconnects = 0
        self._client: imapclient.IMAPClient | None = None

    def describe(self) -> str:
        return f"{self.mailbox.describe()} IDLE {self.folder}"

    def run(self, stop, on_change: Callable[[], None], backoff=None) -> None:
        from .backoff import Backoff

        backoff = backoff or Backoff()
        first = True
        while not stop.is_set():
            try:
                self._watch(stop, on_change, backoff, first)
            except Exception as exc:  # any failure means: reconnect later
                if stop.is_set():
                    break
                delay = backoff.next()
                log.warning("%s: %s; reconnecting in %.1f s", self.describe(), _describe_failure(exc), delay)
                self.reconnects += 1
                stop.wait(delay)
            finally:
                self._close()
            first = False

    def _watch(self, stop, on_change, backoff, first: bool) -> None:
        client = self._client = self.mailbox.open_client(read_timeout=self.CHECK + self.mailbox.timeout)
        client.select_folder(self.folder, readonly=True)
        if not client.has_capability("IDLE"):
            raise MailboxError(f"{self.describe()}: the server does not support IDLE")
        if not first:
            on_change()  # what changed while we were away was never pushed
        client.idle()
        backoff.reset()
        started = time.monotonic()
        quick_empties = 0
        while not stop.is_set():
            asked = time.monotonic()
            responses = client.idle_check(timeout=self.CHECK)
            if any(_is_bye(r) for r in responses):
                raise MailboxUnavailable(f"{self.describe()}: the server said BYE")
            if responses:
                quick_empties = 0
                on_change()
            elif time.monotonic() - asked < self.CHECK / 10:
                quick_empties += 1
                if quick_empties >= 3:
                    raise MailboxUnavailable(
                        f"{self.describe()}: the connection is dead (IDLE returns at once)"
                    )
            else:
                quick_empties = 0
            if time.monotonic() - started > self.REISSUE:
                client.idle_done()
                client.idle()
                started = time.monotonic()

    def interrupt(self) -> None:
        """Wake a blocked idle_check (from another thread) so a stop is seen at once."""
        client = self._client
        if client is not None:
            with contextlib.suppress(Exception):
                client.socket().shutdown(socket.SHUT_RDWR)

    def _close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                client.shutdown()


def _is_bye(response: Any) -> bool:
    return isinstance(response, tuple) and len(response) >= 1 and response[0] in (b"BYE", "BYE")


def _connection_lost(exc: LoginError) -> BaseException | None:
    """The network failure hidden in a LoginError, if that is what it is.

    imapclient turns *every* error during LOGIN or AUTHENTICATE into LoginError, a
    connection cut by the network included; only the exception it was raised from
    (its context) tells a refused password from a dropped link.
    """
    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, imapclient.IMAPClient.AbortError | OSError | EOFError):
        return cause
    return None


def _describe_failure(exc: BaseException) -> str:
    if isinstance(exc, LoginError):
        lost = _connection_lost(exc)
        return (
            "the server refused the user name or password"
            if lost is None
            else f"connection lost ({_short(lost)})"
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate not trusted ({exc.verify_message})"
    if isinstance(exc, MailboxError):
        return str(exc).split(": ", 1)[-1]
    return f"{type(exc).__name__}: {_short(exc)}"


def _body_batches(uids: list[int], sizes: Mapping[Uid, int]) -> Iterator[list[int]]:
    batch: list[int] = []
    total = 0
    for uid in uids:
        size = sizes.get(uid) or sizes.get(str(uid)) or 0
        if batch and (len(batch) >= BODY_BATCH or total + size > BODY_BYTES):
            yield batch
            batch, total = [], 0
        batch.append(uid)
        total += size
    if batch:
        yield batch
