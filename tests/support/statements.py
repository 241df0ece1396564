"""Bank statement files for the tests, written from the formats' public specifications.

One list of ``Movement`` values becomes a CAMT.053/052/054 document (ISO 20022), a SWIFT
MT940 message (with the Dutch ``/KEY/value/`` :86: layout the banks of the Netherlands use),
an OFX 1 (SGML) or OFX 2 (XML) download, or a Norma 43 (AEB Cuaderno 43) file of fixed
80-character records, so each parser is measured on the same money.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape

OWN_IBAN = "ES9121000418450200051332"


@dataclass(frozen=True)
class Movement:
    booked: date
    amount: Decimal  # positive: money in
    reference: str  # the bank's own id of the transaction
    name: str = ""
    iban: str = ""
    remittance: str = ""
    currency: str = "EUR"


# --------------------------------------------------------------------------- ISO 20022

_CAMT = {
    "053": ("camt.053.001.08", "BkToCstmrStmt", "Stmt"),
    "052": ("camt.052.001.08", "BkToCstmrAcctRpt", "Rpt"),
    "054": ("camt.054.001.08", "BkToCstmrDbtCdtNtfctn", "Ntfctn"),
}


def camt(
    movements: list[Movement], *, kind: str = "053", statement_id: str = "STMT-1", version2=False
) -> bytes:
    """A camt.05x document; ``version2`` writes the older .001.02 party layout (no <Pty>)."""
    schema, root, block = _CAMT[kind]
    if version2:
        schema = schema.replace(".001.08", ".001.02")
    entries = []
    for m in movements:
        party = f"<Nm>{escape(m.name)}</Nm>"
        debtor = f"<Dbtr>{party}</Dbtr>" if version2 else f"<Dbtr><Pty>{party}</Pty></Dbtr>"
        account = f"<DbtrAcct><Id><IBAN>{m.iban}</IBAN></Id></DbtrAcct>" if m.iban else ""
        sign = "CRDT" if m.amount >= 0 else "DBIT"
        status = "<Sts>BOOK</Sts>" if version2 else "<Sts><Cd>BOOK</Cd></Sts>"
        entries.append(
            f"""
      <Ntry>
        <NtryRef>{m.reference}</NtryRef>
        <Amt Ccy="{m.currency}">{abs(m.amount):.2f}</Amt>
        <CdtDbtInd>{sign}</CdtDbtInd>
        {status}
        <BookgDt><Dt>{m.booked.isoformat()}</Dt></BookgDt>
        <ValDt><Dt>{m.booked.isoformat()}</Dt></ValDt>
        <AcctSvcrRef>{m.reference}</AcctSvcrRef>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls><TxDtls>
          <Refs><AcctSvcrRef>{m.reference}</AcctSvcrRef><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
          <Amt Ccy="{m.currency}">{abs(m.amount):.2f}</Amt>
          <CdtDbtInd>{sign}</CdtDbtInd>
          <RltdPties>{debtor}{account}</RltdPties>
          <RmtInf><Ustrd>{escape(m.remittance)}</Ustrd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>"""
        )
    first = min((m.booked for m in movements), default=date(2026, 1, 1))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:{schema}">
  <{root}>
    <GrpHdr><MsgId>{statement_id}</MsgId><CreDtTm>{first.isoformat()}T08:00:00</CreDtTm></GrpHdr>
    <{block}>
      <Id>{statement_id}</Id>
      <CreDtTm>{first.isoformat()}T08:00:00</CreDtTm>
      <Acct><Id><IBAN>{OWN_IBAN}</IBAN></Id><Ccy>EUR</Ccy></Acct>{"".join(entries)}
    </{block}>
  </{root}>
</Document>
""".encode()


# --------------------------------------------------------------------------- SWIFT MT940


def _mt_amount(value: Decimal) -> str:
    return f"{abs(value):.2f}".replace(".", ",")


def mt940(movements: list[Movement], *, statement_id: str = "STMT1") -> bytes:
    opening = Decimal("1000.00")
    lines = [
        ":20:" + statement_id,
        ":25:" + OWN_IBAN,
        ":28C:1/1",
        f":60F:C{min(m.booked for m in movements):%y%m%d}EUR{_mt_amount(opening)}",
    ]
    balance = opening
    for m in movements:
        balance += m.amount
        sign = "C" if m.amount >= 0 else "D"
        lines.append(
            f":61:{m.booked:%y%m%d}{m.booked:%m%d}{sign}{_mt_amount(m.amount)}NTRFNONREF//{m.reference}"
        )
        detail = (
            f"/TRTP/SEPA OVERBOEKING/IBAN/{m.iban}/NAME/{m.name}/REMI/USTD//{m.remittance}/EREF/NOTPROVIDED"
        )
        lines.append(":86:" + detail[:65])
        lines.extend(detail[i : i + 65] for i in range(65, len(detail), 65))
    lines.append(f":62F:C{max(m.booked for m in movements):%y%m%d}EUR{_mt_amount(balance)}")
    return ("\r\n".join(lines) + "\r\n").encode("latin-1")


# --------------------------------------------------------------------------- OFX


def ofx(movements: list[Movement], *, version2: bool = False) -> bytes:
    start = min(m.booked for m in movements)
    end = max(m.booked for m in movements)
    rows = "".join(
        f"<STMTTRN><TRNTYPE>{'CREDIT' if m.amount >= 0 else 'DEBIT'}</TRNTYPE>"
        f"<DTPOSTED>{m.booked:%Y%m%d}120000</DTPOSTED><TRNAMT>{m.amount:.2f}</TRNAMT>"
        f"<FITID>{m.reference}</FITID><NAME>{escape(m.name[:32])}</NAME>"
        f"<MEMO>{escape(m.remittance)}</MEMO></STMTTRN>"
        for m in movements
    )
    body = (
        "<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0</CODE><SEVERITY>INFO</SEVERITY></STATUS>"
        f"<DTSERVER>{end:%Y%m%d}120000</DTSERVER><LANGUAGE>ENG</LANGUAGE></SONRS></SIGNONMSGSRSV1>"
        "<BANKMSGSRSV1><STMTTRNRS><TRNUID>1</TRNUID><STATUS><CODE>0</CODE><SEVERITY>INFO</SEVERITY>"
        "</STATUS><STMTRS><CURDEF>GBP</CURDEF><BANKACCTFROM><BANKID>400515</BANKID>"
        "<ACCTID>12345678</ACCTID><ACCTTYPE>CHECKING</ACCTTYPE></BANKACCTFROM>"
        f"<BANKTRANLIST><DTSTART>{start:%Y%m%d}</DTSTART><DTEND>{end:%Y%m%d}</DTEND>{rows}</BANKTRANLIST>"
        f"<LEDGERBAL><BALAMT>0.00</BALAMT><DTASOF>{end:%Y%m%d}</DTASOF></LEDGERBAL>"
        "</STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>"
    )
    if version2:
        head = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<?OFX OFXHEADER="200" VERSION="220" SECURITY="NONE" '
            'OLDFILEUID="NONE" NEWFILEUID="NONE"?>\n'
        )
        return (head + body).encode()
    head = (
        "OFXHEADER:100\r\nDATA:OFXSGML\r\nVERSION:102\r\nSECURITY:NONE\r\nENCODING:USASCII\r\n"
        "CHARSET:1252\r\nCOMPRESSION:NONE\r\nOLDFILEUID:NONE\r\nNEWFILEUID:NONE\r\n\r\n"
    )
    return (head + body.replace("><", ">\r\n<")).encode("cp1252")


# --------------------------------------------------------------------------- Norma 43


def _n43_amount(value: Decimal) -> str:
    return f"{int(abs(value) * 100):014d}"


def norma43(movements: list[Movement]) -> bytes:
    """AEB Cuaderno 43: header 11, a 22 per movement with its 23 concepts, totals 33, end 88."""
    bank, branch, account = "2100", "0418", "0200051332"
    start = min(m.booked for m in movements)
    end = max(m.booked for m in movements)
    opening = Decimal("1000.00")
    records = [
        f"11{bank}{branch}{account}{start:%y%m%d}{end:%y%m%d}2{_n43_amount(opening)}9783{'FREELANCER':<26}   "
    ]
    debits = [m for m in movements if m.amount < 0]
    credits = [m for m in movements if m.amount >= 0]
    for m in movements:
        sign = "2" if m.amount >= 0 else "1"
        records.append(
            f"22    {branch}{m.booked:%y%m%d}{m.booked:%y%m%d}02099{sign}{_n43_amount(m.amount)}"
            f"{m.reference[-10:]:>010}{0:012d}{m.remittance[:16]:<16}"
        )
        concepts = [f"TRANSFERENCIA DE {m.name}"[:38], m.remittance[:38], m.iban[:38]]
        for i in range(0, len(concepts), 2):
            pair = concepts[i : i + 2] + [""] * (2 - len(concepts[i : i + 2]))
            records.append(f"23{i // 2 + 1:02d}{pair[0]:<38}{pair[1]:<38}")
    closing = opening + sum((m.amount for m in movements), Decimal(0))
    paid_out = sum((m.amount for m in debits), Decimal(0))
    paid_in = sum((m.amount for m in credits), Decimal(0))
    records.append(
        f"33{bank}{branch}{account}{len(debits):05d}{_n43_amount(paid_out)}"
        f"{len(credits):05d}{_n43_amount(paid_in)}"
        f"{'2' if closing >= 0 else '1'}{_n43_amount(closing)}978    "
    )
    records.append(f"88{'9' * 18}{len(records):06d}{'':54}")
    for record in records:
        assert len(record) == 80, (len(record), record)
    return ("\r\n".join(records) + "\r\n").encode("latin-1")
