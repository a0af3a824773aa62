"""Handoff to a person: texts from content/handoff.yml, records in assistant.handoff."""

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from assistant import identity
from assistant.handoff import content, service


class ActionHandoffExplain(Action):
    def name(self) -> Text:
        return "action_handoff_explain"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        dispatcher.utter_message(text=content.explain())
        return [SlotSet("handoff_consent", None), SlotSet("handoff_contact", None)]


class ActionHandoffCreate(Action):
    def name(self) -> Text:
        return "action_handoff_create"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        channel = identity.channel_of(tracker.sender_id) or tracker.get_latest_input_channel() or "rest"
        summary = service.summary_of(tracker.current_slot_values()) if tracker.get_slot("handoff_consent") else None
        record = service.create(tracker.sender_id, channel, summary, tracker.get_slot("handoff_contact"))
        dispatcher.utter_message(text=content.done(record, channel in service.PUSH_CHANNELS))
        return [ConversationPaused()]


class ActionOperatorMessage(Action):
    """Sends what an operator wrote in the console (slot operator_message) to the person."""

    def name(self) -> Text:
        return "action_operator_message"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        message = tracker.get_slot("operator_message")
        if message:
            dispatcher.utter_message(text=content.operator(message))
        return [SlotSet("operator_message", None)]
