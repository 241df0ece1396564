"""Idle cost and IDLE latency of the daemon (`freelance-assistant run --config FILE`).

Both measurements need the long-running service. Until `assistant.daemon` exists they
are skipped: `unavailable()` says why, in one line the report prints.

* `measure_idle`: the daemon runs on a state whose first scan is done; once its start-up
  pass has committed (the checkpoints change) and a few seconds more have passed, CPU
  (utime + stime from /proc/<pid>/stat, threads included) and VmRSS are sampled once a
  second for the idle window. CPU % is of one core.
* `measure_idle_latency`: another client APPENDs a client's reply to an open invoice to
  INBOX; the clock starts when the server has acknowledged the APPEND and stops when the
  state database (opened read-only) holds a journal line for that Message-ID (or, if the
  schema has no such column, when the INBOX checkpoint has moved past its UID).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
NO_DAEMON = "not measured: no daemon yet (assistant.daemon cannot be imported)"


def unavailable() -> str | None:
    """None when the daemon can be measured, else the line to print instead."""
    try:
        importlib.import_module("assistant.daemon")
    except ModuleNotFoundError as exc:
        if exc.name in ("assistant.daemon", "assistant"):
            return NO_DAEMON
        return f"not measured: assistant.daemon needs a missing module ({exc.name})"
    except Exception as exc:
        return f"not measured: importing assistant.daemon failed ({type(exc).__name__}: {exc})"
    return None


def command(config: Path) -> list[str]:
    """`freelance-assistant run --config FILE`, from the interpreter's own environment."""
    script = Path(sys.executable).parent / "freelance-assistant"
    if script.exists():
        return [str(script), "run", "--config", str(config)]
    return [sys.executable, "-m", "assistant", "run", "--config", str(config)]


def cpu_seconds(pid: int) -> float:
    """utime + stime of `pid` (all its threads), in seconds."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # fields 14 and 15 of stat(5)


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


@contextlib.contextmanager
def running(argv: list[str], log: Path, env: dict[str, str] | None = None) -> Iterator[subprocess.Popen]:
    """The daemon as a child process; SIGTERM (then SIGKILL) on the way out."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=env, start_new_session=True
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _read_only(state: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{state}?mode=ro", uri=True, timeout=5, isolation_level=None)


def last_pass(state: Path) -> str | None:
    """The newest checkpoint update: it changes whenever a pass commits."""
    try:
        db = _read_only(state)
    except sqlite3.Error:
        return None
    try:
        row = db.execute("SELECT MAX(updated_at) FROM checkpoints").fetchone()
        return row[0] if row else None
    except sqlite3.Error:
        return None
    finally:
        db.close()


def wait_for_pass(process: subprocess.Popen, state: Path, before: str | None, timeout: float) -> float:
    """Seconds until the daemon commits a pass (checkpoints move past `before`)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"the daemon exited with {process.returncode} before its first pass")
        current = last_pass(state)
        if current is not None and current != before:
            return time.monotonic() - started
        time.sleep(0.05)
    raise RuntimeError(f"the daemon did not complete a pass within {timeout:.0f} s")


def measure_idle(process: subprocess.Popen, seconds: float, *, interval: float = 1.0) -> dict:
    """CPU % (of one core) and RSS of `process` over `seconds` of doing nothing."""
    pid = process.pid
    samples = []
    cpu0, t0 = cpu_seconds(pid), time.monotonic()
    deadline = t0 + seconds
    while (now := time.monotonic()) < deadline:
        time.sleep(min(interval, deadline - now))
        if process.poll() is not None:
            raise RuntimeError(f"the daemon exited with {process.returncode} while idle")
        samples.append(rss_mb(pid))
    cpu1, t1 = cpu_seconds(pid), time.monotonic()
    return {
        "idle_cpu_percent": 100.0 * (cpu1 - cpu0) / (t1 - t0),
        "idle_cpu_seconds": cpu1 - cpu0,
        "idle_window_s": t1 - t0,
        "idle_rss_mb": statistics.median(samples) if samples else rss_mb(pid),
        "idle_rss_max_mb": max(samples) if samples else rss_mb(pid),
        "daemon_peak_rss_mb": rss_mb(pid, "VmHWM"),
    }


def wait_for_effect(state: Path, message_id: str, uid: int | None, timeout: float) -> float | None:
    """Seconds until the state shows `message_id` (a journal line), or None at the timeout."""
    core = message_id.strip("<>")
    started = time.perf_counter()
    db = _read_only(state)
    try:
        try:
            db.execute("SELECT message_id FROM journal LIMIT 0")
            probe: Callable[[], bool] = lambda: bool(  # noqa: E731
                db.execute("SELECT 1 FROM journal WHERE instr(message_id, ?) > 0 LIMIT 1", (core,)).fetchone()
            )
        except sqlite3.OperationalError:
            probe = lambda: _inbox_past(db, uid)  # noqa: E731
        while time.perf_counter() - started < timeout:
            try:
                if probe():
                    return time.perf_counter() - started
            except sqlite3.OperationalError:
                pass  # a writer holds a lock this instant: look again
            time.sleep(0.002)
        return None
    finally:
        db.close()


def _inbox_past(db: sqlite3.Connection, uid: int | None) -> bool:
    row = db.execute("SELECT state FROM checkpoints WHERE folder = 'inbox'").fetchone()
    if not row or uid is None:
        return False
    return int(json.loads(row[0]).get("uidnext", 0)) > uid


def measure_idle_latency(
    state: Path,
    deliver: Callable[[int], tuple[str, int | None]],
    *,
    repeats: int = 3,
    timeout: float = 30.0,
    pause: float = 2.0,
) -> dict:
    """`deliver(k)` APPENDs the k-th reply and returns (Message-ID, UID) once acknowledged."""
    latencies: list[float | None] = []
    for k in range(repeats):
        message_id, uid = deliver(k)
        latencies.append(wait_for_effect(state, message_id, uid, timeout))
        # Back to IDLE, and a pause that does not lock onto any period the daemon may have.
        time.sleep(pause + random.uniform(0, pause))
    seen = [x for x in latencies if x is not None]
    return {
        "idle_latency_s": statistics.median(seen) if len(seen) == len(latencies) else None,
        "idle_latency_runs_s": latencies,
    }
