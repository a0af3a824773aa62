import pytest

from assistant import triage


@pytest.mark.parametrize(
    "text,event",
    [
        ("Il mio compagno mi picchia", "violenza_domestica"),
        ("il mio ex mi perseguita", "stalking"),
        ("sono stata violentata", "violenza_sessuale"),
        ("hanno truffato mia nonna", "truffa"),
        ("mi hanno rubato il portafoglio", "furto"),
        ("mi hanno discriminato perché sono nero", "discriminazione"),
        ("mi hanno tolto il passaporto e mi costringono a lavorare", "tratta"),
        ("mio figlio è vittima di bullismo", "bullismo"),
        ("buongiorno", None),
    ],
)
def test_classify_event(text, event):
    assert triage.classify_event(text) == event


@pytest.mark.parametrize(
    "text,victim",
    [
        ("il mio compagno mi picchia", "io"),
        ("mio figlio di 12 anni", "minore"),
        ("hanno truffato mia nonna", "anziano"),
        ("mia sorella subisce violenza", "altra_persona"),
        ("sono disabile e mi derubano", "disabile"),
    ],
)
def test_classify_victim(text, victim):
    assert triage.classify_victim(text) == victim


def test_every_plan_has_112():  # the routing table itself: tests/unit/test_routing.py, one test per row
    for plan in (triage.plan_for(c, v) for c in (None, "altro", "furto") for v in (None, "io")):
        assert triage.EMERGENCY in plan.numbers


def test_reply_shows_source_dates_and_unknown_phones(db_url):
    messages = triage.reply("006039", "violenza_domestica", "io")
    text = "\n".join(messages)
    assert "Centro Antiviolenza me.dea Casale Monferrato" in text
    assert "non lo conosco" in text and "1522" in text
    assert text.count("Fonte:") >= 2


def test_reply_without_comune_gives_national_lines(db_url):
    text = "\n".join(triage.reply(None, "violenza_domestica", "io"))
    assert "1522" in text and "112" in text and "Fonte" not in text


def test_every_number_of_every_plan_is_in_the_directory(db_url):
    from assistant.directory.nearest import directory

    for number in (
        triage.EMERGENCY,
        triage.ANTIVIOLENZA,
        triage.EMERGENZA_INFANZIA,
        triage.TELEFONO_AZZURRO,
        triage.UNAR,
        triage.ANTITRATTA,
        triage.RETE_DAFNE,
    ):
        assert directory().national(number), number


@pytest.mark.parametrize("text", ["io", "Io", "a me", "sono io"])
def test_short_answers_for_who(text):
    assert triage.classify_victim(text) == "io"


# -- what happened, who, gender, service: the patterns and the learned classifier together --------------
@pytest.mark.parametrize(
    "text,event",
    [
        ("il mio ex non mi lascia in pace e mi alza le mani", "violenza_domestica"),
        ("salve, mio marito mi umilia e mi tiene senza soldi", "violenza_domestica"),
        ("mio marito mi tratta male", "violenza_domestica"),
        ("mi ha picchiata di nuovo stanotte", "violenza_domestica"),
        ("mi hanno clonato la carta", "phishing"),
        ("sono entrati i ladri in casa", "furto"),
        ("mi hanno costretta ad avere rapporti", "violenza_sessuale"),
        ("il mio ex ha pubblicato le mie foto intime", "revenge_porn"),
        ("mi ricattano: se non pago mandano il mio video nudo ai miei amici", "sextortion"),
        ("il mio capo mi tocca e fa commenti sessuali in ufficio", "molestie_lavoro"),
        ("sono un pensionato e mio figlio mi ruba la pensione", "furto"),
        ("al bar mi hanno insultato perché sono nero", "discriminazione"),
    ],
)
def test_events_from_ordinary_stories(text, event):
    assert triage.classify_event(text) == event


def test_treated_badly_is_never_trafficking():
    assert triage.classify_event("mi tratta male il negoziante") != "tratta"
    assert triage.classify_event("vittima di tratta, mi hanno tolto il passaporto") == "tratta"


@pytest.mark.parametrize(
    "text",
    [
        "buongiorno",
        "quanto fa 2 più 2",
        "il codice rosso vale anche per lo stalking?",
        "uomini vittime di violenza domestica a chi si rivolgono?",
    ],
)
def test_no_event_in_greetings_sums_and_general_questions(text):
    assert triage.classify_event(text) is None


def test_a_story_not_in_the_patterns_is_learned():
    # no pattern matches these: the classifier trained on data/nlu answers
    plain = "il mio fidanzato mi sputa addosso e mi dice che non valgo niente"
    assert triage._first(triage._EVENTS, triage.normalise(plain)) is None
    assert triage.classify_event(plain) == "violenza_domestica"


@pytest.mark.parametrize(
    "text,victim",
    [
        ("sono un pensionato e mio figlio mi ruba la pensione", "anziano"),
        ("mio figlio di 40 anni mi picchia", "io"),
        ("mia figlia di 19 anni è stata drogata in discoteca", "altra_persona"),
        ("ho 15 anni e un ragazzo ha messo in giro le mie foto", "minore"),
        ("sono una signora di 80 anni e mi hanno truffata", "anziano"),
        ("sono in carrozzina e mi hanno derubato", "disabile"),
        ("la mia amica è stata violentata", "altra_persona"),
        ("mio marito mi picchia, ho paura per i bambini", "io"),
        ("come si chiede il patrocinio?", None),
    ],
)
def test_victims(text, victim):
    assert triage.classify_victim(text) == victim


@pytest.mark.parametrize(
    "text,victim,gender",
    [
        ("sono stata picchiata dal mio compagno", "io", "donna"),
        ("sono un uomo e mia moglie mi picchia", "io", "uomo"),
        ("mio marito mi picchia", "io", None),  # never from the offender
        ("mia moglie mi picchia", "io", None),
        ("mi ha chiusa in camera", "io", "donna"),
        ("mia sorella è stata picchiata dal marito", "altra_persona", "donna"),
        ("mio padre picchia mia madre", "altra_persona", "donna"),
        ("il mio migliore amico è stato aggredito", "altra_persona", "uomo"),
        ("ho 85 anni e vivo sola, mi hanno scippata", "anziano", "donna"),
    ],
)
def test_gender_only_when_said(text, victim, gender):
    assert triage.classify_gender(text, victim) == gender


@pytest.mark.parametrize(
    "text,service",
    [
        ("cerco un centro antiviolenza", "centro_antiviolenza"),
        ("servizi sociali a Novara?", "servizi_sociali"),
        ("c'è uno sportello per le vittime di reato ad Asti?", "sportello_vittime"),
        ("mi serve un avvocato", "avvocato"),
        ("dov'è la caserma dei carabinieri più vicina", "polizia"),
        ("come contatto la polizia postale", "polizia_postale"),
        ("l'avvocato d'ufficio lo devo pagare?", None),  # a question about lawyers, not a request for one
        ("ho paura ad andare dai carabinieri", None),
    ],
)
def test_requested_service(text, service):
    assert triage.classify_service(text) == service


def test_age_of_victim():
    assert triage.age_of_victim("mia figlia di 15 anni") == 15
    assert triage.age_of_victim("ho 13 anni") == 13
    assert triage.age_of_victim("mi picchia") is None


def test_training_labels_use_the_label_guide_values():
    pairs = triage.labelled_examples()
    assert {label for _, label in pairs["event"]} <= set(triage.EVENTS) | {"none"}
    assert {label for _, label in pairs["victim"]} <= set(triage.VICTIMS) | {"none"}
    assert len(pairs["event"]) > 500


@pytest.mark.parametrize(
    "text,event",
    [
        ("hanno dato fuoco al mio negozio stanotte", "altro"),
        ("un usuraio vuole il triplo dei soldi che mi ha prestato", "altro"),
        ("la mia amica è stata uccisa dal marito", "violenza_domestica"),
        ("mi ha chiamato uno dicendo di essere un tecnico della luce e mia madre gli ha dato i soldi", "truffa"),
        ("mi hanno fregato su internet con un finto annuncio", "phishing"),
        ("devo pagare altrimenti mandano il video a tutti i miei contatti", "sextortion"),
        ("a scuola i compagni di classe lo prendono in giro tutti i giorni", "bullismo"),
        ("mio marito mi picchia e poi accompagna i bambini a scuola", "violenza_domestica"),
        ("un gruppo di ragazzi ha insultato mio padre perché è marocchino", "discriminazione"),
        ("il direttore mi tocca quando siamo soli in magazzino", "molestie_lavoro"),
        ("ovunque vado lo trovo lì, al lavoro e sotto casa", "stalking"),
    ],
)
def test_more_kinds_of_story(text, event):
    assert triage.classify_event(text) == event


@pytest.mark.parametrize(
    "text,victim",
    [
        ("sono la mamma di un bambino di nove anni e a scuola lo picchiano", "minore"),  # age in words
        ("ho 12 anni e mio padre picchia mia madre", "altra_persona"),  # the relative is the victim
        ("sono un uomo di 45 anni e mia moglie mi picchia", "io"),  # the writer's age, adult
        ("un mio alunno, minorenne, è ricattato con delle foto", "minore"),
        ("voglio farla finita", "io"),
        ("c'è una legge contro la discriminazione dei disabili?", None),  # a general question
    ],
)
def test_more_victims(text, victim):
    assert triage.classify_victim(text) == victim


def test_understand_fills_every_triage_slot_a_message_tells():
    facts = triage.understand("sono stata picchiata dal mio ex, cerco un centro antiviolenza")
    assert facts == {
        "cosa_successo": "violenza_domestica",
        "chi_vittima": "io",
        "genere_vittima": "donna",
        "servizio_richiesto": "centro_antiviolenza",
        "eta_vittima": None,
    }
    assert triage.understand("mia figlia di 15 anni è ricattata con delle foto")["eta_vittima"] == 15
    assert set(triage.understand("ciao").values()) == {None}


@pytest.mark.parametrize(
    "text, event",
    [
        ("mio marito ieri sera mi ha dato un pugno in faccia", "violenza_domestica"),
        ("il mio compagno mi ha preso a calci", "violenza_domestica"),
        ("fuori dal bar un tizio mi ha dato un pugno", "aggressione"),
        ("mio fratello è stato aggredito da due sconosciuti", "aggressione"),
        ("il mio ex collega mi ha dato un pugno", "aggressione"),
    ],
)
def test_an_assault_by_a_partner_or_relative_is_domestic_violence(text, event):
    assert triage.classify_event(text) == event


@pytest.mark.parametrize(
    "text, story",
    [
        ("è per mia mamma, il suo compagno la tratta male", True),
        ("mio figlio ha 30 anni e la sua compagna lo picchia", True),
        ("ho bisogno di aiuto", False),
        ("che tempo fa domani?", False),
        ("il codice rosso vale anche per lo stalking?", False),
    ],
)
def test_tells_a_story(text, story):
    assert triage.tells_a_story(text) == story


@pytest.mark.parametrize(
    "text",
    [
        "mio figlio è stato picchiato e mi ha chiamato dal pronto soccorso",
        "mia figlia mi ha detto che un ragazzo l'ha picchiata",
        "mio padre mi ha chiamato, un tizio mi ha aggredito",
    ],
)
def test_a_relative_who_only_calls_or_tells_is_not_the_offender(text):
    assert not triage._KIN_HITS_ME.search(triage.normalise(text))
