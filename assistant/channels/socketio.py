"""Socket.IO channel for the website widget.

Differences from Rasa's stock channel: every message goes through the same input checks as the
REST channel (length limit, control characters, empty messages), malformed events are answered
instead of crashing the handler, and conversations are keyed by the widget's random per-page
session id (a room), so that a reply pushed later by an operator reaches the open page.
"""
from __future__ import annotations

import inspect
import logging
import uuid
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from sanic import Blueprint, response
from sanic.request import Request
from socketio import AsyncServer

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput

from assistant import settings
from assistant.channels.guard import guarded
from assistant.text import clean_user_text

logger = logging.getLogger(__name__)
MAX_SESSION_ID_CHARS = 128


def _session_id(data: Any) -> Optional[str]:
    value = data.get("session_id") if isinstance(data, dict) else None
    if isinstance(value, str) and 0 < len(value) <= MAX_SESSION_ID_CHARS:
        return value
    return None


class SafeSocketIOInput(SocketIOInput):
    @classmethod
    def name(cls) -> Text:
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "SafeSocketIOInput":
        credentials = credentials or {}
        channel = cls(credentials.get("user_message_evt", "user_uttered"),
                      credentials.get("bot_message_evt", "bot_uttered"),
                      socketio_path=credentials.get("socketio_path", "/socket.io"))
        channel.max_message_chars = credentials.get("max_message_chars") or settings.load().max_message_chars
        return channel

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        on_new_message = guarded(on_new_message)  # never silence
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=[])
        blueprint = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio
        max_chars = getattr(self, "max_message_chars", None) or settings.load().max_message_chars

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request):
            return response.json({"status": "ok"})

        @sio.on("session_request")
        async def session_request(sid: Text, data: Any) -> None:
            session = _session_id(data) or uuid.uuid4().hex
            joined = sio.enter_room(sid, session)
            if inspect.isawaitable(joined):  # a coroutine in python-socketio >= 5.10
                await joined
            await sio.save_session(sid, {"session_id": session})
            await sio.emit("session_confirm", session, room=sid)

        @sio.on(self.user_message_evt)
        async def handle_message(sid: Text, data: Any) -> None:
            saved = await sio.get_session(sid)
            session = saved.get("session_id") if saved else None
            if session is None or (_session_id(data) and _session_id(data) != session):
                await sio.emit("session_error", {"reason": "session_request first"}, room=sid)
                return
            raw = data.get("message") if isinstance(data, dict) else None
            text = clean_user_text(raw if isinstance(raw, str) else "", max_chars)
            message = UserMessage(text, SocketIOOutput(sio, self.bot_message_evt), session,
                                  input_channel=self.name(), metadata=None)
            await on_new_message(message)

        return blueprint
