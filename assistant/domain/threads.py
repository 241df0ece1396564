"""Threads: which message answers which, told from Message-ID, In-Reply-To and References.

Real mail is untidy: References separated by commas, comments inside the header, ids
glued together without spaces, ids without angle brackets. This module turns any of
that into a tuple of canonical ``<id>`` strings, and nothing else: no I/O, no clock.
"""

from __future__ import annotations

import re

_COMMENT = re.compile(r"\((?:[^()\\]|\\.)*\)")
_BRACKETED = re.compile(r"<\s*([^<>\s]+?)\s*>")
_BARE = re.compile(r"[^\s<>,;()\"]+@[^\s<>,;()\"]+")


def message_ids(value: str | None) -> tuple[str, ...]:
    """Every message id in a Message-ID, In-Reply-To or References header, in order.

    >>> message_ids("<a@x> (comment),<b@y><c@z>  d@w")
    ('<a@x>', '<b@y>', '<c@z>', '<d@w>')
    """
    if not value:
        return ()
    # Comments can nest one level in practice; two passes strip "(a (b) c)".
    text = _COMMENT.sub(" ", _COMMENT.sub(" ", value))
    found: list[str] = []
    position = 0
    for match in _BRACKETED.finditer(text):
        found.extend(_bare_ids(text[position : match.start()]))
        found.append(f"<{match.group(1)}>")
        position = match.end()
    found.extend(_bare_ids(text[position:]))
    seen: set[str] = set()
    unique = []
    for mid in found:
        if mid not in seen:
            seen.add(mid)
            unique.append(mid)
    return tuple(unique)


def _bare_ids(text: str) -> list[str]:
    # Some agents write ids without brackets; anything with an "@" is taken as one.
    return [f"<{m}>" for m in _BARE.findall(text)]


def message_id(value: str | None) -> str:
    """The id of a Message-ID header, or "" when it has none."""
    ids = message_ids(value)
    return ids[0] if ids else ""
