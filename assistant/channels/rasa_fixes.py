"""Fixes of the pinned Rasa 3.6, installed in the Rasa server process (see __init__.py).

1. Action-server replies are checked with a prepared JSON-schema validator. Rasa checks every reply
   with ``jsonschema.validate``, which first checks the schema itself against the JSON-schema
   meta-schema each time (what that cost under load: docs/benchmarks.md, "Speed-ups found by
   profiling"). The schema never changes, so it is checked once and the validator is reused: the
   same check, the same ``ValidationError`` with the same message.

2. The tracker store is used without Rasa's in-memory fallback. Every Agent wraps its tracker store
   in a ``FailSafeTrackerStore`` that, when the database fails, silently starts a new empty
   conversation in memory: the person would get answers that ignore what they said (the danger
   question asked again, a form lost) and the turn would never be stored. Without it the turn fails
   visibly, the channel guard answers with 112/1522 and a retry hint, and the stored conversation
   goes on where it was once the database is back.

3. The HTTP API never runs open. ``rasa run --enable-api`` without ``--auth-token`` (or a JWT secret)
   serves every conversation's tracker to anyone who reaches the port; the server now refuses to
   start that way, whatever launched it (scripts/run.py, the Dockerfile, the Helm chart).

4. Conversation ids in HTTP API paths are percent-decoded. Sanic passes ``<conversation_id:path>``
   as sent, so ``/conversations/tg%3A42/tracker`` read an empty conversation "tg%3A42" instead of
   "tg:42": every id is prefixed by its channel (identity.py) and clients (the console) quote it.
"""
from __future__ import annotations

import sys
import urllib.parse
from functools import lru_cache
from typing import Any, Dict, Optional, Sequence, Text


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


def _option_value(argv: Sequence[str], *names: str) -> Optional[str]:
    for i, arg in enumerate(argv):
        for name in names:
            if arg == name and i + 1 < len(argv):
                return argv[i + 1]
            if arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    return None


def require_api_token(argv: Sequence[str]) -> None:
    """Stops a `rasa run --enable-api` that has no token (nor JWT secret)."""
    if "run" not in argv or "--enable-api" not in argv:
        return
    if (_option_value(argv, "--auth-token", "-t") or "").strip() or _option_value(argv, "--jwt-secret"):
        return
    raise SystemExit("refusing to start: --enable-api needs --auth-token (set SV_API_TOKEN); "
                     "an open HTTP API would expose every conversation")


async def _decode_conversation_id(request: Any) -> None:
    match = request.match_info
    if "%" in str(match.get("conversation_id", "")):
        match["conversation_id"] = urllib.parse.unquote(match["conversation_id"])


def _decoding(create_app: Any) -> Any:
    if getattr(create_app, "decodes_conversation_ids", False):
        return create_app

    def create(*args: Any, **kwargs: Any) -> Any:
        app = create_app(*args, **kwargs)
        app.register_middleware(_decode_conversation_id, "request")
        return app
    create.decodes_conversation_ids = True
    return create


def install() -> None:
    """Called when Rasa imports our channels, before it creates the Agent (and for every later one)."""
    import rasa.server
    require_api_token(sys.argv)
    rasa.server.create_app = _decoding(rasa.server.create_app)
    from rasa.core.actions.action import RemoteAction
    from rasa.core.agent import Agent
    RemoteAction._validate_action_result = _validate_action_result
    Agent._create_tracker_store = staticmethod(_create_tracker_store)
