"""How well are clients' replies read? Precision and recall per signal and language.

```sh
.venv/bin/python bench/recognition.py              # the reader, and the libraries installed
.venv/bin/python bench/recognition.py --show es-004-zoho   # one reply: text, own words, reading
.venv/bin/python bench/recognition.py --write /tmp/replies # the corpus as .eml files
```

The corpus is built deterministically from parts: every client message of
``tests/data/client_replies.yaml`` (es, en, nl, de, fr; labelled with the signals it must
give) laid out by four of the mail-client layouts of ``tests/support/layouts.py`` around
one of the messages it answers (the project's own reminders rendered, or the invoice
email; ``tests/support/ours.py``), as RFC 5322 bytes. Each reply goes through the real
pipeline: ``adapters.parse.parse_mail`` (HTML-only replies converted to text there), then
an extractor of the client's own words, then ``reading.read`` on those words.

Extractors compared on the same replies: the reader's structure alone; the reader with
provenance (what was sent in the thread, and the shipped templates' wording); and, when
installed, email-reply-parser, quotequail and mail-parser-reply (their output read by the
same sentence reader).

Printed: for each extractor, the share of replies whose own words were extracted
acceptably (every line the client wrote kept, no other line but their signature), false
"paid" (the ledger would mark the invoice paid, or fully paid, when the client did not say
so), and the lowest recall of any signal in any language; then, for the reader with
provenance, precision and recall per signal and language and the worst confusions.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.adapters.parse import parse_mail  # noqa: E402
from assistant.config import load_rules  # noqa: E402
from assistant.domain import reading  # noqa: E402
from assistant.domain.model import Signal, Signals  # noqa: E402
from tests.support import ours  # noqa: E402
from tests.support.layouts import LAYOUTS, reply_message  # noqa: E402

DATA = ROOT / "tests" / "data" / "client_replies.yaml"
LAYOUTS_PER_MESSAGE = 4
KINDS = ("paid", "partial", "dispute", "promise", "question", "resend", "acknowledgement", "out-of-office")
_KIND_OF = {
    Signal.DISPUTE: "dispute",
    Signal.QUESTION: "question",
    Signal.RESEND: "resend",
    Signal.ACKNOWLEDGED: "acknowledgement",
    Signal.OUT_OF_OFFICE: "out-of-office",
}


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    language: str
    labels: frozenset[tuple[str, object]]
    own: str  # what the client wrote
    quoted: str  # what they answer (ours)
    layout: str
    raw: bytes


def _label(text: str) -> tuple[str, object]:
    kind, _, value = text.partition(" ")
    if kind == "partial":
        return kind, Decimal(value)
    if kind == "promise":
        return kind, date.fromisoformat(value) if value else None
    if kind not in KINDS:
        raise ValueError(f"unknown label {text!r}")
    return kind, None


def corpus(path: Path = DATA) -> list[Case]:
    messages = yaml.safe_load(path.read_text(encoding="utf-8"))
    quotables = {lang: ours.quotable(lang) for lang in {m["lang"] for m in messages}}
    cases = []
    for i, message in enumerate(messages):
        language = message["lang"]
        labels = frozenset(_label(label) for label in message["labels"])
        for j in range(LAYOUTS_PER_MESSAGE):
            layout = LAYOUTS[(i + j * 4) % len(LAYOUTS)]
            _, text = quotables[language][(i + j) % len(quotables[language])]
            raw = reply_message(
                layout, message["text"].strip(), ours.quoted(language, text), language,
                variant=i // len(LAYOUTS) + j, written=ours.WRITTEN, message_id=f"<r{i}-{j}@client.example>",
            )  # fmt: skip
            cases.append(
                Case(
                    f"{language}-{i:03d}-{layout.name}",
                    language,
                    labels,
                    message["text"],
                    text,
                    layout.name,
                    raw,
                )
            )
    return cases


# --------------------------------------------------------------------------- extractors

_TEMPLATE_FRAGMENTS: dict[str, list[str]] = {}


def _fragments(language: str) -> list[str]:
    if language not in _TEMPLATE_FRAGMENTS:
        rules = load_rules(None)
        _TEMPLATE_FRAGMENTS[language] = [
            fragment
            for (lang, _), source in rules.templates.items()
            if lang == language
            for fragment in reading.template_fragments(source.text)
        ]
    return _TEMPLATE_FRAGMENTS[language]


def _structure(text: str, case: Case) -> str:
    return reading.own_words(text)


def _provenance(text: str, case: Case) -> str:
    return reading.own_words(text, reading.Ours([case.quoted, *_fragments(case.language)]))


def extractors() -> dict[str, Callable[[str, Case], str]]:
    found: dict[str, Callable[[str, Case], str]] = {
        "reader + provenance": _provenance,
        "reader, structure only": _structure,
    }
    try:
        from email_reply_parser import EmailReplyParser

        found["email-reply-parser 0.5.12"] = lambda text, case: EmailReplyParser.parse_reply(text)
    except ImportError:
        pass
    try:
        import quotequail

        found["quotequail 0.5.4"] = lambda text, case: "\n".join(
            part for visible, part in quotequail.quote(text, quote_intro_line=True) if visible
        )
    except ImportError:
        pass
    try:
        from mailparser_reply import EmailReplyParser as MailParserReply

        parser = MailParserReply(languages=["en", "es", "nl", "de", "fr"])
        found["mail-parser-reply 1.36"] = lambda text, case: parser.parse_reply(text=text) or ""
    except ImportError:
        pass
    return found


# --------------------------------------------------------------------------- scoring


def _lines(text: str) -> list[tuple[str, ...]]:
    return [words for words in (tuple(reading._words(line)) for line in text.splitlines()) if words]


def own_words_right(extracted: str, case: Case) -> bool:
    """Every line the client wrote is kept, and nothing else but a signature or footer."""
    own = set(_lines(case.own))
    got = _lines(extracted)
    return own <= set(got) and all(line in own or _signature(line) for line in got)


def _signature(line: tuple[str, ...]) -> bool:
    return bool(reading._MOBILE_FOOTER.match(" ".join(line)))


def predicted(result: reading.Reading, case: Case) -> set[tuple[str, object]]:
    found: set[tuple[str, object]] = set()
    owed = ours.OWED[case.language]
    for statement in result.statements:
        if statement.signal is Signal.PAID:
            if Signal.PAID not in result.for_ledger(ours.NUMBER) and Signal.DISPUTE not in result.signals:
                continue  # about another invoice, or a part payment with no amount: not taken
            if result.is_partial(owed):
                found.add(("partial", statement.amount.amount if statement.amount else None))
            else:
                found.add(("paid", None))
        elif statement.signal is Signal.PROMISE:
            found.add(("promise", statement.until))
        elif statement.signal in _KIND_OF:
            found.add((_KIND_OF[statement.signal], None))
    return found


def false_paid(result: reading.Reading, case: Case) -> bool:
    """The ledger would take this as paid (or as fully paid) and the client did not say so."""
    ledger = result.for_ledger(ours.NUMBER)
    if Signal.PAID not in ledger:
        return False
    kinds = {kind for kind, _ in case.labels}
    if "dispute" in kinds or not kinds & {"paid", "partial"}:
        return True
    return "partial" in kinds and not result.is_partial(ours.OWED[case.language])


@dataclass
class Score:
    right: int = 0
    false_paid: int = 0
    cases: int = 0
    tp: Counter = None  # type: ignore[assignment]
    fp: Counter = None  # type: ignore[assignment]
    fn: Counter = None  # type: ignore[assignment]
    confusions: Counter = None  # type: ignore[assignment]
    examples: dict = None  # type: ignore[assignment]
    by_layout: Counter = None  # type: ignore[assignment]
    layout_total: Counter = None  # type: ignore[assignment]
    wrong_words: list = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        for name in ("tp", "fp", "fn", "confusions", "by_layout", "layout_total"):
            setattr(self, name, Counter())
        self.examples = defaultdict(list)
        self.wrong_words = []

    def recall(self, kind: str, language: str) -> float | None:
        total = self.tp[kind, language] + self.fn[kind, language]
        return self.tp[kind, language] / total if total else None

    def precision(self, kind: str, language: str) -> float | None:
        total = self.tp[kind, language] + self.fp[kind, language]
        return self.tp[kind, language] / total if total else None


def score(cases: list[Case], extract: Callable[[str, Case], str], signals: Signals) -> Score:
    result = Score()
    texts = _texts(cases)
    for case in cases:
        text = texts[case.id]
        words = extract(text, case)
        reading_ = reading.read(
            words, signals, language=case.language, written_on=ours.WRITTEN.date(), own=True
        )
        result.cases += 1
        result.layout_total[case.layout] += 1
        if own_words_right(words, case):
            result.right += 1
            result.by_layout[case.layout] += 1
        else:
            result.wrong_words.append(case.id)
        if false_paid(reading_, case):
            result.false_paid += 1
            result.examples["FALSE PAID"].append(case.id)
        gold = {kind: value for kind, value in case.labels}
        got = {kind: value for kind, value in predicted(reading_, case)}
        for kind in KINDS:
            if kind in gold and kind in got and gold[kind] == got[kind]:
                result.tp[kind, case.language] += 1
                continue
            if kind in gold:
                result.fn[kind, case.language] += 1
                what = f"{kind} missed" if kind not in got else f"{kind}: {gold[kind]} read as {got[kind]}"
                result.confusions[what, case.language] += 1
                result.examples[what, case.language].append(case.id)
            if kind in got:
                result.fp[kind, case.language] += 1
                if kind not in gold:
                    what = f"{kind} read where there is none"
                    result.confusions[what, case.language] += 1
                    result.examples[what, case.language].append(case.id)
    return result


_TEXT_CACHE: dict[bytes, str] = {}


def _texts(cases: list[Case]) -> dict[str, str]:
    """Each reply's text as the pipeline parses it (parsed once: every extractor reads it)."""
    for case in cases:
        if case.raw not in _TEXT_CACHE:
            _TEXT_CACHE[case.raw] = parse_mail(case.raw, uid=1).text
    return {case.id: _TEXT_CACHE[case.raw] for case in cases}


def lowest_recall(result: Score, languages: list[str]) -> tuple[float, str]:
    worst = (1.0, "")
    for kind in KINDS:
        for language in languages:
            value = result.recall(kind, language)
            if value is not None and value < worst[0]:
                worst = (value, f"{kind}/{language}")
    return worst


def _pct(value: float | None) -> str:
    return "   -" if value is None else f"{100 * value:4.0f}"


def report(cases: list[Case], *, out=sys.stdout) -> dict:
    """Print the comparison and the reader's details; return the numbers."""
    signals = load_rules(None).signals
    languages = sorted({c.language for c in cases}, key=["es", "en", "nl", "de", "fr"].index)
    print(
        f"{len(cases)} replies: {len({c.own for c in cases})} client messages x {LAYOUTS_PER_MESSAGE} of "
        f"{len(LAYOUTS)} layouts; languages {', '.join(f'{lang} {sum(c.language == lang for c in cases)}' for lang in languages)}",
        file=out,
    )
    print(f"\n{'extractor':28} {'own words right':>16} {'false paid':>11} {'lowest recall':>22}", file=out)
    results = {}
    for name, extract in extractors().items():
        result = score(cases, extract, signals)
        results[name] = result
        low, where = lowest_recall(result, languages)
        print(
            f"{name:28} {100 * result.right / result.cases:15.1f}% {result.false_paid:11d} {100 * low:14.0f}% {where:>7}",
            file=out,
        )
    main = results["reader + provenance"]
    print("\nreader + provenance: precision / recall (%) per signal and language", file=out)
    print(f"{'signal':16}" + "".join(f"{lang:>12}" for lang in languages), file=out)
    for kind in KINDS:
        cells = "".join(
            f"{_pct(main.precision(kind, lang)):>6}/{_pct(main.recall(kind, lang)):>4} " for lang in languages
        )
        print(f"{kind:16}{cells}", file=out)
    print("\nown words right per layout (reader + provenance | structure only):", file=out)
    structure = results["reader, structure only"]
    for layout in LAYOUTS:
        total = main.layout_total[layout.name]
        if total:
            print(
                f"  {layout.name:20} {100 * main.by_layout[layout.name] / total:5.1f}% | "
                f"{100 * structure.by_layout[layout.name] / total:5.1f}%   ({total})",
                file=out,
            )
    print("\nworst confusions (reader + provenance):", file=out)
    for (what, language), count in main.confusions.most_common(12):
        print(
            f"  {count:3d}  {language}  {what}   e.g. {', '.join(main.examples[what, language][:3])}",
            file=out,
        )
    if main.examples.get("FALSE PAID"):
        print(f"\nFALSE PAID: {', '.join(main.examples['FALSE PAID'])}", file=out)
    if main.wrong_words:
        print(f"\nown words not right: {', '.join(main.wrong_words[:20])}", file=out)
    return {
        name: {
            "replies": r.cases,
            "own_words_right": round(r.right / r.cases, 4),
            "false_paid": r.false_paid,
            "lowest_recall": round(lowest_recall(r, languages)[0], 4),
            "recall": {f"{k}/{lang}": r.recall(k, lang) for k in KINDS for lang in languages},
            "precision": {f"{k}/{lang}": r.precision(k, lang) for k in KINDS for lang in languages},
        }
        for name, r in results.items()
    }


def show(cases: list[Case], case_id: str) -> None:
    signals = load_rules(None).signals
    for case in cases:
        if case.id != case_id:
            continue
        text = _texts([case])[case.id]
        print(f"--- {case.id} labels {sorted(map(str, case.labels))}\n--- text as parsed:\n{text}")
        for name, extract in extractors().items():
            words = extract(text, case)
            result = reading.read(
                words, signals, language=case.language, written_on=ours.WRITTEN.date(), own=True
            )
            print(f"\n--- {name}: own words right: {own_words_right(words, case)}\n{words}")
            print(f"    statements: {[(s.signal.value, s.amount, s.until) for s in result.statements]}")
            print(f"    doubts: {[(d.reason, d.sentence) for d in result.doubts]}")
        return
    raise SystemExit(f"no case {case_id}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--show", metavar="ID", help="print one reply, its own words and its reading")
    parser.add_argument("--write", metavar="DIR", help="write the corpus as .eml files")
    parser.add_argument("--json", metavar="FILE", help="write the numbers as JSON")
    parser.add_argument(
        "--data",
        metavar="FILE",
        default=str(DATA),
        help="client messages (default: %(default)s; "
        "tests/data/client_replies_heldout.yaml is the held-out set)",
    )
    args = parser.parse_args(argv)
    cases = corpus(Path(args.data))
    if args.show:
        show(cases, args.show)
        return 0
    if args.write:
        target = Path(args.write)
        target.mkdir(parents=True, exist_ok=True)
        for case in cases:
            (target / f"{case.id}.eml").write_bytes(case.raw)
    numbers = report(cases)
    if args.json:
        Path(args.json).write_text(json.dumps(numbers, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
