"""Short answers to practical questions and the refusal to locate a person or a shelter
(texts in content/practical.yml, chosen by assistant.answers)."""
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from assistant import answers, knowledge


def practical_message(text: str) -> Dict:
    """The dispatcher-ready answer to a message the NLU marked as a practical question or a location request."""
    reply = answers.locate_request(text) or answers.practical_question(text) or answers.reply_by_key("cosa_fare")
    titles = {topic.intent: topic.title for topic in knowledge.load().topics.values()}
    return answers.as_message(reply, titles)


class ActionPracticalAnswer(Action):
    def name(self) -> Text:
        return "action_practical_answer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        dispatcher.utter_message(**practical_message(tracker.latest_message.get("text") or ""))
        return []
