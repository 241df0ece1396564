"""A lean reader for IMAP FETCH responses, for the bulk paths of a scan.

imapclient parses every FETCH response into typed Python values; on a large mailbox
that parser, not the server, is the bottleneck (ARCHITECTURE.md measured ~10x the wire
time). A scan needs a handful of items per message (UID, FLAGS, RFC822.SIZE, MODSEQ and
one header literal), so this module reads imaplib's raw response lines into plain dicts
and nothing more. Everything else in the IMAP adapter stays on imapclient.

Input is what ``imaplib`` collects for untagged FETCH responses: for each message either
``b'12 (UID 40 FLAGS (\\Seen))'`` or, when literals are present, tuples of
``(b'12 (UID 40 BODY[...] {342}', b'<342 bytes>')`` followed by the rest of the line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

_TOKEN = re.compile(
    rb"""
      (?P<open>\()
    | (?P<close>\))
    | "(?P<quoted>(?:[^"\\]|\\.)*)"
    | (?P<literal>\{\d+\+?\})\s*$
    | (?P<atom>[^\s()\[\]"]+(?:\[[^\]]*\](?:<[\d.]+>)?)?)
    """,
    re.X,
)
_QUOTED_ESCAPE = re.compile(rb"\\(.)")


class WireError(ValueError):
    """A FETCH response this reader does not understand."""


def _segments(data: Iterable[Any]) -> Iterator[list[bytes | tuple[bytes]]]:
    """Group imaplib's items into one list per message; literals wrapped in 1-tuples.

    imaplib stores a response with literals as ``(line, literal)`` tuples followed by the
    bytes that end the line, so a message ends at the first plain bytes item.
    """
    current: list[bytes | tuple[bytes]] = []
    for item in data:
        if item is None:
            continue
        if isinstance(item, tuple):
            current.append(item[0])
            current.append((item[1],))
        else:
            current.append(item)
            yield current
            current = []
    if current:
        yield current


def _tokens(parts: list[bytes | tuple[bytes]]) -> Iterator[tuple[str, Any]]:
    for part in parts:
        if isinstance(part, tuple):
            yield "value", part[0]
            continue
        for match in _TOKEN.finditer(part):
            kind = match.lastgroup
            if kind == "literal":
                continue  # the literal's bytes arrive as the next part
            if kind == "quoted":
                yield "value", _QUOTED_ESCAPE.sub(rb"\1", match.group("quoted"))
            elif kind == "atom":
                yield "atom", match.group("atom")
            else:
                yield kind, None


def _nest(tokens: Iterator[tuple[str, Any]]) -> list[Any]:
    stack: list[list[Any]] = [[]]
    for kind, value in tokens:
        if kind == "open":
            stack.append([])
        elif kind == "close":
            if len(stack) == 1:
                raise WireError("unbalanced ')' in FETCH response")
            done = stack.pop()
            stack[-1].append(done)
        else:
            stack[-1].append(value)
    if len(stack) != 1:
        raise WireError("unterminated '(' in FETCH response")
    return stack[0]


def parse_fetch(data: Iterable[Any]) -> list[dict[bytes, Any]]:
    """One dict per FETCH response: upper-case item name -> raw value.

    ``b'SEQ'`` holds the sequence number; ``b'UID'``, ``b'RFC822.SIZE'`` become ints,
    ``b'FLAGS'`` a tuple of bytes, ``b'MODSEQ'`` an int; a ``BODY[...]`` item keeps its
    bytes (None for NIL) under its name with ``.PEEK`` removed.
    """
    messages = []
    for parts in _segments(data):
        fast = _fast_row(parts)
        if fast is not None:
            messages.append(fast)
            continue
        items = _nest(_tokens(parts))
        if len(items) < 2 or not isinstance(items[1], list):
            raise WireError(f"not a FETCH response: {parts[0]!r:.80}")
        pairs = items[1]
        result: dict[bytes, Any] = {b"SEQ": int(items[0])}
        for i in range(0, len(pairs) - 1, 2):
            name = pairs[i].upper() if isinstance(pairs[i], bytes) else pairs[i]
            value = pairs[i + 1]
            if name in (b"UID", b"RFC822.SIZE"):
                value = int(value)
            elif name == b"FLAGS":
                value = tuple(value)
            elif name == b"MODSEQ":
                value = int(value[0]) if isinstance(value, list) and value else value
            elif value == b"NIL":
                value = None
            result[name.replace(b".PEEK", b"")] = value
        messages.append(result)
    return messages


# The common shape of a scan's rows: "12 (UID 40 [MODSEQ (7) ]FLAGS (\Seen) RFC822.SIZE 5120
# BODY[HEADER.FIELDS (...)] {342}", the literal, then ")". Read with three regular
# expressions instead of the tokenizer: at 100,000 messages the difference is seconds.
_FAST_HEAD = re.compile(
    rb"^(\d+) \(((?:UID|FLAGS|RFC822\.SIZE|MODSEQ)[^{}\[\]\"]*?) ?(BODY\[[^\]]*\](?:<\d+>)?) \{\d+\}$"
)
_FAST_ITEM = re.compile(rb"(UID|RFC822\.SIZE) (\d+)|FLAGS \(([^()]*)\)|MODSEQ \((\d+)\)")


def _fast_row(parts: list[bytes | tuple[bytes]]) -> dict[bytes, Any] | None:
    if len(parts) != 3 or not isinstance(parts[1], tuple) or parts[2] != b")":
        return None
    head = parts[0]
    if not isinstance(head, bytes):
        return None
    match = _FAST_HEAD.match(head)
    if match is None:
        return None
    result: dict[bytes, Any] = {b"SEQ": int(match.group(1))}
    items = match.group(2)
    end = 0
    for item in _FAST_ITEM.finditer(items):
        if items[end : item.start()].strip():
            return None  # something this shortcut does not know: the tokenizer reads it
        end = item.end()
        if item.group(1):
            result[item.group(1)] = int(item.group(2))
        elif item.group(4):
            result[b"MODSEQ"] = int(item.group(4))
        else:
            result[b"FLAGS"] = tuple(item.group(3).split())
    if items[end:].strip():
        return None
    result[match.group(3).replace(b".PEEK", b"")] = parts[1][0]
    return result


def uid_set(uids: Sequence[int]) -> str:
    """A compact IMAP sequence set: [1, 2, 3, 7, 9, 10] -> "1:3,7,9:10"."""
    if not uids:
        raise ValueError("an empty UID set")
    ordered = sorted(set(uids))
    ranges = []
    start = previous = ordered[0]
    for uid in ordered[1:]:
        if uid == previous + 1:
            previous = uid
            continue
        ranges.append(f"{start}:{previous}" if previous != start else str(start))
        start = previous = uid
    ranges.append(f"{start}:{previous}" if previous != start else str(start))
    return ",".join(ranges)


def body_item(message: dict[bytes, Any]) -> bytes | None:
    """The first ``BODY[...]`` item of a parsed FETCH response."""
    for name, value in message.items():
        if name.startswith(b"BODY[") and (value is None or isinstance(value, bytes)):
            return value
    return None
