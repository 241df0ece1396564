"""The wire limit, and mail delivery, with nothing but the standard library's imaplib.

`wire_fetch` times what a first scan cannot do better than: on one logged-in implicit-TLS
connection (the project's own `tls_context`, the test CA), EXAMINE each folder and
`UID FETCH 1:* (UID FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (...)])` of exactly the
header fields a scan asks for (`assistant.adapters.parse.HEADER_FIELDS`). imaplib keeps
the response as raw lines and literals: nothing is parsed. Login is not timed.
"""

from __future__ import annotations

import contextlib
import imaplib
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from assistant.adapters.imap import tls_context
from assistant.adapters.parse import HEADER_FIELDS

SCAN_ITEMS = (
    f"(UID FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS ({' '.join(f.upper() for f in HEADER_FIELDS)})])"
)
SCAN_FOLDERS = ("Sent", "INBOX")  # what a pass scans, in its order
_APPENDUID = re.compile(rb"APPENDUID\s+(\d+)\s+(\d+)", re.I)


@dataclass(frozen=True)
class Server:
    """Where and how to log in: a Dovecot user over implicit TLS."""

    host: str
    port: int
    user: str
    password: str
    ca_file: str


@contextlib.contextmanager
def connection(server: Server, timeout: float = 120.0) -> Iterator[imaplib.IMAP4_SSL]:
    imap = imaplib.IMAP4_SSL(
        server.host, server.port, ssl_context=tls_context(server.ca_file), timeout=timeout
    )
    try:
        imap.login(server.user, server.password)
        yield imap
    finally:
        with contextlib.suppress(Exception):
            imap.logout()
        with contextlib.suppress(Exception):
            imap.shutdown()


_UID = re.compile(rb"UID (\d+)")
BODY_BATCH = 500


def wire_fetch(server: Server, folders: Iterable[str] = SCAN_FOLDERS, needs_body=None) -> dict:
    """The unparsed FETCHes a scan cannot do without; seconds cover EXAMINE + FETCH only.

    Per folder: the scan's header fields of every message, then, when ``needs_body``
    (folder, header bytes) -> bool is given, the whole messages it says yes to: exactly the
    candidates the project's scan fetches in full. Choosing them is not timed.
    """
    messages = 0
    payload = 0
    bodies = 0
    body_bytes = 0
    timed = 0.0
    with connection(server) as imap:
        for folder in folders:
            started = time.perf_counter()
            typ, data = imap.select(folder, readonly=True)
            if typ != "OK":
                raise RuntimeError(f"EXAMINE {folder} failed: {data!r}")
            if int(data[0] or 0) == 0:
                timed += time.perf_counter() - started
                continue
            typ, data = imap.uid("FETCH", "1:*", SCAN_ITEMS)
            timed += time.perf_counter() - started
            if typ != "OK":
                raise RuntimeError(f"UID FETCH in {folder} failed: {data!r}")
            wanted = []
            for item in data:
                if isinstance(item, tuple):
                    messages += 1
                    payload += len(item[1])
                    if needs_body is not None and needs_body(folder, item[1]):
                        wanted.append(_UID.search(item[0]).group(1).decode())
            for start in range(0, len(wanted), BODY_BATCH):
                started = time.perf_counter()
                typ, data = imap.uid(
                    "FETCH", ",".join(wanted[start : start + BODY_BATCH]), "(UID BODY.PEEK[])"
                )
                timed += time.perf_counter() - started
                if typ != "OK":
                    raise RuntimeError(f"UID FETCH of bodies in {folder} failed: {data!r}")
                for item in data:
                    if isinstance(item, tuple):
                        bodies += 1
                        body_bytes += len(item[1])
    return {
        "seconds": timed,
        "messages": messages,
        "header_bytes": payload,
        "bodies": bodies,
        "body_bytes": body_bytes,
    }


def append(server: Server, mail: Iterable[tuple[str, bytes, tuple[str, ...]]]) -> list[int | None]:
    """APPEND each (folder, message, flags) as another mail client would; the new UIDs."""
    uids: list[int | None] = []
    with connection(server) as imap:
        for folder, data, flags in mail:
            typ, response = imap.append(
                folder,
                f"({' '.join(flags)})" if flags else None,
                imaplib.Time2Internaldate(time.time()),
                data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"),
            )
            if typ != "OK":
                raise RuntimeError(f"APPEND to {folder} failed: {response!r}")
            found = _APPENDUID.search(response[0] or b"") if response else None
            uids.append(int(found.group(2)) if found else None)
    return uids


def noop_after_append(server: Server, folder: str = "INBOX") -> float:
    """What the server alone takes to notice new mail: one connection has ``folder``
    selected, another APPENDs a message, the first's NOOP is timed. On a large Maildir,
    Dovecot re-reads the folder's directory here, whoever the client is."""
    message = b"From: probe@bench.example\r\nTo: probe@bench.example\r\nSubject: probe\r\n\r\nprobe\r\n"
    with connection(server) as watching, connection(server) as writing:
        watching.select(folder, readonly=True)
        writing.append(folder, None, None, message)
        started = time.perf_counter()
        watching.noop()
        return time.perf_counter() - started
