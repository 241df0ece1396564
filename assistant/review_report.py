"""What ``review`` prints and writes: the client review as a terminal table and as one HTML file.

The HTML report is a single self-contained document: styles inline, charts as inline SVG,
no scripts, fonts, images or links to anything outside the file, so it opens offline and
can be mailed to an accountant. Every text that comes from data (client names above all)
is escaped. Money is formatted by Babel in the freelancer's locale, one currency at a
time: amounts in different currencies are shown side by side, never added.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from babel.numbers import format_compact_currency, format_currency, format_decimal

from .domain.review import AGEING_BUCKETS, TROUBLE_FORMULA, ClientReview, troublesome

ADVICE = "About 20 % of clients cause most of the time and trouble: decide which ones to keep."

# Chart fills. Distinct from each other and from the text, axes and table colours, so a
# screenshot can tell the charts apart (tests/test_review.py counts these pixels).
COLOURS: dict[str, str] = {
    "client": "#1f6fb2",  # a client on the revenue-vs-trouble chart
    "troublesome": "#d1342f",  # ...one of the troublesome 20 %
    "0-30": "#3a9e5c",  # receivables ageing, green to dark red as money gets older
    "31-60": "#e3b505",
    "61-90": "#ef7d22",
    "90+": "#8e1b3b",
}
_INK, _AXIS, _GRID, _MARKED_ROW = "#222222", "#555555", "#e4e4e4", "#fdeceb"

_COLUMNS = (
    "#",
    "client",
    "invoiced",
    "paid",
    "invoices",
    "avg days late",
    "late",
    "reminders",
    "unanswered",
    "scope changes",
    "disputes",
    "outstanding",
    "trouble",
)


# --------------------------------------------------------------------------- shared


def _money(amounts: Mapping[str, Decimal], locale: str, sep: str = ", ") -> str:
    if not amounts:
        return "—"
    return sep.join(format_currency(amount, currency, locale=locale) for currency, amount in amounts.items())


def _number(value: float | None, locale: str, pattern: str = "0.0") -> str:
    return "—" if value is None else format_decimal(value, format=pattern, locale=locale)


def _cells(review: ClientReview, locale: str, sep: str = ", ") -> list[str]:
    return [
        str(review.rank),
        review.name,
        _money(review.invoiced, locale, sep),
        _money(review.paid, locale, sep),
        str(review.invoices),
        _number(review.average_days_late, locale),
        str(review.late_payments),
        str(review.reminders),
        f"{review.unanswered_deliverables} of {review.deliverables}",
        str(review.scope_changes),
        str(review.disputes),
        _money(review.outstanding, locale, sep),
        _number(review.trouble, locale, "0.0#"),
    ]


def _ageing_currencies(ageing: Mapping[str, Mapping[str, Decimal]]) -> list[str]:
    return sorted({currency for bucket in ageing.values() for currency in bucket})


# --------------------------------------------------------------------------- terminal


def render_text(
    reviews: Sequence[ClientReview],
    ageing: Mapping[str, Mapping[str, Decimal]],
    *,
    period_label: str,
    locale: str,
) -> str:
    """An aligned table, worst client first; the troublesome 20 % marked with ``*``."""
    marked = {r.client for r in troublesome(reviews)}
    lines = [
        f"Client review {period_label}: {len(reviews)} client{'s' if len(reviews) != 1 else ''}",
        ADVICE,
        "",
    ]
    if reviews:
        rows = [["", *_COLUMNS]] + [
            ["*" if r.client in marked else "", *_cells(r, locale)]
            for r in sorted(reviews, key=lambda r: r.rank)
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        left = {0, 2}  # the mark and the client name; everything else is a number
        for row in rows:
            cells = [
                c.ljust(w) if i in left else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            ]
            lines.append("  ".join(cells).rstrip())
        lines.append("")
        if marked:
            names = ", ".join(r.name for r in reviews if r.client in marked)
            lines.append(f"* the troublesome 20 %: {names}")
        else:
            lines.append("No client caused any trouble in this period.")
        lines.append(TROUBLE_FORMULA)
    else:
        lines.append("No clients in this period.")
    lines += ["", "Owed today, by days past the due date (not yet due left out):"]
    for bucket in AGEING_BUCKETS:
        lines.append(f"  {bucket + ' days':<12} {_money(ageing.get(bucket, {}), locale)}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- HTML

_CSS = f"""
body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: {_INK};
       background: #ffffff; margin: 24px; line-height: 1.4; }}
h1 {{ font-size: 1.6em; margin: 0 0 4px; }}
h2 {{ font-size: 1.2em; margin: 24px 0 8px; }}
.meta, .formula {{ color: #5a5a5a; font-size: 0.9em; margin: 4px 0; }}
.advice {{ font-weight: 600; margin: 8px 0 16px; }}
.charts {{ display: flex; flex-wrap: wrap; gap: 24px; }}
figure {{ margin: 0; }}
figcaption {{ font-size: 0.9em; color: #5a5a5a; }}
table {{ border-collapse: collapse; font-size: 0.9em; }}
th, td {{ padding: 4px 8px; border-bottom: 1px solid {_GRID}; text-align: right; vertical-align: top; }}
th {{ background: #f3f3f3; }}
td.name, th.name {{ text-align: left; }}
tr.troublesome td {{ background: {_MARKED_ROW}; font-weight: 600; }}
"""

_W, _H = 540, 360  # two charts side by side in a 1200-pixel window
_LEFT, _RIGHT, _TOP, _BOTTOM = 92, 508, 48, 304


_NL = "\n"  # amounts in several currencies: one per line in the HTML table


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _multiline(text: str) -> str:
    return "<br>".join(_e(line) for line in text.split(_NL))


def _axis_top(value: float) -> float:
    """A round top for an axis of four ticks, each step 1, 2 or 5 × 10^n, at least ``value``."""
    wanted = max(value, 0.0) / 4 or 1.0
    power = 1.0
    while power * 10 <= wanted:
        power *= 10
    while power > wanted:
        power /= 10
    step = next(s * power for s in (1, 2, 5, 10) if s * power >= wanted)
    return 4 * step


def _svg_open(chart: str, currency: str, title: str) -> list[str]:
    return [
        f'<svg data-chart="{_e(chart)}" data-currency="{_e(currency)}" role="img" aria-label="{_e(title)}" '
        f'width="{_W}" height="{_H}" viewBox="0 0 {_W} {_H}" font-size="12" fill="{_INK}">',
        f"<title>{_e(title)}</title>",
        f'<text x="{_W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="600">{_e(title)}</text>',
    ]


def _empty_chart(chart: str, title: str, message: str) -> str:
    return "\n".join(
        [
            *_svg_open(chart, "", title),
            f'<text x="{_W / 2}" y="{_H / 2}" text-anchor="middle" fill="{_AXIS}">{_e(message)}</text>',
            "</svg>",
        ]
    )


def _axes(y_ticks: list[tuple[float, str]]) -> list[str]:
    parts = []
    for y, label in y_ticks:
        parts.append(f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{_RIGHT}" y2="{y:.1f}" stroke="{_GRID}"/>')
        parts.append(f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_e(label)}</text>')
    parts.append(f'<line x1="{_LEFT}" y1="{_BOTTOM}" x2="{_RIGHT}" y2="{_BOTTOM}" stroke="{_AXIS}"/>')
    parts.append(f'<line x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{_BOTTOM}" stroke="{_AXIS}"/>')
    return parts


def _chart_currency(review: ClientReview) -> str:
    """Where a client goes: its own currency, unless it invoiced only in others."""
    if review.currency in review.invoiced or not review.invoiced:
        return review.currency
    return next(iter(review.invoiced))


def _revenue_trouble_charts(reviews: Sequence[ClientReview], locale: str) -> list[str]:
    """One scatter plot per currency: x = invoiced in the period, y = trouble score."""
    if not reviews:
        return [
            _empty_chart("revenue-trouble", "Revenue and trouble per client", "No clients in this period")
        ]
    marked = {r.client for r in troublesome(reviews)}
    groups: dict[str, list[ClientReview]] = {}
    for review in reviews:
        groups.setdefault(_chart_currency(review), []).append(review)
    if "" in groups and len(groups) > 1:  # no currency known: shown at 0 in the first chart
        homeless = groups.pop("")
        groups[sorted(groups)[0]].extend(homeless)
    charts = []
    y_top = _axis_top(max(r.trouble for r in reviews))  # one trouble scale for every chart
    for currency in sorted(groups):
        members = groups[currency]
        x_top = _axis_top(float(max(r.invoiced.get(currency, Decimal(0)) for r in members)))
        title = (
            f"Revenue and trouble per client ({currency})" if currency else "Revenue and trouble per client"
        )
        parts = _svg_open("revenue-trouble", currency, title)
        ticks = [
            (_BOTTOM - (_BOTTOM - _TOP) * i / 4, _number(y_top * i / 4, locale, "0.#")) for i in range(5)
        ]
        parts += _axes(ticks)
        for i in range(5):
            x = _LEFT + (_RIGHT - _LEFT) * i / 4
            label = (
                format_compact_currency(x_top * i / 4, currency, locale=locale, fraction_digits=1)
                if currency
                else ""
            )
            anchor = "end" if i == 4 else "middle"  # the last label stays inside the chart
            parts.append(f'<text x="{x:.1f}" y="{_BOTTOM + 18}" text-anchor="{anchor}">{_e(label)}</text>')
        parts.append(
            f'<text x="{(_LEFT + _RIGHT) / 2}" y="{_H - 22}" text-anchor="middle">invoiced in the period</text>'
        )
        parts.append(
            f'<text x="16" y="{(_TOP + _BOTTOM) / 2}" text-anchor="middle" '
            f'transform="rotate(-90 16 {(_TOP + _BOTTOM) / 2})">trouble score</text>'
        )
        for review in sorted(members, key=lambda r: -r.rank):  # the worst drawn last, on top
            revenue = review.invoiced.get(currency, Decimal(0))
            x = _LEFT + (_RIGHT - _LEFT) * float(revenue) / x_top
            y = _BOTTOM - (_BOTTOM - _TOP) * review.trouble / y_top
            kind = "troublesome" if review.client in marked else "client"
            anchor, dx = ("end", -12) if x > _RIGHT - 120 else ("start", 12)
            tip = (
                f"{review.name}: {_money(review.invoiced, locale)} invoiced, "
                f"trouble {_number(review.trouble, locale)}, rank {review.rank}"
            )
            parts += [
                f'<g data-point="{kind}" data-client="{_e(review.client)}">',
                f"<title>{_e(tip)}</title>",
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="9" fill="{COLOURS[kind]}"/>',
                f'<text x="{x + dx:.1f}" y="{y + 4:.1f}" text-anchor="{anchor}">{_e(review.name[:28])}</text>',
                "</g>",
            ]
        legend_y = _H - 8
        parts += [
            f'<circle cx="{_LEFT + 6}" cy="{legend_y - 4}" r="6" fill="{COLOURS["client"]}"/>',
            f'<text x="{_LEFT + 16}" y="{legend_y}">client</text>',
            f'<circle cx="{_LEFT + 86}" cy="{legend_y - 4}" r="6" fill="{COLOURS["troublesome"]}"/>',
            f'<text x="{_LEFT + 96}" y="{legend_y}">the troublesome 20 %</text>',
            "</svg>",
        ]
        charts.append("\n".join(parts))
    return charts


def _ageing_charts(ageing: Mapping[str, Mapping[str, Decimal]], locale: str) -> list[str]:
    """One bar chart per currency: what is owed today in each bucket of days past due."""
    currencies = _ageing_currencies(ageing)
    if not currencies:
        return [_empty_chart("ageing", "Receivables ageing", "Nothing is overdue")]
    charts = []
    slot = (_RIGHT - _LEFT) / len(AGEING_BUCKETS)
    for currency in currencies:
        amounts = [ageing.get(b, {}).get(currency, Decimal(0)) for b in AGEING_BUCKETS]
        top = _axis_top(float(max(amounts)))
        title = f"Receivables ageing ({currency}): owed, by days past due"
        parts = _svg_open("ageing", currency, title)
        ticks = [
            (
                _BOTTOM - (_BOTTOM - _TOP) * i / 4,
                format_compact_currency(top * i / 4, currency, locale=locale, fraction_digits=1),
            )
            for i in range(5)
        ]
        parts += _axes(ticks)
        for i, (bucket, amount) in enumerate(zip(AGEING_BUCKETS, amounts, strict=True)):
            x = _LEFT + slot * i + slot * 0.15
            width = slot * 0.7
            height = (_BOTTOM - _TOP) * float(amount) / top
            if amount > 0:
                height = max(height, 2.0)
            shown = format_currency(amount, currency, locale=locale) if amount else "—"
            parts += [
                f'<g data-bucket="{bucket}">',
                f"<title>{_e(f'{bucket} days past due: {shown}')}</title>",
                f'<rect x="{x:.1f}" y="{_BOTTOM - height:.1f}" width="{width:.1f}" height="{height:.1f}" '
                f'fill="{COLOURS[bucket]}"/>',
                f'<text x="{x + width / 2:.1f}" y="{_BOTTOM - height - 6:.1f}" text-anchor="middle">{_e(shown)}</text>',
                f'<text x="{x + width / 2:.1f}" y="{_BOTTOM + 18}" text-anchor="middle">{bucket} days</text>',
                "</g>",
            ]
        parts.append("</svg>")
        charts.append("\n".join(parts))
    return charts


def render_html(
    reviews: Sequence[ClientReview],
    ageing: Mapping[str, Mapping[str, Decimal]],
    *,
    period_label: str,
    locale: str,
    generated_at: datetime,
) -> str:
    """The review as one self-contained HTML5 document (no external resources; works offline)."""
    marked = {r.client for r in troublesome(reviews)}
    ordered = sorted(reviews, key=lambda r: r.rank)
    head = "".join(f'<th class="name">{c}</th>' if c == "client" else f"<th>{c}</th>" for c in _COLUMNS)
    rows = []
    for review in ordered:
        cells = _cells(review, locale, sep=_NL)
        tds = "".join(
            f'<td class="name">{_e(c)}{" ★" if review.client in marked else ""}</td>'
            if i == 1
            else f"<td>{_multiline(c)}</td>"
            for i, c in enumerate(cells)
        )
        css = ' class="troublesome"' if review.client in marked else ""
        rows.append(f'<tr{css} data-client="{_e(review.client)}">{tds}</tr>')
    if not rows:
        rows.append(f'<tr><td class="name" colspan="{len(_COLUMNS)}">No clients in this period.</td></tr>')
    ageing_rows = "".join(
        f'<tr><td class="name">{b} days</td><td>{_multiline(_money(ageing.get(b, {}), locale, _NL))}</td></tr>'
        for b in AGEING_BUCKETS
    )
    names = ", ".join(r.name for r in ordered if r.client in marked)
    verdict = (
        f"The troublesome 20 % (★): {names}." if names else "No client caused any trouble in this period."
    )
    figures = [
        f"<figure>{svg}</figure>"
        for svg in (*_revenue_trouble_charts(ordered, locale), *_ageing_charts(ageing, locale))
    ]
    title = f"Client review {period_label}"
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',  # the words are English; only the numbers follow the locale
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_e(title)}</title>",
            f"<style>{_CSS}</style>",
            "</head>",
            "<body>",
            f"<h1>{_e(title)}</h1>",
            f'<p class="meta">{len(ordered)} client{"s" if len(ordered) != 1 else ""}; '
            f"generated {_e(generated_at.isoformat(sep=' ', timespec='minutes'))}</p>",
            f'<p class="advice">{_e(ADVICE)}</p>',
            f"<p>{_e(verdict)}</p>",
            '<section class="charts">',
            *figures,
            "</section>",
            "<h2>Clients, most trouble first</h2>",
            f"<table><thead><tr>{head}</tr></thead><tbody>",
            *rows,
            "</tbody></table>",
            f'<p class="formula">{_e(TROUBLE_FORMULA)}</p>',
            "<h2>Owed today, by days past the due date</h2>",
            f"<table><tbody>{ageing_rows}</tbody></table>",
            '<p class="formula">Money not yet due is in each client\'s outstanding, not in these buckets.</p>',
            "</body>",
            "</html>",
            "",
        ]
    )
