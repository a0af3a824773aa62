"""Short answers to practical questions and the refusal to locate a person or a shelter
(texts in content/practical.yml, chosen by assistant.answers)."""

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from assistant import answers


class ActionPracticalAnswer(Action):
    def name(self) -> Text:
        return "action_practical_answer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        dispatcher.utter_message(**answers.practical_message(tracker.latest_message.get("text") or ""))
        return []
