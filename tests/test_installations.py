"""Keys in the mailbox: opaque tokens out, one truth for two installations on one mailbox.

Issue 14 point 6 (nothing internal reaches the client) and issue 16 item 1 (two
installations on one mailbox drafted everything twice), on the real Dovecot and a Maildir.
"""

from __future__ import annotations

import io
import sqlite3
import threading
import time
from collections import Counter
from datetime import date
from email.message import EmailMessage
from email.utils import format_datetime

import pytest

from assistant.adapters.store import BACKUPS_KEPT, Store
from assistant.cli import check
from assistant.commands import digest_draft, mark_paid
from assistant.domain import keys
from assistant.domain.compose import KEY_HEADER, LEGACY_KEY_HEADER, key_of, token_for
from assistant.session import AccountSession, state_path
from assistant.status_report import account_document, print_status
from tests.support.freelancer import Freelancer, send_invoice
from tests.support.mailboxes import parsed
from tests.support.world import ME, at, invoice_email, plain_email

FIRST = "invoice/acme/2026-001/first-reminder"


def header_text(message) -> str:
    return "\n".join(f"{name}: {value}" for name, value in message.items())


def test_a_draft_says_nothing_internal_to_the_client(world, me):
    send_invoice(world)
    me.run(date(2026, 3, 17))
    ((_, draft),) = me.drafts()
    # Issue 14: neomutt sent `X-Freelance-Assistant-Key: termination/<client>/...` and a User-Agent.
    ours = f"{draft['Message-ID']} {draft[KEY_HEADER]}"
    for internal in ("acme", "invoice", "2026", "001", "reminder", "fa."):
        assert internal not in ours, ours
    assert not any("freelance" in name.lower() for name in draft), header_text(draft)
    assert draft["User-Agent"] is None and draft[LEGACY_KEY_HEADER] is None
    assert draft[KEY_HEADER].strip() == token_for(FIRST, ME[1])  # folded when long: still one value
    assert key_of(draft) == FIRST  # read back with the mailbox's address
    # The Message-ID names this installation (random, kept in the state), not the action.
    with me.store() as store:
        installation = store.installation()
    assert keys.installation_of(draft["Message-ID"]) == installation
    assert draft["Message-ID"].startswith(f"<{draft[KEY_HEADER].strip()[:16]}.{installation}@")


def test_tokens_are_the_same_for_every_installation_and_differ_per_mailbox():
    assert token_for(FIRST, "lucia@freelancer.example") == token_for(FIRST, "Lucia@Freelancer.example ")
    assert token_for(FIRST, "lucia@freelancer.example") != token_for(FIRST, "other@freelancer.example")
    token = token_for(FIRST, "lucia@freelancer.example")
    assert keys.key_from_token(token, "lucia@freelancer.example") == FIRST
    assert keys.key_from_token(token, "other@freelancer.example") is None  # another mailbox's
    tampered = token[:-1] + ("a" if token[-1] != "a" else "b")
    assert keys.key_from_token(tampered, "lucia@freelancer.example") is None
    assert keys.key_from_token("not a token", "lucia@freelancer.example") is None


def legacy_draft(key: str, *, sent_on: date) -> bytes:
    """A draft as the assistant wrote it before tokens: the clear key, our old Message-ID."""
    message = EmailMessage()
    message["From"] = f"{ME[0]} <{ME[1]}>"
    message["To"] = "Marta López <marta@acme.example>"
    message["Subject"] = "Re: Factura 2026-001"
    message["Date"] = format_datetime(at(sent_on, 9))
    message["Message-ID"] = "<fa.0123456789abcdef0123456789abcdef@freelancer.example>"
    message["In-Reply-To"] = "<inv-2026-001@freelancer.example>"
    message[LEGACY_KEY_HEADER] = key
    message["User-Agent"] = "freelance-assistant"
    message.set_content("Hola Marta:\n\nTe recuerdo la factura 2026-001.\n")
    return message.as_bytes()


def test_a_draft_with_the_old_clear_header_is_still_ours(world, me):
    send_invoice(world)
    world.deliver("Drafts", legacy_draft(FIRST, sent_on=date(2026, 3, 17)), when=at(date(2026, 3, 17), 9))
    report = me.run(date(2026, 3, 17))
    assert [d.key for d in report.drafted] == [FIRST]  # recorded: found, not appended again
    assert [key_of(d) for _, d in me.drafts()] == [FIRST]
    assert me.drafts()[0][1][LEGACY_KEY_HEADER] == FIRST


def test_an_old_clear_header_draft_sent_moves_the_ladder(world, me):
    send_invoice(world)
    world.deliver("Sent", legacy_draft(FIRST, sent_on=date(2026, 3, 18)), when=at(date(2026, 3, 18), 9))
    report = me.run(date(2026, 3, 19))
    assert report.sent == [FIRST] and me.drafts() == []


# --------------------------------------------------------------------------- two installations


def invoice(world, number: int) -> None:
    """Invoice 2026-<number> to ACME, sent on 2 March 2026 (due 16 March)."""
    name = f"2026-{number:03d}"
    world.deliver(
        "Sent",
        invoice_email(
            subject=f"Factura {name}",
            body=f"Hola Marta:\n\nTe envío la factura {name}.\n\nImporte total: 1.210,00 €\n",
            pdf_lines=(f"FACTURA {name}", "Fecha: 02/03/2026", "Total: 1.210,00 €"),
            filename=f"Factura_{name}.pdf",
            message_id=f"<inv-{name}@freelancer.example>",
            sent=at(date(2026, 3, 2)),
        ),
        when=at(date(2026, 3, 2)),
    )


def drafts_of(world) -> list:
    return [parsed(data) for _, data in world.messages("Drafts")]


def drafted_keys(world) -> Counter:
    return Counter(key_of(d) for d in drafts_of(world))


def race(laptop: Freelancer, desktop: Freelancer, day: date) -> None:
    """Both installations run their pass at the same moment (the same workday_start)."""
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(who: Freelancer) -> None:
        try:
            start.wait()
            who.run(day)
        except BaseException as exc:  # reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(who,)) for who in (laptop, desktop)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors


def test_two_installations_on_one_mailbox_never_draft_twice_and_each_says_so(world, tmp_path):
    laptop = Freelancer(world, tmp_path / "laptop")
    desktop = Freelancer(world, tmp_path / "desktop")
    day = date(2026, 3, 17)
    # One after the other: the second finds the first one's draft in Drafts and reports it.
    invoice(world, 1)
    laptop.run(day)
    report = desktop.run(day)
    assert [d.key for d in report.drafted] == [FIRST]  # taken, recorded, not appended again
    invoice(world, 2)
    desktop.run(day)
    report = laptop.run(day)
    assert [d.key for d in report.drafted] == ["invoice/acme/2026-002/first-reminder"]
    with laptop.store() as a, desktop.store() as b:
        ids = a.installation(), b.installation()
        assert ids[0] != ids[1]
        assert [i for i, _, _ in a.other_installations()] == [ids[1]]
        assert [i for i, _, _ in b.other_installations()] == [ids[0]]
    assert report.other_installations == [ids[1]]
    # Racing passes, both at the same moment, a new invoice due each time.
    trials, started = 8, time.monotonic()
    for trial in range(trials):
        invoice(world, 10 + trial)
        race(laptop, desktop, day)
        drafts = drafted_keys(world)
        assert drafts[f"invoice/acme/2026-{10 + trial:03d}/first-reminder"] == 1, drafts
        assert max(drafts.values()) == 1, f"trial {trial}: a draft twice: {drafts}"
    assert len(drafted_keys(world)) == 2 + trials
    assert time.monotonic() - started < 60
    # The freelancer sends everything: each installation sees the other's drafts in Sent.
    laptop.send_drafts(date(2026, 3, 18))
    for who in (laptop, desktop):
        report = who.run(date(2026, 3, 19))
        assert report.drafted == []
    assert drafts_of(world) == []


def test_a_key_already_in_sent_is_taken_even_by_a_fresh_installation(world, tmp_path):
    laptop = Freelancer(world, tmp_path / "laptop")
    send_invoice(world)
    laptop.run(date(2026, 3, 17))
    laptop.send_drafts(date(2026, 3, 17))
    # A second installation starts on the same day: Sent holds the key, so it is not drafted again.
    desktop = Freelancer(world, tmp_path / "desktop")
    report = desktop.run(date(2026, 3, 17))
    assert report.drafted == [] and desktop.drafts() == []
    with desktop.store() as store, laptop.store() as mine:
        assert [i for i, _, _ in store.other_installations()] == [mine.installation()]


# --------------------------------------------------------------------------- a lost state


@pytest.mark.parametrize("loss", ["deleted", "truncated"])
def test_a_lost_state_writes_nothing_twice_recreates_no_deleted_draft_and_forgets_no_mark_paid(
    world, tmp_path, loss
):
    from tests.support.freelancer import Freelancer
    from tests.support.world import CLIENTS_YAML

    # One draft per invoice (no statement of account), so that one of them can be deleted.
    separate = CLIENTS_YAML.replace("    country: ES\n", "    country: ES\n    statement: false\n", 1)
    me = Freelancer(world, tmp_path / "separate", rules={"clients.yaml": separate})
    day = date(2026, 3, 17)
    for number in (1, 2, 3):
        invoice(world, number)
    me.run(date(2026, 3, 10))  # reads the invoices; then the freelancer says 2026-002 is paid
    with me.store() as store:
        mark_paid(store, "2026-002", client=None, on=date(2026, 3, 12), now=at(date(2026, 3, 12)))
    report = me.run(day)
    assert sorted(d.key for d in report.drafted) == [FIRST, "invoice/acme/2026-003/first-reminder"]
    # She deletes the reminder of 2026-001 (she phoned instead); 2026-003's waits in Drafts.
    (first,) = [d for d in drafts_of(world) if key_of(d) == FIRST]
    world.delete("Drafts", first["Message-ID"])
    path = state_path(me.config, me.account)
    for extra in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        extra.unlink(missing_ok=True)
    if loss == "deleted":
        path.unlink()
    else:
        path.write_bytes(b"")
    report = me.run(day, hour=11)
    assert report.drafted == []  # nothing written twice, the deleted draft not recreated
    assert any("restored" in line for line in report.changes), report.changes
    assert [key_of(d) for d in drafts_of(world)] == ["invoice/acme/2026-003/first-reminder"]
    with me.store() as store:
        assert store.invoice("acme", "2026-002").status == "paid"  # the mark-paid survived
        assert store.outbox_entry(FIRST).state == "drafted"
    # Days later the ladder goes on for 2026-001 and 2026-003, never for the paid 2026-002.
    for later in range(18, 32):
        report = me.run(date(2026, 3, later))
        assert not any("2026-002" in d.key for d in report.drafted)
    assert max(drafted_keys(world).values()) == 1


def test_a_backup_is_made_daily_and_before_a_migration_and_only_a_few_are_kept(world, me):
    send_invoice(world)
    path = state_path(me.config, me.account)
    for day in range(10, 20):
        me.run(date(2026, 3, day))
    backups = sorted(p.name for p in path.parent.glob(f"{path.name}.backup-*"))
    assert len(backups) == BACKUPS_KEPT and backups[-1].endswith("backup-2026-03-19")
    # A backup is a whole, readable state.
    with Store.open(path.parent / backups[-1]) as copy:
        assert [i.number for i in copy.invoices()] == ["2026-001"]
    # An older schema is copied before it is migrated.
    with sqlite3.connect(path) as db:
        db.execute("UPDATE schema_version SET version = 8")
        db.execute("DROP TABLE installation")
        db.execute("DROP TABLE other_installations")
        db.execute("DROP TABLE tag_checkpoints")
        db.execute("DROP TABLE tags_read")
    with Store.open(path) as store:
        assert store.installation()
    assert (path.parent / f"{path.name}.backup-schema-8").exists()


def test_status_check_and_the_digest_name_the_other_installation(world, tmp_path, capsys):
    laptop = Freelancer(world, tmp_path / "laptop")
    desktop = Freelancer(world, tmp_path / "desktop", language="es")  # status and digest in Spanish
    send_invoice(world)
    laptop.run(date(2026, 3, 17))
    desktop.run(date(2026, 3, 17), hour=11)
    with laptop.store() as store:
        other = store.installation()
    out = io.StringIO()
    with desktop.store() as store:
        print_status(store, desktop.config, desktop.account, at(date(2026, 3, 17), 12), out=out)
        document = account_document(store, desktop.config, desktop.account, at(date(2026, 3, 17), 12))
    said = f"Otra instalación de freelance-assistant (id {other}) escribe en este buzón"
    assert said in out.getvalue()
    assert document["other_installations"] == [other]
    assert check(desktop.config, offline=False)
    assert f"(id {other}) writes into this mailbox" in capsys.readouterr().out
    with AccountSession(desktop.config, desktop.account) as engine:
        digest = digest_draft(engine, at(date(2026, 3, 18), 8))
    text = parsed(digest.data).get_content()
    assert f"otra instalación de freelance-assistant escribe en este buzón (id {other})" in text


def test_check_offers_the_rebuild_of_a_lost_state(world, me, capsys):
    send_invoice(world)
    me.run(date(2026, 3, 17))
    path = state_path(me.config, me.account)
    path.write_bytes(b"")
    assert check(me.config, offline=False)
    out = capsys.readouterr().out
    assert f"state: {path} is empty, but its record" in out
    assert "the next `freelance-assistant scan` rebuilds it from the record and the mailbox" in out
    assert "or restore the newest backup" in out


def test_two_installations_deliver_one_digest_a_day(world, tmp_path):
    laptop = Freelancer(world, tmp_path / "laptop")
    desktop = Freelancer(world, tmp_path / "desktop")
    send_invoice(world)
    laptop.run(date(2026, 3, 17))
    desktop.run(date(2026, 3, 17))
    days = [date(2026, 3, d) for d in range(18, 24)]
    for day in days:  # both services fire at the same workday_start
        start = threading.Barrier(2)

        def digest(who: Freelancer, day: date = day, start: threading.Barrier = start) -> None:
            with AccountSession(who.config, who.account) as engine:
                start.wait()
                engine.write_digest(at(day, 8))

        threads = [threading.Thread(target=digest, args=(who,)) for who in (laptop, desktop)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    digests = Counter(key_of(parsed(d)) for _, d in world.messages("INBOX"))
    assert sorted(digests) == [f"digest/{laptop.account.name}/{day.isoformat()}" for day in days]
    assert set(digests.values()) == {1}, digests


def test_a_retracted_copy_is_that_one_message_and_nothing_else(world):
    """The adapters' part: the earliest of two copies is the same for everyone, and retracting
    the later removes exactly it (the freelancer's own draft beside them stays)."""
    mailbox = world.mailbox()
    when = at(date(2026, 3, 17), 9)
    hers = plain_email(sender=ME[1], to="marta@acme.example", subject="Mine")
    world.deliver("Drafts", hers, when=when)
    token = token_for(FIRST, ME[1])
    copies = [
        mailbox.append(
            "Drafts",
            plain_email(sender=ME[1], to="m@acme.example", subject=f"copy {n}", X_Ref=token),
            flags=("\\Draft",),
            when=when,
        )
        for n in (1, 2)
    ]
    found = mailbox.search_header("Drafts", KEY_HEADER, token)
    assert sorted(map(str, found)) == sorted(map(str, copies))
    assert str(mailbox.first_of("Drafts", found)) == str(copies[0])
    mailbox.retract("Drafts", copies[1])
    subjects = sorted(parsed(data)["Subject"] for _, data in world.messages("Drafts"))
    assert subjects == ["Mine", "copy 1"]
    assert [str(u) for u in mailbox.search_header("Drafts", KEY_HEADER, token)] == [str(copies[0])]
