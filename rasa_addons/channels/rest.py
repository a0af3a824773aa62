"""REST channel (tests, internal load, curl under `make run`) that answers any request kindly: bad
JSON or fields get a 400 with a reason, an empty or oversized message gets a reply from the bot
(never a 500 or silence).

Identity: the client chooses only its `sender`; the conversation is always `rest:<sender>` and the
input channel always `rest` (a client-sent `input_channel` is ignored), so REST can never reach a
Telegram, WhatsApp or widget conversation. When `SV_REST_TOKEN` is set (required in the deploy
files) every call needs `Authorization: Bearer <token>`. Limits: requests per client address and
messages per conversation (rasa_addons/channels/limits.py), `metadata` of at most
`SV_MAX_METADATA_BYTES`.
"""

from __future__ import annotations

import hmac
import json
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.exceptions import InvalidUsage
from sanic.request import Request

from assistant import identity, settings
from assistant.text import clean_user_text
from rasa_addons.channels import limits
from rasa_addons.channels.guard import guarded

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

    def __init__(
        self, max_message_chars: Optional[int] = None, protection: Optional[settings.Protection] = None
    ) -> None:
        self.max_message_chars = max_message_chars or settings.load().max_message_chars
        self.protection = protection or settings.protection()

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "SafeRestInput":
        credentials = credentials or {}
        return cls(credentials.get("max_message_chars"))

    def authorised(self, req: Request) -> bool:
        token = self.protection.rest_token
        if not token:
            return True  # make run: loopback only
        given = req.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())

    async def _extract_sender(self, req: Request) -> Optional[Text]:
        sender = _body(req).get("sender")
        if sender is None:
            raise InvalidUsage('Manca "sender": un identificativo della conversazione.')
        if (
            not isinstance(sender, (str, int))
            or isinstance(sender, bool)
            or not str(sender).strip()
            or len(str(sender)) > MAX_SENDER_CHARS
        ):
            raise InvalidUsage(f'"sender" deve essere un testo di 1-{MAX_SENDER_CHARS} caratteri.')
        return identity.conversation_id(self.name(), sender)

    def _extract_message(self, req: Request) -> Optional[Text]:
        message = _body(req).get("message")
        if message is not None and not isinstance(message, str):
            raise InvalidUsage('"message" deve essere un testo.')
        return clean_user_text(message or "", self.max_message_chars)

    def _extract_input_channel(self, req: Request) -> Text:
        return self.name()  # never the client's: the operator's reply goes where the id says

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        metadata = _body(request).get("metadata")
        if not isinstance(metadata, dict):
            return None
        size = len(json.dumps(metadata, ensure_ascii=False).encode("utf-8"))
        if size > self.protection.max_metadata_bytes:
            raise InvalidUsage(f'"metadata" troppo grande (massimo {self.protection.max_metadata_bytes} byte).')
        return metadata

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        on_new_message = guarded(on_new_message)  # never silence
        webhook = Blueprint("custom_webhook_SafeRestInput", __name__)
        limit = limits.shared()

        @webhook.route("/", methods=["GET"])
        async def health(_: Request):
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request):
            if not self.authorised(request):
                return response.json({"error": "token mancante o non valido"}, status=401)
            if not limit.address_allowed(request):
                return response.json({"error": limits.SLOW_DOWN}, status=429, headers={"Retry-After": "60"})
            sender = await self._extract_sender(request)
            text = self._extract_message(request)
            metadata = self.get_metadata(request)
            if not limit.conversation_allowed(sender)[0]:
                return response.json(
                    [{"recipient_id": sender, "text": limits.SLOW_DOWN}], status=429, headers={"Retry-After": "60"}
                )
            collector = CollectingOutputChannel()
            await on_new_message(UserMessage(text, collector, sender, input_channel=self.name(), metadata=metadata))
            return response.json(collector.messages)

        return webhook
