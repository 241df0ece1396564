"""systemd integration: tell the service manager how the daemon is doing (sd_notify).

Its one job is the notification protocol of sd_notify(3): newline-separated ``KEY=value``
lines in one datagram sent to the ``AF_UNIX`` socket named by ``$NOTIFY_SOCKET`` (a path,
or an abstract name when it starts with ``@``). ``READY=1`` ends ``Type=notify`` start-up,
``WATCHDOG=1`` feeds ``WatchdogSec=``, ``STATUS=`` is the line ``systemctl status`` shows.
Written here rather than taken from the ``sdnotify`` package, which is unmaintained; the
protocol is a dozen lines.

Outside systemd (no ``$NOTIFY_SOCKET``: a terminal, a test, cron) every method does
nothing. A failed send is logged once at WARNING and never raised: the daemon must keep
drafting reminders even if the manager or journald hiccups.

``journal_stream_attached()`` answers the other systemd question the daemon asks: does
stderr go to journald (which stamps every line with the time itself)?
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
import time
from collections.abc import Mapping

log = logging.getLogger(__name__)

# A datagram to the manager is normally queued at once. If PID 1 is stuck its queue can
# fill up and a blocking send would freeze the daemon's event loop with it: give up after
# this long instead (a lost WATCHDOG=1 is repeated at the next ping anyway).
SEND_TIMEOUT = 1.0


def _socket_address(value: str) -> str | None:
    """The sockaddr_un path for $NOTIFY_SOCKET, or None if we cannot use that form."""
    if value.startswith("@"):
        # Abstract namespace: a leading NUL byte instead of the "@", no trailing NUL.
        return "\0" + value[1:]
    if value.startswith("/"):
        return value
    # Newer managers may hand out other forms (e.g. "vsock:CID:PORT" in a VM); not ours to speak.
    return None


class Notifier:
    """Talks to the service manager through ``$NOTIFY_SOCKET``; silent when there is none.

    ``environ`` defaults to ``os.environ`` and is read once, here: the daemon builds one
    Notifier at start and keeps it. Safe to call from several threads.
    """

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        raw = env.get("NOTIFY_SOCKET", "")
        self._address = _socket_address(raw) if raw else None
        if raw and self._address is None:
            log.warning("NOTIFY_SOCKET=%r is not a socket path this program understands; not notifying", raw)
        self._watchdog_usec = env.get("WATCHDOG_USEC", "")
        self._watchdog_pid = env.get("WATCHDOG_PID", "")
        self._lock = threading.Lock()
        # One WARNING per outage: set after a failed send, cleared by the next good one, so a
        # dead socket does not flood the journal every watchdog period.
        self._failing = False

    @property
    def enabled(self) -> bool:
        """True when started by systemd with a notification socket we can use."""
        return self._address is not None

    # ------------------------------------------------------------------ messages

    def ready(self) -> bool:
        """Start-up (or a reload) is complete: ``READY=1``."""
        return self.send("READY=1")

    def reloading(self) -> bool:
        """A reload (SIGHUP) has begun; call ``ready()`` when it is done.

        MONOTONIC_USEC is the CLOCK_MONOTONIC time of the message: systemd 253 and newer
        require it next to RELOADING=1 (for ``Type=notify-reload``) to tell this reload
        from an older one; older managers ignore the extra field.
        """
        now_usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        return self.send(f"RELOADING=1\nMONOTONIC_USEC={now_usec}")

    def stopping(self) -> bool:
        """Shutdown has begun: ``STOPPING=1``."""
        return self.send("STOPPING=1")

    def status(self, text: str) -> bool:
        """One line for ``systemctl status``, e.g. "next pass at 14:05; 2 drafts waiting"."""
        # The protocol is line-based: a newline in the text would start a new assignment.
        return self.send("STATUS=" + text.replace("\n", " "))

    def watchdog(self) -> bool:
        """Keep-alive for ``WatchdogSec=``: ``WATCHDOG=1``."""
        return self.send("WATCHDOG=1")

    def extend_timeout(self, seconds: float) -> bool:
        """Ask for ``seconds`` more before the start (or stop) timeout fires.

        For a first scan of a large mailbox that outlasts ``TimeoutStartSec=``: send it
        again before each extension runs out.
        """
        return self.send(f"EXTEND_TIMEOUT_USEC={max(0, int(seconds * 1_000_000))}")

    def watchdog_interval(self) -> float | None:
        """Seconds between ``watchdog()`` calls (half of ``WatchdogSec=``), or None.

        None when there is no notification socket, no watchdog, or the watchdog belongs to
        another process (``$WATCHDOG_PID``, as sd_watchdog_enabled(3) checks it: systemd
        sets it for the main process; a child that inherited the variables is not meant).
        """
        if not self.enabled:
            return None
        try:
            usec = int(self._watchdog_usec)
        except ValueError:
            return None
        if usec <= 0:
            return None
        if self._watchdog_pid:
            try:
                if int(self._watchdog_pid) != os.getpid():
                    return None
            except ValueError:
                return None
        # Half the period, as systemd recommends, leaves room for a late ping.
        return usec / 2 / 1_000_000

    # ------------------------------------------------------------------ transport

    def send(self, message: str) -> bool:
        """Send one notification (``KEY=value`` lines). True if the manager got it.

        Never raises: a failure is logged (WARNING once per outage, DEBUG after that).
        """
        if self._address is None:
            return False
        data = message.encode("utf-8", errors="replace")
        try:
            # A fresh socket per message, as libsystemd's sd_notify does: nothing to go stale
            # when the manager re-executes, nothing shared between threads. connect() makes
            # the timeout real: an unconnected datagram socket polls as writable while the
            # manager's queue is full, and the send would spin until the deadline.
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.settimeout(SEND_TIMEOUT)
                sock.connect(self._address)
                sock.send(data)
        except OSError as exc:
            self._report(exc, message)
            return False
        with self._lock:
            self._failing = False
        return True

    def _report(self, exc: OSError, message: str) -> None:
        what = message.split("\n", 1)[0]
        shown = (self._address or "").replace("\0", "@", 1)
        with self._lock:
            first = not self._failing
            self._failing = True
        if first:
            reason = exc.strerror or str(exc) or type(exc).__name__
            log.warning("cannot notify systemd (%s to %s): %s; carrying on without it", what, shown, reason)
        else:
            log.debug("systemd notification %s to %s failed again: %s", what, shown, exc)


def journal_stream_attached(fd: int | None = None, environ: Mapping[str, str] | None = None) -> bool:
    """True when stderr (or ``fd``) is the journald stream systemd connected us to.

    systemd.exec(5): ``$JOURNAL_STREAM`` is "device:inode" of that stream, and a process
    must compare it with its own stderr rather than trust the variable alone, which a
    child inherits even when its output goes elsewhere (``scan | less`` from a unit).
    """
    env = os.environ if environ is None else environ
    value = env.get("JOURNAL_STREAM", "")
    device, sep, inode = value.partition(":")
    if not sep:
        return False
    try:
        expected = (int(device), int(inode))
        if fd is None:
            if sys.stderr is None:
                return False
            fd = sys.stderr.fileno()
        stat = os.fstat(fd)
    except (ValueError, OSError):
        return False
    return (stat.st_dev, stat.st_ino) == expected
