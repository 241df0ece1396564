"""The lean FETCH reader: raw imaplib response items -> plain dicts."""

from __future__ import annotations

import pytest

from assistant.adapters import imapwire


def test_a_response_with_a_header_literal():
    header = b"Subject: Factura 1\r\nMessage-ID: <a@b>\r\n\r\n"
    data = [
        (
            b"1 (UID 40 FLAGS (\\Seen $Paid) RFC822.SIZE 5120 BODY[HEADER.FIELDS (MESSAGE-ID SUBJECT)] {%d}"
            % len(header),
            header,
        ),
        b")",
    ]
    (row,) = imapwire.parse_fetch(data)
    assert row[b"SEQ"] == 1
    assert row[b"UID"] == 40
    assert row[b"FLAGS"] == (b"\\Seen", b"$Paid")
    assert row[b"RFC822.SIZE"] == 5120
    assert imapwire.body_item(row) == header


def test_several_messages_with_and_without_literals():
    data = [
        (b"1 (UID 7 BODY[] {3}", b"abc"),
        b" FLAGS ())",
        b"2 (UID 9 FLAGS (\\Draft) MODSEQ (12))",
        (b"3 (UID 11 BODY[HEADER.FIELDS (SUBJECT)] {2}", b"\r\n"),
        b")",
    ]
    rows = imapwire.parse_fetch(data)
    assert [r[b"UID"] for r in rows] == [7, 9, 11]
    assert rows[0][b"BODY[]"] == b"abc" and rows[0][b"FLAGS"] == ()
    assert rows[1][b"MODSEQ"] == 12
    assert imapwire.body_item(rows[2]) == b"\r\n"


def test_quoted_strings_and_nil_bodies():
    rows = imapwire.parse_fetch(
        [
            b'4 (UID 2 BODY[HEADER.FIELDS (SUBJECT)] "Subject: \\"x\\"\r\n" FLAGS (\\Seen))',
            b"5 (UID 3 BODY[] NIL)",
        ]
    )
    assert imapwire.body_item(rows[0]) == b'Subject: "x"\r\n'
    assert imapwire.body_item(rows[1]) is None


def test_a_literal_containing_parentheses_does_not_confuse_the_reader():
    header = b"Subject: (wip) ) ((\r\n\r\n"
    (row,) = imapwire.parse_fetch(
        [(b"1 (UID 1 BODY[HEADER] {%d}" % len(header), header), b" FLAGS (\\Seen))"]
    )
    assert imapwire.body_item(row) == header
    assert row[b"FLAGS"] == (b"\\Seen",)


def test_unbalanced_responses_are_refused():
    with pytest.raises(imapwire.WireError):
        imapwire.parse_fetch([b"1 (UID 1 FLAGS (\\Seen)"])


@pytest.mark.parametrize(
    ("uids", "text"),
    [([5], "5"), ([1, 2, 3, 7, 9, 10], "1:3,7,9:10"), ([10, 9, 9, 1], "1,9:10")],
)
def test_uid_sets_are_compact(uids, text):
    assert imapwire.uid_set(uids) == text


@pytest.mark.parametrize(
    "head",
    [
        b"7 (UID 70 FLAGS (\\Seen \\Answered $Paid $label1) RFC822.SIZE 88 BODY[HEADER.FIELDS (SUBJECT FROM)] {%d}",
        b"7 (UID 70 MODSEQ (12345) FLAGS () RFC822.SIZE 88 BODY[HEADER.FIELDS (SUBJECT)] {%d}",
        b"7 (FLAGS (\\Recent) UID 70 RFC822.SIZE 88 BODY[HEADER.FIELDS (SUBJECT)] {%d}",
        b"7 (UID 70 BODY[] {%d}",
    ],
)
def test_the_fast_path_reads_rows_as_the_tokenizer_does(head):
    literal = b'Subject: (x) {3} "q"\r\n\r\n'
    data = [(head % len(literal), literal), b")"]
    fast = imapwire.parse_fetch(data)
    slow = []
    for parts in imapwire._segments(data):
        items = imapwire._nest(imapwire._tokens(parts))
        slow.append(items)
    assert imapwire._fast_row([data[0][0], (literal,), b")"]) is not None
    (row,) = fast
    assert row[b"UID"] == 70 and imapwire.body_item(row) == literal
    pairs = slow[0][1]
    tokenized = {pairs[i].upper(): pairs[i + 1] for i in range(0, len(pairs), 2)}
    if b"FLAGS" in tokenized:
        assert row[b"FLAGS"] == tuple(tokenized[b"FLAGS"])


def test_an_unusual_row_falls_back_to_the_tokenizer():
    literal = b"x"
    data = [(b'3 (UID 9 X-GM-LABELS ("a b") BODY[] {1}', literal), b" FLAGS (\\Seen))"]
    (row,) = imapwire.parse_fetch(data)
    assert row[b"UID"] == 9 and row[b"FLAGS"] == (b"\\Seen",) and row[b"X-GM-LABELS"] == [b"a b"]
