"""The optional open-banking sync, against a local stand-in of the GoCardless Bank Account Data API."""

from __future__ import annotations

import logging
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from assistant import cli
from assistant.domain.model import InvoiceStatus
from assistant.errors import ConfigError
from tests.support.aggregator import SECRET_ID, SECRET_KEY, Aggregator
from tests.support.freelancer import Freelancer, send_invoice
from tests.support.world import at
from tests.support.world import config as make_config

TODAY = date(2026, 3, 25)  # invoice 2026-001 (1.210,00 €) fell due on 16 March


def transfer(day: str, amount: str, *, tid: str, remittance: str, name: str = "ACME SOLUCIONES SL") -> dict:
    return {
        "transactionId": tid, "bookingDate": day, "valueDate": day,
        "transactionAmount": {"amount": amount, "currency": "EUR"}, "debtorName": name,
        "debtorAccount": {"iban": "ES7620770024003102575766"}, "remittanceInformationUnstructured": remittance,
    }  # fmt: skip


def sync_yaml(url: str, env: str = "FA_BANK_SECRET") -> str:
    return (
        f"  bank_sync:\n    url: {url}\n    secret_id: {SECRET_ID}\n    secret_key_env: {env}\n"
        "    requisition: req-1\n    timeout: 5\n"
    )


def test_the_sync_pays_the_invoice_once_reports_the_consent_and_never_logs_the_secret(
    world, tmp_path: Path, monkeypatch, capsys, caplog
):
    monkeypatch.setenv("FA_BANK_SECRET", SECRET_KEY)
    booked = [
        transfer("2026-03-20", "1210.00", tid="tx-1", remittance="Factura 2026-001"),
        transfer("2026-03-21", "-30.00", tid="tx-2", remittance="comision"),
    ]
    with Aggregator(booked=booked, accepted="2026-01-01T09:00:00Z", valid_days=90) as bank:
        me = Freelancer(world, tmp_path / "config", account_extra=sync_yaml(bank.url))
        send_invoice(world)
        caplog.set_level(logging.DEBUG)
        first = me.run(TODAY)
        assert first.errors == [] and first.planned == []  # paid by the transfer before anything is planned
        with me.store() as store:
            invoice = store.invoice("acme", "2026-001")
            assert invoice.status is InvoiceStatus.PAID and invoice.paid_via == "bank"
            assert invoice.paid_on == date(2026, 3, 20)
            assert [t.credit.transaction_id for t in store.bank_transactions()] == ["gocardless:acc-1/tx-1"]
        calls = len(bank.requests)
        assert ("GET", "/api/v2/accounts/acc-1/transactions/") in bank.requests
        # A later pass within every_hours does not call the aggregator again.
        me.run(TODAY, hour=12)
        assert len(bank.requests) == calls
        # The next day it does, and the same transactions change nothing.
        again = me.run(TODAY + timedelta(days=1))
        assert len(bank.requests) > calls and again.changes == [] and again.errors == []
    assert SECRET_KEY not in caplog.text
    # The consent (accepted 1 January, 90 days) ends on 1 April: status says so, in time.
    monkeypatch.setattr(cli, "_now", lambda: at(TODAY))
    assert cli.main(["status", "--config", str(me.config.path)]) == 0
    out = capsys.readouterr().out
    assert "the bank's consent ends on 2026-04-01: link the bank again" in out
    # ...and cites the transfer that paid the invoice: day, amount, payer, reference.
    assert re.search(
        r"2026-03-20 +€1,210\.00 +ACME SOLUCIONES SL +'Factura 2026-001' -> acme/2026-001", out
    )


def test_a_refused_secret_is_a_pass_error_that_names_no_secret_and_keeps_the_mail_pass(
    world, tmp_path: Path, monkeypatch
):
    monkeypatch.setenv("FA_BANK_SECRET", "wrong-" + SECRET_KEY)
    with Aggregator(booked=[]) as bank:
        me = Freelancer(world, tmp_path / "config", account_extra=sync_yaml(bank.url))
        send_invoice(world)
        report = me.run(TODAY)
    assert len(report.errors) == 1 and "HTTP 401" in report.errors[0]
    assert SECRET_KEY not in report.errors[0]
    assert [p.invoice.number for p in report.planned] == ["2026-001"]  # the mail pass went on


def test_bank_sync_is_off_by_default_and_plain_http_only_reaches_loopback(tmp_path: Path):
    plain = f"- name: main\n  maildir:\n    path: {tmp_path / 'M'}\n"
    assert make_config(tmp_path / "a", plain).account(None).bank_sync is None
    with pytest.raises(ConfigError, match="https"):
        make_config(tmp_path / "b", plain + sync_yaml("http://bank.example"))
