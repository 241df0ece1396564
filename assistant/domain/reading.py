"""Reading a client's message: which words are the client's own, and what each sentence says.

A false "paid" stops the chase without a word, so this module is careful in two steps.

**Own words.** A reply carries much more than what the client wrote: the reminder it
answers, quoted with or without ``>``, under an attribution ("El mar, 17 mar 2026 a las
10:00, Lucía escribió:", "Op … heeft … het volgende geschreven:", Zoho's "---- On … wrote
----", GroupWise's ">>> … >>>") or an Outlook header block (``De: / Enviado el: / Para: /
Asunto:``, bold or not), then signatures and "Sent from my iPhone". Lines are dropped by
*provenance* first (a line that appears in what the freelancer or the assistant sent is
never the client's, whatever its layout: ``Ours``), then by *structure*. Words written
below a ``>`` quote, or between quoted parts, are kept.

**Sentences.** Each sentence of the own words is read on its own: a question, a
condition ("si ya ha realizado el pago…", "zodra het is betaald"), a request ("could you
check whether…"), a negation or a future is never a statement that something was paid.
"Paid" needs a past or present-perfect statement by the client (or a verbless one:
"Payment done.", "Transferencia hecha."); a promise needs a day that is not past; a
partial payment needs an amount. Paid and a dispute in one message is a dispute, and what
could not be decided is reported as a ``Doubt``, never guessed.

The wording of each signal is the freelancer's (``signals.yaml``); the grammar that decides
whether a sentence states something lives here, once, for es/en/nl/de/fr.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .extract import parse_amount, parse_when
from .model import Money, Signal, Signals, SignalSeen

# --------------------------------------------------------------------------- provenance

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
_SHINGLE = 4  # words in a row that make a line "ours": long enough never to be chance


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def template_fragments(source: str) -> list[str]:
    """The literal text of a Jinja template: what every rendering of it contains."""
    return [part for part in _JINJA.split(source) if part.strip()]


class Ours:
    """What the freelancer or the assistant wrote: texts sent in the thread and templates.

    A client's line is ours when most of its words sit in runs of four or more words that
    appear, in that order, in something we wrote (numbers, dates and amounts, which a
    template fills in, do not count against it). Wrapping, quote marks, bold markers and
    HTML conversion change nothing: only the words are compared.
    """

    def __init__(self, texts: Iterable[str] = ()):
        self._shingles: set[tuple[str, ...]] = set()
        self._lines: set[tuple[str, ...]] = set()
        for text in texts:
            self.add(text)

    def add(self, text: str) -> None:
        for paragraph in re.split(r"\n\s*\n", text):
            words = _words(paragraph)
            for i in range(len(words) - _SHINGLE + 1):
                self._shingles.add(tuple(words[i : i + _SHINGLE]))
            self._lines.update(tuple(_words(line)) for line in paragraph.splitlines())

    def with_texts(self, texts: Iterable[str]) -> Ours:
        """These words and ``texts`` (what was sent in a thread), leaving these unchanged."""
        texts = list(texts)
        if not texts:
            return self
        combined = Ours()
        combined._shingles = set(self._shingles)
        combined._lines = set(self._lines)
        for text in texts:
            combined.add(text)
        return combined

    def has_line(self, line: str) -> bool:
        """Whether a line of ours reads exactly ``line`` ("Hola Marta:", "Un saludo,")."""
        return tuple(_words(line)) in self._lines

    def __bool__(self) -> bool:
        return bool(self._shingles)

    def covers(self, line: str) -> bool:
        """Whether ``line`` is our wording (lines of four words or more; shorter ones are
        judged by their neighbours in ``own_words``)."""
        words = _words(line)
        if len(words) < _SHINGLE:
            return False
        covered = [False] * len(words)
        for i in range(len(words) - _SHINGLE + 1):
            if tuple(words[i : i + _SHINGLE]) in self._shingles:
                for k in range(i, i + _SHINGLE):
                    covered[k] = True
        counted = [c for w, c in zip(words, covered, strict=True) if not w.isdigit()]
        return bool(counted) and sum(counted) >= 0.6 * len(counted)


# --------------------------------------------------------------------------- structure

_QUOTE_MARK = re.compile(r"^[ \t]*(?:>|\|(?!\|))")

# "wrote" in the languages clients write in; an attribution line ends with one of them
# and a colon (Gmail, Apple Mail, Thunderbird, Outlook for Mac), or starts with the name
# ("Lucía Romero <l@x> schrieb am Di., 17. März 2026, 10:00:").
_WROTE = (
    r"wrote|writes|escribi[oó]|escribe|schreef|schrieb|a\s+[ée]crit|scrisse|ha\s+scritto|escreveu|"
    r"het\s+volgende\s+geschreven|geschreven|skrev|kirjoitti|napisa[lł]|"
    r"quoting|citando(?:\s+a)?|citeer|zitat\s+von|citation"
)
_ATTRIBUTION = re.compile(rf"(?i)^(?=.*[\d@]).*\b(?:{_WROTE})\b[^\n]{{0,80}}:\s*$")
_WROTE_WORD = re.compile(rf"(?i)\b(?:{_WROTE})\b")
_ATTRIBUTION_OPENING = re.compile(r"(?i)^\s*(?:\*|_)?\s*(?:on|el|op|am|le|il|em|den|de|la)\s+\S.*(?:\d|@|<)")
# Outlook's header block: "De:", "Van:", "From:" (bold "*From:*" or "**From:**" when an
# HTML reply was turned into text), followed by the date and the subject lines.
_HEADER_NAMES = {
    "from": r"from|de|van|von|da|de\s*:|expéditeur|remitente|afzender|absender",
    "sent": r"sent|date|enviado(?:\s+el)?|fecha|verzonden|datum|gesendet|envoy[ée](?:\s+le)?|inviato|data|enviada(?:\s+em)?|sendt",
    "to": r"to|para|aan|an|à|a|destinatario|empfänger|destinataires?|cc",
    "subject": r"subject|asunto|onderwerp|betreff|objet|oggetto|assunto",
}
_HEADER_FIELD = {
    key: re.compile(rf"(?i)^\s*[*_]{{0,2}}\s*(?:{names})\s*[*_]{{0,2}}\s*:\s*[*_]{{0,2}}")
    for key, names in _HEADER_NAMES.items()
}
_SEPARATOR = re.compile(
    r"(?i)^\s*(?:"
    r"-{2,}\s*(?:original\s+message|mensaje\s+original|oorspronkelijk\s+bericht|urspr[uü]ngliche\s+nachricht|"
    r"message\s+d'origine|messaggio\s+originale|mensagem\s+original|forwarded\s+message|mensaje\s+reenviado|"
    r"doorgestuurd\s+bericht|weitergeleitete\s+nachricht)\s*-{2,}"
    r"|_{8,}\s*$|-{8,}\s*$"
    r"|-{2,}\s*(?:on|el|op|am|le|il|em)\b.*\b(?:wrote|escribi[oó]|schreef|schrieb|a\s+[ée]crit|ha\s+scritto|escreveu)\b.*-{2,}\s*$"
    r"|>{3}\s.*>{3}\s*$"  # GroupWise: >>> "Name" <address> 17/03/2026 10:00 >>>
    r"|(?:begin\s+forwarded\s+message|inicio\s+del\s+mensaje\s+reenviado|begin\s+doorgestuurd\s+bericht)\s*:"
    r")"
)
_SIGNATURE = re.compile(r"^(?:--|—|__)\s*$")
_MOBILE_FOOTER = re.compile(
    r"(?i)^\s*(?:sent\s+from\s+my|enviado\s+desde\s+mi|verzonden\s+(?:vanaf|met)\s+mijn|verstuurd\s+(?:vanaf|met)\s+mijn|"
    r"von\s+meinem\s+\S+\s+gesendet|gesendet\s+von\s+meinem|envoy[ée]\s+de\s+mon|inviato\s+da|enviado\s+do\s+meu|"
    r"get\s+outlook\s+for|obtener\s+outlook\s+para|outlook\s+voor\s+(?:ios|android)|download\s+outlook)\b"
)


def _is_footer(line: str) -> bool:
    """ "Sent from my iPhone", not "Sent from my desk, is much easier than my phone."."""
    return len(line) <= 80 and not line.rstrip().endswith((".", "!", "?"))


def _is_quoted(line: str) -> bool:
    return bool(_QUOTE_MARK.match(line))


_DIGIT_OR_AT = re.compile(r"[\d@]")
_LONGEST_HEADING = 400  # an attribution or a separator is one short line; a longer one is text


def _quote_header(lines: list[str], i: int) -> int:
    """How many lines from ``i`` form the heading of a quoted message (0: none)."""
    line = lines[i]
    if len(line) > _LONGEST_HEADING:
        return 0
    if _SEPARATOR.match(line):
        # Outlook puts its header block under the rule: take it with the rule.
        return 1 + _header_block(lines, i + 1)
    if not _DIGIT_OR_AT.search(line):
        return _header_block(lines, i)  # every attribution names a date or an address
    if line.rstrip().endswith(":") and _ATTRIBUTION.search(line):
        return 1
    # An attribution wrapped over two or three lines: "On Tue, 17 Mar 2026 at 10:00, Lucía
    # Romero <\nlucia@freelancer.example> wrote:", "Am … schrieb Lucía Romero <\nl@x>:".
    wrapped = _ATTRIBUTION_OPENING.match(line) or (("<" in line or "@" in line) and _WROTE_WORD.search(line))
    if wrapped and not re.search(r"[.!?]\s*$", line):
        for extra in (1, 2):
            following = lines[i + 1 : i + extra + 1]
            if len(following) < extra or any(_is_quoted(f) or not f.strip() for f in following):
                break
            joined = " ".join([line, *following])
            if len(joined) < 400 and _ATTRIBUTION.search(joined):
                return extra + 1
    return _header_block(lines, i) or _notes_heading(lines, i)


_NOTES_FIELDS = frozenset(
    [
        "to",
        "cc",
        "bcc",
        "subject",
        "para",
        "asunto",
        "aan",
        "onderwerp",
        "an",
        "kopie",
        "blindkopie",
        "thema",
        "a",
        "objet",
        "copie",
    ]
)


def _notes_heading(lines: list[str], i: int) -> int:
    """HCL/Lotus Notes: "Name <address>", the date, then "To", "cc", "Subject" alone on their lines."""
    if "@" not in lines[i] or len(lines[i]) > 160:
        return 0
    fields = sum(
        lines[k].strip().lower().rstrip(":") in _NOTES_FIELDS for k in range(i + 1, min(i + 10, len(lines)))
    )
    return 1 if fields >= 2 else 0


def _header_block(lines: list[str], i: int) -> int:
    """Lines of an Outlook header block starting at ``i`` (a From field, then two of the others)."""
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i >= len(lines) or not _HEADER_FIELD["from"].match(lines[i]):
        return 0
    seen = {"from"}
    end = i + 1
    for k in range(i + 1, min(i + 12, len(lines))):
        found = [key for key, pattern in _HEADER_FIELD.items() if key != "from" and pattern.match(lines[k])]
        if found:
            seen.update(found)
            end = k + 1
        elif lines[k].strip() and k - end >= 1:
            break  # a wrapped field value is one line at most
    return end - i if len(seen) >= 3 or {"from", "subject"} <= seen else 0


def _short(line: str) -> bool:
    return sum(not w.isdigit() for w in _words(line)) < _SHINGLE


def own_words(text: str, ours: Ours | None = None) -> str:
    """The client's own words in ``text``: quotes, our wording and signatures left out.

    A quote under a heading with ``>`` marks ends where the marks end, and what follows
    is the client's again (bottom-posting, inline answers); a heading followed by unmarked
    text (Outlook, Zoho, GroupWise, a converted HTML reply) quotes to the end.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    keep = [False] * len(lines)
    mine = [False] * len(lines)
    in_signature = False
    i = 0
    while i < len(lines):
        line = lines[i]
        quoted = _is_quoted(line)
        # Headings before marks: GroupWise's starts with ">>>".
        heading = _quote_header(lines, i) if not quoted or line.startswith(">>>") else 0
        if not heading and quoted:
            in_signature = False
            i += 1
            continue
        if heading:
            after = i + heading
            while after < len(lines) and not lines[after].strip():
                after += 1
            if after < len(lines) and _is_quoted(lines[after]):
                in_signature = False
                i = after
                continue
            break  # an unmarked quote: the rest of the message is quoted
        if _SIGNATURE.match(line) or (_MOBILE_FOOTER.match(line) and _is_footer(line)):
            in_signature = True
        elif not in_signature and line.strip():
            keep[i] = True
            mine[i] = bool(ours) and ours.covers(line)  # type: ignore[union-attr]
        i += 1
    if ours:
        # Short lines around our wording are ours too: after it ("Un saludo,", the last
        # words of a wrapped line, the freelancer's name and phone), and before it when we
        # wrote that very line (our greeting "Hola Marta:").
        kept = [k for k, flag in enumerate(keep) if flag]
        for before, k in zip([None, *kept], kept, strict=False):
            if not mine[k] and before is not None and mine[before] and _short(lines[k]):
                mine[k] = True
        for k, after in reversed(list(zip(kept, [*kept[1:], None], strict=False))):
            if (
                not mine[k]
                and after is not None
                and mine[after]
                and _short(lines[k])
                and ours.has_line(lines[k])
            ):
                mine[k] = True
    out = [line if keep[k] and not mine[k] else "" for k, line in enumerate(lines)]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip("\n")


# --------------------------------------------------------------------------- sentences

_BULLET = re.compile(r"^\s*(?:[-*•·]|\d+[.)])\s+")


def sentences(words: str) -> list[str]:
    """The sentences of the own words: lines wrapped mid-sentence joined, split at . ! ? ;."""
    paragraphs: list[str] = []
    current = ""
    for line in words.splitlines():
        stripped = " ".join(line.split())
        if not stripped:
            if current:
                paragraphs.append(current)
            current = ""
            continue
        continues = (
            current
            and not re.search(r"[.!?;:,]$", current)
            and not _BULLET.match(stripped)
            and (stripped[0].islower() or stripped[0].isdigit() or stripped[0] in "€$£(")
        )
        if continues or (current and current.endswith(",") and stripped[0].islower()):
            current += " " + stripped
        else:
            if current:
                paragraphs.append(current)
            current = stripped
    if current:
        paragraphs.append(current)
    found: list[str] = []
    for paragraph in paragraphs:
        # A full stop between digits is a thousands or decimal point, never an end.
        for part in re.split(r"(?<=[.!?;])(?<!\b\d\.)(?<!\b\d\d\.)\s+|(?<=[!?;])|(?=¿|¡)", paragraph):
            part = part.strip()
            if part and _WORD.search(part):
                found.append(part)
    return found


# A client's own words are a few lines. A message whose own words run longer is read up
# to here (its first pages), so a pathological message costs milliseconds, not seconds.
_MOST_READ = 20_000
_LONGEST_SENTENCE = 1_000
_I = re.IGNORECASE
# Questions: a question mark, a Spanish opening mark, an interrogative first word, or a
# verb first followed by its subject ("Has it been paid", "Heeft u al betaald").
_QUESTION_START = re.compile(
    # Interrogatives that are never conjunctions: "cuando", "wanneer", "when", "quand"
    # open statements too ("Cuando esté hecho el pago te mando el justificante").
    r"^\W*(?:what|why|how|qué|cuándo|cómo|dónde|por\s+qué|cuál|wat|waarom|hoe|welke|wann|warum|welche|"
    r"pourquoi|comment|quel(?:le)?|est-ce)\b"
    r"|^\W*(?:could|can|would|will|did|do|does|have|has|had|is|are|was|were|shall|should|may|"
    r"heeft|hebt|hebben|is|zijn|was|waren|kunt|kun|kan|kunnen|wilt|wil|willen|zou|zouden|zal|mag|"
    r"hat|haben|habt|ist|sind|war|wurde|k[öo]nnen|k[öo]nnten|kannst|avez|as|a-t-il|est-il|pouvez|pourriez|"
    r"pod[eé]is|puedes|puede|pueden|podr[ií]as|podr[ií]a|podr[ií]an|sab[eé]is|sabes|sabe|tienes|ten[eé]is|hab[eé]is)"
    r"\s+(?:you|it|the|this|that|there|we|they|he|she|i|u|je|jij|jullie|het|de|dit|deze|er|die|ik|wij|we|"
    r"sie|du|ihr|es|die|der|das|vous|tu|il|elle|nous|on|me|nos|usted|ustedes|vosotros|confirmar|"
    r"decirme|indicarme|revisar|comprobar|enviar|mandar|reenviar|mirar|avisar|send|check|confirm)\b",
    _I,
)
_CONDITION = re.compile(
    r"\b(?:if|once|as\s+soon\s+as|when|whenever|whether|in\s+case|unless|until|before|"
    r"antes\s+de\s+que|voordat|bevor|avant\s+que|"
    r"si(?!\s*[,.!])|cuando|en\s+cuanto|una\s+vez\s+que|en\s+caso\s+de|por\s+si|tan\s+pronto|hasta\s+que|"
    r"als|wanneer|zodra|indien|mocht|tenzij|totdat|of\s+(?:het|de|deze|dit|u|we|wij|jullie|er|hij|zij)|"
    r"wenn|falls|sobald|ob|lorsque|quand|d[eè]s\s+que|une\s+fois\s+que|au\s+cas\s+o[uù]|s'il)\b",
    _I,
)
_REQUEST = re.compile(
    r"\b(?:let\s+(?:me|us)\s+know|please\s+(?:confirm|check|let|tell|advise|send)|could\s+you|can\s+you|"
    r"would\s+you|confirm(?:ing)?\s+(?:whether|if)|check(?:ing)?\s+(?:whether|if)|"
    r"av[ií]s(?:ame|eme|anos|enos|adme)|conf[ií]rm(?:a|e|ad|en|ame|enme|adme)|confirmar|comprobar|compru[eé]b\w*|"
    r"pod[eé]is|puedes|podr[ií]as?|podr[ií]an|d[ií]game|dime|dec[ií]dme|indic(?:ad|a|e)me|"
    r"laat\s+(?:me|mij|ons|u)\b.{0,30}\bweten|kunt\s+u|kun\s+je|kunnen\s+jullie|wilt\s+u|wil\s+je|"
    r"bevestig\w*|controleer\w*|nagaan|nakijken|checken|"
    r"bitte\s+(?:best[äa]tigen|pr[üu]fen|teilen)|k[öo]nnten\s+sie|k[öo]nnen\s+sie|"
    r"merci\s+de|pouvez-vous|pourriez-vous|confirmer|v[ée]rifier)\b",
    _I,
)
_NEGATION = re.compile(
    r"\b(?:no(?!\s*[,.!])|not|never|nunca|todav[ií]a\s+no|a[uú]n\s+no|ni|tampoco|"
    r"niet|nog\s+niet|geen|nooit|nicht|noch\s+nicht|kein\w*|nie|pas|jamais|ne|n')\b|n't\b",
    _I,
)
_FUTURE = re.compile(
    r"\b(?:will|shall|going\s+to|gonna|'ll|"
    r"vamos\s+a|voy\s+a|va\s+a|van\s+a|har[ée]|haremos|har[áa]n?|"
    r"(?:pagar|abonar|transferir|ingresar|realizar|enviar|mandar|saldr|tramitar|liquidar|efectuar|ordenar|emitir|"
    r"estar|ser|recibir|podr|tendr)(?:é|á|emos|án|ás|éis)|"
    r"zal|zullen|zult|gaan|ga|gaat|wordt|worden|"
    r"werde|werden|wird|allons|vais|va|\w+(?:erai|eras|era|erons|erez|eront))\b|'ll\b",
    _I,
)
# A day still to come makes a present "paid" a promise: "este viernes queda pagada".
_FUTURE_DAY = re.compile(
    r"\b(?:(?<!esta\s)mañana|tomorrow|morgen|overmorgen|demain|next\s+\w+|pr[oó]xim[oa]s?|que\s+viene|volgende|komende|"
    r"n[äa]chste[nr]?|prochaine?|sin\s+falta|uiterlijk|sp[äa]testens|au\s+plus\s+tard|"
    r"(?:este|esta|this|deze|diese[nr]?|ce)\s+(?:lunes|martes|mi[ée]rcoles|jueves|viernes|monday|tuesday|"
    r"wednesday|thursday|friday|maandag|dinsdag|woensdag|donderdag|vrijdag|montag|dienstag|mittwoch|"
    r"donnerstag|freitag|lundi|mardi|mercredi|jeudi|vendredi))\b",
    _I,
)
# The second person: "you have paid", "u hebt betaald" is the freelancer's wording.
_SECOND_PERSON = re.compile(
    r"\b(?:you|u|je|jij|usted|ustedes|vosotros|vous|tu|du)\s+(?:have\s+|has\s+|hebt\s+|heeft\s+|ha\s+|han\s+|"
    r"hab[eé]is\s+|avez\s+|habt\s+|hast\s+|haben\s+)?(?:already\s+|al\s+|ya\s+|inmiddels\s+|d[ée]j[àa]\s+)?$",
    _I,
)
_PARTIAL = re.compile(
    r"\b(?:part|partial(?:ly)?|so\s+far|for\s+now|first\s+instal(?:l)?ment|the\s+rest|remainder|balance|"
    r"una\s+parte|parte\s+del?|parcial(?:mente)?|de\s+momento|por\s+ahora|a\s+cuenta|el\s+resto|lo\s+que\s+falta|"
    r"deel|gedeeltelijk|voorlopig|alvast|de\s+rest|het\s+restant|een\s+deel|"
    r"teil\w*|anzahlung|den\s+rest|partiel\w*|une\s+partie|acompte|le\s+reste|le\s+solde)\b",
    _I,
)
_INVOICE_NUMBER_LIKE = re.compile(r"\b[A-Z]{0,5}[-/ ]?\d{2,4}[-/]\d{1,6}\b|\b\d{4}-\d{2}-\d{2}\b")
# An invoice's number as a client names it: "2025-118", "F-2026/007", "INV-0042" (a date is not one).
_NUMBER_NAMED = re.compile(r"(?<![\d][-/.])\b(?:[A-Z]{0,5}[-/]?\d{2,4}[-/]\d{3,6}|[A-Z]{2,5}-?\d{3,})\b")
_CLAUSE_END = re.compile(r"[,:;](?=\s)|\s(?:but|pero|maar|aber|mais|y|and|und|et)\s", _I)


# What changes an invoice or a deliverable; the other signals are shown, not acted on.
LEDGER_SIGNALS = frozenset(
    {Signal.PAID, Signal.DISPUTE, Signal.PROMISE, Signal.APPROVAL, Signal.SCOPE_CHANGE}
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Statement:
    """One thing the client's own words say, with the sentence that says it."""

    signal: Signal
    sentence: str
    amount: Money | None = None  # PAID: the amount the sentence names, if any
    until: date | None = None  # PROMISE: the promised day, if one is named
    partial: bool = False  # PAID: the sentence says it is a part ("de momento", "the rest")


@dataclass(frozen=True, slots=True, kw_only=True)
class Doubt:
    """A sentence that names a payment without stating one: shown, never guessed."""

    sentence: str
    reason: str  # "a question", "a condition", "a request", "a negation", "a future", ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Reading:
    """What a client's message says, for the ledger and for ``explain``."""

    words: str  # the client's own words
    statements: tuple[Statement, ...] = ()
    doubts: tuple[Doubt, ...] = ()

    def said(self, signal: Signal) -> Statement | None:
        return next((s for s in self.statements if s.signal is signal), None)

    @property
    def signals(self) -> frozenset[Signal]:
        return frozenset(s.signal for s in self.statements)

    @property
    def conflict(self) -> bool:
        """Paid and disputed in one message: a person must read it."""
        return Signal.PAID in self.signals and Signal.DISPUTE in self.signals

    def is_partial(self, owed: Money | None) -> bool:
        """Whether the payment the client names is less than ``owed``."""
        paid = self.said(Signal.PAID)
        if paid is None or paid.amount is None:
            return False
        if owed is None:
            return paid.partial
        if paid.amount.currency and owed.currency and paid.amount.currency != owed.currency:
            return False
        return paid.amount.amount < owed.amount

    def absence(self) -> str | None:
        """Why this reads as an absence notice written by hand, when it says nothing else."""
        if self.signals == {Signal.OUT_OF_OFFICE}:
            return "an absence notice"
        return None

    def notes(self) -> str:
        """What ``explain`` shows beside the ledger's change: what else was said, what was doubted."""
        shown = {
            Signal.QUESTION: "asks",
            Signal.RESEND: "asks for the invoice again",
            Signal.ACKNOWLEDGED: "acknowledges",
            Signal.OUT_OF_OFFICE: "is away",
        }
        parts = [f"{shown[s.signal]}: «{s.sentence[:120]}»" for s in self.statements if s.signal in shown]
        if self.conflict:
            paid = self.said(Signal.PAID)
            parts.append(f"also says it was paid, not taken: «{paid.sentence[:120]}»")  # type: ignore[union-attr]
        parts += [f"not taken as said ({d.reason}): «{d.sentence[:120]}»" for d in self.doubts]
        return "; ".join(parts)

    def for_ledger(self, number: str = "") -> dict[Signal, SignalSeen]:
        """The signals that change an invoice (numbered ``number``) or a deliverable,
        conflicts resolved.

        Paid and a dispute together is a dispute: the chase pauses and a person talks to
        the client. A part payment whose amount cannot be read changes nothing, and nor
        does a payment whose sentence names other invoices only ("we paid 2025-118 last
        week; this one still needs sign-off").
        """
        found: dict[Signal, SignalSeen] = {}
        for statement in self.statements:
            if statement.signal in found or statement.signal not in LEDGER_SIGNALS:
                continue
            if statement.signal is Signal.PAID and (
                Signal.DISPUTE in self.signals
                or (statement.partial and statement.amount is None)
                or (number and not _names_number(statement.sentence, number))
            ):
                continue
            found[statement.signal] = SignalSeen(
                signal=statement.signal,
                quote=statement.sentence[:200],
                until=statement.until,
                amount=statement.amount,
            )
        return found


def _asked(sentence: str) -> bool:
    return "?" in sentence or "¿" in sentence or bool(_QUESTION_START.match(sentence))


def _asked_at(sentence: str, start: int, end: int) -> bool:
    """Whether the clause holding ``start:end`` asks: "We've paid, can you confirm?" states."""
    clause_start = 0
    for match in _CLAUSE_END.finditer(sentence, 0, start):
        clause_start = match.end()
    after = _CLAUSE_END.search(sentence, end)
    clause = sentence[clause_start : after.start() if after else len(sentence)]
    opened = sentence.rfind("¿", 0, start)
    return (
        "?" in clause
        or (opened != -1 and "?" not in sentence[opened:start])
        or (clause_start == 0 and bool(_QUESTION_START.match(sentence)))
    )


def _names_number(sentence: str, number: str) -> bool:
    """Whether ``sentence`` is about invoice ``number``: it names it, or names no invoice."""
    named = [re.sub(r"[\s/-]", "", n).upper() for n in _NUMBER_NAMED.findall(sentence)]
    wanted = re.sub(r"[\s/-]", "", number).upper()
    return not named or any(wanted in n or n in wanted for n in named)


def _clause_after(sentence: str, start: int) -> str:
    after = _CLAUSE_END.search(sentence, start)
    return sentence[start : after.start() if after else len(sentence)]


def _clause_before(sentence: str, start: int) -> str:
    clause_start = 0
    for match in _CLAUSE_END.finditer(sentence, 0, start):
        clause_start = match.end()
    return sentence[clause_start:start]


def _why_not_stated(sentence: str, match: re.Match[str]) -> str | None:
    """Why a match of "paid" wording in ``sentence`` is not the client stating it, or None."""
    before = sentence[: match.start()]
    clause = _clause_before(sentence, match.start())
    if _asked_at(sentence, match.start(), match.end()):
        return "a question"
    if _CONDITION.search(before):
        return "a condition"
    if _REQUEST.search(before):
        return "a request"
    if _NEGATION.search(clause + match.group(0)):
        return "a negation"
    if _FUTURE.search(clause + match.group(0)) or _FUTURE_DAY.search(
        clause + _clause_after(sentence, match.start())
    ):
        return "a future"
    if _SECOND_PERSON.search(before):
        return "said to the client, not by them"
    return None


def _amount(sentence: str, language: str, *, partial: bool) -> Money | None:
    """Money the sentence names: with a currency, or (for a part payment) a plain amount."""
    cleaned = _INVOICE_NUMBER_LIKE.sub(" ", sentence)
    parsed = parse_amount(cleaned, language=language)
    if not parsed or parsed[0] <= 0:
        return None
    value, currency = parsed
    if currency:
        return Money(amount=value, currency=currency)
    if partial and (value != value.to_integral_value() or value >= Decimal(10)) and not 1900 <= value <= 2100:
        return Money(amount=value, currency="")
    return None


def _first(patterns: Iterable[re.Pattern[str]], sentence: str) -> Iterable[re.Match[str]]:
    for pattern in patterns:
        yield from pattern.finditer(sentence)


def read(
    text: str,
    signals: Signals,
    *,
    language: str,
    written_on: date,
    ours: Ours | None = None,
    own: bool = False,
) -> Reading:
    """Read a client's message (its whole text, quotes included unless ``own``)."""
    words = text if own else own_words(text, ours)
    statements: list[Statement] = []
    doubts: list[Doubt] = []
    seen: set[Signal] = set()

    def add(statement: Statement) -> None:
        if statement.signal not in seen:
            seen.add(statement.signal)
            statements.append(statement)

    for sentence in sentences(words[:_MOST_READ]):
        sentence = sentence[:_LONGEST_SENTENCE]
        asked = _asked(sentence)
        # Paid: a statement by the client, in the past or present perfect.
        paid_here = False
        for match in _first(signals.paid, sentence):
            why = _why_not_stated(sentence, match)
            if why:
                if not doubts or doubts[-1].sentence != sentence:  # one doubt per sentence
                    doubts.append(Doubt(sentence=sentence, reason=why))
                continue
            partial = bool(_PARTIAL.search(sentence))
            paid_here = True
            add(
                Statement(
                    signal=Signal.PAID,
                    sentence=sentence,
                    amount=_amount(sentence, language, partial=partial),
                    partial=partial,
                )
            )
            break
        for match in _first(signals.dispute, sentence):
            if _CONDITION.search(sentence[: match.start()]):
                continue
            add(Statement(signal=Signal.DISPUTE, sentence=sentence))
            break
        for match in _first(signals.promise, sentence) if not paid_here else ():
            before = sentence[: match.start()]
            if _CONDITION.search(before) or _NEGATION.search(
                _clause_before(sentence, match.start()) + match.group(0)
            ):
                continue
            if _asked_at(sentence, match.start(), match.end()):
                if not doubts or doubts[-1].sentence != sentence:
                    doubts.append(Doubt(sentence=sentence, reason="a question"))
                continue
            when = match.groupdict().get("when") or ""
            until = (
                parse_when(when, language=language, today=written_on)
                or parse_when(sentence[match.start() :], language=language, today=written_on)
                or parse_when(sentence, language=language, today=written_on)  # "El lunes te hago…"
            )
            if until is not None and until < written_on:
                until = None  # a day already past is not a promise's day
            add(Statement(signal=Signal.PROMISE, sentence=sentence, until=until))
            break
        for match in _first(signals.approval, sentence):
            if asked or _NEGATION.search(_clause_before(sentence, match.start()) + match.group(0)):
                continue
            add(Statement(signal=Signal.APPROVAL, sentence=sentence))
            break
        if next(iter(_first(signals.scope_change, sentence)), None):
            add(Statement(signal=Signal.SCOPE_CHANGE, sentence=sentence))
        resend = next(iter(_first(signals.resend, sentence)), None)
        if resend is not None and not _CONDITION.search(sentence[: resend.start()]):
            add(Statement(signal=Signal.RESEND, sentence=sentence))
        elif asked and Signal.DISPUTE not in {s.signal for s in statements if s.sentence == sentence}:
            add(Statement(signal=Signal.QUESTION, sentence=sentence))
        for match in _first(signals.acknowledgement, sentence):
            if (
                asked
                or _CONDITION.search(sentence[: match.start()])
                or _REQUEST.search(sentence[: match.start()])
                or _NEGATION.search(_clause_before(sentence, match.start()) + match.group(0))
            ):
                continue
            add(Statement(signal=Signal.ACKNOWLEDGED, sentence=sentence))
            break
        for match in _first(signals.out_of_office, sentence):
            if asked or _CONDITION.search(sentence[: match.start()]):
                continue
            add(Statement(signal=Signal.OUT_OF_OFFICE, sentence=sentence))
            break
    if Signal.PAID in seen and Signal.PROMISE in seen:
        # "Hemos pagado 500 €; el resto a finales de mes": the promise is the rest's. The
        # payment is what the ledger takes; the promise is shown.
        promise = next(s for s in statements if s.signal is Signal.PROMISE)
        statements.remove(promise)
        doubts.append(Doubt(sentence=promise.sentence, reason="the rest promised beside a payment"))
    return Reading(words=words, statements=tuple(statements), doubts=tuple(doubts))
