"""Bank statement files read into credits: every format, and garbled files refused with their line."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from assistant.adapters.statements import read_statement
from assistant.errors import StatementError
from tests.support import statements as files
from tests.support.statements import Movement

MOVEMENTS = [
    Movement(date(2026, 1, 15), Decimal("1210.00"), "BK0000000001", "ACME SOLUCIONES SL",
             "ES7620770024003102575766", "Factura 2026-001"),
    Movement(date(2026, 2, 16), Decimal("605.50"), "BK0000000002", "Initech BV", "NL91ABNA0417164300",
             "Invoice INV-7 thanks"),
    Movement(date(2026, 2, 17), Decimal("-50.00"), "BK0000000003", "Telefonica", "", "Recibo movil"),
]  # fmt: skip

WRITERS = {
    "camt.053": lambda m: files.camt(m),
    "camt.053 (001.02)": lambda m: files.camt(m, version2=True),
    "camt.052": lambda m: files.camt(m, kind="052"),
    "camt.054": lambda m: files.camt(m, kind="054"),
    "mt940": files.mt940,
    "ofx": files.ofx,
    "ofx 2 (xml)": lambda m: files.ofx(m, version2=True),
    "norma43": files.norma43,
}


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("kind", list(WRITERS))
def test_every_format_gives_the_credits_and_leaves_the_debits_out(tmp_path: Path, kind: str):
    path = write(tmp_path, "statement", WRITERS[kind](MOVEMENTS))
    before = path.read_bytes()
    statement = read_statement(path)
    assert statement.format == kind.split(" ")[0]
    assert statement.debits == 1
    assert [(c.booked, c.amount) for c in statement.credits] == [
        (date(2026, 1, 15), Decimal("1210.00")),
        (date(2026, 2, 16), Decimal("605.50")),
    ]
    first, second = statement.credits
    assert "2026-001" in first.remittance and "INV-7" in second.remittance
    assert first.name.startswith("ACME SOLUCIONES")
    if kind.startswith("ofx"):  # OFX carries no payer account
        assert first.currency == "GBP"
    else:
        assert first.iban == "ES7620770024003102575766" and first.currency == "EUR"
    assert first.transaction_id != second.transaction_id
    assert path.read_bytes() == before  # read, never changed


@pytest.mark.parametrize("kind", list(WRITERS))
def test_the_same_file_read_twice_gives_the_same_transaction_ids(tmp_path: Path, kind: str):
    a = read_statement(write(tmp_path, "a", WRITERS[kind](MOVEMENTS)))
    b = read_statement(write(tmp_path, "b", WRITERS[kind](MOVEMENTS)))
    assert [c.transaction_id for c in a.credits] == [c.transaction_id for c in b.credits]


def test_two_identical_norma43_lines_are_two_transactions(tmp_path: Path):
    twice = [MOVEMENTS[0], MOVEMENTS[0]]
    statement = read_statement(write(tmp_path, "n43", files.norma43(twice)))
    ids = [c.transaction_id for c in statement.credits]
    assert len(ids) == 2 and len(set(ids)) == 2


def test_a_camt052_and_the_camt053_of_the_same_day_share_transaction_ids(tmp_path: Path):
    intraday = read_statement(write(tmp_path, "r.xml", files.camt(MOVEMENTS, kind="052")))
    final = read_statement(write(tmp_path, "s.xml", files.camt(MOVEMENTS)))
    assert {c.transaction_id for c in intraday.credits} == {c.transaction_id for c in final.credits}


def _line_of(data: bytes, needle: bytes) -> int:
    return data[: data.index(needle)].count(b"\n") + 1


@pytest.mark.parametrize(
    "kind, find, garble",
    [
        ("camt.053", b'<Amt Ccy="EUR">605.50</Amt>', b'<Amt Ccy="EUR">6O5.50</Amt>'),
        ("camt.053", b"<BookgDt><Dt>2026-02-16", b"<BookgDt><Dt>2026-02-31"),
        ("camt.053", b"</NtryDtls>", b"</NtryDtl>"),
        ("mt940", b":61:260216", b":61:26XX16"),
        ("ofx", b"<TRNAMT>605.50", b"<TRNAMT>60X5.50"),
        ("ofx", b"<DTPOSTED>20260216", b"<DTPOSTED>2026AB16"),
        ("norma43", b"0418260216260216", b"04182602XX260216"),
        ("norma43", b"9920000000006055", b"99200000000O6055"),
    ],
)
def test_a_garbled_statement_is_refused_with_its_line(tmp_path: Path, kind: str, find: bytes, garble: bytes):
    good = WRITERS[kind](MOVEMENTS)
    assert find in good
    bad = good.replace(find, garble, 1)
    path = write(tmp_path, "bad", bad)
    with pytest.raises(StatementError) as caught:
        read_statement(path)
    assert caught.value.line == _line_of(bad, garble)
    assert str(caught.value).startswith(f"{path}:{caught.value.line}: ")


def test_a_cut_short_download_is_refused(tmp_path: Path):
    for kind in ("camt.053", "ofx", "norma43"):
        data = WRITERS[kind](MOVEMENTS)
        cut = data[: len(data) * 2 // 3]
        with pytest.raises(StatementError) as caught:
            read_statement(write(tmp_path, f"cut-{kind}", cut))
        assert caught.value.line > 0, kind


def test_an_mt940_whose_balances_do_not_add_up_is_refused_at_the_closing_balance(tmp_path: Path):
    data = files.mt940(MOVEMENTS).replace(b"C1210,00NTRF", b"C1200,00NTRF")
    with pytest.raises(StatementError, match="closing balance") as caught:
        read_statement(write(tmp_path, "sta", data))
    assert caught.value.line == _line_of(data, b":62F:")


def test_a_norma43_whose_totals_do_not_add_up_is_refused(tmp_path: Path):
    data = files.norma43(MOVEMENTS).replace(b"9920000000006055", b"9920000000007055")
    with pytest.raises(StatementError, match="mismatch"):
        read_statement(write(tmp_path, "n43", data))


def test_something_else_is_not_a_statement(tmp_path: Path):
    with pytest.raises(StatementError, match="not a bank statement"):
        read_statement(write(tmp_path, "notes.txt", b"Dear diary, ACME paid today.\n"))
    with pytest.raises(StatementError, match="DTD"):
        read_statement(
            write(
                tmp_path,
                "x.xml",
                b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "b">]>\n'
                b"<Document><BkToCstmrStmt/></Document>",
            )
        )


def test_the_german_mt940_subfields_give_payer_account_and_purpose(tmp_path: Path):
    """Banks in Germany and Austria structure :86: as ?nn subfields with SEPA tags (SVWZ+...)."""
    text = (
        ":20:STARTUMSE\r\n:25:10020030/1234567890\r\n:28C:00001/001\r\n:60F:C260301EUR1000,00\r\n"
        ":61:2603050305CR1210,00NTRFNONREF//000042\r\n"
        ":86:166?00SEPA-GUTSCHRIFT?109310?20EREF+NOTPROVIDED?21SVWZ+Rechnung 2026-0\r\n"
        "01 Maerz?30COBADEFFXXX?31DE89370400440532013000?32ACME GMBH\r\n"
        ":62F:C260305EUR2210,00\r\n"
    ).encode("latin-1")
    (credit,) = read_statement(write(tmp_path, "mt940.sta", text)).credits
    assert (credit.name, credit.iban) == ("ACME GMBH", "DE89370400440532013000")
    assert credit.remittance == "Rechnung 2026-001 Maerz"
    assert credit.amount == Decimal("1210.00") and credit.booked == date(2026, 3, 5)


def test_a_batched_camt_entry_gives_one_credit_per_transaction(tmp_path: Path):
    """One booking (Ntry) can carry several transfers (TxDtls), each with its own amount."""
    document = b"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02">
  <BkToCstmrDbtCdtNtfctn>
    <GrpHdr><MsgId>N1</MsgId><CreDtTm>2026-03-05T08:00:00</CreDtTm></GrpHdr>
    <Ntfctn>
      <Id>N1</Id>
      <Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id><Ccy>EUR</Ccy></Acct>
      <Ntry>
        <NtryRef>BATCH-7</NtryRef>
        <Amt Ccy="EUR">1815.50</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
        <BookgDt><DtTm>2026-03-05T10:00:00</DtTm></BookgDt>
        <NtryDtls>
          <TxDtls>
            <Amt Ccy="EUR">1210.00</Amt>
            <RltdPties><Dbtr><Nm>ACME</Nm></Dbtr></RltdPties>
            <RmtInf><Strd><CdtrRefInf><Ref>RF18539007547034</Ref></CdtrRefInf></Strd></RmtInf>
          </TxDtls>
          <TxDtls>
            <Refs><AcctSvcrRef>TX-2</AcctSvcrRef></Refs>
            <Amt Ccy="EUR">605.50</Amt>
            <RltdPties><Dbtr><Nm>Initech</Nm></Dbtr></RltdPties>
            <RmtInf><Ustrd>INV-7</Ustrd></RmtInf>
          </TxDtls>
        </NtryDtls>
      </Ntry>
    </Ntfctn>
  </BkToCstmrDbtCdtNtfctn>
</Document>
"""
    statement = read_statement(write(tmp_path, "n.xml", document))
    assert statement.format == "camt.054"
    assert [(c.transaction_id, c.amount, c.name, c.remittance) for c in statement.credits] == [
        ("NL91ABNA0417164300/BATCH-7/1", Decimal("1210.00"), "ACME", "RF18539007547034"),
        ("NL91ABNA0417164300/TX-2", Decimal("605.50"), "Initech", "INV-7"),
    ]
    assert {c.booked for c in statement.credits} == {date(2026, 3, 5)}


def test_an_ofx_amount_with_a_decimal_comma_is_read(tmp_path: Path):
    data = files.ofx(MOVEMENTS[:1]).replace(b"<TRNAMT>1210.00", b"<TRNAMT>1210,00")
    (credit,) = read_statement(write(tmp_path, "comma.ofx", data)).credits
    assert credit.amount == Decimal("1210.00")
