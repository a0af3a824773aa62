"""The handoff questions never loop: a question asked twice without an answer is settled with the
safe choice (no summary sent) and the form goes on. Danger, stop and the other requests are left to
the rules (data/rules/handoff.yml), which answer them and come back to the form."""
from typing import Dict, List, Text

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.triage import DANGER, MAX_ASKS

LEFT_TO_RULES = DANGER | {"stop", "exit_chat", "ask_location", "ask_practical", "chitchat", "goodbye", "ask_human"}


class ValidateHandoffForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_handoff_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict]:
        intent = tracker.get_intent_of_latest_message(skip_fallback_intent=False) or ""
        requested = tracker.get_slot("requested_slot")
        if intent in LEFT_TO_RULES or requested != "handoff_consent" or tracker.get_slot("handoff_consent") is not None:
            return await super().run(dispatcher, tracker, domain) if intent not in LEFT_TO_RULES else []
        asked = (tracker.get_slot("triage_ripetizioni") or 0) if tracker.get_slot("triage_domanda") == requested else 0
        asked = max(asked, 1) + 1
        if asked > MAX_ASKS:  # asked twice: no summary is sent, the safe choice
            dispatcher.utter_message(response="utter_handoff_consent_skipped")
            return [SlotSet("handoff_consent", False), SlotSet("triage_domanda", None), SlotSet("triage_ripetizioni", 0)]
        dispatcher.utter_message(response="utter_ask_rephrase_yes_no")
        return [SlotSet("triage_domanda", requested), SlotSet("triage_ripetizioni", asked)]
