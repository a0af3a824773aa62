"""Knowledge answers: the text comes from content/knowledge.yml via assistant.knowledge."""
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from assistant import knowledge


class ActionKnowledge(Action):
    def name(self) -> Text:
        return "action_knowledge"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        kb = knowledge.load()
        topic = kb.topic_for_intent(tracker.get_intent_of_latest_message())
        if topic is None:
            dispatcher.utter_message(**kb.menu())
            return []
        dispatcher.utter_message(**kb.answer(topic))
        return [SlotSet("topic", topic.key)]


class ActionKnowledgeMore(Action):
    def name(self) -> Text:
        return "action_knowledge_more"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        kb = knowledge.load()
        topic = kb.topics.get(tracker.get_slot("topic") or "")
        dispatcher.utter_message(**(kb.more(topic) if topic else kb.menu()))
        return []
