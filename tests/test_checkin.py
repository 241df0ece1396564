"""Check-ins during ongoing work (seed 002: keep in touch regularly, possibly weekly).

The planner is pure and tested with values; the draft is tested end to end, against a
real Dovecot and a Maildir: one check-in per silence, in the thread of the work, never
twice, and nothing at all while the rule is off (the default).
"""

from __future__ import annotations

import dataclasses
import email
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from email import policy

import pytest

from assistant.config import packaged_rules_dir
from assistant.domain import checkin, compose
from assistant.domain.model import (
    Address,
    CheckIn,
    CheckInRule,
    Contact,
    Deliverable,
    DeliverableStatus,
    FolderRole,
    Invoice,
    InvoiceStatus,
    MailHeader,
    Money,
)
from tests.support.freelancer import Freelancer
from tests.support.world import IDENTITY, TZ, at, rules
from tests.test_replies import DELIVERY_ID, reply, send_deliverable

ON = CheckInRule(enabled=True)
MONDAY = date(2026, 3, 2)


@pytest.fixture
def world_rules(tmp_path):
    return rules(tmp_path)


def deliverable(client="acme", sent=MONDAY, **changes) -> Deliverable:
    base = Deliverable(
        client=client,
        message_id=f"<work-{client}-{sent}@freelancer.example>",
        subject="Propuesta de diseño v2",
        sent_at=datetime.combine(sent, time(17), tzinfo=TZ),
    )
    return dataclasses.replace(base, **changes)


def invoice(client="acme", sent=MONDAY, status=InvoiceStatus.OPEN) -> Invoice:
    return Invoice(
        client=client,
        number="2026-001",
        amount=Money(amount=Decimal("100"), currency="EUR"),
        issue_date=sent,
        due_date=sent + timedelta(days=14),
        message_id="<inv@freelancer.example>",
        subject="Factura 2026-001",
        sent_at=datetime.combine(sent, time(12), tzinfo=TZ),
        status=status,
    )


def contact(day: date, client="acme", direction="from") -> Contact:
    return Contact(client=client, at=datetime.combine(day, time(9), tzinfo=TZ), direction=direction)


def plan(
    world_rules, today, *, rule=ON, deliverables=None, invoices=(), contacts=(), drafts=(), clients=None
):
    return checkin.due_check_ins(
        clients or world_rules.clients,
        rule,
        deliverables=[deliverable()] if deliverables is None else deliverables,
        invoices=invoices,
        contacts={c.client: c for c in contacts},
        drafts=drafts,
        today=today,
        tz=TZ,
    )


# --------------------------------------------------------------------------- the planner


def test_check_ins_are_off_by_default_so_nothing_is_ever_planned(world_rules):
    assert world_rules.escalation.check_in == CheckInRule()
    assert CheckInRule().enabled is False
    assert plan(world_rules, date(2026, 4, 1), rule=world_rules.escalation.check_in) == []


def test_five_business_days_of_silence_during_ongoing_work_give_one_check_in(world_rules):
    # The work went out on Monday 2 March and the client answered on Tuesday 3 March.
    quiet = [contact(date(2026, 3, 3))]
    assert plan(world_rules, date(2026, 3, 9), contacts=quiet) == []  # 4 business days
    (check_in,) = plan(world_rules, date(2026, 3, 10), contacts=quiet)  # the 5th
    assert check_in == CheckIn(
        key="check-in/acme/2026-03-03",
        client="acme",
        work=deliverable(),
        last_contact=quiet[0].at,
        due_on=date(2026, 3, 10),
    )
    # After downtime it is still one check-in, for the same silence.
    assert [c.key for c in plan(world_rules, date(2026, 3, 20), contacts=quiet)] == [check_in.key]


def test_a_public_holiday_in_the_clients_country_pushes_the_check_in(world_rules):
    # Last contact Thursday 2 April 2026; Good Friday (3 April) is a holiday in Spain and
    # the Netherlands, Easter Monday (6 April) in the Netherlands only.
    work = {c: deliverable(c, sent=date(2026, 3, 30)) for c in ("acme", "tulp")}
    quiet = [contact(date(2026, 4, 2), c) for c in ("acme", "tulp")]

    def due(today):
        return sorted(
            c.client for c in plan(world_rules, today, deliverables=list(work.values()), contacts=quiet)
        )

    assert due(date(2026, 4, 9)) == []  # five days later, but only four business days in Spain
    assert due(date(2026, 4, 10)) == ["acme"]
    assert due(date(2026, 4, 13)) == ["acme", "tulp"]


def test_contact_either_way_resets_the_silence_and_gives_a_new_key(world_rules):
    (first,) = plan(world_rules, date(2026, 3, 10), contacts=[contact(date(2026, 3, 3))])
    # The freelancer wrote to the client on Monday 9 March: a new silence starts there.
    mine = contact(date(2026, 3, 9), direction="to")
    assert plan(world_rules, date(2026, 3, 13), contacts=[mine]) == []
    (second,) = plan(world_rules, date(2026, 3, 16), contacts=[mine])
    assert second.key == "check-in/acme/2026-03-09" != first.key


def test_a_silence_gets_at_most_one_check_in_even_when_its_draft_was_deleted(world_rules):
    quiet = [contact(date(2026, 3, 3))]
    (check_in,) = plan(world_rules, date(2026, 3, 10), contacts=quiet)
    written = [(check_in.key, at(date(2026, 3, 10), 9))]  # drafted; deleted or not, it is taken
    for day in (date(2026, 3, 10), date(2026, 3, 11), date(2026, 3, 25)):
        assert plan(world_rules, day, contacts=quiet, drafts=written) == []
    # Only new contact, then a new silence, brings the next one.
    answered = [contact(date(2026, 3, 12))]
    assert [c.key for c in plan(world_rules, date(2026, 3, 19), contacts=answered, drafts=written)] == [
        "check-in/acme/2026-03-12"
    ]


def test_automatic_replies_and_bounces_are_not_contact(world_rules):
    now = at(date(2026, 3, 10))

    def header(**changes):
        base = MailHeader(
            message_id="<r@acme.example>",
            subject="Re: Propuesta de diseño v2",
            sender=Address.parse("Marta López <marta@acme.example>"),
            to=(IDENTITY.address,),
            date=at(date(2026, 3, 6)),
        )
        return dataclasses.replace(base, **changes)

    person = checkin.contact_in(header(), FolderRole.INBOX, world_rules, now)
    assert person == Contact(
        client="acme",
        at=at(date(2026, 3, 6)),
        direction="from",
        message_id="<r@acme.example>",
        subject="Re: Propuesta de diseño v2",
    )
    robots = [
        header(robot_headers={"Auto-Submitted": "auto-replied"}),
        header(subject="Fuera de la oficina: Propuesta de diseño v2"),
        header(sender=Address.parse("MAILER-DAEMON@acme.example"), subject="Undelivered Mail"),
    ]
    for robot in robots:
        assert checkin.contact_in(robot, FolderRole.INBOX, world_rules, now) is None, robot
    # An out-of-office in the middle of a silence does not move the check-in.
    quiet = [contact(date(2026, 3, 3))]
    assert [c.key for c in plan(world_rules, date(2026, 3, 10), contacts=quiet)] == [
        "check-in/acme/2026-03-03"
    ]


def test_mail_to_the_client_in_sent_is_contact_and_a_wrong_clock_counts_as_now(world_rules):
    now = at(date(2026, 3, 10))
    sent = MailHeader(
        message_id="<m@freelancer.example>",
        subject="Una pregunta",
        sender=IDENTITY.address,
        to=(Address.parse("otra.persona@acme.example"),),  # anyone at the client's domain
        date=at(date(2027, 1, 1)),
    )
    seen = checkin.contact_in(sent, FolderRole.SENT, world_rules, now)
    assert seen is not None and seen.client == "acme" and seen.direction == "to" and seen.at == now
    stranger = dataclasses.replace(sent, to=(Address.parse("someone@elsewhere.example"),))
    assert checkin.contact_in(stranger, FolderRole.SENT, world_rules, now) is None
    assert checkin.latest(contact(date(2026, 3, 3)), contact(date(2026, 3, 1))) == contact(date(2026, 3, 3))


def test_no_check_in_without_work_in_progress(world_rules):
    # The latest deliverable is older than active_within_days (30): the work is over.
    old = [deliverable(sent=date(2026, 1, 5))]
    assert plan(world_rules, date(2026, 3, 10), deliverables=old, contacts=[contact(date(2026, 1, 6))]) == []
    # An invoice after the latest deliverable: the job was done and billed.
    billed = [invoice(sent=date(2026, 3, 4))]
    assert plan(world_rules, date(2026, 3, 20), invoices=billed) == []
    # No deliverable at all: nothing to check in about.
    assert plan(world_rules, date(2026, 3, 20), deliverables=[]) == []
    # An earlier invoice does not end the work that followed it.
    earlier = [invoice(sent=date(2026, 2, 2), status=InvoiceStatus.PAID)]
    assert len(plan(world_rules, date(2026, 3, 10), invoices=earlier)) == 1


def test_no_check_in_to_a_client_with_a_dispute_or_a_termination_draft(world_rules):
    disputed = [invoice(sent=date(2026, 2, 2), status=InvoiceStatus.DISPUTED)]
    assert plan(world_rules, date(2026, 3, 20), invoices=disputed) == []
    ending = [("termination/acme/suggested-2026", at(date(2026, 2, 20)))]
    assert plan(world_rules, date(2026, 3, 20), drafts=ending) == []
    others = [("termination/bright/suggested-2026", at(date(2026, 2, 20)))]
    assert len(plan(world_rules, date(2026, 3, 20), drafts=others)) == 1


def test_a_draft_already_written_to_the_client_during_the_silence_is_enough(world_rules):
    follow_up = "deliverable/acme/d1234567/feedback-request"
    written = [(follow_up, at(date(2026, 3, 5)))]  # after the last contact (2 March)
    assert plan(world_rules, date(2026, 3, 10), drafts=written) == []
    before = [(follow_up, at(date(2026, 2, 20)))]  # before it: an older silence
    assert len(plan(world_rules, date(2026, 3, 10), drafts=before)) == 1
    digest = [("digest/acme/2026-03-05", at(date(2026, 3, 5)))]  # an account named like a client
    assert len(plan(world_rules, date(2026, 3, 10), drafts=digest)) == 1


def test_a_client_can_turn_check_ins_off_or_on_or_choose_the_days(world_rules):
    clients = dict(world_rules.clients)
    works = [deliverable("acme"), deliverable("bright"), deliverable("tulp")]

    def due(rule, today, **overrides):
        chosen = {**clients, **{k: dataclasses.replace(clients[k], check_in=v) for k, v in overrides.items()}}
        found = plan(world_rules, today, rule=rule, clients=chosen, deliverables=works)
        return sorted(c.client for c in found)

    today = date(2026, 3, 9)  # 5 business days after Monday 2 March
    assert due(ON, today) == ["acme", "bright", "tulp"]
    assert due(ON, today, bright=False) == ["acme", "tulp"]
    assert due(CheckInRule(), today) == []
    assert due(CheckInRule(), today, tulp=True) == ["tulp"]
    assert due(CheckInRule(), today, acme=10) == []
    assert due(CheckInRule(), date(2026, 3, 16), acme=10) == ["acme"]
    assert CheckInRule().after_days(dataclasses.replace(clients["acme"], check_in=1)) == 1


def test_the_outlook_says_why_nothing_is_drafted(world_rules):
    acme = world_rules.clients["acme"]
    seen = checkin.outlook(
        acme, ON, deliverables=[deliverable()], invoices=[], contact=None, drafts=[],
        today=date(2026, 3, 4), tz=TZ,
    )  # fmt: skip
    assert seen.held == "" and seen.due_on == date(2026, 3, 9) and not seen.due(date(2026, 3, 4))
    off = checkin.outlook(
        acme, CheckInRule(), deliverables=[], invoices=[], contact=None, drafts=[], today=MONDAY, tz=TZ
    )
    assert off.after_days is None and "off" in off.held


# --------------------------------------------------------------------------- the templates


@pytest.mark.parametrize(
    ("client_id", "greeting", "update"),
    [
        ("acme", "Hola Marta:", "Le escribo para ponerle al día sobre «Propuesta de diseño v2»."),
        ("bright", "Dear Oliver,", 'A quick update on "Propuesta de diseño v2".'),
        ("tulp", "Beste Sanne,", 'Even een korte update over "Propuesta de diseño v2".'),
    ],
)
def test_the_check_in_is_short_in_the_clients_language_and_threads_under_the_work(
    world_rules, client_id, greeting, update
):
    client = world_rules.clients[client_id]
    work = deliverable(client_id, references=("<brief@client.example>",))
    check_in = CheckIn(
        key=f"check-in/{client_id}/2026-03-03",
        client=client_id,
        work=work,
        last_contact=at(date(2026, 3, 3)),
        due_on=date(2026, 3, 10),
    )
    template = world_rules.template(client.language, "check-in")
    draft = compose.check_in_draft(
        check_in, client=client, identity=IDENTITY, template_text=template.text,
        now=at(date(2026, 3, 10), 9), today=date(2026, 3, 10), tz=TZ,
    )  # fmt: skip
    message = email.message_from_bytes(draft.data, policy=policy.default)
    assert draft.kind == "check-in" and draft.key == check_in.key
    assert message["From"] == "Lucía Romero <lucia@freelancer.example>"
    assert message["To"] == client.contact
    assert message["Subject"] == "Re: Propuesta de diseño v2"
    assert message["In-Reply-To"] == work.message_id
    assert message["References"] == f"<brief@client.example> {work.message_id}"
    assert message["Content-Language"] == client.language
    assert compose.key_of(message) == check_in.key
    body = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert body.startswith(greeting + "\n") and update in body
    assert body.count("[") == 1  # the one line the freelancer fills in: how the work is going
    assert body.rstrip().endswith("Lucía Romero\n+34 600 123 456")
    assert len(body.strip().splitlines()) <= 12  # short


def test_every_shipped_check_in_template_passes_the_check_and_a_typo_fails_it(world_rules):
    for language in ("es", "en", "nl"):
        source = world_rules.template(language, "check-in")
        assert compose.check_template(source.path, source.text, "check-in", IDENTITY, language) is None
    broken = "Hola {{ client.greeting_name }}:\n\n{{ work.subjet }}\n"
    line, message = compose.check_template("check-in.txt.j2", broken, "check-in", IDENTITY, "es")
    assert line == 3 and "subjet" in message


# --------------------------------------------------------------------------- end to end

CHECK_INS_ON = (
    (packaged_rules_dir() / "escalation.yaml")
    .read_text(encoding="utf-8")
    .replace("  enabled: false\n", "  enabled: true\n")
)


def quiet_client(world):
    """Work sent on Monday 2 March, answered on Tuesday 3 March, then only an out-of-office."""
    send_deliverable(world, MONDAY)
    answer = reply(
        sender="Marta López <marta@acme.example>",
        subject="Re: Propuesta de diseño v2",
        body="¡Gracias! Lo revisamos esta semana.\n",
        day=date(2026, 3, 3),
        in_reply_to=DELIVERY_ID,
    )
    away = reply(
        sender="Marta López <marta@acme.example>",
        subject="Fuera de la oficina: Propuesta de diseño v2",
        body="Estoy fuera hasta el lunes 16.\n",
        day=date(2026, 3, 6),
        in_reply_to=DELIVERY_ID,
        Auto_Submitted="auto-replied",
    )
    world.deliver("INBOX", answer)
    world.deliver("INBOX", away)


def test_six_business_days_of_silence_give_exactly_one_check_in_draft(world, tmp_path):
    me = Freelancer(world, tmp_path / "config", rules={"escalation.yaml": CHECK_INS_ON})
    quiet_client(world)
    assert me.run(date(2026, 3, 9)).drafted == []  # four business days: not yet
    report = me.run(date(2026, 3, 11))  # six business days after the last human word
    assert [d.key for d in report.drafted] == ["check-in/acme/2026-03-03"]  # the out-of-office did not count
    ((flags, draft),) = me.drafts()
    assert "\\Draft" in flags
    assert draft["From"] == "Lucía Romero <lucia@freelancer.example>"
    assert draft["To"] == "Marta López <marta@acme.example>"
    assert draft["Subject"] == "Re: Propuesta de diseño v2"
    assert draft["In-Reply-To"] == DELIVERY_ID
    assert draft["Content-Language"] == "es"
    assert compose.key_of(draft) == "check-in/acme/2026-03-03"
    body = draft.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "Le escribo para ponerle al día sobre «Propuesta de diseño v2»" in body
    assert "Lucía Romero\n+34 600 123 456" in body
    assert me.run(date(2026, 3, 11), hour=18).drafted == []  # a second pass writes none
    assert me.run(date(2026, 3, 12)).drafted == []
    assert len(me.drafts()) == 1
    with me.store() as store:
        (last,) = store.contacts().values()
    assert last.direction == "from" and last.at == at(date(2026, 3, 3), 9)


def test_with_the_rule_off_as_shipped_no_check_in_is_written(world, me):
    quiet_client(world)
    report = me.run(date(2026, 3, 11))
    assert report.drafted == [] and me.drafts() == []
    with me.store() as store:
        (deliverable_,) = store.deliverables()
        assert store.contacts()["acme"].at == at(date(2026, 3, 3), 9)  # known, should it be turned on
    assert deliverable_.status is DeliverableStatus.ANSWERED


def test_a_sent_check_in_is_contact_and_the_next_comes_after_a_new_silence(world, tmp_path):
    me = Freelancer(world, tmp_path / "config", rules={"escalation.yaml": CHECK_INS_ON})
    quiet_client(world)
    me.run(date(2026, 3, 11))
    me.send_drafts(date(2026, 3, 11))  # the freelancer filled in the line and sent it
    report = me.run(date(2026, 3, 17))  # four business days after it: not yet
    assert report.drafted == [] and report.sent == ["check-in/acme/2026-03-03"]
    assert [d.key for d in me.run(date(2026, 3, 18)).drafted] == ["check-in/acme/2026-03-11"]
    assert len(me.drafts()) == 1


def test_scan_and_status_say_why_a_check_in_is_due_for_the_one_client_who_wants_them(capsys, tmp_path):
    from assistant.cli import main
    from tests.support.mailboxes import MaildirWorld
    from tests.support.world import CLIENTS_YAML, write_config

    # The command line runs on the real clock: the story is told relative to today.
    today = datetime.now(TZ).date()
    sent, answered = today - timedelta(days=20), today - timedelta(days=15)
    world = MaildirWorld(tmp_path / "Maildir")
    send_deliverable(world, sent)
    world.deliver(
        "INBOX",
        reply(
            sender="Marta López <marta@acme.example>",
            subject="Re: Propuesta de diseño v2",
            body="Recibido, gracias.\n",
            day=answered,
            in_reply_to=DELIVERY_ID,
        ),
    )
    path = write_config(tmp_path / "cfg", world.account_yaml())
    only_acme = CLIENTS_YAML.replace("    country: ES\n", "    country: ES\n    check_in: true\n", 1)
    (tmp_path / "cfg" / "rules" / "clients.yaml").write_text(only_acme, encoding="utf-8")

    assert main(["scan", "--config", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "drafts that would be written: 1" in out
    assert f"(work in progress 'Propuesta de diseño v2'; no contact since {answered})" in out
    assert world.messages("Drafts") == []
    assert main(["scan", "--config", str(path)]) == 0
    assert f"key check-in/acme/{answered}" in capsys.readouterr().out
    assert main(["status", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    section = out.split("Check-ins\n")[1].split("\n\n")[0]
    assert "(a deliverable of the last 30 days, not invoiced yet)" in " ".join(section.split())
    assert "- acme · after 5 business days · work in progress 'Propuesta de diseño v2'" in section
    assert f"last contact {answered}" in section
    assert "no check-in: the check-in for this silence was written" in section
    assert "bright" not in section  # off for the others
    drafts = out.split("Drafts waiting for you to send\n")[1].split("\n\n")[0]
    assert drafts.count("\n  - ") + drafts.startswith("  - ") == 1 and "check-in" in drafts, drafts
