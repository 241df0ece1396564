"""Drafts that became wrong: withdrawn when untouched, only flagged when the freelancer touched them.

An invoice paid or held, or work answered or approved, after its draft was written: the draft
is "no longer needed" in `status`, `status --json`, `ledger --json` and the digest, never
"waiting to be sent". Still exactly as the assistant wrote it, it is withdrawn from Drafts
(that message alone); edited, it is hers and stays. Every test runs on Dovecot and a Maildir.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from assistant import cli
from assistant.domain.compose import KEY_HEADER, key_of
from assistant.domain.keys import DraftState
from assistant.engine import mark_paid
from assistant.session import AccountSession
from tests.support.freelancer import INVOICE_ID, Freelancer, send_invoice
from tests.support.mailboxes import parsed
from tests.support.world import at, plain_email
from tests.test_chasing import clients_with
from tests.test_replies import DELIVERY_ID, reply, send_deliverable

FIRST = "invoice/acme/2026-001/first-reminder"
FINAL = "invoice/acme/2026-001/final-notice"


def everything(world) -> dict[str, set[tuple[frozenset[str], bytes]]]:
    """Every message of every folder the test uses, with its flags (\\Recent is the session's)."""
    return {
        folder: {
            (frozenset(f for f in flags if f != "\\Recent"), data.replace(b"\r\n", b"\n"))
            for flags, data in world.messages(folder)
        }
        for folder in ("INBOX", "Sent", "Drafts")
    }


def hers_in_drafts(world) -> None:
    """A draft of her own, and one she marked deleted without expunging: neither is ours to touch."""
    world.deliver(
        "Drafts",
        plain_email(sender="lucia@freelancer.example", to="ana@else.example", subject="Presupuesto"),
        flags=("\\Draft",),
    )
    world.deliver(
        "Drafts",
        plain_email(sender="lucia@freelancer.example", to="ana@else.example", subject="Borrador viejo"),
        flags=("\\Draft", "\\Deleted"),
    )


def our_drafts(me) -> list[str]:
    return [key_of(draft) for _, draft in me.drafts() if draft[KEY_HEADER]]


def state_of(me, key: str) -> DraftState:
    with me.store() as store:
        return store.outbox_entry(key).state


def digest_text(me, day: date) -> str:
    with AccountSession(me.config, me.account) as engine:
        draft = engine.digest_draft(at(day, 18))
    return parsed(draft.data).get_body(("plain",)).get_content()


def status_of(me, monkeypatch, capsys, day: date, *extra: str) -> str:
    monkeypatch.setattr(cli, "_now", lambda: datetime.combine(day, datetime.min.time(), UTC).replace(hour=12))
    capsys.readouterr()
    assert cli.main(["status", "--config", str(me.path), *extra]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return out if "--json" in extra else " ".join(out.split())  # the tables wrap at 80 columns


def test_mark_paid_after_a_reminder_draft_withdraws_it_and_nothing_else_changes(
    world, me, monkeypatch, capsys
):
    send_invoice(world)
    hers_in_drafts(world)
    me.run(date(2026, 3, 17))
    assert our_drafts(me) == [FIRST]
    before = everything(world)
    with me.store() as store:
        mark_paid(store, "2026-001", client=None, on=date(2026, 3, 18), now=at(date(2026, 3, 18)))
    report = me.run(date(2026, 3, 18), hour=11)
    assert report.withdrawn == [FIRST] and report.obsolete == []
    assert our_drafts(me) == []
    after = everything(world)
    ours = {m for m in before["Drafts"] if key_of(parsed(m[1])) == FIRST}
    assert len(ours) == 1
    assert after == {**before, "Drafts": before["Drafts"] - ours}  # her two drafts, flags and all
    assert state_of(me, FIRST) is DraftState.WITHDRAWN
    text = status_of(me, monkeypatch, capsys, date(2026, 3, 18))
    assert "Drafts waiting for you to send" not in text
    assert "withdrawn from Drafts" in text and "first-reminder" in text
    # The next digest says so, and lists nothing to send.
    digest = digest_text(me, date(2026, 3, 18))
    assert "DRAFTS TO REVIEW AND SEND" not in digest
    assert "DRAFTS NO LONGER NEEDED:" in digest
    assert "(the invoice is paid): withdrawn from Drafts, as the program wrote it." in digest
    # Once only: the next pass neither withdraws nor drafts anything.
    again = me.run(date(2026, 3, 25))
    assert again.withdrawn == [] and again.drafted == [] and everything(world) == after


def test_a_promise_after_the_final_notice_draft_withdraws_it(world, me, monkeypatch, capsys):
    send_invoice(world)
    for day in (date(2026, 3, 17), date(2026, 3, 23)):
        me.run(day)
        me.send_drafts(day)
    me.run(date(2026, 4, 6))
    assert our_drafts(me) == [FINAL]
    before = everything(world)
    world.deliver(
        "INBOX",
        reply(
            sender="Marta López <marta@acme.example>",
            subject="Re: Factura 2026-001",
            body="Hola Lucía, perdona. Pagaremos el viernes sin falta.\n",
            day=date(2026, 4, 7),  # a Tuesday: "el viernes" is 10 April
        ),
    )
    report = me.run(date(2026, 4, 7))
    assert report.withdrawn == [FINAL] and report.drafted == []
    assert our_drafts(me) == []
    after = everything(world)
    assert after["Sent"] == before["Sent"]
    assert len(after["INBOX"] - before["INBOX"]) == 1 and before["INBOX"] <= after["INBOX"]
    assert after["Drafts"] == set()
    document = json.loads(status_of(me, monkeypatch, capsys, date(2026, 4, 7), "--json"))
    (acme,) = [c for c in document["accounts"][0]["clients"] if c["id"] == "acme"]
    assert acme["drafts_waiting"] == []
    (gone,) = acme["drafts_no_longer_needed"]
    assert (gone["key"], gone["state"], gone["why"], gone["left"]) == (
        FINAL,
        "withdrawn",
        "promised",
        "withdrawn",
    )
    totals = document["accounts"][0]["totals"]
    assert (totals["drafts_waiting"], totals["drafts_no_longer_needed"]) == (0, 1)
    monkeypatch.setattr(cli, "_now", lambda: at(date(2026, 4, 7), 12))
    capsys.readouterr()
    assert cli.main(["ledger", "--json", "--config", str(me.path)]) == 0
    (invoice,) = json.loads(capsys.readouterr().out)["accounts"][0]["invoices"]
    assert [(d["stage"], d["state"], d["why"]) for d in invoice["drafts"]] == [
        ("first-reminder", "sent", None),
        ("second-reminder", "sent", None),
        ("final-notice", "withdrawn", "promised"),
    ]
    # The promise lapses unpaid: the final notice is due again, drafted afresh, once.
    drafted = [d.key for day in (12, 13) for d in me.run(date(2026, 4, day)).drafted]
    assert drafted == [FINAL] and our_drafts(me) == [FINAL]


def test_work_approved_after_its_follow_up_was_drafted_withdraws_the_follow_up(world, me):
    send_deliverable(world, date(2026, 4, 2))
    (draft,) = me.run(date(2026, 4, 8)).drafted  # business day 3 (Good Friday skipped)
    assert our_drafts(me) == [draft.key]
    world.deliver(
        "INBOX",
        reply(
            sender="Marta López <marta@acme.example>",
            subject="Re: Propuesta de diseño v2",
            body="Está perfecta, aprobado. ¡Gracias!\n",
            day=date(2026, 4, 9),
            in_reply_to=DELIVERY_ID,
        ),
    )
    report = me.run(date(2026, 4, 9), hour=12)
    assert report.withdrawn == [draft.key] and our_drafts(me) == []
    with me.store() as store:
        assert store.outbox_entry(draft.key).note == "approved/withdrawn"


def test_a_draft_the_freelancer_edited_is_kept_and_only_flagged(world, me, monkeypatch, capsys):
    send_invoice(world)
    me.run(date(2026, 3, 17))
    ((flags, draft),) = me.drafts()
    # She opens our draft and changes a sentence: her mail client stores a new message.
    body = draft.get_body(("plain",))
    body.set_content(body.get_content() + "\nPD: te llamo mañana.\n")
    world.delete("Drafts", draft["Message-ID"])
    world.deliver("Drafts", draft.as_bytes(), flags=tuple(f for f in flags if f != "\\Recent"))
    before = everything(world)
    world.tag("Sent", INVOICE_ID, "$Paid")
    report = me.run(date(2026, 3, 18))
    assert report.withdrawn == [] and report.obsolete == [FIRST]
    (kept,) = me.drafts()
    assert "te llamo mañana" in kept[1].get_body(("plain",)).get_content()
    assert everything(world)["Drafts"] == before["Drafts"]
    assert state_of(me, FIRST) is DraftState.OBSOLETE
    text = status_of(me, monkeypatch, capsys, date(2026, 3, 18))
    assert "Drafts waiting for you to send" not in text
    assert "no longer needed" in text and "you changed it" in text


def test_a_thank_you_draft_is_never_withdrawn_for_being_paid(world, tmp_path):
    me = Freelancer(world, tmp_path / "config", rules={"clients.yaml": clients_with("    thank_you: true\n")})
    send_invoice(world)
    me.run(date(2026, 3, 9))
    world.tag("Sent", INVOICE_ID, "$Paid")
    report = me.run(date(2026, 3, 10))
    assert [d.key for d in report.drafted] == ["invoice/acme/2026-001/thank-you"]
    again = me.run(date(2026, 3, 11))
    assert again.withdrawn == [] and again.obsolete == []
    assert our_drafts(me) == ["invoice/acme/2026-001/thank-you"]


@pytest.fixture
def me(world, tmp_path):
    return Freelancer(world, tmp_path / "config")
