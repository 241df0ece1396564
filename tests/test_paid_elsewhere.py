"""A Paid tag outside Sent (issue 16, item 3).

The freelancer archived last year's Sent mail into another folder and tagged the invoice Paid
there: it must stop being chased, as a tag in Sent does. A copy is matched to the ledger by
its Message-ID, in every folder she files mail into (``folders.filed``; by default all but
Sent, Drafts, Trash and Junk); a tag in Trash or Junk marks nothing paid; the tag removed
resumes the chase; and a pass over folders that did not change reads nothing there.

The scenarios run against a real Dovecot over IMAPS and against a Maildir. Dovecot's folder
separator is ".", so the archive is ``Archive.2025`` on both (``Archive/2025`` in a mail
client's folder tree).
"""

from __future__ import annotations

from datetime import date

from assistant.adapters.mailbox import Folders, ListedFolder, filed_folders
from assistant.cli import main
from assistant.domain.keys import JournalEvent
from assistant.domain.model import InvoiceStatus
from tests.support.dovecot import LIMITED, Dovecot, scratch_dir
from tests.support.freelancer import INVOICE_ID, Freelancer, send_invoice
from tests.support.mailboxes import ImapWorld
from tests.support.world import at, plain_email

ARCHIVE = "Archive.2025"
KEY = "acme/2026-001"
FIRST = "invoice/acme/2026-001/first-reminder"


def the_invoice_email(world) -> bytes:
    (data,) = [data for _, data in world.messages("Sent") if INVOICE_ID.encode() in data]
    return data


def file_invoice(world, folder: str = ARCHIVE, *, tagged: bool = True, keep_sent: bool = False) -> None:
    """She files the invoice email into ``folder`` (a copy with the same Message-ID, as a
    mail client's move makes it), tagged Paid there or not; the original leaves Sent."""
    data = the_invoice_email(world)
    world.create(folder)
    world.deliver(
        folder, data, flags=("\\Seen", "$Paid") if tagged else ("\\Seen",), when=at(date(2026, 3, 2))
    )
    if not keep_sent:
        world.delete("Sent", INVOICE_ID)


def journal(me, event: JournalEvent) -> list:
    with me.store() as store:
        return [e for e in store.history("invoice/acme/2026-001") if e.event == event]


def test_a_paid_tag_on_the_invoice_filed_in_an_archive_stops_the_chase(world, me):
    send_invoice(world)
    me.run(date(2026, 3, 5))  # the invoice is in the ledger, not due yet
    file_invoice(world)  # moved out of Sent into her archive, and tagged Paid there
    report = me.run(date(2026, 3, 17))  # overdue since yesterday
    assert [i.key for i in report.paid] == [KEY]
    assert report.drafted == [] and me.drafts() == []
    with me.store() as store:
        invoice = store.invoice("acme", "2026-001")
    assert invoice.status is InvoiceStatus.PAID and invoice.paid_via == "keyword"
    # The same evidence as a tag in Sent, saying where.
    (line,) = journal(me, JournalEvent.PAID)
    assert line.detail == f"the invoice email was tagged $Paid in {ARCHIVE}"
    assert me.run(date(2026, 4, 30)).drafted == []  # and never afterwards


def test_explain_cites_the_tag_in_the_archive(world, me, capsys):
    send_invoice(world)
    me.run(date(2026, 3, 5))
    file_invoice(world)
    me.run(date(2026, 3, 17))
    capsys.readouterr()
    assert main(["explain", "--config", str(me.path), "2026-001"]) == 0
    out = capsys.readouterr().out
    assert "state: PAID" in out and f"the invoice email was tagged $Paid in {ARCHIVE}" in out


def test_a_tag_already_in_an_archive_at_the_first_scan_leaves_the_day_of_payment_unknown(world, me):
    """Last year's paid invoices, filed and tagged before the assistant ever looked: paid on
    a day nobody knows, not on the day of the first scan (as a tag already in Sent). The
    invoice itself is read from Sent: a filed copy only carries the tag."""
    send_invoice(world)
    file_invoice(world, keep_sent=True)
    me.run(date(2026, 3, 17))
    with me.store() as store:
        invoice = store.invoice("acme", "2026-001")
    assert invoice.status is InvoiceStatus.PAID and invoice.paid_on is None
    (line,) = journal(me, JournalEvent.PAID)
    assert line.detail.startswith(f"a copy of the invoice email in {ARCHIVE} was already tagged $Paid")
    assert me.drafts() == []


def test_a_tag_set_later_in_a_folder_made_since_is_paid_that_day(world, me):
    send_invoice(world)
    me.run(date(2026, 3, 5))  # the archive does not exist yet
    file_invoice(world)
    me.run(date(2026, 3, 17))
    with me.store() as store:
        assert store.invoice("acme", "2026-001").paid_on == date(2026, 3, 17)


def test_a_paid_tag_in_trash_or_junk_marks_nothing_paid(world, me):
    send_invoice(world)
    me.run(date(2026, 3, 5))
    data = the_invoice_email(world)
    for folder in ("Trash", "Junk", "Trash.2024"):  # thrown away, and under what is thrown away
        world.create(folder)
        world.deliver(folder, data, flags=("\\Seen", "$Paid"))
    report = me.run(date(2026, 3, 17))
    assert report.paid == [] and [d.key for d in report.drafted] == [FIRST]
    with me.store() as store:
        assert store.invoice("acme", "2026-001").status is InvoiceStatus.OPEN


def test_removing_the_tag_from_the_filed_copy_resumes_the_chase(world, me):
    send_invoice(world)
    me.run(date(2026, 3, 5))
    file_invoice(world)
    assert [i.key for i in me.run(date(2026, 3, 10)).paid] == [KEY]
    world.tag(ARCHIVE, INVOICE_ID, "$Paid", present=False)
    report = me.run(date(2026, 3, 17))
    assert [i.key for i in report.reopened] == [KEY]
    assert [d.key for d in report.drafted] == [FIRST]
    (line,) = journal(me, JournalEvent.REOPENED)
    assert line.detail == f"the $Paid tag was removed in {ARCHIVE}"


def test_moving_the_tagged_copy_elsewhere_or_deleting_it_is_not_removing_the_tag(world, me):
    send_invoice(world)
    me.run(date(2026, 3, 5))
    file_invoice(world)
    me.run(date(2026, 3, 10))
    data = next(d for _, d in world.messages(ARCHIVE) if INVOICE_ID.encode() in d)
    world.create("Archive.2026")
    world.deliver("Archive.2026", data, flags=("\\Seen", "$Paid"))  # moved on, tag and all
    world.delete(ARCHIVE, INVOICE_ID)
    report = me.run(date(2026, 3, 17))
    assert report.reopened == [] and report.drafted == []
    world.delete("Archive.2026", INVOICE_ID)  # thrown away at last: still paid
    report = me.run(date(2026, 3, 18))
    assert report.reopened == [] and report.drafted == []


def test_an_invoice_stays_paid_while_any_copy_carries_the_tag(world, me):
    send_invoice(world)
    me.run(date(2026, 3, 5))
    file_invoice(world, keep_sent=True)  # a copy filed, the original still in Sent
    world.tag("Sent", INVOICE_ID, "$Paid")
    assert [i.key for i in me.run(date(2026, 3, 10)).paid] == [KEY]
    world.tag("Sent", INVOICE_ID, "$Paid", present=False)  # the archived copy still says paid
    assert me.run(date(2026, 3, 11)).reopened == []
    world.tag("Sent", INVOICE_ID, "$Paid")
    world.tag(ARCHIVE, INVOICE_ID, "$Paid", present=False)  # the copy in Sent still says paid
    assert me.run(date(2026, 3, 12)).reopened == []
    world.tag("Sent", INVOICE_ID, "$Paid", present=False)  # no copy says it any more
    report = me.run(date(2026, 3, 17))
    assert [i.key for i in report.reopened] == [KEY] and [d.key for d in report.drafted] == [FIRST]


def test_a_pass_reads_in_the_filed_folders_only_what_changed_there(world, me):
    send_invoice(world)
    world.create(ARCHIVE)
    for n in range(30):  # mail filed long ago, untagged
        world.deliver(
            ARCHIVE, plain_email(sender="a@news.example", to="lucia@freelancer.example", subject=f"n{n}")
        )
    world.deliver(
        ARCHIVE,
        plain_email(sender="b@shop.example", to="lucia@freelancer.example", subject="receipt"),
        flags=("\\Seen", "$Paid"),  # tagged, but no invoice of the ledger
    )
    world.settle("INBOX", ARCHIVE)
    first = me.run(date(2026, 3, 5))
    assert ARCHIVE in first.tags_searched and first.tags_read == 1  # the tagged one's Message-ID only
    second = me.run(date(2026, 3, 6))
    assert second.tags_searched == [] and second.tags_read == 0  # nothing changed: nothing read
    file_invoice(world, keep_sent=True)
    third = me.run(date(2026, 3, 7))
    assert third.tags_searched == [ARCHIVE] and third.tags_read == 1
    assert [i.key for i in third.paid] == [KEY]


def test_folders_unchanged_since_their_checkpoint_cost_one_status_and_nothing_more(world):
    world.create(ARCHIVE)
    world.deliver(ARCHIVE, b"Message-ID: <paid@x>\r\nSubject: Factura\r\n\r\nx\r\n", flags=("$Paid",))
    world.deliver(ARCHIVE, b"Message-ID: <other@x>\r\nSubject: Hola\r\n\r\nx\r\n")
    world.settle("INBOX", ARCHIVE)
    mailbox = world.mailbox()
    first = mailbox.tag_changes("$Paid", {})
    assert [(c.folder, c.message_id, c.present) for c in first.changes] == [(ARCHIVE, "<paid@x>", True)]
    assert first.read == 1
    again = mailbox.tag_changes("$Paid", first.checkpoints)
    assert again.changes == [] and again.searched == [] and again.read == 0
    assert again.checkpoints == first.checkpoints
    trips = getattr(mailbox, "round_trips", 0)
    assert mailbox.tag_changes("$Paid", again.checkpoints).searched == []
    if world.kind == "imap":
        # One LIST (a folder made today counts today) and one pipelined STATUS for every folder.
        # (The pass after a search first lets go of the folder it left selected: one UNSELECT.)
        assert mailbox.round_trips - trips == 2
    world.tag(ARCHIVE, "<paid@x>", "$Paid", present=False)
    cleared = mailbox.tag_changes("$Paid", again.checkpoints)
    assert [(c.message_id, c.present) for c in cleared.changes] == [("<paid@x>", False)]
    assert cleared.read == 0 and dict(cleared.checkpoints[ARCHIVE].tagged) == {}


def test_reading_the_filed_folders_changes_nothing_in_the_mailbox(dovecot, imap_user, tmp_path):
    world = ImapWorld(dovecot, imap_user)
    me = Freelancer(world, tmp_path / "config")
    send_invoice(world)
    me.run(date(2026, 3, 5))
    file_invoice(world, tagged=True, keep_sent=True)
    world.create("Archive.2026")
    world.deliver(
        "Archive.2026",
        plain_email(sender="a@x.example", to="lucia@freelancer.example", subject="s"),
        flags=(),
    )
    before = dovecot.snapshot(imap_user)
    me.run(date(2026, 3, 10))
    after = dovecot.snapshot(imap_user)
    assert {k: v for k, v in after.items() if k != "Drafts"} == {
        k: v for k, v in before.items() if k != "Drafts"
    }
    # \Seen was not set by reading: the unread message is still unread.
    assert any(not flags for _, flags in after["Archive.2026"])
    world.close()


def test_an_archive_folder_with_a_new_uidvalidity_is_read_afresh(dovecot, imap_user, tmp_path):
    world = ImapWorld(dovecot, imap_user)
    me = Freelancer(world, tmp_path / "config")
    send_invoice(world)
    me.run(date(2026, 3, 5))
    file_invoice(world)
    assert [i.key for i in me.run(date(2026, 3, 10)).paid] == [KEY]
    world.recreate(ARCHIVE)  # the same messages under a new UIDVALIDITY, the tag still on
    report = me.run(date(2026, 3, 11))
    assert report.tags_read == 1 and report.paid == [] and report.reopened == []
    world.recreate(ARCHIVE)
    world.tag(ARCHIVE, INVOICE_ID, "$Paid", present=False)  # ...and now without it
    report = me.run(date(2026, 3, 17))
    assert [i.key for i in report.reopened] == [KEY] and [d.key for d in report.drafted] == [FIRST]
    world.close()


def test_without_condstore_every_filed_folder_is_searched_and_only_new_tags_are_read(imap_user, tmp_path):
    with scratch_dir("fa-nocondstore-") as workdir, Dovecot.start(workdir, settings=LIMITED) as server:
        world = ImapWorld(server, imap_user)
        me = Freelancer(world, tmp_path / "config")
        send_invoice(world)
        me.run(date(2026, 3, 5))
        file_invoice(world)
        first = me.run(date(2026, 3, 10))
        assert [i.key for i in first.paid] == [KEY] and first.tags_read == 1
        second = me.run(date(2026, 3, 11))
        assert ARCHIVE in second.tags_searched and second.tags_read == 0  # searched, nothing read again
        world.tag(ARCHIVE, INVOICE_ID, "$Paid", present=False)
        report = me.run(date(2026, 3, 17))
        assert [i.key for i in report.reopened] == [KEY] and [d.key for d in report.drafted] == [FIRST]
        world.close()


FILED = "    folders:\n      filed: [Archive/*, Facturas]\n"


def test_folders_filed_names_where_the_tag_is_read_and_check_says_so(world, tmp_path, capsys):
    me = Freelancer(world, tmp_path / "config", account_extra=FILED)
    send_invoice(world)
    me.run(date(2026, 3, 5))
    file_invoice(world, "Clients", keep_sent=True)  # not a folder it names: not read
    report = me.run(date(2026, 3, 17))
    assert report.paid == [] and [d.key for d in report.drafted] == [FIRST]
    file_invoice(world)  # Archive.2025: "Archive/*" names it
    assert [i.key for i in me.run(date(2026, 3, 18)).paid] == [KEY]
    capsys.readouterr()
    main(["check", "--config", str(me.path)])
    out = capsys.readouterr().out
    assert f"Paid tag also read in: '{ARCHIVE}' (named in folders.filed)" in out
    assert "folders.filed names no folder of this mailbox: 'Facturas'" in out


def test_check_says_where_the_tag_is_read_by_default(world, me, capsys):
    world.create(ARCHIVE)
    main(["check", "--config", str(me.path)])
    out = capsys.readouterr().out
    assert f"'{ARCHIVE}'" in out.split("Paid tag also read in:")[1].splitlines()[0]
    line = next(line for line in out.splitlines() if "Paid tag also read in:" in line)
    assert "'Trash'" not in line and "'Sent'" not in line and "'Drafts'" not in line
    assert "'INBOX'" not in line
    assert "(every folder but INBOX, Sent, Drafts, Trash and Junk; folders.filed chooses them)" in line


# --------------------------------------------------------------------------- the default, by name and flag

SENT_DRAFTS = Folders(inbox="INBOX", sent="Sent", drafts="Drafts")


def test_by_default_every_folder_but_inbox_sent_drafts_trash_and_junk_and_what_is_under_those_two():
    folders = [
        ListedFolder("INBOX", delimiter="/"),
        ListedFolder("Sent", frozenset({"\\sent"}), "/"),
        ListedFolder("Sent/2024", delimiter="/"),  # last year's sent mail: filed
        ListedFolder("Drafts", frozenset({"\\drafts"}), "/"),
        ListedFolder("Bin", frozenset({"\\trash"}), "/"),  # flagged: whatever its name
        ListedFolder("Bin/old", delimiter="/"),
        ListedFolder("Spam", delimiter="/"),  # named so: no flag needed
        ListedFolder("Archive", frozenset({"\\archive"}), "/"),
        ListedFolder("Archive/2025", delimiter="/"),
        ListedFolder("Clientes/ACME", delimiter="/"),
        ListedFolder("[Gmail]", frozenset({"\\noselect"}), "/"),  # cannot be opened
        ListedFolder("[Gmail]/All Mail", frozenset({"\\all"}), "/"),
        ListedFolder("[Gmail]/Papelera", delimiter="/"),
        ListedFolder("Borradores", delimiter="/"),
    ]
    chosen, missing = filed_folders(folders, None, SENT_DRAFTS)
    assert chosen == ["Sent/2024", "Archive", "Archive/2025", "Clientes/ACME", "[Gmail]/All Mail"]
    assert missing == []


def test_named_folders_take_a_star_and_the_slash_stands_for_the_servers_separator():
    dovecot = [
        ListedFolder(n, delimiter=".") for n in ("INBOX", "Archive", "Archive.2024", "Archive.2025", "Trash")
    ]
    assert filed_folders(dovecot, ("Archive/2025",), SENT_DRAFTS) == (["Archive.2025"], [])
    assert filed_folders(dovecot, ("Archive*", "inbox"), SENT_DRAFTS) == (
        ["Archive", "Archive.2024", "Archive.2025", "INBOX"],
        [],
    )
    assert filed_folders(dovecot, ("Archive/*", "Facturas"), SENT_DRAFTS) == (
        ["Archive.2024", "Archive.2025"],
        ["Facturas"],
    )
    assert filed_folders(dovecot, (), SENT_DRAFTS) == ([], [])  # [] reads none
    gmail = [ListedFolder("[Gmail]/All Mail", delimiter="/")]  # brackets are plain text, not a pattern
    assert filed_folders(gmail, ("[Gmail]/All Mail",), SENT_DRAFTS) == (["[Gmail]/All Mail"], [])


def test_folder_names_with_spaces_accents_or_only_digits_are_read(world):
    names = ("Facturas pagadas", "Años.2024", "2023")
    for n, name in enumerate(names):
        world.create(name)
        world.deliver(name, f"Message-ID: <{n}@x>\r\nSubject: x\r\n\r\nx\r\n".encode(), flags=("$Paid",))
    mailbox = world.mailbox()
    scan = mailbox.tag_changes("$Paid", {})
    assert sorted((c.folder, c.message_id) for c in scan.changes) == sorted(
        (name, f"<{n}@x>") for n, name in enumerate(names)
    )
    again = mailbox.tag_changes("$Paid", scan.checkpoints)
    assert again.changes == [] and set(again.checkpoints) >= set(names)


def test_inbox_named_in_folders_filed_is_read_too(world, tmp_path):
    me = Freelancer(world, tmp_path / "config", account_extra="    folders:\n      filed: [INBOX]\n")
    send_invoice(world)
    me.run(date(2026, 3, 5))
    world.deliver("INBOX", the_invoice_email(world), flags=("\\Seen", "$Paid"))  # her Bcc, tagged
    report = me.run(date(2026, 3, 17))
    assert [i.key for i in report.paid] == [KEY] and report.drafted == []
    assert report.tags_searched == ["INBOX"]


def test_a_tag_changed_in_the_folder_the_last_pass_left_selected_is_seen(world):
    """STATUS and SEARCH on a folder a connection has selected see it as of that connection's
    last command: on a service's long-lived connection, a tag set since went unseen."""
    world.create(ARCHIVE)
    world.deliver(ARCHIVE, b"Message-ID: <a@x>\r\nSubject: Factura\r\n\r\nx\r\n", flags=("$Paid",))
    world.deliver(ARCHIVE, b"Message-ID: <b@x>\r\nSubject: Factura\r\n\r\nx\r\n")
    mailbox = world.mailbox(filed=(ARCHIVE,))
    first = mailbox.tag_changes("$Paid", {})
    assert [c.message_id for c in first.changes] == ["<a@x>"]
    world.tag(ARCHIVE, "<b@x>", "$Paid")
    second = mailbox.tag_changes("$Paid", first.checkpoints)
    assert [(c.message_id, c.present) for c in second.changes] == [("<b@x>", True)]
    world.tag(ARCHIVE, "<a@x>", "$Paid", present=False)
    third = mailbox.tag_changes("$Paid", second.checkpoints)
    assert [(c.message_id, c.present) for c in third.changes] == [("<a@x>", False)]
