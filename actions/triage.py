"""The triage form and the nearest-service reply: tracker/dispatcher glue around assistant.forms
(what each turn gets and sets is decided there)."""

from typing import Any, Dict, List, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.forms import send, slot_events, turn_of
from assistant import forms, triage
from assistant.directory import find_in_text

# the learned readers and the comune index are built at import (start-up), not on someone's first message
triage.warm()
find_in_text("abito a Torino")


class ValidateTriageForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_triage_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict]:
        turn = turn_of(tracker)
        if turn.intent in forms.LEFT_TO_RULES:
            return []  # no slot set: the form rejects the turn and the rules answer it
        said_before = len(dispatcher.messages)
        events = send(dispatcher, forms.before_form(turn))
        tracker.add_slots(events)  # what this turn said counts for which questions are asked
        events += await super().run(dispatcher, tracker, domain)
        set_slots = [(e.get("name"), e.get("value")) for e in events]
        after = forms.after_form(turn, set_slots, answered_otherwise=len(dispatcher.messages) > said_before)
        return events + send(dispatcher, after) + send(dispatcher, forms.opening(turn, tracker.slots))

    async def required_slots(self, domain_slots, dispatcher, tracker: Tracker, domain: DomainDict) -> List[Text]:
        return forms.required_slots(domain_slots, tracker.slots, turn_of(tracker))

    async def extract_pericolo(self, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict:
        return forms.extract_pericolo(turn_of(tracker))

    async def extract_cosa_successo(self, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict:
        return forms.extract_cosa_successo(turn_of(tracker))

    async def extract_chi_vittima(self, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict:
        return forms.extract_chi_vittima(turn_of(tracker))

    async def extract_comune(self, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict:
        return forms.extract_comune(turn_of(tracker))

    async def validate_pericolo(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict:
        return self._validated(dispatcher, forms.validate_pericolo(value, turn_of(tracker)))

    async def validate_comune(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict:
        return self._validated(dispatcher, forms.validate_comune(value, turn_of(tracker)))

    @staticmethod
    def _validated(dispatcher: CollectingDispatcher, outcome: forms.Outcome) -> Dict:
        send(dispatcher, outcome)
        return outcome.values()


class ActionNearestService(Action):
    def name(self) -> Text:
        return "action_nearest_service"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        for message in forms.result(tracker.current_slot_values()):
            dispatcher.utter_message(**message)
        return []


class ActionResetTriage(Action):
    """Clears the triage answers so that a new search starts from the first question."""

    def name(self) -> Text:
        return "action_reset_triage"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        return slot_events(forms.reset())
