"""The first hour of a new user: `init` writes a config that loads and checks, and never
overwrites; `check` says what the mailbox offers and what anything missing costs."""

from __future__ import annotations

import io
import re
import stat
import sys
from pathlib import Path

import pytest

from assistant import onboarding, presets
from assistant.adapters.mailbox import Folders, MailboxProfile
from assistant.cli import main
from assistant.config import load_config, packaged_rules_dir
from assistant.report import mailbox_lines
from tests.support.dovecot import LIMITED, Dovecot, scratch_dir
from tests.support.mailboxes import MaildirWorld
from tests.support.world import write_config

ME = ["--name", "Lucía Romero", "--email", "lucia@romero.example"]
WHERE = ["--language", "es", "--country", "ES", "--timezone", "Europe/Madrid"]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch) -> Path:
    """A fresh $XDG_CONFIG_HOME, no other configuration in sight, a known locale and zone."""
    for name in ("FREELANCE_ASSISTANT_CONFIG", "CONFIGURATION_DIRECTORY", "STATE_DIRECTORY", "LC_ALL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.setenv("TZ", "Europe/Madrid")
    return tmp_path / "xdg"


def answers(monkeypatch, *lines: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("".join(f"{line}\n" for line in lines)))


# --------------------------------------------------------------------------- init + real Dovecot


def test_init_with_the_local_preset_writes_a_private_config_that_loads_and_checks(
    capsys, dovecot, imap_user, home, monkeypatch
):
    monkeypatch.setenv("FA_TEST_IMAP_PASSWORD", dovecot.password)
    code, out, err = run(
        capsys, "init", "--non-interactive", *ME, *WHERE, "--provider", "local",
        "--port", str(dovecot.port), "--username", imap_user, "--password-env", "FA_TEST_IMAP_PASSWORD",
    )  # fmt: skip
    assert code == 0, err
    directory = home / "freelance-assistant"
    path, rules = directory / "config.yaml", directory / "rules"
    assert mode(directory) == 0o700 and mode(rules) == 0o700 and mode(path) == 0o600

    config = load_config(path)
    imap = config.account(None).imap
    assert (imap.host, imap.effective_port, imap.security, imap.username, imap.password_env) == (
        "127.0.0.1", dovecot.port, "plain", imap_user, "FA_TEST_IMAP_PASSWORD",
    )  # fmt: skip
    assert (config.identity.name, config.identity.language, config.identity.timezone) == (
        "Lucía Romero", "es", "Europe/Madrid",
    )  # fmt: skip
    assert config.rules_dir == rules.resolve() and config.rules.clients == {}
    assert dovecot.password not in path.read_text(encoding="utf-8")

    copied = sorted(p.relative_to(rules) for p in rules.rglob("*") if p.is_file())
    assert copied == sorted(onboarding.rules_files()) and Path("clients.yaml") in copied
    assert (rules / "clients.yaml").read_bytes() == (packaged_rules_dir() / "clients.yaml").read_bytes()
    assert {mode(rules / p) for p in copied} == {0o600}
    assert {mode(p) for p in rules.rglob("*") if p.is_dir()} == {0o700}

    # It ends with the check, against the real server, and the next command.
    assert f"account main: IMAP {imap_user}@127.0.0.1:{dovecot.port}: connected" in out
    assert "Sent:   'Sent' (found by SPECIAL-USE \\Sent)" in out
    assert "Drafts: 'Drafts' (found by SPECIAL-USE \\Drafts)" in out
    assert "server offers: IDLE yes, CONDSTORE yes, UIDPLUS yes, SPECIAL-USE yes" in out
    assert "signed in with LOGIN" in out
    assert out.rstrip().endswith("freelance-assistant scan --dry-run")

    # ...which works as printed: no --config needed.
    code, out, err = run(capsys, "scan", "--dry-run")
    assert code == 0, err
    assert "Prueba sin cambios sobre la cuenta main" in out  # her language: --language es


def test_init_with_a_private_ca_and_the_password_on_stdin(capsys, dovecot, imap_user, home, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(dovecot.password + "\n"))
    code, out, err = run(
        capsys, "init", "--non-interactive", *ME, *WHERE, "--host", "127.0.0.1", "--port",
        str(dovecot.tls_port), "--ca-file", str(dovecot.ca_file), "--username", imap_user,
        "--password-stdin",
    )  # fmt: skip
    assert code == 0, err
    path = home / "freelance-assistant" / "config.yaml"
    imap = load_config(path).account(None).imap
    assert (imap.security, imap.password, imap.ca_file) == ("tls", dovecot.password, str(dovecot.ca_file))
    assert mode(path) == 0o600 and "readable by others" not in err
    assert "connected" in out and dovecot.password not in out + err


def test_a_refused_password_at_the_end_of_init_is_one_line_saying_the_file_is_written(
    capsys, dovecot, imap_user, home, monkeypatch
):
    monkeypatch.setattr(sys, "stdin", io.StringIO("hunter2-wrong\n"))
    code, out, err = run(
        capsys, "init", "--non-interactive", *ME, *WHERE, "--provider", "local",
        "--port", str(dovecot.port), "--username", imap_user, "--password-stdin",
    )  # fmt: skip
    path = home / "freelance-assistant" / "config.yaml"
    assert code == 2 and path.exists()
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "refused the user name or password" in err and f"the configuration is written: fix {path}" in err
    assert "hunter2-wrong" not in out + err


def test_interactive_init_reads_its_answers_from_stdin_and_checks_the_login(
    capsys, dovecot, imap_user, home, monkeypatch
):
    asked = []

    def no_echo(prompt: str) -> str:
        asked.append(prompt)
        return dovecot.password

    monkeypatch.setattr(onboarding.getpass, "getpass", no_echo)
    answers(
        monkeypatch,
        "Lucía Romero",
        "lucia@romero.example",  # a domain no preset knows: the provider is asked
        "generic",
        "127.0.0.1",
        "",  # TLS, the default
        "4",  # the password in config.yaml: asked without echo
        "es",
        "",  # country: ES, the default for Spanish when the locale names none
    )
    code, out, err = run(
        capsys, "init", "--port", str(dovecot.tls_port), "--ca-file", str(dovecot.ca_file),
        "--username", imap_user,
    )  # fmt: skip
    assert code == 0, err
    assert "Who provides this mailbox?" in out and "Your IMAP server's host name" in out
    assert asked == ["The password (not shown): "] and dovecot.password not in out
    assert "Time zone: Europe/Madrid (from $TZ" in out  # guessed, not asked
    config = load_config(home / "freelance-assistant" / "config.yaml")
    imap = config.account(None).imap
    assert (imap.host, imap.port, imap.security, imap.password) == (
        "127.0.0.1", dovecot.tls_port, "tls", dovecot.password,
    )  # fmt: skip
    assert (config.settings.defaults.language, config.settings.defaults.country) == ("es", "ES")
    assert f"IMAP {imap_user}@127.0.0.1:{dovecot.tls_port}: connected" in out


def test_init_for_another_provider_asks_starttls_on_its_own_port_and_a_ca_file(
    capsys, dovecot, imap_user, home, monkeypatch
):
    """A local bridge (Proton Bridge: STARTTLS on 127.0.0.1:1143, its own certificate)."""
    monkeypatch.setattr(onboarding.getpass, "getpass", lambda prompt: dovecot.password)
    answers(
        monkeypatch,
        "Lucía Romero",
        "lucia@romero.example",
        "generic",
        "127.0.0.1",
        "2",  # STARTTLS
        "99999",  # not a port: asked again
        str(dovecot.port),  # the bridge's own port, not 143
        "/nonexistent/ca.pem",  # not a file: asked again
        str(dovecot.ca_file),
        imap_user,  # the user name
        "4",  # the password in config.yaml, asked without echo
        "es",
        "",
    )
    code, out, err = run(capsys, "init")
    assert code == 0, err
    assert "Proton Bridge" in out and "a port is a number from 1 to 65535" in out
    assert "cannot read /nonexistent/ca.pem" in out
    imap = load_config(home / "freelance-assistant" / "config.yaml").account(None).imap
    assert (imap.host, imap.port, imap.security, imap.ca_file) == (
        "127.0.0.1", dovecot.port, "starttls", str(dovecot.ca_file),
    )  # fmt: skip
    assert f"IMAP {imap_user}@127.0.0.1:{dovecot.port}: connected" in out  # its own check passes


def test_init_on_a_maildir_offers_the_most_written_to_correspondents_as_clients(
    capsys, home, tmp_path, monkeypatch
):
    from datetime import datetime, timedelta

    from tests.support.world import TZ, invoice_email

    world = MaildirWorld(tmp_path / "Mail")
    recent = datetime.now(TZ) - timedelta(days=10)
    for to, count in (
        ("Marta López <marta@acme.example>", 3),
        ("Oliver Hughes <oliver@brightside.example>", 2),
        ("Mum <mum@gmail.com>", 1),
    ):
        for n in range(count):
            world.deliver("Sent", invoice_email(to=to, subject=f"Hola {n}", sent=recent), when=recent)
    old = recent - timedelta(days=400)  # long before "the last months"
    world.deliver("Sent", invoice_email(to="old@ancient.example", sent=old), when=old)
    answers(
        monkeypatch,
        "Lucía Romero",
        "lucia@romero.example",
        "maildir",
        str(tmp_path / "nowhere"),  # not a folder: asked again
        str(tmp_path / "Mail"),
        "es",
        "",
        "1 2",  # Marta and Oliver are clients; Mum is not
    )
    code, out, err = run(capsys, "init")
    assert code == 0, err
    assert "  1. Marta López <marta@acme.example> (3 messages)" in out
    assert "  3. Mum <mum@gmail.com> (1 message)" in out and "ancient" not in out
    config = load_config(home / "freelance-assistant" / "config.yaml")
    assert config.account(None).maildir.path == str(tmp_path / "Mail")
    clients = config.rules.clients
    assert sorted(clients) == ["acme", "brightside"]
    assert clients["acme"].contact == "Marta López <marta@acme.example>"
    assert "Added to " in out and "acme, brightside" in out
    code, out, err = run(capsys, "scan", "--dry-run")
    assert code == 0, err and "No clients yet" not in out


def test_a_scan_with_no_clients_says_what_to_do(capsys, home, tmp_path):
    world = MaildirWorld(tmp_path / "Mail")
    code, _, err = run(capsys, "init", "--non-interactive", *ME, *WHERE, "--maildir", str(world.root))
    assert code == 0, err
    code, out, _ = run(capsys, "scan")
    assert code == 0
    # In her language (init was given --language es).
    assert "Aún no hay clientes: añádelos a " in out and "clients.yaml" in out and "`init` puede sugerirlos" in out


def test_the_name_is_never_guessed_from_a_login_name(monkeypatch):
    import pwd

    def entry(gecos: str, login: str):
        return type("Entry", (), {"pw_gecos": gecos, "pw_name": login})()

    for gecos, login, expected in (
        ("root", "root", ""),
        ("lucia", "lucia", ""),
        ("Lucía Romero,,,", "lucia", "Lucía Romero"),
        ("", "lucia", ""),
    ):
        monkeypatch.setattr(pwd, "getpwuid", lambda uid, e=entry(gecos, login): e)
        assert onboarding.guess_name() == expected, gecos


# --------------------------------------------------------------------------- init, no network


def test_interactive_init_guesses_what_it_can_and_asks_again_after_a_wrong_answer(capsys, home, monkeypatch):
    monkeypatch.setenv("LANG", "nl_NL.UTF-8")
    monkeypatch.setenv("TZ", "Europe/Amsterdam")
    answers(
        monkeypatch,
        "Sanne de Vries",
        "sanne at fastmail",
        "sanne@fastmail.com",  # Fastmail: host, port and user name follow
        "",  # the password source: a command (the recommended default)
        "",  # ...this command
        "",  # language: nl, from the locale
        "ES",  # Dutch dates and money cannot be written for Spain
        "",  # NL, from the locale
    )
    code, out, err = run(capsys, "init", "--no-check")
    assert code == 0, err
    assert "not an email address: 'sanne at fastmail'" in out
    assert "Provider: Fastmail (from the address" in out and "Who provides" not in out
    assert "an app password" in out
    assert "language nl with country ES is no locale" in out
    assert "Time zone: Europe/Amsterdam (from $TZ" in out
    config = load_config(home / "freelance-assistant" / "config.yaml")
    imap = config.account(None).imap
    assert (imap.host, imap.effective_port, imap.security, imap.username) == (
        "imap.fastmail.com", 993, "tls", "sanne@fastmail.com",
    )  # fmt: skip
    assert imap.password_command == ("pass", "show", "mail/sanne@fastmail.com")
    assert (config.identity.language, config.identity.timezone) == ("nl", "Europe/Amsterdam")
    assert (config.settings.defaults.country, config.settings.defaults.currency) == ("NL", "EUR")
    # Named so that it runs from here: the venv's full path unless PATH finds the same program.
    assert re.search(r"Check it when the mailbox is reachable: \S*freelance-assistant check\n", out)


def test_interactive_init_stops_clearly_when_the_answers_run_out(capsys, home, monkeypatch):
    answers(monkeypatch, "Lucía Romero")
    code, _, err = run(capsys, "init")
    assert code == 2
    assert "the input ended before 'Your email address' was answered" in err and "--non-interactive" in err
    assert not (home / "freelance-assistant").exists()


def test_a_second_init_keeps_every_file_already_there_and_says_so(capsys, home):
    first = ["init", "--non-interactive", "--no-check", *ME, *WHERE, "--host", "mail.romero.example"]
    code, _, err = run(capsys, *first, "--password-command", "pass show mail")
    assert code == 0, err
    directory = home / "freelance-assistant"
    path, rules = directory / "config.yaml", directory / "rules"
    edited = path.read_text(encoding="utf-8").replace(
        '# phone: "+34 600 123 456"', 'phone: "+34 611 222 333"'
    )
    path.write_text(edited, encoding="utf-8")
    clients = "clients:\n  acme:\n    name: ACME\n    contact: Marta <marta@acme.example>\n"
    (rules / "clients.yaml").write_text(clients, encoding="utf-8")
    (rules / "templates" / "en" / "digest.txt.j2").unlink()

    code, out, err = run(capsys, "init", "--non-interactive", "--no-check", "--name", "Somebody Else")
    assert code == 0, err
    assert path.read_text(encoding="utf-8") == edited
    assert (rules / "clients.yaml").read_text(encoding="utf-8") == clients
    assert (rules / "templates" / "en" / "digest.txt.j2").is_file()  # a missing file is copied again
    assert "Copied 1 rules file into" in out
    assert "Kept as they were (init never writes over a file): config.yaml, rules/clients.yaml, " in out
    shipped = len(list((packaged_rules_dir() / "templates").rglob("*.j2")))
    assert f"{shipped - 1} templates in rules/templates/" in out  # all but the one deleted
    config = load_config(path)
    assert config.identity.phone == "+34 611 222 333" and list(config.rules.clients) == ["acme"]


def test_non_interactive_init_names_what_is_missing_and_writes_nothing(capsys, home):
    code, _, err = run(capsys, "init", "--non-interactive")
    assert code == 2 and "init --non-interactive: missing --name, --email" in err
    code, _, err = run(capsys, "init", "--non-interactive", *ME, *WHERE)
    assert code == 2
    assert "missing --host (or --provider), --password-command (recommended), --password-env" in err
    code, _, err = run(capsys, "init", "--non-interactive", *ME, *WHERE, "--provider", "outlook")
    assert code == 2 and "missing --token-command" in err
    assert not (home / "freelance-assistant").exists()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--provider", "outlook", "--auth", "password", "--password-env", "P"], "does not accept --auth password"),
        (["--host", "imap.romero.example", "--security", "plain", "--password-env", "P"], "only to 127.0.0.1"),
        (["--provider", "local", "--password-env", "P", "--country", "XX"], "--country: country must be a two-letter"),
        (["--provider", "local", "--password-env", "P", "--timezone", "Mars/Olympus"], "unknown time zone 'Mars/Olympus'"),
        (["--provider", "local", "--password-env", "P", "--password-command", "pass x"], "give one of --password-command"),
        (["--provider", "local", "--password-env", "1BAD"], "not an environment variable name: '1BAD'"),
    ],
)  # fmt: skip
def test_impossible_flags_are_one_clear_line(capsys, home, flags, message):
    code, _, err = run(capsys, "init", "--non-interactive", "--no-check", *ME, *flags)
    assert code == 2 and message in err and err.count("\n") == 1
    assert not (home / "freelance-assistant").exists()


@pytest.mark.parametrize(
    ("email", "flags", "expected"),
    [
        ("lucia@gmail.com", ["--password-command", "pass show gmail"],
         ("imap.gmail.com", 993, "tls", "password", "lucia@gmail.com")),
        ("lucia@googlemail.com", ["--token-command", "oauth2-token lucia"],
         ("imap.gmail.com", 993, "tls", "xoauth2", "lucia@googlemail.com")),
        ("lucia@outlook.com", ["--token-command", "pizauth show outlook"],
         ("outlook.office365.com", 993, "tls", "xoauth2", "lucia@outlook.com")),
        ("lucia@hotmail.com", ["--token-command", "pizauth show hotmail"],
         ("outlook.office365.com", 993, "tls", "xoauth2", "lucia@hotmail.com")),
        ("lucia@live.com", ["--token-command", "pizauth show live"],
         ("outlook.office365.com", 993, "tls", "xoauth2", "lucia@live.com")),
        ("lucia@fastmail.fm", ["--password-env", "FASTMAIL_PASSWORD"],
         ("imap.fastmail.com", 993, "tls", "password", "lucia@fastmail.fm")),
        ("lucia@icloud.com", ["--password-credential", "icloud-password"],
         ("imap.mail.me.com", 993, "tls", "password", "lucia")),
        ("lucia@mac.com", ["--password-command", "pass show icloud"],
         ("imap.mail.me.com", 993, "tls", "password", "lucia")),
        # A custom domain at a known provider: named with --provider.
        ("lucia@romero.example", ["--provider", "outlook", "--token-command", "pizauth show work"],
         ("outlook.office365.com", 993, "tls", "xoauth2", "lucia@romero.example")),
        ("lucia@romero.example", ["--host", "mail.romero.example", "--security", "starttls",
                                  "--password-command", "pass show mail"],
         ("mail.romero.example", 143, "starttls", "password", "lucia@romero.example")),
        ("lucia@romero.example", ["--provider", "local", "--password-env", "FA_PW"],
         ("127.0.0.1", 143, "plain", "password", "lucia@romero.example")),
    ],
)  # fmt: skip
def test_each_provider_preset_gives_a_config_the_loader_accepts(capsys, home, email, flags, expected):
    code, _, err = run(
        capsys, "init", "--non-interactive", "--no-check", "--name", "Lucía", "--email", email, *WHERE, *flags
    )
    assert code == 0, err
    imap = load_config(home / "freelance-assistant" / "config.yaml").account(None).imap
    assert (imap.host, imap.effective_port, imap.security, imap.auth, imap.username) == expected


def test_the_written_config_explains_itself_like_the_example(capsys, home):
    code, _, err = run(
        capsys, "init", "--non-interactive", "--no-check", "--name", "Lucía", "--email", "lucia@icloud.com",
        *WHERE, "--password-command", "pass show icloud",
    )  # fmt: skip
    assert code == 0, err
    text = (home / "freelance-assistant" / "config.yaml").read_text(encoding="utf-8")
    assert "# iCloud Mail: imap.mail.me.com, port 993, tls." in text
    assert 'if the login is refused, try "lucia@icloud.com"' in text
    assert "an app-specific password" in text and "appleid.apple.com" in text
    assert '#   username: "lucia@icloud.com"' in text  # SMTP wants the full address
    assert '# password_env: "FREELANCE_ASSISTANT_PASSWORD"' in text  # the other sources, for later
    for key in ("identity:", "defaults:", "accounts:", "schedule:", "rules_dir: rules"):
        line = next(line for line in text.splitlines() if line.strip().startswith(key))
        index = text.splitlines().index(line)
        assert text.splitlines()[index - 1].lstrip().startswith("#"), f"{key} has no comment above it"

    code, _, err = run(
        capsys, "init", "--non-interactive", "--no-check", "--name", "Lucía", "--email", "lucia@gmail.com",
        *WHERE, "--password-command", "pass show gmail", "--config", str(home / "gmail" / "config.yaml"),
    )  # fmt: skip
    assert code == 0, err
    text = (home / "gmail" / "config.yaml").read_text(encoding="utf-8")
    assert "2-Step Verification > App passwords" in text and "# auth: xoauth2" in text
    assert '#   sent: "[Gmail]/Sent Mail"' in text and '#   drafts: "[Gmail]/Drafts"' in text
    assert "#   copy_to_sent: false" in text
    assert (home / "gmail" / "rules" / "clients.yaml").is_file()  # the rules go next to --config


def test_the_config_location_follows_freelance_assistant_config(capsys, tmp_path, monkeypatch):
    path = tmp_path / "elsewhere" / "fa.yaml"
    monkeypatch.setenv("FREELANCE_ASSISTANT_CONFIG", str(path))
    code, out, err = run(
        capsys, "init", "--non-interactive", "--no-check", *ME, *WHERE, "--provider", "local",
        "--password-env", "FA_PW",
    )  # fmt: skip
    assert code == 0, err
    assert path.is_file() and (path.parent / "rules" / "escalation.yaml").is_file()
    assert "freelance-assistant scan --dry-run\n" in out  # the variable says where: no --config


def test_every_new_command_shows_an_example_in_its_help(capsys):
    for command, example in (
        ("init", "freelance-assistant init --non-interactive"),
        ("check", "freelance-assistant check --offline"),
    ):
        with pytest.raises(SystemExit) as stopped:
            main([command, "--help"])
        out, _ = capsys.readouterr()
        assert stopped.value.code == 0 and "examples:" in out and example in out


# --------------------------------------------------------------------------- guesses


def test_the_provider_is_guessed_only_from_domains_it_is_certain_of():
    assert presets.guess_provider("a@gmail.com") == presets.guess_provider("a@GoogleMail.com") == "gmail"
    assert (
        presets.guess_provider("a@me.com") == "icloud"
        and presets.guess_provider("a@fastmail.fm") == "fastmail"
    )
    assert presets.guess_provider("a@live.com") == "outlook"
    assert presets.guess_provider("a@romero.example") is None


def test_language_and_country_come_from_the_locale_when_it_says():
    assert onboarding.guess_locale({"LANG": "es_ES.UTF-8"}) == ("es", "ES")
    assert onboarding.guess_locale({"LC_ALL": "nl_BE.UTF-8", "LANG": "en_US.UTF-8"}) == ("nl", "BE")
    assert onboarding.guess_locale({"LANG": "de_DE.UTF-8"}) == (None, "DE")  # the country still helps
    assert onboarding.guess_locale({"LANG": "C.UTF-8"}) == (None, None)
    assert onboarding.guess_locale({}) == (None, None)


def test_the_time_zone_comes_from_tz_then_etc_timezone_then_the_localtime_link(tmp_path):
    etc = tmp_path / "etc"
    etc.mkdir()
    assert onboarding.guess_timezone({}, etc) == (None, "")
    (etc / "localtime").symlink_to("/usr/share/zoneinfo/Asia/Tokyo")
    assert onboarding.guess_timezone({}, etc) == ("Asia/Tokyo", str(etc / "localtime"))
    (etc / "timezone").write_text("Europe/Lisbon\n")
    assert onboarding.guess_timezone({"TZ": "Not/A_Zone"}, etc) == ("Europe/Lisbon", str(etc / "timezone"))
    assert onboarding.guess_timezone({"TZ": ":Europe/Madrid"}, etc) == ("Europe/Madrid", "$TZ")


# --------------------------------------------------------------------------- check explains


def test_check_on_a_server_without_idle_condstore_uidplus_and_special_use_says_what_it_costs(
    capsys, tmp_path
):
    with scratch_dir("fa-limited-") as workdir, Dovecot.start(workdir, settings=LIMITED) as server:
        account = (
            f"- name: main\n  imap:\n    host: 127.0.0.1\n    port: {server.port}\n    security: plain\n"
            f"    username: lucia\n    password: {server.password}\n    timeout: 10\n"
        )
        path = write_config(tmp_path / "cfg", account, extra="schedule:\n  poll_minutes: 20\n")
        path.chmod(0o600)
        code, out, err = run(capsys, "check", "--config", str(path))
    assert code == 0, err
    assert "Sent:   'Sent' (found by its usual name)" in out
    assert "server offers: IDLE no, CONDSTORE no, UIDPLUS no, SPECIAL-USE no" in out
    assert "no IDLE: changes are seen at the poll interval (20 min), not within seconds" in out
    assert "no CONDSTORE: flag changes (your 'Paid' tag) cannot be asked for since the last pass" in out
    assert "no UIDPLUS: the server cannot remove one message alone (UID EXPUNGE), so a draft" in out
    assert "no SPECIAL-USE: Sent and Drafts found by the usual name only" in out
    assert "nothing missing" not in out


def test_check_on_a_maildir_says_how_it_is_watched(capsys, tmp_path):
    world = MaildirWorld(tmp_path / "Maildir")
    code, out, _ = run(capsys, "check", "--config", str(write_config(tmp_path / "cfg", world.account_yaml())))
    assert code == 0
    assert f"account main: Maildir {tmp_path / 'Maildir'}: opened" in out
    assert "Sent:   'Sent' (found by its usual name)" in out
    assert "the service looks at its folders every 2 s (as quick as IDLE)" in out


def profile(**changes) -> MailboxProfile:
    values = dict(
        kind="imap",
        folders=Folders(inbox="INBOX", sent="Sent Items", drafts="Drafts"),
        found={"sent": "config", "drafts": "special-use"},
        capabilities=frozenset({"IDLE", "CONDSTORE", "ENABLE", "UIDPLUS", "SPECIAL-USE"}),
        signed_in_with="LOGIN",
        condstore=True,
    )
    return MailboxProfile(**(values | changes))


def test_the_explanation_names_each_missing_capability_and_nothing_else():
    lines = mailbox_lines(profile(), poll_minutes=15, maildir_look=2.0)
    assert lines[0] == "Sent:   'Sent Items' (named in config.yaml)"
    assert lines[-1].startswith("nothing missing")

    idle_only = mailbox_lines(
        profile(capabilities=frozenset({"CONDSTORE", "ENABLE", "UIDPLUS", "SPECIAL-USE"})),
        poll_minutes=15,
        maildir_look=2.0,
    )
    costs = [line.strip() for line in idle_only[idle_only.index("what is missing and what it costs:") + 1 :]]
    assert len(costs) == 1 and costs[0].startswith("no IDLE: changes are seen at the poll interval (15 min)")

    no_enable = mailbox_lines(
        profile(capabilities=frozenset({"IDLE", "CONDSTORE", "UIDPLUS", "SPECIAL-USE"}), condstore=False),
        poll_minutes=15,
        maildir_look=2.0,
    )
    assert any("announces CONDSTORE but not ENABLE" in line for line in no_enable)

    oauth = mailbox_lines(profile(signed_in_with="XOAUTH2"), poll_minutes=15, maildir_look=2.0)
    assert "signed in with AUTHENTICATE XOAUTH2 (an OAuth 2 access token from token_command)" in oauth

    # Without SPECIAL-USE announced, folders marked all the same are not a problem.
    marked = mailbox_lines(
        profile(capabilities=frozenset({"IDLE", "CONDSTORE", "ENABLE", "UIDPLUS"})),
        poll_minutes=15,
        maildir_look=2.0,
    )
    assert "  no SPECIAL-USE announced; the folders were found all the same" in marked
