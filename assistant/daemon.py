"""The service: ``freelance-assistant run``, the engine pass kept running for months.

One asyncio loop owns everything (``Service.run``):

* per account, an ``AccountService`` whose engine, IMAP connection and SQLite store live
  in one worker thread (imapclient is synchronous and not thread-safe; SQLite connections
  belong to the thread that made them); passes are serialised, and a request arriving
  during a pass becomes one more pass after it, not a queue;
* per account, watchers that wake a pass when mail changes: IMAP IDLE on INBOX and Sent
  (each on its own connection and thread), or a cheap look at a Maildir's directories;
* APScheduler 3 (in-memory jobs: the truth is in SQLite) for the fallback poll, the
  ladder at the start of the working day, and the daily digest;
* systemd integration: READY=1 after every account's first successful pass, WATCHDOG=1
  while passes are not stuck, STATUS= with the counts; SIGHUP reloads config and rules
  (a broken file keeps the old ones running and logs where it is broken), SIGUSR1 asks for
  a pass now on every account (a manual ``scan``, or a command handed over: handover.py),
  SIGTERM stops within 10 seconds.

A failing account (server down, wrong password) is retried with exponential backoff and
jitter; nothing is lost while it is down, because passes read from checkpoints.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from . import handover
from .adapters.backoff import Backoff
from .adapters.credentials import passwords_written_in, warn_if_readable_by_others
from .adapters.lock import StateLock
from .adapters.store import Store
from .adapters.systemd import Notifier
from .config import Account, Config, load_config
from .domain.keys import DraftState
from .domain.model import InvoiceStatus
from .engine import Engine, PassReport, Stopped
from .errors import AssistantError, ConfigError, MailboxError
from .progress import ProgressLog
from .session import AccountSession, open_mailbox

log = logging.getLogger(__name__)

STOP_TIMEOUT = 8.0  # SIGTERM: systemd's TimeoutStopSec is 15 s; we promise 10
STUCK_PASS = 600.0  # a pass running longer than this stops the watchdog pings
MAILDIR_LOOK = 2.0  # seconds between looks at a Maildir's directories


def _now() -> datetime:
    return datetime.now(UTC)


class AccountService:
    """One account inside the service: its pass thread, its watchers, its retries."""

    def __init__(self, service: Service, account: Account):
        self.service = service
        self.account = account
        self.name = account.name
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"pass-{account.name}")
        self._session: AccountSession | None = None  # mailbox, store and sender, kept open
        self._lock = asyncio.Lock()
        self._again = False
        self._again_plan = False
        self._retry: asyncio.TimerHandle | None = None
        self._backoff = Backoff(base=2.0, cap=300.0)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._watchers: list = []
        self.passes = 0
        self.ok = False  # at least one successful pass
        self._failures = 0  # failed passes in a row: the next good pass says it recovered
        self.running_since: float | None = None
        self.counts = ""
        # A first scan of a large mailbox takes minutes: the journal hears how far it is.
        self._progress = ProgressLog(log.info)

    # ----------------------------------------------------------------- passes (worker thread)

    def _engine_sync(self) -> Engine:
        if self._session is None:
            self._session = AccountSession(self.service.config, self.account)
        return self._session.open()

    def _pass_sync(self, plan: bool) -> PassReport:
        engine = self._engine_sync()
        now = _now()
        # The day's drafts are planned by the first pass of the working day that works,
        # whoever asked for it: a retry after an outage at workday_start, the poll or an
        # IDLE push after a laptop woke hours late. The state remembers the day planned.
        workday = self.service.working_day(now)
        due = workday is not None and engine.store.planned_day() != workday
        try:
            report = engine.run_pass(
                now, plan=plan or due, stop=self.service.stopping, progress=self._progress
            )
        except MailboxError:
            engine.mailbox.close()  # drop a broken connection; the next pass opens a new one
            raise
        # A draft whose APPEND failed stays pending: the next pass plans the day again.
        if due and not self.service.stopping.is_set() and not engine.store.outbox(DraftState.PENDING):
            engine.store.set_planned_day(workday, now)
            log.info("%s: the drafts of %s are planned", self.name, workday.isoformat())
        self.counts = _counts(engine.store)
        return report

    def _digest_sync(self) -> bool:
        engine = self._engine_sync()
        schedule = self.service.config.settings.schedule
        return engine.write_digest(_now(), via=schedule.digest_delivery)

    def _close_sync(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            session.close()

    # ----------------------------------------------------------------- passes (loop)

    def request(self, reason: str, *, plan: bool = False) -> None:
        """Ask for a pass; several requests during a pass become one more pass."""
        if self.service.stopping.is_set():
            return
        log.debug("%s: pass requested (%s)", self.name, reason)
        self.service.spawn(self.run_pass(reason, plan=plan))

    async def run_pass(self, reason: str, *, plan: bool = False) -> bool:
        if self._lock.locked():
            self._again = True
            self._again_plan = self._again_plan or plan
            return True
        async with self._lock:
            ok = await self._one_pass(reason, plan)
            while ok and self._again and not self.service.stopping.is_set():
                plan, self._again, self._again_plan = self._again_plan, False, False
                ok = await self._one_pass("changes during the last pass", plan)
            return ok

    async def _one_pass(self, reason: str, plan: bool) -> bool:
        loop = asyncio.get_running_loop()
        self.running_since = time.monotonic()
        try:
            report = await loop.run_in_executor(self._executor, self._pass_sync, plan)
        except Stopped:
            return False
        except AssistantError as exc:
            self._failed(str(exc))
            return False
        except Exception as exc:  # a bug must not kill the service: log it, retry later
            log.exception("%s: pass failed unexpectedly", self.name)
            self._failed(f"{type(exc).__name__}: {exc}")
            return False
        finally:
            self.running_since = None
        self.passes += 1
        self._backoff.reset()
        if self._failures:
            # The operator read "pass failed ... trying again": say that it did, and that it worked.
            attempts = f"{self._failures} failed attempt" + ("s" if self._failures > 1 else "")
            log.info("%s: recovered: the pass worked again after %s", self.name, attempts)
            self._failures = 0
        first = not self.ok
        self.ok = True
        if report.errors:
            for error in report.errors:
                log.error("%s: %s", self.name, error)
        log.debug("%s: pass done (%s): %d new messages", self.name, reason, report.scanned)
        self.service.after_pass(first)
        return True

    def _failed(self, why: str) -> None:
        self._failures += 1
        delay = self._backoff.next()
        log.warning("%s: pass failed: %s; trying again in %.0f s", self.name, why, delay)
        if self._retry is not None:
            self._retry.cancel()
        loop = asyncio.get_running_loop()
        self._retry = loop.call_later(delay, self.request, "retry after a failure")

    async def digest(self) -> None:
        loop = asyncio.get_running_loop()
        async with self._lock:
            try:
                if await loop.run_in_executor(self._executor, self._digest_sync):
                    log.info("%s: daily digest delivered", self.name)
            except AssistantError as exc:
                log.error("%s: the digest could not be delivered: %s", self.name, exc)
            except Exception:
                log.exception("%s: the digest failed unexpectedly", self.name)
        if self._again:  # a pass asked for while the digest held the lock
            self._again = False
            self.request("changes during the digest", plan=self._again_plan)

    # ----------------------------------------------------------------- watchers

    def start_watching(self) -> None:
        loop = asyncio.get_running_loop()

        def changed() -> None:
            loop.call_soon_threadsafe(self.request, "mail changed")

        if self.account.imap is not None:
            mailbox = open_mailbox(self.account, self.service.config.identity.email)
            try:
                profile = mailbox.profile()
            except AssistantError as exc:
                log.warning("%s: cannot start IDLE yet (%s); polling until the next reload", self.name, exc)
                return
            finally:
                mailbox.close()
            if "IDLE" not in profile.capabilities:
                # Watchers would only fail and retry for ever: say it once, and poll.
                log.warning(
                    "%s: the server does not offer IDLE; changes are seen every %d minutes (poll_minutes)",
                    self.name,
                    self.service.config.settings.schedule.poll_minutes,
                )
                return
            folders = profile.folders
            for folder in (folders.inbox, folders.sent):
                watcher = mailbox.watcher(folder)
                self._watchers.append(watcher)
                self._spawn(f"idle-{self.name}-{folder}", watcher.run, self._stop, changed)
        else:
            root = Path(self.account.maildir.path)
            self._spawn(f"maildir-{self.name}", _watch_maildir, root, self._stop, changed)

    def _spawn(self, name: str, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    async def close(self) -> None:
        self._stop.set()
        if self._retry is not None:
            self._retry.cancel()
        for watcher in self._watchers:
            watcher.interrupt()
        loop = asyncio.get_running_loop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(loop.run_in_executor(self._executor, self._close_sync), STOP_TIMEOUT / 2)
        self._executor.shutdown(wait=False, cancel_futures=True)


def _watch_maildir(root: Path, stop: threading.Event, changed) -> None:
    """Maildirs have no IDLE: a look at the directories' modification times is nearly free."""

    def stamp() -> tuple:
        marks = []
        for folder in (root, *(p for p in root.iterdir() if p.name.startswith(".") and p.is_dir())):
            for sub in ("new", "cur"):
                with contextlib.suppress(OSError):
                    marks.append((str(folder), sub, (folder / sub).stat().st_mtime_ns))
        return tuple(marks)

    seen = stamp()
    while not stop.wait(MAILDIR_LOOK):
        now = stamp()
        if now != seen:
            seen = now
            changed()


def _counts(store: Store) -> str:
    invoices = store.invoices()
    open_ = [i for i in invoices if i.status is InvoiceStatus.OPEN]
    held = [
        i
        for i in invoices
        if i.status in (InvoiceStatus.PROMISED, InvoiceStatus.DISPUTED, InvoiceStatus.PAUSED)
    ]
    waiting = store.outbox(DraftState.DRAFTED)
    return f"{len(open_)} open invoices, {len(held)} paused, {len(waiting)} drafts waiting"


class Service:
    """The whole service: config, accounts, scheduler, signals, systemd."""

    def __init__(self, config_path: Path, notifier: Notifier | None = None):
        self.config_path = config_path
        self.config: Config = load_config(config_path)
        self.notifier = notifier or Notifier()
        self.stopping = threading.Event()
        self.accounts: list[AccountService] = []
        self.scheduler: AsyncIOScheduler | None = None
        self._ready = False
        self._stop_event: asyncio.Event | None = None
        self._reloading = asyncio.Lock()
        self._tasks: set[asyncio.Task] = set()
        self._state_lock: StateLock | None = None

    # ----------------------------------------------------------------- lifecycle

    async def run(self) -> int:
        # Before the lock names this process: a command that finds it there asks for a pass
        # with SIGUSR1, whose default action would end the process.
        asyncio.get_running_loop().add_signal_handler(handover.PASS_NOW, self.pass_now)
        # One process per state: a second service is refused; a manual scan or ledger
        # command is handed to this one (handover.py), never raced.
        self._state_lock = StateLock.acquire(self.config.state_dir, "run")
        try:
            return await self._run()
        finally:
            self._state_lock.release()

    async def _run(self) -> int:
        loop = asyncio.get_running_loop()
        self._stop_event = asyncio.Event()
        loop.add_signal_handler(signal.SIGTERM, self.stop, "SIGTERM")
        loop.add_signal_handler(signal.SIGINT, self.stop, "SIGINT")
        loop.add_signal_handler(signal.SIGHUP, lambda: self.spawn(self.reload()))
        self._check_files()
        log.info("starting: %d account(s), config %s", len(self.config.settings.accounts), self.config_path)
        self._start_accounts()
        self._start_scheduler()
        watchdog = asyncio.ensure_future(self._watchdog())
        # Not awaited before listening for SIGTERM: a first pass can take minutes (a first
        # scan, a rule at its time limit on every message) and must not delay the stop.
        first = self.spawn(self._first_passes())
        await self._stop_event.wait()
        log.info("stopping")
        self.notifier.stopping()
        first.cancel()
        watchdog.cancel()
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
        try:
            await asyncio.wait_for(asyncio.gather(*(a.close() for a in self.accounts)), STOP_TIMEOUT)
        except TimeoutError:
            log.warning("a pass did not finish in time; its transaction is rolled back")
        return 0

    def spawn(self, coroutine) -> asyncio.Task:
        """Run ``coroutine`` as a task the service keeps a reference to (no silent GC)."""
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def stop(self, why: str = "") -> None:
        if why:
            log.info("%s received", why)
        self.stopping.set()
        if self._stop_event is not None:
            self._stop_event.set()

    def pass_now(self) -> None:
        """SIGUSR1: a pass now on every account, as asked by hand (`scan` beside the service,
        or a command handed over into the requests directory). Drafts are planned as by any
        pass within the working day; outside it they wait for workday_start."""
        if self._reloading.locked() or not self.accounts:
            # The passes of the start or of the reload come anyway, and apply the requests.
            log.info("SIGUSR1: a pass is coming anyway (starting or reloading)")
            return
        log.info("SIGUSR1: a pass now, asked for by hand (`scan`, or a command handed to the service)")
        plan = self.working_day(_now()) is not None
        for account in self.accounts:
            account.request("asked for by hand (SIGUSR1)", plan=plan)

    def _check_files(self) -> None:
        if held := passwords_written_in(self.config.settings.accounts):
            warn_if_readable_by_others(self.config_path, held)

    def _start_accounts(self) -> None:
        self.accounts = [AccountService(self, account) for account in self.config.settings.accounts]
        for account in self.accounts:
            account.start_watching()

    async def _first_passes(self) -> None:
        # The digest reads the ledger: it comes after the first passes, never before.
        plan = self._after_workday_start()
        if not plan:
            log.info(
                "outside the working day: mail is read now, due drafts wait until %s",
                self._next_workday_start(),
            )
        await asyncio.gather(*(account.run_pass("start", plan=plan) for account in self.accounts))
        await self._catch_up_digest()

    def _after_workday_start(self) -> bool:
        """Whether today's drafts are due already (a start at 3 a.m. waits for the morning)."""
        return self.working_day(_now()) is not None

    def working_day(self, now: datetime) -> date | None:
        """The local date of ``now`` when it is a working day past ``workday_start``, else None."""
        schedule = self.config.settings.schedule
        tz = ZoneInfo(self.config.identity.timezone)
        local = now.astimezone(tz)
        start = clock_time.fromisoformat(schedule.workday_start)
        day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[local.weekday()]
        return local.date() if day in schedule.workdays and local.time() >= start else None

    def _next_workday_start(self) -> str:
        """When drafts are next written, as the operator reads it: "Mon 2026-03-02 09:00 Europe/Madrid"."""
        schedule = self.config.settings.schedule
        tz = ZoneInfo(self.config.identity.timezone)
        local = _now().astimezone(tz)
        start = clock_time.fromisoformat(schedule.workday_start)
        for ahead in range(8):
            day = local.date() + timedelta(days=ahead)
            name = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[day.weekday()]
            if name in schedule.workdays and (ahead or local.time() < start):
                return f"{day:%a %Y-%m-%d} {start:%H:%M} {tz.key}"
        return "a working day (schedule.workdays names none)"

    def after_pass(self, first_for_account: bool) -> None:
        counts = "; ".join(f"{a.name}: {a.counts}" for a in self.accounts if a.counts)
        self.notifier.status(counts or "running")
        if first_for_account and not self._ready and all(a.ok for a in self.accounts):
            self._ready = True
            self.notifier.ready()
            log.info("ready: every account has had its first pass")

    # ----------------------------------------------------------------- schedule

    def _start_scheduler(self) -> None:
        schedule = self.config.settings.schedule
        tz = ZoneInfo(self.config.identity.timezone)
        # Jobs coalesce, never overlap, and a job due while a pass blocked the loop still runs.
        scheduler = AsyncIOScheduler(
            timezone=tz, job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}
        )
        scheduler.add_job(self._poll, IntervalTrigger(minutes=schedule.poll_minutes, timezone=tz), id="poll")
        hour, minute = (int(x) for x in schedule.workday_start.split(":"))
        scheduler.add_job(
            self._ladder,
            CronTrigger(day_of_week=",".join(schedule.workdays), hour=hour, minute=minute, timezone=tz),
            id="ladder",
        )
        if schedule.digest:
            hour, minute = (int(x) for x in schedule.digest.split(":"))
            scheduler.add_job(self._digest, CronTrigger(hour=hour, minute=minute, timezone=tz), id="digest")
        scheduler.start()
        self.scheduler = scheduler

    async def _poll(self) -> None:
        for account in self.accounts:
            account.request("scheduled poll")

    async def _ladder(self) -> None:
        for account in self.accounts:
            account.request("start of the working day", plan=True)

    async def _digest(self) -> None:
        for account in self.accounts:
            await account.digest()

    async def _catch_up_digest(self) -> None:
        """A digest due while the service was down is delivered at start (once a day)."""
        schedule = self.config.settings.schedule
        if not schedule.digest:
            return
        tz = ZoneInfo(self.config.identity.timezone)
        if _now().astimezone(tz).time() >= clock_time.fromisoformat(schedule.digest):
            await self._digest()

    # ----------------------------------------------------------------- reload

    async def reload(self) -> None:
        async with self._reloading:
            log.info("SIGHUP: reloading %s and its rules", self.config_path)
            self.notifier.reloading()
            try:
                config = load_config(self.config_path)
            except ConfigError as exc:
                for problem in exc.problems:
                    log.error("reload refused, the old configuration stays in force: %s", problem)
                self.notifier.ready()
                return
            except AssistantError as exc:
                log.error("reload refused, the old configuration stays in force: %s", exc)
                self.notifier.ready()
                return
            if config.state_dir != self.config.state_dir:
                try:
                    lock = StateLock.acquire(config.state_dir, "run")
                except AssistantError as exc:
                    log.error("reload refused, the old configuration stays in force: %s", exc)
                    self.notifier.ready()
                    return
                self._state_lock.release()
                self._state_lock = lock
            for account in self.accounts:
                await account.close()
            self.config = config
            if self.scheduler is not None:
                self.scheduler.shutdown(wait=False)
            self._check_files()
            self._start_accounts()
            self._start_scheduler()
            for account in self.accounts:
                account.request("reload")
            self.notifier.ready()
            log.info("reloaded: %d account(s), %d client(s)", len(self.accounts), len(config.rules.clients))

    # ----------------------------------------------------------------- systemd watchdog

    async def _watchdog(self) -> None:
        interval = self.notifier.watchdog_interval()
        if interval is None:
            return
        while True:
            await asyncio.sleep(interval)
            stuck = [
                a.name
                for a in self.accounts
                if a.running_since is not None and time.monotonic() - a.running_since > STUCK_PASS
            ]
            if stuck:
                log.error(
                    "a pass is stuck for %s; letting the watchdog restart the service", ", ".join(stuck)
                )
                continue
            self.notifier.watchdog()


def run_service(config_path: Path) -> int:
    """``freelance-assistant run``: returns the exit code."""
    service = Service(config_path)
    code = asyncio.run(service.run())
    # A worker blocked in a network call could hold the interpreter at exit; its open
    # transaction is rolled back by SQLite either way, so leave without waiting for it.
    if any(t.is_alive() and not t.daemon for t in threading.enumerate() if t is not threading.main_thread()):
        logging.shutdown()
        os._exit(code)
    return code
