"""A TCP proxy for tests that puts a bad network between a client and a server.

Its one job: forward bytes between clients and one server unchanged and fast, while adding latency
and injecting faults (resets, clean cuts, stalls, delays, corrupted bytes) at chosen or seeded
random points, so reliability tests and benchmarks can reproduce a bad network on 127.0.0.1.

    with Proxy(dovecot.host, dovecot.tls_port) as proxy:
        proxy.latency = 0.025  # 25 ms each way: a 50 ms round trip
        proxy.plan([Fault("reset", TO_CLIENT, after_bytes=10_000)])
        client = IMAPClient("127.0.0.1", port=proxy.port, ssl_context=context)

How it forwards. One private asyncio loop in one daemon thread serves every connection; each
accepted client gets its own upstream connection and, per direction, a reader and a writer joined
by a delay line. The reader stamps every chunk (up to 64 KB) with `read time + latency` and keeps
reading; the writer sends each chunk when its time comes. Bulk transfer therefore costs one latency
plus the transfer time, as on a real long link, not latency x chunks. The line holds at most
`max_buffered` bytes per direction (8 MB); beyond that the reader waits, so the sender feels the
back-pressure a full TCP window would give.

How faults fire. A plan is a sequence of `Fault`s that fire one after another, each once: only the
first unfired fault is armed. Its trigger counts the bytes read in its `direction` on a connection
since it was armed there (when the connection opened, or when the previous fault fired, whichever
is later); the first connection to reach the trigger fires it, and the next fault is armed. With
`pattern`, the trigger is the first occurrence of those bytes (searched from the arming point)
plus `after_bytes`; `after_bytes=0` fires just before the pattern, which is then not delivered.
A callable policy instead gives each new connection its own sequence. Actions travel through the
delay line, so the bytes before a fault reach the peer first, `latency` later:

- "reset": both sockets close with SO_LINGER 0; both peers get a RST (ECONNRESET). Python's ssl
  module (OpenSSL 3) reports a RST met while reading as an EOF, so a TLS client of imaplib sees
  abort("socket error: EOF"); a plaintext client sees ConnectionResetError.
- "cut":   both sockets close cleanly; both peers read EOF mid-stream.
- "stall": the direction holds for `seconds`, or with `seconds=None` until the connection closes;
  what arrives meanwhile waits in the delay line. If the client gives up on a link stalled
  forever and closes, the proxy closes the server side too.
- "delay": the direction holds once for `seconds` (a latency spike); the same hold as a finite
  stall, told apart in `faults_injected`.
- "corrupt": `count` bytes at the trigger are XOR-ed with 0xFF (only within the chunk that holds
  the trigger). Over TLS the client gets an SSL error (bad record MAC); in plaintext, wrong bytes.

Limitations. Patterns only match what is on the wire: over TLS, only byte offsets make sense.
Connection set-up itself is not delayed (connect() returns at once, as on loopback); only the
data is, so a new connection costs one round trip less than on a real link. A client that sends
more than `max_buffered` bytes into a direction stalled forever and then closes is not noticed
until stop() or break_all(). Bulk throughput with latency is capped at max_buffered / latency
(320 MB/s at 25 ms).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

TO_SERVER = "to_server"
TO_CLIENT = "to_client"
DIRECTIONS = (TO_SERVER, TO_CLIENT)
KINDS = ("reset", "cut", "stall", "delay", "corrupt")
CHUNK = 64 * 1024
MAX_BUFFERED = 8 * 1024 * 1024
CONNECT_TIMEOUT = 5.0
CALL_TIMEOUT = 10.0  # how long a call from a test thread waits for the proxy's loop

Policy = Callable[[int], Iterable["Fault"]]


@dataclass(frozen=True)
class Fault:
    """One piece of network trouble: WHAT (`kind`) happens WHEN (`direction`, offset or pattern).

    `connection`, when set, limits the fault to that connection number (1 = the first accepted
    since start()); a plan whose first fault names a connection that never comes stays stuck.
    """

    kind: str
    direction: str = TO_CLIENT
    after_bytes: int = 0
    pattern: bytes | None = None
    seconds: float | None = None
    connection: int | None = None
    count: int = 1

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}: one of {KINDS}")
        if self.direction not in DIRECTIONS:
            raise ValueError(f"unknown direction {self.direction!r}: one of {DIRECTIONS}")
        if self.after_bytes < 0:
            raise ValueError("after_bytes must be >= 0")
        if self.pattern is not None and not self.pattern:
            raise ValueError("an empty pattern would match everywhere: use after_bytes")
        if self.kind == "delay" and self.seconds is None:
            raise ValueError("a delay needs seconds (a stall may have seconds=None: forever)")
        if self.seconds is not None and self.seconds < 0:
            raise ValueError("seconds must be >= 0")
        if self.count < 1:
            raise ValueError("count must be >= 1")


@dataclass(frozen=True)
class Injection:
    """A fault that fired: on which connection, what, where in the stream and when.

    `offset` is the number of bytes read in `direction` on that connection before the fault;
    `time` is seconds since start(), taken when the fault fired (its effect follows `latency`
    later, after the bytes before it). `fault` is None for break_all() and refused connections.
    """

    connection: int
    kind: str
    direction: str | None
    offset: int | None
    time: float
    fault: Fault | None


def random_faults(
    seed: int | str,
    count: int,
    *,
    kinds: Sequence[str] = ("reset", "cut", "stall", "delay"),
    directions: Sequence[str] = DIRECTIONS,
    max_offset: int = 100_000,
    patterns: Sequence[tuple[str, bytes]] = (),
    stall_seconds: tuple[float, float] | None = (0.1, 2.0),
    delay_seconds: tuple[float, float] = (0.05, 0.5),
) -> list[Fault]:
    """A reproducible plan: the same arguments always give the same faults.

    Each fault gets a kind from `kinds`, a trigger (a direction with an offset up to `max_offset`,
    or, when `patterns` lists (direction, bytes) pairs, sometimes one of those patterns plus an
    offset), and for stalls and delays a duration from the ranges; `stall_seconds=None` makes
    every stall last until the client gives up.
    """
    for kind in kinds:
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}: one of {KINDS}")
    rng = random.Random(seed)
    triggers: list[tuple[str, bytes] | None] = [None, *patterns]
    faults = []
    for _ in range(count):
        # Every draw happens for every fault, whatever its kind, so one argument changing does
        # not shift the rest of the sequence more than it must.
        kind = rng.choice(list(kinds))
        trigger = rng.choice(triggers)
        direction = rng.choice(list(directions))
        after_bytes = rng.randint(0, max_offset)
        stall = rng.uniform(*stall_seconds) if stall_seconds is not None else None
        delay = rng.uniform(*delay_seconds)
        pattern = None
        if trigger is not None:
            direction, pattern = trigger
        seconds = None
        if kind == "stall" and stall is not None:
            seconds = round(stall, 3)
        elif kind == "delay":
            seconds = round(delay, 3)
        faults.append(Fault(kind, direction, after_bytes=after_bytes, pattern=pattern, seconds=seconds))
    return faults


class Proxy:
    """A TCP proxy from `listen_host`:`port` to `target_host`:`target_port` that injects trouble.

    Counters (read them from any thread): `connections` (accepted since start), `open_connections`,
    `faults_injected` (list of `Injection`), `bytes_to_server` and `bytes_to_client` (delivered),
    `errors` (unexpected exceptions inside the proxy: a test can assert it stays empty).
    """

    def __init__(
        self,
        target_host: str,
        target_port: int,
        *,
        listen_host: str = "127.0.0.1",
        max_buffered: int = MAX_BUFFERED,
    ) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.listen_host = listen_host
        self.max_buffered = max_buffered
        self.port = 0
        self.connections = 0
        self.faults_injected: list[Injection] = []
        self.bytes_to_server = 0
        self.bytes_to_client = 0
        self.errors: list[BaseException] = []
        self._latency = 0.0
        self._shared: _Sequence | None = None
        self._policy: Policy | None = None
        self._refusing: str | None = None
        self._links: set[_Link] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._listener: socket.socket | None = None
        self._accept_task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._started = 0.0
        self._family = socket.AF_INET

    # ---- lifecycle ------------------------------------------------------------------------------

    def start(self) -> Proxy:
        """Bind a free port (now in `port`) and start forwarding in a background thread."""
        if self._thread is not None:
            raise RuntimeError("the proxy is already running")
        self._family = socket.getaddrinfo(self.target_host, self.target_port, type=socket.SOCK_STREAM)[0][0]
        # Bound here, in the caller's thread, so a bind error raises where it can be seen and
        # `port` is known before the first client connects.
        self._listener = self._listen(0)
        self.port = self._listener.getsockname()[1]
        self._loop = asyncio.new_event_loop()
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._loop.run_forever, name=f"proxy:{self.port}", daemon=True)
        self._thread.start()
        self._call(self._start_accepting)
        return self

    def stop(self) -> None:
        """Close the listener and every connection, and end the thread; safe to call twice."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        try:
            self._call(self._shutdown)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(CALL_TIMEOUT)
            self._thread = None
            self._loop = None
            if not thread.is_alive():
                loop.close()

    def __enter__(self) -> Proxy:
        if self._thread is None:
            self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ---- controls (any thread) ------------------------------------------------------------------

    @property
    def latency(self) -> float:
        """Seconds added to every chunk in each direction; applies to chunks read from now on."""
        return self._latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("latency must be >= 0")
        self._latency = float(seconds)

    @property
    def open_connections(self) -> int:
        return len(self._links)

    @property
    def pending_faults(self) -> list[Fault]:
        """The faults of the shared plan that have not fired yet, the armed one first."""
        shared = self._shared
        return list(shared.pending) if shared is not None else []

    def plan(self, faults: Iterable[Fault] | Policy | None) -> None:
        """Replace the fault plan: a sequence shared by all connections, a policy, or None.

        A policy is called with each new connection's number and returns that connection's own
        sequence of faults. A new shared sequence is armed at once on the open connections too.
        """
        if faults is None:
            shared, policy = None, None
        elif callable(faults):
            shared, policy = None, faults
        else:
            shared, policy = _Sequence(list(faults)), None

        def install() -> None:
            self._shared, self._policy = shared, policy

        self._run_in_loop(install)

    def break_all(self) -> int:
        """Reset every open connection now (both peers see ECONNRESET); returns how many."""
        return self._call(self._break_all)

    def refuse(self, on: bool = True, *, mode: str = "refuse") -> None:
        """Make new connections fail (the server is down), or with on=False work again.

        mode "refuse" closes the listening socket, so connect() fails with ECONNREFUSED; the port
        is bound again on refuse(False). mode "reset" keeps listening and resets each accepted
        connection at once (a server that accepts and dies). Open connections are left alone.
        """
        if mode not in ("refuse", "reset"):
            raise ValueError("mode is 'refuse' or 'reset'")
        self._call(self._set_refusing, mode if on else None)

    # ---- inside the loop ------------------------------------------------------------------------

    def _listen(self, port: int) -> socket.socket:
        listener = socket.socket(socket.getaddrinfo(self.listen_host, port)[0][0], socket.SOCK_STREAM)
        try:
            # SO_REUSEADDR lets refuse(False) bind the same port again right after refuse(True).
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((self.listen_host, port))
            listener.listen(512)
            listener.setblocking(False)
        except BaseException:
            listener.close()
            raise
        return listener

    async def _start_accepting(self) -> None:
        assert self._listener is not None
        self._accept_task = asyncio.get_running_loop().create_task(self._accept(self._listener))

    async def _stop_accepting(self) -> None:
        task, self._accept_task = self._accept_task, None
        if task is not None:
            # The task is awaited before the socket closes: asyncio must drop its selector entry
            # first, or a new socket given the same file descriptor could inherit it.
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()

    async def _accept(self, listener: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                client, _ = await loop.sock_accept(listener)
            except OSError as exc:
                if listener.fileno() < 0:
                    return
                # EMFILE and friends: keep serving the connections we have, try again shortly.
                self.errors.append(exc)
                await asyncio.sleep(0.05)
                continue
            client.setblocking(False)
            self.connections += 1
            number = self.connections
            if self._refusing == "reset":
                self._record(number, "refuse", None, None, None)
                _close(client, reset=True)
                continue
            task = loop.create_task(self._serve(client, number))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _serve(self, client: socket.socket, number: int) -> None:
        loop = asyncio.get_running_loop()
        server = socket.socket(self._family, socket.SOCK_STREAM)
        server.setblocking(False)
        try:
            await asyncio.wait_for(
                loop.sock_connect(server, (self.target_host, self.target_port)), CONNECT_TIMEOUT
            )
            own = _Sequence(list(self._policy(number))) if self._policy is not None else None
        except BaseException as exc:
            # The server is unreachable (or the policy failed): the client sees a reset, as it would
            # from a proxy in front of a dead server.
            if not isinstance(exc, OSError | TimeoutError | asyncio.CancelledError):
                self.errors.append(exc)
            server.close()
            _close(client, reset=True)
            if isinstance(exc, asyncio.CancelledError):
                raise
            return
        for sock in (client, server):
            # Chunks go out as soon as their time comes: Nagle's algorithm would hold small ones
            # back waiting for an ACK and add a delay nobody asked for.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        link = _Link(self, number, client, server, own)
        self._links.add(link)
        try:
            await link.run()
        finally:
            self._links.discard(link)

    async def _break_all(self) -> int:
        links = list(self._links)
        for link in links:
            link.inject_reset()
        waiting = [link.done for link in links]
        if waiting:
            await asyncio.wait(waiting, timeout=CALL_TIMEOUT)
        return len(links)

    async def _set_refusing(self, mode: str | None) -> None:
        self._refusing = mode
        if mode == "refuse" and self._listener is not None:
            await self._stop_accepting()
        elif mode != "refuse" and self._listener is None:
            self._listener = self._listen(self.port)
            await self._start_accepting()

    async def _shutdown(self) -> None:
        await self._stop_accepting()
        for link in list(self._links):
            link.close(reset=False)
        tasks = list(self._tasks)
        if tasks:
            await asyncio.wait(tasks, timeout=CALL_TIMEOUT)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _fired(self, link: _Link, sequence: _Sequence, fault: Fault, direction: str) -> None:
        sequence.advance()
        self._record(link.number, fault.kind, direction, link.count[direction], fault)

    def _record(
        self, number: int, kind: str, direction: str | None, offset: int | None, fault: Fault | None
    ) -> None:
        elapsed = time.monotonic() - self._started
        self.faults_injected.append(Injection(number, kind, direction, offset, elapsed, fault))

    # ---- calls from other threads ---------------------------------------------------------------

    def _call(self, function: Callable[..., Any], *args: Any) -> Any:
        """Run coroutine function `function(*args)` in the proxy's loop and wait for its result."""
        loop = self._loop
        if loop is None:
            raise RuntimeError("the proxy is not running: call start() first")
        if threading.current_thread() is self._thread:
            raise RuntimeError("a fault policy must not call the proxy's controls from its own loop")
        return asyncio.run_coroutine_threadsafe(function(*args), loop).result(CALL_TIMEOUT)

    def _run_in_loop(self, function: Callable[[], None]) -> None:
        """Run `function` in the loop (or at once, before start or from the loop itself) and wait."""
        loop = self._loop
        if loop is None or threading.current_thread() is self._thread:
            function()
            return

        async def run() -> None:
            function()

        asyncio.run_coroutine_threadsafe(run(), loop).result(CALL_TIMEOUT)


class _Sequence:
    """Faults that fire one at a time; `generation` moves on each time one fires."""

    def __init__(self, faults: list[Fault]) -> None:
        self.pending = deque(faults)
        self.generation = 0

    def advance(self) -> None:
        self.pending.popleft()
        self.generation += 1


_EOF = object()


class _Link:
    """One client connection and its upstream connection: two delay lines, four tasks."""

    def __init__(
        self, proxy: Proxy, number: int, client: socket.socket, server: socket.socket, own: _Sequence | None
    ) -> None:
        self.proxy = proxy
        self.number = number
        self.own = own
        self.sockets = {TO_SERVER: (client, server), TO_CLIENT: (server, client)}  # (source, destination)
        self.count = dict.fromkeys(DIRECTIONS, 0)  # bytes read per direction
        self.queues: dict[str, asyncio.Queue[tuple[float, Any]]] = {d: asyncio.Queue() for d in DIRECTIONS}
        self.buffered = dict.fromkeys(DIRECTIONS, 0)
        self.drained = {d: asyncio.Event() for d in DIRECTIONS}
        self.finished: set[str] = set()
        self.stalled_forever = False
        self.closing = asyncio.Event()
        self.reset = False
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        # Where the armed fault stands on this link: reset whenever the sequence moves on.
        self.armed_key: tuple[_Sequence, int] | None = None
        self.baseline = dict.fromkeys(DIRECTIONS, 0)
        self.trigger: dict[str, int | None] = dict.fromkeys(DIRECTIONS)
        self.tail = dict.fromkeys(DIRECTIONS, b"")

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        tasks = []
        for direction, (source, destination) in self.sockets.items():
            tasks.append(loop.create_task(self._guard(self._read(direction, source))))
            tasks.append(loop.create_task(self._guard(self._write(direction, destination))))
        try:
            await self.closing.wait()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            client, server = self.sockets[TO_SERVER]
            _close(client, reset=self.reset)
            _close(server, reset=self.reset)
            if not self.done.done():
                self.done.set_result(None)

    def close(self, *, reset: bool) -> None:
        if not self.closing.is_set():
            self.reset = reset
            self.closing.set()

    def inject_reset(self) -> None:
        if not self.closing.is_set():
            self.proxy._record(self.number, "reset", None, None, None)
            self.close(reset=True)

    async def _guard(self, work: Any) -> None:
        try:
            await work
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            # A bug in the proxy must not leave a half-dead link behind: note it and reset.
            self.proxy.errors.append(exc)
            self.close(reset=True)

    # ---- one direction --------------------------------------------------------------------------

    async def _read(self, direction: str, source: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            while self.buffered[direction] > self.proxy.max_buffered:
                self.drained[direction].clear()
                await self.drained[direction].wait()
            try:
                data = await loop.sock_recv(source, CHUNK)
            except OSError:
                # The peer reset (or the socket broke): pass the break on to the other peer.
                self.close(reset=True)
                return
            now = loop.time()
            if not data:
                if direction == TO_SERVER and self.stalled_forever:
                    # The client gave up on a link we stall forever: nobody will read what is held.
                    self.close(reset=False)
                else:
                    self._put(direction, now, _EOF)
                return
            if not self._forward(direction, data, now):
                return

    async def _write(self, direction: str, destination: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        queue = self.queues[direction]
        while True:
            deadline, item = await queue.get()
            wait = deadline - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if isinstance(item, bytes):
                try:
                    await loop.sock_sendall(destination, item)
                except OSError:
                    self.close(reset=True)
                    return
                self.buffered[direction] -= len(item)
                if self.buffered[direction] <= self.proxy.max_buffered:
                    self.drained[direction].set()
                if direction == TO_SERVER:
                    self.proxy.bytes_to_server += len(item)
                else:
                    self.proxy.bytes_to_client += len(item)
            elif item is _EOF:
                # Half-close, as TCP does: the other direction may still have data to deliver.
                with contextlib.suppress(OSError):
                    destination.shutdown(socket.SHUT_WR)
                self.finished.add(direction)
                if len(self.finished) == len(DIRECTIONS):
                    self.close(reset=False)
                return
            else:
                kind, seconds = item
                if kind == "reset":
                    self.close(reset=True)
                    return
                if kind == "cut":
                    self.close(reset=False)
                    return
                if seconds is None:  # a stall forever: run() cancels this task when the link closes
                    await self.closing.wait()
                    return
                await asyncio.sleep(seconds)

    def _put(self, direction: str, now: float, item: Any) -> None:
        self.queues[direction].put_nowait((now + self.proxy.latency, item))
        if isinstance(item, bytes):
            self.buffered[direction] += len(item)

    def _forward(self, direction: str, data: bytes, now: float) -> bool:
        """Queue `data`, firing the armed faults that fall inside it; False once the link is done."""
        while True:
            armed = self._armed(direction)
            if armed is None:
                break
            sequence, fault = armed
            position = self._position(fault, direction, data)
            if position is None:
                break
            if position:
                self._put(direction, now, data[:position])
                self.count[direction] += position
                data = data[position:]
            self.proxy._fired(self, sequence, fault, direction)
            if fault.kind in ("reset", "cut"):
                self._put(direction, now, (fault.kind, None))
                return False
            if fault.kind == "corrupt":
                # bytes.translate does the flip in C: no Python work per byte.
                size = min(fault.count, len(data))
                data = data[:size].translate(_FLIP) + data[size:]
            else:
                if fault.seconds is None:
                    self.stalled_forever = True
                self._put(direction, now, (fault.kind, fault.seconds))
        if data:
            self._put(direction, now, data)
            self.count[direction] += len(data)
        return True

    def _armed(self, direction: str) -> tuple[_Sequence, Fault] | None:
        """The fault armed on this link for `direction`, if any."""
        sequence = self.own if self.own is not None else self.proxy._shared
        if sequence is None:
            return None
        key = (sequence, sequence.generation)
        if key != self.armed_key:
            # A fault was armed since this link last looked: its offsets count from here. Counters
            # only move inside _forward, which always comes here first, so this is exact.
            self.armed_key = key
            self.baseline = dict(self.count)
            self.trigger = dict.fromkeys(DIRECTIONS)
            self.tail = dict.fromkeys(DIRECTIONS, b"")
        if not sequence.pending:
            return None
        fault = sequence.pending[0]
        if fault.direction != direction or fault.connection not in (None, self.number):
            return None
        return sequence, fault

    def _position(self, fault: Fault, direction: str, data: bytes) -> int | None:
        """Where in `data` the armed fault fires, or None if not in this chunk."""
        trigger = self.trigger[direction]
        if trigger is None:
            if fault.pattern is None:
                trigger = self.baseline[direction] + fault.after_bytes
            else:
                tail = self.tail[direction]
                window = tail + data
                found = window.find(fault.pattern)
                if found < 0:
                    # Keep enough to find a pattern split across two chunks.
                    keep = len(fault.pattern) - 1
                    self.tail[direction] = window[len(window) - keep :] if keep else b""
                    return None
                trigger = self.count[direction] - len(tail) + found + fault.after_bytes
            self.trigger[direction] = trigger
        position = max(0, trigger - self.count[direction])
        # A corruption needs a byte to change, so it waits for the chunk that holds one.
        limit = len(data) - 1 if fault.kind == "corrupt" else len(data)
        return position if position <= limit else None


_FLIP = bytes(byte ^ 0xFF for byte in range(256))


def _close(sock: socket.socket, *, reset: bool) -> None:
    """Close `sock`: with a RST if `reset`, else with a FIN after what was already sent."""
    if sock.fileno() < 0:
        return
    with contextlib.suppress(OSError):
        if reset:
            # Linger on, timeout 0: close() drops the send queue and sends a RST.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        else:
            sock.shutdown(socket.SHUT_WR)
            # Closing a socket with unread input sends a RST instead of a clean EOF: read it away.
            for _ in range(64):
                if not sock.recv(CHUNK):
                    break
    sock.close()
