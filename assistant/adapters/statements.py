"""Bank statement files -> typed credits: CAMT.053/052/054, SWIFT MT940, OFX and Norma 43.

The format is recognised from the content, never from the file name. Each reader returns
every credit of the file (debits are counted and left out) or raises ``StatementError``
naming the file and the line of the first thing it cannot read: a statement is applied
whole or not at all. Files are opened read-only and never changed.

Libraries (measured on files written from the formats' specifications, tests/support/
statements.py): MT940 is read by ``mt-940`` (BSD-3-Clause, kept up to date) and Norma 43 by
``csb43`` (LGPL-3.0+, validates every field and reports the record). CAMT is read with
the standard library's expat: ``pycamt`` does not read camt.054 and ``camt053`` pulls in a
web server; expat gives the line of every element, and refuses DTDs (no entity tricks).
OFX is read by a small tokenizer of our own: ``ofxtools`` is GPL-3.0-only, which an
MIT program cannot ship, and ``ofxparse`` is unmaintained and warns on valid files.

Transaction ids are the bank's (the account servicer's reference, FITID, the MT940 bank
reference) prefixed with the statement's account, so the same transaction read from a
CAMT.052 today and the CAMT.053 tomorrow is one transaction; Norma 43 carries none, so
its id is a digest of the line (account, dates, amount, document number, references,
concepts) and the occurrence of identical lines in the file.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import warnings
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from xml.parsers import expat

from ..domain.bank import Credit
from ..errors import StatementError

MAX_BYTES = 50 * 1024 * 1024  # a year of statements is kilobytes; anything larger is not one

_IBAN = re.compile(r"\b([A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?)\b")


@dataclass(frozen=True, slots=True)
class Statement:
    """What one file holds: its format, the account, the credits, how many debits were left out."""

    path: str
    format: str  # "camt.053", "camt.052", "camt.054", "mt940", "ofx", "norma43"
    account: str
    credits: tuple[Credit, ...]
    debits: int = 0


def read_statement(path: str | Path) -> Statement:
    """The credits of one statement file, or StatementError with the file and the line."""
    path = Path(path)
    name = str(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise StatementError(name, 0, f"cannot read the file: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise StatementError(name, 0, f"larger than {MAX_BYTES // (1024 * 1024)} MB: not a bank statement")
    return parse_statement(data, name)


def parse_statement(data: bytes, name: str) -> Statement:
    kind = detect(data)
    if kind == "camt":
        return _Camt(name).read(data)
    if kind == "ofx":
        return _read_ofx(data, name)
    if kind == "mt940":
        return _read_mt940(data, name)
    if kind == "norma43":
        return _read_norma43(data, name)
    raise StatementError(
        name, 1, "not a bank statement this program reads (CAMT.053/052/054, MT940, OFX, Norma 43)"
    )


def detect(data: bytes) -> str | None:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"OFXHEADER") or b"<OFX>" in head.upper() or b"<?OFX" in head:
        return "ofx"
    if head.startswith(b"<") and b"camt.05" in head:
        return "camt"
    if head.startswith(b"<"):
        return "camt" if b"BkToCstmr" in data[:65536] else None
    if re.match(rb"11[0-9]{4}", head) and len(head.split(b"\n", 1)[0].rstrip(b"\r")) in (79, 80):
        return "norma43"
    if (re.search(rb"(^|\n):20:", head) and b":61:" in data) or b":25:" in head:
        return "mt940"
    return None


def _digest(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:20]


def _with_occurrence(credits: list[tuple[str, Credit]]) -> list[Credit]:
    """Digest ids made unique within the file: the 2nd identical line is ``...#2``."""
    seen: Counter[str] = Counter()
    out = []
    for base, credit in credits:
        seen[base] += 1
        if seen[base] > 1:
            credit = _replace_id(credit, f"{credit.transaction_id}#{seen[base]}")
        out.append(credit)
    return out


def _replace_id(credit: Credit, new: str) -> Credit:
    from dataclasses import replace

    return replace(credit, transaction_id=new)


def _decimal(text: str, name: str, line: int, what: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise StatementError(name, line, f"{what} {text.strip()!r} is not an amount") from None
    if not value.is_finite():
        raise StatementError(name, line, f"{what} {text.strip()!r} is not an amount")
    return value


def _iban_in(text: str) -> str:
    found = _IBAN.search(text.upper())
    return found.group(1).replace(" ", "") if found else ""


# --------------------------------------------------------------------------- CAMT (ISO 20022)


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str]
    line: int
    text: str = ""
    children: list[_Node] = field(default_factory=list)

    def find(self, path: str) -> _Node | None:
        node: _Node | None = self
        for step in path.split("/"):
            node = next((c for c in node.children if c.tag == step), None) if node else None
        return node

    def findall(self, tag: str) -> list[_Node]:
        return [c for c in self.children if c.tag == tag]

    def value(self, path: str) -> str:
        node = self.find(path)
        return node.text.strip() if node is not None else ""


_CAMT_BLOCKS = {
    "BkToCstmrStmt": ("camt.053", "Stmt"),
    "BkToCstmrAcctRpt": ("camt.052", "Rpt"),
    "BkToCstmrDbtCdtNtfctn": ("camt.054", "Ntfctn"),
}


class _Camt:
    def __init__(self, name: str):
        self.name = name

    def _tree(self, data: bytes) -> _Node:
        parser = expat.ParserCreate()
        root = _Node("", {}, 0)
        stack = [root]

        def refuse_dtd(*_: object) -> None:
            raise StatementError(self.name, parser.CurrentLineNumber, "a DTD in a bank statement is refused")

        def start(tag: str, attrs: dict[str, str]) -> None:
            node = _Node(tag.rsplit(":", 1)[-1], attrs, parser.CurrentLineNumber)
            stack[-1].children.append(node)
            stack.append(node)

        def end(_tag: str) -> None:
            stack.pop()

        def text(chunk: str) -> None:
            stack[-1].text += chunk

        parser.StartDoctypeDeclHandler = refuse_dtd
        parser.EntityDeclHandler = refuse_dtd
        parser.StartElementHandler = start
        parser.EndElementHandler = end
        parser.CharacterDataHandler = text
        try:
            parser.Parse(data, True)
        except expat.ExpatError as exc:
            raise StatementError(
                self.name, exc.lineno, f"not well-formed XML: {expat.errors.messages[exc.code]}"
            ) from None
        if not root.children:
            raise StatementError(self.name, 1, "empty XML document")
        return root.children[0]

    def read(self, data: bytes) -> Statement:
        document = self._tree(data)
        message = next((c for c in document.children if c.tag in _CAMT_BLOCKS), None)
        if document.tag != "Document" or message is None:
            raise StatementError(
                self.name, document.line, "an XML file, but not a CAMT.053/052/054 statement"
            )
        kind, block_tag = _CAMT_BLOCKS[message.tag]
        blocks = message.findall(block_tag)
        if not blocks:
            raise StatementError(self.name, message.line, f"no <{block_tag}> in the {kind} message")
        credits: list[tuple[str, Credit]] = []
        debits = 0
        account = ""
        for block in blocks:
            account = block.value("Acct/Id/IBAN") or block.value("Acct/Id/Othr/Id") or account
            currency = block.value("Acct/Ccy")
            for entry in block.findall("Ntry"):
                found, skipped = self._entry(entry, account, currency, kind)
                credits.extend(found)
                debits += skipped
        return Statement(self.name, kind, account, tuple(_with_occurrence(credits)), debits)

    def _amount(self, node: _Node | None, where: _Node, currency: str) -> tuple[Decimal, str]:
        if node is None:
            raise StatementError(self.name, where.line, f"<{where.tag}> without <Amt>")
        value = _decimal(node.text, self.name, node.line, "amount")
        if value < 0:
            raise StatementError(self.name, node.line, f"negative amount {node.text.strip()!r}")
        return value, node.attrs.get("Ccy", currency)

    def _date(self, node: _Node) -> date:
        for path in ("BookgDt/Dt", "BookgDt/DtTm", "ValDt/Dt", "ValDt/DtTm"):
            found = node.find(path)
            if found is not None:
                try:
                    return date.fromisoformat(found.text.strip()[:10])
                except ValueError:
                    raise StatementError(
                        self.name, found.line, f"date {found.text.strip()!r} is not a date"
                    ) from None
        raise StatementError(self.name, node.line, "entry without a booking or value date")

    def _entry(
        self, entry: _Node, account: str, currency: str, kind: str
    ) -> tuple[list[tuple[str, Credit]], int]:
        indicator = entry.find("CdtDbtInd")
        if indicator is None or indicator.text.strip() not in ("CRDT", "DBIT"):
            raise StatementError(self.name, (indicator or entry).line, "entry without CdtDbtInd CRDT or DBIT")
        amount, ccy = self._amount(entry.find("Amt"), entry, currency)
        booked = self._date(entry)
        status = entry.value("Sts/Cd") or entry.value("Sts")
        if indicator.text.strip() == "DBIT" or entry.value("RvslInd").lower() == "true":
            return [], 1
        if status and status != "BOOK":
            return [], 0  # pending or information only: the booked statement will carry it
        details = [t for d in entry.findall("NtryDtls") for t in d.findall("TxDtls")]
        if not details:
            details = [None]  # type: ignore[list-item]
        out = []
        for index, tx in enumerate(details):
            if tx is not None and len(details) > 1:
                node = tx.find("Amt") or tx.find("AmtDtls/TxAmt/Amt")
                tx_amount, tx_ccy = self._amount(node, tx, ccy)
            else:
                tx_amount, tx_ccy = amount, ccy
            ref = ""
            name = iban = ""
            remittance: list[str] = []
            if tx is not None:
                ref = tx.value("Refs/AcctSvcrRef") or tx.value("Refs/TxId")
                parties = tx.find("RltdPties")
                if parties is not None:
                    name = (
                        parties.value("Dbtr/Pty/Nm") or parties.value("Dbtr/Nm")
                        or parties.value("UltmtDbtr/Pty/Nm") or parties.value("UltmtDbtr/Nm")
                    )  # fmt: skip
                    iban = parties.value("DbtrAcct/Id/IBAN")
                info = tx.find("RmtInf")
                if info is not None:
                    remittance += [u.text.strip() for u in info.findall("Ustrd")]
                    for structured in info.findall("Strd"):
                        remittance += [structured.value("CdtrRefInf/Ref"), structured.value("RfrdDocInf/Nb")]
                remittance.append(tx.value("AddtlTxInf"))
            remittance.append(entry.value("AddtlNtryInf"))
            if not ref:
                entry_ref = entry.value("AcctSvcrRef") or entry.value("NtryRef")
                ref = f"{entry_ref}/{index + 1}" if entry_ref and len(details) > 1 else entry_ref
            text = " ".join(r for r in remittance if r)
            base = (
                f"{account}/{ref}" if ref else "camt:" + _digest(account, booked, tx_amount, name, iban, text)
            )
            credit = Credit(
                transaction_id=base, booked=booked, amount=tx_amount, currency=tx_ccy, name=name,
                iban=iban, remittance=text, source=f"{Path(self.name).name} ({kind})",
            )  # fmt: skip
            out.append((base, credit))
        return out, 0


# --------------------------------------------------------------------------- OFX

_OFX_TOKEN = re.compile(r"<(/?)([A-Za-z0-9.]+)>([^<]*)")


def _ofx_text(data: bytes) -> str:
    head = data[:2048]
    if b"CHARSET:1252" in head or b"CHARSET: 1252" in head:
        return data.decode("cp1252", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _ofx_date(text: str, name: str, line: int) -> date:
    try:
        return datetime.strptime(text.strip()[:8], "%Y%m%d").date()
    except ValueError:
        raise StatementError(name, line, f"date {text.strip()!r} is not an OFX date (YYYYMMDD...)") from None


def _read_ofx(data: bytes, name: str) -> Statement:
    text = _ofx_text(data)
    start = text.upper().find("<OFX>")
    if start < 0:
        raise StatementError(name, 1, "OFX header without an <OFX> element")
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line_of(offset: int) -> int:
        from bisect import bisect_right

        return bisect_right(line_starts, offset)

    currency = account = ""
    credits: list[tuple[str, Credit]] = []
    debits = 0
    current: dict[str, tuple[str, int]] | None = None
    opened_at = 0
    closed = False
    path: list[str] = []
    for match in _OFX_TOKEN.finditer(text, start):
        closing, tag, value = match.group(1) == "/", match.group(2).upper(), match.group(3).strip()
        line = line_of(match.start())
        if closing:
            if tag == "OFX":
                closed = True
            if tag == "STMTTRN":
                if current is None:
                    raise StatementError(name, line, "</STMTTRN> without <STMTTRN>")
                found = _ofx_transaction(current, currency, account, name, opened_at)
                if found is None:
                    debits += 1
                else:
                    credits.append(found)
                current = None
            if tag in path:
                del path[len(path) - 1 - path[::-1].index(tag) :]
            continue
        if tag == "STMTTRN":
            if current is not None:
                raise StatementError(
                    name, line, "<STMTTRN> inside another transaction (a </STMTTRN> is missing)"
                )
            current, opened_at = {}, line
            continue
        if value:  # a leaf: <TAG>value, closed or not (SGML)
            if current is not None:
                key = f"{path[-1]}.{tag}" if path and path[-1] in ("PAYEE", "BANKACCTTO", "CURRENCY") else tag
                current[key] = (value, line)
            elif tag == "CURDEF":
                currency = value
            elif tag == "ACCTID" and not account:
                account = value
        else:
            path.append(tag)
    if current is not None:
        raise StatementError(name, opened_at, "transaction not closed: the file is cut short")
    if not closed:
        raise StatementError(name, len(line_starts), "no </OFX>: the file is cut short")
    return Statement(name, "ofx", account, tuple(_with_occurrence(credits)), debits)


def _ofx_transaction(
    fields: dict[str, tuple[str, int]], currency: str, account: str, name: str, line: int
) -> tuple[str, Credit] | None:
    for required in ("DTPOSTED", "TRNAMT"):
        if required not in fields:
            raise StatementError(name, line, f"transaction without <{required}>")
    raw, amount_line = fields["TRNAMT"]
    if "," in raw and "." not in raw:
        raw = raw.replace(",", ".")  # some European banks write the decimal comma
    amount = _decimal(raw, name, amount_line, "amount")
    booked = _ofx_date(fields["DTPOSTED"][0], name, fields["DTPOSTED"][1])
    if amount <= 0:
        return None
    payer = fields.get("NAME", fields.get("PAYEE.NAME", ("", 0)))[0]
    memo = fields.get("MEMO", ("", 0))[0]
    fitid = fields.get("FITID", ("", 0))[0]
    ccy = fields.get("CURRENCY.CURSYM", (currency, 0))[0] or currency
    base = f"{account}/{fitid}" if fitid else "ofx:" + _digest(account, booked, amount, payer, memo)
    credit = Credit(
        transaction_id=base, booked=booked, amount=amount, currency=ccy, name=payer,
        iban=_iban_in(memo), remittance=memo, source=f"{Path(name).name} (ofx)",
    )  # fmt: skip
    return base, credit


# --------------------------------------------------------------------------- MT940

# The keys of the structured :86: field Dutch banks write (/TRTP/.../IBAN/.../NAME/.../REMI/...).
_MT_KEYS = re.compile(
    r"/(TRTP|IBAN|BIC|NAME|REMI|EREF|MARF|CSID|ORDP|BENM|ID|ADDR|USTD|STRD|CDTRREFTP|CDTRREF"
    r"|ISDT|RTRN|PREF|ULTC|ULTD|PURP|SVCL|CD|ISSR|TYPE)/"
)


def _mt86(details: str) -> tuple[str, str, str]:
    """(name, iban, remittance) from an :86: field: the Dutch /KEY/value/ layout, else the text itself.

    (The German ?nn subfields are split by mt-940 itself: see ``_mt86_parsed``.)"""
    flat = details.replace("\r", "").replace("\n", "")
    if not _MT_KEYS.search(flat):
        plain = " ".join(details.split())
        return "", _iban_in(plain), plain
    parts = _MT_KEYS.split(flat)
    values: dict[str, str] = {}
    for key, value in zip(parts[1::2], parts[2::2], strict=False):
        values.setdefault(key, value.strip("/ "))
    remittance = values.get("REMI", "")
    if remittance.startswith(("USTD//", "STRD/")):
        remittance = remittance.split("/", 2)[-1].lstrip("/")
    if not remittance:
        remittance = values.get("USTD", "") or values.get("CDTRREF", "")
    return values.get("NAME", ""), values.get("IBAN", ""), remittance.strip()


def _mt86_parsed(values: dict) -> tuple[str, str, str]:
    """(name, iban, remittance) of a German/Austrian :86: that mt-940 split into its ?nn fields.

    mt-940 puts the account (?31) in front of the name (?32, ?33) in ``applicant_name``.
    """
    holder = " ".join(str(values.get("applicant_name") or "").split())
    iban = str(values.get("gvc_applicant_iban") or "")
    if re.match(r"[A-Z]{2}\d{2}", holder):
        from stdnum import iban as stdnum_iban

        # The name follows the IBAN without a space: the valid IBAN's own length says where.
        for end in range(min(34, len(holder)), 14, -1):
            if stdnum_iban.is_valid(holder[:end]):
                iban, holder = iban or holder[:end], holder[end:].strip()
                break
    purpose = " ".join(str(p) for p in (values.get("purpose"), values.get("additional_purpose")) if p)
    return holder, iban, " ".join(purpose.split())


def _read_mt940(data: bytes, name: str) -> Statement:
    import mt940

    logging.getLogger("mt940").setLevel(logging.CRITICAL)  # it logs every regex it tries
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    lines = text.splitlines()

    def line_of(snippet: str) -> int:
        first = snippet.strip().splitlines()[0] if snippet.strip() else ""
        for number, line in enumerate(lines, 1):
            if first and first in line:
                return number
        return 0

    try:
        statements = mt940.models.Transactions()
        statements.parse(text)
    except Exception as exc:  # mt-940 raises RuntimeError/ValueError/... with the data it choked on
        snippet = next((a for a in getattr(exc, "args", ())[2:3] if isinstance(a, str)), "")
        raise StatementError(
            name, line_of(snippet), f"not valid MT940: {snippet.strip()[:60] or exc}"
        ) from None
    if not len(statements):
        raise StatementError(name, 1, "MT940 without a :61: transaction line")
    account = str(statements.data.get("account_identification", ""))
    credits: list[tuple[str, Credit]] = []
    debits = 0
    total = Decimal(0)
    for transaction in statements:
        values = transaction.data
        amount = values["amount"].amount
        total += amount
        if amount <= 0:
            debits += 1
            continue
        booked = date(values["date"].year, values["date"].month, values["date"].day)
        if values.get("transaction_code") is not None and "purpose" in values:
            payer, iban, remittance = _mt86_parsed(values)
        else:
            payer, iban, remittance = _mt86(values.get("transaction_details") or "")
        ref = next(
            (
                r
                for r in (values.get("bank_reference"), values.get("customer_reference"))
                if r and r != "NONREF"
            ),
            "",
        )
        base = (
            f"{account}/{ref}"
            if ref
            else "mt940:" + _digest(account, booked, amount, payer, iban, remittance)
        )
        credits.append(
            (
                base,
                Credit(
                    transaction_id=base,
                    booked=booked,
                    amount=amount,
                    currency=values["amount"].currency,
                    name=payer,
                    iban=iban,
                    remittance=remittance,
                    source=f"{Path(name).name} (mt940)",
                ),
            )
        )
    opening = statements.data.get("final_opening_balance") or statements.data.get(
        "intermediate_opening_balance"
    )
    closing = statements.data.get("final_closing_balance") or statements.data.get(
        "intermediate_closing_balance"
    )
    single = len(text.split(":20:")) == 2  # several statements in a file: balances per statement
    if (
        single
        and opening is not None
        and closing is not None
        and opening.amount.amount + total != closing.amount.amount
    ):
        number = next((n for n, line in enumerate(lines, 1) if line.startswith(":62")), 0)
        raise StatementError(
                name, number,
                f"the closing balance {closing.amount.amount} is not the opening balance "
                f"{opening.amount.amount} plus the movements ({total}): lines are missing or altered",
            )  # fmt: skip
    return Statement(name, "mt940", account, tuple(_with_occurrence(credits)), debits)


# --------------------------------------------------------------------------- Norma 43


def _read_norma43(data: bytes, name: str) -> Statement:
    from csb43.aeb43 import read_batch
    from csb43.aeb43.record.context import Aeb43Context
    from csb43.aeb43.record.errors import ValidationException, ValidationWarning

    context = Aeb43Context(strict=True, silent=True, encoding="latin-1")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ValidationWarning)
            batch = read_batch(io.BytesIO(data), context=context)
            for account in batch.accounts:
                if not account.is_closed():
                    raise ValidationException("account without its closing record 33: the file is cut short")
                account.validate_summary(account.summary)
            if not batch.is_closed():
                raise ValidationException("no end-of-file record 88: the file is cut short")
    except (ValidationException, ValueError) as exc:
        message = str(exc)
        found = re.match(r"\[(\d+)\]\s*(.*)", message, re.S)
        record_count = len(data.splitlines())
        line = int(found.group(1)) + 1 if found else record_count
        raise StatementError(
            name, line, f"not valid Norma 43: {(found.group(2) if found else message)[:160]}"
        ) from None
    credits: list[tuple[str, Credit]] = []
    debits = 0
    own = ""
    for account in batch.accounts:
        own = f"{account.bank_code}{account.branch_code}{account.account_number}"
        currency = account.currency.alpha_3 if account.currency is not None else "EUR"
        for tx in account.transactions:
            if tx.amount <= 0:
                debits += 1
                continue
            concepts = [c.strip() for c in tx.iter_optional_items() if c and c.strip()]
            payer = ""
            transfer = tx.sepa_transfer
            if transfer is not None:
                payer = (transfer.originator_name or "").strip()
                concepts = [
                    (transfer.remitance_information or "").strip(),
                    (transfer.remitance_information_cont or "").strip(),
                    (transfer.originator_reference or "").strip(),
                    *concepts,
                ]
            iban = _iban_in(" ".join(concepts))
            words = [c for c in concepts if c]
            if transfer is None:
                for concept in concepts:
                    found = re.match(r"(?:TRANSFERENCIA|TRANSF\.?|TRF\.?)\s+(?:DE\s+)?(.+)", concept, re.I)
                    if found:
                        payer = found.group(1).strip()
                        words.remove(concept)
                        break
            # What the payer wrote: the concepts less the payer's name and account, and the
            # reference field unless a concept carries it already (banks repeat it cut short).
            reference = (tx.reference2 or "").strip()
            words = [w for w in words if w != payer and w.replace(" ", "") != iban]
            if reference and not any(w.startswith(reference) for w in words):
                words.append(reference)
            remittance = " ".join(dict.fromkeys(words))
            booked = tx.transaction_date
            base = "n43:" + _digest(
                own, booked, tx.value_date, tx.amount, tx.document_number, tx.reference1, tx.reference2,
                tx.shared_item, tx.own_item, *concepts,
            )  # fmt: skip
            credits.append(
                (
                    base,
                    Credit(
                        transaction_id=base,
                        booked=booked,
                        amount=Decimal(tx.amount).quantize(Decimal("0.01")),
                        currency=currency,
                        name=payer,
                        iban=iban,
                        remittance=remittance,
                        source=f"{Path(name).name} (norma43)",
                    ),
                )
            )
    return Statement(name, "norma43", own, tuple(_with_occurrence(credits)), debits)
