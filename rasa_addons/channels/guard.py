"""Never silence: after a message is handled, if the assistant said nothing (the action server is
down, the database failed, an action crashed) and the conversation is not paused for an operator,
send a short apology with 112 and 1522 and a hint to try again.

While an operator has the conversation (paused) no action runs, but a message that shows danger
(the NLU's `emergency` / `self_harm`) still gets the emergency answer at once from here.

The text is the domain response `utter_technical_problem`, read from the running model's domain
(a fixed Italian text is the last resort when even that is unavailable).

A database error reaches this guard: `rasa_fixes` removes Rasa's silent in-memory fallback, so the
turn fails and the person gets the apology with 112/1522 instead of answers that ignore what they said.
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import UserMessage

from assistant import events
from assistant.handoff.lifecycle import after_turn

logger = logging.getLogger(__name__)
RESPONSE = "utter_technical_problem"
DANGER_RESPONSES = {"emergency": "utter_emergency", "self_harm": "utter_self_harm"}
LAST_RESORT = (
    "Scusa, ho un problema tecnico e non riesco a rispondere. Riprova tra qualche minuto. "
    "Se sei in pericolo chiama subito il 112; per violenza e stalking il 1522."
)


def _agent() -> Optional[Any]:
    try:
        from sanic import Sanic

        for name in ("rasa_server", "rasa_core_no_api"):
            try:
                return Sanic.get_app(name).ctx.agent
            except Exception:
                continue
    except Exception:
        return None
    return None


def _text(agent: Any, response: str = RESPONSE) -> str:
    try:
        return agent.domain.responses[response][0]["text"].strip()
    except Exception:
        return LAST_RESORT


async def _answered_or_paused(agent: Any, message: UserMessage) -> bool:
    tracker = await agent.tracker_store.retrieve(message.sender_id)
    if tracker is None:
        return False
    if tracker.is_paused():  # an operator has the conversation: silence is expected, except for danger
        intent = (tracker.latest_message.intent or {}).get("name") if tracker.latest_message else None
        if intent in DANGER_RESPONSES:
            await message.output_channel.send_text_message(message.sender_id, _text(agent, DANGER_RESPONSES[intent]))
        return True
    return any(events.kind(event) == "bot" for event in events.since_last_user(tracker.events))


def guarded(on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Callable[[UserMessage], Awaitable[Any]]:
    async def handle(message: UserMessage) -> None:
        failed = False
        try:
            await on_new_message(message)
        except Exception:  # noqa: BLE001 - whatever broke, the person must get an answer
            logger.exception("message handling failed")
            failed = True
        if not failed and await after_turn(_agent(), message):
            return  # /esci, "cancella la conversazione": erased what was just stored, and said so
        if not failed and getattr(message.output_channel, "messages", None):
            return  # a collecting channel (REST) already holds the answer: no extra read
        agent = _agent()
        try:
            if not failed and agent is not None and await _answered_or_paused(agent, message):
                return
        except Exception:  # the tracker store itself may be down
            logger.exception("could not read the conversation after handling a message")
        if agent is None and not failed:
            return
        await message.output_channel.send_text_message(message.sender_id, _text(agent))

    return handle
