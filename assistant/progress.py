"""How far a long scan is, for the person waiting: a bar on a terminal, log lines elsewhere.

The engine calls a progress callable after every header batch with an
``engine.ScanProgress``; these are the callables ``scan`` and the service give it. A
short scan shows nothing: only one of more than ``BIG_SCAN`` messages, or one still
running after ``SLOW_SCAN`` seconds, is worth a word. On a terminal it is one line
redrawn in place (``\\r``); in a pipe, a log file or the journal it is a line every
``LOG_EVERY_SECONDS`` seconds or every ``LOG_EVERY_PERCENT`` % of the way, whichever
comes first, and one when the folder is done.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from typing import IO

from .engine import ScanProgress

BIG_SCAN = 2000  # messages: a first scan of a real mailbox, not an incremental pass
SLOW_SCAN = 2.0  # seconds: a slow server makes even a smaller scan worth showing
LOG_EVERY_SECONDS = 10.0
LOG_EVERY_PERCENT = 10


def _worth_showing(p: ScanProgress) -> bool:
    # Nothing to wait for once the folder is done: a scan that was quick says nothing at all.
    return p.done < p.total and not p.finished and (p.total > BIG_SCAN or p.elapsed > SLOW_SCAN)


def _what(p: ScanProgress) -> str:
    return f"{p.account}: {'first scan' if p.first else 'scan'} of {p.folder}"


def _rate(p: ScanProgress) -> str:
    return f"{p.rate:.0f}/s"


def _left(p: ScanProgress) -> str:
    if p.rate <= 0 or p.done >= p.total:
        return ""
    seconds = (p.total - p.done) / p.rate
    return f", {seconds:.0f} s left" if seconds < 120 else f", {seconds / 60:.0f} min left"


class ProgressBar:
    """One line on a terminal, redrawn in place: folder, bar, counts, rate, time left."""

    def __init__(self, stream: IO[str]):
        self.stream = stream
        self._folder: tuple[str, str] | None = None  # (account, folder) of the open line
        self._length = 0
        encoding = (getattr(stream, "encoding", "") or "").lower().replace("-", "")
        self._marks = ("█", "░") if encoding == "utf8" else ("#", "-")

    def __call__(self, p: ScanProgress) -> None:
        folder = (p.account, p.folder)
        if self._folder != folder:
            self.close()
            if not _worth_showing(p):
                return
            self._folder = folder
        if p.finished:
            self._draw(f"{_what(p)}: {p.done} messages read in {p.elapsed:.0f} s ({_rate(p)})")
            self.close()
            return
        columns = shutil.get_terminal_size((80, 24)).columns
        text = f" {p.done}/{p.total} ({_rate(p)}{_left(p)})" if p.done else f" 0/{p.total} messages"
        head = f"{_what(p)} "
        # The bar keeps its width from frame to frame: room is kept for the longest text.
        room = columns - 1 - len(head) - len(f" {p.total}/{p.total} (99999/s, 99 min left)") - 2
        if room >= 10:
            bar_width = min(room, 40)
            full = round(bar_width * p.done / p.total) if p.total else bar_width
            bar = "[" + self._marks[0] * full + self._marks[1] * (bar_width - full) + "]"
            self._draw(head + bar + text)
        else:
            self._draw((head + text.strip())[: columns - 1])

    def _draw(self, line: str) -> None:
        # Pad over what the previous, longer line left; \r returns to the start of the line.
        self.stream.write("\r" + line.ljust(self._length))
        self.stream.flush()
        self._length = len(line)

    def close(self) -> None:
        """End the open line (a folder done, the pass over, or interrupted)."""
        if self._folder is not None:
            self.stream.write("\n")
            self.stream.flush()
        self._folder, self._length = None, 0


class ProgressLog:
    """Under systemd, in a pipe or a log: a line now and then, never a redrawn one."""

    def __init__(self, say: Callable[[str], None]):
        self.say = say
        self._folder: tuple[str, str] | None = None
        self._said_at = 0.0  # elapsed seconds at the last line
        self._next_percent = 0

    def __call__(self, p: ScanProgress) -> None:
        folder = (p.account, p.folder)
        if self._folder != folder:
            self._folder = None
            if not _worth_showing(p):
                return
            self._folder, self._said_at, self._next_percent = folder, -LOG_EVERY_SECONDS, 0
        if p.finished:
            self.say(f"{_what(p)}: {p.done} messages read in {p.elapsed:.0f} s ({_rate(p)})")
            self._folder = None
            return
        if p.done >= p.total:
            return  # the line that the folder is done follows
        percent = p.done * 100 // p.total  # whole numbers: 0.6 / 0.1 is not 6 in floating point
        if p.elapsed - self._said_at >= LOG_EVERY_SECONDS or percent >= self._next_percent:
            self.say(
                f"{_what(p)}: {p.done}/{p.total} messages ({_rate(p)})"
                if p.done
                else f"{_what(p)}: {p.total} messages to read"
            )
            self._said_at = p.elapsed
            self._next_percent = (percent // LOG_EVERY_PERCENT + 1) * LOG_EVERY_PERCENT

    def close(self) -> None:
        self._folder = None


def for_stream(stream: IO[str]) -> ProgressBar | ProgressLog:
    """A bar when ``stream`` is a terminal, else plain lines written to it."""
    isatty = getattr(stream, "isatty", None)
    if isatty and isatty():
        return ProgressBar(stream)

    def say(line: str) -> None:
        stream.write(line + "\n")
        stream.flush()

    return ProgressLog(say)
