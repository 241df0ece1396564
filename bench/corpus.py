"""A realistic freelancer's mailbox, written straight into a Dovecot Maildir++ tree, fast.

`generate(root, messages)` writes `messages` files (30 % in Sent, the rest in INBOX) and
returns a `Manifest` saying what is in them. The mail looks like a real freelancer's:

* six clients (two each in Spanish, English and Dutch, `CLIENTS`, written out as the
  `clients.yaml` of `clients_yaml()`), with invoices carrying small PDFs (the demo's
  `invoice_pdf`), deliverables with file-share links or large attachments, long
  conversations threaded with In-Reply-To/References, out-of-office replies, and the
  evidence that settles old invoices: the `$Paid` keyword, "ya hemos realizado la
  transferencia" replies, PayPal and Stripe notices naming the number;
* around them, the 93 % that is nobody's business: newsletters with List-Id, service
  notifications, promotions, personal threads in three languages, the accountant, people
  asking for a quote, and PayPal payments for things other than invoices.

About 7 % of the messages involve a client or a payment service (the candidates a scan
fetches in full), whatever the size. Whatever the size, the same few recent invoices are
open (four of them overdue) and two recent deliverables wait for an answer, so a first
scan drafts the same handful of reminders and follow-ups at 1k as at 100k.

Files are named as Dovecot names them (`<time>.M<usec>P<pid>Q<n>.<host>,S=<size>,W=<vsize>:2,<flags>`),
with exact sizes, the message date as mtime (INTERNALDATE) and, when running as root, the
owner Dovecot uses for mail. Messages are built from pre-rendered pieces (subjects and
display names encoded once) so 100k messages take seconds, not minutes.
"""

from __future__ import annotations

import base64
import os
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.header import Header
from pathlib import Path
from zoneinfo import ZoneInfo

from assistant.demo import invoice_pdf

TZ = ZoneInfo("Europe/Madrid")
ME_NAME = "Lucía Romero"
ME = "lucia@romero-estudio.example"
SPAN_DAYS = 730  # two years of mail
SENT_FRACTION = 0.30
CLIENT_FRACTION = 0.07  # messages with a client or a payment service: what a scan fetches whole
INVOICE_FRACTION = 0.003  # historical invoices per message (300 at 100k, at least one per client)
DELIVERABLE_FRACTION = 0.002
FOLDERS = ("INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive")


@dataclass(frozen=True)
class Client:
    id: str
    name: str
    contact_name: str
    contact: str
    domain: str
    language: str
    country: str
    currency: str
    terms: int
    colleagues: tuple[tuple[str, str], ...] = ()
    addresses: tuple[str, ...] = ()
    number_format: str = "F-{year}-{seq:03d}"
    # The one recent invoice left open, issued this many days before the mailbox was made,
    # and whether a recent deliverable to this client still waits for an answer (days ago).
    open_invoice_days: int = 0
    waiting_deliverable_days: int = 0


CLIENTS = (
    Client(
        "nube", "Estudio Nube S.L.", "Marta López", "marta@estudionube.example", "estudionube.example",
        "es", "ES", "EUR", 14, (("Jorge Martín", "jorge@estudionube.example"),),
        number_format="F-{year}-{seq:03d}", open_invoice_days=20, waiting_deliverable_days=6,
    ),
    Client(
        "olivo", "Olivo Rural S. Coop.", "Carmen Ruiz", "carmen@olivorural.example", "olivorural.example",
        "es", "ES", "EUR", 30, (("Administración", "administracion@olivorural.example"),),
        number_format="FAC-{year}{seq:04d}", open_invoice_days=12,
    ),
    Client(
        "bright", "Brightside Media Ltd", "Oliver Hughes", "oliver@brightside.example", "brightside.example",
        "en", "GB", "GBP", 30, (("Priya Shah", "priya@brightside.example"),),
        addresses=("accounts@bright-billing.example",), number_format="INV-{seq:04d}",
        open_invoice_days=45, waiting_deliverable_days=13,
    ),
    Client(
        "harbour", "Harbour & Finch LLP", "Emma Clarke", "emma@harbourfinch.example", "harbourfinch.example",
        "en", "GB", "GBP", 14, (("Tom Reid", "tom@harbourfinch.example"),),
        number_format="HF-{year}-{seq:02d}", open_invoice_days=9,
    ),
    Client(
        "tulp", "Tulp Design B.V.", "Sanne de Vries", "sanne@tulpdesign.example", "tulpdesign.example",
        "nl", "NL", "EUR", 14, (("Joost Mulder", "joost@tulpdesign.example"),),
        number_format="{year}-{seq:03d}", open_invoice_days=24,
    ),
    Client(
        "polder", "Polder Digitaal", "Daan Bakker", "daan@polderdigitaal.example", "polderdigitaal.example",
        "nl", "NL", "EUR", 30, (("Fleur Visser", "fleur@polderdigitaal.example"),),
        number_format="PD{year}{seq:03d}", open_invoice_days=50,
    ),
)  # fmt: skip


def clients_yaml() -> str:
    """The rules/clients.yaml for `CLIENTS`."""
    lines = ["# Written by bench/corpus.py: the clients of the benchmark mailbox.", "clients:"]
    for c in CLIENTS:
        lines += [
            f"  {c.id}:",
            f'    name: "{c.name}"',
            f'    contact: "{c.contact_name} <{c.contact}>"',
            f"    domains: [{c.domain}]",
        ]
        if c.addresses:
            lines.append(f"    addresses: [{', '.join(c.addresses)}]")
        lines += [
            f"    language: {c.language}",
            f"    country: {c.country}",
            f"    currency: {c.currency}",
            f"    payment_terms_days: {c.terms}",
        ]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- text

_SUBJECTS = {
    "es": ["Reunión del jueves", "Cambios en la home", "Textos para la web", "Fotos del equipo",
           "Presupuesto fase 2", "Acceso al servidor", "Duda sobre el logo", "Calendario de la campaña",
           "Newsletter de primavera", "Informe de analítica", "Contenidos del blog", "Tipografías",
           "Página de contacto", "Traducción al catalán", "Banners para redes", "Dominio y correo"],
    "en": ["Thursday call", "Homepage copy", "Team photos", "Phase 2 estimate", "Server access",
           "Question about the logo", "Campaign schedule", "Spring newsletter", "Analytics report",
           "Content for the blog", "Fonts", "Contact page", "Social media banners", "Domain and email",
           "Accessibility review", "Onboarding emails"],
    "nl": ["Overleg donderdag", "Teksten voor de homepage", "Teamfoto's", "Offerte fase 2",
           "Toegang tot de server", "Vraag over het logo", "Planning van de campagne", "Nieuwsbrief voorjaar",
           "Analytics-rapport", "Blogartikelen", "Lettertypes", "Contactpagina", "Banners voor social media",
           "Domein en e-mail", "Toegankelijkheid"],
}  # fmt: skip
_CLIENT_TEXT = {
    "es": ["¿Podemos mover la llamada del jueves a las 12? Tengo otra reunión a primera hora.",
           "Te paso los textos definitivos de la sección de servicios; el de precios aún lo estamos revisando.",
           "He hablado con dirección y prefieren el azul más oscuro para los botones.",
           "¿Cuándo crees que podrías tener lista la página de contacto? Nos gustaría publicarla este mes.",
           "Las fotos del equipo están en la carpeta compartida de siempre, en alta resolución.",
           "Nos han pedido añadir el aviso legal y la política de cookies antes del lanzamiento.",
           "Gracias por la propuesta, la comentamos el lunes en el comité y te digo algo."],
    "en": ["Could we move Thursday's call to 12? I have another meeting first thing.",
           "Here are the final texts for the services section; pricing is still being reviewed.",
           "I spoke to the directors and they prefer the darker blue for the buttons.",
           "When do you think the contact page could be ready? We would like to publish it this month.",
           "The team photos are in the usual shared folder, in high resolution.",
           "Legal asked us to add the privacy notice and the cookie banner before launch.",
           "Thanks for the proposal, we will discuss it at Monday's meeting and get back to you."],
    "nl": ["Kunnen we het overleg van donderdag naar 12 uur verzetten? Ik heb 's ochtends een andere afspraak.",
           "Hierbij de definitieve teksten voor de dienstenpagina; de prijzen bekijken we nog.",
           "Ik heb met de directie gesproken en zij kiezen voor het donkerdere blauw voor de knoppen.",
           "Wanneer denk je dat de contactpagina klaar kan zijn? We willen hem deze maand live zetten.",
           "De teamfoto's staan in de gedeelde map, in hoge resolutie.",
           "Juridisch wil dat we de privacyverklaring en de cookiemelding toevoegen voor de lancering.",
           "Bedankt voor het voorstel, we bespreken het maandag en laten het je weten."],
}  # fmt: skip
_MY_TEXT = {
    "es": ["Perfecto, lo muevo a las 12 y te envío la invitación.",
           "Recibido, los incorporo esta tarde y te aviso cuando estén publicados en el entorno de pruebas.",
           "De acuerdo, cambio el color de los botones en toda la web.",
           "Calculo que a finales de la semana que viene, si me llegan los textos el lunes.",
           "Genial, las descargo y las preparo para la sección del equipo.",
           "Sin problema, lo añado a la lista de tareas antes del lanzamiento."],
    "en": ["Sure, I'll move it to 12 and send a new invite.",
           "Got them, I'll add them this afternoon and let you know when they are on staging.",
           "OK, I'll change the button colour across the site.",
           "I'd say the end of next week, if the copy arrives on Monday.",
           "Great, I'll download them and prepare them for the team section.",
           "No problem, I've added it to the pre-launch list."],
    "nl": ["Prima, ik verzet het naar 12 uur en stuur een nieuwe uitnodiging.",
           "Ontvangen, ik verwerk ze vanmiddag en laat het weten als ze op de testomgeving staan.",
           "Akkoord, ik pas de kleur van de knoppen op de hele site aan.",
           "Ik denk eind volgende week, als de teksten maandag binnen zijn.",
           "Top, ik download ze en bereid ze voor voor de teampagina.",
           "Geen probleem, ik heb het op de lijst voor de lancering gezet."],
}  # fmt: skip
_GREETING = {"es": "Hola {name}:", "en": "Hi {name},", "nl": "Hoi {name},"}
_CLOSING = {"es": "Un saludo,", "en": "Best,", "nl": "Groet,"}
_REPLY_PREFIX = {
    "es": ("Re: ", "RE: ", "Re: "),
    "en": ("Re: ", "RE: ", "Re: "),
    "nl": ("Re: ", "Antw: ", "Re: "),
}
_WROTE = {
    "es": "El {date}, {name} <{email}> escribió:",
    "en": "On {date}, {name} <{email}> wrote:",
    "nl": "Op {date} schreef {name} <{email}>:",
}
_SIGNATURE = "Lucía Romero\nDiseño web y de producto · +34 600 123 456\nhttps://romero-estudio.example"
# Without the invoice number: the reply threads under the invoice email. (Naming a number
# with a year in it, "la factura F-2026-001", currently reads as a partial payment of 2026.)
_PAID_REPLY = {
    "es": "Ya hemos realizado la transferencia. Gracias por todo.",
    "en": "We have paid this today. Thanks for your patience.",
    "nl": "Deze factuur is inmiddels betaald. Bedankt!",
}
# A reply that carries no payment, dispute, promise, approval or scope change: the
# incremental passes and the IDLE measurement append these, so the state changes the
# same way (one journal line) every time.
NEUTRAL_REPLY = {
    "es": "Gracias, la paso a contabilidad y te digo algo.",
    "en": "Thanks, I've forwarded this to our accounts team.",
    "nl": "Dank je, ik stuur hem door naar de boekhouding.",
}
_AUTO_REPLY = {
    "es": ("Respuesta automática: ", "Estoy fuera de la oficina hasta el lunes. Para asuntos urgentes, escriba a info@{domain}."),
    "en": ("Automatic reply: ", "I am out of the office until Monday with limited access to email."),
    "nl": ("Automatisch antwoord: ", "Ik ben afwezig tot en met maandag en lees mijn e-mail niet."),
}  # fmt: skip
_DELIVERABLE = {
    "es": [("Nueva versión de la portada", "Aquí tienes la nueva versión de la portada para que la revises:"),
           ("Propuesta de diseño para la ficha de producto", "Te envío la propuesta de diseño de la ficha de producto:"),
           ("Maqueta del boletín", "Ya está lista la maqueta del boletín:")],
    "en": [("New version of the homepage", "Here is the new version of the homepage for your review:"),
           ("First draft of the product page", "The first draft of the product page is ready:"),
           ("Newsletter mock-up", "The newsletter mock-up is ready for you to look at:")],
    "nl": [("Nieuwe versie van de homepage", "Hierbij de nieuwe versie van de homepage om te bekijken:"),
           ("Eerste ontwerp van de productpagina", "Het eerste ontwerp van de productpagina staat klaar:"),
           ("Concept van de nieuwsbrief", "Het concept van de nieuwsbrief is klaar:")],
}  # fmt: skip
_DELIVERABLE_ANSWER = {
    "es": ["Gracias, lo reviso con el equipo y te comento.", "¡Aprobado! Nos encanta cómo ha quedado."],
    "en": ["Thanks, I'll go through it with the team and come back to you.", "Looks great, approved!"],
    "nl": ["Bedankt, ik bekijk het met het team en laat het weten.", "Ziet er goed uit, akkoord!"],
}
_LINKS = ("https://www.figma.com/file/{key}/diseno", "https://drive.google.com/drive/folders/{key}",
          "https://wetransfer.com/downloads/{key}", "https://www.dropbox.com/s/{key}/entrega.zip")  # fmt: skip
_MONTHS = {
    "es": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
           "octubre", "noviembre", "diciembre"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"],
    "nl": ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
           "oktober", "november", "december"],
}  # fmt: skip
_PROJECTS = {
    "es": ["Rediseño de la web corporativa", "Mantenimiento mensual", "Campaña de primavera", "Tienda online",
           "Identidad visual", "Boletín mensual"],
    "en": ["Website redesign", "Monthly retainer", "Spring campaign", "Online shop", "Brand identity",
           "Monthly newsletter"],
    "nl": ["Herontwerp website", "Maandelijks onderhoud", "Voorjaarscampagne", "Webwinkel", "Huisstijl",
           "Maandelijkse nieuwsbrief"],
}  # fmt: skip

_FIRST = {
    "es": ["Pablo", "Lucía", "Carmen", "Javier", "Marta", "Sergio", "Elena", "Andrés", "Nuria", "Iñaki",
           "Begoña", "Raúl", "Sofía", "Álvaro", "Inés", "Mamá", "Papá"],
    "en": ["James", "Sophie", "Liam", "Charlotte", "Harry", "Amelia", "Noah", "Grace", "Jack", "Ella"],
    "nl": ["Sem", "Emma", "Lars", "Julia", "Bram", "Anouk", "Thijs", "Lotte", "Ruben", "Fenna"],
}  # fmt: skip
_LAST = {
    "es": ["García", "Fernández", "González", "Rodríguez", "Muñoz", "Sánchez", "Pérez", "Gómez", "Díaz", "Núñez"],
    "en": ["Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Walker", "Wright", "Hall", "Green"],
    "nl": ["de Jong", "Jansen", "de Boer", "van Dijk", "Smit", "Meijer", "Bos", "Vos", "Peters", "Hendriks"],
}  # fmt: skip
_MAILHOSTS = ("gmail.example", "outlook.example", "yahoo.example", "icloud.example", "protonmail.example",
              "telefonica.example", "ziggo.example", "btinternet.example")  # fmt: skip
_PERSONAL_SUBJECTS = {
    "es": ["Cena del sábado", "Fotos de las vacaciones", "¿Vienes al cumple de Ana?", "Piso de Valencia",
           "Regalo para mamá", "Quedada en el Retiro", "Receta de la tarta", "Billetes para Lisboa",
           "Libro que te comenté", "Partido del domingo", "Boda de Laura y Dani", "Reunión de la comunidad"],
    "en": ["Dinner on Saturday", "Holiday photos", "Coming to Anna's birthday?", "Flat in Bristol",
           "Present for mum", "Picnic in the park", "Cake recipe", "Tickets to Lisbon", "The book I mentioned",
           "Sunday's match", "Wedding plans"],
    "nl": ["Etentje zaterdag", "Vakantiefoto's", "Kom je naar Anna's verjaardag?", "Appartement in Utrecht",
           "Cadeau voor mama", "Picknick in het park", "Recept van de taart", "Tickets naar Lissabon",
           "Het boek waar ik het over had", "Wedstrijd zondag"],
}  # fmt: skip
_PERSONAL_TEXT = {
    "es": ["¿Qué tal todo? Hace mucho que no hablamos.", "Te mando las fotos que hicimos el otro día.",
           "He reservado mesa a las nueve, ya me dices si os viene bien.",
           "Al final el vuelo sale a las 7:40, así que habrá que madrugar.",
           "Me ha encantado el libro, te lo devuelvo la semana que viene.",
           "Un abrazo fuerte y nos vemos pronto."],
    "en": ["How are things? It's been ages.", "Sending you the photos from the other day.",
           "I've booked a table for nine, let me know if that works.",
           "The flight leaves at 7:40 in the end, so an early start.",
           "Loved the book, I'll give it back next week.", "Hugs, see you soon."],
    "nl": ["Hoe gaat het? Lang niet gesproken.", "Hierbij de foto's van laatst.",
           "Ik heb een tafel gereserveerd om negen uur, laat je weten of dat past?",
           "De vlucht vertrekt uiteindelijk om 7:40, dus vroeg op.",
           "Het boek was geweldig, ik geef het volgende week terug.", "Liefs en tot snel."],
}  # fmt: skip
_NEWSLETTERS = (  # (name, address, list id, language, subject patterns)
    ("Smashing Newsletter", "newsletter@smashing.example", "smashing-newsletter.smashing.example", "en",
     ["Smashing Newsletter #{n}: CSS container queries in practice", "Smashing #{n}: accessible forms, again"]),
    ("Design Weekly", "news@designweekly.example", "weekly.designweekly.example", "en",
     ["This week: {n} colour palettes for autumn", "Design Weekly {n}: the state of variable fonts"]),
    ("Frontend Focus", "focus@cooperpress.example", "frontendfocus.cooperpress.example", "en",
     ["Frontend Focus issue {n}: the new View Transitions API", "Issue {n}: a deep dive into :has()"]),
    ("Xataka", "boletin@xataka.example", "boletin.xataka.example", "es",
     ["Lo mejor de la semana en Xataka (nº {n})", "Xataka {n}: los portátiles más ligeros del año"]),
    ("Genbeta", "newsletter@genbeta.example", "newsletter.genbeta.example", "es",
     ["Genbeta: {n} herramientas gratuitas para diseñadores", "Las novedades de Windows y macOS, nº {n}"]),
    ("Tweakers", "nieuwsbrief@tweakers.example", "nieuwsbrief.tweakers.example", "nl",
     ["Tweakers nieuwsbrief {n}: de beste monitoren voor ontwerpers", "Weekoverzicht {n}"]),
    ("Emerce", "redactie@emerce.example", "daily.emerce.example", "nl",
     ["Emerce Daily {n}: e-commerce groeit verder", "Emerce {n}: AI in marketing"]),
    ("Product Hunt Daily", "hello@producthunt.example", "daily.producthunt.example", "en",
     ["Product Hunt Daily: {n} new tools for makers", "Top products of the day #{n}"]),
    ("Dribbble", "digest@dribbble.example", "digest.dribbble.example", "en",
     ["Your Dribbble digest #{n}", "Shots you might like ({n})"]),
    ("El País Tecnología", "boletines@elpais.example", "tecnologia.elpais.example", "es",
     ["Boletín de tecnología {n}", "Tecnología: lo que ha pasado esta semana ({n})"]),
)  # fmt: skip
_NOTIFIERS = (  # (name, address, subject patterns, body, language)
    ("GitHub", "notifications@github.example", ["[romero/web] Issue #{n}: broken link on the pricing page",
     "[romero/web] Pull request #{n} merged", "[romero/tienda] Dependabot alert #{n}"], "en"),
    ("Mi Banco", "avisos@mibanco.example", ["Tu extracto de cuenta ya está disponible ({n})",
     "Cargo con tarjeta de {n},00 EUR", "Aviso: recibo domiciliado nº {n}"], "es"),
    ("Amazon.es", "pedidos@amazon-es.example", ["Tu pedido {n} ha sido enviado", "Confirmación de pedido {n}"], "es"),
    ("Google Calendar", "calendar-notification@google.example", ["Invitación: Llamada semanal ({n})",
     "Recordatorio: Dentista {n}"], "es"),
    ("Slack", "notification@slack.example", ["[romero-estudio] {n} new messages", "Weekly summary ({n})"], "en"),
    ("Bol.com", "service@bol.example", ["Je bestelling {n} is verzonden", "Bedankt voor je bestelling {n}"], "nl"),
    ("Figma", "no-reply@figma.example", ["{n} new comments in Portada v3", "Someone mentioned you ({n})"], "en"),
    ("Agencia Tributaria", "notificaciones@agenciatributaria.example", ["Nueva notificación disponible ({n})"], "es"),
)  # fmt: skip
_PROMOS = (
    ("Vueling", "ofertas@vueling.example", ["¡Vuela desde 19,99 €! Oferta {n}", "Últimas plazas para el puente ({n})"], "es"),
    ("IKEA", "news@ikea.example", ["Nieuw in huis: {n} ideeën voor je werkplek", "Alleen deze week: {n}% korting"], "nl"),
    ("Adobe", "mail@adobe.example", ["Save {n}% on Creative Cloud", "Your plan renews soon ({n})"], "en"),
    ("Decathlon", "info@decathlon.example", ["Rebajas de hasta el {n}%", "Tu cupón de {n} €"], "es"),
)  # fmt: skip
_ACCOUNTANT = ("Gestoría Alcalá", "laura@gestoria-alcala.example")
_PROSPECTS = ("info@cerveceria-sur.example", "hola@yogastudio.example", "contact@boatbuilders.example",
              "info@bakkerij-zoet.example", "marketing@hotel-brisa.example")  # fmt: skip


def _enc(text: str) -> str:
    """A header value as a mail client writes it: RFC 2047 when it is not ASCII."""
    if text.isascii():
        return text
    return Header(text, "utf-8").encode(maxlinelen=998)


def _addr(name: str, email: str) -> str:
    if not name:
        return email
    if name.isascii():
        needs_quotes = any(c in name for c in ',.;:()<>@"&')
        return f'"{name}" <{email}>' if needs_quotes else f"{name} <{email}>"
    return f"{_enc(name)} <{email}>"


_ZONES = (timezone(timedelta(hours=0)), timezone(timedelta(hours=1)), timezone(timedelta(hours=2)),
          timezone(timedelta(hours=-5)), timezone(timedelta(hours=-8)))  # fmt: skip


def _date(ts: float, tz=TZ) -> str:
    return datetime.fromtimestamp(ts, tz).strftime("%a, %d %b %Y %H:%M:%S %z")


def _long_date(day, language: str) -> str:
    month = _MONTHS[language][day.month - 1]
    return f"{day.day} de {month} de {day.year}" if language == "es" else f"{day.day} {month} {day.year}"


_DKIM_B = base64.b64encode(random.Random(7).randbytes(256)).decode()


# --------------------------------------------------------------------------- writing


@dataclass
class Written:
    folder: str
    ts: float
    kind: str
    message_id: str


@dataclass
class Manifest:
    """What `generate` wrote: counts, and the items the benchmark's new mail refers to."""

    messages: int = 0
    folders: Counter = field(default_factory=Counter)
    kinds: Counter = field(default_factory=Counter)
    client_messages: int = 0  # messages with a client or a payment service (candidates)
    bytes: int = 0
    seconds: float = 0.0
    invoices: int = 0
    open_invoices: list[dict] = field(default_factory=list)
    waiting_deliverables: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "messages": self.messages,
            "folders": dict(self.folders),
            "kinds": dict(self.kinds),
            "client_messages": self.client_messages,
            "client_fraction": round(self.client_messages / self.messages, 4) if self.messages else 0,
            "bytes": self.bytes,
            "seconds": round(self.seconds, 3),
            "invoices": self.invoices,
            "open_invoices": self.open_invoices,
            "waiting_deliverables": self.waiting_deliverables,
        }


class MaildirWriter:
    """Writes message files into a Maildir++ tree the way Dovecot names them."""

    def __init__(self, root: Path, owner: tuple[int, int] | None):
        self.root = root
        self.owner = owner
        self.cur: dict[str, str] = {}
        self.pid = os.getpid()
        self.seq = 0
        self.bytes = 0
        for folder in FOLDERS:
            path = root if folder == "INBOX" else root / f".{folder}"
            for sub in ("cur", "new", "tmp"):
                (path / sub).mkdir(parents=True, exist_ok=True)
            if folder != "INBOX":
                (path / "maildirfolder").touch()
            self.cur[folder] = str(path / "cur")
        # Dovecot keeps IMAP keywords as letters listed here: "a" is $Paid.
        (root / ".Sent" / "dovecot-keywords").write_text("0 $Paid\n", encoding="utf-8")
        if owner is not None:
            self._chown_tree(root.parent)

    def _chown_tree(self, top: Path) -> None:
        uid, gid = self.owner  # type: ignore[misc]
        for dirpath, _dirnames, filenames in os.walk(top):
            os.chown(dirpath, uid, gid)
            for name in filenames:
                os.chown(os.path.join(dirpath, name), uid, gid)

    def write(self, folder: str, ts: float, data: bytes, flags: str = "S") -> None:
        self.seq += 1
        size = len(data)
        vsize = size + data.count(b"\n") - data.count(b"\r\n")  # RFC822.SIZE: CRLF line ends
        usec = int(ts * 1_000_000) % 1_000_000
        name = f"{int(ts)}.M{usec}P{self.pid}Q{self.seq}.bench,S={size},W={vsize}:2,{flags}"
        fd = os.open(f"{self.cur[folder]}/{name}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if self.owner is not None:
                os.fchown(fd, *self.owner)
            os.utime(fd, (ts, ts))
        finally:
            os.close(fd)
        self.bytes += size


def _message(headers: list[str], body: str, content_type: str = "text/plain; charset=utf-8") -> bytes:
    head = "\n".join(headers)
    return (
        f"{head}\nMIME-Version: 1.0\nContent-Type: {content_type}\nContent-Transfer-Encoding: 8bit\n\n{body}"
    ).encode()


def _received(rng: random.Random, ts: float, sender_host: str) -> list[str]:
    """The transport headers a real incoming message carries (they make headers ~2 KB)."""
    ip = f"203.0.113.{rng.randrange(1, 255)}"
    qid = f"{rng.getrandbits(40):010X}"
    when = _date(ts)
    return [
        f"Return-Path: <bounce-{qid.lower()}@{sender_host}>",
        f"Delivered-To: {ME}",
        f"Received: from mx.romero-estudio.example\n\tby mail.romero-estudio.example with LMTP\n\tid {qid}; {when}",
        f"Received: from mail-{ip.rsplit('.', 1)[1]}.{sender_host} (mail.{sender_host} [{ip}])\n"
        f"\tby mx.romero-estudio.example (Postfix) with ESMTPS id {qid}\n\tfor <{ME}>; {when}",
        f"Authentication-Results: mx.romero-estudio.example;\n\tdkim=pass header.d={sender_host};\n"
        f"\tspf=pass smtp.mailfrom={sender_host};\n\tdmarc=pass header.from={sender_host}",
        f"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d={sender_host}; s=s1;\n"
        f"\tt={int(ts)}; h=from:to:subject:date:message-id;\n\tbh={_DKIM_B[:44]};\n"
        f"\tb={_DKIM_B[44:120]}\n\t {_DKIM_B[120:200]}\n\t {_DKIM_B[200:280]}",
        f"X-Spam-Status: No, score=-{rng.randrange(1, 40) / 10} required=5.0",
    ]


class _Gen:
    def __init__(self, writer: MaildirWriter, rng: random.Random, now: float, manifest: Manifest):
        self.w = writer
        self.rng = rng
        self.now = now
        self.m = manifest
        self.n = 0
        self.enc_subjects = {k: [_enc(s) for s in v] for k, v in _SUBJECTS.items()}
        self.me = _addr(ME_NAME, ME)
        people = []
        for language in ("es", "en", "nl"):
            for first in _FIRST[language]:
                last = rng.choice(_LAST[language])
                host = rng.choice(_MAILHOSTS)
                local = (
                    f"{first}.{last}".lower()
                    .replace(" ", "")
                    .translate(str.maketrans("áéíóúñçàèïü", "aeiouncaeiu"))
                )
                people.append((language, _addr(f"{first} {last}", f"{local}@{host}"), first, host))
        self.people = people
        self.newsletters = [self._newsletter_body(i, n) for i, n in enumerate(_NEWSLETTERS)]

    # ---- helpers

    def mid(self, host: str) -> str:
        self.n += 1
        return f"<{self.rng.getrandbits(48):012x}.{self.n}@{host}>"

    def put(
        self, folder: str, ts: float, kind: str, data: bytes, flags: str = "S", client: bool = False
    ) -> None:
        self.w.write(folder, ts, data, flags)
        self.m.messages += 1
        self.m.folders[folder] += 1
        self.m.kinds[kind] += 1
        if client:
            self.m.client_messages += 1

    @staticmethod
    def threading(parent: str | None, refs: str) -> tuple[list[str], str]:
        if not parent:
            return [], ""
        chain = (refs + " " + parent).strip().split()[-10:]  # mail clients keep the last few
        joined = "\n ".join(chain)
        return [f"In-Reply-To: {parent}", f"References: {joined}"], " ".join(chain)

    def _newsletter_body(self, index: int, spec) -> tuple[str, bytes]:
        name, _address, list_id, language, _ = spec
        boundary = f"=_nl{index:04d}"
        items = "".join(
            f'<tr><td style="padding:12px;font-family:Arial"><h2>{title}</h2><p>{text}</p>'
            f'<a href="https://{list_id}/r/{index}/{k}">Read more</a></td></tr>\n'
            for k, (title, text) in enumerate(
                zip(_PERSONAL_SUBJECTS[language] * 2, _PERSONAL_TEXT[language] * 3, strict=False)
            )
        )
        html = (
            f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{name}</title></head><body>'
            f'<table width="600" cellpadding="0" cellspacing="0">{items}</table>'
            f'<p style="font-size:11px">You receive this because you subscribed. '
            f'<a href="https://{list_id}/unsubscribe">Unsubscribe</a></p></body></html>'
        )
        text = "\n\n".join(
            f"* {t}\n  {x}"
            for t, x in zip(_PERSONAL_SUBJECTS[language], _PERSONAL_TEXT[language] * 2, strict=False)
        )
        body = (
            f"This is a multi-part message in MIME format.\n\n--{boundary}\n"
            f"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n{text}\n\n"
            f"--{boundary}\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n{html}\n"
            f"--{boundary}--\n"
        )
        return f'multipart/alternative; boundary="{boundary}"', body.encode()

    # ---- the clients' side

    def client_person(self, client: Client) -> tuple[str, str, str]:
        """(header address, first name, email) of someone at the client."""
        if client.colleagues and self.rng.random() < 0.25:
            name, email = self.rng.choice(client.colleagues)
        else:
            name, email = client.contact_name, client.contact
        return _addr(name, email), name.split()[0], email

    def invoice(self, client: Client, ts: float, seq: int, *, paid_evidence: bool) -> dict:
        """An invoice email in Sent, and (for an old one) what settled it."""
        rng = self.rng
        lang = client.language
        issued = datetime.fromtimestamp(ts, TZ).date()
        number = client.number_format.format(year=issued.year, seq=seq)
        project = rng.choice(_PROJECTS[lang])
        cents = rng.randrange(300, 6000) * 100 + rng.choice((0, 0, 50))
        units, rest = divmod(cents, 100)
        if lang == "es":
            amount = f"{units:,}".replace(",", ".") + f",{rest:02d} €"
            subject = f"Factura {number} – {project}"
            body = (
                f"Hola {client.contact_name.split()[0]}:\n\nTe envío la factura {number} correspondiente a: "
                f"{project}.\n\nImporte total: {amount}\nFecha de la factura: {issued:%d/%m/%Y}\n\n"
                f"Muchas gracias,\n{_SIGNATURE}\n"
            )
            lines = [f"FACTURA {number}", f"Fecha: {issued:%d/%m/%Y}", f"Cliente: {client.name}",
                     f"Concepto: {project}", f"Total: {amount}"]  # fmt: skip
            filename = f"Factura_{number}.pdf"
        elif lang == "en":
            symbol = "£" if client.currency == "GBP" else "€"
            amount = f"{symbol}{units:,}.{rest:02d}"
            subject = f"Invoice {number} - {project}"
            body = (
                f"Hi {client.contact_name.split()[0]},\n\nPlease find attached invoice {number} for the "
                f"{project.lower()}.\n\nAmount due: {amount}\nInvoice date: {_long_date(issued, 'en')}\n\n"
                f"Payment terms: {client.terms} days from the invoice date.\n\nThanks,\n{_SIGNATURE}\n"
            )
            lines = [f"INVOICE {number}", f"Invoice date: {_long_date(issued, 'en')}",
                     f"Bill to: {client.name}", f"Description: {project}", f"Amount due: {amount}"]  # fmt: skip
            filename = f"invoice-{number}.pdf"
        else:
            amount = "€ " + f"{units:,}".replace(",", ".") + f",{rest:02d}"
            subject = f"Factuur {number} — {project}"
            body = (
                f"Beste {client.contact_name.split()[0]},\n\nHierbij stuur ik je factuur {number} voor: "
                f"{project}.\n\nTe betalen: {amount}\nFactuurdatum: {issued:%d-%m-%Y}\n\n"
                f"Met vriendelijke groet,\n{_SIGNATURE}\n"
            )
            lines = [f"FACTUUR {number}", f"Factuurdatum: {issued:%d-%m-%Y}", f"Klant: {client.name}",
                     f"Omschrijving: {project}", f"Totaal: {amount}"]  # fmt: skip
            filename = f"Factuur {number}.pdf"
        pdf = base64.encodebytes(invoice_pdf(lines)).decode()
        message_id = self.mid("romero-estudio.example")
        boundary = f"=_inv{self.n:06d}"
        to = _addr(client.contact_name, client.contact)
        if client.addresses and rng.random() < 0.5:
            to += f", {client.addresses[0]}"
        headers = [f"From: {self.me}", f"To: {to}", f"Subject: {_enc(subject)}", f"Date: {_date(ts)}",
                   f"Message-ID: {message_id}", "User-Agent: Mozilla/5.0 Thunderbird/115.6.0"]  # fmt: skip
        mime = (
            f"--{boundary}\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n{body}\n"
            f'--{boundary}\nContent-Type: application/pdf; name="{filename}"\n'
            f'Content-Disposition: attachment; filename="{filename}"\nContent-Transfer-Encoding: base64\n\n'
            f"{pdf}--{boundary}--\n"
        )
        settle = rng.random() if paid_evidence else 1.0
        flags = "Sa" if settle < 0.35 else "S"  # "a": the $Paid keyword
        self.put("Sent", ts, "invoice", _message(headers, mime, f'multipart/mixed; boundary="{boundary}"'),
                 flags, client=True)  # fmt: skip
        self.m.invoices += 1
        first = client.contact_name.split()[0]
        later = ts + rng.uniform(3, 25) * 86400
        if rng.random() < 0.05:
            prefix, text = _AUTO_REPLY[lang]
            self.put("INBOX", ts + rng.uniform(60, 3600), "auto-reply", _message(
                [*_received(rng, ts, client.domain), f"From: {_addr(client.contact_name, client.contact)}",
                 f"To: {self.me}", f"Subject: {_enc(prefix + subject)}", f"Date: {_date(ts + 120)}",
                 f"Message-ID: {self.mid(client.domain)}", f"In-Reply-To: {message_id}",
                 f"References: {message_id}", "Auto-Submitted: auto-replied"],
                text.format(domain=client.domain) + "\n"), client=True)  # fmt: skip
        if 0.35 <= settle < 0.70:
            # The client writes that it was paid, in the thread, quoting the invoice email.
            quoted = "\n".join("> " + line for line in body.splitlines())
            wrote = _WROTE[lang].format(date=_date(ts), name=ME_NAME, email=ME)
            text = (
                f"{_GREETING[lang].format(name='Lucía')}\n\n{_PAID_REPLY[lang].format(number=number)}\n\n"
                f"{_CLOSING[lang]}\n{first}\n\n{wrote}\n{quoted}\n"
            )
            self.put("INBOX", later, "paid-reply", _message(
                [*_received(rng, later, client.domain), f"From: {_addr(client.contact_name, client.contact)}",
                 f"To: {self.me}", f"Subject: {_enc(rng.choice(_REPLY_PREFIX[lang]) + subject)}",
                 f"Date: {_date(later)}", f"Message-ID: {self.mid(client.domain)}",
                 f"In-Reply-To: {message_id}", f"References: {message_id}"], text), client=True)  # fmt: skip
        elif 0.70 <= settle < 1.0:
            # PayPal or Stripe names the invoice number.
            if rng.random() < 0.6:
                sender, subject_n = "service@paypal.com", {
                    "es": "Has recibido un pago", "en": "You've received a payment",
                    "nl": "Je hebt een betaling ontvangen"}[lang]  # fmt: skip
            else:
                sender, subject_n = "notifications@stripe.com", {
                    "es": "Pago recibido", "en": "Payment received", "nl": "Betaling ontvangen"}[lang]  # fmt: skip
            text = (
                f"{client.name} ha enviado un pago.\n\nInvoice ID: {number}\nImporte: {amount}\n"
                if lang == "es"
                else f"{client.name} sent you a payment.\n\nInvoice ID: {number}\nAmount: {amount}\n"
            )
            self.put("INBOX", later, "payment-notice", _message(
                [*_received(rng, later, sender.split("@")[1]), f"From: {sender}", f"To: {ME}",
                 f"Subject: {_enc(subject_n)}", f"Date: {_date(later)}",
                 f"Message-ID: {self.mid(sender.split('@')[1])}"], text), client=True)  # fmt: skip
        return {"client": client.id, "number": number, "message_id": message_id, "subject": subject,
                "contact": client.contact, "contact_name": client.contact_name, "language": lang,
                "domain": client.domain, "issued": issued.isoformat()}  # fmt: skip

    def deliverable(self, client: Client, ts: float, *, answered: bool) -> dict:
        rng = self.rng
        lang = client.language
        subject, lead = rng.choice(_DELIVERABLE[lang])
        first = client.contact_name.split()[0]
        message_id = self.mid("romero-estudio.example")
        headers = [f"From: {self.me}", f"To: {_addr(client.contact_name, client.contact)}",
                   f"Subject: {_enc(subject)}", f"Date: {_date(ts)}", f"Message-ID: {message_id}",
                   "User-Agent: Mozilla/5.0 Thunderbird/115.6.0"]  # fmt: skip
        link = rng.choice(_LINKS).format(key=f"{rng.getrandbits(64):016x}")
        text = f"{_GREETING[lang].format(name=first)}\n\n{lead}\n{link}\n\n{_CLOSING[lang]}\nLucía\n"
        if rng.random() < 0.2:
            # Some work goes as an attachment instead of a link (at least 20 KB counts as work).
            boundary = f"=_del{self.n:06d}"
            blob = base64.encodebytes(rng.randbytes(24_000)).decode()
            body = (
                f"--{boundary}\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
                f'{text}\n--{boundary}\nContent-Type: application/zip; name="entrega.zip"\n'
                f'Content-Disposition: attachment; filename="entrega.zip"\nContent-Transfer-Encoding: base64\n\n'
                f"{blob}--{boundary}--\n"
            )
            data = _message(headers, body, f'multipart/mixed; boundary="{boundary}"')
        else:
            data = _message(headers, text)
        self.put("Sent", ts, "deliverable", data, client=True)
        if answered:
            later = ts + rng.uniform(0.2, 4) * 86400
            answer = rng.choice(_DELIVERABLE_ANSWER[lang])
            quoted = "\n".join("> " + line for line in text.splitlines())
            self.put("INBOX", later, "deliverable-answer", _message(
                [*_received(rng, later, client.domain), f"From: {_addr(client.contact_name, client.contact)}",
                 f"To: {self.me}", f"Subject: {_enc(rng.choice(_REPLY_PREFIX[lang]) + subject)}",
                 f"Date: {_date(later)}", f"Message-ID: {self.mid(client.domain)}",
                 f"In-Reply-To: {message_id}", f"References: {message_id}"],
                f"{_GREETING[lang].format(name='Lucía')}\n\n{answer}\n\n{_CLOSING[lang]}\n{first}\n\n"
                f"{_WROTE[lang].format(date=_date(ts), name=ME_NAME, email=ME)}\n{quoted}\n"), client=True)  # fmt: skip
        return {"client": client.id, "message_id": message_id, "subject": subject}

    def conversation(self, client: Client, ts: float, length: int) -> None:
        """A thread with a client: alternating INBOX and Sent, each replying to the last."""
        rng = self.rng
        lang = client.language
        subject = rng.choice(self.enc_subjects[lang])
        parent, refs = None, ""
        theirs = rng.random() < 0.6
        for k in range(length):
            person, first, _email = self.client_person(client)
            thread_headers, refs_next = self.threading(parent, refs)
            mid = self.mid(client.domain if theirs else "romero-estudio.example")
            subj = subject if k == 0 else rng.choice(_REPLY_PREFIX[lang]) + subject
            if theirs:
                text = (f"{_GREETING[lang].format(name='Lucía')}\n\n{rng.choice(_CLIENT_TEXT[lang])}\n\n"
                        f"{_CLOSING[lang]}\n{first}\n")  # fmt: skip
                headers = [*_received(rng, ts, client.domain), f"From: {person}", f"To: {self.me}",
                           f"Subject: {subj}", f"Date: {_date(ts, _ZONES[1])}", f"Message-ID: {mid}",
                           *thread_headers, "X-Mailer: Microsoft Outlook 16.0"]  # fmt: skip
                self.put("INBOX", ts, "client-mail", _message(headers, text), "RS" if k + 1 < length else "S",
                         client=True)  # fmt: skip
            else:
                text = (f"{_GREETING[lang].format(name=first)}\n\n{rng.choice(_MY_TEXT[lang])}\n\n"
                        f"{_CLOSING[lang]}\n{_SIGNATURE}\n")  # fmt: skip
                cc = (
                    [f"Cc: {_addr(*client.colleagues[0])}"]
                    if client.colleagues and rng.random() < 0.2
                    else []
                )
                headers = [f"From: {self.me}", f"To: {person}", *cc, f"Subject: {subj}", f"Date: {_date(ts)}",
                           f"Message-ID: {mid}", *thread_headers, "User-Agent: Mozilla/5.0 Thunderbird/115.6.0"]  # fmt: skip
                self.put("Sent", ts, "client-mail", _message(headers, text), client=True)
            parent, refs = mid, refs_next
            theirs = not theirs
            ts += rng.uniform(0.5, 30) * 3600
            if ts > self.now - 60:
                break

    # ---- everybody else

    def newsletter(self, ts: float) -> None:
        rng = self.rng
        index = rng.randrange(len(_NEWSLETTERS))
        name, address, list_id, _language, subjects = _NEWSLETTERS[index]
        content_type, body = self.newsletters[index]
        host = address.split("@")[1]
        subject = _enc(rng.choice(subjects).format(n=rng.randrange(100, 999)))
        headers = [*_received(rng, ts, host), f"From: {_addr(name, address)}", f"To: {ME}",
                   f"Subject: {subject}", f"Date: {_date(ts, _ZONES[0])}", f"Message-ID: {self.mid(host)}",
                   f"List-Id: {name} <{list_id}>", f"List-Unsubscribe: <https://{list_id}/unsubscribe>",
                   "Precedence: bulk"]  # fmt: skip
        head = "\n".join(headers).encode()
        data = head + b"\nMIME-Version: 1.0\nContent-Type: " + content_type.encode() + b"\n\n" + body
        self.put("INBOX", ts, "newsletter", data, "S" if rng.random() < 0.7 else "")

    def notification(self, ts: float, promo: bool = False) -> None:
        rng = self.rng
        name, address, subjects, language = rng.choice(_PROMOS if promo else _NOTIFIERS)
        host = address.split("@")[1]
        subject = _enc(rng.choice(subjects).format(n=rng.randrange(10, 99999)))
        text = "\n\n".join(rng.sample(_PERSONAL_TEXT[language], 3)) + f"\n\n-- \n{name}\nhttps://{host}/\n"
        headers = [*_received(rng, ts, host), f"From: {_addr(name, address)}", f"To: {ME}",
                   f"Subject: {subject}", f"Date: {_date(ts, _ZONES[0])}", f"Message-ID: {self.mid(host)}",
                   "Auto-Submitted: auto-generated"]  # fmt: skip
        self.put("INBOX", ts, "promotion" if promo else "notification", _message(headers, text),
                 "S" if rng.random() < 0.8 else "")  # fmt: skip

    def stray_payment(self, ts: float) -> None:
        """PayPal money for something that is not an invoice (a template sold): a candidate."""
        rng = self.rng
        text = f"A buyer sent you a payment.\n\nAmount: €{rng.randrange(9, 49)}.00\nItem: UI kit\n"
        headers = [*_received(rng, ts, "paypal.com"), "From: service@paypal.com", f"To: {ME}",
                   "Subject: You've received a payment", f"Date: {_date(ts, _ZONES[0])}",
                   f"Message-ID: {self.mid('paypal.com')}"]  # fmt: skip
        self.put("INBOX", ts, "payment-notice", _message(headers, text), client=True)


def generate(
    root: Path,
    messages: int,
    *,
    seed: int = 2026,
    now: float | None = None,
    owner: tuple[int, int] | None = None,
) -> Manifest:
    """Write `messages` messages into the Maildir++ tree at `root` (a Dovecot user's ~/Maildir)."""
    started = time.perf_counter()
    now = time.time() if now is None else now
    rng = random.Random(seed)
    manifest = Manifest()
    gen = _Gen(MaildirWriter(root, owner), rng, now, manifest)
    day = 86400.0
    start = now - SPAN_DAYS * day

    def when(low_days_ago: float, high_days_ago: float) -> float:
        return now - rng.uniform(low_days_ago, high_days_ago) * day

    # 1. The same recent work at every size: one open invoice per client, two deliverables
    #    waiting for an answer.
    seqs = Counter()
    for client in CLIENTS:
        seqs[client.id] = 900
        ts = now - client.open_invoice_days * day - 3 * 3600
        manifest.open_invoices.append(gen.invoice(client, ts, seqs[client.id], paid_evidence=False))
        if client.waiting_deliverable_days:
            ts = now - client.waiting_deliverable_days * day - 2 * 3600
            manifest.waiting_deliverables.append(gen.deliverable(client, ts, answered=False))

    # 2. History: invoices (each settled by a tag, a reply or a payment notice), deliverables
    #    (answered or approved), conversations; until the client share is reached.
    history_end = 60  # days ago: everything older is settled
    for k in range(max(len(CLIENTS), round(messages * INVOICE_FRACTION))):
        client = CLIENTS[k % len(CLIENTS)]
        seqs[client.id] += 1
        gen.invoice(client, when(history_end, SPAN_DAYS), seqs[client.id] % 900, paid_evidence=True)
    for k in range(round(messages * DELIVERABLE_FRACTION)):
        gen.deliverable(CLIENTS[k % len(CLIENTS)], when(history_end, SPAN_DAYS), answered=True)
    client_budget = round(messages * CLIENT_FRACTION)
    for _ in range(max(1, round(messages * 0.0005))):
        gen.stray_payment(when(0.1, SPAN_DAYS))
    while manifest.client_messages < client_budget and manifest.messages < messages:
        length = min(rng.randint(2, 6), client_budget - manifest.client_messages + 1)
        gen.conversation(rng.choice(CLIENTS), when(0.5, SPAN_DAYS), length)

    # 3. Everyone else, in time order so personal threads run forwards.
    sent_left = max(0, round(messages * SENT_FRACTION) - manifest.folders["Sent"])
    inbox_left = max(0, messages - manifest.messages - sent_left)
    folders = ["Sent"] * sent_left + ["INBOX"] * inbox_left
    rng.shuffle(folders)
    stamps = sorted(rng.uniform(start, now - 300) for _ in folders)
    last_from: dict[int, tuple[str, str, str]] = {}  # person -> (message id, refs, subject)
    for folder, ts in zip(folders, stamps, strict=True):
        r = rng.random()
        if folder == "INBOX":
            if r < 0.40:
                gen.newsletter(ts)
            elif r < 0.62:
                gen.notification(ts)
            elif r < 0.70:
                gen.notification(ts, promo=True)
            else:
                _personal(gen, ts, incoming=True, last=last_from, r=rng.random())
        else:
            _personal(gen, ts, incoming=False, last=last_from, r=r)
    manifest.bytes = gen.w.bytes
    manifest.seconds = time.perf_counter() - started
    return manifest


def _personal(gen: _Gen, ts: float, *, incoming: bool, last: dict, r: float) -> None:
    """Mail with friends, family, the accountant, people asking for a quote: no client."""
    rng = gen.rng
    if r < 0.02:
        # The accountant: quarterly invoices sent to her (not a client: never a candidate).
        host = _ACCOUNTANT[1].split("@")[1]
        if incoming:
            headers = [*_received(rng, ts, host), f"From: {_addr(*_ACCOUNTANT)}", f"To: {gen.me}",
                       "Subject: =?utf-8?q?Modelo_303_presentado?=", f"Date: {_date(ts)}",
                       f"Message-ID: {gen.mid(host)}"]  # fmt: skip
            gen.put(
                "INBOX", ts, "accountant", _message(headers, "Hola Lucía, ya está presentado el modelo.\n")
            )
        else:
            boundary = f"=_acc{gen.n:06d}"
            pdf = base64.encodebytes(invoice_pdf(["Resumen de facturas", "Trimestre"])).decode()
            body = (
                f"--{boundary}\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
                f"Hola Laura, te adjunto las facturas del trimestre.\n\n{_SIGNATURE}\n"
                f'--{boundary}\nContent-Type: application/pdf; name="facturas.pdf"\n'
                f'Content-Disposition: attachment; filename="facturas.pdf"\nContent-Transfer-Encoding: base64\n\n'
                f"{pdf}--{boundary}--\n"
            )
            headers = [f"From: {gen.me}", f"To: {_addr(*_ACCOUNTANT)}", "Subject: Facturas del trimestre",
                       f"Date: {_date(ts)}", f"Message-ID: {gen.mid('romero-estudio.example')}"]  # fmt: skip
            gen.put("Sent", ts, "accountant",
                    _message(headers, body, f'multipart/mixed; boundary="{boundary}"'))  # fmt: skip
        return
    if r < 0.05:
        prospect = rng.choice(_PROSPECTS)
        host = prospect.split("@")[1]
        if incoming:
            headers = [*_received(rng, ts, host), f"From: {prospect}", f"To: {gen.me}",
                       "Subject: =?utf-8?q?Solicitud_de_presupuesto?=", f"Date: {_date(ts)}",
                       f"Message-ID: {gen.mid(host)}"]  # fmt: skip
            gen.put(
                "INBOX",
                ts,
                "prospect",
                _message(headers, "Hola, ¿nos podrías pasar presupuesto para una web?\n"),
            )
        else:
            headers = [f"From: {gen.me}", f"To: {prospect}", "Subject: Presupuesto web",
                       f"Date: {_date(ts)}", f"Message-ID: {gen.mid('romero-estudio.example')}"]  # fmt: skip
            gen.put(
                "Sent", ts, "prospect", _message(headers, "Hola, os adjunto el presupuesto que comentamos.\n")
            )
        return
    index = rng.randrange(len(gen.people))
    language, address, first, host = gen.people[index]
    previous = last.get(index)
    if previous and rng.random() < 0.6:
        parent, refs, subject = previous
        thread_headers, refs = gen.threading(parent, refs)
        subject = subject if subject.startswith(("Re:", "RE:")) else "Re: " + subject
    else:
        thread_headers, refs = [], ""
        subject = _enc(rng.choice(_PERSONAL_SUBJECTS[language]))
    text = "\n\n".join(rng.sample(_PERSONAL_TEXT[language], rng.randint(1, 4)))
    if incoming:
        mid = gen.mid(host)
        headers = [*_received(rng, ts, host), f"From: {address}", f"To: {gen.me}", f"Subject: {subject}",
                   f"Date: {_date(ts, rng.choice(_ZONES))}", f"Message-ID: {mid}", *thread_headers]  # fmt: skip
        gen.put(
            "INBOX",
            ts,
            "personal",
            _message(headers, f"{text}\n\n{first}\n"),
            "S" if rng.random() < 0.9 else "",
        )
    else:
        mid = gen.mid("romero-estudio.example")
        headers = [f"From: {gen.me}", f"To: {address}", f"Subject: {subject}", f"Date: {_date(ts)}",
                   f"Message-ID: {mid}", *thread_headers, "User-Agent: Mozilla/5.0 Thunderbird/115.6.0"]  # fmt: skip
        gen.put("Sent", ts, "personal", _message(headers, f"{text}\n\nLucía\n"))
    last[index] = (mid, refs, subject)


# --------------------------------------------------------------------------- new mail


def client_reply(invoice: dict, *, ts: float | None = None, tag: str = "") -> tuple[str, bytes]:
    """A client's neutral answer to an open invoice (one journal line, no state change)."""
    ts = time.time() if ts is None else ts
    lang = invoice["language"]
    message_id = f"<reply-{tag or int(ts * 1000)}-{random.getrandbits(32):08x}@{invoice['domain']}>"
    first = invoice["contact_name"].split()[0]
    headers = [
        f"From: {_addr(invoice['contact_name'], invoice['contact'])}",
        f"To: {_addr(ME_NAME, ME)}",
        f"Subject: {_enc('Re: ' + invoice['subject'])}",
        f"Date: {_date(ts)}",
        f"Message-ID: {message_id}",
        f"In-Reply-To: {invoice['message_id']}",
        f"References: {invoice['message_id']}",
    ]
    text = f"{_GREETING[lang].format(name='Lucía')}\n\n{NEUTRAL_REPLY[lang]}\n\n{_CLOSING[lang]}\n{first}\n"
    return message_id, _message(headers, text)


def new_mail(manifest: dict, round_: int, count: int = 10) -> list[tuple[str, bytes, tuple[str, ...]]]:
    """`count` new messages as they arrive between two passes: (folder, message, flags).

    Two are clients answering open invoices, one is the freelancer writing to a client
    (Sent), the rest newsletters, notifications and personal mail in both folders.
    """
    rng = random.Random(f"new-{round_}")
    now = time.time()
    invoices = manifest["open_invoices"]
    out: list[tuple[str, bytes, tuple[str, ...]]] = []
    for k in range(2):
        invoice = invoices[(round_ * 2 + k) % len(invoices)]
        _, data = client_reply(invoice, ts=now - 60 + k, tag=f"r{round_}-{k}")
        out.append(("INBOX", data, ()))
    client = CLIENTS[round_ % len(CLIENTS)]
    text = f"{_GREETING[client.language].format(name=client.contact_name.split()[0])}\n\n{_MY_TEXT[client.language][0]}\n"
    out.append(("Sent", _message([
        f"From: {_addr(ME_NAME, ME)}", f"To: {_addr(client.contact_name, client.contact)}",
        f"Subject: {_enc(rng.choice(_SUBJECTS[client.language]))}", f"Date: {_date(now - 30)}",
        f"Message-ID: <new-{round_}-sent@romero-estudio.example>"], text), ("\\Seen",)))  # fmt: skip
    while len(out) < count:
        k = len(out)
        if k % 3 == 0:
            folder, sender, subject = "Sent", "Lucía", f"Re: {rng.choice(_PERSONAL_SUBJECTS['es'])}"
            headers = [f"From: {_addr(ME_NAME, ME)}", f"To: pablo.garcia@{_MAILHOSTS[0]}"]
        elif k % 3 == 1:
            folder, sender, subject = "INBOX", "news", f"Design Weekly {round_}{k}"
            headers = ["From: Design Weekly <news@designweekly.example>", f"To: {ME}",
                       "List-Id: Design Weekly <weekly.designweekly.example>", "Precedence: bulk"]  # fmt: skip
        else:
            folder, sender, subject = "INBOX", "GitHub", f"[romero/web] Issue #{round_}{k}: typo"
            headers = ["From: GitHub <notifications@github.example>", f"To: {ME}"]
        headers += [f"Subject: {_enc(subject)}", f"Date: {_date(now - 20 + k)}",
                    f"Message-ID: <new-{round_}-{k}@bench.example>"]  # fmt: skip
        out.append((folder, _message(headers, f"{rng.choice(_PERSONAL_TEXT['en'])}\n\n{sender}\n"),
                    ("\\Seen",) if folder == "Sent" else ()))  # fmt: skip
    return out
