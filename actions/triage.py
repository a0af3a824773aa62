"""Triage form validation and the nearest-service reply (logic in assistant.triage / answers / directory).

Every user turn of an open triage passes through ``ValidateTriageForm.run``:
1. danger first: on `emergency`/`self_harm` the emergency answer is sent before anything else, and the
   danger question counts as answered "si";
2. a practical question, a location request, a knowledge question, thanks or help get their answer here,
   and the triage then goes on with its question;
3. whatever the message says (what happened, who, the comune) is taken, whichever question was asked;
4. a question is never asked more than twice in a row: after a second turn without an answer it is skipped.
Only `stop`, `ask_human`, `exit_chat`, `goodbye` and `chitchat` are left to the rules (the form rejects them).
"""
import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.practical import practical_message
from assistant import answers, knowledge, triage
from assistant.directory import AMBIGUOUS, FOUND, OUTSIDE, UNKNOWN, find_in_text, resolve

# the learned readers and the comune index are built at import (start-up), not on someone's first message
triage.understand("avvio")
find_in_text("abito a Torino")

DANGER = {"emergency", "self_harm"}
# Left to the rules: the form rejects the turn so that they run.
LEFT_TO_RULES = {"stop", "ask_human", "exit_chat", "goodbye", "chitchat"}
# Messages that are not an answer to the question asked.
NOT_AN_ANSWER = DANGER | LEFT_TO_RULES | {"help", "thank", "greet", "kb_more", "ask_practical", "ask_location",
                                          "other_language", "out_of_scope"}
MAX_ASKS = 2  # a question is asked at most twice in a row
MAX_COMUNE_ATTEMPTS = 2
OUTSIDE_PIEMONTE, UNKNOWN_COMUNE = "fuori_piemonte", "sconosciuto"


def _intent(tracker: Tracker) -> str:
    # nlu_fallback itself (rasa_sdk would return the second-best guess instead)
    return tracker.get_intent_of_latest_message(skip_fallback_intent=False) or ""


def _is_answer(tracker: Tracker) -> bool:
    intent = _intent(tracker)
    return intent not in NOT_AN_ANSWER and not intent.startswith("kb_")


def _entity(tracker: Tracker, name: str) -> Optional[str]:
    return next(tracker.get_latest_entity_values(name), None)


def _shown(text: str) -> str:
    """The person's words quoted back: short, without markup characters."""
    cleaned = re.sub(r"[<>{}\[\]\\`]", "", text or "").strip()
    return cleaned[:60] + ("…" if len(cleaned) > 60 else "")


def _text(tracker: Tracker) -> str:
    text = tracker.latest_message.get("text") or ""
    return "" if text.startswith("/") else text


def _side_answer(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict]:
    """The answer a turn gets before the triage goes on (danger first); the events it sets."""
    intent, requested = _intent(tracker), tracker.get_slot("requested_slot")
    if intent in DANGER:
        if requested is not None:  # on activation the rule has already given it
            dispatcher.utter_message(response="utter_self_harm" if intent == "self_harm" else "utter_emergency")
        return [SlotSet("pericolo", "si")]
    if intent in ("ask_practical", "ask_location"):
        dispatcher.utter_message(**practical_message(_text(tracker) or tracker.latest_message.get("text") or ""))
    elif intent.startswith("kb_") and intent != "kb_more":
        kb = knowledge.load()
        topic = kb.topic_for_intent(intent)
        if topic:
            dispatcher.utter_message(**kb.answer(topic))
            return [SlotSet("topic", topic.key)]
    elif intent == "kb_more":
        kb = knowledge.load()
        topic = kb.topics.get(tracker.get_slot("topic") or "")
        dispatcher.utter_message(**(kb.more(topic) if topic else kb.menu()))
    elif intent == "thank":
        dispatcher.utter_message(response="utter_youre_welcome")
    elif intent == "help":
        dispatcher.utter_message(response="utter_help")
    elif intent == "other_language":
        dispatcher.utter_message(response="utter_other_language")
    return []


EXTRA_SLOTS = ("genere_vittima", "servizio_richiesto", "eta_vittima")


def _said_anywhere(tracker: Tracker) -> List[Dict]:
    """The victim's gender (only when said), a service asked for by name and the age, from any turn."""
    found = triage.understand(_text(tracker)) if _text(tracker) else {}
    return [SlotSet(slot, found[slot]) for slot in EXTRA_SLOTS
            if found.get(slot) is not None and found[slot] != tracker.get_slot(slot)]


class ValidateTriageForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_triage_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict]:
        intent = _intent(tracker)
        if intent in LEFT_TO_RULES:
            return []  # no slot set: the form rejects the turn and the rules answer it
        events = _side_answer(dispatcher, tracker) + _said_anywhere(tracker)
        said_before = len(dispatcher.messages)
        events += await super().run(dispatcher, tracker, domain)
        return events + self._count_asks(dispatcher, tracker, events, len(dispatcher.messages) > said_before)

    @staticmethod
    def _count_asks(dispatcher: CollectingDispatcher, tracker: Tracker, events: List[Dict],
                    answered_otherwise: bool) -> List[Dict]:
        """A question asked twice in a row without an answer is skipped, never asked a third time."""
        requested = tracker.get_slot("requested_slot")
        if requested is None:
            return []
        if any(e.get("name") == requested and e.get("value") is not None for e in events):
            return [SlotSet("triage_domanda", None), SlotSet("triage_ripetizioni", 0)]
        asked = (tracker.get_slot("triage_ripetizioni") or 0) if tracker.get_slot("triage_domanda") == requested else 0
        asked = max(asked, 1) + 1  # the question was asked once already; now it would be asked again
        if asked > MAX_ASKS:
            dispatcher.utter_message(response="utter_danger_skipped" if requested == "pericolo"
                                     else "utter_question_skipped")
            skipped = [SlotSet(requested, triage.SKIPPED)]
            if requested == "comune":
                skipped.append(SlotSet("comune_istat", None))
            return skipped + [SlotSet("triage_domanda", None), SlotSet("triage_ripetizioni", 0)]
        if not answered_otherwise and _intent(tracker) not in DANGER:
            dispatcher.utter_message(response="utter_ask_rephrase")
        return [SlotSet("triage_domanda", requested), SlotSet("triage_ripetizioni", asked)]

    async def extract_pericolo(self, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict:
        intent = _intent(tracker)
        if intent in DANGER:
            return {"pericolo": "si"}
        if tracker.get_slot("requested_slot") != "pericolo":
            return {}
        value = None
        if intent not in NOT_AN_ANSWER:  # words first: "non lo so" is a possible danger, not a "no"
            value = answers.read_danger_answer(_text(tracker))
        if value is None:
            value = {"affirm": answers.YES, "deny": answers.NO, "skip_question": triage.SKIPPED}.get(intent)
        return {"pericolo": value} if value else {}

    def _categorical(self, tracker: Tracker, slot: str, classify) -> Dict:
        """What happened / who: taken from any turn that says it, whichever question was asked."""
        requested = tracker.get_slot("requested_slot") == slot
        intent = _intent(tracker)
        value = _entity(tracker, slot)
        if value is None and requested and intent in ("skip_question", "deny"):
            value = triage.SKIPPED  # "no" to an open question: the person prefers not to say
        if value is None:
            value = classify(_text(tracker))
        if value is None and requested and slot == "cosa_successo" and _is_answer(tracker) \
                and intent != "affirm" and _text(tracker):
            value = "altro"  # something we cannot classify: the generic route (Rete Dafne, social services)
        return {slot: value} if value else {}

    async def extract_cosa_successo(self, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict:
        return self._categorical(tracker, "cosa_successo", triage.classify_event)

    async def extract_chi_vittima(self, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict:
        return self._categorical(tracker, "chi_vittima", triage.classify_victim)

    async def extract_comune(self, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict:
        requested = tracker.get_slot("requested_slot") == "comune"
        chosen = _entity(tracker, "comune")
        if chosen:
            return {"comune": chosen}
        intent = _intent(tracker)
        if requested and intent in ("skip_question", "deny"):
            return {"comune": triage.SKIPPED}
        text = _text(tracker)
        if not text:
            return {}
        # a comune clearly named anywhere ("...lo trovo sotto casa, vivo a Chieri"), at any turn, also to correct one
        found = find_in_text(text)
        if found:
            return {"comune": found.query}
        if requested and _is_answer(tracker) and intent != "affirm":
            return {"comune": text}
        # Not asked: a short message the classifier recognised as a place
        if intent == "inform_comune" and len(text.split()) <= 4:
            return {"comune": text}
        return {}

    async def validate_pericolo(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> Dict:
        if value == answers.YES and _intent(tracker) not in DANGER:  # a danger message got the answer already
            dispatcher.utter_message(response="utter_emergency")
        elif value == answers.MAYBE:
            dispatcher.utter_message(response="utter_danger_possible")
        return {"pericolo": value}

    async def validate_comune(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> Dict:
        if not value:  # cleared by action_reset_triage: nothing to check
            return {"comune": None}
        if value in (triage.SKIPPED, OUTSIDE_PIEMONTE, UNKNOWN_COMUNE):
            if value == triage.SKIPPED:
                dispatcher.utter_message(text=triage.texts()["comune"]["skipped"])
            return {"comune": value, "comune_istat": None}
        t = triage.texts()["comune"]
        result = resolve(str(value))
        if result.status == UNKNOWN:  # "abito a Bra da tre anni": the place inside a longer answer
            result = find_in_text(str(value)) or result
        if result.status == FOUND:
            if result.via == "locality" and result.locality:  # which comune it belongs to is in no source
                dispatcher.utter_message(text=t["locality"].format(localita=result.locality.get("nome", result.query),
                                                                   comune=result.comune["nome"]))
            return {"comune": result.comune["nome"], "comune_istat": result.comune["istat"], "comune_tentativi": 0}
        if result.status == OUTSIDE:
            place = result.candidates[0]
            dispatcher.utter_message(text=t["outside"].format(nome=place["nome"], regione=result.region))
            return {"comune": OUTSIDE_PIEMONTE, "comune_istat": None}
        if result.status == AMBIGUOUS:
            buttons = [{"title": f"{c['nome']} ({c['provincia']})",
                        "payload": f'/inform_comune{{"comune": "{c["nome"]} {c["provincia"]}"}}'}
                       for c in result.candidates]
            dispatcher.utter_message(text=t["ambiguous"].format(query=_shown(result.query)), buttons=buttons)
            return {"comune": None}
        attempts = (tracker.get_slot("comune_tentativi") or 0) + 1
        if attempts >= MAX_COMUNE_ATTEMPTS:
            dispatcher.utter_message(text=t["unknown_final"])
            return {"comune": UNKNOWN_COMUNE, "comune_istat": None, "comune_tentativi": 0}
        dispatcher.utter_message(text=t["unknown"].format(query=_shown(result.query)))
        return {"comune": None, "comune_tentativi": attempts}


def _age(value: Any) -> Optional[int]:
    return int(value) if isinstance(value, (int, float)) else None


class ActionNearestService(Action):
    def name(self) -> Text:
        return "action_nearest_service"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        facts = (tracker.get_slot("cosa_successo"), tracker.get_slot("chi_vittima"), tracker.get_slot("genere_vittima"),
                 tracker.get_slot("servizio_richiesto"), _age(tracker.get_slot("eta_vittima")))
        messages = triage.reply(tracker.get_slot("comune_istat"), *facts)
        plan = triage.plan_for(*facts)
        kb = knowledge.load()
        buttons = [{"title": kb.topics[key].title, "payload": f"/{kb.topics[key].intent}"} for key in plan.topics]
        if tracker.get_slot("pericolo") == "si":  # high risk: offer a person straight away
            buttons.insert(0, {"title": triage.texts()["result"]["handoff_button"], "payload": "/ask_human"})
        for text in messages[:-1]:
            dispatcher.utter_message(text=text)
        dispatcher.utter_message(text=messages[-1], buttons=buttons)
        return []


class ActionResetTriage(Action):
    """Clears the triage answers so that a new search starts from the first question."""

    def name(self) -> Text:
        return "action_reset_triage"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        return [SlotSet(slot, None) for slot in ("pericolo", "cosa_successo", "chi_vittima", "comune",
                                                  "comune_istat", "triage_domanda", *EXTRA_SLOTS)] + \
            [SlotSet("comune_tentativi", 0), SlotSet("triage_ripetizioni", 0)]
