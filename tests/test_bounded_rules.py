"""User code is bounded: a catastrophic pattern is refused at load, one that slips through costs
one message (reported, with the rule) and not the pass, and a template cannot build a huge draft."""

from __future__ import annotations

import re
import time
from datetime import date

import pytest

from assistant.config import packaged_rules_dir
from assistant.domain import compose, patterns
from assistant.domain.patterns import RulePattern, RuleTooSlow
from tests.support.freelancer import Freelancer, send_invoice
from tests.test_replies import reply

SLOW = "(x+x+)+y"  # the pattern: exponential backtracking on a run of x's
MARTA = "Marta López <marta@acme.example>"


@pytest.mark.parametrize(
    "source", [SLOW, r"(a+)+b", r"(\w+\s?)+$", r"(a|aa)+b", r"(?:x+x+){1,16}y", r"(.*x){14}y"]
)
def test_a_catastrophic_pattern_is_found_at_load(source):
    started = time.perf_counter()
    assert patterns.slow_input(RulePattern(re.compile(source))), source
    assert time.perf_counter() - started < 3


@pytest.mark.parametrize(
    "source",
    [
        r"(?i)\bfactura\s*[:#]?\s*(?P<number>[A-Z]{0,6}[-/]?\d[\w/-]*)",
        r"(?:\s+\w+)*x",
        r"(?i)(?:re|fw|aw)+:\s*(.+)",
        r"factura(?:\s*-\s*\d+)+z",
    ],
)
def test_an_ordinary_pattern_passes_the_check(source):
    assert patterns.slow_input(RulePattern(re.compile(source))) == ""


def test_every_shipped_pattern_passes_the_check_quickly():
    from assistant.config import load_rules
    from assistant.domain.model import Defaults
    from tests.support.world import IDENTITY

    checked = []
    original = patterns.slow_input

    def counting(pattern):
        started = time.perf_counter()
        result = original(pattern)
        checked.append(time.perf_counter() - started)
        return result

    import assistant.domain.model as model

    model.slow_input = counting
    try:
        load_rules(packaged_rules_dir(), Defaults(), IDENTITY)
    finally:
        model.slow_input = original
    assert len(checked) > 40
    print(f"{len(checked)} shipped patterns checked in {sum(checked) * 1000:.0f} ms")
    assert sum(checked) < 1.0


def test_a_slow_pattern_stops_at_its_time_limit_naming_the_rule_not_the_mail():
    pattern = RulePattern(re.compile(SLOW))
    started = time.perf_counter()
    with pytest.raises(RuleTooSlow) as slow:
        pattern.search("x" * 5000)
    took = time.perf_counter() - started
    assert "(x+x+)+y" in str(slow.value) and "xxxxx" not in str(slow.value)
    print(f"limit {patterns.RUN_LIMIT} s, stopped after {took:.2f} s")
    assert took < 10 * patterns.RUN_LIMIT


def test_a_pattern_that_slips_through_costs_one_message_and_the_pass_goes_on(world, tmp_path, monkeypatch):
    """The load check is a heuristic: behind it, the time limit. The invoice is still read,
    the client's payment message still counts, the slow one is reported with the rule."""
    monkeypatch.setattr("assistant.domain.model.slow_input", lambda pattern: "")
    signals = (packaged_rules_dir() / "signals.yaml").read_text(encoding="utf-8")
    signals = signals.replace("paid:\n", f"paid:\n  - '{SLOW}'\n", 1)
    me = Freelancer(world, tmp_path / "config", rules={"signals.yaml": signals})
    send_invoice(world)
    world.deliver(
        "INBOX",
        reply(sender=MARTA, subject="Re: Factura 2026-001", body="x" * 3000 + "\n", day=date(2026, 3, 10)),
    )
    world.deliver(
        "INBOX",
        reply(
            sender=MARTA,
            subject="Re: Factura 2026-001",
            body="Hola Lucía, ya hemos pagado la factura.\n",
            day=date(2026, 3, 11),
        ),
    )
    started = time.perf_counter()
    report = me.run(date(2026, 3, 12))
    took = time.perf_counter() - started
    (skipped,) = report.skipped_messages
    assert "RuleTooSlow: the rule pattern '(x+x+)+y' took more than" in skipped, skipped
    assert "xxxx" not in skipped
    assert [i.number for i in report.invoices] == ["2026-001"]
    with me.store() as store:
        (invoice,) = store.invoices()
    # The message after the slow one still counted: the client's own words say it is paid.
    assert (invoice.status.value, invoice.paid_on, invoice.paid_via) == ("claimed", date(2026, 3, 11), "client")
    assert took < 30, took


def test_a_template_that_builds_a_huge_text_is_refused_without_building_it():
    import tracemalloc

    tracemalloc.start()
    try:
        with pytest.raises(compose.TemplateError, match="builds a text of 300000000 characters"):
            compose.render('Hola\n{{ "x" * 300000000 }}\n', {})
        with pytest.raises(compose.TemplateError, match="the limit is 1000000"):
            compose.render('{% for i in range(100000) %}{{ "x" * 100 }}{% endfor %}', {})
        with pytest.raises(compose.TemplateError, match="builds a text of"):
            compose.render('{{ "x"|center(300000000) }}', {})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    print(f"three huge templates refused; peak memory {peak / 1e6:.1f} MB")
    assert peak < 20 * 1024 * 1024, peak
    assert compose.render('{{ "ab" * 3 }} {{ "%s-%s" % (1, 2) }} {{ 2 ** 10 }}', {}) == "ababab 1-2 1024\n"


def test_sigterm_stops_the_service_within_ten_seconds_while_a_slow_rule_runs(tmp_path):
    """The issue's `run` ignored SIGTERM for 30 s: `re` held the interpreter while it backtracked."""
    import os
    import signal
    import subprocess
    import sys

    from tests.support.mailboxes import MaildirWorld
    from tests.support.world import write_config

    world = MaildirWorld(tmp_path / "Maildir")
    send_invoice(world)
    for day in range(3, 23):
        body = "x" * 3000 + "\n"
        world.deliver(
            "INBOX", reply(sender=MARTA, subject="Re: Factura 2026-001", body=body, day=date(2026, 3, day))
        )
    config = write_config(tmp_path, world.account_yaml())
    signals = (packaged_rules_dir() / "signals.yaml").read_text(encoding="utf-8")
    (tmp_path / "rules" / "signals.yaml").write_text(signals.replace("paid:\n", f"paid:\n  - '{SLOW}'\n", 1))
    # The pattern slipped past the load check (as if the heuristic had missed it).
    code = (
        "import sys, assistant.domain.model as m; m.slow_input = lambda p: ''; "
        "from assistant.cli import main; sys.exit(main(['run', '--config', sys.argv[1]]))"
    )
    log = tmp_path / "service.log"
    with log.open("wb") as err:
        service = subprocess.Popen(
            [sys.executable, "-c", code, str(config)], stderr=err, stdout=subprocess.DEVNULL
        )
        try:
            deadline = time.monotonic() + 60
            while b"took more than" not in log.read_bytes():  # the slow rule is running now
                assert service.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
            asked = time.monotonic()
            service.send_signal(signal.SIGTERM)
            service.wait(timeout=30)
            took = time.monotonic() - asked
        finally:
            if service.poll() is None:
                os.kill(service.pid, signal.SIGKILL)
                service.wait()
    print(f"stopped {took:.1f} s after SIGTERM, in the middle of a pass of slow messages")
    assert took < 10, log.read_text()
