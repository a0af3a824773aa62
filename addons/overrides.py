"""NLU component: rules that outrank the classifier, applied to every message.

1. Any sign of immediate danger becomes the `emergency` intent (assistant.safety).
2. Otherwise a message in another language becomes `other_language` (assistant.language).
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

from assistant.language import looks_foreign
from assistant.safety import is_immediate_danger

EMERGENCY_INTENT = "emergency"
OTHER_LANGUAGE_INTENT = "other_language"
OTHERS_CAP = 0.5


def override_for(text: Text) -> Optional[Text]:
    if is_immediate_danger(text):
        return EMERGENCY_INTENT
    if looks_foreign(text):
        return OTHER_LANGUAGE_INTENT
    return None


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class SafetyOverrides(GraphComponent):
    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "SafetyOverrides":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            intent = override_for(text) if text else None
            current = (message.get(INTENT) or {}).get("name")
            if intent is None or (intent == OTHER_LANGUAGE_INTENT and current == EMERGENCY_INTENT):
                continue
            top = {"name": intent, "confidence": 1.0}
            # the others are capped well below, so the FallbackClassifier never sees a tie
            ranking = [{**item, "confidence": min(item.get("confidence", 0.0), OTHERS_CAP)}
                       for item in message.get(INTENT_RANKING_KEY) or [] if item.get("name") != intent]
            message.set(INTENT, top, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [top] + ranking, add_to_output=True)
        return messages
