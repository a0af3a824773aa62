"""Telegram channel that works on Rasa 3.6.21.

The stock channel answers every update with HTTP 500 ("Event loop is closed": it builds an aiogram
bot per update and calls getMe each time) and always talks to api.telegram.org. This subclass:
- checks the secret token Telegram sends in `X-Telegram-Bot-Api-Secret-Token` (set when the
  webhook is registered): a forged call gets 403 and reaches no conversation;
- makes no network call per update to verify the bot;
- talks to a configurable Bot API base URL with one shared aiohttp session;
- sends buttons as inline keyboards and turns button presses (callback queries) into messages;
- knows /start, /aiuto and /esci (ends the conversation and explains how to delete the chat);
- stores the conversation as `tg:<chat id>` (assistant/identity.py) and sends only to `tg:`
  conversations, answers private chats only (groups and channels are ignored), drops replayed
  updates (same `update_id`, rasa_addons/channels/dedup.py) and limits messages per conversation.

Register the webhook:  python -m rasa_addons.channels.telegram set-webhook --url https://HOST/webhooks/telegram/webhook
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import json
import logging
import sys
from typing import Any, Dict, List, Optional, Text, Union

import aiohttp
from rasa.core.channels.channel import OutputChannel
from rasa.core.channels.telegram import TelegramInput
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from assistant import identity, intents, settings
from assistant.text import EMPTY_MESSAGE, clean_user_text
from rasa_addons.channels.webhook import IGNORED, Incoming, WebhookInput

logger = logging.getLogger(__name__)
DEFAULT_API_URL = "https://api.telegram.org"
CALLBACK_DATA_MAX_BYTES = 64
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Commands of the bot and the message each one becomes for the assistant.
COMMANDS = intents.command_payloads()


def button_data(button: Dict[str, Any]) -> str:
    """What a button press sends back: its payload, or its title when the payload is too long for
    Telegram's 64-byte callback data (titles are written so that the assistant understands them)."""
    payload = str(button.get("payload") or button.get("title") or "")
    if len(payload.encode("utf-8")) <= CALLBACK_DATA_MAX_BYTES:
        return payload
    return str(button.get("title", ""))[:CALLBACK_DATA_MAX_BYTES]


class BotApi:
    """Minimal Telegram Bot API client over one aiohttp session."""

    def __init__(self, token: str, api_url: str = DEFAULT_API_URL):
        self.token = token
        self.api_url = (api_url or DEFAULT_API_URL).rstrip("/")
        self._session: Optional[aiohttp.ClientSession] = None

    async def call(self, method: str, payload: Dict[str, Any]) -> Dict[str, Any]:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20))
        url = f"{self.api_url}/bot{self.token}/{method}"
        try:
            async with self._session.post(url, json=payload) as resp:
                body = await resp.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as err:
            logger.error("telegram %s failed: %s", method, err)  # the conversation goes on
            return {"ok": False, "description": str(err)}
        if resp.status != 200 or not isinstance(body, dict) or not body.get("ok", False):
            logger.error("telegram %s failed: %s %s", method, resp.status, body)
            return body if isinstance(body, dict) else {"ok": False}
        return body


class TelegramBotOutput(OutputChannel):
    @classmethod
    def name(cls) -> Text:
        return "telegram"

    def __init__(self, api: BotApi) -> None:
        self.api = api

    @staticmethod
    def chat(recipient_id: Text) -> str:
        """The chat of a `tg:` conversation; any other id is refused (ForeignConversation)."""
        return identity.address("telegram", recipient_id)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        chat = self.chat(recipient_id)
        for part in text.strip().split("\n\n"):
            await self.api.call("sendMessage", {"chat_id": chat, "text": part})

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        keyboard = [[{"text": str(b.get("title", ""))[:64], "callback_data": button_data(b)}] for b in buttons]
        await self.api.call(
            "sendMessage",
            {"chat_id": self.chat(recipient_id), "text": text, "reply_markup": {"inline_keyboard": keyboard}},
        )

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        await self.api.call("sendPhoto", {"chat_id": self.chat(recipient_id), "photo": image})


def _private_chat(chat: Any) -> Optional[int]:
    """The id of a private chat (a person talking to the bot); None for groups, channels, forgeries."""
    if not isinstance(chat, dict) or chat.get("type") != "private":
        return None
    chat_id = chat.get("id")
    return chat_id if isinstance(chat_id, int) and not isinstance(chat_id, bool) else None


class SafeTelegramInput(WebhookInput, TelegramInput):
    @classmethod
    def name(cls) -> Text:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "SafeTelegramInput":
        credentials = credentials or {}
        return cls(
            credentials.get("access_token"),
            credentials.get("verify"),
            credentials.get("webhook_url"),
            secret_token=credentials.get("secret_token"),
            api_url=credentials.get("api_url"),
        )

    def __init__(
        self,
        access_token: Optional[Text],
        verify: Optional[Text],
        webhook_url: Optional[Text],
        secret_token: Optional[Text] = None,
        api_url: Optional[Text] = None,
    ) -> None:
        super().__init__(access_token, verify, webhook_url, debug_mode=False)
        self.secret_token = secret_token or ""
        self.api = BotApi(access_token or "", api_url or DEFAULT_API_URL)
        self.max_message_chars = settings.load().max_message_chars

    @property
    def enabled(self) -> bool:
        return bool(self.access_token and self.secret_token)

    def get_output_channel(self) -> TelegramBotOutput:
        return TelegramBotOutput(self.api)

    def authorised(self, request: Request) -> bool:
        given = request.headers.get(SECRET_HEADER, "")
        return bool(self.secret_token) and hmac.compare_digest(given.encode(), self.secret_token.encode())

    def to_message(self, update: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        """(chat id, text) of an update, or None for updates the assistant does not answer."""
        if not isinstance(update, dict):
            return None
        callback = update.get("callback_query")
        if isinstance(callback, dict):
            chat = _private_chat((callback.get("message") or {}).get("chat"))
            return {"chat": chat, "text": str(callback.get("data") or ""), "callback_id": callback.get("id")}
        message = update.get("message")
        if not isinstance(message, dict):
            return None  # edited messages, channel posts, ...: ignored
        chat = _private_chat(message.get("chat"))
        text = message.get("text")
        if not isinstance(text, str):
            text = ""  # a photo, a sticker, a voice note: answered as an empty message
        command = text.strip().split("@")[0].split(" ")[0].lower() if text.startswith("/") else ""
        if command in COMMANDS:
            text = COMMANDS[command]
        elif text.startswith("/"):
            text = text.lstrip("/")  # a user cannot trigger intents by typing "/intent"
        return {"chat": chat, "text": text, "callback_id": None}

    async def read(self, request: Request) -> Union[Incoming, HTTPResponse]:
        if not self.authorised(request):
            return response.json({"error": "forbidden"}, status=403)
        try:
            update = request.json
        except Exception:
            return response.json({"error": "invalid JSON"}, status=400)
        parsed = self.to_message(update)
        if not parsed or parsed["chat"] is None:
            return self.reply(IGNORED)
        update_id = update.get("update_id")
        return Incoming(parsed["chat"], f"tg:update:{update_id}" if isinstance(update_id, int) else None, parsed)

    async def accepted(self, incoming: Incoming) -> None:
        if incoming.data["callback_id"]:
            await self.api.call("answerCallbackQuery", {"callback_query_id": incoming.data["callback_id"]})

    async def text_of(self, request: Request, incoming: Incoming, conversation: Text) -> Text:
        parsed = incoming.data
        text = (
            parsed["text"]
            if parsed["callback_id"] or parsed["text"].startswith("/")
            else clean_user_text(parsed["text"], self.max_message_chars)
        )
        return text or EMPTY_MESSAGE

    def reply(self, outcome: str) -> HTTPResponse:
        return response.json({"status": outcome})


async def _set_webhook(token: str, api_url: str, url: str, secret: str) -> Dict[str, Any]:
    api = BotApi(token, api_url)
    try:
        return await api.call(
            "setWebhook",
            {
                "url": url,
                "secret_token": secret,
                "allowed_updates": ["message", "callback_query"],
                "drop_pending_updates": False,
            },
        )
    finally:
        if api._session:
            await api._session.close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rasa_addons.channels.telegram")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("set-webhook", help="register the webhook with the secret token")
    p.add_argument(
        "--url",
        default=settings.channels().telegram_webhook_url or None,
        help="public https URL of /webhooks/telegram/webhook",
    )
    args = parser.parse_args(argv)
    channels = settings.channels()
    token, secret = channels.telegram_token, channels.telegram_secret_token
    if not (token and secret and args.url):
        print("error: set TELEGRAM_TOKEN, TELEGRAM_SECRET_TOKEN and --url (or TELEGRAM_WEBHOOK_URL)", file=sys.stderr)
        return 2
    result = asyncio.run(_set_webhook(token, channels.telegram_api_url or DEFAULT_API_URL, args.url, secret))
    print(json.dumps(result, ensure_ascii=False))
    return 0 if result.get("ok") else 1


if __name__ == "__main__":
    sys.exit(main())
