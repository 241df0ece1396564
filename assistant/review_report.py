"""What ``review`` prints and writes: the client review as a terminal table and as one HTML file.

The HTML report is a single self-contained document: styles inline, charts as inline SVG,
no scripts, fonts, images or links to anything outside the file, so it opens offline and
can be mailed to an accountant. Every text that comes from data (client names above all)
is escaped. Money is formatted by Babel in the freelancer's locale, one currency at a
time: amounts in different currencies are shown side by side, never added.
"""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from babel import Locale
from babel.dates import format_datetime
from babel.numbers import format_currency, format_decimal

from .domain.review import AGEING_BUCKETS, TROUBLE_FORMULA, ClientReview, troublesome

# The page and the table speak the freelancer's language (identity.language, through the
# locale): every word below, and the numbers, formatted by Babel in that same locale.
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "advice": "About 20 % of clients cause most of the time and trouble: decide which ones to keep.",
        "title": "Client review {period}",
        "count_one": "{n} client",
        "count_many": "{n} clients",
        "generated": "generated {when}",
        "verdict": "The troublesome 20 % ({mark}): {names}.",
        "no_trouble": "No client caused any trouble in this period.",
        "no_clients": "No clients in this period.",
        "revenue_title": "Revenue and trouble per client",
        "ageing_title": "Receivables ageing ({currency}): owed, by days past due",
        "ageing_empty_title": "Receivables ageing",
        "nothing_overdue": "Nothing is overdue",
        "x_axis": "invoiced in the period",
        "y_axis": "trouble score",
        "legend_client": "client",
        "legend_troublesome": "the troublesome 20 %",
        "tip": "{name}: {invoiced} invoiced, trouble {trouble}, rank {rank}",
        "days": "{bucket} days",
        "bucket_tip": "{bucket} days past due: {amount}",
        "ranked": "Clients, most trouble first",
        "owed_by_age": "Owed today, by days past the due date",
        "owed_by_age_text": "Owed today, by days past the due date (not yet due left out):",
        "not_due": "Money not yet due is in each client's outstanding, not in these buckets.",
        "of": "{a} of {b}",
        "key": "Numbers on the chart are the clients' ranks:",
        "formula": TROUBLE_FORMULA,
        # column headers: HTML table, then the terminal's shorter ones (the two tables fit 80 columns)
        "columns": "#|client|invoiced|paid|invoices|avg days late|late|reminders|unanswered"
        "|scope changes|disputes|outstanding|trouble",
        "money_columns": "#|client|invoices|invoiced|paid|outstanding",
        "trouble_columns": "#|client|avg late|late|remind.|unansw.|scope|disp.|trouble",
        "interest": "Statutory interest and compensation claimable today: {list}.",
        "statements": "Statements of account (one letter for several invoices, one reminder each): {list}.",
        "text_key": "avg late: average days late; remind.: reminders sent; unansw.: work unanswered;"
        " scope: scope changes; disp.: disputes",
    },
    "es": {
        "advice": "Alrededor del 20 % de los clientes causa la mayor parte del tiempo y los problemas:"
        " decide con cuáles quedarte.",
        "title": "Revisión de clientes {period}",
        "count_one": "{n} cliente",
        "count_many": "{n} clientes",
        "generated": "generada el {when}",
        "verdict": "El 20 % problemático ({mark}): {names}.",
        "no_trouble": "Ningún cliente causó problemas en este periodo.",
        "no_clients": "Ningún cliente en este periodo.",
        "revenue_title": "Facturación y problemas por cliente",
        "ageing_title": "Pendiente ({currency}), por días de retraso",
        "ageing_empty_title": "Pendiente, por días de retraso",
        "nothing_overdue": "No hay nada vencido",
        "x_axis": "facturado en el periodo",
        "y_axis": "puntuación de problemas",
        "legend_client": "cliente",
        "legend_troublesome": "el 20 % problemático",
        "tip": "{name}: {invoiced} facturado, problemas {trouble}, puesto {rank}",
        "days": "{bucket} días",
        "bucket_tip": "{bucket} días de retraso: {amount}",
        "ranked": "Clientes, de más a menos problemas",
        "owed_by_age": "Pendiente hoy, por días desde el vencimiento",
        "owed_by_age_text": "Pendiente hoy, por días desde el vencimiento (sin lo aún no vencido):",
        "not_due": "Lo aún no vencido está en el pendiente de cada cliente, no en estos tramos.",
        "of": "{a} de {b}",
        "key": "Los números del gráfico son los puestos de los clientes:",
        "formula": "problemas = 2 × pagos con retraso + media de días de retraso ÷ 7 + 1 × recordatorios"
        " + 2 × entregas sin respuesta + 1,5 × cambios de alcance + 3 × disputas",
        "columns": "#|cliente|facturado|cobrado|facturas|media días retraso|con retraso|recordatorios"
        "|sin respuesta|cambios de alcance|disputas|pendiente|problemas",
        "money_columns": "#|cliente|facturas|facturado|cobrado|pendiente",
        "trouble_columns": "#|cliente|retraso|tarde|record.|s. resp.|alcance|disp.|puntos",
        "interest": "Intereses de demora e indemnizaciones reclamables hoy: {list}.",
        "statements": "Estados de cuenta (una carta por varias facturas, un recordatorio cada uno): {list}.",
        "text_key": "retraso: media de días de retraso; tarde: pagos con retraso; record.: recordatorios;"
        " s. resp.: entregas sin respuesta; alcance: cambios de alcance; disp.: disputas;"
        " puntos: puntuación de problemas",
    },
    "nl": {
        "advice": "Ongeveer 20 % van de klanten kost de meeste tijd en moeite: beslis met wie je doorgaat.",
        "title": "Klantoverzicht {period}",
        "count_one": "{n} klant",
        "count_many": "{n} klanten",
        "generated": "gemaakt op {when}",
        "verdict": "De lastige 20 % ({mark}): {names}.",
        "no_trouble": "Geen enkele klant gaf moeite in deze periode.",
        "no_clients": "Geen klanten in deze periode.",
        "revenue_title": "Omzet en moeite per klant",
        "ageing_title": "Openstaand ({currency}), per dagen na de vervaldatum",
        "ageing_empty_title": "Openstaand, per dagen na de vervaldatum",
        "nothing_overdue": "Niets is te laat",
        "x_axis": "gefactureerd in de periode",
        "y_axis": "moeitescore",
        "legend_client": "klant",
        "legend_troublesome": "de lastige 20 %",
        "tip": "{name}: {invoiced} gefactureerd, moeite {trouble}, plaats {rank}",
        "days": "{bucket} dagen",
        "bucket_tip": "{bucket} dagen na de vervaldatum: {amount}",
        "ranked": "Klanten, meeste moeite eerst",
        "owed_by_age": "Vandaag open, per dagen na de vervaldatum",
        "owed_by_age_text": "Vandaag open, per dagen na de vervaldatum (nog niet vervallen niet meegeteld):",
        "not_due": "Wat nog niet vervallen is, staat bij het openstaande bedrag van elke klant.",
        "of": "{a} van {b}",
        "key": "De getallen in de grafiek zijn de plaatsen van de klanten:",
        "formula": "moeite = 2 × late betalingen + gemiddeld dagen te laat ÷ 7 + 1 × herinneringen"
        " + 2 × onbeantwoorde opleveringen + 1,5 × scopewijzigingen + 3 × geschillen",
        "columns": "#|klant|gefactureerd|betaald|facturen|gem. dagen te laat|te laat|herinneringen"
        "|onbeantwoord|scopewijzigingen|geschillen|open|moeite",
        "money_columns": "#|klant|facturen|gefactureerd|betaald|open",
        "trouble_columns": "#|klant|gem. laat|laat|herinn.|onbeantw.|scope|gesch.|moeite",
        "interest": "Wettelijke rente en vergoedingen die vandaag te vorderen zijn: {list}.",
        "statements": "Rekeningoverzichten (één brief voor meerdere facturen, één herinnering elk): {list}.",
        "text_key": "gem. laat: gemiddeld dagen te laat; herinn.: herinneringen; onbeantw.: onbeantwoorde"
        " opleveringen; scope: scopewijzigingen; gesch.: geschillen",
    },
}
ADVICE = WORDS["en"]["advice"]
TEXT_WIDTH = 80  # the terminal table fits a standard terminal


def language_of(locale: str) -> str:
    """The page's language: the locale's, when the review speaks it (es, en, nl), else English."""
    language = locale.split("_")[0]
    return language if language in WORDS else "en"


def _words(locale: str) -> dict[str, str]:
    return WORDS[language_of(locale)]


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

# --------------------------------------------------------------------------- shared


def _money(amounts: Mapping[str, Decimal], locale: str, sep: str = ", ") -> str:
    if not amounts:
        return "—"
    return sep.join(format_currency(amount, currency, locale=locale) for currency, amount in amounts.items())


def _number(value: float | None, locale: str, pattern: str = "0.0") -> str:
    return "—" if value is None else format_decimal(value, format=pattern, locale=locale)


def _tick_money(value: float, currency: str, locale: str) -> str:
    """An axis tick in whole units, written out ("€12,000", "12.000 €"), never compact.

    Compact forms read differently across languages ("8 mil GBP" is 8,000 in Spanish and
    reads as 8 million in English); the whole number reads the same for everyone.
    """
    pattern = Locale.parse(locale).currency_formats["standard"].pattern.split(";")[0]
    whole = re.sub(r"[.,]0+", "", pattern, count=1) if "." in pattern else pattern
    return format_currency(
        Decimal(round(value)), currency, format=whole, locale=locale, currency_digits=False
    )


def _cells(review: ClientReview, locale: str, sep: str = ", ", *, short: bool = False) -> list[str]:
    words = _words(locale)
    of = "{a}/{b}" if short else words["of"]
    return [
        str(review.rank),
        review.name,
        _money(review.invoiced, locale, sep),
        _money(review.paid, locale, sep),
        str(review.invoices),
        _number(review.average_days_late, locale),
        str(review.late_payments),
        str(review.reminders),
        of.format(a=review.unanswered_deliverables, b=review.deliverables),
        str(review.scope_changes),
        str(review.disputes),
        _money(review.outstanding, locale, sep),
        _number(review.trouble, locale, "0.0#"),
    ]


def _ageing_currencies(ageing: Mapping[str, Mapping[str, Decimal]]) -> list[str]:
    return sorted({currency for bucket in ageing.values() for currency in bucket})


def _count(n: int, words: Mapping[str, str]) -> str:
    return (words["count_one"] if n == 1 else words["count_many"]).format(n=n)


# --------------------------------------------------------------------------- terminal


def _table(header: list[str], rows: list[list[str]], left: set[int], name_column: int) -> list[str]:
    """Aligned columns within TEXT_WIDTH: a cell may hold several lines (one per currency);
    the client's name is shortened with "…" when the other columns need the room."""
    split = [[cell.split("\n") for cell in row] for row in [header, *rows]]
    widths = [max(len(line) for row in split for line in row[i]) for i in range(len(header))]
    spare = TEXT_WIDTH - (sum(widths) + 2 * (len(widths) - 1))
    if spare < 0:
        widths[name_column] = max(len(header[name_column]), widths[name_column] + spare)
    lines = []
    for row in split:
        for depth in range(max(len(cell) for cell in row)):
            cells = []
            for i, (cell, width) in enumerate(zip(row, widths, strict=True)):
                text = cell[depth] if depth < len(cell) else ""
                if len(text) > width:
                    text = text[: width - 1] + "…"
                cells.append(text.ljust(width) if i in left else text.rjust(width))
            lines.append("  ".join(cells).rstrip())
    return lines


def _wrap(text: str) -> list[str]:
    return textwrap.wrap(text, TEXT_WIDTH, break_on_hyphens=False)


def render_text(
    reviews: Sequence[ClientReview],
    ageing: Mapping[str, Mapping[str, Decimal]],
    *,
    period_label: str,
    locale: str,
) -> str:
    """Two aligned tables within 80 columns (money, then trouble), worst client first; the
    troublesome 20 % marked with ``*``; amounts in several currencies one per line."""
    words = _words(locale)
    marked = {r.client for r in troublesome(reviews)}
    lines = [
        f"{words['title'].format(period=period_label)}: {_count(len(reviews), words)}",
        *_wrap(words["advice"]),
        "",
    ]
    if reviews:
        ordered = sorted(reviews, key=lambda r: r.rank)
        money = [
            [
                "*" if r.client in marked else "",
                *(_cells(r, locale, "\n", short=True)[i] for i in (0, 1, 4, 2, 3, 11)),
            ]
            for r in ordered
        ]
        lines += _table(["", *words["money_columns"].split("|")], money, {0, 2}, 2)
        lines.append("")
        trouble = [
            [
                "*" if r.client in marked else "",
                *(_cells(r, locale, "\n", short=True)[i] for i in (0, 1, 5, 6, 7, 8, 9, 10, 12)),
            ]
            for r in ordered
        ]
        lines += _table(["", *words["trouble_columns"].split("|")], trouble, {0, 2}, 2)
        lines += _wrap(words["text_key"])
        lines.append("")
        if marked:
            names = ", ".join(r.name for r in ordered if r.client in marked)
            lines += _wrap(f"* {words['legend_troublesome']}: {names}")
        else:
            lines.append(words["no_trouble"])
        lines += _wrap(words["formula"])
        lines += [line for text in _extras(ordered, words, locale) for line in _wrap(text)]
    else:
        lines.append(words["no_clients"])
    lines += ["", *_wrap(words["owed_by_age_text"])]
    for bucket in AGEING_BUCKETS:
        lines.append(f"  {words['days'].format(bucket=bucket):<12} {_money(ageing.get(bucket, {}), locale)}")
    return "\n".join(lines) + "\n"


def _extras(ordered: Sequence[ClientReview], words: Mapping[str, str], locale: str) -> list[str]:
    """A line for the statements of account sent, and one for the statutory interest owed."""
    lines = []
    sent = [f"{r.name} {r.statements}" for r in ordered if r.statements]
    if sent:
        lines.append(words["statements"].format(list=", ".join(sent)))
    owed = [f"{r.name} {_money(r.interest, locale, ' + ')}" for r in ordered if r.interest]
    if owed:
        lines.append(words["interest"].format(list="; ".join(owed)))
    return lines


# --------------------------------------------------------------------------- HTML

_W, _H = 540, 384  # two charts side by side in a 1200-pixel window; smaller screens scale them down

_CSS = f"""
body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: {_INK};
       background: #ffffff; margin: 16px; line-height: 1.4; }}
h1 {{ font-size: 1.6em; margin: 0 0 4px; }}
h2 {{ font-size: 1.2em; margin: 24px 0 8px; }}
.meta, .formula, .key {{ color: #5a5a5a; font-size: 0.9em; margin: 4px 0; }}
.advice {{ font-weight: 600; margin: 8px 0 16px; }}
.charts {{ display: flex; flex-wrap: wrap; gap: 24px; }}
figure {{ margin: 0; width: {_W}px; max-width: 100%; }}
figure svg {{ display: block; width: 100%; height: auto; }}
figcaption {{ font-size: 0.9em; color: #5a5a5a; }}
figcaption ol {{ margin: 4px 0; padding-left: 2.2em; }}
.scroll {{ max-width: 100%; overflow-x: auto; }}
table {{ border-collapse: collapse; font-size: 0.9em; }}
th, td {{ padding: 4px 8px; border-bottom: 1px solid {_GRID}; text-align: right; vertical-align: top; }}
th {{ background: #f3f3f3; }}
td.name, th.name {{ text-align: left; }}
tr.troublesome td {{ background: {_MARKED_ROW}; font-weight: 600; }}
"""

_LEFT, _RIGHT, _TOP, _BOTTOM = 100, 516, 48, 304
_FONT = 12
# What the layout assumes of the font: an upper bound of a character's width at 12 px (the
# browser test measures the real boxes), and a label's height.
_CHAR_W, _LABEL_H = 7.6, 15.0
_R = 9  # a point's radius

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
        f'width="{_W}" height="{_H}" viewBox="0 0 {_W} {_H}" font-size="{_FONT}" fill="{_INK}">',
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
        parts.append(f'<text x="{_LEFT - 12}" y="{y + 4:.1f}" text-anchor="end">{_e(label)}</text>')
    parts.append(f'<line x1="{_LEFT}" y1="{_BOTTOM}" x2="{_RIGHT}" y2="{_BOTTOM}" stroke="{_AXIS}"/>')
    parts.append(f'<line x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{_BOTTOM}" stroke="{_AXIS}"/>')
    return parts


def _chart_currency(review: ClientReview) -> str:
    """Where a client goes: its own currency, unless it invoiced only in others."""
    if review.currency in review.invoiced or not review.invoiced:
        return review.currency
    return next(iter(review.invoiced))


Box = tuple[float, float, float, float]  # left, top, right, bottom


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _place_labels(points: list[tuple[float, float, str]]) -> list[Box | None]:
    """Where each point's label goes, or None where no free spot is near enough.

    Greedy, in the order given (the worst client first, so its name is the one kept): beside
    the point, right or left, then further up or down; a spot must stay in the plot and
    touch no other label and no other point.
    """
    circles = [(x - _R - 1, y - _R - 1, x + _R + 1, y + _R + 1) for x, y, _ in points]
    placed: list[Box] = []
    result: list[Box | None] = []
    for index, (x, y, text) in enumerate(points):
        width = len(text) * _CHAR_W
        spots = []
        for dy in (0, -16, 16, -32, 32, -48, 48):
            spots.append((x + _R + 4, y - _LABEL_H / 2 + dy))
            spots.append((x - _R - 4 - width, y - _LABEL_H / 2 + dy))
        spots += [(x - width / 2, y - _R - 4 - _LABEL_H), (x - width / 2, y + _R + 4)]
        chosen = None
        for left, top in spots:
            box = (left, top, left + width, top + _LABEL_H)
            if box[0] < _LEFT + 2 or box[2] > _RIGHT or box[1] < _TOP - 8 or box[3] > _BOTTOM - 2:
                continue
            if any(_overlap(box, other) for other in placed):
                continue
            if any(_overlap(box, c) for i, c in enumerate(circles) if i != index):
                continue
            chosen = box
            break
        if chosen is not None:
            placed.append(chosen)
        result.append(chosen)
    return result


def _key(point: tuple[float, float]) -> tuple[float, float]:
    return (round(point[0]), round(point[1]))


def _ranks(ranks: list[int]) -> str:
    """Ranks as a short label: "7", "3, 5", or a run "13–20"."""
    ranks = sorted(ranks)
    if len(ranks) > 2 and ranks == list(range(ranks[0], ranks[-1] + 1)):
        return f"{ranks[0]}–{ranks[-1]}"
    return ", ".join(str(r) for r in ranks)


def _revenue_trouble_charts(reviews: Sequence[ClientReview], locale: str) -> list[tuple[str, str]]:
    """One scatter plot per currency: x = invoiced in the period, y = trouble score.

    Each point is labelled with the client's name where it fits; when some names do not
    fit (many clients, or several in one spot), every point gets its rank instead, where
    that fits, and the caption lists rank and name. Returns (svg, caption) pairs.
    """
    words = _words(locale)
    if not reviews:
        return [(_empty_chart("revenue-trouble", words["revenue_title"], words["no_clients"]), "")]
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
        members = sorted(groups[currency], key=lambda r: r.rank)
        x_top = _axis_top(float(max(r.invoiced.get(currency, Decimal(0)) for r in members)))
        title = f"{words['revenue_title']} ({currency})" if currency else words["revenue_title"]
        parts = _svg_open("revenue-trouble", currency, title)
        ticks = [
            (_BOTTOM - (_BOTTOM - _TOP) * i / 4, _number(y_top * i / 4, locale, "0.#")) for i in range(5)
        ]
        parts += _axes(ticks)
        for i in range(5):
            x = _LEFT + (_RIGHT - _LEFT) * i / 4
            label = _tick_money(x_top * i / 4, currency, locale) if currency else ""
            anchor = "end" if i == 4 else "middle"  # the last label stays inside the chart
            parts.append(
                f'<text data-label="x-tick" x="{x:.1f}" y="{_BOTTOM + 18}" text-anchor="{anchor}">{_e(label)}</text>'
            )
        parts.append(
            f'<text x="{(_LEFT + _RIGHT) / 2}" y="{_BOTTOM + 44}" text-anchor="middle">{_e(words["x_axis"])}</text>'
        )
        parts.append(
            f'<text x="16" y="{(_TOP + _BOTTOM) / 2}" text-anchor="middle" '
            f'transform="rotate(-90 16 {(_TOP + _BOTTOM) / 2})">{_e(words["y_axis"])}</text>'
        )
        points = []
        for review in members:
            revenue = review.invoiced.get(currency, Decimal(0))
            x = _LEFT + (_RIGHT - _LEFT) * float(revenue) / x_top
            y = _BOTTOM - (_BOTTOM - _TOP) * review.trouble / y_top
            points.append((x, y))
        # Clients on the very same spot share one label (the first of them carries it).
        spots: dict[tuple[float, float], list[int]] = {}
        for i, (x, y) in enumerate(points):
            spots.setdefault((round(x), round(y)), []).append(i)
        carriers = [group[0] for group in spots.values()]
        by_rank = False
        names = [", ".join(members[i].name[:28] for i in spots[_key(points[c])]) for c in carriers]
        boxes = _place_labels([(*points[c], name) for c, name in zip(carriers, names, strict=True)])
        if None in boxes:
            by_rank = True
            names = [_ranks([members[i].rank for i in spots[_key(points[c])]]) for c in carriers]
            boxes = _place_labels([(*points[c], name) for c, name in zip(carriers, names, strict=True)])
        label_of = {c: (name, box) for c, name, box in zip(carriers, names, boxes, strict=True)}
        drawn = []
        for index, (review, (x, y)) in enumerate(zip(members, points, strict=True)):
            name, box = label_of.get(index, ("", None))
            kind = "troublesome" if review.client in marked else "client"
            tip = words["tip"].format(
                name=review.name,
                invoiced=_money(review.invoiced, locale),
                trouble=_number(review.trouble, locale),
                rank=review.rank,
            )
            group = [
                f'<g data-point="{kind}" data-client="{_e(review.client)}">',
                f"<title>{_e(tip)}</title>",
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{_R}" fill="{COLOURS[kind]}"/>',
            ]
            if box is not None:
                group.append(
                    f'<text data-label="point" x="{box[0]:.1f}" y="{box[3] - 4:.1f}">{_e(name)}</text>'
                )
            group.append("</g>")
            drawn.append(group)
        for group in reversed(drawn):  # the worst drawn last, on top
            parts += group
        legend_y = _H - 8
        legend_client = words["legend_client"]
        second = _LEFT + 16 + len(legend_client) * _CHAR_W + 20
        parts += [
            f'<circle cx="{_LEFT + 6}" cy="{legend_y - 4}" r="6" fill="{COLOURS["client"]}"/>',
            f'<text data-label="legend" x="{_LEFT + 16}" y="{legend_y}">{_e(legend_client)}</text>',
            f'<circle cx="{second - 10}" cy="{legend_y - 4}" r="6" fill="{COLOURS["troublesome"]}"/>',
            f'<text data-label="legend" x="{second}" y="{legend_y}">{_e(words["legend_troublesome"])}</text>',
            "</svg>",
        ]
        caption = ""
        if by_rank:
            items = "".join(f'<li value="{r.rank}">{_e(r.name)}</li>' for r in members)
            caption = f"{_e(words['key'])}<ol>{items}</ol>"
        charts.append(("\n".join(parts), caption))
    return charts


def _ageing_charts(ageing: Mapping[str, Mapping[str, Decimal]], locale: str) -> list[str]:
    """One bar chart per currency: what is owed today in each bucket of days past due."""
    words = _words(locale)
    currencies = _ageing_currencies(ageing)
    if not currencies:
        return [_empty_chart("ageing", words["ageing_empty_title"], words["nothing_overdue"])]
    charts = []
    slot = (_RIGHT - _LEFT) / len(AGEING_BUCKETS)
    for currency in currencies:
        amounts = [ageing.get(b, {}).get(currency, Decimal(0)) for b in AGEING_BUCKETS]
        top = _axis_top(float(max(amounts)))
        title = words["ageing_title"].format(currency=currency)
        parts = _svg_open("ageing", currency, title)
        ticks = [
            (_BOTTOM - (_BOTTOM - _TOP) * i / 4, _tick_money(top * i / 4, currency, locale)) for i in range(5)
        ]
        parts += _axes(ticks)
        for i, (bucket, amount) in enumerate(zip(AGEING_BUCKETS, amounts, strict=True)):
            x = _LEFT + slot * i + slot * 0.15
            width = slot * 0.7
            height = (_BOTTOM - _TOP) * float(amount) / top
            if amount > 0:
                height = max(height, 2.0)
            shown = format_currency(amount, currency, locale=locale) if amount else "—"
            days = words["days"].format(bucket=bucket)
            tip = words["bucket_tip"].format(bucket=bucket, amount=shown)
            parts += [
                f'<g data-bucket="{bucket}">',
                f"<title>{_e(tip)}</title>",
                f'<rect x="{x:.1f}" y="{_BOTTOM - height:.1f}" width="{width:.1f}" height="{height:.1f}" '
                f'fill="{COLOURS[bucket]}"/>',
                f'<text data-label="bar" x="{x + width / 2:.1f}" y="{max(_BOTTOM - height - 6, _TOP - 6):.1f}" '
                f'text-anchor="middle">{_e(shown)}</text>',
                f'<text x="{x + width / 2:.1f}" y="{_BOTTOM + 18}" text-anchor="middle">{_e(days)}</text>',
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
    """The review as one self-contained HTML5 document (no external resources; works offline),
    in the language of ``locale`` (es, en or nl; English otherwise), words and numbers alike."""
    words = _words(locale)
    marked = {r.client for r in troublesome(reviews)}
    ordered = sorted(reviews, key=lambda r: r.rank)
    columns = words["columns"].split("|")
    head = "".join(
        f'<th class="name">{_e(c)}</th>' if i == 1 else f"<th>{_e(c)}</th>" for i, c in enumerate(columns)
    )
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
        rows.append(f'<tr><td class="name" colspan="{len(columns)}">{_e(words["no_clients"])}</td></tr>')
    ageing_rows = "".join(
        f'<tr><td class="name">{_e(words["days"].format(bucket=b))}</td>'
        f"<td>{_multiline(_money(ageing.get(b, {}), locale, _NL))}</td></tr>"
        for b in AGEING_BUCKETS
    )
    names = ", ".join(r.name for r in ordered if r.client in marked)
    verdict = words["verdict"].format(mark="★", names=names) if names else words["no_trouble"]
    figures = [
        f"<figure>{svg}" + (f"<figcaption>{caption}</figcaption>" if caption else "") + "</figure>"
        for svg, caption in _revenue_trouble_charts(ordered, locale)
    ]
    figures += [f"<figure>{svg}</figure>" for svg in _ageing_charts(ageing, locale)]
    title = words["title"].format(period=period_label)
    when = format_datetime(generated_at, "short", locale=locale)
    return "\n".join(
        [
            "<!DOCTYPE html>",
            f'<html lang="{language_of(locale)}">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_e(title)}</title>",
            f"<style>{_CSS}</style>",
            "</head>",
            "<body>",
            f"<h1>{_e(title)}</h1>",
            f'<p class="meta">{_e(_count(len(ordered), words))}; {_e(words["generated"].format(when=when))}</p>',
            f'<p class="advice">{_e(words["advice"])}</p>',
            f"<p>{_e(verdict)}</p>",
            '<section class="charts">',
            *figures,
            "</section>",
            f"<h2>{_e(words['ranked'])}</h2>",
            f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>',
            *rows,
            "</tbody></table></div>",
            f'<p class="formula">{_e(words["formula"])}</p>',
            *(f'<p class="formula">{_e(line)}</p>' for line in _extras(ordered, words, locale)),
            f"<h2>{_e(words['owed_by_age'])}</h2>",
            f'<div class="scroll"><table><tbody>{ageing_rows}</tbody></table></div>',
            f'<p class="formula">{_e(words["not_due"])}</p>',
            "</body>",
            "</html>",
            "",
        ]
    )
