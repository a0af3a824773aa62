"""The console's client of Rasa's HTTP API (async, aiohttp): a conversation's transcript, resuming
the assistant after a handoff, and an operator's message to the person through their channel.

Rasa's HTTP API needs its token (SV_API_TOKEN), passed as the `token` query parameter."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any, Dict, List, Optional

import aiohttp
from yarl import URL

TIMEOUT = aiohttp.ClientTimeout(total=30)


def path_id(conversation_id: str) -> str:
    # Sanic does not decode path parameters: the channel prefix (web:, tg:, wa:) must stay as it is.
    return urllib.parse.quote(conversation_id, safe=":+")


class RasaApi:
    """One short-lived HTTP session per call: operators' actions are rare, and a call then works from
    any event loop (the console's, or a script's ``asyncio.run``)."""

    def __init__(self, base_url: str, token: str):
        self.base_url, self.token = base_url.rstrip("/"), token

    async def _call(self, method: str, path: str, body: Any = None, query: Optional[Dict] = None) -> Any:
        params = {"token": self.token, **(query or {})}
        url = URL(f"{self.base_url}{path}?{urllib.parse.urlencode(params)}", encoded=True)  # the id stays as quoted
        async with aiohttp.ClientSession(timeout=TIMEOUT, raise_for_status=True) as session:
            async with session.request(method, url, json=body) as resp:
                return json.loads(await resp.read() or b"null")

    async def tracker(self, conversation_id: str) -> Dict:
        return await self._call(
            "GET", f"/conversations/{path_id(conversation_id)}/tracker", query={"include_events": "ALL"}
        )

    async def append_events(self, conversation_id: str, events: List[Dict]) -> None:
        await self._call("POST", f"/conversations/{path_id(conversation_id)}/tracker/events", events)

    async def resume(self, conversation_id: str) -> None:
        # `resume` alone leaves the bot waiting on the wrong step; `action_listen` makes it answer again.
        await self.append_events(conversation_id, [{"event": "resume"}, {"event": "action", "name": "action_listen"}])

    async def send(self, conversation_id: str, channel: str, message: str) -> None:
        """An operator's message, sent through the person's channel and kept in the transcript."""
        await self.append_events(conversation_id, [{"event": "slot", "name": "operator_message", "value": message}])
        await self._call(
            "POST",
            f"/conversations/{path_id(conversation_id)}/execute",
            {"name": "action_operator_message"},
            query={"output_channel": channel},
        )
