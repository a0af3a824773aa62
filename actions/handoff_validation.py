"""The handoff form's validation: glue around assistant.forms.handoff_consent_unanswered. Danger, stop and
the other requests are left to the rules (data/rules/handoff.yml), which answer them and come back to the form."""

from typing import Dict, List, Text

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.forms import send, turn_of
from assistant import forms


class ValidateHandoffForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_handoff_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict]:
        turn = turn_of(tracker)
        if turn.intent in forms.HANDOFF_LEFT_TO_RULES:
            return []
        unanswered = forms.handoff_consent_unanswered(turn)
        if unanswered is None:
            return await super().run(dispatcher, tracker, domain)
        return send(dispatcher, unanswered)
