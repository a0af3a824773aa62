"""Knowledge answers: the text comes from content/knowledge.yml via assistant.knowledge."""

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.forms import turn_of
from assistant import forms, knowledge


class ActionKnowledge(Action):
    def name(self) -> Text:
        return "action_knowledge"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        message, topic = knowledge.answer_message(tracker.get_intent_of_latest_message(), forms.person(tracker.slots))
        dispatcher.utter_message(**message)
        return [SlotSet("topic", topic)] if topic else []


class ActionKnowledgeMore(Action):
    def name(self) -> Text:
        return "action_knowledge_more"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        dispatcher.utter_message(**knowledge.more_message(tracker.get_slot("topic")))
        return []


class ActionKnowledgeFollowup(Action):
    """ "e per una truffa invece?" after a knowledge answer: the same topic for that case."""

    def name(self) -> Text:
        return "action_knowledge_followup"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        dispatcher.utter_message(**forms.followup(turn_of(tracker)))
        return []
