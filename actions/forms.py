"""Glue between rasa_sdk and assistant.forms: the tracker read as a plain Turn, an Outcome sent."""

from typing import Any, Dict, List, Tuple

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from assistant.forms import Outcome, Turn


def turn_of(tracker: Tracker) -> Turn:
    """The latest message (nlu_fallback kept as such: rasa_sdk would give the second-best guess) and the slots."""
    entities: Dict[str, Any] = {}
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("role") is None and entity.get("group") is None:  # as tracker.get_latest_entity_values
            entities.setdefault(entity.get("entity"), entity.get("value"))
    return Turn(
        intent=tracker.get_intent_of_latest_message(skip_fallback_intent=False) or "",
        text=tracker.latest_message.get("text") or "",
        entities=entities,
        slots=dict(tracker.current_slot_values()),
    )


def slot_events(slots: List[Tuple[str, Any]]) -> List[Dict]:
    return [SlotSet(slot, value) for slot, value in slots]


def send(dispatcher: CollectingDispatcher, outcome: Outcome) -> List[Dict]:
    """Sends the outcome's messages; its slots as events."""
    for message in outcome.messages:
        dispatcher.utter_message(**message)
    return slot_events(outcome.slots)
