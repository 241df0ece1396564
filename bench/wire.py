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


def wire_fetch(server: Server, folders: Iterable[str] = SCAN_FOLDERS) -> dict:
    """One unparsed FETCH of the scan's fields per folder; seconds cover EXAMINE + FETCH only."""
    messages = 0
    payload = 0
    with connection(server) as imap:
        started = time.perf_counter()
        for folder in folders:
            typ, data = imap.select(folder, readonly=True)
            if typ != "OK":
                raise RuntimeError(f"EXAMINE {folder} failed: {data!r}")
            if int(data[0] or 0) == 0:
                continue
            typ, data = imap.uid("FETCH", "1:*", SCAN_ITEMS)
            if typ != "OK":
                raise RuntimeError(f"UID FETCH in {folder} failed: {data!r}")
            for item in data:
                if isinstance(item, tuple):
                    messages += 1
                    payload += len(item[1])
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "messages": messages, "header_bytes": payload}


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
