"""Check action server replies with a prepared JSON-schema validator.

Rasa 3.6 checks every reply of the action server with ``jsonschema.validate``, which first checks
the schema itself against the JSON-schema meta-schema: about 40 ms of CPU per action call, measured
as a third of the Rasa server's time under load (py-spy, `make bench`). The schema never changes,
so it is checked once here and the prepared validator is reused: the same check, the same
``ValidationError`` with the same message, about 1 ms.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, Text


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


def install() -> None:
    from rasa.core.actions.action import RemoteAction
    RemoteAction._validate_action_result = _validate_action_result
