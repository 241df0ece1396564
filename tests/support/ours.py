"""What the freelancer and the assistant send, as a client would quote it back.

Every shipped template rendered with a realistic invoice (``rendered_templates``), the
freelancer's own invoice email, and, for German and French clients (no shipped templates),
an invoice email and a reminder the freelancer wrote herself.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from assistant.config import load_rules
from assistant.domain import compose
from assistant.domain.model import Client, Identity, Invoice, Money, Reminder, Stage
from tests.support.layouts import Person, Quoted

MADRID = ZoneInfo("Europe/Madrid")
SENT = datetime(2026, 3, 17, 10, 0, tzinfo=MADRID)  # a Tuesday: the reminder the client answers
WRITTEN = datetime(2026, 3, 18, 9, 30, tzinfo=MADRID)  # the client's reply
FREELANCER = Person(name="Lucía Romero", email="lucia@freelancer.example")
IDENTITY = Identity(
    name="Lucía Romero", email="lucia@freelancer.example", phone="+34 600 000 000",
    signature="Lucía Romero\nDiseño y desarrollo web\n+34 600 000 000",
)  # fmt: skip
CLIENTS = {
    "es": Person(name="Marta Gil", email="marta@cliente.example"),
    "en": Person(name="Oliver Hughes", email="oliver@bright.example"),
    "nl": Person(name="Sanne de Vries", email="sanne@tulp.example"),
    "de": Person(name="Jonas Weber", email="jonas@weber.example"),
    "fr": Person(name="Camille Martin", email="camille@martin.example"),
}
COUNTRY = {"es": "ES", "en": "GB", "nl": "NL", "de": "DE", "fr": "FR"}
CURRENCY = {"en": "GBP"}
OWED = {lang: Money(amount=Decimal("1200.00"), currency=CURRENCY.get(lang, "EUR")) for lang in CLIENTS}
NUMBER = "2026-001"

# Which kind of sample data each shipped template is rendered with.
TEMPLATE_KINDS = {
    "invoice-reminder-1": "invoice", "invoice-reminder-2": "invoice", "invoice-final-notice": "invoice",
    "deliverable-follow-up-1": "deliverable", "deliverable-follow-up-2": "deliverable",
    "check-in": "check-in", "termination": "termination", "rate-increase": "rate-increase", "digest": "digest",
    "invoice-statement": "statement", "invoice-before-due": "invoice", "invoice-thank-you": "invoice",
}  # fmt: skip


def client(language: str) -> Client:
    person = CLIENTS[language]
    return Client(
        id=f"client-{language}",
        name=f"{person.name.split()[-1]} S.L.",
        contact=str(person),
        language=language,
        country=COUNTRY[language],
        currency=CURRENCY.get(language, "EUR"),
    )


def invoice(language: str) -> Invoice:
    return Invoice(
        client=f"client-{language}",
        number=NUMBER,
        amount=OWED[language],
        issue_date=date(2026, 2, 16),
        due_date=date(2026, 3, 2),
        message_id="<invoice-2026-001@freelancer.example>",
        subject=f"Factura {NUMBER}",
        sent_at=datetime(2026, 2, 16, 9, 0, tzinfo=MADRID),
    )


def rendered_templates(language: str) -> dict[str, str]:
    """Every shipped template of ``language``, rendered: invoice reminders with this
    module's invoice, the others with the sample data `check` renders them with."""
    rules = load_rules(None)
    found: dict[str, str] = {}
    for (lang, name), source in sorted(rules.templates.items()):
        if lang != language:
            continue
        kind = TEMPLATE_KINDS.get(name)
        if (kind == "invoice" and name.startswith("invoice-reminder")) or name == "invoice-final-notice":
            reminder = Reminder(
                key=f"invoice/client-{language}/{NUMBER}/{name}",
                invoice=invoice(language),
                stage=Stage(name=name, after_days=1, template=name),
                due_on=SENT.date(),
            )
            context = compose.reminder_context(
                reminder, client(language), IDENTITY, SENT.date(), attached=True
            )
        else:
            context = compose.sample_context(kind or "invoice", IDENTITY, language)
        found[name] = compose.render(source.text, context)
    return found


_INVOICE_EMAIL = {
    "es": "Hola Marta:\n\nTe adjunto la factura 2026-001 por el diseño de la web.\n\n"
    "El pago vence dentro de las dos semanas posteriores a la fecha de la factura.\n\nUn saludo,\nLucía",
    "en": "Hi Oliver,\n\nPlease find attached invoice 2026-001 for the website design.\n\n"
    "Payment is due within two weeks of the invoice date.\n\nKind regards,\nLucía",
    "nl": "Hoi Sanne,\n\nIn de bijlage vind je factuur 2026-001 voor het ontwerp van de website.\n\n"
    "De betaling dient binnen twee weken na de factuurdatum te gebeuren.\n\nGroet,\nLucía",
    "de": "Hallo Jonas,\n\nanbei die Rechnung 2026-001 für das Webdesign.\n\n"
    "Die Zahlung ist innerhalb von zwei Wochen nach Rechnungsdatum fällig.\n\nViele Grüße\nLucía",
    "fr": "Bonjour Camille,\n\nVeuillez trouver ci-joint la facture 2026-001 pour la conception du site.\n\n"
    "Le paiement est dû dans les deux semaines suivant la date de facture.\n\nCordialement,\nLucía",
}
# The seed's documented wording, as the freelancer would write it herself in German and French.
_OWN_REMINDER = {
    "de": "Hallo Jonas,\n\nich mache mir ein wenig Sorgen, weil ich von Ihnen nichts zu meiner Rechnung gehört und "
    "keine Zahlung erhalten habe. Ich hänge sie noch einmal an, falls sie nicht angekommen ist. Bitte lassen Sie "
    "mich wissen, dass Sie sie erhalten haben.\n\nIch bitte um Zahlung innerhalb von 2 Wochen nach "
    "Rechnungsdatum, also lassen Sie mich bitte auch wissen, wann Sie bezahlt haben, damit ich nach der Zahlung "
    "Ausschau halten kann. Falls Sie bereits bezahlt haben, betrachten Sie diese Nachricht bitte als "
    "gegenstandslos.\n\nViele Grüße\nLucía Romero",
    "fr": "Bonjour Camille,\n\nJe suis un peu inquiète de ne pas avoir eu de nouvelles de votre part au sujet de ma "
    "facture et de ne pas avoir reçu le paiement. Je la joins à nouveau au cas où elle ne serait pas arrivée. "
    "Merci de me confirmer que vous l'avez bien reçue.\n\nJe demande le paiement dans les 2 semaines suivant la "
    "date de la facture, merci donc de me prévenir aussi quand vous aurez payé, afin que je puisse surveiller le "
    "paiement. Si vous avez déjà réglé la facture, merci de ne pas tenir compte de ce message.\n\n"
    "Cordialement,\nLucía Romero",
}


def quotable(language: str) -> list[tuple[str, str]]:
    """(name, text) of what a client in ``language`` answers: reminders and the invoice email."""
    if language in _OWN_REMINDER:
        return [("own-reminder", _OWN_REMINDER[language]), ("invoice-email", _INVOICE_EMAIL[language])]
    rendered = rendered_templates(language)
    names = ["invoice-reminder-1", "invoice-reminder-2", "invoice-final-notice"]
    return [(name, rendered[name]) for name in names] + [("invoice-email", _INVOICE_EMAIL[language])]


def quoted(language: str, text: str, *, subject: str | None = None) -> Quoted:
    return Quoted(
        sender=FREELANCER,
        to=CLIENTS[language],
        sent=SENT,
        subject=subject or f"Factura {NUMBER}",
        text=text,
    )
