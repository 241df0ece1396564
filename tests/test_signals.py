"""Reading clients' words: their own words in every mail client's layout, and what each sentence says."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from assistant.adapters.parse import parse_mail
from assistant.config import load_rules
from assistant.domain import reading
from assistant.domain.classify import fresh_text, invoice_numbers_named, signals_in
from assistant.domain.extract import parse_when
from assistant.domain.model import Money, Signal
from tests.support import ours
from tests.support.layouts import LAYOUTS, reply_message

WEDNESDAY = date(2026, 3, 18)


@pytest.fixture(scope="module")
def signals():
    return load_rules(None).signals


def said(signals, text, language="es"):
    return {s.signal: s for s in signals_in(text, signals, language=language, written_on=WEDNESDAY)}


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Hola Lucía, ya hemos realizado la transferencia.", "es"),
        ("La factura 2026-001 ya está pagada.", "es"),
        ("El pago ha sido efectuado hoy.", "es"),
        ("Pagado!", "es"),
        ("Hi Lucía, we've just paid it.", "en"),
        ("Payment has been made this morning.", "en"),
        ("The invoice has now been settled.", "en"),
        ("De factuur is inmiddels betaald.", "nl"),
        ("Wij hebben het bedrag vandaag overgemaakt.", "nl"),
    ],
)
def test_a_client_saying_it_was_paid(signals, text, language):
    assert Signal.PAID in said(signals, text, language)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Todavía no lo hemos pagado, falta la orden de compra.", "es"),
        ("No hemos pagado porque falta el PO.", "es"),
        ("We have not paid yet.", "en"),
        ("Sorry, we never paid that one?", "en"),
        ("De factuur is nog niet betaald.", "nl"),
        ("Avíseme cuando haya pagado.", "es"),  # our own words, if they ever got through
    ],
)
def test_a_negation_is_not_a_payment(signals, text, language):
    assert Signal.PAID not in said(signals, text, language)


def test_a_smaller_amount_in_the_paid_sentence_is_kept_for_a_partial_payment(signals):
    found = said(signals, "Hemos pagado 500,00 € de momento; el resto en abril.")
    assert found[Signal.PAID].amount.amount == Decimal("500.00")


def test_a_number_that_is_not_money_is_not_a_partial_payment(signals):
    found = said(signals, "Ya hemos realizado la transferencia de la factura F-2026-001.")
    assert Signal.PAID in found and found[Signal.PAID].amount is None


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("No estamos de acuerdo con el importe, hay un error en la factura.", "es"),
        ("We dispute this invoice: the amount is not what we agreed.", "en"),
        ("Het bedrag klopt niet.", "nl"),
    ],
)
def test_a_dispute_is_read_with_its_sentence(signals, text, language):
    found = said(signals, text, language)
    assert Signal.DISPUTE in found and found[Signal.DISPUTE].quote


@pytest.mark.parametrize(
    ("text", "language", "day"),
    [
        ("Pagaremos el viernes sin falta.", "es", date(2026, 3, 20)),
        ("Le pagaremos la semana que viene.", "es", date(2026, 3, 27)),
        ("Haremos la transferencia el 25 de marzo.", "es", date(2026, 3, 25)),
        ("We will pay on 12 April.", "en", date(2026, 4, 12)),
        ("We'll transfer it by the end of the month.", "en", date(2026, 3, 31)),
        ("Payment will be made within 10 days.", "en", date(2026, 3, 28)),
        ("We gaan volgende week betalen.", "nl", date(2026, 3, 27)),
        ("We betalen morgen.", "nl", date(2026, 3, 19)),
        ("Volgende week betalen we.", "nl", date(2026, 3, 27)),
    ],
)
def test_a_promise_to_pay_names_a_day(signals, text, language, day):
    assert said(signals, text, language)[Signal.PROMISE].until == day


def test_a_vague_promise_has_no_day(signals):
    assert said(signals, "We will pay soon.", "en")[Signal.PROMISE].until is None


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Está perfecta, aprobado.", "es"),
        ("Looks great, thanks!", "en"),
        ("Ziet er goed uit, akkoord!", "nl"),
    ],
)
def test_approval(signals, text, language):
    assert Signal.APPROVAL in said(signals, text, language)


def test_niet_akkoord_is_a_dispute_not_an_approval(signals):
    found = said(signals, "Hier zijn we niet akkoord mee.", "nl")
    assert Signal.DISPUTE in found and Signal.APPROVAL not in found


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Un cambio más: el logo más grande.", "es"),
        ("Just one more thing: a new page.", "en"),
        ("Nog een kleine aanpassing graag.", "nl"),
    ],
)
def test_scope_change_wording(signals, text, language):
    assert Signal.SCOPE_CHANGE in said(signals, text, language)


@pytest.mark.parametrize(
    "reply",
    [
        "Lo miro.\n\nEl mar, 17 mar 2026 a las 10:00, Lucía <l@x> escribió:\nHemos pagado",
        "Lo miro.\n> Hemos pagado",
        "Lo miro.\n-----Original Message-----\nHemos pagado",
        "Ik kijk ernaar.\n\nOp 17 mrt. 2026 om 10:00 schreef Lucía <l@x>:\nis betaald",
        "I'll check.\n\nOn Tue, 17 Mar 2026, Lucía <l@x> wrote:\nwe have paid",
        "Lo miro.\n--\nMarta López · Hemos pagado siempre a tiempo",
    ],
)
def test_fresh_text_leaves_quotes_and_signatures_out(reply):
    text = fresh_text(reply)
    assert text.strip() in ("Lo miro.", "Ik kijk ernaar.", "I'll check.")


def test_invoice_numbers_are_named_only_as_whole_tokens():
    assert invoice_numbers_named("la factura 2026-001 y la F-7", ["2026-001", "2026-00", "F-7", "7"]) == [
        "2026-001",
        "F-7",
    ]


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("el lunes", date(2026, 3, 23)),
        ("next Monday", date(2026, 3, 23)),
        ("el viernes de la semana que viene", date(2026, 3, 27)),
        ("mañana", date(2026, 3, 19)),
        ("pasado mañana", date(2026, 3, 20)),
        ("overmorgen", date(2026, 3, 20)),
        ("vandaag", date(2026, 3, 18)),
        ("deze week", date(2026, 3, 20)),
        ("eind van de maand", date(2026, 3, 31)),
        ("next month", date(2026, 4, 30)),
        ("en dos semanas", date(2026, 4, 1)),
        ("binnen 5 dagen", date(2026, 3, 23)),
        ("12/04", date(2026, 4, 12)),
        ("March 30th", date(2026, 3, 30)),
        ("on 2 January", date(2027, 1, 2)),  # a day without a year is the next such day
        ("15/06/2026", date(2026, 6, 15)),
        ("soon", None),
        ("", None),
    ],
)
def test_promised_days_are_read_relative_to_the_message(text, day):
    assert parse_when(text, language="en", today=WEDNESDAY) == day


# --------------------------------------------------------------------------- reading, sentence by sentence


def read(signals, text, language="es", **kwargs):
    return reading.read(text, signals, language=language, written_on=WEDNESDAY, **kwargs)


@pytest.mark.parametrize(
    ("text", "language", "why"),
    [
        ("¿Podéis confirmar si ya se ha abonado?", "es", "a question"),
        ("Could you check whether it has been paid?", "en", "a question"),
        ("Do you know if we have paid it already", "en", "a question"),
        ("Ik laat het weten zodra het is betaald.", "nl", "a condition"),
        ("Si ya ha realizado el pago, le ruego que ignore este mensaje.", "es", "a condition"),
        (
            "Hebt u inmiddels betaald, dan kunt u dit bericht als niet verzonden beschouwen.",
            "nl",
            "a question",
        ),
        ("Please check that we have paid it.", "en", "a request"),
        ("We have not paid it yet.", "en", "a negation"),
        ("The invoice will have been paid by then.", "en", "a future"),
        ("Dus laat u mij weten wanneer u hebt betaald.", "nl", "a condition"),
    ],
)
def test_a_payment_named_but_not_stated_is_a_doubt_never_paid(signals, text, language, why):
    found = read(signals, text, language, own=True)
    assert Signal.PAID not in found.signals
    assert [d.reason for d in found.doubts][:1] == [why]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Payment done, thanks.", "en"),
        ("Transferencia hecha.", "es"),
        ("Betaald!", "nl"),
        ("We hebben het bedrag van € 1.200,00 gisteren via de bank overgemaakt.", "nl"),
        (
            "Ik heb het bedrag na lang wachten op de goedkeuring van onze directeur eindelijk overgemaakt.",
            "nl",
        ),
        ("El pago se realizó el día 12.", "es"),
        ("We've paid it yesterday, can you confirm you received it?", "en"),
        ("Wir haben die Rechnung gestern überwiesen.", "de"),
        ("Nous avons bien réglé la facture hier.", "fr"),
    ],
)
def test_verbless_and_far_apart_payments_are_read(signals, text, language):
    assert Signal.PAID in read(signals, text, language, own=True).for_ledger()


def test_paid_and_disputed_in_one_message_is_a_dispute(signals):
    found = read(signals, "We already paid this in February. You charged us twice.", "en", own=True)
    assert found.conflict
    ledger = found.for_ledger()
    assert Signal.DISPUTE in ledger and Signal.PAID not in ledger


def test_a_part_payment_is_an_amount_smaller_than_what_is_owed(signals):
    owed = Money(amount=Decimal("1200.00"), currency="EUR")
    part = read(signals, "Hemos pagado 500,00 € de momento.", own=True)
    whole = read(signals, "Hemos pagado los 1.200,00 € hoy.", own=True)
    assert part.is_partial(owed) and part.said(Signal.PAID).amount.amount == Decimal("500.00")
    assert not whole.is_partial(owed)


def test_a_part_payment_without_a_readable_amount_changes_nothing(signals):
    found = read(signals, "Hemos pagado una parte, el resto en abril.", own=True)
    assert Signal.PAID in found.signals and Signal.PAID not in found.for_ledger()


def test_a_promise_needs_a_day_that_is_not_past(signals):
    assert read(signals, "Pagaremos el viernes.", own=True).said(Signal.PROMISE).until == date(2026, 3, 20)
    assert read(signals, "El lunes a primera hora te hago la transferencia.", own=True).said(
        Signal.PROMISE
    ).until == date(2026, 3, 23)
    assert read(signals, "We will pay on 2 March 2026.", "en", own=True).said(Signal.PROMISE).until is None


@pytest.mark.parametrize(
    ("text", "language", "signal"),
    [
        ("¿Me la puedes reenviar? No la encuentro.", "es", Signal.RESEND),
        ("Can you send the invoice again?", "en", Signal.RESEND),
        ("Received, thanks. I've passed it on to accounts.", "en", Signal.ACKNOWLEDGED),
        ("Ontvangen! Ik zet hem vandaag door naar onze boekhouder.", "nl", Signal.ACKNOWLEDGED),
        ("Ik ben afwezig tot 30 maart.", "nl", Signal.OUT_OF_OFFICE),
        ("¿La factura incluye el IVA?", "es", Signal.QUESTION),
    ],
)
def test_what_changes_nothing_is_still_read(signals, text, language, signal):
    found = read(signals, text, language, own=True)
    assert signal in found.signals and signal not in found.for_ledger()


# --------------------------------------------------------------------------- the client's own words

CLIENT = "Hola Lucía:\n\nNo estamos de acuerdo con el importe.\n\nMarta"


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: layout.name)
def test_own_words_in_every_client_layout(layout):
    text = ours.rendered_templates("es")["invoice-final-notice"]
    raw = reply_message(
        layout, CLIENT, ours.quoted("es", text), "es", written=ours.WRITTEN, message_id="<r@client.example>"
    )
    words = reading.own_words(parse_mail(raw, uid=1).text, reading.Ours([text]))
    assert [line for line in words.splitlines() if line.strip()] == [
        "Hola Lucía:",
        CLIENT.split("\n")[2],
        "Marta",
    ]


def test_words_below_and_between_quotes_are_kept():
    text = "Op 17-03-2026 om 10:00 schreef Lucía:\n> Beste Sanne,\n> Is de factuur betaald?\n\nNee.\n\n> Groet\n\nHet bedrag klopt niet."
    assert reading.own_words(text).split("\n\n") == ["Nee.", "Het bedrag klopt niet."]


@pytest.mark.parametrize(
    "heading",
    [
        "De: Lucía Romero <l@x>\nEnviado el: martes, 17 de marzo de 2026 10:00\nPara: Marta\nAsunto: Factura",
        "*Van:* Lucía Romero <l@x>\n*Verzonden:* dinsdag 17 maart 2026 10:00\n*Aan:* Sanne\n*Onderwerp:* Factuur",
        "---- On Tue, 17 Mar 2026 10:00:00 +0100 Lucía <l@x> wrote ----",
        "Op 17 mrt. 2026 om 10:00 heeft Lucía Romero <l@x> het volgende\ngeschreven:",
        "On Tue, Mar 17, 2026 at 10:00 AM Lucía Romero <\nl@x> wrote:",
        '>>> "Lucía Romero" <l@x> 17/03/2026 10:00 >>>',
        "Lucía Romero <l@x>\n17/03/2026 10:00\n\nTo\nMarta <m@x>\ncc\n\nSubject\nFactura",
        "Da: Lucía Romero <l@x>\nInviato: martedì 17 marzo 2026 10:00\nA: Marta\nOggetto: Fattura",
        "Il giorno mar 17 mar 2026 alle ore 10:00 Lucía Romero <l@x> ha scritto:",
        "Em ter., 17 de mar. de 2026 às 10:00, Lucía Romero <l@x> escreveu:",
        "De: Lucía Romero <l@x>\nEnviada em: terça-feira, 17 de março de 2026 10:00\nPara: Marta\nAssunto: Fatura",
        "De : Lucía Romero <l@x>\nEnvoyé : mardi 17 mars 2026 10:00\nÀ : Camille\nObjet : Facture",
    ],
)
def test_headings_without_marks_end_the_clients_words(heading):
    text = f"Lo miro.\n\n{heading}\n\nHemos pagado\nSi ya ha realizado el pago"
    assert reading.own_words(text) == "Lo miro."


def test_provenance_drops_our_words_with_no_heading_and_no_marks():
    ours_text = "Hola Marta:\n\nSi ya ha realizado el pago, le ruego que ignore este mensaje y me envíe el justificante."
    text = "Vale, gracias.\n\nHola Marta:\n\nSi ya ha realizado el pago, le ruego que ignore\neste mensaje y me envíe el justificante."
    assert reading.own_words(text, reading.Ours([ours_text])) == "Vale, gracias."


def test_template_fragments_make_a_rendered_template_ours():
    source = ours.rendered_templates("nl")["invoice-reminder-1"]
    fragments = reading.template_fragments(load_rules(None).template("nl", "invoice-reminder-1").text)
    text = "Dank je.\n\n" + source
    assert reading.own_words(text, reading.Ours(fragments)).splitlines()[0] == "Dank je."
    assert "betaling" not in reading.own_words(text, reading.Ours(fragments))


# --------------------------------------------------------------------------- our own words never count

NEUTRAL = {"es": "Gracias, Marta", "en": "Thanks, Oliver", "nl": "Dank je, Sanne"}


@pytest.mark.parametrize("language", ["es", "en", "nl"])
def test_every_template_quoted_back_in_every_layout_says_nothing(signals, language):
    """Our own words, quoted back by any client, never give a signal: by structure alone
    (except the quote with no heading and no marks), and with provenance."""
    rules = load_rules(None)
    said = []
    for name, text in ours.rendered_templates(language).items():
        fragments = reading.template_fragments(rules.template(language, name).text)
        for variant in range(2):
            for layout in LAYOUTS:
                raw = reply_message(
                    layout, NEUTRAL[language], ours.quoted(language, text), language,
                    variant=variant, written=ours.WRITTEN, message_id="<r@client.example>",
                )  # fmt: skip
                body = parse_mail(raw, uid=1).text
                # A quote with neither heading nor marks can only be known by provenance.
                structure = () if layout.name == "no-heading" else (None,)
                for provenance in (*structure, reading.Ours([text, *fragments])):
                    found = reading.read(
                        body, signals, language=language, written_on=ours.WRITTEN.date(), ours=provenance
                    )
                    if found.statements or found.doubts:
                        said.append((name, layout.name, variant, [s.sentence for s in found.statements]))
    assert said == []


@pytest.mark.parametrize("language", ["es", "en", "nl"])
def test_templates_read_as_if_the_client_wrote_them_give_no_payment_dispute_or_promise(signals, language):
    """Even pasted with no quote structure at all, the sentences of the templates a client
    receives are questions, conditions and requests: nothing the ledger acts on. (The digest
    is the freelancer's own; it quotes clients on purpose.)"""
    for name, text in ours.rendered_templates(language).items():
        if name == "digest":
            continue
        found = reading.read(text, signals, language=language, written_on=ours.WRITTEN.date(), own=True)
        assert (name, found.for_ledger()) == (name, {})
        # Questions, and "I've received your payment" (the thank-you) read as what they are.
        assert (name, found.signals - {Signal.QUESTION, Signal.ACKNOWLEDGED}) == (name, frozenset())


def test_a_payment_of_another_invoice_is_not_this_ones(signals):
    found = read(
        signals, "We paid invoice 2025-118 last week. This one still needs sign-off.", "en", own=True
    )
    assert Signal.PAID not in found.for_ledger("2026-001")
    assert Signal.PAID in found.for_ledger("2025-118")
    assert Signal.PAID in read(signals, "Ya hemos pagado la factura F-2026-001.", own=True).for_ledger(
        "2026-001"
    )


def test_a_present_paid_with_a_day_to_come_is_a_promise(signals):
    found = read(signals, "Sin falta este viernes queda pagada.", own=True)
    assert Signal.PAID not in found.signals
    assert found.said(Signal.PROMISE).until == date(2026, 3, 20)
    assert (
        Signal.PAID
        in read(
            signals, "Heb het vanochtend overgemaakt, zou morgen binnen moeten zijn.", "nl", own=True
        ).signals
    )


def test_explain_is_told_what_was_not_taken_and_why(signals):
    found = read(signals, "¿Podéis confirmar si ya se ha abonado? Recibido, gracias.", own=True)
    assert found.notes() == (
        "asks: «¿Podéis confirmar si ya se ha abonado?»; acknowledges: «Recibido, gracias.»; "
        "not taken as said (a question): «¿Podéis confirmar si ya se ha abonado?»"
    )


# --------------------------------------------------------------------------- an outside corpus


@pytest.mark.parametrize(
    ("name", "kept", "left_out"),
    [
        # GitHub's email_reply_parser fixtures and what its own tests expect of them
        ("email_1_2", ["Hi,", "You can list the keys for the bucket"], ["wrote:", "> "]),
        ("email_1_3", ["Oh thanks.", "Having the function would be great."], ["wrote:", "riak-users"]),
        (
            "email_1_8",
            ["I will reply under this one", "and under this."],
            ["okay?", "inline", "my signature"],
        ),
        ("email_1_6", ["I get proper rendering as well."], ["Was this"]),
        ("email_2_1", ["Outlook with a reply"], ["From:", "Subject:"]),
        ("email_2_2", ["Outlook with a reply directly above line"], ["From:"]),
        ("email_BlackBerry", ["Here is another email"], ["BlackBerry"]),
        ("email_iPhone", ["Here is another email"], ["iPhone"]),
        ("email_sent_from_my_not_signature", ["Sent from my desk, is much easier then my mobile phone."], []),
        ("email_one_is_not_on", ["One outstanding question I had"], ["On Oct 1, 2012"]),
        ("greedy_on", ["On your remote host you can run:"], ["On 9 Jan 2014"]),
    ],
)
def test_own_words_on_outside_reply_fixtures(corpora, name, kept, left_out):
    text = (corpora / "github-email_reply_parser" / "emails" / f"{name}.txt").read_text(encoding="utf-8")
    words = reading.own_words(text)
    assert [k for k in kept if k not in words] == []
    assert [x for x in left_out if x in words] == []
