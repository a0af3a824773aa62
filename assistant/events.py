"""Walking a conversation's events backwards: one home for "what happened since the person last wrote".

Works on Rasa's event objects (``type_name``, as the tracker store returns them) and on their JSON form
(``{"event": "user", ...}``, as the HTTP API and rasa_sdk give them), without importing Rasa."""

from __future__ import annotations

from typing import Any, Iterable, Iterator, Optional


def kind(event: Any) -> Optional[str]:
    """ "user", "bot", "slot", ... for either form of an event."""
    return event.get("event") if isinstance(event, dict) else getattr(event, "type_name", None)


def since_last_user(events: Iterable[Any]) -> Iterator[Any]:
    """The events after the person's last message, newest first (all of them when the person never wrote)."""
    for event in reversed(list(events)):
        if kind(event) == "user":
            return
        yield event


def last_user(events: Iterable[Any]) -> Optional[Any]:
    """The person's last message event, or None."""
    return next((event for event in reversed(list(events)) if kind(event) == "user"), None)


def intent_name(event: Any) -> Optional[str]:
    """The intent of a user event (either form)."""
    parsed = event.get("parse_data", {}).get("intent") if isinstance(event, dict) else getattr(event, "intent", None)
    return (parsed or {}).get("name")
