"""The two server-side fixes of the pinned Rasa: prepared validation of action-server replies
(same verdicts and messages as jsonschema.validate) and no silent in-memory tracker store."""
import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.core.agent import Agent
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
from rasa.shared.core.domain import Domain

from assistant.channels import rasa_fixes

VALID = {"events": [{"event": "slot", "name": "comune", "value": "Torino", "timestamp": None},
                    {"event": "active_loop", "name": None}],
         "responses": [{"text": "Ecco a chi puoi rivolgerti", "buttons": []}]}
INVALID = [{"events": [{"event": 3}]}, {"events": "nope"}, {"responses": [1]}, {"events": [{"name": "x"}]},
           {"events": [{"event": "slot", "value": 1}]}]


def test_installed_in_the_server_process():
    # importing the channels package (what credentials.yml makes Rasa do) installs it
    assert RemoteAction._validate_action_result is rasa_fixes._validate_action_result


def test_valid_reply_passes():
    assert rasa_fixes._validate_action_result(None, VALID) is True


@pytest.mark.parametrize("reply", INVALID)
def test_invalid_reply_fails_exactly_like_jsonschema_validate(reply):
    with pytest.raises(jsonschema.ValidationError) as reference:
        jsonschema.validate(reply, RemoteAction.action_response_format_spec())
    with pytest.raises(jsonschema.ValidationError) as ours:
        rasa_fixes._validate_action_result(None, reply)
    assert ours.value.message.startswith(reference.value.message + ". Failed to validate Action server response")
    assert list(ours.value.absolute_path) == list(reference.value.absolute_path)


def test_agents_use_the_tracker_store_without_the_in_memory_fallback():
    primary = InMemoryTrackerStore(Domain.empty())
    agent = Agent(domain=Domain.empty(), tracker_store=primary)
    assert agent.tracker_store is primary and not isinstance(agent.tracker_store, FailSafeTrackerStore)
    assert isinstance(Agent(domain=Domain.empty()).tracker_store, InMemoryTrackerStore)  # none configured
