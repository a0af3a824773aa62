"""What the Telegram and WhatsApp (Twilio) channels share: a platform's webhook that

- answers 503 until the channel is configured (and says "disabled" on its health route);
- lets the subclass read the call and refuse it (403 without the platform's secret or signature,
  400 for a malformed call, "ignored" for what the assistant does not answer);
- drops replayed calls (the platform's update or message id, `dedup.py`);
- limits messages per conversation (`limits.py`), telling the person once when they are refused;
- hands the message to Rasa wrapped by the guard (`guard.py`: never silence).

A subclass says how to read a call (`read`), which text the assistant gets (`text_of`) and what
the platform is answered (`reply`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Optional, Text, Union

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from assistant import identity
from rasa_addons.channels import limits
from rasa_addons.channels.dedup import Dedup
from rasa_addons.channels.guard import guarded

IGNORED, LIMITED, OK = "ignored", "limited", "ok"  # what became of a call that was accepted


@dataclass
class Incoming:
    """An authentic call: who wrote (the platform's id), the key that tells a replay (None: no id,
    ignored) and what the subclass needs to make the text."""

    sender: Any
    replay_key: Optional[str]
    data: Any = None


class WebhookInput(InputChannel):
    @property
    def enabled(self) -> bool:
        raise NotImplementedError

    async def read(self, request: Request) -> Union[Incoming, HTTPResponse]:
        """The call, or the answer that refuses or ignores it."""
        raise NotImplementedError

    async def accepted(self, incoming: Incoming) -> None:
        """Called once for each new call that is not a replay (before the per-conversation limit)."""

    async def text_of(self, request: Request, incoming: Incoming, conversation: Text) -> Text:
        raise NotImplementedError

    def reply(self, outcome: str) -> HTTPResponse:
        """What the platform is answered for a call that was accepted: IGNORED, LIMITED or OK."""
        raise NotImplementedError

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        on_new_message = guarded(on_new_message)  # never silence
        webhook = Blueprint(f"{self.name()}_webhook", __name__)
        out_channel = self.get_output_channel()
        dedup = Dedup.from_settings()
        limit = limits.shared()

        @webhook.route("/", methods=["GET"])
        async def health(_: Request):
            return response.json({"status": "ok" if self.enabled else "disabled"})

        @webhook.route("/webhook", methods=["POST"])
        async def message(request: Request):
            if not self.enabled:
                return response.json({"error": f"{self.name()} channel not configured"}, status=503)
            incoming = await self.read(request)
            if isinstance(incoming, HTTPResponse):
                return incoming
            if not incoming.replay_key or not await dedup.first_time(incoming.replay_key):
                return self.reply(IGNORED)  # a replay (or no id to tell one): answered once
            await self.accepted(incoming)
            conversation = identity.conversation_id(self.name(), incoming.sender)
            allowed, tell = limit.conversation_allowed(conversation)
            if not allowed:
                if tell:
                    await out_channel.send_text_message(conversation, limits.SLOW_DOWN)
                return self.reply(LIMITED)  # 200: the platform must not retry it
            text = await self.text_of(request, incoming, conversation)
            await on_new_message(UserMessage(text, out_channel, conversation, input_channel=self.name(), metadata=None))
            return self.reply(OK)

        return webhook
