"""The freelancer's regular expressions, bounded: checked at load, run with a time limit.

A pattern in the rules runs on every candidate message, PDF text included. Python's ``re``
backtracks without limit and holds the interpreter while it does: ``(x+x+)+y`` on a line
of x's took the whole pass and kept ``run`` from hearing SIGTERM. So a rule pattern is
compiled twice: by ``re`` (what pydantic validates, and the group names the rules need)
and by the ``regex`` package, which runs it with a ``timeout`` and lets other threads run
meanwhile (``concurrent=True``).

At load, ``slow_input`` tries each pattern on texts built to make it backtrack (for each
repetition in it: what comes before, then what it repeats, thousands of times, then a
character that fails the match). A pattern that needs more than ``CHECK_LIMIT`` on one of
them is refused with its file, line and column. One that slips through and runs past
``RUN_LIMIT`` on a real message raises ``RuleTooSlow``: the message is reported and
skipped, the pass goes on.

The time limits are resource bounds, like a recursion limit: they never decide what a
rule means, so the domain stays a function of its inputs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import regex

RUN_LIMIT = 0.5  # seconds one pattern may take on one text (microseconds are usual)
CHECK_LIMIT = 0.15  # seconds one pattern may take on one probe text at load
PUMP = 1000  # characters a probe repeats a repetition's body to: (a+)+ takes seconds, fine ones ms

try:  # the parser of `re` (Python 3.11 moved it under re._parser)
    from re import _parser as _sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_parse as _sre_parse  # type: ignore[no-redef]

_MAXREPEAT = _sre_parse.MAXREPEAT
_CATEGORY_SAMPLE = {
    "CATEGORY_DIGIT": "1",
    "CATEGORY_NOT_DIGIT": "a",
    "CATEGORY_SPACE": " ",
    "CATEGORY_NOT_SPACE": "a",
    "CATEGORY_WORD": "a",
    "CATEGORY_NOT_WORD": " ",
}


class RuleTooSlow(Exception):
    """A rule pattern ran past its time limit on one text."""


class RulePattern:
    """A rule's regular expression: ``re``'s compile for what it means, ``regex`` to run it."""

    __slots__ = ("_run", "groupindex", "pattern")

    def __init__(self, source: re.Pattern[str]):
        self.pattern = source.pattern
        self.groupindex = source.groupindex
        self._run = regex.compile(source.pattern)

    def search(self, text: str, pos: int = 0, endpos: int | None = None) -> Any:
        try:
            return self._run.search(text, pos, endpos, concurrent=True, timeout=RUN_LIMIT)
        except TimeoutError:
            raise self._too_slow(text) from None

    def match(self, text: str, pos: int = 0, endpos: int | None = None) -> Any:
        try:
            return self._run.match(text, pos, endpos, concurrent=True, timeout=RUN_LIMIT)
        except TimeoutError:
            raise self._too_slow(text) from None

    def fullmatch(self, text: str, pos: int = 0, endpos: int | None = None) -> Any:
        try:
            return self._run.fullmatch(text, pos, endpos, concurrent=True, timeout=RUN_LIMIT)
        except TimeoutError:
            raise self._too_slow(text) from None

    def finditer(self, text: str, pos: int = 0, endpos: int | None = None) -> Iterator[Any]:
        try:
            yield from self._run.finditer(text, pos, endpos, concurrent=True, timeout=RUN_LIMIT)
        except TimeoutError:
            raise self._too_slow(text) from None

    def findall(self, text: str, pos: int = 0, endpos: int | None = None) -> list[Any]:
        return [m.group(0) if not self.groupindex else m.groups() for m in self.finditer(text, pos, endpos)]

    def _too_slow(self, text: str) -> RuleTooSlow:
        # The pattern is the freelancer's own rule; the text is mail and stays out of it.
        return RuleTooSlow(
            f"the rule pattern {self.pattern!r} took more than {RUN_LIMIT:g} s on a text of "
            f"{len(text)} characters; rewrite it without nested repetition (check warns about such patterns)"
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RulePattern) and other.pattern == self.pattern

    def __hash__(self) -> int:
        return hash(self.pattern)

    def __repr__(self) -> str:
        return f"RulePattern({self.pattern!r})"


def bounded(source: re.Pattern[str] | RulePattern) -> RulePattern:
    return source if isinstance(source, RulePattern) else RulePattern(source)


def slow_input(pattern: RulePattern) -> str:
    """A description of a probe text the pattern backtracks on for too long, or ""."""
    try:
        tree = _sre_parse.parse(pattern.pattern)
    except re.error:  # pragma: no cover (pydantic compiled it already)
        return ""
    probes = {
        (prefix, body, tail)
        for prefix, bodies in _repetitions(list(tree), "")
        for body in bodies
        if body
        for tail in ("\x00", "!", "")
    }
    for prefix, body, tail in sorted(probes):
        probe = prefix + body * (PUMP // len(body)) + tail
        try:
            pattern._run.search(probe, concurrent=True, timeout=CHECK_LIMIT)
        except TimeoutError:
            shown = (prefix + body * 3)[:30]
            return f"{shown!r}... repeated ({len(probe)} characters)"
    return ""


def _repetitions(items: list, before: str) -> Iterator[tuple[str, tuple[str, str]]]:
    """For each ambiguous repetition in a parsed pattern: a text that reaches it, and what it
    repeats (with its optional parts, and without)."""
    prefix = before
    for op, arg in items:
        name = str(op)
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, sub = arg
            body = _sample(list(sub)), _sample(list(sub), least=True)
            # Only a repetition of something that can itself match in several ways (a
            # repetition or an alternation inside) backtracks exponentially: `\s+` alone
            # never does, and probing it would only cost load time.
            if high > 1 and _ambiguous(list(sub)):
                yield prefix, body
            yield from _repetitions(list(sub), prefix)
            prefix += body[0] * low
        elif name == "SUBPATTERN":
            sub = arg[-1]
            yield from _repetitions(list(sub), prefix)
            prefix += _sample(list(sub))
        elif name == "BRANCH":
            for branch in arg[1]:
                yield from _repetitions(list(branch), prefix)
            prefix += _sample(list(arg[1][0]))
        elif name in ("ATOMIC_GROUP",):
            yield from _repetitions(list(arg), prefix)
            prefix += _sample(list(arg))
        else:
            prefix += _sample([(op, arg)])


def _ambiguous(items: list) -> bool:
    """Whether the parsed items hold a repetition (of more than one) or an alternation."""
    for op, arg in items:
        name = str(op)
        if name == "BRANCH":
            return True
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            if arg[1] > 1:
                return True
            inner = list(arg[2])
        elif name == "SUBPATTERN":
            inner = list(arg[-1])
        elif name == "ATOMIC_GROUP":
            inner = list(arg)
        else:
            continue
        if _ambiguous(inner):
            return True
    return False


def _sample(items: list, *, least: bool = False) -> str:
    """One text the parsed items match (a representative, not every one); ``least``:
    optional parts left out."""
    out = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "NOT_LITERAL":
            out.append("a" if chr(arg) != "a" else "b")
        elif name == "ANY":
            out.append("a")
        elif name == "IN":
            out.append(_class_sample(arg))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, _, sub = arg
            out.append(_sample(list(sub), least=least) * (low if least else max(low, 1)))
        elif name == "SUBPATTERN":
            out.append(_sample(list(arg[-1]), least=least))
        elif name == "BRANCH":
            out.append(_sample(list(arg[1][0]), least=least))
        elif name == "ATOMIC_GROUP":
            out.append(_sample(list(arg), least=least))
        # AT (anchors), GROUPREF, ASSERT...: nothing to add
    return "".join(out)


def _class_sample(arg: list) -> str:
    negate = any(str(op) == "NEGATE" for op, _ in arg)
    if negate:
        excluded = {chr(a) for op, a in arg if str(op) == "LITERAL"}
        return next(c for c in "a1 .x" if c not in excluded)
    for op, a in arg:
        name = str(op)
        if name == "LITERAL":
            return chr(a)
        if name == "RANGE":
            return chr(a[0])
        if name == "CATEGORY":
            return _CATEGORY_SAMPLE.get(str(a), "a")
    return "a"
