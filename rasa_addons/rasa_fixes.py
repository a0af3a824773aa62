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
   start that way, whatever launched it (python -m assistant.serve, the Dockerfile, the Helm chart).

4. Conversation ids in HTTP API paths are percent-decoded. Sanic passes ``<conversation_id:path>``
   as sent, so ``/conversations/tg%3A42/tracker`` read an empty conversation "tg%3A42" instead of
   "tg:42": every id is prefixed by its channel (identity.py) and clients (the console) quote it.

Fixes 1, 2 and 4 replace private parts of Rasa: before patching, ``install`` checks that the installed
Rasa is the version they were written for and that every patched attribute is there with the
parameters the replacement expects; otherwise the server refuses to start (``IncompatibleRasa``)
rather than run with a fix that silently does not apply. After upgrading Rasa, re-read each fix
against the new source, then change ``WRITTEN_FOR``.
"""

from __future__ import annotations

import inspect
import sys
import urllib.parse
from functools import lru_cache, wraps
from typing import Any, Dict, List, Optional, Sequence, Text, Tuple

WRITTEN_FOR = "3.6.21"  # the Rasa version whose private methods these fixes replace


class IncompatibleRasa(RuntimeError):
    """The installed Rasa is not the one the fixes were written for: refuse to start."""


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
    raise SystemExit(
        "refusing to start: --enable-api needs --auth-token (set SV_API_TOKEN); "
        "an open HTTP API would expose every conversation"
    )


async def _decode_conversation_id(request: Any) -> None:
    match = request.match_info
    if "%" in str(match.get("conversation_id", "")):
        match["conversation_id"] = urllib.parse.unquote(match["conversation_id"])


def _decoding(create_app: Any) -> Any:
    if getattr(create_app, "decodes_conversation_ids", False):
        return create_app

    @wraps(create_app)  # the same signature, so a later install() checks Rasa's parameters
    def create(*args: Any, **kwargs: Any) -> Any:
        app = create_app(*args, **kwargs)
        app.register_middleware(_decode_conversation_id, "request")
        return app

    create.decodes_conversation_ids = True
    return create


def _patched() -> List[Tuple[Any, str, Tuple[str, ...]]]:
    """(owner, attribute, its leading parameters) of every part of Rasa that the fixes replace or use."""
    import rasa.server
    from rasa.core.actions.action import RemoteAction
    from rasa.core.agent import Agent

    return [
        (rasa.server, "create_app", ("agent",)),
        (RemoteAction, "_validate_action_result", ("self", "result")),
        (RemoteAction, "action_response_format_spec", ()),
        (Agent, "_create_tracker_store", ("store", "domain")),
    ]


def check_rasa(version: str, patched: Sequence[Tuple[Any, str, Tuple[str, ...]]]) -> None:
    """Raises IncompatibleRasa unless `version` is WRITTEN_FOR and each patched attribute exists
    and takes the parameters the replacement is written for."""
    if version != WRITTEN_FOR:
        raise IncompatibleRasa(
            f"rasa_addons.rasa_fixes was written for Rasa {WRITTEN_FOR} and Rasa {version} "
            "is installed: check each fix against the new Rasa (see the module's notes) "
            "before changing WRITTEN_FOR"
        )
    for owner, name, parameters in patched:
        prefix = owner.__name__ if inspect.ismodule(owner) else f"{owner.__module__}.{owner.__qualname__}"
        where = f"{prefix}.{name}"
        target = getattr(owner, name, None)
        if not callable(target):
            raise IncompatibleRasa(f"rasa_addons.rasa_fixes: {where} is missing in Rasa {version}")
        found = tuple(inspect.signature(target).parameters)[: len(parameters)]
        if found != parameters:
            raise IncompatibleRasa(f"rasa_addons.rasa_fixes: {where} takes {found}, the fix expects {parameters}")


def install() -> None:
    """Called when Rasa imports our channels, before it creates the Agent (and for every later one)."""
    import rasa
    import rasa.server
    from rasa.core.actions.action import RemoteAction
    from rasa.core.agent import Agent

    check_rasa(rasa.__version__, _patched())
    require_api_token(sys.argv)
    rasa.server.create_app = _decoding(rasa.server.create_app)
    RemoteAction._validate_action_result = _validate_action_result
    Agent._create_tracker_store = staticmethod(_create_tracker_store)
