"""Fixtures shared by the whole suite: the real Dovecot, a fresh IMAP user per test, the mail corpora."""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.dovecot import Dovecot

REPOSITORY = Path(__file__).resolve().parent.parent
_users = itertools.count(1)


@pytest.fixture(scope="session")
def dovecot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dovecot]:
    """One real Dovecot for the whole run; tests keep apart by using their own `imap_user`."""
    with Dovecot.start(tmp_path_factory.mktemp("dovecot")) as server:
        yield server


@pytest.fixture
def imap_user(request: pytest.FixtureRequest) -> str:
    """A user name no other test has used in this run, so its mailbox starts empty."""
    name = re.sub(r"[^a-z0-9]", "", request.node.name.lower())[:40]
    return f"u{next(_users)}{name}"


@pytest.fixture(scope="session")
def corpora_dir() -> Path | None:
    """The shared mail corpora: $FA_CORPORA, else ../shared/corpora beside the repository.

    None when neither exists; a test that needs them then skips with `skip_without_corpora`.
    """
    path = Path(os.environ.get("FA_CORPORA") or REPOSITORY.parent / "shared" / "corpora")
    return path if path.is_dir() else None
