"""`action: notify`: nothing is composed, written or sent; `status` and the digest list a to-do.

Every test runs twice: against a real Dovecot over IMAPS and against a Maildir.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from assistant.domain import digest
from assistant.domain.compose import key_of
from assistant.report import print_pass
from assistant.status_report import overview
from tests.support.freelancer import Freelancer, send_invoice
from tests.support.world import at

ESCALATION = (Path(__file__).resolve().parent.parent / "rules" / "escalation.yaml").read_text(
    encoding="utf-8"
)
NOTIFY_FIRST = ESCALATION.replace("    action: draft\n", "    action: notify\n", 1)


def test_a_notify_stage_writes_no_draft_and_is_a_to_do_in_status_and_the_digest(world, tmp_path, capsys):
    me = Freelancer(world, tmp_path / "config", rules={"escalation.yaml": NOTIFY_FIRST})
    send_invoice(world)
    report = me.run(date(2026, 3, 17))
    key = "invoice/acme/2026-001/first-reminder"
    assert report.notified == [key]
    assert report.composed == [] and report.drafted == [] and me.drafts() == []
    assert (
        "invoice/acme/2026-001: to do (first-reminder: contact marta@acme.example yourself)" in report.changes
    )
    print_pass(report, me.config, "test")
    assert f"{key}: to do, contact the client yourself (action: notify;" in capsys.readouterr().out
    now = at(date(2026, 3, 18))
    with me.store() as store:
        (entry,) = store.outbox()
        assert (entry.key, entry.kind, entry.state, entry.subject) == (
            key,
            "notice",
            "sent",
            "Re: Factura 2026-001",
        )
        view = overview(store, me.config, now)
        context = digest.build_digest(
            clients=me.config.rules.clients, invoices=store.invoices(), deliverables=store.deliverables(),
            outbox=store.outbox(), journal=store.journal(prefix="client/"), rules=me.config.rules,
            today=now.date(), now=now, tz=now.tzinfo,
        )  # fmt: skip
    ((todo,),) = [c.todos for c in view.clients]
    assert (todo.kind, todo.ref, todo.stage, todo.recipient) == (
        "contact-client",
        "2026-001",
        "first-reminder",
        "marta@acme.example",
    )
    (contact,) = context["to_contact"]
    assert (contact["invoice_number"], contact["stage"]) == ("2026-001", "first-reminder")
    # The ladder goes on from the notice: the next stage is drafted when it is due.
    me.run(date(2026, 3, 23))
    ((_, draft),) = me.drafts()
    assert key_of(draft) == "invoice/acme/2026-001/second-reminder"
