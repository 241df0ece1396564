"""What one pass saw and did (``PassReport``), and how far its scan is (``ScanProgress``).

The values the engine, the sync and the outbox fill in, and the CLI, the service, the logs and
the tests read. Nothing here does anything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .domain.model import CheckIn, Deliverable, Draft, FollowUp, Invoice, Reminder, Statement, Termination
from .domain.said import Said

if TYPE_CHECKING:
    from .domain.facts import Change


@dataclass
class PassReport:
    """What one pass saw and did, for the CLI, the logs and the tests."""

    account: str
    dry_run: bool = False
    scanned: int = 0
    candidates: int = 0
    invoices: list[Invoice] = field(default_factory=list)
    deliverables: list[Deliverable] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)  # one line per state change
    # A change line's words (and the journal data they cite), for a view in her language.
    words: dict[str, tuple[Said, Mapping[str, Any]]] = field(default_factory=dict)
    paid: list[Invoice] = field(default_factory=list)
    reopened: list[Invoice] = field(default_factory=list)
    planned: list[Reminder | Statement | FollowUp | CheckIn] = field(default_factory=list)
    composed: list[Draft] = field(default_factory=list)
    drafted: list[Draft] = field(default_factory=list)
    sent_by_smtp: list[Draft] = field(default_factory=list)  # stages with `action: send`
    notified: list[str] = field(default_factory=list)  # keys of `action: notify` stages recorded
    terminations: list[Termination] = field(default_factory=list)  # suggested this pass
    sent: list[str] = field(default_factory=list)  # keys whose draft was seen in Sent
    withdrawn: list[str] = field(default_factory=list)  # keys of drafts that became wrong, withdrawn
    obsolete: list[str] = field(default_factory=list)  # ...and of those left to the freelancer, flagged
    skipped_messages: list[str] = field(default_factory=list)
    # Installation ids of other assistants writing into this mailbox (seen this pass).
    other_installations: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    held: list[Invoice] = field(default_factory=list)  # first run: old invoices held to confirm (issue 15)
    # The paid tag in the filed folders: those that had changed and were searched (the others
    # cost one STATUS), and the messages whose Message-ID was read.
    tags_searched: list[str] = field(default_factory=list)
    tags_read: int = 0

    def add_change(self, change: Change) -> None:
        """A state change, as its line and (for a view in her language) its words."""
        self.changes.append(change.line)
        if change.said is not None:
            self.words[change.line] = (change.said, change.journal_data)


@dataclass(frozen=True, slots=True)
class ScanProgress:
    """How far the scan of one folder is, told to ``run_pass``'s ``progress`` callable."""

    account: str
    folder: str  # its name in the mailbox
    done: int  # messages read so far
    total: int  # new messages this scan reads
    elapsed: float  # seconds since this folder's scan began
    first: bool  # a first scan (or the rest of an interrupted one)
    finished: bool = False  # the last report of this folder's scan

    @property
    def rate(self) -> float:
        """Messages read per second so far."""
        return self.done / self.elapsed if self.elapsed > 0 else 0.0


Progress = Callable[[ScanProgress], None]


class Stopped(Exception):
    """The service is stopping: the pass was rolled back and will be redone."""
