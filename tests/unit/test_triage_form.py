"""The forms' validation actions driven with rasa_sdk's own Tracker and CollectingDispatcher (no server):
each test is one user turn of an open form, built by hand, and checks what the person is told and which
slots are set."""

import asyncio
from typing import Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from assistant import content, knowledge, triage

TRIAGE_SLOTS = ("pericolo", "cosa_successo", "chi_vittima", "comune")


@pytest.fixture(scope="module")
def actions(db_url):
    """The action modules, imported once the directory database exists (they warm the comune index)."""
    from actions import handoff_validation, practical
    from actions import knowledge as knowledge_actions
    from actions import triage as triage_actions

    return {
        "triage": triage_actions,
        "handoff": handoff_validation,
        "knowledge": knowledge_actions,
        "practical": practical,
    }


@pytest.fixture(scope="module")
def domain():
    return content.domain()


def tracker(
    text: str,
    intent: str,
    requested: Optional[str] = "pericolo",
    entities: Optional[List[Dict]] = None,
    form: str = "triage_form",
    **slots,
) -> Tracker:
    message = {
        "text": text,
        "intent": {"name": intent, "confidence": 1.0},
        "entities": entities or [],
        "intent_ranking": [{"name": intent, "confidence": 1.0}],
    }
    values = {"requested_slot": requested, **slots}
    return Tracker(
        "test",
        values,
        message,
        [{"event": "user", "text": text, "parse_data": message}],
        False,
        None,
        {"name": form} if form else {},
        "action_listen",
    )


def turn(actions, domain, text, intent, requested="pericolo", **kwargs):
    """One turn of the triage form: (what was sent, the slots set as a dict, the events in order)."""
    dispatcher = CollectingDispatcher()
    form = actions["triage"].ValidateTriageForm()
    events = asyncio.run(form.run(dispatcher, tracker(text, intent, requested, **kwargs), domain))
    return dispatcher.messages, {e["name"]: e["value"] for e in events}, events


def responses(messages) -> List[Optional[str]]:
    return [m.get("response") for m in messages]


def texts(messages) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


# -- danger first -------------------------------------------------------------------------------------
@pytest.mark.parametrize("requested", TRIAGE_SLOTS)
def test_danger_at_any_question_gets_the_emergency_answer_first(actions, domain, requested):
    messages, slots, _ = turn(actions, domain, "mi sta picchiando adesso aiuto", "emergency", requested)
    assert responses(messages)[0] == "utter_emergency"
    assert responses(messages).count("utter_emergency") == 1  # never twice in one turn
    assert "utter_ask_rephrase" not in responses(messages)
    assert slots["pericolo"] == "si"


def test_self_harm_gets_its_own_answer(actions, domain):
    messages, slots, _ = turn(actions, domain, "voglio farla finita", "self_harm", "cosa_successo")
    assert responses(messages)[0] == "utter_self_harm" and slots["pericolo"] == "si"


def test_danger_on_activation_is_left_to_the_rule_that_already_answered(actions, domain):
    messages, slots, _ = turn(actions, domain, "mi sta picchiando adesso aiuto", "emergency", None)
    assert "utter_emergency" not in responses(messages)
    assert slots["pericolo"] == "si"


# -- answers, also with other words around them --------------------------------------------------------
@pytest.mark.parametrize(
    "text,intent,value,response",
    [
        ("no", "deny", "no", None),
        ("sì", "affirm", "si", "utter_emergency"),
        ("no, adesso sono al sicuro da mia sorella", "inform", "no", None),
        ("non lo so, a volte ho paura", "deny", "forse", "utter_danger_possible"),
    ],
)
def test_danger_answer_in_words(actions, domain, text, intent, value, response):
    messages, slots, _ = turn(actions, domain, text, intent, "pericolo")
    assert slots["pericolo"] == value
    assert responses(messages) == ([response] if response else [])
    assert slots["triage_domanda"] is None and slots["triage_ripetizioni"] == 0


def test_comune_inside_a_longer_answer(actions, domain):
    messages, slots, _ = turn(
        actions,
        domain,
        "abito a Bra da tre anni",
        "inform_comune",
        "comune",
        pericolo="no",
        cosa_successo="furto",
        chi_vittima="io",
    )
    assert slots["comune"] == "Bra" and slots["comune_istat"] and messages == []


def test_comune_said_while_another_question_is_open(actions, domain):
    messages, slots, _ = turn(
        actions, domain, "il mio compagno mi picchia, vivo a Chieri", "report_crime", "cosa_successo", pericolo="no"
    )
    assert slots["comune"] == "Chieri" and slots["comune_istat"]
    assert slots["cosa_successo"] == "violenza_domestica"
    assert responses(messages) == []


def test_comune_chosen_from_a_button(actions, domain):
    comune = triage.directory().comuni[next(iter(triage.directory().comuni))]
    entities = [{"entity": "comune", "value": comune.nome}]
    _, slots, _ = turn(
        actions,
        domain,
        f'/inform_comune{{"comune": "{comune.nome}"}}',
        "inform_comune",
        "comune",
        entities=entities,
        pericolo="no",
        cosa_successo="furto",
        chi_vittima="io",
    )
    assert slots["comune"] == comune.nome


def test_unknown_comune_asked_once_more_then_given_up(actions, domain):
    messages, slots, _ = turn(
        actions, domain, "Xyzzyville", "inform_comune", "comune", pericolo="no", cosa_successo="furto", chi_vittima="io"
    )
    assert 'Non ho trovato il comune "Xyzzyville"' in texts(messages)
    assert slots["comune"] is None and slots["comune_tentativi"] == 1
    messages, slots, _ = turn(
        actions,
        domain,
        "Xyzzyville",
        "inform_comune",
        "comune",
        pericolo="no",
        cosa_successo="furto",
        chi_vittima="io",
        comune_tentativi=1,
    )
    assert "Non riesco a trovare il comune" in texts(messages)
    assert slots["comune"] == "sconosciuto" and slots["comune_istat"] is None


# -- a message that is not an answer -------------------------------------------------------------------
def test_a_non_answer_is_asked_again_once_then_skipped(actions, domain):
    messages, slots, _ = turn(
        actions, domain, "che tempo fa domani", "out_of_scope", "chi_vittima", pericolo="no", cosa_successo="furto"
    )
    assert responses(messages) == ["utter_ask_rephrase"]
    assert slots == {"triage_domanda": "chi_vittima", "triage_ripetizioni": 2}
    messages, slots, _ = turn(
        actions,
        domain,
        "che tempo fa domani",
        "out_of_scope",
        "chi_vittima",
        pericolo="no",
        cosa_successo="furto",
        triage_domanda="chi_vittima",
        triage_ripetizioni=2,
    )
    assert responses(messages) == ["utter_question_skipped"]
    assert slots["chi_vittima"] == triage.SKIPPED
    assert slots["triage_domanda"] is None and slots["triage_ripetizioni"] == 0


def test_the_danger_question_skipped_has_its_own_words(actions, domain):
    messages, slots, _ = turn(
        actions,
        domain,
        "che tempo fa domani",
        "out_of_scope",
        "pericolo",
        triage_domanda="pericolo",
        triage_ripetizioni=2,
    )
    assert responses(messages) == ["utter_danger_skipped"] and slots["pericolo"] == triage.SKIPPED


def test_the_comune_skipped_clears_its_code(actions, domain):
    _, slots, _ = turn(
        actions,
        domain,
        "boh",
        "out_of_scope",
        "comune",
        pericolo="no",
        cosa_successo="furto",
        chi_vittima="io",
        triage_domanda="comune",
        triage_ripetizioni=2,
    )
    assert slots["comune"] == triage.SKIPPED and slots["comune_istat"] is None


def test_a_practical_question_is_answered_and_the_question_stays_open(actions, domain):
    messages, slots, _ = turn(
        actions,
        domain,
        "devo andare in ospedale?",
        "ask_practical",
        "chi_vittima",
        pericolo="no",
        cosa_successo="aggressione",
    )
    assert messages[0]["text"] and messages[0]["response"] is None  # the answer first
    assert responses(messages)[1:] == []  # no "non ho capito la risposta": the form asks its question again
    assert slots == {"triage_domanda": "chi_vittima", "triage_ripetizioni": 2}


def test_a_knowledge_question_is_answered_and_remembered(actions, domain):
    kb = knowledge.load()
    topic = next(iter(kb.topics.values()))
    messages, slots, _ = turn(
        actions, domain, "/" + topic.intent, topic.intent, "chi_vittima", pericolo="no", cosa_successo="furto"
    )
    assert messages[0]["text"] == kb.answer(topic)["text"] and slots["topic"] == topic.key


def test_thanks_during_the_triage(actions, domain):
    messages, slots, _ = turn(actions, domain, "grazie", "thank", "cosa_successo", pericolo="no")
    assert responses(messages) == ["utter_youre_welcome"]
    assert slots == {"triage_domanda": "cosa_successo", "triage_ripetizioni": 2}


@pytest.mark.parametrize(
    "requested,value",
    [
        ("cosa_successo", triage.SKIPPED),
        ("chi_vittima", triage.SKIPPED),
        ("comune", triage.SKIPPED),
        ("pericolo", "no"),
    ],
)
def test_no_to_a_question(actions, domain, requested, value):
    filled = {
        s: "no" if s == "pericolo" else "furto" if s == "cosa_successo" else "io"
        for s in TRIAGE_SLOTS[: TRIAGE_SLOTS.index(requested)]
    }
    _, slots, _ = turn(actions, domain, "no", "deny", requested, **filled)
    assert slots[requested] == value


@pytest.mark.parametrize("intent", ["stop", "ask_human", "exit_chat", "goodbye", "chitchat"])
def test_requests_left_to_the_rules(actions, domain, intent):
    messages, slots, events = turn(actions, domain, "basta", intent, "cosa_successo", pericolo="no")
    assert messages == [] and events == []


def test_gender_service_and_age_are_taken_from_any_turn(actions, domain):
    _, slots, _ = turn(
        actions,
        domain,
        "sono una ragazza di 16 anni e il mio ex mi perseguita, cerco un avvocato",
        "report_crime",
        "pericolo",
    )
    assert slots["genere_vittima"] == "donna" and slots["eta_vittima"] == 16
    assert slots["servizio_richiesto"] == "avvocato"


# -- the handoff form ----------------------------------------------------------------------------------
def handoff_turn(actions, domain, text, intent, **slots):
    dispatcher = CollectingDispatcher()
    form = actions["handoff"].ValidateHandoffForm()
    t = tracker(text, intent, "handoff_consent", form="handoff_form", **slots)
    events = asyncio.run(form.run(dispatcher, t, domain))
    return responses(dispatcher.messages), {e["name"]: e["value"] for e in events}


def test_handoff_consent_asked_twice_then_no_summary(actions, domain):
    said, slots = handoff_turn(actions, domain, "boh", "out_of_scope")
    assert said == ["utter_ask_rephrase_yes_no"] and slots == {
        "triage_domanda": "handoff_consent",
        "triage_ripetizioni": 2,
    }
    said, slots = handoff_turn(
        actions, domain, "boh", "out_of_scope", triage_domanda="handoff_consent", triage_ripetizioni=2
    )
    assert said == ["utter_handoff_consent_skipped"] and slots["handoff_consent"] is False


def test_handoff_danger_is_left_to_the_rules(actions, domain):
    assert handoff_turn(actions, domain, "mi picchia adesso", "emergency") == ([], {})


# -- the answer and the other actions ------------------------------------------------------------------
def run_action(action, t, domain):
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, t, domain)
    return dispatcher.messages, events


def test_nearest_service_offers_a_person_first_when_in_danger(actions, domain):
    slots = {
        "pericolo": "si",
        "cosa_successo": "violenza_domestica",
        "chi_vittima": "io",
        "comune": "Torino",
        "comune_istat": "001272",
    }
    messages, _ = run_action(actions["triage"].ActionNearestService(), tracker("", "affirm", None, **slots), domain)
    assert "Torino" in messages[0]["text"]
    assert messages[-1]["buttons"][0]["payload"] == "/ask_human"
    assert all(not m["buttons"] for m in messages[:-1])
    slots["pericolo"] = "no"
    messages, _ = run_action(actions["triage"].ActionNearestService(), tracker("", "affirm", None, **slots), domain)
    assert "/ask_human" not in [b["payload"] for b in messages[-1]["buttons"]]


def test_reset_clears_the_answers(actions, domain):
    _, events = run_action(actions["triage"].ActionResetTriage(), tracker("", "find_service", None), domain)
    cleared = {e["name"]: e["value"] for e in events}
    assert all(cleared[s] is None for s in TRIAGE_SLOTS + ("comune_istat", "genere_vittima", "eta_vittima"))
    assert cleared["comune_tentativi"] == 0 and cleared["triage_ripetizioni"] == 0


def test_knowledge_actions(actions, domain):
    kb = knowledge.load()
    topic = next(iter(kb.topics.values()))
    messages, events = run_action(actions["knowledge"].ActionKnowledge(), tracker("/x", topic.intent, None), domain)
    assert messages[0]["text"] == kb.answer(topic)["text"] and events == [
        {"event": "slot", "timestamp": None, "name": "topic", "value": topic.key}
    ]
    messages, events = run_action(actions["knowledge"].ActionKnowledge(), tracker("/x", "kb_nothing", None), domain)
    assert messages[0]["text"] == kb.menu()["text"] and events == []
    more = actions["knowledge"].ActionKnowledgeMore()
    messages, _ = run_action(more, tracker("/kb_more", "kb_more", None, topic=topic.key), domain)
    assert messages[0]["text"] == kb.more(topic)["text"]


def test_practical_action_declines_to_locate(actions, domain):
    messages, _ = run_action(
        actions["practical"].ActionPracticalAnswer(),
        tracker("dove si trova la casa rifugio di mia sorella?", "ask_location", None),
        domain,
    )
    assert messages[0]["text"]


# -- a service asked for by name, and the first reply to a story -----------------------------------------
def test_a_service_asked_by_name_with_its_comune_is_answered_at_once(actions, domain):
    messages, slots, _ = turn(
        actions, domain, "c'è un centro antiviolenza a Bra o lì vicino?", "find_service", requested=None
    )
    assert slots["servizio_richiesto"] == "centro_antiviolenza"
    assert slots["comune"] == "Bra"
    assert slots["requested_slot"] is None  # no question left: the services come next
    assert "pericolo" not in slots


def test_a_service_asked_by_name_without_a_comune_asks_only_the_comune(actions, domain):
    _, slots, _ = turn(actions, domain, "cerco i servizi sociali", "find_service", requested=None)
    assert slots["requested_slot"] == "comune"


def test_an_online_office_needs_no_comune(actions, domain):
    _, slots, _ = turn(actions, domain, "polizia postale", "find_service", requested=None)
    assert slots["servizio_richiesto"] == "polizia_postale"
    assert slots["requested_slot"] is None


@pytest.mark.parametrize(
    "text",
    ["cerco un centro antiviolenza a Asti, ho paura", "mi serve un centro antiviolenza subito, lui torna stasera"],
)
def test_a_service_asked_with_fear_or_urgency_keeps_the_danger_question(actions, domain, text):
    _, slots, _ = turn(actions, domain, text, "find_service", requested=None)
    assert "requested_slot" not in slots  # every question: Rasa asks the danger question first


def test_a_story_with_a_service_keeps_every_question(actions, domain):
    _, slots, _ = turn(
        actions, domain, "cerco un centro antiviolenza, mio marito mi picchia", "report_crime", requested=None
    )
    assert "requested_slot" not in slots  # every question: Rasa asks the next one, the danger question


@pytest.mark.parametrize(
    "text, numbers, absent",
    [
        ("ho 13 anni e a scuola dei ragazzi mi picchiano e mi prendono i soldi", ["114", "19696"], ["1522"]),
        ("mi hanno preso il passaporto e devo lavorare in strada per pagare il debito", ["800 290 290"], []),
        ("sono stata picchiata da mio marito ieri sera", ["1522"], ["114"]),
    ],
)
def test_the_first_reply_to_a_story_gives_the_fitting_helplines(actions, domain, text, numbers, absent):
    messages, slots, _ = turn(actions, domain, text, "report_crime", requested=None)
    said = texts(messages)
    assert "requested_slot" not in slots  # every question: the danger question comes after the lines
    for number in numbers:
        assert number in said
    for number in absent:
        assert number not in said


def test_no_helplines_before_an_emergency_or_a_later_question(actions, domain):
    messages, _, _ = turn(
        actions, domain, "ho 13 anni e mio padre mi sta picchiando adesso", "emergency", requested=None
    )
    assert "19696" not in texts(messages)  # the emergency answer was given by the rule; nothing in front of it
    messages, _, _ = turn(actions, domain, "ho 13 anni", "report_crime", requested="chi_vittima", pericolo="no")
    assert "19696" not in texts(messages)


def test_the_danger_question_answered_with_a_comune_goes_on(actions, domain):
    messages, slots, _ = turn(actions, domain, "Cuorgnè", "inform_comune", "pericolo", cosa_successo="truffa")
    assert slots["comune"] == "Cuorgnè" and slots["pericolo"] == triage.SKIPPED
    assert responses(messages) == ["utter_danger_skipped"]  # goes on, with the 112 line


def test_the_danger_question_answered_with_what_happened_is_asked_again(actions, domain):
    """What happened is no sign of calm ("lui mi controlla il telefono e non mi fa uscire")."""
    messages, slots, _ = turn(actions, domain, "lui mi controlla il telefono e non mi fa uscire", "report_crime")
    assert "pericolo" not in slots
    assert slots["triage_domanda"] == "pericolo" and slots["triage_ripetizioni"] == 2


def test_the_danger_question_answered_with_nothing_is_asked_again(actions, domain):
    messages, slots, _ = turn(actions, domain, "vedremo", "out_of_scope", "pericolo")
    assert "pericolo" not in slots
    assert slots["triage_domanda"] == "pericolo" and slots["triage_ripetizioni"] == 2
    assert responses(messages) == ["utter_ask_rephrase"]
