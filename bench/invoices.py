"""bench/invoices.py: how well are invoices read? Accuracy per field on generated invoices.

    .venv/bin/python bench/invoices.py            # the table, and every miss
    .venv/bin/python bench/invoices.py --json FILE

Each sample (bench/invoice_pdfs.py: the layouts of Holded, Quaderno, Billin, Moneybird,
Jortt, e-Boekhouden, FreshBooks, Invoice Ninja, Zoho Invoice, Xero, Wave and office
templates in es/en/nl, Factur-X PDFs, UBL and Facturae attachments) is an email in Sent
read the way a scan reads it: ``parse_mail`` then ``classify_sent`` with the shipped rules.
The subjects and bodies name no number, amount or date, so every fact comes from the
invoice itself. Also counted: numbers read as a date, numbers that lost a letter.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, date
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.adapters.parse import parse_mail
from assistant.config import load_rules
from assistant.domain.classify import classify_sent
from assistant.domain.extract import parse_date
from assistant.domain.model import Defaults
from bench.invoice_pdfs import Sample, samples

FIELDS = ("number", "amount", "currency", "issue_date", "due_date")

CLIENTS_YAML = """\
clients:
  acme:
    name: ACME Soluciones S.L.
    contact: Marta López <marta@acme.example>
    language: es
    country: ES
  bright:
    name: Brightside Media Ltd
    contact: Oliver Hughes <oliver@bright.example>
    language: en
    country: GB
    currency: GBP
    payment_terms_days: 45
  tulp:
    name: Tulp Design B.V.
    contact: Sanne de Vries <sanne@tulp.example>
    language: nl
    country: NL
"""


def read(sample: Sample, rules) -> dict[str, object]:
    mail = parse_mail(sample.email)
    seen = classify_sent(mail, rules, tz=UTC, seen_on=date(2026, 1, 1))
    if seen is None:
        return {}
    invoice = seen.invoice
    return {
        "number": invoice.number,
        "amount": invoice.amount.amount if invoice.amount else None,
        "currency": invoice.amount.currency if invoice.amount else None,
        "issue_date": invoice.issue_date,
        "due_date": invoice.due_date,
        "read_from": dict(invoice.read_from),
    }


def run(rules_dir: Path | None = None) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        if rules_dir is None:
            rules_dir = Path(folder)
            (rules_dir / "clients.yaml").write_text(CLIENTS_YAML, encoding="utf-8")
        rules = load_rules(rules_dir, Defaults())
    made = time.perf_counter()
    invoices = samples()
    made = time.perf_counter() - made
    right = dict.fromkeys(FIELDS, 0)
    misses: list[dict] = []
    dates_as_numbers = lost_letters = 0
    started = time.perf_counter()
    for sample in invoices:
        got = read(sample, rules)
        expected = sample.expected
        want = {
            "number": expected.number,
            "amount": expected.amount,
            "currency": expected.currency,
            "issue_date": expected.issue_date,
            "due_date": expected.due_date,
        }
        number = str(got.get("number", ""))
        if number and parse_date(number, language="en") is not None:
            dates_as_numbers += 1
        if number and number != expected.number and number in expected.number:
            lost_letters += 1
        for field in FIELDS:
            if got.get(field) == want[field]:
                right[field] += 1
            else:
                misses.append(
                    {
                        "sample": sample.name,
                        "field": field,
                        "expected": str(want[field]),
                        "read": str(got.get(field)),
                        "from": (got.get("read_from") or {}).get(field, ""),
                    }
                )
    elapsed = time.perf_counter() - started
    total = len(invoices)
    return {
        "invoices": total,
        "tools": sorted({s.tool for s in invoices}),
        "languages": sorted({s.language for s in invoices}),
        "einvoices": sum(1 for s in invoices if s.einvoice),
        "accuracy": {field: right[field] / total for field in FIELDS},
        "all_fields_right": sum(1 for s in invoices if not any(m["sample"] == s.name for m in misses))
        / total,
        "numbers_read_as_dates": dates_as_numbers,
        "numbers_missing_a_letter": lost_letters,
        "misses": misses,
        "ms_per_invoice": 1000 * elapsed / total,
        "generate_s": made,
    }


def format_report(result: dict) -> list[str]:
    lines = [
        f"{result['invoices']} invoices ({result['einvoices']} with an e-invoice), "
        f"{len(result['tools'])} tools, languages {', '.join(result['languages'])}",
        "",
        "| field | right |",
        "|---|---|",
    ]
    for field, share in result["accuracy"].items():
        lines.append(f"| {field} | {share:.1%} |")
    lines.append(f"| every field of an invoice | {result['all_fields_right']:.1%} |")
    lines += [
        "",
        f"numbers read as a date: {result['numbers_read_as_dates']}; "
        f"numbers missing a letter: {result['numbers_missing_a_letter']}",
        f"{result['ms_per_invoice']:.1f} ms per invoice (parse + classify)",
    ]
    for miss in result["misses"]:
        lines.append(
            f"  miss {miss['sample']}: {miss['field']} read {miss['read']!r} ({miss['from']}), "
            f"expected {miss['expected']!r}"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the result as JSON here")
    args = parser.parse_args(argv)
    result = run()
    for line in format_report(result):
        print(line)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
