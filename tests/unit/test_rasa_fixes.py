"""The server-side fixes of the pinned Rasa: prepared validation of action-server replies
(same verdicts and messages as jsonschema.validate), no silent in-memory tracker store, and the
check of the installed Rasa before any private method is patched."""

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.core.agent import Agent
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
from rasa.shared.core.domain import Domain

import rasa_addons.channels  # noqa: F401 - what credentials.yml makes Rasa import: installs the fixes
from rasa_addons import rasa_fixes

VALID = {
    "events": [
        {"event": "slot", "name": "comune", "value": "Torino", "timestamp": None},
        {"event": "active_loop", "name": None},
    ],
    "responses": [{"text": "Ecco a chi puoi rivolgerti", "buttons": []}],
}
INVALID = [
    {"events": [{"event": 3}]},
    {"events": "nope"},
    {"responses": [1]},
    {"events": [{"name": "x"}]},
    {"events": [{"event": "slot", "value": 1}]},
]


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


def test_the_installed_rasa_is_the_one_the_fixes_were_written_for():
    import rasa

    assert rasa.__version__ == rasa_fixes.WRITTEN_FOR
    rasa_fixes.check_rasa(rasa.__version__, rasa_fixes._patched())  # what install() checked: no error


def test_another_rasa_version_refuses_to_start():
    with pytest.raises(rasa_fixes.IncompatibleRasa, match=r"written for Rasa 3\.6\.21 and Rasa 3\.7\.0 is installed"):
        rasa_fixes.check_rasa("3.7.0", rasa_fixes._patched())


def test_a_missing_or_changed_private_method_refuses_to_start():
    class Changed:
        def _validate_action_result(self, response, strict):
            return True

    with pytest.raises(rasa_fixes.IncompatibleRasa, match=r"Changed\._create_tracker_store is missing"):
        rasa_fixes.check_rasa(rasa_fixes.WRITTEN_FOR, [(Changed, "_create_tracker_store", ("store", "domain"))])
    with pytest.raises(rasa_fixes.IncompatibleRasa, match=r"takes \('self', 'response'\), the fix expects"):
        rasa_fixes.check_rasa(rasa_fixes.WRITTEN_FOR, [(Changed, "_validate_action_result", ("self", "result"))])


def test_install_checks_before_patching(monkeypatch):
    import rasa

    monkeypatch.setattr(rasa, "__version__", "3.6.22")
    monkeypatch.setattr(RemoteAction, "_validate_action_result", "unpatched")
    with pytest.raises(rasa_fixes.IncompatibleRasa):
        rasa_fixes.install()
    assert RemoteAction._validate_action_result == "unpatched"  # nothing was patched
