"""Conversation ids are built by the server, never chosen by a client.

The id under which a conversation is stored is the channel's prefix and the identity that the
channel itself verified: the Telegram chat of a signed update (``tg:<chat id>``), the WhatsApp
sender of a signed Twilio call (``wa:<From>``), the server-issued widget session (``web:<token>``)
or the sender a REST client chose (``rest:<sender>``). A client of one channel can therefore never
reach a conversation of another: whatever a REST client sends as ``sender`` stays under ``rest:``.

Output channels turn the stored id back into the channel's address only when the prefix is their
own, so an operator's reply cannot be sent to a channel the conversation did not come from.
"""

from __future__ import annotations

from typing import Optional

# Channel name (as Rasa knows it) -> prefix of the conversation ids it owns.
PREFIXES = {"telegram": "tg", "twilio": "wa", "socketio": "web", "rest": "rest"}


class ForeignConversation(ValueError):
    """A conversation id that does not belong to the channel asked to use it."""


def conversation_id(channel: str, identity: object) -> str:
    """The stored id of a channel's verified identity, e.g. ("telegram", 42) -> "tg:42"."""
    return f"{PREFIXES[channel]}:{identity}"


def channel_of(conversation: str) -> Optional[str]:
    """The channel that owns a stored id, or None for an id no channel built."""
    prefix = str(conversation).split(":", 1)[0]
    return next((name for name, p in PREFIXES.items() if p == prefix and ":" in str(conversation)), None)


def address(channel: str, conversation: str) -> str:
    """The channel's own address (chat id, phone, session) of a stored id; raises
    ForeignConversation when the id belongs to another channel."""
    prefix = PREFIXES[channel] + ":"
    if not str(conversation).startswith(prefix) or len(str(conversation)) == len(prefix):
        raise ForeignConversation(f"{channel} cannot send to this conversation")
    return str(conversation)[len(prefix) :]
