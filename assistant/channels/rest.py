"""REST channel that answers any request kindly: bad JSON or fields get a 400 with a reason,
an empty or oversized message gets a reply from the bot (never a 500 or silence)."""
from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, Optional, Text

from sanic import Blueprint
from sanic.exceptions import InvalidUsage
from sanic.request import Request

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput

from assistant.channels.guard import guarded

from assistant import settings
from assistant.text import clean_user_text

MAX_SENDER_CHARS = 128


def _body(req: Request) -> Dict[Text, Any]:
    try:
        body = req.json
    except Exception as exc:  # Sanic raises on a body that is not JSON
        raise InvalidUsage("Il corpo della richiesta deve essere JSON.") from exc
    if not isinstance(body, dict):
        raise InvalidUsage('Serve un oggetto JSON: {"sender": "...", "message": "..."}.')
    return body


class SafeRestInput(RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    def __init__(self, max_message_chars: Optional[int] = None) -> None:
        self.max_message_chars = max_message_chars or settings.load().max_message_chars

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "SafeRestInput":
        credentials = credentials or {}
        return cls(credentials.get("max_message_chars"))

    async def _extract_sender(self, req: Request) -> Optional[Text]:
        sender = _body(req).get("sender")
        if sender is None:
            raise InvalidUsage('Manca "sender": un identificativo della conversazione.')
        if not isinstance(sender, (str, int)) or isinstance(sender, bool) or not str(sender).strip() \
                or len(str(sender)) > MAX_SENDER_CHARS:
            raise InvalidUsage(f'"sender" deve essere un testo di 1-{MAX_SENDER_CHARS} caratteri.')
        return str(sender)

    def _extract_message(self, req: Request) -> Optional[Text]:
        message = _body(req).get("message")
        if message is not None and not isinstance(message, str):
            raise InvalidUsage('"message" deve essere un testo.')
        return clean_user_text(message or "", self.max_message_chars)

    def _extract_input_channel(self, req: Request) -> Text:
        channel = _body(req).get("input_channel")
        return channel if isinstance(channel, str) and channel else self.name()

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        metadata = _body(request).get("metadata")
        return metadata if isinstance(metadata, dict) else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        return super().blueprint(guarded(on_new_message))
