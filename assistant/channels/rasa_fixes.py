"""Two fixes of the pinned Rasa 3.6, installed in the Rasa server process (see __init__.py).

1. Action-server replies are checked with a prepared JSON-schema validator. Rasa checks every reply
   with ``jsonschema.validate``, which first checks the schema itself against the JSON-schema
   meta-schema: about 40 ms of CPU per action call, a third of the server's time under load
   (py-spy, `make bench`). The schema never changes, so it is checked once and the validator is
   reused: the same check, the same ``ValidationError`` with the same message, about 1 ms.

2. The tracker store is used without Rasa's in-memory fallback. Every Agent wraps its tracker store
   in a ``FailSafeTrackerStore`` that, when the database fails, silently starts a new empty
   conversation in memory: the person would get answers that ignore what they said (the danger
   question asked again, a form lost) and the turn would never be stored. Without it the turn fails
   visibly, the channel guard answers with 112/1522 and a retry hint, and the stored conversation
   goes on where it was once the database is back.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, Optional, Text


@lru_cache(maxsize=1)
def _validator() -> Any:
    from jsonschema import validators
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _validate_action_result(self: Any, result: Dict[Text, Any]) -> bool:
    from jsonschema.exceptions import best_match
    from rasa.shared.constants import DOCS_BASE_URL

    error = best_match(_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response from the "
        f"Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
    )
    raise error


def _create_tracker_store(store: Optional[Any], domain: Any) -> Any:
    """Agent._create_tracker_store without the FailSafeTrackerStore wrapper."""
    from rasa.core.tracker_store import InMemoryTrackerStore
    if store is None:
        return InMemoryTrackerStore(domain)
    store.domain = domain
    return store


def install() -> None:
    """Called when Rasa imports our channels, before it creates the Agent (and for every later one)."""
    from rasa.core.actions.action import RemoteAction
    from rasa.core.agent import Agent
    RemoteAction._validate_action_result = _validate_action_result
    Agent._create_tracker_store = staticmethod(_create_tracker_store)
