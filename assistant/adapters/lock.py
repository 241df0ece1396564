"""One process per state: an exclusive lock on a file in the state directory.

The service and a manual ``scan`` (or two installations of the unit, or two terminals)
working on the same state would each take the other's half-written draft for a crash
leftover and write it again. Every command that writes state takes this lock first; the
loser is told who holds it and what to do, and changes nothing.

The lock is ``flock(2)`` on ``<state_dir>/freelance-assistant.lock``: the kernel drops it
when the holder exits, however it exits (``kill -9`` included), so a stale lock cannot
outlive its process. The file's content only names the holder (pid and command) for the
message; the lock itself is the kernel's.

When the holder is the service (``run``), the command line does not stop at the message:
``scan`` asks the service for a pass and ``mark-paid``, ``pause``, ``dispute`` and
``resume`` are handed to it (``assistant/handover.py``). The message is what is said when
that cannot be done (the service runs as another user) and for the other commands.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from pathlib import Path

from ..errors import StateLocked

LOCK_NAME = "freelance-assistant.lock"
_WHO_WAIT = 0.5  # seconds to wait for a holder that has the lock but not yet written its name


class StateLock:
    """The lock of one state directory, held from ``acquire`` until ``release`` (or exit)."""

    def __init__(self, directory: Path, fd: int):
        self.directory = directory
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, directory: str | os.PathLike[str], command: str) -> StateLock:
        """Take the lock for ``command`` (``run``, ``scan``...) or raise ``StateLocked``."""
        directory = Path(directory)
        path = directory / LOCK_NAME
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise StateLocked(f"cannot open the state lock {path}: {exc.strerror}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            pid = holder.get("pid")
            raise StateLocked(
                _message(holder, command, directory),
                pid=pid if isinstance(pid, int) else None,
                command=holder.get("command") if isinstance(holder.get("command"), str) else None,
            ) from None
        except OSError as exc:
            os.close(fd)
            raise StateLocked(f"cannot lock the state {path}: {exc.strerror}") from exc
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "command": command}).encode(), 0)
        return cls(directory, fd)

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            # Empty first: a reader must never name a process that let go.
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            os.close(fd)  # closing the last descriptor releases the flock

    def __enter__(self) -> StateLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _holder(fd: int) -> dict:
    """Who holds the lock, from the file's content (it may be being written: wait a moment)."""
    deadline = time.monotonic() + _WHO_WAIT
    while True:
        try:
            holder = json.loads(os.pread(fd, 4096, 0) or b"{}")
        except (OSError, ValueError):
            holder = {}
        if holder.get("pid") or time.monotonic() > deadline:
            return holder if isinstance(holder, dict) else {}
        time.sleep(0.02)


# What the command line hands to a running service instead of refusing (handover.py).
HANDED_TO_THE_SERVICE = frozenset(("scan", "mark-paid", "pause", "dispute", "resume"))

_WHILE_THE_SERVICE_RUNS = {
    "mark-paid": " (or tag the invoice email Paid in your mail client: the service sees that)",
}


def _message(holder: dict, command: str, directory: Path) -> str:
    pid, theirs = holder.get("pid"), holder.get("command")
    if theirs == "run":
        if command in ("scan", "run"):
            # A reload makes the service read the mailbox now: what a manual scan is for.
            return (
                f"the service is running (pid {pid}); `{command}` would race it: "
                "use `systemctl reload` or stop it"
            )
        hint = _WHILE_THE_SERVICE_RUNS.get(command, "")
        if command not in HANDED_TO_THE_SERVICE:
            # scan and the ledger commands are handed to it; the drafts by hand are not.
            hint += " (`scan`, `mark-paid`, `pause`, `dispute` and `resume` go through the service; this one does not)"
        return (
            f"the service is running (pid {pid}); `{command}` would race it: stop it, run "
            f"`{command}`, then start it again{hint}"
        )
    if theirs:
        return (
            f"`{theirs}` is running on this state (pid {pid}); `{command}` would race it: "
            "wait for it to finish"
        )
    return (
        f"another freelance-assistant process holds the state in {directory}; "
        f"`{command}` would race it: wait for it to finish or stop it"
    )
