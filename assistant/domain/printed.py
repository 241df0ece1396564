"""Printed invoice: the facts of an invoice read from its laid-out text, label by label.

One job: the text of an invoice PDF as laid out on the page (each printed row one line,
columns kept apart by runs of spaces) plus the labels of invoices.yaml -> the number,
total, dates and terms it prints. A value is read to the right of its label on the
same row, else below it in the label's column (a table header over its values), else,
for amounts and dates, just left of it. The grand total is the best-ranked total
label's: what is payable (after withholding such as IRPF) over the total with tax over
a plain "Total", the last one printed on ties; subtotals and tax lines are labels too
(``not_a_fact``), so their values are never taken. A number is one token of one line
(it never crosses a line), keeps every letter ("NOV-12"), and is never a date.

Pure: standard library and extract.py only; no I/O, no clock; never raises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .extract import MONTHS, SMALL_NUMBERS, normalise_invoice_number, parse_amount, parse_date
from .model import InvoiceLabels

__all__ = ["PrintedInvoice", "read_printed", "terms_days"]

MAX_LINES = 400  # the facts sit on the first page; a 5-page annex is not read row by row
BELOW = 3  # how many printed rows under a label may hold its value


@dataclass(frozen=True, slots=True, kw_only=True)
class PrintedInvoice:
    number: str = ""
    amount: tuple[Decimal, str | None] | None = None
    issue_date: date | None = None
    due_date: date | None = None
    terms_days: int | None = None
    currency: str | None = None  # a currency the document shows anywhere


# Labels compiled once per InvoiceLabels (the rules are frozen; a reload makes new ones):
# one alternation per first letter, tried only where a word starts, so a row costs a
# few short matches instead of every label at every position.
_COMPILED: dict[int, tuple[InvoiceLabels, dict[str, tuple[re.Pattern[str], dict[str, str]]]]] = {}
_WORD_START = re.compile(r"(?<![^\W_])[^\W\d_]")

_KINDS = ("number", "title", "issue_date", "due_date", "payable", "total", "not_a_fact")
_TOTAL_RANK = {"payable": 3, "total": 2}


def _label_regex(label: str) -> str:
    words = label.split()
    parts = []
    for word in words:
        core = word.rstrip(".:")
        escaped = "".join("[º°o]" if c in "º°" else re.escape(c) for c in core)
        parts.append(escaped + (r"\.?" if word.endswith(".") else ""))
    # Up to two spaces between a label's words (none: laying a page out in characters
    # glues some words, "InvoiceDate", "incl.btw"); a wider gap separates two cells.
    body = r"[^\S\n]{0,2}".join(parts)
    # Whole words only: "No" never reads the "NO" of "NOV-12"; "Total" not the one of "Subtotal".
    return rf"(?<![^\W_]){body}(?![^\W\d_])"


def _compiled(labels: InvoiceLabels) -> dict[str, tuple[re.Pattern[str], dict[str, str]]]:
    cached = _COMPILED.get(id(labels))
    if cached is not None and cached[0] is labels:
        return cached[1]
    by_letter: dict[str, list[tuple[int, str, str]]] = {}
    for kind in _KINDS:
        for label in getattr(labels, kind):
            first = label.strip()[:1].lower()
            by_letter.setdefault(first, []).append((len(label), kind, _label_regex(label)))
    table = {}
    for first, entries in by_letter.items():
        entries.sort(key=lambda e: -e[0])  # longest first: at one place, the longest label wins
        kinds = {f"l{i}": kind for i, (_, kind, _) in enumerate(entries)}
        alternatives = "|".join(f"(?P<l{i}>{regex})" for i, (_, _, regex) in enumerate(entries))
        table[first] = (re.compile(alternatives, re.IGNORECASE), kinds)
    if len(_COMPILED) > 8:
        _COMPILED.clear()
    _COMPILED[id(labels)] = (labels, table)
    return table


def _labels_in(line: str, table: dict[str, tuple[re.Pattern[str], dict[str, str]]]):
    """(kind, match) for each label printed on ``line``, left to right, never overlapping."""
    position = 0
    while (word := _WORD_START.search(line, position)) is not None:
        entry = table.get(word.group().lower())
        match = entry[0].match(line, word.start()) if entry else None
        if match is not None:
            yield entry[1][match.lastgroup or ""], match
            position = match.end()
        else:
            position = word.end()


@dataclass(frozen=True, slots=True)
class _Label:
    kind: str
    row: int
    start: int
    end: int  # after the label and its ":" / "#"
    text_end: int  # after the label's own words


# After a label: its colon or "#", and a currency in brackets ("Amount Due (EUR):").
_AFTER_LABEL = re.compile(
    r"[^\S\n]*(?:\((?:[A-Z]{3}|[€$£])\)[^\S\n]*)?(?:[:#]|\.(?!\d))?[^\S\n]*(?:\((?:[A-Z]{3}|[€$£])\))?[^\S\n]*"
)
# A printed cell: words at most two spaces apart (laying text out in characters widens
# some gaps inside a phrase); three or more spaces part two cells.
_CELL = re.compile(r"\S+(?:[^\S\n]{1,2}\S+)*")
_TOKEN = re.compile(r"#?\s?(?P<token>[^\W_](?:[\w./-]*[^\W_])?)")
_DIGIT = re.compile(r"\d")
_AMOUNT_CELL = re.compile(r"^[^\d%]{0,6}?-?\(?\d[\d.,'\u00a0\u202f ]*(?:,-{1,2}|\.-)?\)?[^\d%]{0,10}$")
_NUMERIC_DATE = re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}$")


def read_printed(text: str, labels: InvoiceLabels, *, language: str) -> PrintedInvoice:
    """The facts ``text`` prints next to ``labels``; what it does not print stays empty."""
    if not isinstance(text, str) or not text.strip():
        return PrintedInvoice()
    try:
        return _read(text, labels, language)
    except (ValueError, IndexError, ArithmeticError):  # a bound, not an expected path
        return PrintedInvoice()


def _read(text: str, labels: InvoiceLabels, language: str) -> PrintedInvoice:
    lines = [line.replace("\t", "    ") for line in text.splitlines()[:MAX_LINES]]
    table = _compiled(labels)
    found: list[_Label] = []
    by_row: dict[int, list[_Label]] = {}
    for row, line in enumerate(lines):
        for kind, match in _labels_in(line, table):
            after = _AFTER_LABEL.match(line, match.end())
            label = _Label(kind, row, match.start(), after.end() if after else match.end(), match.end())
            found.append(label)
            by_row.setdefault(row, []).append(label)

    def value(label: _Label, accept, *, below: bool = True, left: bool = False):
        right = _right_of(lines, label, by_row)
        if len(right) > 1 and _BARE_CURRENCY.match(right[0]):
            right = [right[0] + " " + right[1], *right[2:]]  # "TOTAL EUR    1,210.00"
        for cell in right[:2]:
            got = accept(cell)
            if got is not None:
                return got
            if _DIGIT.search(cell):
                break  # the first figure right of a label is its value, or it has none there
        if below:
            for cell in _below(lines, label, by_row):
                got = accept(cell)
                if got is not None:
                    return got
                break
        if left:
            cell = _left_of(lines, label, by_row)
            if cell:
                return accept(cell)
        return None

    def read_number(cell: str) -> str | None:
        return _number_in(cell, language)

    def read_date(cell: str) -> date | None:
        return parse_date(cell, language=language) or parse_date(_unglued(cell), language=language)

    def read_amount(cell: str) -> tuple[Decimal, str | None] | None:
        return _amount_in(cell, language)

    def read_marked_number(cell: str) -> str | None:
        return _number_in(cell, language) if cell.startswith("#") else None

    number = ""
    for label in found:
        if label.kind == "number":
            got = value(label, read_number)
        elif label.kind == "title":
            # Under a title only a number marked as one: "TAX INVOICE" over "# INV-000017".
            got = value(label, read_number, below=False) or next(
                (n for cell in _marked_below(lines, label) if (n := read_marked_number(cell))), None
            )
        else:
            continue
        if got:
            number = got
            break
    issue = next(
        (d for lb in found if lb.kind == "issue_date" and (d := value(lb, read_date, left=True))), None
    )
    due = next((d for lb in found if lb.kind == "due_date" and (d := value(lb, read_date, left=True))), None)
    amount = None
    best: tuple[int, int] | None = None
    for label in found:
        rank = _TOTAL_RANK.get(label.kind)
        if rank is None:
            continue
        got = value(label, read_amount, left=True)
        if got is not None and got[0] > 0 and (best is None or (rank, label.row) >= best):
            amount, best = got, (rank, label.row)
    currency = amount[1] if amount and amount[1] else _currency_shown(lines, language)
    return PrintedInvoice(
        number=number,
        amount=amount,
        issue_date=issue,
        due_date=due,
        terms_days=terms_days(text, labels.terms),
        currency=currency,
    )


def _cells(line: str, start: int, end: int) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in _CELL.finditer(line, start, end)]


def _right_of(lines: list[str], label: _Label, by_row: dict[int, list[_Label]]) -> list[str]:
    """The cells after ``label`` on its row, up to the next label."""
    line = lines[label.row]
    # A title word ("FACTURA") ends no value: it is part of labels such as "TOTAL   FACTURA".
    stop = min(
        (lb.start for lb in by_row.get(label.row, ()) if lb.start >= label.end and lb.kind != "title"),
        default=len(line),
    )
    return [cell for _, _, cell in _cells(line, label.end, stop)]


def _below(lines: list[str], label: _Label, by_row: dict[int, list[_Label]]) -> list[str]:
    """The cell in ``label``'s column on the next printed rows (blank rows skipped)."""
    seen = 0
    for row in range(label.row + 1, min(len(lines), label.row + 1 + BELOW * 2)):
        line = lines[row]
        if not line.strip():
            continue
        seen += 1
        if seen > BELOW:
            break
        best = None
        for start, end, cell in _cells(line, 0, len(line)):
            overlap = min(end, label.text_end + 1) - max(start, label.start - 1)
            if overlap <= 0 and abs(end - label.text_end) <= 6:
                overlap = 0.5  # right-aligned under a right-aligned label in a bigger font
            if overlap > 0 and (best is None or overlap > best[0]):
                best = (overlap, start, cell)
        if best is None:
            continue
        if any(lb.start < best[1] + len(best[2]) and lb.end > best[1] for lb in by_row.get(row, ())):
            return []  # another label sits there: this column's value is not under us
        return [best[2]]
    return []


def _marked_below(lines: list[str], label: _Label) -> list[str]:
    """Cells starting with "#" on the two rows under a title, near it (titles are printed
    big, so their columns do not line up with the text under them)."""
    found = []
    for row in range(label.row + 1, min(len(lines), label.row + 3)):
        for start, _, cell in _cells(lines[row], 0, len(lines[row])):
            if cell.startswith("#") and label.start - 20 <= start <= label.text_end + 20:
                found.append(cell)
    return found


def _left_of(lines: list[str], label: _Label, by_row: dict[int, list[_Label]]) -> str:
    line = lines[label.row]
    begin = max((lb.end for lb in by_row.get(label.row, ()) if lb.end <= label.start), default=0)
    cells = _cells(line, begin, label.start)
    return cells[-1][2] if cells else ""


_LETTER_DIGIT = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")
_GLUED_MONTH = re.compile(
    rf"(?i)(?<![^\W\d_])(de|of)?({'|'.join(sorted(MONTHS, key=len, reverse=True))})(de|del)?(?![^\W\d_])"
)


def _unglued(cell: str) -> str:
    """A date whose words a character layout glued: "1de abrilde 2026" -> "1 de abril de 2026"."""
    spaced = _LETTER_DIGIT.sub(" ", cell)
    return _GLUED_MONTH.sub(lambda m: " ".join(g for g in m.groups() if g), spaced)


def _number_in(cell: str, language: str) -> str | None:
    match = _TOKEN.match(cell.strip())
    if match is None:
        return None
    token = match.group("token")
    if len(token) > 40 or not _DIGIT.search(token):
        return None
    # A date is never a number: "8-9-2022", "2026-03-12", "12.03.26".
    if _NUMERIC_DATE.match(token) or parse_date(token, language=language) is not None:
        return None
    return normalise_invoice_number(token) or None


def _amount_in(cell: str, language: str) -> tuple[Decimal, str | None] | None:
    cell = cell.strip()
    if not _AMOUNT_CELL.match(cell) or _NUMERIC_DATE.match(cell):
        return None
    parsed = parse_amount(cell, language=language)
    if parsed is None:
        return None
    return abs(parsed[0]), parsed[1]


_CURRENCY_MARK = re.compile(r"[€£]|(?<![A-Za-z])(?:US)?\$|(?<![A-Za-z])(?:EUR|USD|GBP|CHF)(?![A-Za-z])")
_MARKS = {"€": "EUR", "£": "GBP", "$": "USD", "US$": "USD"}
_BARE_CURRENCY = re.compile(r"^(?:[€£$]|EUR|USD|GBP|CHF)$")


def _currency_shown(lines: list[str], language: str) -> str | None:
    """The currency the document shows most ("€" by its amounts, "EUR" in "Amount EUR")."""
    counts: dict[str, int] = {}
    for line in lines:
        for match in _CURRENCY_MARK.finditer(line):
            code = _MARKS.get(match.group(), match.group())
            counts[code] = counts.get(code, 0) + 1
    return max(counts, key=lambda code: counts[code]) if counts else None


def terms_days(text: str, patterns) -> int | None:
    """The payment terms ``text`` states, in days ("a 30 días", "net 30", "binnen 14 dagen")."""
    if not isinstance(text, str):
        return None
    spaced = _LETTER_DIGIT.sub(" ", text)  # "within30 days", as a character layout glues it
    for pattern in patterns:
        match = pattern.search(text) or pattern.search(spaced)
        if match is None:
            continue
        groups = match.groupdict()
        for unit, factor in (("days", 1), ("weeks", 7)):
            count = (groups.get(unit) or "").strip().lower()
            if count.isdigit() and 0 <= int(count) <= 366:
                return int(count) * factor
            if count in SMALL_NUMBERS:
                return SMALL_NUMBERS[count] * factor
    return None
