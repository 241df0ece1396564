"""The fault-injecting proxy passes IMAP through unchanged, adds latency without throttling, and
breaks connections exactly where and how its plan says, against the real Dovecot."""

from __future__ import annotations

import base64
import contextlib
import imaplib
import itertools
import math
import random
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator

import imapclient
import pytest

from tests.support.dovecot import Dovecot
from tests.support.proxy import CHUNK, TO_CLIENT, TO_SERVER, Fault, Proxy, random_faults

pytestmark = pytest.mark.dovecot

MESSAGE_SIZE = 5 * 1024 * 1024
LATENCY = 0.025


def big_message(size: int = MESSAGE_SIZE) -> bytes:
    """About `size` bytes of mail that Dovecot stores and returns byte for byte (CRLF lines)."""
    raw = random.Random(5).randbytes(size * 3 // 4)
    body = base64.encodebytes(raw).replace(b"\n", b"\r\n")
    return (
        b"From: Proxy Test <proxy@freelancer.example>\r\n"
        b"To: Acme <billing@acme.example>\r\n"
        b"Subject: Large attachment\r\n"
        b"Message-ID: <proxy-big@freelancer.example>\r\n"
        b"\r\n" + body
    )


MESSAGE = big_message()


@pytest.fixture
def tls_proxy(dovecot: Dovecot) -> Iterator[Proxy]:
    with Proxy(dovecot.host, dovecot.tls_port) as proxy:
        yield proxy
    assert proxy.errors == []


@pytest.fixture
def plain_proxy(dovecot: Dovecot) -> Iterator[Proxy]:
    """In front of the plaintext port: patterns such as b"APPEND" are visible only there."""
    with Proxy(dovecot.host, dovecot.port) as proxy:
        yield proxy
    assert proxy.errors == []


def connect(dovecot: Dovecot, proxy: Proxy, *, timeout: float = 10) -> imapclient.IMAPClient:
    """A client through `proxy`: implicit TLS verified against the harness's certificate, or
    plaintext when the proxy fronts the plaintext port."""
    if proxy.target_port == dovecot.tls_port:
        context = ssl.create_default_context(cafile=str(dovecot.ca_file))
        return imapclient.IMAPClient("127.0.0.1", port=proxy.port, ssl_context=context, timeout=timeout)
    return imapclient.IMAPClient("127.0.0.1", port=proxy.port, ssl=False, timeout=timeout)


@contextlib.contextmanager
def session(
    dovecot: Dovecot, proxy: Proxy, user: str, *, timeout: float = 10
) -> Iterator[imapclient.IMAPClient]:
    client = connect(dovecot, proxy, timeout=timeout)
    try:
        client.login(user, dovecot.password)
        yield client
    finally:
        with contextlib.suppress(Exception):
            client.logout()
        with contextlib.suppress(Exception):
            client.shutdown()


def timed(action: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def fetch_body(client: imapclient.IMAPClient, uid: int) -> bytes:
    return client.fetch([uid], ["BODY.PEEK[]"])[uid][b"BODY[]"]


def only_uid(client: imapclient.IMAPClient) -> int:
    client.select_folder("INBOX")
    (uid,) = client.search("ALL")
    return uid


def wait_until(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def raw_greeting(proxy: Proxy, *, limit: int = 4096) -> bytes:
    """Everything the plaintext port sends before the client speaks, until EOF or a full line."""
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as sock:
        data = b""
        while not data.endswith(b"\r\n") and len(data) < limit:
            chunk = sock.recv(limit)
            if not chunk:
                break
            data += chunk
        return data


# ---- forwarding -----------------------------------------------------------------------------------


def test_a_5_mb_message_appended_and_fetched_through_the_proxy_comes_back_identical(
    dovecot, imap_user, tls_proxy
):
    with session(dovecot, tls_proxy, imap_user) as client:
        client.append("INBOX", MESSAGE)
        body = fetch_body(client, only_uid(client))
    assert body == MESSAGE
    assert tls_proxy.bytes_to_server > len(MESSAGE)
    assert tls_proxy.bytes_to_client > len(MESSAGE)
    assert tls_proxy.connections == 1


def test_many_concurrent_sessions_each_get_their_own_upstream_connection(dovecot, imap_user, tls_proxy):
    tls_proxy.latency = LATENCY
    sessions = 24
    results: dict[int, object] = {}
    barrier = threading.Barrier(sessions)

    def one(index: int) -> None:
        try:
            with session(dovecot, tls_proxy, f"{imap_user}n{index}") as client:
                barrier.wait(timeout=20)
                client.select_folder("INBOX")
                results[index] = client.noop()
        except BaseException as exc:
            results[index] = exc

    threads = [threading.Thread(target=one, args=(index,)) for index in range(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    failures = {index: result for index, result in results.items() if isinstance(result, BaseException)}
    assert failures == {}
    assert len(results) == sessions
    assert tls_proxy.connections == sessions
    assert wait_until(lambda: tls_proxy.open_connections == 0)


# ---- latency --------------------------------------------------------------------------------------


def test_latency_delays_every_round_trip_but_does_not_serialise_a_bulk_fetch(dovecot, imap_user, tls_proxy):
    dovecot.save(imap_user, "INBOX", MESSAGE)
    with session(dovecot, tls_proxy, imap_user) as client:
        uid = only_uid(client)
        fetch_body(client, uid)  # warm Dovecot's cache, so both measured fetches do the same work
        noop_direct, _ = timed(client.noop)
        fetch_direct, body_direct = timed(lambda: fetch_body(client, uid))

        tls_proxy.latency = LATENCY
        noop_slow, _ = timed(client.noop)
        fetch_slow, body_slow = timed(lambda: fetch_body(client, uid))

    assert body_direct == body_slow == MESSAGE
    assert noop_slow >= 2 * LATENCY, f"NOOP took {noop_slow:.3f} s with {LATENCY} s each way"
    # A proxy that slept `latency` for each 64 KB chunk in turn would add at least this much:
    serialised = math.ceil(len(MESSAGE) / CHUNK) * LATENCY
    added = fetch_slow - fetch_direct
    assert fetch_slow >= 2 * LATENCY
    assert added < serialised / 4, (
        f"fetch took {fetch_direct:.3f} s direct, {fetch_slow:.3f} s with latency; "
        f"serialised latency would add {serialised:.2f} s (NOOP {noop_direct:.4f} s -> {noop_slow:.4f} s)"
    )


# ---- faults ---------------------------------------------------------------------------------------


def test_a_reset_makes_the_client_see_connection_reset(dovecot, imap_user, plain_proxy):
    with session(dovecot, plain_proxy, imap_user) as client:
        plain_proxy.plan([Fault("reset", TO_CLIENT)])
        with pytest.raises(ConnectionResetError):
            client.noop()
    (injection,) = plain_proxy.faults_injected
    assert (injection.connection, injection.kind, injection.direction) == (1, "reset", TO_CLIENT)
    assert wait_until(lambda: plain_proxy.open_connections == 0)


def test_a_reset_under_tls_breaks_the_session(dovecot, imap_user, tls_proxy):
    with session(dovecot, tls_proxy, imap_user) as client:
        tls_proxy.plan([Fault("reset", TO_CLIENT, after_bytes=5)])
        # Python's ssl (OpenSSL 3) reports a RST during a read as a ragged EOF, so imaplib raises
        # abort("socket error: EOF") here; the plaintext test above shows the RST itself.
        with pytest.raises((OSError, imaplib.IMAP4.abort)):
            client.noop()
    assert [i.kind for i in tls_proxy.faults_injected] == ["reset"]


def test_a_reset_after_n_bytes_delivers_exactly_those_bytes_then_a_reset(plain_proxy):
    plain_proxy.plan([Fault("reset", TO_CLIENT, after_bytes=10)])
    data = b""
    # Dovecot greets at once, so the RST can come before connect() has even returned.
    with (
        pytest.raises(ConnectionResetError),
        socket.create_connection(("127.0.0.1", plain_proxy.port), timeout=5) as sock,
    ):
        while chunk := sock.recv(4096):
            data += chunk
    assert data in (b"", b"* OK [CAPA")  # a RST may overtake bytes not yet read: both are real resets
    assert plain_proxy.faults_injected[0].offset == 10


def test_a_cut_closes_the_stream_cleanly_at_the_planned_byte(plain_proxy):
    plain_proxy.plan([Fault("cut", TO_CLIENT, after_bytes=10)])
    assert raw_greeting(plain_proxy) == b"* OK [CAPA"  # then EOF, not a reset
    assert raw_greeting(plain_proxy).startswith(b"* OK [CAPABILITY ")  # the plan is used up


def test_a_cut_in_the_middle_of_a_fetch_gives_the_tls_client_eof(dovecot, imap_user, tls_proxy):
    dovecot.save(imap_user, "INBOX", MESSAGE)
    with session(dovecot, tls_proxy, imap_user) as client:
        uid = only_uid(client)
        tls_proxy.plan([Fault("cut", TO_CLIENT, after_bytes=len(MESSAGE) // 2)])
        with pytest.raises(imaplib.IMAP4.abort, match="EOF"):
            fetch_body(client, uid)
    assert [i.kind for i in tls_proxy.faults_injected] == ["cut"]


def test_a_stall_makes_a_client_with_a_1_s_timeout_time_out_and_then_the_link_closes(
    dovecot, imap_user, tls_proxy
):
    with session(dovecot, tls_proxy, imap_user, timeout=1) as client:
        tls_proxy.plan([Fault("stall", TO_CLIENT)])  # forever: until the client gives up
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            client.noop()
        waited = time.monotonic() - started
    assert 0.9 <= waited < 5, waited
    # The client closed on timeout; the proxy then drops the server side as well.
    assert wait_until(lambda: tls_proxy.open_connections == 0)


def test_a_finite_stall_holds_the_reply_then_lets_it_through(dovecot, imap_user, tls_proxy):
    with session(dovecot, tls_proxy, imap_user, timeout=5) as client:
        tls_proxy.plan([Fault("stall", TO_CLIENT, seconds=1.0)])
        held, _ = timed(client.noop)
        after, _ = timed(client.noop)
    assert held >= 1.0
    assert after < 0.5  # direct, a NOOP takes about a millisecond; the margin is for busy machines


def test_a_delay_slows_one_exchange_only(dovecot, imap_user, tls_proxy):
    with session(dovecot, tls_proxy, imap_user) as client:
        tls_proxy.plan([Fault("delay", TO_SERVER, seconds=1.0)])
        delayed, _ = timed(client.noop)
        after, _ = timed(client.noop)
    assert delayed >= 1.0
    assert after < 0.5
    assert [i.kind for i in tls_proxy.faults_injected] == ["delay"]


def test_corrupted_bytes_make_the_tls_client_fail_its_integrity_check(dovecot, imap_user, tls_proxy):
    with session(dovecot, tls_proxy, imap_user) as client:
        tls_proxy.plan([Fault("corrupt", TO_CLIENT, after_bytes=10, count=4)])
        with pytest.raises(ssl.SSLError):
            client.noop()


def test_a_pattern_fault_fires_on_append_and_not_before(dovecot, imap_user, plain_proxy):
    with session(dovecot, plain_proxy, imap_user) as client:
        plain_proxy.plan([Fault("reset", TO_SERVER, pattern=b"APPEND")])
        client.select_folder("INBOX")
        client.search("ALL")
        client.noop()
        client.list_folders()
        client.folder_status("INBOX", ["MESSAGES", "UIDNEXT"])
        assert plain_proxy.faults_injected == []
        with pytest.raises((OSError, imaplib.IMAP4.abort)):
            client.append("INBOX", b"Subject: never stored\r\n\r\nbody\r\n")
    (injection,) = plain_proxy.faults_injected
    assert (injection.kind, injection.direction, injection.fault.pattern) == ("reset", TO_SERVER, b"APPEND")
    assert dovecot.status(imap_user, "INBOX")["messages"] == 0


def test_a_pattern_fault_can_fire_inside_the_appended_literal(dovecot, imap_user, plain_proxy):
    with session(dovecot, plain_proxy, imap_user) as client:
        plain_proxy.plan([Fault("cut", TO_SERVER, pattern=b"APPEND", after_bytes=100_000)])
        with pytest.raises((OSError, imaplib.IMAP4.abort)):
            client.append("INBOX", MESSAGE)
    (injection,) = plain_proxy.faults_injected
    assert injection.offset > 100_000
    assert dovecot.status(imap_user, "INBOX")["messages"] == 0


def test_refuse_makes_connects_fail_until_it_is_turned_off(dovecot, imap_user, tls_proxy):
    tls_proxy.refuse(True)
    with pytest.raises(ConnectionRefusedError):
        connect(dovecot, tls_proxy)
    tls_proxy.refuse(False)
    with session(dovecot, tls_proxy, imap_user) as client:
        assert client.noop()


def test_refuse_in_reset_mode_accepts_and_resets_each_connection(dovecot, imap_user, tls_proxy):
    tls_proxy.refuse(True, mode="reset")
    with pytest.raises((ConnectionResetError, ssl.SSLError)):
        connect(dovecot, tls_proxy)
    assert [i.kind for i in tls_proxy.faults_injected] == ["refuse"]
    tls_proxy.refuse(False)
    with session(dovecot, tls_proxy, imap_user) as client:
        assert client.noop()


def test_break_all_drops_every_live_connection_and_new_ones_still_work(dovecot, imap_user, tls_proxy):
    with session(dovecot, tls_proxy, imap_user) as first, session(dovecot, tls_proxy, imap_user) as second:
        assert tls_proxy.break_all() == 2
        for client in (first, second):
            with pytest.raises((OSError, imaplib.IMAP4.abort)):
                client.noop()
    assert tls_proxy.open_connections == 0
    with session(dovecot, tls_proxy, imap_user) as client:
        assert client.noop()


def test_a_policy_gives_each_connection_its_own_faults(plain_proxy):
    plain_proxy.plan(lambda number: [Fault("cut", TO_CLIENT, after_bytes=4)] if number % 2 == 0 else [])
    greetings = [raw_greeting(plain_proxy) for _ in range(4)]
    assert [len(greeting) > 4 for greeting in greetings] == [True, False, True, False]
    assert [i.connection for i in plain_proxy.faults_injected] == [2, 4]


def test_a_sequence_fires_in_order_each_fault_counting_from_the_previous_one(dovecot, imap_user, plain_proxy):
    dovecot.save(imap_user, "INBOX", MESSAGE)
    plan = random_faults(3, 6, kinds=("delay",), directions=(TO_CLIENT,), delay_seconds=(0.01, 0.02))
    with session(dovecot, plain_proxy, imap_user) as client:
        uid = only_uid(client)
        plain_proxy.plan(plan)
        assert fetch_body(client, uid) == MESSAGE
    fired = plain_proxy.faults_injected
    assert [i.fault for i in fired] == plan
    # Each offset counts from where the previous fault fired; the first from where it was armed.
    steps = [later.offset - earlier.offset for earlier, later in itertools.pairwise(fired)]
    assert steps == [fault.after_bytes for fault in plan[1:]]


def test_the_same_seed_gives_the_same_plan():
    kinds = ("reset", "cut", "stall", "delay", "corrupt")
    patterns = [(TO_SERVER, b"APPEND"), (TO_CLIENT, b"FETCH")]
    first = random_faults(42, 50, kinds=kinds, patterns=patterns, max_offset=1_000_000)
    assert first == random_faults(42, 50, kinds=kinds, patterns=patterns, max_offset=1_000_000)
    assert first != random_faults(43, 50, kinds=kinds, patterns=patterns, max_offset=1_000_000)
    assert {fault.kind for fault in first} == set(kinds)
    assert all(0 <= fault.after_bytes <= 1_000_000 for fault in first)
    assert any(fault.pattern == b"APPEND" and fault.direction == TO_SERVER for fault in first)
    assert all(fault.seconds is not None for fault in first if fault.kind in ("stall", "delay"))
