"""The command line as a freelancer uses it: clear messages, exit code 2 on errors."""

from __future__ import annotations

import argparse
import os
import re
import stat
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from assistant.cli import build_parser, main
from assistant.domain.compose import key_of
from tests.support.mailboxes import ImapWorld, MaildirWorld, parsed
from tests.support.world import TZ, at, invoice_email, write_config
from tests.test_compose import SEED_ES


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def maildir_config(tmp_path):
    world = MaildirWorld(tmp_path / "Maildir")
    world.deliver("Sent", invoice_email(sent=at(date(2026, 3, 2)), message_id="<cli-inv@x>"))
    # The scans below run on the real day, long after the invoice fell due: chase it anyway
    # (the first run's hold, issue 15, has its own tests in test_bank_statements.py).
    return world, write_config(tmp_path / "cfg", world.account_yaml() + "  first_run_hold_days: 36500\n")


def test_check_on_a_broken_file_points_at_the_line_without_a_traceback(capsys, tmp_path):
    path = write_config(tmp_path, "- name: main\n  maildir:\n    path: Mail\n")
    (tmp_path / "rules" / "clients.yaml").write_text(
        "clients:\n  acme:\n    name: A\n    contact: a@a.example\n    lenguage: es\n"
    )
    code, out, err = run(capsys, "check", "--config", str(path), "--offline")
    assert code == 2
    assert (
        f"{tmp_path / 'rules' / 'clients.yaml'}:5:5: clients.acme.lenguage: unknown key (did you mean 'language'?)"
        in err
    )
    assert "Traceback" not in err and out == ""


def test_check_offline_summarises_a_valid_configuration(capsys, maildir_config):
    _, path = maildir_config
    code, out, _ = run(capsys, "check", "--config", str(path), "--offline")
    assert code == 0
    assert "configuration valid" in out and "clients: 3 (acme, bright, tulp)" in out


def test_check_logs_in_and_names_the_folders(capsys, dovecot, imap_user, tmp_path):
    path = write_config(tmp_path, ImapWorld(dovecot, imap_user).account_yaml())
    code, out, _ = run(capsys, "check", "--config", str(path))
    assert code == 0
    assert f"account main: IMAP {imap_user}@127.0.0.1:{dovecot.tls_port}: connected" in out
    assert "Sent:   'Sent' (found by SPECIAL-USE \\Sent)" in out
    assert "Drafts: 'Drafts' (found by SPECIAL-USE \\Drafts)" in out
    assert "server offers: IDLE yes, CONDSTORE yes, UIDPLUS yes, SPECIAL-USE yes" in out
    assert "signed in with LOGIN (user name and password)" in out and "nothing missing" in out


def test_a_wrong_password_is_a_clear_error_that_does_not_echo_it(capsys, dovecot, imap_user, tmp_path):
    account = ImapWorld(dovecot, imap_user).account_yaml().replace(dovecot.password, "hunter2-wrong")
    path = write_config(tmp_path, account)
    code, out, err = run(capsys, "check", "--config", str(path))
    assert code == 2
    assert "refused the user name or password" in err
    assert "hunter2-wrong" not in out + err


def test_an_untrusted_certificate_is_refused_with_a_hint(capsys, dovecot, imap_user, tmp_path):
    account = ImapWorld(dovecot, imap_user).account_yaml()
    account = "\n".join(line for line in account.splitlines() if "ca_file" not in line) + "\n"
    path = write_config(tmp_path, account)
    code, _, err = run(capsys, "check", "--config", str(path))
    assert code == 2
    assert "certificate is not trusted" in err and "ca_file" in err


def test_starttls_works_as_well(capsys, dovecot, imap_user, tmp_path):
    account = ImapWorld(dovecot, imap_user).account_yaml()
    account = account.replace(f"port: {dovecot.tls_port}", f"port: {dovecot.port}").replace(
        "security: tls", "security: starttls"
    )
    code, out, _ = run(capsys, "check", "--config", str(write_config(tmp_path, account)))
    assert code == 0 and "connected" in out


def test_an_unreachable_server_is_a_clear_error(capsys, tmp_path):
    account = "- name: main\n  imap:\n    host: 127.0.0.1\n    port: 9\n    username: u\n    password: p\n    timeout: 3\n"
    code, _, err = run(capsys, "check", "--config", str(write_config(tmp_path, account)))
    assert code == 2
    assert "IMAP u@127.0.0.1:9: connecting:" in err


def test_scan_status_and_mark_paid(capsys, maildir_config, monkeypatch):
    world, path = maildir_config
    monkeypatch.setattr("assistant.cli._now", lambda: at(date(2026, 4, 1), 9))  # the invoice is overdue
    code, out, _ = run(capsys, "scan", "--config", str(path), "--dry-run", "--as-of", "2026-03-17")
    assert code == 0 and "drafts that would be written: 1" in out and "first-reminder" in out
    assert world.messages("Drafts") == []
    code, out, _ = run(capsys, "scan", "--config", str(path))
    assert code == 0 and "invoices found: 1" in out
    code, out, _ = run(capsys, "status", "--config", str(path))
    assert code == 0 and "(acme)" in out and "2026-001" in out and "days overdue" in out
    code, out, _ = run(capsys, "mark-paid", "--config", str(path), "2026-001")
    assert code == 0 and "acme/2026-001 is paid" in out
    code, out, _ = run(capsys, "status", "--config", str(path))
    assert "you marked it paid" in out and "Outstanding: nothing; every invoice is paid." in out


def test_mark_paid_of_an_unknown_invoice_says_so(capsys, maildir_config):
    _, path = maildir_config
    run(capsys, "scan", "--config", str(path))
    code, _, err = run(capsys, "mark-paid", "--config", str(path), "1999-999")
    assert code == 2 and "no invoice '1999-999'" in err


def test_as_of_needs_a_dry_run(capsys, maildir_config):
    _, path = maildir_config
    code, _, err = run(capsys, "scan", "--config", str(path), "--as-of", "2026-03-17")
    assert code == 2 and "--as-of only makes sense with --dry-run" in err


def test_debug_shows_the_traceback(capsys, tmp_path):
    code, _, err = run(capsys, "--debug", "check", "--config", str(tmp_path / "missing.yaml"))
    assert code == 2 and "Traceback" in err


def test_the_demo_builds_a_mailbox_and_drafts_the_documented_reminder(capsys, tmp_path):
    directory = tmp_path / "demo"
    # The sample is built relative to the day it runs; name that day once so no date below depends on it.
    today = datetime.now(TZ).date()
    code, out, _ = run(capsys, "demo", "--dir", str(directory), "--today", today.isoformat())
    assert code == 0
    assert SEED_ES.split("\n")[0] in out
    # Lucía's language is Spanish (identity.language): the scan's list speaks it.
    assert "facturas encontradas: 11" in out and "entregas encontradas: 2" in out
    assert "¿Aún se debe? confirma: 1 factura" in out and "F-2025-118" in out  # held, not chased
    assert "pagada: tulp/2026-017 (keyword)" in out  # the Paid tag
    # "we have paid this today": not chased, and not taken for paid until the money is seen
    assert "invoice/brightside/INV-0112: pagado según el cliente (el cliente dice que está pagada; no se reclama" in out
    assert "invoice/nube/F-2026-041: respuesta automática" in out  # ...and its reminder is still drafted
    assert "invoice/tulp/2026-023: en disputa" in out
    assert "deliverable/brightside/" in out and ": aprobado" in out
    drafts = sorted((directory / "Maildir" / ".Drafts" / "cur").iterdir())
    assert len(drafts) == 5 and all(p.name.endswith(":2,DS") for p in drafts)
    assert "se sugiere terminar con brightside (impago)" in out
    assert "And a termination email, only as a draft (attached: invoice-INV-0107.pdf)" in out
    assert "Subject: Our collaboration" in out and "- the admin password of the WordPress site" in out
    keys = sorted(line.split()[1] for line in out.splitlines() if line.strip().startswith("key "))
    # INV-0107 is a month overdue and was never chased: its first letter is the first reminder.
    assert [k.rsplit("/", 1)[1] for k in keys] == [
        "feedback-request",
        "first-reminder",
        "first-reminder",
        "first-reminder",
    ]
    assert "invoice/nube/F-2026-041/first-reminder" in keys and "invoice/tulp/2026-021/first-reminder" in keys
    config = str(directory / "config.yaml")
    code, out, _ = run(capsys, "scan", "--config", config)
    assert code == 0 and "no toca ningún recordatorio ni seguimiento" in out
    assert len(list((directory / "Maildir" / ".Drafts" / "cur").iterdir())) == 5
    code, out, _ = run(capsys, "status", "--config", config)
    assert code == 0 and out.count("Borradores que esperan a que los envíes") == 3  # one heading per client
    assert len(re.findall(r"^  - (first-reminder|final-notice|feedback-request) de ", out, re.M)) == 4
    tulp_due = today - timedelta(days=20) + timedelta(days=14)  # issued 20 days ago, 14-day terms
    assert re.search(rf"2026-023 +720,00\xa0€ +{tulp_due} +en disputa", out)
    assert out.count("Factura el trabajo aprobado") == 1
    assert out.count("fin de colaboración (el programa nunca lo envía)") == 1
    code, out, _ = run(capsys, "explain", "--config", config, "2026-023")
    assert code == 0 and "Het bedrag klopt niet" in out
    code, _, err = run(capsys, "demo", "--dir", str(directory))
    assert code == 2 and "is not empty" in err


def test_the_demo_prints_commands_that_run_from_where_the_user_stands(capsys, tmp_path, monkeypatch):
    """The venv is not activated (the README does not activate it): the commands name the program by its path."""
    bin_dir = tmp_path / "bin"  # a PATH with `ls` and no mail reader
    bin_dir.mkdir()
    (bin_dir / "ls").symlink_to("/bin/ls")
    monkeypatch.setenv("PATH", str(bin_dir))
    directory = tmp_path / "demo dir"  # a space: the printed commands quote it
    code, out, _ = run(capsys, "demo", "--dir", str(directory))
    assert code == 0
    look = out[out.index("Look around:") :].splitlines()[1:]
    status_line = next(line for line in look if " status --config " in line)
    assert not status_line.strip().startswith("freelance-assistant ") and "mutt" not in out
    result = subprocess.run(status_line, shell=True, capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "Estudio Nube" in result.stdout, result.stderr
    reader = look[-1].split("    (")[0].strip()
    result = subprocess.run(
        reader, shell=True, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL
    )
    assert reader.startswith("ls ") and result.returncode == 0 and len(result.stdout.split()) == 5
    (bin_dir / "neomutt").symlink_to("/bin/true")  # with a Maildir reader installed, it is the one suggested
    code, out, _ = run(capsys, "demo", "--dir", str(tmp_path / "again"))
    assert code == 0 and f"neomutt -f {tmp_path / 'again' / 'Maildir' / '.Drafts'}" in out


def test_the_demo_refuses_a_directory_another_user_owns_or_can_write_to(capsys, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)  # what a shared /tmp/freelance-demo pre-created by someone else looks like
    code, _, err = run(capsys, "demo", "--dir", str(shared))
    assert code == 2 and "others can write to" in err and "under your home directory" in err
    assert "internal error" not in err and not any(shared.iterdir())
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o700)
    if os.getuid() == 0:
        os.chown(theirs, 65534, 65534)  # nobody's
    else:
        theirs = Path("/")  # root's, and not this user
    code, _, err = run(capsys, "demo", "--dir", str(theirs))
    assert code == 2 and "belongs to another user" in err and "internal error" not in err
    if os.getuid() == 0:
        assert not any(theirs.iterdir())


def test_digest_prints_todays_digest_and_deliver_puts_it_in_the_inbox_once(
    capsys, world, tmp_path, monkeypatch
):
    world.deliver(
        "Sent", invoice_email(sent=at(date(2026, 3, 2)), message_id="<dg@x>"), when=at(date(2026, 3, 2))
    )
    path = str(write_config(tmp_path / "cfg", world.account_yaml()))
    monkeypatch.setattr("assistant.cli._now", lambda: at(date(2026, 3, 20), 8))  # due 16 March: 4 days late
    code, out, _ = run(capsys, "digest", "--config", path)
    assert code == 0 and "no state yet" in out  # nothing read yet: says what to do
    assert run(capsys, "scan", "--config", path)[0] == 0
    inbox_before = len(world.messages("INBOX"))
    code, printed, _ = run(capsys, "digest", "--config", path)
    assert code == 0 and printed.startswith("Subject: ") and "2026-001" in printed
    assert len(world.messages("INBOX")) == inbox_before  # printing delivers nothing
    code, out, _ = run(capsys, "digest", "--config", path, "--deliver")
    assert code == 0 and "today's digest delivered into your INBOX" in out
    delivered = [parsed(data) for _, data in world.messages("INBOX")][inbox_before:]
    assert len(delivered) == 1 and delivered[0]["Auto-Submitted"] == "auto-generated"
    assert delivered[0]["Subject"] == printed.splitlines()[0].removeprefix("Subject: ")
    assert "2026-001" in delivered[0].get_body(("plain",)).get_content()
    code, out, _ = run(capsys, "digest", "--config", path, "--deliver")
    assert code == 0 and "delivered already" in out and len(world.messages("INBOX")) == inbox_before + 1


def test_an_unknown_account_or_a_missing_config_is_one_clean_line(capsys, maildir_config, tmp_path):
    _, path = maildir_config
    code, _, err = run(capsys, "status", "--config", str(path), "--account", "nope")
    assert code == 2
    assert err.splitlines()[1] == f"  {path}: no account named 'nope' (accounts: main)"
    missing = tmp_path / "missing.yaml"
    code, _, err = run(capsys, "status", "--config", str(missing))
    assert code == 2 and err.splitlines()[1].startswith(f"  {missing}: cannot read")


def test_python_dash_m_runs_the_same_command_line():
    result = subprocess.run(
        [sys.executable, "-m", "assistant", "--version"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and result.stdout.startswith("freelance-assistant ")


def test_the_console_script_is_installed():
    script = Path(sys.executable).parent / "freelance-assistant"
    result = subprocess.run([str(script), "check", "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "--offline" in result.stdout


def test_pause_dispute_and_resume_take_an_invoice_off_the_ladder_and_back(capsys, maildir_config):
    _, path = maildir_config
    run(capsys, "scan", "--config", str(path))
    code, out, _ = run(
        capsys, "pause", "--config", str(path), "2026-001", "--until", "2026-12-01", "--reason", "holidays"
    )
    assert code == 0 and "paused until 2026-12-01" in out
    code, out, _ = run(capsys, "status", "--config", str(path))
    assert "paused, not chased until 2026-12-01: “holidays”" in out
    code, out, _ = run(
        capsys, "dispute", "--config", str(path), "2026-001", "--reason", "they say 700, not 1210"
    )
    assert code == 0 and "disputed" in out
    code, out, _ = run(capsys, "resume", "--config", str(path), "2026-001")
    assert code == 0 and "back on the reminder ladder" in out
    code, _, err = run(capsys, "resume", "--config", str(path), "2026-001")
    assert code == 2 and "is open; 'resumed' does not apply" in err


def test_explain_cites_the_evidence_and_says_what_comes_next(capsys, tmp_path):
    # The command line runs on the real clock: the story is told relative to today.
    today = datetime.now(TZ).date()
    sent, written, promised = today - timedelta(days=20), today - timedelta(days=1), today + timedelta(days=5)
    world = MaildirWorld(tmp_path / "Maildir")
    world.deliver("Sent", invoice_email(sent=at(sent), message_id="<inv@x>"))
    path = write_config(tmp_path / "cfg", world.account_yaml())
    run(capsys, "scan", "--config", str(path))
    from tests.test_replies import reply

    world.deliver(
        "INBOX",
        reply(
            sender="Marta López <marta@acme.example>",
            subject="Re: Factura 2026-001",
            body=f"Pagaremos el {promised:%d/%m/%Y}.\n",
            day=written,
            in_reply_to="<inv@x>",
        ),
    )
    run(capsys, "scan", "--config", str(path))
    code, out, _ = run(capsys, "explain", "--config", str(path), "2026-001")
    assert code == 0
    hold = promised + timedelta(days=1)
    assert "Invoice 2026-001 to acme" in out and f"state: PROMISED until {hold}" in out
    assert (
        "read: number from the subject, amount from the PDF label, issue date from the date sent (guessed), "
        "due date from the client's terms (guessed)"
    ) in out
    assert f"invoiced: €1,210.00, issued {sent}, due {sent + timedelta(days=14)}" in out
    assert f"promised: promised for {promised}" in out
    assert f"evidence: {written} 09:00 from marta@acme.example 'Re: Factura 2026-001'" in out
    assert f"“Pagaremos el {promised:%d/%m/%Y}.”" in out
    assert f"nothing until {hold}; then the ladder resumes" in out
    assert "drafted: first-reminder: " in out  # drafted before the promise arrived


def test_a_manual_termination_for_a_client_who_owes_money_attaches_the_invoice_and_warns(
    capsys, maildir_config
):
    world, path = maildir_config
    run(capsys, "scan", "--config", str(path))
    code, out, _ = run(capsys, "draft-termination", "--config", str(path), "acme", "--reason", "no-capacity")
    assert code == 0
    assert "Termination draft for acme (no-capacity) is in Drafts: 'Nuestra colaboración'" in out
    assert "WARNING money is still owed (2026-001 €1,210.00" in out and "wait until they have paid" in out
    assert "never sends a termination email" in out
    from tests.support.mailboxes import parsed

    (termination,) = [
        m
        for m in (parsed(d) for _, d in world.messages("Drafts"))
        if key_of(m) == "termination/acme/no-capacity"
    ]
    text = termination.get_body(("plain",)).get_content()
    assert "No dispongo del tiempo necesario" in text and "Factura 2026-001" in text
    assert [a.get_filename() for a in termination.iter_attachments()] == ["Factura_2026-001.pdf"]
    code, out, _ = run(capsys, "status", "--config", str(path))
    assert "termination (the program never sends it)" in out
    flat = " ".join(out.split())
    assert "Review the termination draft “Nuestra colaboración”" in flat
    assert "Warning: money is still owed (2026-001 €1,210.00" in flat
    assert "remove the client's logo from your portfolio" in out
    code, _, err = run(capsys, "draft-termination", "--config", str(path), "acme", "--reason", "no-capacity")
    assert code == 2 and "already written" in err  # exactly once
    code, _, err = run(capsys, "draft-termination", "--config", str(path), "nobody", "--reason", "other")
    assert code == 2 and "no client 'nobody'" in err


def test_a_rate_increase_proposal_suggests_a_call(capsys, maildir_config):
    world, path = maildir_config
    run(capsys, "scan", "--config", str(path))
    code, out, _ = run(
        capsys,
        "draft-rate-increase",
        "--config",
        str(path),
        "bright",
        "--rate",
        "£480 a day",
        "--starting",
        "2027-01-01",
    )
    assert code == 0 and "Rate proposal for bright is in Drafts" in out
    from tests.support.mailboxes import parsed

    (proposal,) = [
        m
        for m in (parsed(d) for _, d in world.messages("Drafts"))
        if (key_of(m) or "").startswith("rate/bright/")
    ]
    assert proposal["Subject"] == "My rates from 1 January 2027"
    text = proposal.get_body(("plain",)).get_content()
    assert "From 1 January 2027, my new rate will be £480 a day." in text and "short call" in text


def test_review_ranks_the_demo_clients_and_writes_the_html_report(capsys, tmp_path):
    directory = tmp_path / "demo"
    # The sample as of today, reviewed over the year up to today (the sample spans seven
    # months): the same ranking whatever the day, January included.
    today = datetime.now(TZ).date()
    run(capsys, "demo", "--dir", str(directory), "--today", today.isoformat())
    config = str(directory / "config.yaml")
    html = tmp_path / "review.html"
    since = (today - timedelta(days=365)).isoformat()
    code, out, _ = run(capsys, "review", "--config", config, "--since", since, "--html", str(html))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("Revisión de clientes ") and "3 clientes" in lines[0]  # Lucía's language
    ranked = [
        line
        for line in lines
        if "Brightside Media Ltd" in line or "Tulp Design" in line or "Estudio Nube" in line
    ]
    assert ranked[0].startswith("*  1  Brightside Media Ltd")  # five late payments: the troublesome 20 %
    assert "el 20 % problemático: Brightside Media Ltd" in out
    assert max(len(line) for line in lines if not line.startswith("HTML report")) <= 80
    assert stat.S_IMODE(html.stat().st_mode) == 0o600  # names and money owed: private
    text = html.read_text(encoding="utf-8")
    assert (
        text.startswith("<!DOCTYPE html>")
        and 'data-chart="revenue-trouble"' in text
        and 'data-chart="ageing"' in text
    )
    code, _, err = run(capsys, "review", "--config", config, "--year", "2025", "--since", "2025-01-01")
    assert code == 2 and "not both" in err


def test_every_command_s_help_ends_with_an_example_of_itself(capsys):
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    assert len(commands) >= 14
    for name in commands:
        with pytest.raises(SystemExit) as stopped:
            main([name, "--help"])
        out = capsys.readouterr().out
        examples = out.split("examples:\n", 1)[-1]
        assert stopped.value.code == 0 and "examples:" in out, name
        assert f"  freelance-assistant {name}" in examples, name
