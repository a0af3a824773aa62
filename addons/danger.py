"""NLU component: a message showing immediate danger is classified as `emergency`, always.

The rule itself lives in :mod:`assistant.safety`; this adapter only applies it inside the pipeline,
after DIET and before the FallbackClassifier, so that a danger message can never fall into nlu_fallback.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from assistant.safety import is_immediate_danger

EMERGENCY_INTENT = "emergency"


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class DangerOverride(GraphComponent):
    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "DangerOverride":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text or not is_immediate_danger(text):
                continue
            top = {"name": EMERGENCY_INTENT, "confidence": 1.0}
            ranking = [
                item
                for item in message.get(INTENT_RANKING_KEY) or []
                if item.get("name") != EMERGENCY_INTENT
            ]
            message.set(INTENT, top, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [top] + ranking, add_to_output=True)
        return messages
