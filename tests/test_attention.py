"""`status`, the digest and `explain` give one answer: they share domain/attention.py.

Every test runs twice: against a real Dovecot over IMAPS and against a Maildir.
"""

from __future__ import annotations

from datetime import date

from assistant.commands import find_item
from assistant.domain import digest, keys
from assistant.report import print_explanation
from assistant.session import AccountSession
from assistant.status_report import overview
from tests.support.freelancer import send_invoice
from tests.support.world import at


def views(me, day: date, capsys):
    """What status, the digest and explain say is next for invoice 2026-001 on ``day``."""
    now = at(day)
    with me.store() as store:
        (row,) = [r for c in overview(store, me.config, now).clients for r in c.invoices]
        context = digest.build_digest(
            clients=me.config.rules.clients, invoices=store.invoices(), deliverables=store.deliverables(),
            outbox=store.outbox(), journal=store.journal(prefix="client/"), rules=me.config.rules,
            today=day, now=now, tz=now.tzinfo,
        )  # fmt: skip
        invoice = find_item(store, "2026-001", None)
        item = keys.invoice_item(invoice)
        capsys.readouterr()
        print_explanation(invoice, store.history(item), store.outbox_for(item), me.config, now)
    explained = capsys.readouterr().out
    ((listed,),) = [b["invoices"] for b in context["overdue"]]
    return row.next.name, listed["next_stage"]["name"], explained


def test_after_downtime_every_view_names_the_stage_the_pass_then_writes(world, me, capsys):
    send_invoice(world)  # due 16 March
    with AccountSession(me.config, me.account) as engine:
        engine.run_pass(at(date(2026, 3, 10)))  # the first run, before it fell due: nothing held (issue 15)
        engine.run_pass(at(date(2026, 4, 20)), plan=False)  # the ledger only: all three stages are due
    status, in_digest, explained = views(me, date(2026, 4, 20), capsys)
    # Never chased: the first letter is the first reminder, however late (stages are climbed).
    assert status == in_digest == "first-reminder"
    assert "next: first-reminder, due now: the next pass drafts it" in explained
    report = me.run(date(2026, 4, 20))
    assert [d.key for d in report.drafted] == ["invoice/acme/2026-001/first-reminder"]
