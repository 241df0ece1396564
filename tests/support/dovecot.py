"""A private, real Dovecot 2.3 IMAP server for tests and benchmarks.

`Dovecot.start(workdir)` writes a Dovecot 2.3 config into `workdir`, runs `dovecot -F` on two free
loopback ports (plaintext with STARTTLS, and implicit TLS with a self-signed certificate), and
returns a handle that injects and inspects mail through `doveadm`, kicks sessions and restarts.
Nothing outside `workdir` is read or written: no system config, no /run/dovecot, no syslog.
"""

from __future__ import annotations

import atexit
import contextlib
import grp
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

DOVECOT = Path("/usr/sbin/dovecot")
SPECIAL_USE = {
    "Drafts": "\\Drafts",
    "Sent": "\\Sent",
    "Trash": "\\Trash",
    "Junk": "\\Junk",
    "Archive": "\\Archive",
}
START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
DOVEADM_TIMEOUT = 60.0
NO_USERS_KICKED = 68  # doveadm's exit code (EX_NOUSER) when the user had no session to kick
# A unix socket path may hold 107 bytes; Dovecot puts sockets up to ~25 bytes deep under base_dir
# ("token-login/tokenlogin", "login/imap-urlauth"), so a deeper base_dir would fail at bind().
_MAX_BASE_DIR = 107 - 30


class DovecotError(RuntimeError):
    """Dovecot could not be started, or a doveadm command failed."""


class Dovecot:
    """One running Dovecot with its config, data and logs in `workdir`.

    Any user name logs in with `password`; each user's mail lives in `maildir(user)`. The mail
    methods need the server running: `doveadm -u` looks the user up through its auth service.
    """

    host = "127.0.0.1"

    def __init__(self, workdir: Path, *, port: int, tls_port: int, password: str, settings: str = "") -> None:
        self.workdir = workdir
        self.settings = settings
        self.port = port
        self.tls_port = tls_port
        self.password = password
        self.config_path = workdir / "dovecot.conf"
        self.ca_file = workdir / "tls" / "cert.pem"
        self.log_path = workdir / "dovecot.log"
        self._stderr_path = workdir / "dovecot.stderr"
        self._doveadm = _find_doveadm()
        self.start_seconds = 0.0  # how long the last start took until the ports answered
        self._process: subprocess.Popen[bytes] | None = None
        self._atexit = False

    # ---- lifecycle ------------------------------------------------------------------------------

    @classmethod
    def start(cls, workdir: Path, *, settings: str = "") -> Dovecot:
        """Configure a new server in `workdir` (created if missing) and start it.

        `settings` are lines of Dovecot configuration added at the end, e.g.
        `imap_capability = IMAP4rev1 ...` for a server that announces less.
        """
        if not DOVECOT.exists():
            raise DovecotError(
                f"{DOVECOT} is missing: run the test suite with ./tests/run (the README's test "
                "command), which installs Debian's dovecot-imapd"
            )
        workdir = Path(workdir).resolve()
        workdir.mkdir(parents=True, exist_ok=True)
        port, tls_port = _free_ports(2)
        server = cls(
            workdir, port=port, tls_port=tls_port, password="pw-" + secrets.token_hex(8), settings=settings
        )
        server._configure()
        server._launch()
        return server

    def restart(self) -> None:
        """Stop and start again on the same ports and data; returns once it accepts connections."""
        self.stop()
        self._launch()

    def stop(self) -> None:
        """Stop the server and every process it started; safe to call twice."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            # SIGTERM lets the master stop its children (imap, auth, log) itself.
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=STOP_TIMEOUT)
        # The master and its children share one process group (start_new_session): whatever is left
        # of it after the master is gone, or a master that did not stop in time, gets SIGKILL.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        if self._atexit:
            atexit.unregister(self.stop)
            self._atexit = False

    def __enter__(self) -> Dovecot:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ---- mail ---------------------------------------------------------------------------------

    def maildir(self, user: str) -> Path:
        """The root of `user`'s Maildir (INBOX); other folders are `.Name` inside it."""
        return self.workdir / "home" / user / "Maildir"

    def doveadm(self, *args: str, input: bytes | None = None) -> str:
        """Run `doveadm -c CONF ARGS...` and return its stdout; raise with its stderr on failure."""
        result = self._run_doveadm(args, input)
        if result.returncode != 0:
            raise DovecotError(_failure(args, result))
        return result.stdout.decode("utf-8", errors="replace")

    def _run_doveadm(
        self, args: tuple[str, ...], input: bytes | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        command = [self._doveadm, "-c", str(self.config_path), *args]
        return subprocess.run(command, input=input, capture_output=True, timeout=DOVEADM_TIMEOUT, check=False)

    def save(self, user: str, folder: str, message: bytes) -> None:
        """Deliver `message` into `folder` as a local delivery would, without IMAP."""
        self.doveadm("save", "-u", user, "-m", folder, input=message)

    def status(self, user: str, folder: str) -> dict[str, int]:
        """messages, uidvalidity, uidnext and highestmodseq of `folder`."""
        fields = ("messages", "uidvalidity", "uidnext", "highestmodseq")
        (row,) = self._json("mailbox", "status", "-u", user, " ".join(fields), folder)
        return {field: int(row[field]) for field in fields}

    def create_folder(self, user: str, folder: str) -> None:
        self.doveadm("mailbox", "create", "-u", user, folder)

    def delete_folder(self, user: str, folder: str) -> None:
        """Delete `folder` with its messages; re-creating it gives it a new UIDVALIDITY."""
        self.doveadm("mailbox", "delete", "-u", user, folder)

    def folders(self, user: str) -> list[str]:
        return [row["mailbox"] for row in self._json("mailbox", "list", "-u", user)]

    def kick(self, user: str) -> bool:
        """Disconnect every IMAP session of `user`; False if it had none."""
        args = ("kick", user)
        result = self._run_doveadm(args)
        if result.returncode == NO_USERS_KICKED and b"no users kicked" in result.stdout:
            return False
        if result.returncode != 0:
            raise DovecotError(_failure(args, result))
        return True

    def snapshot(self, user: str) -> dict[str, set[tuple[str, frozenset[str]]]]:
        """Every folder of `user` mapped to the (message GUID, flags) of each message in it.

        Two equal snapshots mean no message was added, removed, replaced or re-flagged. `\\Recent`
        is left out: it is a property of the session, not of the message.
        """
        snapshot: dict[str, set[tuple[str, frozenset[str]]]] = {name: set() for name in self.folders(user)}
        for row in self._json("fetch", "-u", user, "mailbox guid flags", "all"):
            flags = frozenset(flag for flag in row["flags"].split() if flag != "\\Recent")
            snapshot.setdefault(row["mailbox"], set()).add((row["guid"], flags))
        return snapshot

    def _json(self, *args: str) -> list[dict[str, str]]:
        # doveadm's JSON formatter escapes values; the default formatters print them raw, so a
        # folder name with a space or a tab could not be split back reliably.
        output = self.doveadm("-f", "json", *args).strip()
        return json.loads(output) if output else []

    # ---- setup --------------------------------------------------------------------------------

    def _configure(self) -> None:
        workdir = self.workdir
        for sub in ("run", "state", "tls", "home"):
            (workdir / sub).mkdir(exist_ok=True)
        _make_certificate(workdir / "tls")

        if os.geteuid() == 0:
            # Dovecot refuses uid 0 for mail and drops privileges per service: mail as nobody,
            # login processes as dovenull, internal services as dovecot (both made by the Debian
            # package). Each of them must be able to reach its sockets and files under workdir.
            nobody = pwd.getpwnam("nobody")
            mail_uid, mail_gid = nobody.pw_uid, nobody.pw_gid
            internal_user, internal_group, login_user = "dovecot", "dovecot", "dovenull"
            os.chown(workdir / "home", mail_uid, mail_gid)
            _let_others_through(workdir)
        else:
            # Unprivileged, Dovecot cannot switch users: every service runs as whoever we are.
            mail_uid, mail_gid = os.getuid(), os.getgid()
            internal_user = login_user = pwd.getpwuid(mail_uid).pw_name
            internal_group = grp.getgrgid(mail_gid).gr_name

        base_dir = workdir / "run"
        if len(str(base_dir)) > _MAX_BASE_DIR:
            raise DovecotError(f"{workdir} is too long a path for Dovecot's unix sockets: use a shorter one")

        self.config_path.write_text(
            CONFIG.format(
                base_dir=base_dir,
                state_dir=workdir / "state",
                log_path=self.log_path,
                home=workdir / "home",
                cert=workdir / "tls" / "cert.pem",
                key=workdir / "tls" / "key.pem",
                port=self.port,
                tls_port=self.tls_port,
                password=self.password,
                mail_uid=mail_uid,
                mail_gid=mail_gid,
                internal_user=internal_user,
                internal_group=internal_group,
                login_user=login_user,
                mailboxes="".join(
                    f"  mailbox {name} {{\n    special_use = {flag}\n    auto = subscribe\n  }}\n"
                    for name, flag in SPECIAL_USE.items()
                ),
            )
            + self.settings
        )

    def _launch(self) -> None:
        started = time.monotonic()
        with self._stderr_path.open("ab") as stderr:
            self._process = subprocess.Popen(
                [str(DOVECOT), "-F", "-c", str(self.config_path)],
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
                # Its own process group, so stop() can reach children the master leaves behind.
                start_new_session=True,
            )
        if not self._atexit:
            # A test run that dies without its fixture teardown must not leave a server behind.
            atexit.register(self.stop)
            self._atexit = True
        try:
            self._wait_until_ready(started + START_TIMEOUT)
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.monotonic() - started

    def _wait_until_ready(self, deadline: float) -> None:
        assert self._process is not None
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise DovecotError(
                    f"dovecot exited with {self._process.returncode} at start\n{self._log_tail()}"
                )
            try:
                # The greeting comes from an imap-login process that has reached the auth
                # service, so once it arrives a LOGIN can succeed; the TLS port only has to listen.
                with socket.create_connection((self.host, self.port), timeout=1) as conn:
                    greeting = conn.recv(512)
                with socket.create_connection((self.host, self.tls_port), timeout=1):
                    pass
                if greeting.startswith(b"* OK"):
                    return
                last_error = DovecotError(f"unexpected greeting {greeting[:80]!r}")
            except OSError as exc:
                last_error = exc
            time.sleep(0.01)
        raise DovecotError(
            f"dovecot did not accept connections on {self.host}:{self.port} and "
            f":{self.tls_port} within {START_TIMEOUT:.0f} s ({last_error})\n{self._log_tail()}"
        )

    def _log_tail(self, lines: int = 30) -> str:
        parts = []
        for path in (self._stderr_path, self.log_path):
            if path.exists():
                tail = path.read_text(errors="replace").splitlines()[-lines:]
                parts.append(f"--- {path} (last {len(tail)} lines) ---\n" + "\n".join(tail))
        return "\n".join(parts) or f"(no output in {self._stderr_path} or {self.log_path})"


CONFIG = """\
# A private Dovecot 2.3 for tests, written by tests/support/dovecot.py at every start.
# Nothing here refers to /etc/dovecot, /run/dovecot or /var/lib/dovecot.
base_dir = {base_dir}
state_dir = {state_dir}
log_path = {log_path}
protocols = imap
listen = 127.0.0.1

ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2 oauthbearer
auth_verbose = yes

default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
# The default of 500 would refuse a mail uid that belongs to a system account.
first_valid_uid = {mail_uid}
first_valid_gid = {mail_gid}

passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={mail_uid} gid={mail_gid} home={home}/%u
}}

mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
{mailboxes}}}

# Chroots need root and a prepared directory; nothing here is worth isolating.
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = {tls_port}
    ssl = yes
  }}
}}
service imap-urlauth-login {{
  chroot =
}}
service anvil {{
  chroot =
  # Without this, one test's wrong password delays every later login from 127.0.0.1 by up to 15 s
  # (anvil's auth penalty); the 2 s delay of the failed attempt itself (auth_failure_delay) stays.
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service ipc {{
  chroot =
}}
service old-stats {{
  chroot =
}}
service aggregator {{
  chroot =
}}
# Mail processes run as the mail uid, which is not in default_internal_group: without this every
# imap and doveadm process logs "net_connect_unix(stats-writer) failed: Permission denied".
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


def _failure(args: tuple[str, ...], result: subprocess.CompletedProcess[bytes]) -> str:
    output = (result.stderr or result.stdout).decode(errors="replace").strip()
    return f"doveadm {' '.join(args)} exited with {result.returncode}: {output}"


def _find_doveadm() -> str:
    found = shutil.which("doveadm") or shutil.which("doveadm", path="/usr/bin:/usr/sbin")
    return found or "/usr/bin/doveadm"


def _free_ports(count: int) -> list[int]:
    # Keep every socket bound until all are chosen, so the ports differ; Dovecot sets SO_REUSEADDR,
    # so binding them again right after close() works.
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _make_certificate(directory: Path) -> None:
    """A self-signed certificate for localhost and 127.0.0.1 that also serves as its own CA file."""
    if (directory / "cert.pem").exists() and (directory / "key.pem").exists():
        return
    # CA:TRUE with keyCertSign lets Python's verifier (VERIFY_X509_STRICT since 3.13) accept the
    # certificate as a trust anchor; serverAuth and the SAN make it valid for the server itself.
    command = [
        "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-days", "3650", "-subj", "/CN=localhost",
        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,digitalSignature,keyCertSign",
        "-addext", "extendedKeyUsage=serverAuth",
        "-keyout", str(directory / "key.pem"), "-out", str(directory / "cert.pem"),
    ]  # fmt: skip
    if shutil.which("openssl") is None:
        raise DovecotError("openssl is missing: run the test suite with ./tests/run, which installs it")
    result = subprocess.run(command, capture_output=True, check=False)
    if result.returncode != 0:
        raise DovecotError(f"openssl could not make a certificate: {result.stderr.decode(errors='replace')}")
    (directory / "key.pem").chmod(0o600)


# A server that offers none of IDLE, CONDSTORE, UIDPLUS, SPECIAL-USE (Dovecot.start(settings=...)).
LIMITED = """
imap_capability = IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE NAMESPACE
namespace inbox {
  mailbox Sent {
    special_use =
  }
  mailbox Drafts {
    special_use =
  }
}
"""


@contextlib.contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    """A new directory in the system's temporary directory, removed afterwards.

    For a Dovecot's files, rather than pytest's tmp_path: as root, Dovecot's services must
    pass through every parent (see _let_others_through), and each pytest run that starts
    sets its /tmp/pytest-of-<user> back to 0700, cutting off a run going on beside it.
    """
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _let_others_through(path: Path) -> None:
    """Give `path` and its ancestors search permission for others (as pytest's 0700 temp dirs lack).

    Running as root, Dovecot's services run as dovecot, dovenull and nobody, and each of them must
    reach its sockets and the mail under `path`. Only the x bit is added: nothing becomes listable.
    """
    for directory in (path, *path.parents):
        mode = directory.stat().st_mode
        if not mode & stat.S_IXOTH:
            directory.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)
