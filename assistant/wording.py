"""The freelancer's own language in what the program prints for her: one message catalogue
per language (es, en, nl) as data, and money in the client's own format.

``status``, ``explain`` and ``scan``'s list speak ``identity.language`` (English for a
language with no catalogue here, as the review does). Amounts are written as the client's
drafts write them (Babel in the client's locale: "£2,400.00" for a client in Britain, in a
Spanish sentence as in an English one), so the freelancer reads the same figure in her
status as in the letter; a total in one currency takes the format of the clients billed in
it. Machine-readable output (the JSON documents) never passes through here.
"""

from __future__ import annotations

from collections.abc import Mapping

from babel.numbers import format_currency

from .domain.digest import money_locales
from .domain.model import Client, Money

# The freelancer's locale for her own language, when a view needs one.
LOCALES = {"es": "es_ES", "en": "en_GB", "nl": "nl_NL"}

# Plural pairs are "<key>_one" and "<key>_many", chosen by Voice.count.
CATALOGUE: dict[str, dict[str, str]] = {
    "en": {
        # status
        "account": "Account {name}",
        "last_pass": "last pass {when}",
        "never": "never",
        "nothing_read": "Nothing read yet: run `freelance-assistant scan` (or the service) first.",
        "owes": "owes {amounts}",
        "all_overdue": ", all overdue",
        "some_overdue": ", {amounts} overdue",
        "not_configured": "no longer in clients.yaml: nothing of theirs is chased",
        "amount_unknown": "amount unknown",
        "amounts_unknown": "amounts unknown",
        "h_invoice": "Invoice",
        "h_amount": "Amount",
        "h_due": "Due",
        "h_status": "Status",
        "h_work": "Work sent",
        "h_sent": "Sent",
        "h_waiting": "Waiting",
        "h_subject": "Subject",
        "business_days_one": "{n} business day",
        "business_days_many": "{n} business days",
        "days_one": "{n} day",
        "days_many": "{n} days",
        "drafts_waiting": "Drafts waiting for you to send",
        "to_do": "To do",
        "nothing_outstanding": "Nothing outstanding: no unpaid invoices, no work waiting for an answer, "
        "nothing to do.",
        "all_paid": "Outstanding: nothing; every invoice is paid.",
        "outstanding": "Outstanding: {amounts}",
        "in_invoices_one": " in {n} invoice",
        "in_invoices_many": " in {n} invoices",
        "of_them_overdue": ", {n} of them overdue",
        "overdue_alone": ", overdue",
        "not_read": "; {n} with an amount not read",
        "paid_on": "paid {day}",
        "paid_day_unknown": "paid, day not known",
        "overdue_days_one": "{n} day overdue",
        "overdue_days_many": "{n} days overdue",
        "due_today": "due today",
        "due_in_one": "due in {n} day",
        "due_in_many": "due in {n} days",
        "state_promised": "promised",
        "state_disputed": "disputed",
        "state_paused": "paused",
        "state_open": "open",
        "state_paid": "paid",
        "paid_so_far": "{paid} paid so far, {owed} still owed",
        "paid_via_keyword": "you tagged the email Paid",
        "paid_via_client": "the client wrote that it was paid",
        "paid_via_notification": "a payment notification named it",
        "paid_via_cli": "you marked it paid",
        "paid_via_other": "paid ({via})",
        "promised_hold": "promised, not chased{until}{why}",
        "until": " until {day}",
        "disputed_hold": "not chased{why}. A dispute needs a conversation, not a template: talk to them, "
        "then `resume {number}`.",
        "paused_until": "until {day}",
        "paused_until_resume": "until you `resume {number}`",
        "paused_hold": "paused, not chased {until}{why}",
        "unchased": "not chased: the client is no longer in clients.yaml",
        "guessed": "guessed: {what}",
        "noun_reminder": "reminder",
        "noun_reminders": "reminders",
        "noun_follow-up": "follow-up",
        "noun_follow-ups": "follow-ups",
        "last_drafted": "{stage} waits in Drafts since {day}",
        "last_pending": "{stage} was being written on {day} (the next pass finishes it)",
        "last_sent": "{stage} sent {day}",
        "last_notified": "{stage}: you were to contact them yourself on {day}",
        "the_last": " (the last {noun})",
        "none_left": "; no {noun} is left",
        "none_configured": "no {nouns} are configured",
        "next_waits": "next: {stage}, once you have sent it",
        "next_now": "next: {stage}, written on the next pass",
        "next_on": "next: {stage} on {day}",
        "draft_reminder": "{stage} for invoice {invoice}",
        "draft_follow-up": "{stage} for {deliverable}",
        "draft_termination": "termination (the program never sends it)",
        "draft_rate-increase": "rate proposal",
        "draft_line": "{what}: “{subject}” to {to}, since {since}",
        "interrupted": " (interrupted; the next pass settles it)",
        "todo_invoice_work": "Invoice the approved work “{subject}” ({ref}, approved {day}).",
        "about_invoice": "invoice {ref}",
        "about_work": "the work {ref}",
        "todo_contact": "Contact {who} yourself: {stage} of {about} is due (since {day}).",
        "a_nights_sleep": "a night's sleep",
        "todo_review_termination": "Review the termination draft “{subject}” to {to} after {after}, "
        "then send it yourself: sleep on it, perhaps let a colleague read it.",
        "warning_owed": "Warning: money is still owed ({owed}); wait until it is paid before telling them.",
        "why": "why: {line}",
        "after_the_end": "After the end: remove the client's logo from your portfolio if it invites "
        "questions, and do not speak badly of the client, to anyone.",
        "termination_held": "A termination is suggested but held until they have paid{owed} "
        "(hold_until_paid: tell them once they have paid).",
        # scan
        "dry_run": "Dry run over account {account} ({where})",
        "pass": "Pass over account {account} ({where})",
        "read": "{scanned} new messages read, {candidates} to or from clients",
        "invoices_found": "invoices found: {n}",
        "deliverables_found": "deliverables found: {n}",
        "scan_due": "due {day}",
        "scan_paid": "paid: {key} ({via})",
        "scan_reopened": "reopened: {key} (the paid tag was removed)",
        "scan_changes": "changes:",
        "drafts_would": "drafts that would be written: {n}",
        "drafts_written": "drafts written to Drafts: {n}",
        "why_check_in": "check-in due on {day} (work in progress {subject}; no contact since {since})",
        "why_follow_up": "{stage} due on {day} (no answer since {since})",
        "why_invoice": "{stage} due on {day} (invoice due {due})",
        "catch_up": "; catch-up for {stages}",
        "draft_to": "{subject} to {to}: {why}",
        "scan_notify": "{key}: to do, contact the client yourself (action: notify; {why})",
        "not_drafted": "{key}: NOT drafted ({why})",
        "nothing_due": "no reminder or follow-up is due",
        "termination_suggested": "termination suggested for {client} ({reason}), written to Drafts, never sent:",
        "sent_smtp": "sent by SMTP (action: send): {subject} to {to}",
        "skipped": "messages skipped (unreadable or too large): {n}",
        # explain
        "explain_invoice": "Invoice {number} to {client}: {amount}, issued {issued}, due {due}",
        "explain_deliverable": "Deliverable {id} to {client}: {subject}",
        "why_heading": "Why (what happened, oldest first):",
        "next_heading": "What happens next:",
        "tag_seen": "tag seen on {day}; the day it was paid is not known",
        "explain_email": "email: {subject} {id}, sent {sent}",
        "explain_state": "state: {state}",
        "every_stage_used": "every stage has been used",
    },
    "es": {
        "account": "Cuenta {name}",
        "last_pass": "última pasada {when}",
        "never": "nunca",
        "nothing_read": "Aún no se ha leído nada: ejecuta antes `freelance-assistant scan` (o el servicio).",
        "owes": "debe {amounts}",
        "all_overdue": ", todo vencido",
        "some_overdue": ", {amounts} vencido",
        "not_configured": "ya no está en clients.yaml: no se le reclama nada",
        "amount_unknown": "importe desconocido",
        "amounts_unknown": "importes desconocidos",
        "h_invoice": "Factura",
        "h_amount": "Importe",
        "h_due": "Vence",
        "h_status": "Estado",
        "h_work": "Entrega",
        "h_sent": "Enviada",
        "h_waiting": "Esperando",
        "h_subject": "Asunto",
        "business_days_one": "{n} día hábil",
        "business_days_many": "{n} días hábiles",
        "days_one": "{n} día",
        "days_many": "{n} días",
        "drafts_waiting": "Borradores que esperan a que los envíes",
        "to_do": "Pendiente",
        "nothing_outstanding": "Nada pendiente: ninguna factura sin pagar, ninguna entrega esperando "
        "respuesta, nada que hacer.",
        "all_paid": "Pendiente: nada; todas las facturas están pagadas.",
        "outstanding": "Pendiente: {amounts}",
        "in_invoices_one": " en {n} factura",
        "in_invoices_many": " en {n} facturas",
        "of_them_overdue": ", {n} de ellas vencidas",
        "overdue_alone": ", vencida",
        "not_read": "; {n} con un importe sin leer",
        "paid_on": "pagada el {day}",
        "paid_day_unknown": "pagada, día desconocido",
        "overdue_days_one": "vencida hace {n} día",
        "overdue_days_many": "vencida hace {n} días",
        "due_today": "vence hoy",
        "due_in_one": "vence en {n} día",
        "due_in_many": "vence en {n} días",
        "state_promised": "pago prometido",
        "state_disputed": "en disputa",
        "state_paused": "en pausa",
        "state_open": "abierta",
        "state_paid": "pagada",
        "paid_so_far": "{paid} pagado hasta ahora, aún se deben {owed}",
        "paid_via_keyword": "etiquetaste el correo como Pagado",
        "paid_via_client": "el cliente escribió que estaba pagada",
        "paid_via_notification": "un aviso de pago la nombraba",
        "paid_via_cli": "la marcaste como pagada",
        "paid_via_other": "pagada ({via})",
        "promised_hold": "pago prometido, no se reclama{until}{why}",
        "until": " hasta el {day}",
        "disputed_hold": "no se reclama{why}. Una disputa pide una conversación, no una plantilla: habla "
        "con ellos y luego `resume {number}`.",
        "paused_until": "hasta el {day}",
        "paused_until_resume": "hasta que hagas `resume {number}`",
        "paused_hold": "en pausa, no se reclama {until}{why}",
        "unchased": "no se reclama: el cliente ya no está en clients.yaml",
        "guessed": "supuesto: {what}",
        "noun_reminder": "recordatorio",
        "noun_reminders": "recordatorios",
        "noun_follow-up": "seguimiento",
        "noun_follow-ups": "seguimientos",
        "last_drafted": "{stage} espera en Borradores desde el {day}",
        "last_pending": "{stage} se estaba escribiendo el {day} (la próxima pasada lo termina)",
        "last_sent": "{stage} enviado el {day}",
        "last_notified": "{stage}: debías contactarles tú el {day}",
        "the_last": " (el último {noun})",
        "none_left": "; no queda ningún {noun}",
        "none_configured": "no hay {nouns} configurados",
        "next_waits": "siguiente: {stage}, cuando hayas enviado el anterior",
        "next_now": "siguiente: {stage}, se escribe en la próxima pasada",
        "next_on": "siguiente: {stage} el {day}",
        "draft_reminder": "{stage} de la factura {invoice}",
        "draft_follow-up": "{stage} de {deliverable}",
        "draft_termination": "fin de colaboración (el programa nunca lo envía)",
        "draft_rate-increase": "propuesta de tarifa",
        "draft_line": "{what}: «{subject}» para {to}, desde el {since}",
        "interrupted": " (interrumpido; la próxima pasada lo resuelve)",
        "todo_invoice_work": "Factura el trabajo aprobado «{subject}» ({ref}, aprobado el {day}).",
        "about_invoice": "la factura {ref}",
        "about_work": "la entrega {ref}",
        "todo_contact": "Contacta tú con {who}: toca {stage} de {about} (desde el {day}).",
        "a_nights_sleep": "dormirlo una noche",
        "todo_review_termination": "Revisa el borrador de fin de colaboración «{subject}» para {to} después "
        "de {after} y envíalo tú: consúltalo con la almohada, quizá que lo lea un colega.",
        "warning_owed": "Atención: aún te deben dinero ({owed}); espera a que paguen antes de decírselo.",
        "why": "por qué: {line}",
        "after_the_end": "Después: quita el logo del cliente de tu portfolio si invita a preguntas, y no "
        "hables mal del cliente, con nadie.",
        "termination_held": "Se sugiere terminar la colaboración, pero se espera a que paguen{owed} "
        "(hold_until_paid: díselo cuando hayan pagado).",
        "dry_run": "Prueba sin cambios sobre la cuenta {account} ({where})",
        "pass": "Pasada sobre la cuenta {account} ({where})",
        "read": "{scanned} mensajes nuevos leídos, {candidates} de o para clientes",
        "invoices_found": "facturas encontradas: {n}",
        "deliverables_found": "entregas encontradas: {n}",
        "scan_due": "vence el {day}",
        "scan_paid": "pagada: {key} ({via})",
        "scan_reopened": "reabierta: {key} (se quitó la etiqueta de pagada)",
        "scan_changes": "cambios:",
        "drafts_would": "borradores que se escribirían: {n}",
        "drafts_written": "borradores escritos en Borradores: {n}",
        "why_check_in": "mensaje de seguimiento previsto el {day} (trabajo en curso {subject}; sin contacto "
        "desde el {since})",
        "why_follow_up": "{stage} previsto el {day} (sin respuesta desde el {since})",
        "why_invoice": "{stage} previsto el {day} (la factura vencía el {due})",
        "catch_up": "; pone al día {stages}",
        "draft_to": "{subject} para {to}: {why}",
        "scan_notify": "{key}: pendiente, contacta tú con el cliente (action: notify; {why})",
        "not_drafted": "{key}: NO se ha escrito ({why})",
        "nothing_due": "no toca ningún recordatorio ni seguimiento",
        "termination_suggested": "se sugiere terminar con {client} ({reason}), escrito en Borradores, "
        "nunca se envía:",
        "sent_smtp": "enviado por SMTP (action: send): {subject} para {to}",
        "skipped": "mensajes omitidos (ilegibles o demasiado grandes): {n}",
        "explain_invoice": "Factura {number} a {client}: {amount}, emitida el {issued}, vence el {due}",
        "explain_deliverable": "Entrega {id} a {client}: {subject}",
        "why_heading": "Por qué (lo ocurrido, de lo más antiguo a lo más reciente):",
        "next_heading": "Qué pasa después:",
        "tag_seen": "etiqueta vista el {day}; no se sabe qué día se pagó",
        "explain_email": "correo: {subject} {id}, enviado el {sent}",
        "explain_state": "estado: {state}",
        "every_stage_used": "ya se han usado todos los pasos",
    },
    "nl": {
        "account": "Account {name}",
        "last_pass": "laatste ronde {when}",
        "never": "nooit",
        "nothing_read": "Nog niets gelezen: voer eerst `freelance-assistant scan` uit (of de dienst).",
        "owes": "is {amounts} schuldig",
        "all_overdue": ", alles te laat",
        "some_overdue": ", {amounts} te laat",
        "not_configured": "niet meer in clients.yaml: er wordt niets van hen nagejaagd",
        "amount_unknown": "bedrag onbekend",
        "amounts_unknown": "bedragen onbekend",
        "h_invoice": "Factuur",
        "h_amount": "Bedrag",
        "h_due": "Vervalt",
        "h_status": "Stand",
        "h_work": "Oplevering",
        "h_sent": "Verstuurd",
        "h_waiting": "Wacht",
        "h_subject": "Onderwerp",
        "business_days_one": "{n} werkdag",
        "business_days_many": "{n} werkdagen",
        "days_one": "{n} dag",
        "days_many": "{n} dagen",
        "drafts_waiting": "Concepten die wachten tot je ze verstuurt",
        "to_do": "Te doen",
        "nothing_outstanding": "Niets open: geen onbetaalde facturen, geen werk dat op antwoord wacht, "
        "niets te doen.",
        "all_paid": "Open: niets; elke factuur is betaald.",
        "outstanding": "Open: {amounts}",
        "in_invoices_one": " in {n} factuur",
        "in_invoices_many": " in {n} facturen",
        "of_them_overdue": ", waarvan {n} te laat",
        "overdue_alone": ", te laat",
        "not_read": "; {n} met een bedrag dat niet gelezen is",
        "paid_on": "betaald op {day}",
        "paid_day_unknown": "betaald, dag onbekend",
        "overdue_days_one": "{n} dag te laat",
        "overdue_days_many": "{n} dagen te laat",
        "due_today": "vervalt vandaag",
        "due_in_one": "vervalt over {n} dag",
        "due_in_many": "vervalt over {n} dagen",
        "state_promised": "betaling beloofd",
        "state_disputed": "betwist",
        "state_paused": "gepauzeerd",
        "state_open": "open",
        "state_paid": "betaald",
        "paid_so_far": "{paid} tot nu toe betaald, nog {owed} open",
        "paid_via_keyword": "je hebt de e-mail als Betaald gemarkeerd",
        "paid_via_client": "de klant schreef dat het betaald is",
        "paid_via_notification": "een betaalbericht noemde het",
        "paid_via_cli": "je hebt het als betaald gemarkeerd",
        "paid_via_other": "betaald ({via})",
        "promised_hold": "betaling beloofd, niet nagejaagd{until}{why}",
        "until": " tot {day}",
        "disputed_hold": "niet nagejaagd{why}. Een geschil vraagt om een gesprek, niet om een sjabloon: "
        "praat met hen, dan `resume {number}`.",
        "paused_until": "tot {day}",
        "paused_until_resume": "tot je `resume {number}` doet",
        "paused_hold": "gepauzeerd, niet nagejaagd {until}{why}",
        "unchased": "niet nagejaagd: de klant staat niet meer in clients.yaml",
        "guessed": "geschat: {what}",
        "noun_reminder": "herinnering",
        "noun_reminders": "herinneringen",
        "noun_follow-up": "opvolging",
        "noun_follow-ups": "opvolgingen",
        "last_drafted": "{stage} wacht sinds {day} in Concepten",
        "last_pending": "{stage} werd op {day} geschreven (de volgende ronde maakt het af)",
        "last_sent": "{stage} verstuurd op {day}",
        "last_notified": "{stage}: je zou op {day} zelf contact opnemen",
        "the_last": " (de laatste {noun})",
        "none_left": "; er is geen {noun} meer over",
        "none_configured": "er zijn geen {nouns} ingesteld",
        "next_waits": "volgende: {stage}, zodra je de vorige hebt verstuurd",
        "next_now": "volgende: {stage}, geschreven bij de volgende ronde",
        "next_on": "volgende: {stage} op {day}",
        "draft_reminder": "{stage} voor factuur {invoice}",
        "draft_follow-up": "{stage} voor {deliverable}",
        "draft_termination": "beëindiging (het programma verstuurt die nooit)",
        "draft_rate-increase": "tariefvoorstel",
        "draft_line": "{what}: „{subject}” aan {to}, sinds {since}",
        "interrupted": " (onderbroken; de volgende ronde regelt het)",
        "todo_invoice_work": "Factureer het goedgekeurde werk „{subject}” ({ref}, goedgekeurd op {day}).",
        "about_invoice": "factuur {ref}",
        "about_work": "het werk {ref}",
        "todo_contact": "Neem zelf contact op met {who}: {stage} van {about} is aan de beurt (sinds {day}).",
        "a_nights_sleep": "een nacht slapen",
        "todo_review_termination": "Lees het concept voor beëindiging „{subject}” aan {to} opnieuw na "
        "{after} en verstuur het zelf: slaap er een nacht over, laat het misschien een collega lezen.",
        "warning_owed": "Let op: er staat nog geld open ({owed}); wacht tot het betaald is voor je het "
        "hun vertelt.",
        "why": "waarom: {line}",
        "after_the_end": "Na afloop: haal het logo van de klant uit je portfolio als het vragen oproept, en "
        "spreek tegen niemand kwaad over de klant.",
        "termination_held": "Beëindiging wordt voorgesteld, maar wacht tot ze betaald hebben{owed} "
        "(hold_until_paid: vertel het hun zodra ze betaald hebben).",
        "dry_run": "Proefronde over account {account} ({where})",
        "pass": "Ronde over account {account} ({where})",
        "read": "{scanned} nieuwe berichten gelezen, {candidates} van of aan klanten",
        "invoices_found": "facturen gevonden: {n}",
        "deliverables_found": "opleveringen gevonden: {n}",
        "scan_due": "vervalt {day}",
        "scan_paid": "betaald: {key} ({via})",
        "scan_reopened": "heropend: {key} (de markering betaald is verwijderd)",
        "scan_changes": "wijzigingen:",
        "drafts_would": "concepten die geschreven zouden worden: {n}",
        "drafts_written": "concepten geschreven in Concepten: {n}",
        "why_check_in": "check-in op {day} (werk in uitvoering {subject}; geen contact sinds {since})",
        "why_follow_up": "{stage} op {day} (geen antwoord sinds {since})",
        "why_invoice": "{stage} op {day} (factuur verviel {due})",
        "catch_up": "; inhaalslag voor {stages}",
        "draft_to": "{subject} aan {to}: {why}",
        "scan_notify": "{key}: te doen, neem zelf contact op met de klant (action: notify; {why})",
        "not_drafted": "{key}: NIET geschreven ({why})",
        "nothing_due": "er is geen herinnering of opvolging aan de beurt",
        "termination_suggested": "beëindiging voorgesteld voor {client} ({reason}), in Concepten gezet, "
        "nooit verstuurd:",
        "sent_smtp": "verstuurd via SMTP (action: send): {subject} aan {to}",
        "skipped": "berichten overgeslagen (onleesbaar of te groot): {n}",
        "explain_invoice": "Factuur {number} aan {client}: {amount}, uitgegeven {issued}, vervalt {due}",
        "explain_deliverable": "Oplevering {id} aan {client}: {subject}",
        "why_heading": "Waarom (wat er gebeurde, oudste eerst):",
        "next_heading": "Wat er nu gebeurt:",
        "tag_seen": "markering gezien op {day}; de dag van betaling is niet bekend",
        "explain_email": "e-mail: {subject} {id}, verstuurd {sent}",
        "explain_state": "stand: {state}",
        "every_stage_used": "alle stappen zijn gebruikt",
    },
}


def language_of(language: str) -> str:
    """The views' language: the freelancer's, when a catalogue speaks it, else English."""
    return language if language in CATALOGUE else "en"


def money_locale(currency: str, clients: Mapping[str, Client], client: str | None, fallback: str) -> str:
    """The Babel locale an amount is written in: its client's; for a total (no client), that
    of the first client billed in that currency; else the freelancer's ``fallback``."""
    known = clients.get(client) if client else None
    if known is not None:
        return known.babel_locale
    return money_locales(clients).get(currency, fallback)


class Voice:
    """One view's words: ``voice("key", n=...)``, plurals by ``count`` and money by ``money``."""

    def __init__(self, language: str, clients: Mapping[str, Client]):
        self.language = language_of(language)
        self.words = CATALOGUE[self.language]
        self.locale = LOCALES[self.language]
        self.clients = clients

    def __call__(self, name: str, /, **values: object) -> str:
        text = self.words.get(name, CATALOGUE["en"][name])
        return text.format(**values) if values else text

    def count(self, name: str, n: int, /, **values: object) -> str:
        return self(f"{name}_one" if n == 1 else f"{name}_many", n=n, **values)

    def money(self, value: Money | None, client: str | None = None) -> str:
        if value is None:
            return "?"
        locale = money_locale(value.currency, self.clients, client, self.locale)
        return format_currency(value.amount, value.currency, locale=locale)


def voice_of(config) -> Voice:
    """The voice of the freelancer configured in ``config`` (identity.language, the clients)."""
    return Voice(config.identity.language, config.rules.clients)
