"""WhatsApp through Twilio, safe by default.

Subclass of Rasa's Twilio channel that:
- validates `X-Twilio-Signature` (HMAC of the public webhook URL and the form fields with the auth
  token): a forged call gets 403 and reaches no conversation;
- sends buttons as numbered options; a reply made of just that number is the button's payload
  (the options are read back from the tracker store, so this works across replicas);
- answers media-only or empty messages kindly instead of ignoring them;
- sends through a configurable Twilio REST API base URL with one shared aiohttp session;
- stores the conversation as `wa:<From>` (assistant/identity.py) and sends only to `wa:`
  conversations, drops replayed calls (same `MessageSid`, rasa_addons/channels/dedup.py), limits
  messages per conversation, and refuses to start without its public URL (`TWILIO_WEBHOOK_URL`:
  the signature covers it, and the URL a proxy passes on is not the one Twilio signed).
"""

from __future__ import annotations

import asyncio
import logging
import re
import urllib.parse
from typing import Any, Dict, List, Optional, Text, Union

import aiohttp
from rasa.core.channels.channel import OutputChannel
from rasa.core.channels.twilio import TwilioInput
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator

from assistant import events, identity, intents, settings
from assistant.text import clean_user_text
from rasa_addons.channels.webhook import Incoming, WebhookInput

logger = logging.getLogger(__name__)
DEFAULT_API_URL = "https://api.twilio.com"
MEDIA_MESSAGE = intents.payload(intents.MEDIA_MESSAGE)
EXIT_CHAT = intents.payload(intents.EXIT_CHAT)
EXIT_WORDS = {"esci", "stop chat", "cancella chat"}
OPTION_PROMPT = "Rispondi con il numero della scelta."
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def numbered(text: str, buttons: List[Dict[str, Any]]) -> str:
    options = "\n".join(f"{i}. {b.get('title', '')}" for i, b in enumerate(buttons, start=1))
    return f"{text}\n\n{options}\n{OPTION_PROMPT}"


def chosen_payload(text: str, buttons: List[Dict[str, Any]]) -> Optional[str]:
    """The payload of the option a reply like "2" (or "2." / " 2 ") picks, if any."""
    match = re.fullmatch(r"\s*(\d{1,2})\s*[.)]?\s*", text or "")
    if not match or not buttons:
        return None
    index = int(match.group(1)) - 1
    if 0 <= index < len(buttons):
        return str(buttons[index].get("payload") or buttons[index].get("title"))
    return None


class TwilioApi:
    def __init__(self, account_sid: str, auth_token: str, sender: str, api_url: str = DEFAULT_API_URL):
        self.account_sid, self.auth_token, self.sender = account_sid, auth_token, sender
        self.api_url = (api_url or DEFAULT_API_URL).rstrip("/")
        self._session: Optional[aiohttp.ClientSession] = None

    async def send(self, to: str, body: str) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=20), auth=aiohttp.BasicAuth(self.account_sid, self.auth_token)
            )
        url = f"{self.api_url}/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        try:
            async with self._session.post(url, data={"From": self.sender, "To": to, "Body": body}) as resp:
                if resp.status >= 300:
                    logger.error("twilio send failed: %s %s", resp.status, await resp.text())
        except (aiohttp.ClientError, asyncio.TimeoutError) as err:  # the conversation goes on; the reply is lost
            logger.error("twilio send failed: %s", err)


class WhatsAppOutput(OutputChannel):
    @classmethod
    def name(cls) -> Text:
        return "twilio"

    def __init__(self, api: TwilioApi) -> None:
        self.api = api

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self.api.send(identity.address("twilio", recipient_id), text)

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        await self.api.send(identity.address("twilio", recipient_id), numbered(text, buttons))


class SafeTwilioInput(WebhookInput, TwilioInput):
    @classmethod
    def name(cls) -> Text:
        return "twilio"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "SafeTwilioInput":
        credentials = credentials or {}
        return cls(
            credentials.get("account_sid"),
            credentials.get("auth_token"),
            credentials.get("twilio_number"),
            webhook_url=credentials.get("webhook_url"),
            api_url=credentials.get("api_url"),
        )

    def __init__(
        self,
        account_sid: Optional[Text],
        auth_token: Optional[Text],
        twilio_number: Optional[Text],
        webhook_url: Optional[Text] = None,
        api_url: Optional[Text] = None,
    ) -> None:
        super().__init__(account_sid, auth_token, twilio_number, debug_mode=False)
        self.webhook_url = webhook_url or ""
        self.api = TwilioApi(account_sid or "", auth_token or "", twilio_number or "", api_url or DEFAULT_API_URL)
        self.validator = RequestValidator(auth_token or "")
        self.max_message_chars = settings.load().max_message_chars
        if self.enabled and not self.webhook_url:
            raise SystemExit(
                "TWILIO_WEBHOOK_URL is required with the WhatsApp channel: the public https URL "
                "of /webhooks/twilio/webhook that Twilio calls (and signs)"
            )

    @property
    def enabled(self) -> bool:
        return bool(self.account_sid and self.auth_token and self.twilio_number)

    def get_output_channel(self) -> WhatsAppOutput:
        return WhatsAppOutput(self.api)

    @staticmethod
    def form(request: Request) -> Dict[str, str]:
        """The form fields, empty ones included (Twilio signs them too; Sanic's form drops them)."""
        return dict(urllib.parse.parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))

    def authorised(self, request: Request, form: Dict[str, str]) -> bool:
        signature = request.headers.get("X-Twilio-Signature", "")
        return bool(signature) and self.validator.validate(self.webhook_url, form, signature)

    async def _last_buttons(self, request: Request, sender: str) -> List[Dict[str, Any]]:
        agent = getattr(request.app.ctx, "agent", None)
        if agent is None or agent.tracker_store is None:
            return []
        tracker = await agent.tracker_store.retrieve(sender)
        return next(
            (
                event.data["buttons"]
                for event in events.since_last_user(tracker.events if tracker else [])
                if events.kind(event) == "bot" and (event.data or {}).get("buttons")
            ),
            [],
        )

    async def read(self, request: Request) -> Union[Incoming, HTTPResponse]:
        form = self.form(request)
        if not self.authorised(request, form):
            return response.json({"error": "forbidden"}, status=403)
        if not form.get("From"):
            return response.json({"error": "missing From"}, status=400)
        message_sid = form.get("MessageSid") or ""
        return Incoming(form["From"], f"wa:sid:{message_sid}" if message_sid else None, form)

    async def text_of(self, request: Request, incoming: Incoming, conversation: Text) -> Text:
        form = incoming.data
        body = form.get("Body") or ""
        media = (form.get("NumMedia") or "0").isdigit() and int(form.get("NumMedia") or 0) > 0
        if media and not body.strip():
            return MEDIA_MESSAGE
        if body.strip().lower().lstrip("/") in EXIT_WORDS:
            return EXIT_CHAT
        picked = chosen_payload(body, await self._last_buttons(request, conversation))
        return picked or clean_user_text(body.lstrip("/"), self.max_message_chars)

    def reply(self, outcome: str) -> HTTPResponse:
        # Replies go through the REST API; an empty TwiML answer tells Twilio nothing else is due.
        return response.text(EMPTY_TWIML, content_type="text/xml")
