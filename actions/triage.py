"""Triage form validation and the nearest-service reply (logic in assistant.triage / directory)."""
import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from assistant import knowledge, triage
from assistant.directory import AMBIGUOUS, FOUND, OUTSIDE, UNKNOWN, find_in_text, resolve

# Messages that are not an answer to the question asked (they are handled by rules instead).
NOT_AN_ANSWER = {"emergency", "stop", "help", "goodbye", "thank", "chitchat", "greet", "kb_more", "ask_human",
                 "exit_chat"}
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


class ValidateTriageForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_triage_form"

    async def extract_pericolo(self, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict:
        if tracker.get_slot("requested_slot") != "pericolo":
            return {}
        value = {"affirm": "si", "emergency": "si", "deny": "no", "skip_question": triage.SKIPPED}.get(_intent(tracker))
        if value:
            return {"pericolo": value}
        return self._rephrase(dispatcher, tracker, "pericolo")

    @staticmethod
    def _rephrase(dispatcher, tracker: Tracker, slot: str) -> Dict:
        """An answer to the question asked that we cannot use: say so; the form asks again."""
        if not _is_answer(tracker) or _intent(tracker).startswith("kb_"):
            return {}  # a question or a request of its own: the rules answer it
        dispatcher.utter_message(response="utter_ask_rephrase")
        return {slot: None}

    def _categorical(self, tracker: Tracker, slot: str, classify) -> Dict:
        requested = tracker.get_slot("requested_slot") == slot
        value = _entity(tracker, slot)
        if value is None and requested and _intent(tracker) == "skip_question":
            value = triage.SKIPPED
        if value is None and _intent(tracker) not in ("emergency", "stop"):
            found = classify(_text(tracker))
            # a description is an answer when it was asked for, even if it also sounds like a question
            if found and (requested or _is_answer(tracker)):
                value = found
        if value is None and requested and slot == "cosa_successo" and _is_answer(tracker) and _text(tracker):
            value = "altro"  # something we cannot classify: the generic route (Rete Dafne, social services)
        return {slot: value} if value else {}

    async def extract_cosa_successo(self, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict:
        return self._categorical(tracker, "cosa_successo", triage.classify_event)

    async def extract_chi_vittima(self, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict:
        found = self._categorical(tracker, "chi_vittima", triage.classify_victim)
        if not found and tracker.get_slot("requested_slot") == "chi_vittima":
            return self._rephrase(dispatcher, tracker, "chi_vittima")
        return found

    async def extract_comune(self, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict:
        requested = tracker.get_slot("requested_slot") == "comune"
        chosen = _entity(tracker, "comune")
        if chosen:
            return {"comune": chosen}
        if requested and _intent(tracker) == "skip_question":
            return {"comune": triage.SKIPPED}
        if not _is_answer(tracker) or not _text(tracker):
            return {}
        if requested:
            return {"comune": _text(tracker)}
        # Not asked: take a comune only when the message clearly names one ("abito a Bra"), or when
        # the whole (short) message is a place the classifier recognised as such.
        found = find_in_text(_text(tracker))
        if found:
            return {"comune": found.query}
        if _intent(tracker) == "inform_comune" and len(_text(tracker).split()) <= 4:
            return {"comune": _text(tracker)}
        return {}

    async def validate_pericolo(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> Dict:
        if value == "si":
            dispatcher.utter_message(response="utter_emergency")
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


class ActionNearestService(Action):
    def name(self) -> Text:
        return "action_nearest_service"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        messages = triage.reply(tracker.get_slot("comune_istat"), tracker.get_slot("cosa_successo"),
                                tracker.get_slot("chi_vittima"))
        plan = triage.plan_for(tracker.get_slot("cosa_successo"), tracker.get_slot("chi_vittima"))
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
                                                  "comune_istat")] + [SlotSet("comune_tentativi", 0)]
