"""The invoice benchmark (bench/invoices.py) holds its targets: every field right in at
least 98 % of the generated invoices, no number read as a date or missing a letter."""

from __future__ import annotations

from bench.invoices import FIELDS, format_report, run


def test_the_invoice_benchmark_meets_its_targets():
    result = run()
    report = "\n".join(format_report(result))
    assert result["invoices"] >= 30 and result["einvoices"] >= 4, report
    assert {"es", "en", "nl"} <= set(result["languages"]), report
    assert len(result["tools"]) >= 12, report
    for field in FIELDS:
        assert result["accuracy"][field] >= 0.98, report
    assert result["numbers_read_as_dates"] == 0 and result["numbers_missing_a_letter"] == 0, report
