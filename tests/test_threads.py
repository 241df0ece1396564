"""Threads: ids, subjects and robots as real mail writes them, and which reply answers what.

The last part runs Dovecot's imaptest vectors (RFC 5256 SORT and THREAD expectations)
against the pieces this module owns: base subjects and header-only reply matching.
"""

from __future__ import annotations

import itertools
import mailbox
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.adapters.parse import HEADER_FIELDS, ROBOT_HEADERS, parse_header
from assistant.domain.model import Address, MailHeader
from assistant.domain.threads import (
    BOUNCE_SUBJECTS,
    FORWARD_WORDS,
    OUT_OF_OFFICE_SUBJECTS,
    REPLY_WORDS,
    ThreadIndex,
    base_subject,
    is_automatic,
    is_forward,
    message_id,
    message_ids,
    subject_key,
)

MARCH_2 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
INVOICE = "<inv-12@freelancer.example>"


def mail(*lines: str) -> MailHeader:
    """A header as the assistant reads it: raw header lines through ``parse_header``."""
    return parse_header(("\r\n".join(lines) + "\r\n\r\nbody\r\n").encode())


def reply(*lines: str, sender: str = "marta@acme.example", date: str = "Tue, 10 Mar 2026 09:00:00 +0100"):
    return mail(f"From: {sender}", f"Date: {date}", "Message-ID: <reply@acme.example>", *lines)


# --------------------------------------------------------------------------- header oddities


def test_references_separated_by_commas_are_read_as_ids():
    assert message_ids("<a@x>,<b@x>, <c@x>") == ("<a@x>", "<b@x>", "<c@x>")


def test_comments_inside_references_are_not_ids():
    header = mail("References: <a@x> (Marta's mail <fake@y>) <b@x> (from (nested) comment)")
    assert header.references == ("<a@x>", "<b@x>")


def test_ids_glued_without_spaces_are_split():
    assert message_ids("<a@x><b@y><c@z>") == ("<a@x>", "<b@y>", "<c@z>")


def test_ids_without_brackets_are_bracketed():
    assert message_ids("a@x  b@y") == ("<a@x>", "<b@y>")
    assert message_id("no-brackets@x") == "<no-brackets@x>"


def test_references_folded_over_lines_are_read_whole():
    header = mail("References: <a@x>", "\t<b@x>", " <c@x>")
    assert header.references == ("<a@x>", "<b@x>", "<c@x>")


def test_a_duplicated_id_is_read_once():
    assert message_ids("<a@x> <b@x> <a@x>") == ("<a@x>", "<b@x>")


def test_an_in_reply_to_with_a_trailing_comment_names_only_the_id():
    header = mail('In-Reply-To: <inv-12@freelancer.example> (Lucía\'s message of "Mon, 2 Mar 2026")')
    assert header.in_reply_to == (INVOICE,)


def test_an_old_style_in_reply_to_with_a_phrase_names_only_the_id():
    header = mail('In-Reply-To: Your message of "Mon, 2 Mar 2026" <inv-12@freelancer.example>')
    assert header.in_reply_to == (INVOICE,)


def test_an_in_reply_to_with_a_second_garbage_id_still_finds_the_tracked_message():
    index = tracked_invoice()
    for value in (f"{INVOICE} <garbage>", f"<garbage@nowhere> {INVOICE}"):
        assert index.parent_of(reply(f"In-Reply-To: {value}"), client=None) == INVOICE


def test_a_missing_in_reply_to_with_references_present_is_a_reply_by_references():
    index = tracked_invoice()
    header = reply("In-Reply-To: ", f"References: <root@acme.example> {INVOICE}")
    assert header.in_reply_to == ()
    assert index.parent_of(header, client=None) == INVOICE


def test_a_header_without_ids_has_none():
    assert message_ids(None) == () == message_ids("") == message_ids("(only a comment)")
    assert message_id("   ") == ""


# --------------------------------------------------------------------------- subjects


@pytest.mark.parametrize(
    ("subject", "base"),
    [
        ("Re: Factura 12", "Factura 12"),
        ("re: fw: FWD: Factura 12", "Factura 12"),
        ("Re : Factura 12", "Factura 12"),  # RFC 5256 allows whitespace before the colon
        ("Re:Factura 12", "Factura 12"),
        ("[acme] Re: Factura 12", "Factura 12"),
        ("Re [acme]: Factura 12", "Factura 12"),
    ],
)
def test_rfc5256_reply_and_forward_prefixes_are_stripped(subject, base):
    assert base_subject(subject) == base


def test_list_tags_are_stripped_when_a_subject_remains_after_them():
    assert base_subject("[acme-list] [urgent] Factura 12") == "Factura 12"
    assert base_subject("[acme-list]") == "[acme-list]"  # a subject that is only a tag keeps it
    assert base_subject("Re: [acme] [b]") == "[b]"


def test_trailing_fwd_markers_and_spaces_are_stripped():
    assert base_subject("Factura 12 (fwd)  (FWD) ") == "Factura 12"
    assert base_subject("Factura 12 (fwd) extra") == "Factura 12 (fwd) extra"


def test_the_fwd_wrapper_is_unwrapped_however_deep():
    assert base_subject("[Fwd: Factura 12]") == "Factura 12"
    assert base_subject("re: [fwd: [fwd: re: [fwd: Factura 12]]]") == "Factura 12"


def test_whitespace_runs_collapse_to_one_space():
    assert base_subject("  Re:\t Factura   12 \r\n final ") == "Factura 12 final"


@pytest.mark.parametrize(
    "word", [*REPLY_WORDS, "RE", "AW", "ANTW", "Sv", "ODP", "Res", "RIF", "VS", "REF", "RÉF"]
)
def test_localised_reply_prefixes_are_stripped(word):
    assert base_subject(f"{word}: Factura 12") == "Factura 12"


@pytest.mark.parametrize("word", [*FORWARD_WORDS, "FW", "Fwd", "WG", "TR", "RV", "Rv", "ENC", "Doorst"])
def test_localised_forward_prefixes_are_stripped_and_make_a_forward(word):
    subject = f"{word}: Factura 12"
    assert base_subject(subject) == "Factura 12"
    assert is_forward(subject)


@pytest.mark.parametrize("prefix", ["Re[2]:", "Re(3):", "RE^2:", "AW[2]:", "Re [12] :", "Antw(2):"])
def test_numbered_reply_prefixes_are_stripped(prefix):
    assert base_subject(f"{prefix} Factura 12") == "Factura 12"


def test_a_full_width_colon_ends_a_prefix():
    assert base_subject("Re：Factura 12") == "Factura 12"
    assert base_subject("回复 Re： Fwd：Factura 12") == "回复 Re： Fwd：Factura 12"  # not at the start


@pytest.mark.parametrize(
    "subject",
    [
        "Re-design of the landing page",
        "Ref 2026-12 payment",
        "TR 808 parts",
        "Encuesta: resultados",
        "Award: best logo",
    ],
)
def test_a_prefix_word_without_a_colon_is_part_of_the_subject(subject):
    assert base_subject(subject) == subject
    assert base_subject(f"Re: {subject}") == subject
    assert not is_forward(subject)


def test_a_chain_of_localised_prefixes_reduces_to_the_invoice_subject():
    assert base_subject("RE: AW: Antw: [acme] Factura 12 (fwd)") == "Factura 12"
    assert base_subject("SV: Odp: RES: R: Doorst: WG: Factura 12") == "Factura 12"


def test_the_base_subject_keeps_case_and_the_subject_key_folds_it():
    assert base_subject("RE: FACTURA 12") == "FACTURA 12"
    assert subject_key("RE: FACTURA 12") == subject_key("aw: factura 12") == "factura 12"
    assert subject_key("Re: Straße") == subject_key("STRASSE")


def test_rv_is_a_forward_and_a_reply_to_a_forward_is_not():
    assert is_forward("Rv: Factura 12")
    assert not is_forward("Re: Fwd: Factura 12")
    assert not is_forward("Re: Factura 12")
    assert not is_forward("RE: AW: Antw: [acme] Factura 12 (fwd)")  # its first marker is a reply


def test_rfc5256_forward_forms_and_list_tags_before_a_forward_make_a_forward():
    assert is_forward("[acme] Fwd: Factura 12")
    assert is_forward("[Fwd: Factura 12]")
    assert is_forward("Factura 12 (fwd)")
    assert is_forward("Fwd(2): Factura 12")


def test_vs_is_stripped_but_not_taken_for_a_forward():
    # Finnish "VS:" is a reply, Norwegian "VS:" a forward: the safer reading is a reply.
    assert base_subject("VS: Factura 12") == "Factura 12"
    assert not is_forward("VS: Factura 12")


@given(st.text(), st.sampled_from(REPLY_WORDS + FORWARD_WORDS))
def test_a_base_subject_is_a_fixed_point_and_survives_another_prefix(text, word):
    base = base_subject(text)
    assert base_subject(base) == base
    assert base_subject(f"{word}: {base}") == base
    assert base == base.strip()


def test_a_hostile_subject_costs_linear_time():
    for subject in ("Re: " * 16_000, "[a]" * 20_000 + " x", "[fwd: " * 10_000 + "x" + "]" * 10_000):
        assert base_subject(subject) in ("", "x")


# --------------------------------------------------------------------------- robots


def robot(*lines: str, subject: str = "Re: Factura 12", sender: str = "marta@acme.example") -> str | None:
    return is_automatic(mail(f"From: {sender}", f"Subject: {subject}", *lines))


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("auto-replied", "Auto-Submitted: auto-replied"),
        ("Auto-Generated", "Auto-Submitted: auto-generated"),
        ("auto-replied; owner-email=marta@acme.example", "Auto-Submitted: auto-replied"),
        ("auto-notified", "Auto-Submitted: auto-notified"),
    ],
)
def test_auto_submitted_other_than_no_is_automatic(value, reason):
    assert robot(f"Auto-Submitted: {value}") == reason


def test_auto_submitted_no_is_a_person():
    assert robot("Auto-Submitted: no") is None
    assert robot("Auto-Submitted: No ") is None


def test_x_autoreply_and_x_autorespond_are_automatic():
    assert robot("X-Autoreply: yes") == "X-Autoreply present"
    assert robot("X-Autorespond: Vacation") == "X-Autorespond present"


@pytest.mark.parametrize("value", ["bulk", "auto_reply", "list", "junk", "Bulk "])
def test_precedence_bulk_list_junk_or_auto_reply_is_automatic(value):
    assert robot(f"Precedence: {value}") == f"Precedence: {value.strip().lower()}"


def test_other_precedences_are_a_person():
    assert robot("Precedence: first-class") is None
    assert robot("Precedence: normal") is None


def test_mail_from_a_mailing_list_is_not_an_answer():
    assert robot("List-Id: ACME projects <projects.acme.example>") == "List-Id present"


def test_x_auto_response_suppress_is_not_a_robot_marker():
    # Outlook puts it on ordinary mail to ask OTHER robots not to answer.
    assert robot("X-Auto-Response-Suppress: All") is None
    header = MailHeader(
        subject="Re: Factura 12", robot_headers={"x-auto-response-suppress": "OOF, AutoReply"}
    )
    assert is_automatic(header) is None


@pytest.mark.parametrize("phrase", OUT_OF_OFFICE_SUBJECTS)
def test_out_of_office_subjects_are_automatic_with_or_without_a_reply_prefix(phrase):
    for subject in (f"{phrase}: Factura 12", f"RE: {phrase.upper()}: Factura 12", phrase.title()):
        assert robot(subject=subject) == "out-of-office subject", subject


def test_out_of_office_subjects_match_without_their_accents():
    assert robot(subject="Respuesta automatica: Factura 12") == "out-of-office subject"
    assert robot(subject="=?utf-8?q?Respuesta_autom=C3=A1tica=3A_Factura_12?=") == "out-of-office subject"


@pytest.mark.parametrize(
    "subject",
    [
        "Undelivered Mail Returned to Sender",
        "Delivery Status Notification (Failure)",
        "Mail delivery failed: returning message to sender",
        "Undeliverable: Factura 12",
        "Returned mail: see transcript for details",
        "No se puede entregar: Factura 12",
        "Onbestelbaar: Factura 12",
        *BOUNCE_SUBJECTS,
    ],
)
def test_bounce_subjects_are_automatic(subject):
    assert robot(subject=subject) == "bounce subject"


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@mx.acme.example", "postmaster@acme.example"])
def test_mail_from_the_mailer_daemon_or_postmaster_is_a_bounce(sender):
    assert robot(sender=sender, subject="Factura 12").startswith("bounce: sender ")


def test_a_null_return_path_is_a_bounce():
    assert robot("Return-Path: <>") == "bounce: Return-Path <>"
    assert robot("Return-Path: < >") == "bounce: Return-Path <>"
    assert robot("Return-Path: <marta@acme.example>") is None


def test_a_delivery_report_is_a_bounce():
    assert robot('Content-Type: multipart/report; report-type=delivery-status; boundary="b"') == (
        "bounce: multipart/report"
    )


def test_x_failed_recipients_is_a_bounce():
    assert robot("X-Failed-Recipients: marta@acme.example") == "bounce: X-Failed-Recipients"


@pytest.mark.parametrize(
    "subject",
    [
        # "automatic" in another sense: the phrases are "automatic reply" and friends.
        "Re: automatic backups proposal",
        # A person mentioning an absence inside a real answer is still heard: subject
        # phrases count only at the start of the base subject, where robots put them.
        "Re: Factura 12 - I'll be out of office next week, paying today",
        "Re: Invoice for the vacation rental photos",
        "Re: Vacations in Spain shoot",
        "Re: Factura 12 (ausente el lunes)",
    ],
)
def test_human_replies_that_mention_absence_or_automation_are_not_flagged(subject):
    assert robot("Precedence: normal", "Return-Path: <marta@acme.example>", subject=subject) is None


def test_a_real_outlook_auto_reply_is_recognised_from_its_raw_header():
    header = mail(
        "Return-Path: <>",
        "From: Marta López <marta@acme.example>",
        "Subject: =?utf-8?q?Respuesta_autom=C3=A1tica=3A_Factura_12?=",
        "Auto-Submitted: auto-generated",
        "X-Auto-Response-Suppress: All",
        f"In-Reply-To: {INVOICE}",
    )
    assert header.robot_headers["return-path"] == "<>"
    assert is_automatic(header) == "Auto-Submitted: auto-generated"


def test_the_header_fields_a_scan_fetches_include_every_robot_header():
    fetched = {name.lower() for name in HEADER_FIELDS}
    assert set(ROBOT_HEADERS) <= fetched
    assert {"list-id", "return-path", "x-failed-recipients"} <= set(ROBOT_HEADERS)


@given(
    robot_headers=st.dictionaries(
        st.sampled_from(ROBOT_HEADERS) | st.text(max_size=20), st.text(max_size=80)
    ),
    subject=st.text(max_size=200),
    sender=st.none() | st.emails().map(lambda e: Address(email=e.lower())),
    content_type=st.text(max_size=30),
)
def test_is_automatic_never_raises(robot_headers, subject, sender, content_type):
    header = MailHeader(
        subject=subject, sender=sender, content_type=content_type, robot_headers=robot_headers
    )
    reason = is_automatic(header)
    assert reason is None or (isinstance(reason, str) and reason)


# --------------------------------------------------------------------------- reply matching


def tracked_invoice(**kwargs) -> ThreadIndex:
    index = ThreadIndex()
    index.add(INVOICE, subject="Factura 12", client="acme", sent_at=MARCH_2, **kwargs)
    return index


def test_a_reply_is_matched_by_in_reply_to():
    assert tracked_invoice().parent_of(reply(f"In-Reply-To: {INVOICE}"), client=None) == INVOICE


def test_in_reply_to_wins_over_references():
    index = tracked_invoice()
    index.add("<other@freelancer.example>", subject="Factura 13", client="acme", sent_at=MARCH_2)
    header = reply(f"In-Reply-To: {INVOICE}", "References: <other@freelancer.example>")
    assert index.parent_of(header, client=None) == INVOICE


def test_a_reply_is_matched_by_references_only_nearest_tracked_first():
    index = tracked_invoice()
    # The client answers their own colleague's reply: the last reference is not ours.
    header = reply(f"References: <root@acme.example> {INVOICE} <colleague@acme.example>", "Subject: Re: ok")
    assert index.parent_of(header, client=None) == INVOICE


def test_a_reply_that_dropped_its_threading_headers_is_matched_by_subject_for_its_client():
    header = reply("Subject: RE: AW: factura 12")
    assert tracked_invoice().parent_of(header, client="acme") == INVOICE


def test_a_subject_match_needs_the_client():
    header = reply("Subject: Re: Factura 12")
    assert tracked_invoice().parent_of(header, client=None) is None


def test_the_same_subject_from_another_client_is_not_a_reply():
    header = reply("Subject: Re: Factura 12", sender="oliver@bright.example")
    assert tracked_invoice().parent_of(header, client="bright") is None


def test_a_forward_by_the_client_is_not_a_reply():
    header = reply("Subject: Fwd: Factura 12")
    assert tracked_invoice().parent_of(header, client="acme") is None
    assert tracked_invoice().parent_of(reply("Subject: RV: Factura 12"), client="acme") is None


def test_a_message_dated_before_the_invoice_is_not_its_reply():
    header = reply("Subject: Re: Factura 12", date="Sun, 1 Mar 2026 09:00:00 +0100")
    assert tracked_invoice().parent_of(header, client="acme") is None


def test_an_empty_subject_matches_nothing():
    index = ThreadIndex()
    index.add("<blank@freelancer.example>", subject="", client="acme", sent_at=MARCH_2)
    assert index.parent_of(reply("Subject: Re:"), client="acme") is None


def test_of_invoices_with_the_same_subject_the_latest_sent_before_the_reply_is_answered():
    index = ThreadIndex()
    index.add("<march@f.example>", subject="Factura", client="acme", sent_at=MARCH_2)
    index.add("<april@f.example>", subject="Factura", client="acme", sent_at=MARCH_2 + timedelta(days=31))
    in_march = reply("Subject: Re: Factura", date="Tue, 10 Mar 2026 09:00:00 +0100")
    in_april = reply("Subject: Re: Factura", date="Fri, 10 Apr 2026 09:00:00 +0200")
    undated = mail("From: marta@acme.example", "Subject: Re: Factura")
    assert index.parent_of(in_march, client="acme") == "<march@f.example>"
    assert index.parent_of(in_april, client="acme") == "<april@f.example>"
    assert index.parent_of(undated, client="acme") == "<april@f.example>"


def test_a_tracked_message_is_not_its_own_reply():
    index = tracked_invoice()
    own = mail(f"Message-ID: {INVOICE}", f"References: {INVOICE}", "Subject: Factura 12")
    assert index.parent_of(own, client="acme") is None


def test_a_reply_to_a_reminder_is_in_the_invoice_thread():
    index = tracked_invoice()
    first, second = "<reminder-1@freelancer.example>", "<reminder-2@freelancer.example>"
    index.add(
        first,
        subject="Re: Factura 12",
        client="acme",
        sent_at=MARCH_2 + timedelta(days=20),
        parents=(INVOICE,),
    )
    index.add(
        second,
        subject="Re: Factura 12",
        client="acme",
        sent_at=MARCH_2 + timedelta(days=30),
        parents=(INVOICE, first),
    )
    answer = reply(f"In-Reply-To: {second}", f"References: {INVOICE} {first} {second}")
    assert index.parent_of(answer, client="acme") == second
    assert index.thread_of(second) == index.thread_of(first) == index.thread_of(INVOICE) == INVOICE


def test_a_thread_root_is_found_whatever_order_messages_were_added_in():
    index = ThreadIndex()
    index.add(
        "<reminder@f.example>", subject="Re: Factura 12", client="acme", sent_at=MARCH_2, parents=(INVOICE,)
    )
    assert index.thread_of("<reminder@f.example>") == "<reminder@f.example>"  # the invoice is not known yet
    index.add(INVOICE, subject="Factura 12", client="acme", sent_at=MARCH_2)
    assert index.thread_of("reminder@f.example") == INVOICE
    assert index.thread_of("<unknown@f.example>") is None


def test_a_reference_loop_does_not_hang_thread_of():
    index = ThreadIndex()
    index.add("<a@x>", subject="a", client="c", sent_at=MARCH_2, parents=("<b@x>",))
    index.add("<b@x>", subject="b", client="c", sent_at=MARCH_2, parents=("<a@x>",))
    assert index.thread_of("<a@x>") == "<b@x>"
    assert index.thread_of("<b@x>") == "<a@x>"


def test_adding_a_tracked_id_again_changes_nothing():
    index = tracked_invoice()
    index.add(INVOICE, subject="Something else", client="bright", sent_at=MARCH_2)
    assert len(index) == 1 and INVOICE in index
    assert index.parent_of(reply("Subject: Re: Factura 12"), client="acme") == INVOICE


def test_a_tracked_message_needs_an_id_and_a_time_zone():
    with pytest.raises(ValueError, match="not a message id"):
        ThreadIndex().add("", subject="x", client="acme", sent_at=MARCH_2)
    with pytest.raises(ValueError, match="time zone"):
        ThreadIndex().add(INVOICE, subject="x", client="acme", sent_at=datetime(2026, 3, 2))


# --------------------------------------------------------------------------- imaptest vectors
#
# An imaptest script is a header ("capabilities: ...", "messages: all" or "state:
# created"), a blank line, then commands: "ok <command>" lines, each followed by the
# untagged responses it must produce ("* sort ...", "* thread ..."). The messages come
# from the mbox of the same name: all of them at the start ("messages: all"), or one
# per "ok append" ("state: created"). "ok store N +flags \deleted" and "ok expunge"
# remove messages, renumbering the rest as IMAP does. The files are read in place.


@dataclass
class Message:
    header: MailHeader
    size: int  # RFC822.SIZE: the bytes with CRLF line ends


@dataclass
class Mailbox:
    pending: list[Message]  # messages "ok append" will add, in mbox order
    messages: list[Message] = field(default_factory=list)
    deleted: set[int] = field(default_factory=set)


@dataclass(frozen=True)
class Expectation:
    vector: str
    command: str  # e.g. "sort (subject) us-ascii all"
    response: str  # e.g. "* sort 9 10 1"
    messages: tuple[Message, ...]  # the mailbox when the command runs, by sequence number - 1


def read_mbox(path: Path) -> list[Message]:
    box = mailbox.mbox(path, create=False)
    try:
        found = []
        for key in box.iterkeys():
            data = box.get_bytes(key)
            found.append(Message(parse_header(data), len(data) + data.count(b"\n") - data.count(b"\r\n")))
        return found
    finally:
        box.close()


def run_vector(directory: Path, name: str) -> Iterator[Expectation]:
    header, _, commands = (directory / name).read_text(encoding="utf-8").partition("\n\n")
    settings = dict(line.split(":", 1) for line in header.splitlines() if ":" in line)
    mbox = read_mbox(directory / f"{name}.mbox")
    if settings.get("messages", "").strip() == "all":
        box = Mailbox(pending=[], messages=mbox)
    else:  # "state: created": an empty mailbox the script appends to
        box = Mailbox(pending=mbox)
    lines = [line.strip() for line in commands.splitlines() if line.strip()]
    for position, line in enumerate(lines):
        if not line.startswith("ok "):
            continue
        command = line[3:]
        if command == "append":
            box.messages.append(box.pending.pop(0))
        elif command.startswith("store ") and command.endswith("+flags \\deleted"):
            box.deleted |= {int(n) for n in command.split()[1].split(",")}
        elif command == "expunge":
            box.messages = [m for seq, m in enumerate(box.messages, 1) if seq not in box.deleted]
            box.deleted = set()
        elif command.startswith(("sort ", "thread ")):
            following = lines[position + 1] if position + 1 < len(lines) else ""
            assert following.startswith("* "), f"{name}: no expected response after {line!r}"
            yield Expectation(name, command, following, tuple(box.messages))
        elif not command.startswith("select "):
            pytest.fail(f"{name}: the vector uses a command this reader does not know: {line!r}")


def vector_expectations(corpora: Path, prefix: str, command: str) -> list[Expectation]:
    directory = corpora / "dovecot-imaptest"
    names = sorted(p.name for p in directory.glob(f"{prefix}*") if p.suffix != ".mbox")
    found = [
        e for name in names for e in run_vector(directory, name) if e.command.lower().startswith(command)
    ]
    assert found, f"no {command!r} vectors under {directory}"
    return found


def casemap(text: str) -> str:
    """RFC 4790 i;ascii-casemap, the collation IMAP SORT and THREAD compare subjects with."""
    return text.translate(str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"))


def test_imaptest_sort_by_subject_orders_messages_by_our_base_subject(corpora):
    """sort-subject: SORT (subject), (reverse subject) and (subject reverse size).

    Checked: the whole expected order, reproduced by sorting the messages on
    i;ascii-casemap(base_subject), then size where the criteria ask for it, then
    sequence number (RFC 5256's final tie-break). The vector covers nested "[fwd: ]"
    wrappers, list tags before "Fwd:", trailing "(fWd)", a subject that is only a tag,
    RFC 2047-encoded "RE: C" and an empty encoded subject. Not checked: the charset
    argument (all ASCII here) and criteria other than SUBJECT/SIZE (the vector has none).
    """
    expectations = vector_expectations(corpora, "sort-subject", "sort ")
    for expectation in expectations:
        criteria = (
            re.fullmatch(r"sort \(([^)]*)\) us-ascii all", expectation.command, re.I).group(1).lower().split()
        )
        expected = [int(n) for n in expectation.response.split()[2:]]
        order = list(range(1, len(expectation.messages) + 1))  # ties: by sequence number
        keys = []
        reverse = False
        for word in criteria:
            if word == "reverse":
                reverse = True
                continue
            assert word in ("subject", "size"), f"sort criterion {word!r} is not modelled"
            keys.append((word, reverse))
            reverse = False
        for word, backwards in reversed(keys):  # stable sorts, last criterion first
            order.sort(
                key=lambda seq, word=word: (
                    casemap(base_subject(expectation.messages[seq - 1].header.subject))
                    if word == "subject"
                    else expectation.messages[seq - 1].size
                ),
                reverse=backwards,
            )
        assert order == expected, f"{expectation.vector}: {expectation.command}"


@dataclass
class Node:
    seq: int | None  # None: a dummy (a referenced message that is not in the mailbox)
    children: list[Node] = field(default_factory=list)


def parse_thread(response: str) -> list[Node]:
    """The trees of an RFC 5256 THREAD response: "(3 2)(1)", "(1 (2 4)(3))", "((1)(2))"."""
    tokens = re.findall(r"\(|\)|\d+", response.partition(" ")[2].partition(" ")[2])
    position = 0

    def thread_list() -> Node:
        nonlocal position
        assert tokens[position] == "("
        position += 1
        chain: list[Node] = []
        while tokens[position].isdigit():
            chain.append(Node(int(tokens[position])))
            position += 1
        nested = []
        while tokens[position] == "(":
            nested.append(thread_list())
        assert tokens[position] == ")"
        position += 1
        if not chain:
            return Node(None, nested)
        for parent, child in itertools.pairwise(chain):
            parent.children.append(child)
        chain[-1].children.extend(nested)
        return chain[0]

    roots = []
    while position < len(tokens):
        roots.append(thread_list())
    return roots


def parents_in(roots: list[Node]) -> dict[int, Node | None]:
    """Each message's parent node in the expected trees (None for a root)."""
    found: dict[int, Node | None] = {}

    def walk(node: Node, parent: Node | None) -> None:
        if node.seq is not None:
            found[node.seq] = parent
        for child in node.children:
            walk(child, node)

    for root in roots:
        walk(root, None)
    return found


def header_index(messages: tuple[Message, ...]) -> tuple[ThreadIndex, dict[str, int]]:
    """All the mailbox's messages tracked, as the engine tracks its own; first id wins."""
    index, sequence = ThreadIndex(), {}
    for seq, message in enumerate(messages, 1):
        header = message.header
        if header.message_id:
            index.add(
                header.message_id,
                subject=header.subject,
                client="imaptest",
                sent_at=header.date or datetime(2008, 2, 22, tzinfo=UTC),
                parents=header.in_reply_to + header.references,
            )
            sequence.setdefault(header.message_id, seq)
    return index, sequence


def test_imaptest_thread_references_links_agree_with_header_only_reply_matching(corpora):
    """thread, thread2 ... thread8: THREAD=REFERENCES, with appends and expunges replayed.

    Every message of the mailbox is tracked in a ThreadIndex (first of duplicate ids
    wins, as in RFC 5256) and asked ``parent_of(header, client=None)``: header-only
    matching. Checked, for every expected tree:

    * each parent -> child link between two messages is what parent_of finds, or,
      where parent_of finds nothing (thread3: duplicate ids; thread4: the reference is
      to a missing message), a link RFC 5256 step 5 made by subject: equal base subjects
      and the child's subject is a reply ("Re: foo" under "foo");
    * the children of a dummy (thread5 after the expunge, thread6) share a referenced
      id that is not in the mailbox, or a base subject;
    * conversely, each parent parent_of finds is the expected parent, or the expected
      tree breaks a References loop there (thread: <b> and <c> reference each other).

    Not checked: the order of sibling threads and children (RFC 5256 sorts them by
    date, which is not this module's job) and how dummies are pruned.
    """
    expectations = vector_expectations(corpora, "thread", "thread references")
    assert len({e.vector for e in expectations}) >= 8
    for expectation in expectations:
        where = f"{expectation.vector}: {expectation.response}"
        messages = expectation.messages
        index, sequence = header_index(messages)
        found = {
            seq: sequence.get(index.parent_of(m.header, client=None) or "")
            for seq, m in enumerate(messages, 1)
        }
        expected = parents_in(parse_thread(expectation.response))
        assert set(expected) == set(range(1, len(messages) + 1)), where

        def ancestors(seq: int, expected=expected) -> set[int]:
            seen, node = set(), expected[seq]
            while node is not None and node.seq is not None:
                seen.add(node.seq)
                node = expected[node.seq]
            return seen

        for child, parent in expected.items():
            header = messages[child - 1].header
            if parent is not None and parent.seq is not None:
                if found[child] is not None:
                    assert found[child] == parent.seq, (
                        f"{where}: {child} answers {found[child]}, not {parent.seq}"
                    )
                else:
                    assert base_subject(header.subject) != header.subject, f"{where}: {child} is not a reply"
                    assert subject_key(header.subject) == subject_key(
                        messages[parent.seq - 1].header.subject
                    ), where
        for dummy in _dummies(parse_thread(expectation.response)):
            members = [messages[n.seq - 1].header for n in dummy.children if n.seq is not None]
            absent = set.intersection(*({*h.in_reply_to, *h.references} - set(sequence) for h in members))
            subjects = {subject_key(h.subject) for h in members}
            assert absent or len(subjects) == 1, f"{where}: the children of a dummy share nothing"
        for child, parent_seq in found.items():
            if parent_seq is not None:
                expected_parent = expected[child]
                assert (
                    expected_parent is not None and expected_parent.seq == parent_seq
                ) or child in ancestors(parent_seq), (
                    f"{where}: {child} answers {parent_seq}, which the vector does not thread so"
                )


def _dummies(roots: list[Node]) -> Iterator[Node]:
    for root in roots:
        if root.seq is None:
            yield root
        yield from _dummies(root.children)


def test_imaptest_thread_orderedsubject_groups_are_our_base_subjects(corpora):
    """thread-orderedsubject, thread-orderedsubject2: THREAD=ORDEREDSUBJECT.

    ORDEREDSUBJECT puts in one thread exactly the messages with the same base subject
    (i;ascii-casemap). Checked: the expected threads partition the messages exactly as
    our base subjects do, and as ``subject_key`` does (the key reply matching uses).
    Not checked: the order of threads and of messages inside them (by Date, RFC 5256
    section BASE.6.4), which is not this module's job.
    """
    expectations = vector_expectations(corpora, "thread-orderedsubject", "thread orderedsubject")
    for expectation in expectations:
        subjects = [m.header.subject for m in expectation.messages]
        threads = [sorted(_members(root)) for root in parse_thread(expectation.response)]
        assert sorted(n for t in threads for n in t) == list(range(1, len(subjects) + 1))
        for key in (lambda s: casemap(base_subject(s)), subject_key):
            groups: dict[str, list[int]] = {}
            for seq, subject in enumerate(subjects, 1):
                groups.setdefault(key(subject), []).append(seq)
            assert sorted(groups.values()) == sorted(threads), f"{expectation.vector}: {expectation.response}"


def _members(node: Node) -> Iterator[int]:
    if node.seq is not None:
        yield node.seq
    for child in node.children:
        yield from _members(child)
