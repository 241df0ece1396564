"""The client review (S13, seeds 000 and 003): numbers checked by hand, and the HTML report in a browser.

The scenario is the year 2025 reviewed on 15 January 2026, four clients:

* Acme (EUR) pays, a little late sometimes; one invoice still open;
* Globex (USD) pays very late, disputes, keeps asking for "one more change";
* Initech (EUR, one invoice in GBP) is late and leaves work unanswered;
* Hooli (EUR) did nothing this year.

Every expected number is worked out in the comments next to the data.
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import time
import zlib
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from html import escape as html_escape
from html import unescape as html_unescape
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from assistant.domain.model import Client, Deliverable, DeliverableStatus, Invoice, InvoiceStatus, Money
from assistant.domain.review import (
    AGEING_BUCKETS,
    ClientReview,
    Period,
    ageing,
    review_clients,
    trouble_score,
    troublesome,
)
from assistant.review_report import COLOURS, render_html, render_text

TODAY = date(2026, 1, 15)
YEAR = Period.year(2025)  # [2025-01-01, 2026-01-01)
D = Decimal


def at(day: str, clock: str = "10:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}:00+00:00")


def client(id: str, name: str, currency: str = "EUR") -> Client:
    return Client(id=id, name=name, contact=f"{name} <billing@{id}.example>", currency=currency)


def invoice(
    client: str,
    number: str,
    amount: str,
    currency: str,
    issued: str,
    due: str,
    *,
    paid_on: str | None = None,
    paid_amount: str | None = None,
    status: InvoiceStatus | None = None,
) -> Invoice:
    if status is None:
        status = InvoiceStatus.PAID if paid_on else InvoiceStatus.OPEN
    return Invoice(
        client=client,
        number=number,
        amount=Money(amount=D(amount), currency=currency),
        issue_date=date.fromisoformat(issued),
        due_date=date.fromisoformat(due),
        message_id=f"<{number}@me.example>",
        subject=f"Invoice {number}",
        sent_at=at(issued),
        status=status,
        paid_on=date.fromisoformat(paid_on) if paid_on else None,
        paid_amount=D(paid_amount if paid_amount is not None else (amount if paid_on else "0")),
    )


def deliverable(
    client: str, name: str, sent: str, status: DeliverableStatus, clock: str = "10:00"
) -> Deliverable:
    return Deliverable(
        client=client, message_id=f"<{name}@me.example>", subject=name, sent_at=at(sent, clock), status=status
    )


@dataclass(frozen=True)
class Sent:
    """An outbox entry as the store returns it (only the fields the review reads)."""

    kind: str
    state: str
    item: str
    sent_at: datetime | None
    key: str = ""


def reminder(item: str, sent: str | None, state: str = "sent", kind: str = "reminder") -> Sent:
    return Sent(kind, state, item, at(sent) if sent else None, key=f"{item}/x")


CLIENTS = {
    c.id: c
    for c in (
        client("acme", "Acme Ltd"),
        client("globex", "Globex Corporation", "USD"),
        client("initech", "Initech BV"),
        client("hooli", "Hooli"),
    )
}

INVOICES = [
    # Acme, EUR
    invoice("acme", "A1", "1000", "EUR", "2025-02-01", "2025-02-15", paid_on="2025-02-14"),  # 0 days late
    invoice("acme", "A2", "2000", "EUR", "2025-06-01", "2025-06-15", paid_on="2025-06-20"),  # 5 days late
    invoice(
        "acme", "A3", "500", "EUR", "2025-11-15", "2025-12-01"
    ),  # open: 2025-12-01 -> 2026-01-15 = 45 days
    # Globex, USD
    invoice("globex", "G1", "4000", "USD", "2025-03-01", "2025-03-31", paid_on="2025-05-15"),  # 45 days late
    # open, 1000 of 3000 received in two part-payments (Oct and Nov): 2025-10-01 -> 2026-01-15 = 106 days
    invoice("globex", "G2", "3000", "USD", "2025-09-01", "2025-10-01", paid_amount="1000"),
    # issued and due in 2024, paid in 2025: counts only as money received in 2025
    invoice("globex", "G3", "1500", "USD", "2024-11-15", "2024-12-15", paid_on="2025-01-20"),
    # disputed, unpaid: 2025-11-01 -> 2026-01-15 = 75 days
    invoice("globex", "G4", "800", "USD", "2025-10-01", "2025-11-01", status=InvoiceStatus.DISPUTED),
    # Initech, EUR and one in GBP
    invoice("initech", "I1", "1200", "EUR", "2025-04-01", "2025-04-15", paid_on="2025-04-25"),  # 10 days late
    # open, 100 received on 2026-01-10 (after the period): 2025-08-31 -> 2026-01-15 = 137 days
    invoice("initech", "I2", "600", "GBP", "2025-08-01", "2025-08-31", paid_amount="100"),
    invoice(
        "initech", "I3", "900", "EUR", "2026-01-01", "2026-01-15"
    ),  # issued on the period's end: not 2025
    invoice("initech", "I4", "300", "EUR", "2025-12-31", "2026-01-30"),  # last day of 2025; not yet due
]

DELIVERABLES = [
    deliverable("acme", "logo-v1", "2025-03-10", DeliverableStatus.ANSWERED),
    deliverable("globex", "site-v1", "2025-05-01", DeliverableStatus.APPROVED),
    deliverable("globex", "site-v2", "2025-11-10", DeliverableStatus.OPEN),  # unanswered
    deliverable(
        "initech", "report", "2025-12-31", DeliverableStatus.OPEN, "23:59"
    ),  # unanswered, last minute of 2025
    deliverable("initech", "report-v2", "2026-01-02", DeliverableStatus.OPEN),  # after the period
]

OUTBOX = [
    reminder("invoice/acme/A3", "2025-12-02"),
    reminder("invoice/globex/G1", "2025-04-01"),
    reminder("invoice/globex/G1", "2025-04-08"),
    reminder("invoice/globex/G2", "2025-10-02"),
    reminder("invoice/globex/G2", None, state="drafted"),  # waiting in Drafts: not sent
    reminder("invoice/globex/G2", "2026-01-05"),  # after the period
    reminder("invoice/globex/G3", "2024-12-16"),  # before the period
    reminder("deliverable/globex/dabc1234", "2025-11-15", kind="follow-up"),  # not an invoice reminder
    reminder("invoice/initech/I2", "2025-09-01"),
]

JOURNAL = [
    ("client/globex", at("2025-04-02"), "scope change"),
    ("client/globex", at("2025-07-07"), "scope change"),
    ("client/globex", at("2024-12-20"), "scope change"),  # before the period
    ("client/initech", at("2025-05-05"), "scope change"),
    ("invoice/globex/G4", at("2025-11-05"), "disputed"),
    ("invoice/globex/G3", at("2024-12-20"), "disputed"),  # before the period
    ("invoice/globex/G2", at("2025-10-20"), "part-paid"),
    ("invoice/globex/G2", at("2025-11-20"), "part-paid"),  # the last one: in 2025
    ("invoice/initech/I2", at("2026-01-10"), "part-paid"),  # the last one: after 2025
    ("invoice/acme/A3", at("2025-12-02"), "drafted"),  # noise the review ignores
    ("invoice/globex/G2", at("2025-10-03"), "automatic reply"),
    ("deliverable/acme/d1", at("2025-03-11"), "answered"),
]


def review(**changes) -> list[ClientReview]:
    inputs = {
        "clients": CLIENTS,
        "invoices": INVOICES,
        "deliverables": DELIVERABLES,
        "outbox": OUTBOX,
        "journal": JOURNAL,
        "period": YEAR,
        "today": TODAY,
    }
    return review_clients(**(inputs | changes))


def by_id(reviews: list[ClientReview]) -> dict[str, ClientReview]:
    return {r.client: r for r in reviews}


# --------------------------------------------------------------------------- the numbers


def test_a_late_payer_who_disputes_and_changes_scope_gets_every_count_right():
    globex = by_id(review())["globex"]
    # Invoiced in 2025: G1 4000 + G2 3000 + G4 800 (G3 was issued in 2024).
    assert globex.invoiced == {"USD": D("7800")}
    assert globex.invoices == 3
    # Received in 2025: G1 4000 (paid 2025-05-15) + G3 1500 (paid 2025-01-20)
    # + G2's 1000 in part-payments (the last one on 2025-11-20).
    assert globex.paid == {"USD": D("6500")}
    # Fell due in 2025: G1 45 days (paid), G2 106 and G4 75 days (unpaid, counted to today).
    assert globex.average_days_late == pytest.approx((45 + 106 + 75) / 3)
    assert globex.late_payments == 3
    # Sent in 2025: G1 x2, G2 x1; the drafted one, the 2024 and 2026 ones and the follow-up do not count.
    assert globex.reminders == 3
    assert (globex.deliverables, globex.unanswered_deliverables) == (2, 1)
    assert globex.scope_changes == 2  # the 2024 one is out
    assert globex.disputes == 1  # the 2024 one is out
    # Owed today: G2 3000 - 1000 + G4 800.
    assert globex.outstanding == {"USD": D("2800")}
    # 2×3 + 75.33/7 + 3 + 2×1 + 1.5×2 + 3×1 = 6 + 10.76 + 3 + 2 + 3 + 3 = 27.76
    assert globex.trouble == pytest.approx(27.76)
    assert globex.name == "Globex Corporation" and globex.currency == "USD"


def test_a_good_payer_with_one_open_invoice():
    acme = by_id(review())["acme"]
    assert acme.invoiced == {"EUR": D("3500")}  # 1000 + 2000 + 500
    assert acme.paid == {"EUR": D("3000")}  # A1 + A2
    assert acme.invoices == 3
    assert acme.average_days_late == pytest.approx((0 + 5 + 45) / 3)  # A1 early counts as 0
    assert acme.late_payments == 2  # A2 paid late, A3 still unpaid
    assert acme.reminders == 1
    assert (acme.deliverables, acme.unanswered_deliverables) == (1, 0)
    assert (acme.scope_changes, acme.disputes) == (0, 0)
    assert acme.outstanding == {"EUR": D("500")}
    # 2×2 + 16.67/7 + 1 = 4 + 2.38 + 1 = 7.38
    assert acme.trouble == pytest.approx(7.38)


def test_currencies_are_never_added_together():
    initech = by_id(review())["initech"]
    # I1 1200 EUR + I4 300 EUR (the last day of 2025) and I2 600 GBP; I3 was issued on 2026-01-01.
    assert initech.invoiced == {"EUR": D("1500"), "GBP": D("600")}
    # I1 only: I2's 100 GBP arrived in 2026.
    assert initech.paid == {"EUR": D("1200")}
    assert initech.invoices == 3
    # Fell due in 2025: I1 10 days, I2 137 days; I4 is due in 2026.
    assert initech.average_days_late == pytest.approx(73.5)
    assert initech.late_payments == 2
    assert initech.reminders == 1
    # "report" went out at 23:59 on 31 December; report-v2 in 2026.
    assert (initech.deliverables, initech.unanswered_deliverables) == (1, 1)
    assert (initech.scope_changes, initech.disputes) == (1, 0)
    # I2 600 - 100 GBP; I3 900 + I4 300 EUR (not yet due, still owed).
    assert initech.outstanding == {"EUR": D("1200"), "GBP": D("500")}
    # 2×2 + 73.5/7 + 1 + 2×1 + 1.5×1 = 4 + 10.5 + 1 + 2 + 1.5 = 19
    assert initech.trouble == pytest.approx(19.0)


def test_a_client_with_nothing_in_the_year_is_listed_with_no_trouble():
    hooli = by_id(review())["hooli"]
    assert hooli.invoiced == hooli.paid == hooli.outstanding == {}
    assert hooli.average_days_late is None
    assert (hooli.invoices, hooli.late_payments, hooli.reminders, hooli.trouble) == (0, 0, 0, 0)


def test_clients_are_ranked_worst_first_and_the_worst_fifth_is_named():
    reviews = review()
    assert [(r.rank, r.client) for r in reviews] == [(1, "globex"), (2, "initech"), (3, "acme"), (4, "hooli")]
    # ceil(20 % of 4) = 1
    assert [r.client for r in troublesome(reviews)] == ["globex"]


def test_the_troublesome_share_rounds_up_and_never_names_a_client_without_trouble():
    def fake(n: int, trouble: float) -> ClientReview:
        return replace(by_id(review())["hooli"], client=f"c{n}", rank=n, trouble=trouble)

    six = [fake(n, 10 - n) for n in range(1, 7)]
    assert [r.client for r in troublesome(six)] == ["c1", "c2"]  # ceil(1.2) = 2
    calm = [fake(n, 0) for n in range(1, 4)]
    assert troublesome(calm) == []
    assert troublesome([]) == []


def test_the_trouble_score_is_the_documented_weighted_sum():
    one_of_each = {
        "late_payments": 1,
        "average_days_late": 7.0,
        "reminders": 1,
        "unanswered_deliverables": 1,
        "scope_changes": 1,
        "disputes": 1,
    }
    assert trouble_score(**one_of_each) == pytest.approx(2 + 1 + 1 + 2 + 1.5 + 3)
    assert trouble_score(**(one_of_each | {"average_days_late": None})) == pytest.approx(9.5)


def test_receivables_are_aged_by_days_past_due_and_not_yet_due_money_is_left_out():
    buckets = ageing(INVOICES, TODAY)
    assert list(buckets) == list(AGEING_BUCKETS)
    assert buckets == {
        "0-30": {"EUR": D("900")},  # I3, due today: 0 days
        "31-60": {"EUR": D("500")},  # A3, 45 days
        "61-90": {"USD": D("800")},  # G4, 75 days (disputed money is still owed)
        "90+": {"GBP": D("500"), "USD": D("2000")},  # I2 137 days (600 - 100); G2 106 days (3000 - 1000)
    }  # I4 (300 EUR, due 2026-01-30) is in no bucket; paid invoices in none either


def test_bucket_edges_are_30_60_and_90_days():
    days = {
        "30": "2025-12-16",
        "31": "2025-12-15",
        "60": "2025-11-16",
        "61": "2025-11-15",
        "90": "2025-10-17",
    }
    edge = [invoice("x", n, "1", "EUR", "2025-01-01", due) for n, due in days.items()]
    edge.append(invoice("x", "91", "1", "EUR", "2025-01-01", "2025-10-16"))
    assert ageing(edge, TODAY) == {
        "0-30": {"EUR": D("1")},
        "31-60": {"EUR": D("2")},
        "61-90": {"EUR": D("2")},
        "90+": {"EUR": D("1")},
    }


def test_empty_inputs_give_an_empty_review():
    assert (
        review_clients(
            clients={}, invoices=[], deliverables=[], outbox=[], journal=[], period=YEAR, today=TODAY
        )
        == []
    )
    assert ageing([], TODAY) == {"0-30": {}, "31-60": {}, "61-90": {}, "90+": {}}
    text = render_text([], ageing([], TODAY), period_label="2025", locale="en_GB")
    assert "No clients in this period." in text
    page = render_html(
        [], ageing([], TODAY), period_label="2025", locale="en_GB", generated_at=at("2026-01-15")
    )
    assert page.count('data-chart="') == 2


def test_the_period_includes_its_first_day_and_excludes_its_end():
    edge = [
        invoice("acme", "first", "10", "EUR", "2025-01-01", "2025-01-15", paid_on="2025-01-10"),
        invoice("acme", "last", "20", "EUR", "2025-12-31", "2026-01-14"),
        invoice("acme", "end", "40", "EUR", "2026-01-01", "2026-01-15"),
    ]
    outbox = [
        reminder("invoice/acme/last", "2025-12-31"),
        Sent("reminder", "sent", "invoice/acme/x", at("2026-01-01", "00:00")),
    ]
    acme = by_id(review(invoices=edge, outbox=outbox, deliverables=[], journal=[]))["acme"]
    assert acme.invoiced == {"EUR": D("30")}
    assert acme.invoices == 2
    assert acme.paid == {"EUR": D("10")}
    assert acme.reminders == 1


def test_moments_are_counted_on_the_freelancers_calendar_day():
    # 23:30 UTC on 31 December is already 1 January in Madrid.
    outbox = [Sent("reminder", "sent", "invoice/acme/A3", at("2025-12-31", "23:30"))]
    assert by_id(review(outbox=outbox))["acme"].reminders == 1
    assert by_id(review(outbox=outbox, tz=ZoneInfo("Europe/Madrid")))["acme"].reminders == 0


def test_a_since_period_runs_to_today_inclusive():
    period = Period.since(date(2025, 7, 1), TODAY)
    assert (period.start, period.end) == (date(2025, 7, 1), date(2026, 1, 16))
    assert YEAR.label == "2025"
    assert period.label == "2025-07-01 – 2026-01-15"  # no word: the label goes in every language
    with pytest.raises(ValueError):
        Period.since(date(2026, 2, 1), TODAY)


# --------------------------------------------------------------------------- the terminal


def test_the_terminal_table_marks_the_troublesome_fifth_and_formats_money_in_the_locale():
    text = render_text(review(), ageing(INVOICES, TODAY), period_label="2025", locale="es_ES")
    lines = text.splitlines()
    assert lines[0] == "Revisión de clientes 2025: 4 clientes"  # the freelancer's language
    assert "decide con cuáles quedarte" in text and "client" not in text.replace("cliente", "")
    globex_line = next(line for line in lines if "Globex Corporation" in line)
    assert globex_line.startswith("*")
    assert not next(line for line in lines if "Initech" in line).startswith("*")
    assert "7.800,00\xa0US$" in globex_line
    # Amounts in two currencies are one per line, never added: Initech's GBP sits under its euros.
    initech = next(i for i, line in enumerate(lines) if "Initech" in line)
    assert "1.500,00\xa0€" in lines[initech] and lines[initech + 1].strip().startswith("600,00\xa0GBP")
    # Two tables (money, then trouble), each aligned: every row as wide as its header.
    for header in ("#  cliente  ", "#  cliente "):
        start = next(i for i, line in enumerate(lines) if line.lstrip().startswith(header))
        table = lines[start : start + 6 if header.endswith("  ") else start + 5]
        assert len({len(row) for row in table}) == 1, table
    assert "* el 20 % problemático: Globex Corporation" in text


@pytest.mark.parametrize("locale", ["en_GB", "es_ES", "nl_NL"])
def test_the_terminal_review_fits_80_columns_with_long_names_and_several_currencies(locale):
    clients = {
        f"c{i}": client(f"c{i}", f"A Very Long Client Name Number {i} Holdings", ("EUR", "USD", "GBP")[i % 3])
        for i in range(12)
    }
    invoices = [
        invoice(f"c{i}", f"N{i}", str(123456 + i * 1000), ("EUR", "USD", "GBP")[(i + j) % 3], "2025-02-01",
                "2025-02-15", paid_on="2025-03-20")
        for i in range(12)
        for j in range(2)
    ]  # fmt: skip
    text = render_text(
        review(clients=clients, invoices=invoices, deliverables=[], outbox=[], journal=[]),
        ageing(invoices, TODAY),
        period_label="2025",
        locale=locale,
    )
    assert max(len(line) for line in text.splitlines()) <= 80, text
    assert text.count("A Very Long") >= 2 * 12  # each client named (shortened) in both tables


# --------------------------------------------------------------------------- the HTML report

CHROMIUM = "/usr/bin/chromium"


def test_the_html_report_is_self_contained_and_escapes_client_names(tmp_path):
    clients = dict(CLIENTS)
    clients["globex"] = replace(CLIENTS["globex"], name='Globex <script>alert("x")</script> & Sons')
    page = render_html(
        review(clients=clients),
        ageing(INVOICES, TODAY),
        period_label="2025",
        locale="en_GB",
        generated_at=at("2026-01-15", "09:30"),
    )
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in page and '<meta charset="utf-8">' in page
    for external in ("http://", "https://", "src=", "<link", "@import", "url(", "<script"):
        assert external not in page.lower(), external
    assert "Globex &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Sons" in page
    assert page.count('data-chart="revenue-trouble"') == 2  # EUR and USD clients
    assert page.count('data-chart="ageing"') == 3  # EUR, GBP, USD
    assert page.count("<svg") == 5 and page.count("<title>") > 5
    assert 'class="troublesome" data-client="globex"' in page


def test_the_html_report_opens_in_a_headless_browser_and_its_screenshot_shows_the_charts(tmp_path):
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail(
            "Debian's chromium is missing: run ./tests/run, which installs it (apt-get install chromium)"
        )
    report = tmp_path / "review.html"
    report.write_text(
        render_html(
            review(),
            ageing(INVOICES, TODAY),
            period_label="2025",
            locale="en_GB",
            generated_at=at("2026-01-15", "09:30"),
        ),
        encoding="utf-8",
    )
    png = tmp_path / "review.png"
    started = time.monotonic()
    done = subprocess.run(
        [
            shutil.which("chromium") or CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            # Without these Chromium waits on Google's servers, which this machine cannot reach.
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1200,1600",
            f"--screenshot={png}",
            report.as_uri(),
        ],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0 and png.exists(), done.stderr.decode(errors="replace")[-2000:]
    assert time.monotonic() - started < 30
    width, height, pixels = read_png(png.read_bytes())
    print(f"chromium took {time.monotonic() - started:.1f} s")
    assert (width, height) == (1200, 1600)
    counts = count_colours(pixels, [COLOURS[name] for name in COLOURS])
    found = {name: counts[COLOURS[name]] for name in COLOURS}
    # A point is a circle of radius 9 (about 250 pixels; each chart's legend adds a dot of
    # about 110). The smallest bar, 500 of a 2000 scale, is about 73 × 64 pixels.
    assert found["client"] >= 3 * 150, found  # Acme, Initech, Hooli
    assert found["troublesome"] >= 150, found  # Globex
    for bucket in AGEING_BUCKETS:
        assert found[bucket] >= 2000, found
    print("chart pixels:", found)


# What the page looks like in a real browser: element boxes read from Chromium's DOM.

WIDTHS = (375, 768, 1280, 1920)  # a phone, a tablet, a laptop, a desktop
# Words that must not appear on a page in another language (whole words, any case).
FOREIGN = {
    "en": ("cliente", "clientes", "días", "facturado", "mil", "klant", "klanten", "dagen", "moeite"),
    "es": ("client", "clients", "days", "invoiced", "trouble", "review", "klant", "dagen", "moeite"),
    "nl": ("client", "clients", "days", "invoiced", "trouble", "review", "cliente", "días", "facturado"),
}
LOCALES = {"en": "en_GB", "es": "es_ES", "nl": "nl_NL"}

# Runs inside the wrapper page once every report has loaded in its iframe: the boxes of every
# chart and every text in it, the circles, the page's width and its text, as JSON in <pre>.
MEASURE = """
const frames = [...document.querySelectorAll('iframe')];
function box(e) { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; }
function measure() {
  const out = frames.map(f => {
    const d = f.contentDocument;
    return {
      name: f.id, width: f.contentWindow.innerWidth, scrollWidth: d.documentElement.scrollWidth,
      lang: d.documentElement.lang, text: d.body.innerText,
      charts: [...d.querySelectorAll('svg')].map(svg => ({
        chart: svg.dataset.chart, box: box(svg),
        texts: [...svg.querySelectorAll('text')].map(t => ({
          label: t.dataset.label || '', text: t.textContent, box: box(t),
          point: t.closest('g[data-point]') ? t.closest('g[data-point]').dataset.client : null})),
        circles: [...svg.querySelectorAll('g[data-point] circle')].map(c => ({
          client: c.closest('g').dataset.client, box: box(c)})),
      })),
    };
  });
  document.getElementById('boxes').textContent = JSON.stringify(out);
}
window.addEventListener('load', measure);  // after every iframe has loaded
"""


def measure_in_chromium(pages: dict[str, tuple[str, int]], tmp_path: Path) -> list[dict]:
    """Each page (name -> (html, width)) in an iframe of that width; one Chromium run for all."""
    frames = "".join(
        f'<iframe id="{name}" style="border:0;display:block" width="{width}" height="1400" '
        f'srcdoc="{html_escape(page, quote=True)}"></iframe>'
        for name, (page, width) in pages.items()
    )
    wrapper = tmp_path / "wrapper.html"
    wrapper.write_text(
        f'<!DOCTYPE html><html><body style="margin:0">{frames}<pre id="boxes"></pre>'
        f"<script>{MEASURE}</script></body></html>",
        encoding="utf-8",
    )
    done = subprocess.run(
        [
            shutil.which("chromium") or CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=2000,1400",
            "--virtual-time-budget=10000",
            "--dump-dom",
            wrapper.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    dom = done.stdout.decode()
    found = re.search(r'<pre id="boxes">(.*?)</pre>', dom, re.S)
    assert done.returncode == 0 and found and found.group(1), done.stderr.decode(errors="replace")[-2000:]
    return json.loads(html_unescape(found.group(1)))


def many_clients() -> tuple[list[ClientReview], dict]:
    """Twenty clients, several on the very same spot (no revenue, no trouble), long names."""
    clients = {f"m{i:02}": client(f"m{i:02}", f"Northwind {i:02} Trading Company", "EUR") for i in range(20)}
    invoices = [
        invoice(f"m{i:02}", f"M{i}", str(500 * (i % 7) + 500), "EUR", "2025-02-01", "2025-02-15",
                paid_on=f"2025-03-{1 + i % 20:02}")
        for i in range(12)
    ]  # fmt: skip
    reviews = review(clients=clients, invoices=invoices, deliverables=[], outbox=[], journal=[])
    return reviews, ageing(invoices, TODAY)


def one_client() -> tuple[list[ClientReview], dict]:
    clients = {"acme": CLIENTS["acme"]}
    invoices = [i for i in INVOICES if i.client == "acme"]
    return review(clients=clients, invoices=invoices), ageing(invoices, TODAY)


def three_clients() -> tuple[list[ClientReview], dict]:
    clients = {k: v for k, v in CLIENTS.items() if k != "hooli"}
    return review(clients=clients), ageing(INVOICES, TODAY)


def _overlap(a, b, slack: float = 0.5) -> bool:
    return a[0] + slack < b[2] and b[0] + slack < a[2] and a[1] + slack < b[3] and b[1] + slack < a[3]


def test_every_chart_reads_right_in_a_browser_at_common_widths_in_every_language(tmp_path):
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail(
            "Debian's chromium is missing: run ./tests/run, which installs it (apt-get install chromium)"
        )
    scenarios = {"one": one_client(), "three": three_clients(), "many": many_clients()}
    pages = {}
    for language, locale in LOCALES.items():
        for scenario, (reviews, owed) in scenarios.items():
            page = render_html(
                reviews, owed, period_label="2025", locale=locale, generated_at=at("2026-01-15", "09:30")
            )
            for width in WIDTHS:
                pages[f"{language}-{scenario}-{width}"] = (page, width)
    measured = measure_in_chromium(pages, tmp_path)
    assert len(measured) == len(pages) == 3 * 3 * len(WIDTHS)
    for page in measured:
        name, language = page["name"], page["name"].split("-")[0]
        # The page fits its width: wide tables scroll inside their own box, the page does not.
        assert page["scrollWidth"] <= page["width"], name
        assert page["lang"] == language, name
        words = set(re.findall(r"\w+", page["text"].lower()))
        assert not words & set(FOREIGN[language]), (name, words & set(FOREIGN[language]))
        if language == "en":  # English money: "€1,500.00", never "1.500,00 €"
            assert not re.search(r"\d\.\d{3},\d\d", page["text"]), name
        else:
            assert not re.search(r"\d,\d{3}\.\d\d", page["text"]), name
        assert page["charts"], name
        for chart in page["charts"]:
            left, top, right, bottom = chart["box"]
            assert right <= page["width"] + 0.5 and right - left >= min(300, page["width"] - 40), (
                name,
                chart["box"],
            )
            texts = [t for t in chart["texts"] if t["text"].strip()]
            for t in texts:
                tl, tt, tr, tb = t["box"]
                assert left - 0.5 <= tl and tr <= right + 0.5 and top - 0.5 <= tt and tb <= bottom + 0.5, (
                    name,
                    t,
                )
                assert tb - tt >= 7, (name, t)  # still readable when the chart is scaled down
            for i, a in enumerate(texts):
                for b in texts[i + 1 :]:
                    assert not _overlap(a["box"], b["box"]), (name, a["text"], b["text"])
            for t in texts:
                if t["label"] == "point":
                    others = [c for c in chart["circles"] if c["client"] != t["point"]]
                    assert not any(_overlap(t["box"], c["box"]) for c in others), (name, t["text"])
        if "-many-" in name:  # twenty clients: each one's rank on the chart, its name in the caption
            shown = page["text"]
            assert all(f"Northwind {i:02} Trading Company" in shown for i in range(20)), name
            ranks = set()
            for label in (t["text"] for c in page["charts"] for t in c["texts"] if t["label"] == "point"):
                for part in label.split(", "):
                    first, _, last = part.partition("–")
                    ranks.update(range(int(first), int(last or first) + 1))
            assert ranks == set(range(1, 21)), (name, sorted(ranks))
        if "-one-" in name or "-three-" in name:  # few clients: their names sit beside their points
            labels = [t["text"] for c in page["charts"] for t in c["texts"] if t["label"] == "point"]
            assert "Acme Ltd" in labels, (name, labels)


# --------------------------------------------------------------------------- a tiny PNG reader


def read_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and RGB rows of an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, header, compressed = 8, b"", []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            compressed.append(body)
        elif kind == b"IEND":
            break
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
    bpp = 3 if colour == 2 else 4
    stride = width * bpp
    raw = zlib.decompress(b"".join(compressed))
    rows, prior = [], bytes(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], raw[start + 1 : start + 1 + stride]
        row = _unfilter(kind, line, prior, bpp)
        rows.append(row if bpp == 3 else b"".join(row[i : i + 3] for i in range(0, stride, 4)))
        prior = row
    return width, height, rows


def _unfilter(kind: int, line: bytes, prior: bytes, bpp: int) -> bytes:
    """Undo one row's PNG filter (RFC 2083, 6.3)."""
    if kind == 0:  # None
        return line
    if kind == 2:  # Up: byte-wise (line + prior) mod 256, on the whole row at once as big integers
        n = len(line)
        low, high = int.from_bytes(b"\x7f" * n, "big"), int.from_bytes(b"\x80" * n, "big")
        a, b = int.from_bytes(line, "big"), int.from_bytes(prior, "big")
        return (((a & low) + (b & low)) ^ ((a ^ b) & high)).to_bytes(n, "big")
    out = bytearray(line)
    for i in range(len(out)):
        left = out[i - bpp] if i >= bpp else 0
        up = prior[i]
        if kind == 1:  # Sub
            out[i] = (out[i] + left) & 0xFF
        elif kind == 3:  # Average
            out[i] = (out[i] + ((left + up) >> 1)) & 0xFF
        elif kind == 4:  # Paeth
            corner = prior[i - bpp] if i >= bpp else 0
            p = left + up - corner
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
            guess = left if pa <= pb and pa <= pc else up if pb <= pc else corner
            out[i] = (out[i] + guess) & 0xFF
        else:
            raise AssertionError(f"unknown PNG filter {kind}")
    return bytes(out)


def count_colours(rows: list[bytes], colours: list[str]) -> dict[str, int]:
    """How many pixels are exactly each ``#rrggbb`` colour (solid SVG fills render exactly)."""
    wanted = {bytes.fromhex(c[1:]): c for c in colours}
    counts = dict.fromkeys(colours, 0)
    for row in rows:
        if not any(rgb in row for rgb in wanted):  # most rows hold no chart colour at all
            continue
        for i in range(0, len(row), 3):
            colour = wanted.get(row[i : i + 3])
            if colour is not None:
                counts[colour] += 1
    return counts
