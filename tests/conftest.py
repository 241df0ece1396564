"""Fixtures for the whole suite: the real Dovecot, a fresh IMAP user per test, the mail corpora."""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.dovecot import Dovecot, scratch_dir

REPOSITORY = Path(__file__).resolve().parent.parent
_users = itertools.count(1)


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """One real Dovecot for the whole run; tests keep apart by using their own `imap_user`."""
    with scratch_dir("fa-dovecot-") as workdir, Dovecot.start(workdir) as server:
        yield server


@pytest.fixture
def imap_user(request: pytest.FixtureRequest) -> str:
    """A user name no other test has used in this run, so its mailbox starts empty."""
    name = re.sub(r"[^a-z0-9]", "", request.node.name.lower())[:40]
    return f"u{next(_users)}{name}"


@pytest.fixture(scope="session")
def corpora_dir() -> Path | None:
    """The shared mail corpora: $FA_CORPORA, else ../shared/corpora beside the repository.

    None when the directory is missing: a test that needs it then calls
    `pytest.skip("no mail corpora: set FA_CORPORA ...")`, the one skip this suite allows.
    """
    path = Path(os.environ.get("FA_CORPORA") or REPOSITORY.parent / "shared" / "corpora")
    return path if path.is_dir() else None


@pytest.fixture(params=["imap", "maildir"])
def world(request: pytest.FixtureRequest, tmp_path: Path):
    """The freelancer's mailbox, once as a real Dovecot account and once as a Maildir."""
    from tests.support.mailboxes import ImapWorld, MaildirWorld

    if request.param == "imap":
        world = ImapWorld(request.getfixturevalue("dovecot"), request.getfixturevalue("imap_user"))
    else:
        world = MaildirWorld(tmp_path / "Maildir")
    yield world
    world.close()


@pytest.fixture(scope="session")
def corpora(corpora_dir: Path | None) -> Path:
    """The corpora directory, or a skip that says how to provide it."""
    if corpora_dir is None:
        pytest.skip("no shared mail corpora here: set FA_CORPORA to their directory")
    return corpora_dir


@pytest.fixture
def me(world, tmp_path: Path):
    """The freelancer, with a config for `world` (see tests/support/freelancer.py)."""
    from tests.support.freelancer import Freelancer

    return Freelancer(world, tmp_path / "config")


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps every message it receives."""
    from tests.support.smtp import SmtpSink

    with SmtpSink() as sink:
        yield sink


@pytest.fixture(autouse=True)
def root_logging_restored():
    """cli.main points the root logger at the stderr of its moment: pytest's capture of that
    test, closed afterwards. Later tests that log would print "--- Logging error ---"."""
    import logging

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
