"""NLU component: rules that outrank the classifier, applied to every message before any action runs
(so before any slot is filled and any form validated), in every state of the dialogue.

1. Any sign of immediate danger becomes `emergency`, or `self_harm` for suicide and self-harm
   (assistant.safety).
2. A request to locate a person or a shelter becomes `ask_location` (always declined).
3. A practical question such as "devo andare in ospedale?" becomes `ask_practical` (assistant.answers).
4. A short follow-up that names another case ("e per una truffa invece?", "e se sono minorenne?") becomes
   `ask_followup` (assistant.triage.followup_case): the last topic, answered for that case.
5. Otherwise a message in another language becomes `other_language` (assistant.language).
6. A story the classifier calls `report_crime` that asks a question about the law ("mio marito mi minaccia,
   si può farlo allontanare da casa?") becomes that knowledge topic (assistant.legal_question); so does a
   question the classifier is too unsure of (it would get "non ho capito"), or a practical question that one
   topic answers fully, when the second opinion is confident enough. A message the classifier is too unsure
   of that tells a story in words the triage's patterns know becomes `report_crime`.
It runs after DIET and before the FallbackClassifier, so neither can fall into nlu_fallback.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from assistant import intents, legal_question, triage
from assistant.answers import asks_to_erase, locate_request, practical_question
from assistant.language import looks_foreign
from assistant.safety import SELF_HARM, assess
from assistant.triage import followup_case, tells_a_story

EMERGENCY_INTENT = "emergency"
SELF_HARM_INTENT = "self_harm"
LOCATION_INTENT = "ask_location"
PRACTICAL_INTENT = "ask_practical"
OTHER_LANGUAGE_INTENT = "other_language"
DANGER_INTENTS = (EMERGENCY_INTENT, SELF_HARM_INTENT)
OTHERS_CAP = 0.5


def override_for(text: Text) -> Optional[Text]:
    if text.startswith("/"):
        return None  # a button's payload says exactly what it means
    danger = assess(text)
    if danger:
        return SELF_HARM_INTENT if danger.kind == SELF_HARM else EMERGENCY_INTENT
    if locate_request(text):
        return LOCATION_INTENT
    if practical_question(text):
        # a question one topic answers fully goes to that topic ("l'avvocato d'ufficio lo devo pagare io?")
        return legal_question.topic_asked(text, legal_question.SURE_THRESHOLD) or PRACTICAL_INTENT
    if followup_case(text):
        return intents.FOLLOWUP
    if looks_foreign(text):
        return OTHER_LANGUAGE_INTENT
    return None


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class SafetyOverrides(GraphComponent):
    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "SafetyOverrides":
        # the learned models train here, at load time (a few seconds), rather than
        # blocking the server's event loop on the first message that needs them
        from assistant import danger_model

        danger_model.warm()
        legal_question.warm()
        triage.warm()  # the triage's readers: tells_a_story and legal_question read what happened
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            intent = override_for(text) if text else None
            current = (message.get(INTENT) or {}).get("name")
            if intent is None and text and not text.startswith("/"):
                if current == legal_question.STORY:
                    intent = legal_question.topic_asked(text)
                elif legal_question.would_fall_back(message.get(INTENT_RANKING_KEY) or []):
                    intent = legal_question.topic_asked(text, legal_question.UNSURE_THRESHOLD)
                    if intent is None and tells_a_story(text):  # "è per mia mamma, il compagno la tratta male"
                        intent = legal_question.STORY
            demoted = DANGER_INTENTS if current in DANGER_INTENTS else ()
            if current == intents.EXIT_CHAT and text and not asks_to_erase(text):
                demoted = (intents.EXIT_CHAT,)  # erasing cannot be undone: only on a word that asks for it
            if intent is None and demoted and text and not text.startswith("/"):
                # danger is decided by assistant.safety alone (measured on the independent set): the
                # classifier's guess of danger gives way to its next guess ("non sono in pericolo adesso")
                ranking = [item for item in message.get(INTENT_RANKING_KEY) or [] if item.get("name") not in demoted]
                if ranking:
                    message.set(INTENT, ranking[0], add_to_output=True)
                    message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
                continue
            if intent is None or (intent == OTHER_LANGUAGE_INTENT and current in DANGER_INTENTS):
                continue
            top = {"name": intent, "confidence": 1.0}
            # the others are capped well below, so the FallbackClassifier never sees a tie
            ranking = [
                {**item, "confidence": min(item.get("confidence", 0.0), OTHERS_CAP)}
                for item in message.get(INTENT_RANKING_KEY) or []
                if item.get("name") != intent
            ]
            message.set(INTENT, top, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [top] + ranking, add_to_output=True)
        return messages
