"""Manual commands beside the running service: handed to it instead of refused.

One process writes a state (``adapters/lock.py``). While the service holds it, the command
line does not race it and does not make the freelancer stop it either:

* ``scan`` asks the service for a pass now: ``SIGUSR1`` (``ask_for_a_pass``), which the
  service answers with a pass on every account, config and rules left as they are;
* ``mark-paid``, ``pause``, ``dispute`` and ``resume`` are written as a request, one JSON
  file of plain data (the command, the invoice number, the client, the days, the reason),
  into ``<state_dir>/requests/``, named by account (``<account>+<stamp>-<id>.json``;
  ``+`` is in no account name), atomically (a temporary file, fsync, rename, fsync of the
  directory); then the service is asked for a pass.

Every pass that writes (the service's, and a ``scan`` run while it is stopped) starts by
applying its account's requests (``apply_requests``), oldest first, each through the same
function the command would have called (``commands.command_on_invoice``) in its own
transaction, and deletes each file once applied. Exactly once: the request's id goes into
the journal line of that transaction, so a request found again after a crash between the
commit and the delete is only deleted. A request that cannot be applied (no such invoice, an
invoice already paused...) is moved to ``requests/failed/`` with its error beside it
(``<name>.error``), logged, and named by ``status``; the pass goes on.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import signal
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from .adapters.store import Store
from .domain import ledger
from .domain.keys import invoice_item
from .errors import AssistantError, StateError, UsageError
from .pass_report import PassReport

log = logging.getLogger(__name__)

REQUESTS = "requests"
FAILED = "failed"
# The signal that asks the service for a pass now (no reload: SIGHUP is that).
PASS_NOW = signal.SIGUSR1

# The commands handed over, and what each does to the invoice.
EVENTS = {
    "mark-paid": ledger.Event.PAID,
    "pause": ledger.Event.PAUSED,
    "dispute": ledger.Event.DISPUTED,
    "resume": ledger.Event.RESUMED,
}


def requests_dir(state_dir: Path) -> Path:
    return Path(state_dir) / REQUESTS


# --------------------------------------------------------------------------- the request


@dataclass(frozen=True)
class Request:
    """One command handed to the service: plain data, nothing secret."""

    id: str
    account: str
    command: str  # a key of EVENTS
    number: str
    client: str | None
    on: date  # mark-paid: the payment day; the others: the day it was said
    until: date | None  # pause
    reason: str  # pause, dispute
    asked_at: datetime

    @classmethod
    def new(
        cls,
        account: str,
        command: str,
        number: str,
        *,
        client: str | None,
        on: date,
        until: date | None = None,
        reason: str = "",
        now: datetime,
    ) -> Request:
        """A request, checked as far as it can be without the state (the rest is the service's)."""
        from .domain.extract import normalise_invoice_number

        if command not in EVENTS:
            raise UsageError(f"`{command}` cannot be handed to the service")
        if not normalise_invoice_number(number):
            raise UsageError(f"{number!r} is not an invoice number (see `status`)")
        if client is not None and not client.strip():
            raise UsageError("--client needs a client id (see clients.yaml)")
        stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%S%f")
        return cls(
            id=f"{stamp}-{secrets.token_hex(4)}", account=account, command=command, number=number,
            client=client, on=on, until=until, reason=reason, asked_at=now,
        )  # fmt: skip

    @property
    def name(self) -> str:
        return f"{self.account}+{self.id}.json"

    @property
    def text(self) -> str:
        """The command as the freelancer typed it (enough of it to recognise it)."""
        words = [self.command, self.number]
        if self.client:
            words += ["--client", self.client]
        return " ".join(words)

    def as_data(self) -> dict:
        return {
            "version": 1, "id": self.id, "account": self.account, "command": self.command,
            "number": self.number, "client": self.client, "on": self.on.isoformat(),
            "until": self.until.isoformat() if self.until else None, "reason": self.reason,
            "asked_at": self.asked_at.isoformat(),
        }  # fmt: skip

    @classmethod
    def from_data(cls, data: dict) -> Request:
        """Raises ValueError (or KeyError, TypeError) for a file that is not a request."""
        if not isinstance(data, dict) or data.get("version") != 1:
            raise ValueError("not a request of this version")
        command = data["command"]
        if command not in EVENTS:
            raise ValueError(f"unknown command {command!r}")
        client = data.get("client")
        return cls(
            id=str(data["id"]), account=str(data["account"]), command=command, number=str(data["number"]),
            client=str(client) if client else None, on=date.fromisoformat(data["on"]),
            until=date.fromisoformat(data["until"]) if data.get("until") else None,
            reason=str(data.get("reason") or ""), asked_at=datetime.fromisoformat(data["asked_at"]),
        )  # fmt: skip


# --------------------------------------------------------------------------- the command line's side


def queue(state_dir: Path, request: Request) -> Path:
    """Write ``request`` into the requests directory, atomically; the path it has there."""
    directory = requests_dir(state_dir)
    target = directory / request.name
    temporary = directory / f".{request.name}.tmp"  # not *.json: never read half-written
    data = json.dumps(request.as_data(), ensure_ascii=False, indent=1).encode()
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, target)
        _sync_directory(directory)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise StateError(f"cannot hand the command to the service: {target}: {exc.strerror}") from exc
    return target


def ask_for_a_pass(pid: int | None, *, check_only: bool = False) -> None:
    """Ask the service ``pid`` for a pass now (``check_only``: only whether it could be asked).

    Raises ProcessLookupError when no such service runs (the pid is gone, or is not a
    freelance-assistant service: never signal a stranger), PermissionError when it runs as
    another user: even root, who may signal it, must not hand it a file it cannot read."""
    if not isinstance(pid, int) or pid <= 1 or pid == os.getpid():
        raise ProcessLookupError(f"no service process {pid!r}")
    process = Path(f"/proc/{pid}")
    try:
        owner: int | None = process.stat().st_uid
        arguments: list[bytes] | None = (process / "cmdline").read_bytes().split(b"\0")
    except FileNotFoundError:
        raise ProcessLookupError(f"no process {pid}") from None
    except OSError:
        owner = arguments = None  # hidden from us (another user): the signal itself will say
    if arguments is not None and not (
        b"run" in arguments and any(b"assistant" in argument for argument in arguments)
    ):
        raise ProcessLookupError(f"process {pid} is not the service")
    if owner is not None and owner != os.geteuid():
        raise PermissionError(f"process {pid} runs as another user")
    os.kill(pid, 0 if check_only else PASS_NOW)


def why_not(exc: OSError) -> str:
    """Why the service could not be asked, in a few words for the refusal."""
    if isinstance(exc, PermissionError):
        return "it runs as another user, so this command cannot ask it for anything"
    return "it could not be reached"


def withdraw(path: Path) -> bool:
    """Take back a request the service could not be asked to apply; False when it took it already."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


# --------------------------------------------------------------------------- the service's side


def pending(state_dir: Path, account: str) -> list[Path]:
    """The account's requests waiting to be applied, oldest first (their names start with the time)."""
    directory = requests_dir(state_dir)
    try:
        return sorted(directory.glob(f"{_glob_escape(account)}+*.json"))
    except OSError:
        return []


def describe(path: Path) -> str:
    """A queued request as the command the freelancer typed (its file name if unreadable)."""
    try:
        return Request.from_data(json.loads(path.read_bytes())).text
    except (OSError, ValueError, KeyError, TypeError):
        return path.name


def apply_requests(store: Store, state_dir: Path, account: str, now: datetime, report: PassReport) -> None:
    """Apply the account's queued requests, each once; a failing one goes to ``failed/``.

    A state error (disk full, damaged database) is the pass's: raised, the request stays."""
    from .commands import command_on_invoice

    for path in pending(state_dir, account):
        try:
            request = Request.from_data(json.loads(path.read_bytes()))
        except FileNotFoundError:
            continue
        except (OSError, ValueError, KeyError, TypeError) as exc:
            _fail(path, None, f"not a request this version can read ({exc})")
            continue
        try:
            if applied(store, request.id):
                item, outcome = _item(store, request), "applied before a restart; its file removed"
            else:
                invoice = command_on_invoice(
                    store, request.number, EVENTS[request.command], client=request.client, on=request.on,
                    now=now, until=request.until, note=request.reason, request=request.id,
                )  # fmt: skip
                item, outcome = invoice_item(invoice), f"recorded (the invoice is {invoice.status.value})"
        except StateError:
            raise
        except AssistantError as exc:
            _fail(path, request, str(exc))
            continue
        except Exception as exc:  # a bug must not stop the pass nor come back every pass
            log.exception("%s: the handed-over `%s` failed unexpectedly", account, request.text)
            _fail(path, request, f"internal error: {type(exc).__name__}: {exc}")
            continue
        withdraw(path)
        _sync_directory(path.parent)
        line = f"{item}: `{request.text}` handed to the service: {outcome}"
        log.info("%s: %s", account, line)
        report.changes.append(line)


def applied(store: Store, request_id: str) -> bool:
    """Whether the journal holds the line of this request (applied, then not deleted: a crash)."""
    return any(entry.data.get("request") == request_id for _, entry in store.journal(prefix="invoice/"))


def _item(store: Store, request: Request) -> str:
    found = [i for i in store.invoices_with_number(request.number) if request.client in (None, i.client)]
    return invoice_item(found[0]) if len(found) == 1 else f"invoice {request.number}"


def _fail(path: Path, request: Request | None, error: str) -> None:
    """Move the request to ``failed/`` with its error beside it; say it in the log."""
    what = f"`{request.text}`" if request is not None else path.name
    log.error(
        "a command handed to the service failed: %s: %s (kept in %s)", what, error, path.parent / FAILED
    )
    failed = path.parent / FAILED
    try:
        failed.mkdir(mode=0o700, exist_ok=True)
        (failed / (path.stem + ".error")).write_text(error + "\n", encoding="utf-8")
        os.replace(path, failed / path.name)
        _sync_directory(failed)
        _sync_directory(path.parent)
    except OSError as exc:
        # Left where it is, it would fail again each pass: the log says so each time.
        log.error("cannot move %s to %s: %s", path, failed, exc.strerror)


@dataclass(frozen=True)
class Failure:
    """A request that could not be applied, for ``status``."""

    path: Path
    command: str  # as the freelancer typed it (or the file's name, when unreadable)
    error: str


def failures(state_dir: Path, account: str) -> list[Failure]:
    """The account's failed requests, oldest first."""
    directory = requests_dir(state_dir) / FAILED
    found = []
    try:
        paths = sorted(directory.glob(f"{_glob_escape(account)}+*.json"))
    except OSError:
        return []
    for path in paths:
        command = describe(path)
        try:
            error = path.with_suffix(".error").read_text(encoding="utf-8").strip()
        except OSError:
            error = "?"
        found.append(Failure(path, command, error))
    return found


def _glob_escape(text: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


def _sync_directory(directory: Path) -> None:
    """fsync a directory, so a rename or unlink in it survives a crash."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
