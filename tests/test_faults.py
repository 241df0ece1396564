"""Network faults: a proxy between the assistant and Dovecot resets, cuts, stalls and delays
the connection at seeded random points of sync, FETCH and APPEND. After each trial the
ledger and the drafts equal those of a fault-free run (nothing missing, nothing twice),
and the freelancer's mail is exactly as it was, but for the assistant's own drafts.

``FA_FAULT_TRIALS`` (default 36, four faults planned each) sets the number of trials.
"""

from __future__ import annotations

import os
import random
from datetime import date

import pytest

from assistant.domain.compose import KEY_HEADER, key_of
from assistant.errors import LoginFailed, MailboxError
from tests.support.freelancer import Freelancer, send_invoice
from tests.support.mailboxes import ImapWorld, parsed
from tests.support.proxy import TO_CLIENT, TO_SERVER, Fault, Proxy
from tests.support.world import at, invoice_email, plain_email
from tests.test_replies import reply, send_deliverable

# Randomised trials: two thirds of the suite's time; `./tests/run -m "not trials"` skips them.
pytestmark = pytest.mark.trials

TRIALS = int(os.environ.get("FA_FAULT_TRIALS", "36"))
FAULTS_PER_TRIAL = 4
DAY = date(2026, 4, 10)
FIGURES = {"trials": 0, "injected": 0, "passes_failed": 0}


def fill(world) -> None:
    """Three invoices, three kinds of answer, a deliverable, and mail around them."""
    send_invoice(world)  # acme 2026-001, due 16 March: chased
    for to, subject, body, filename, message_id in (
        (
            "Oliver <oliver@bright.example>",
            "Invoice INV-0042",
            "Amount due: £2,400.00\n",
            "invoice-INV-0042.pdf",
            "<inv-42@x>",
        ),
        (
            "Sanne <sanne@tulp.example>",
            "Factuur 2026-017",
            "Te betalen: € 850,00\n",
            "Factuur 2026-017.pdf",
            "<inv-17@x>",
        ),
    ):
        data = invoice_email(
            to=to,
            subject=subject,
            body=body,
            filename=filename,
            sent=at(date(2026, 3, 2)),
            message_id=message_id,
        )
        world.deliver("Sent", data)
    send_deliverable(world, date(2026, 4, 2))
    world.deliver(
        "INBOX",
        reply(
            sender="Sanne <sanne@tulp.example>",
            subject="Re: Factuur 2026-017",
            body="De factuur is betaald.\n",
            day=date(2026, 3, 20),
            in_reply_to="<inv-17@x>",
        ),
    )
    world.deliver(
        "INBOX",
        reply(
            sender="Oliver <oliver@bright.example>",
            subject="Re: Invoice INV-0042",
            body="We will pay on 20 April.\n",
            day=date(2026, 4, 3),
            in_reply_to="<inv-42@x>",
        ),
    )
    for n in range(40):  # the rest of a mailbox, so faults land in long responses too
        world.deliver(
            "INBOX",
            plain_email(
                sender=f"news{n}@letters.example",
                to="lucia@freelancer.example",
                subject=f"Newsletter {n}",
                body="x" * 1500,
            ),
        )
        world.deliver(
            "Sent",
            plain_email(sender="lucia@freelancer.example", to=f"friend{n}@home.example", subject=f"Hola {n}"),
        )


def canonical(me: Freelancer) -> dict:
    """The ledger and the drafts, in a form two runs can be compared by."""
    with me.store() as store:
        state = {
            "invoices": sorted(
                (i.client, i.number, i.status.value, str(i.paid_amount), i.hold_until)
                for i in store.invoices()
            ),
            "deliverables": sorted((d.client, d.message_id, d.status.value) for d in store.deliverables()),
            "outbox": sorted((e.key, e.state) for e in store.outbox()),
        }
    state["drafts"] = sorted(key_of(d) for _, d in me.drafts())
    return state


def proxied_account(dovecot, user: str, port: int) -> str:
    return (
        f"- name: main\n  imap:\n    host: 127.0.0.1\n    port: {port}\n    security: plain\n"
        f"    username: {user}\n    password: {dovecot.password}\n    timeout: 1\n"
    )


class Proxied(ImapWorld):
    """The same Dovecot account; the assistant's own connections go through the proxy."""

    def __init__(self, dovecot, user, proxy_port: int):
        super().__init__(dovecot, user)
        self.proxy_port = proxy_port

    def account_yaml(self, name: str = "main") -> str:
        return proxied_account(self.dovecot, self.user, self.proxy_port)


@pytest.fixture(scope="module")
def reference(dovecot, tmp_path_factory):
    """The fault-free run everything is compared with."""
    world = ImapWorld(dovecot, "faultsreference")
    fill(world)
    me = Freelancer(world, tmp_path_factory.mktemp("reference"))
    me.run(DAY)
    me.run(DAY, hour=12)
    state = canonical(me)
    assert state["drafts"] == [
        "deliverable/acme/" + state["drafts"][0].split("/")[2] + "/feedback-request",
        "invoice/acme/2026-001/first-reminder",  # the first letter is always the first stage
    ]
    return state


def fault_plan(seed: int) -> list[Fault]:
    """Four faults aimed where a pass can be hurt: in a command it sends (EXAMINE, SEARCH,
    FETCH, APPEND: a few hundred bytes at most) or in what the server streams back."""
    rng = random.Random(f"faults-{seed}")
    plan = []
    for _ in range(FAULTS_PER_TRIAL):
        kind = rng.choice(("reset", "cut", "stall", "delay"))
        seconds = round(rng.uniform(0.3, 1.5), 3) if kind in ("stall", "delay") else None
        if rng.random() < 0.5:
            pattern = rng.choice((b"EXAMINE", b"SEARCH", b"FETCH", b"APPEND"))
            plan.append(
                Fault(kind, TO_SERVER, pattern=pattern, after_bytes=rng.randint(0, 60), seconds=seconds)
            )
        else:
            pattern = rng.choice((None, b"FETCH"))
            plan.append(
                Fault(kind, TO_CLIENT, pattern=pattern, after_bytes=rng.randint(0, 6_000), seconds=seconds)
            )
    return plan


def test_network_faults_lose_nothing_and_duplicate_nothing(dovecot, reference, tmp_path):
    for seed in range(TRIALS):
        user = f"faults{seed}"
        world = ImapWorld(dovecot, user)
        fill(world)
        before = dovecot.snapshot(user)
        with Proxy(dovecot.host, dovecot.port) as proxy:
            proxy.plan(fault_plan(seed))
            me = Freelancer(Proxied(dovecot, user, proxy.port), tmp_path / str(seed))
            for _ in range(12):
                try:
                    report = me.run(DAY)
                except MailboxError:
                    FIGURES["passes_failed"] += 1
                    continue
                if not report.errors:
                    break
                FIGURES["passes_failed"] += 1
            me.run(DAY, hour=12)  # what a service's next pass would do
            injected = [f for f in proxy.faults_injected if f.fault is not None]
        FIGURES["trials"] += 1
        FIGURES["injected"] += len(injected)
        assert canonical(me) == reference, (
            f"seed {seed}: {[(f.kind, f.direction, f.offset) for f in injected]}"
        )
        assert_only_drafts_were_added(dovecot, world, user, before)
    print(f"\nnetwork faults: {FIGURES}")
    assert FIGURES["injected"] >= min(100, TRIALS * 2.5)


def assert_only_drafts_were_added(dovecot, world, user: str, before: dict) -> None:
    """Every message there was is still there with the same flags; new ones are our drafts."""
    after = dovecot.snapshot(user)
    for folder, messages in before.items():
        if folder == "Drafts":
            assert messages <= after[folder]
        else:
            assert after[folder] == messages, f"{folder} changed"
    added = after["Drafts"] - before.get("Drafts", set())
    drafts = world.messages("Drafts")
    assert len(added) == len(drafts) and all(parsed(data)[KEY_HEADER] for _, data in drafts)
    assert all("\\Draft" in flags for _, flags in added)


def test_a_server_that_is_down_loses_nothing(dovecot, reference, tmp_path):
    """Refused connections for a while (the server is down): passes fail cleanly, then catch up."""
    world = ImapWorld(dovecot, "serverdown")
    fill(world)
    with Proxy(dovecot.host, dovecot.port) as proxy:
        me = Freelancer(Proxied(dovecot, "serverdown", proxy.port), tmp_path)
        proxy.refuse(True)
        for _ in range(3):
            with pytest.raises(MailboxError, match="connecting"):
                me.run(DAY)
        proxy.refuse(False)
        me.run(DAY)
        me.run(DAY, hour=12)
    assert canonical(me) == reference


def test_a_connection_dropped_in_the_middle_of_append_leaves_one_draft(dovecot, reference, tmp_path):
    """The exactly-once protocol under the worst cut: the server may have stored the draft."""
    world = ImapWorld(dovecot, "appendcut")
    fill(world)
    with Proxy(dovecot.host, dovecot.port) as proxy:
        proxy.plan(
            [
                # the server stored the draft, its answer never arrives...
                Fault("cut", TO_CLIENT, pattern=b"APPENDUID", after_bytes=0),
                # ...then the next draft is cut off half-way through its upload
                Fault("reset", TO_SERVER, pattern=b"APPEND", after_bytes=500),
            ]
        )
        me = Freelancer(Proxied(dovecot, "appendcut", proxy.port), tmp_path)
        for _ in range(6):
            try:
                if not me.run(DAY).errors:
                    break
            except MailboxError:
                continue
        me.run(DAY, hour=12)
        fired = [(f.kind, f.direction) for f in proxy.faults_injected if f.fault is not None]
    assert fired == [("cut", TO_CLIENT), ("reset", TO_SERVER)]
    assert canonical(me) == reference


def test_a_connection_cut_during_login_is_not_taken_for_a_wrong_password(dovecot, tmp_path):
    """imapclient reports every failure of LOGIN as LoginError; a cut link must not read
    as "wrong password" (which would send the freelancer to fix a password that is right)."""
    world = ImapWorld(dovecot, "logincut")
    with Proxy(dovecot.host, dovecot.port) as proxy:
        proxy.plan([Fault("cut", TO_CLIENT, pattern=b"Logged in", after_bytes=0)])
        me = Freelancer(Proxied(dovecot, "logincut", proxy.port), tmp_path)
        with pytest.raises(MailboxError) as failure:
            me.run(DAY)
        assert not isinstance(failure.value, LoginFailed)
        assert "connection lost" in str(failure.value)
        assert [f.kind for f in proxy.faults_injected if f.fault is not None] == ["cut"]
        assert not me.run(DAY).errors  # and the next pass logs in and works
    assert world.messages("INBOX") == []


def test_report_figures():
    """Not a check: the figures for README "Reliability" (run with -s)."""
    print(f"\nnetwork-fault figures: {FIGURES}")
