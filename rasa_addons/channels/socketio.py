"""Socket.IO channel for the website widget.

Differences from Rasa's stock channel:

* the server, not the browser, chooses the conversation: at ``session_request`` a socket gets a new
  random id (144 bits) stored as ``web:<id>``, and a token ``<id>.<HMAC>`` signed with
  ``SV_SESSION_SECRET``. The widget may present that token again (after a reconnection, or from the
  tab's sessionStorage when the site opted in) to continue; anything else it sends — an unsigned or
  foreign token, a bare id, another channel's id — gets a fresh conversation. The conversation is
  bound to the socket on the server; the ids in later events are ignored;
* only the assistant's own origin(s) (``SV_PUBLIC_ORIGIN``) may open a socket from a browser;
* every message goes through the same input checks as the REST channel (length limit, control
  characters, empty messages), and malformed events are answered instead of crashing the handler;
* the socket joins a room named after the conversation, so that a reply pushed later by an operator
  (Rasa's ``output_channel=socketio``) reaches the open page.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import inspect
import logging
import secrets
import time
from typing import Any, Awaitable, Callable, Dict, Optional, Text, Tuple

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from socketio import AsyncServer

from assistant import settings
from assistant.text import clean_user_text
from rasa_addons.channels.guard import guarded

logger = logging.getLogger(__name__)
PREFIX = "web:"
ID_BYTES = 18  # 144 random bits
MAX_TOKEN_CHARS = 200
TOKEN_MAX_AGE = 24 * 3600  # seconds: a tab kept open longer starts a new conversation


def _mac(secret: str, session: str, issued: str) -> str:
    digest = hmac.new(secret.encode(), f"sportello-widget|{session}|{issued}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def issue(secret: str, now: Optional[float] = None) -> Tuple[str, str]:
    """A new conversation: (conversation id ``web:<id>``, signed token for the browser)."""
    session = secrets.token_urlsafe(ID_BYTES)
    issued = str(int(time.time() if now is None else now))
    return PREFIX + session, f"{session}.{issued}.{_mac(secret, session, issued)}"


def verify(secret: str, token: Any, now: Optional[float] = None) -> Optional[str]:
    """The conversation id of a token this server signed and that has not expired, else None."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS or token.count(".") != 2:
        return None
    session, issued, mac = token.split(".")
    if not session or not issued.isdigit() or not hmac.compare_digest(mac, _mac(secret, session, issued)):
        return None
    age = (time.time() if now is None else now) - int(issued)
    return PREFIX + session if -60 <= age <= TOKEN_MAX_AGE else None


async def _maybe_await(value: Any) -> None:
    if inspect.isawaitable(value):  # a coroutine in python-socketio >= 5.10
        await value


class SafeSocketIOInput(SocketIOInput):
    @classmethod
    def name(cls) -> Text:
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "SafeSocketIOInput":
        credentials = credentials or {}
        channel = cls(
            credentials.get("user_message_evt", "user_uttered"),
            credentials.get("bot_message_evt", "bot_uttered"),
            socketio_path=credentials.get("socketio_path", "/socket.io"),
        )
        channel.max_message_chars = credentials.get("max_message_chars") or settings.load().max_message_chars
        return channel

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        on_new_message = guarded(on_new_message)  # never silence
        widget = settings.load_widget()
        secret = widget.session_secret
        # A list of origins: a browser page of any other origin is refused (engine.io answers 400).
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=list(widget.public_origins))
        blueprint = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio
        max_chars = getattr(self, "max_message_chars", None) or settings.load().max_message_chars

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request):
            return response.json({"status": "ok"})

        @sio.on("session_request")
        async def session_request(sid: Text, data: Any = None) -> None:
            token = data.get("session_token") if isinstance(data, dict) else None
            conversation = verify(secret, token)
            renewed = conversation is None
            if renewed:
                conversation, token = issue(secret)
            saved = await sio.get_session(sid)
            if saved and saved.get("session_id") not in (None, conversation):
                await _maybe_await(sio.leave_room(sid, saved["session_id"]))
            await _maybe_await(sio.enter_room(sid, conversation))
            await sio.save_session(sid, {"session_id": conversation})
            # `renewed`: the token presented (if any) was not accepted, this is a new conversation
            await sio.emit("session_confirm", {"session_token": token, "renewed": renewed}, room=sid)

        @sio.on(self.user_message_evt)
        async def handle_message(sid: Text, data: Any = None) -> None:
            saved = await sio.get_session(sid)
            conversation = saved.get("session_id") if saved else None
            if conversation is None:
                await sio.emit("session_error", {"reason": "session_request first"}, room=sid)
                return
            raw = data.get("message") if isinstance(data, dict) else None
            text = clean_user_text(raw if isinstance(raw, str) else "", max_chars)
            message = UserMessage(
                text, SocketIOOutput(sio, self.bot_message_evt), conversation, input_channel=self.name(), metadata=None
            )
            await on_new_message(message)

        return blueprint
