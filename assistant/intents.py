"""Intents that the code itself names: the stand-ins the channels send instead of a message that cannot
be read as it is, the commands they translate, and the intents of the buttons the actions offer.
Each one must be in the domain (tests/unit/test_intents.py)."""

from __future__ import annotations

import json
from typing import Dict

# stand-ins sent by the channels
EMPTY_MESSAGE = "empty_message"  # nothing left to read (an empty message, only control characters)
MESSAGE_TOO_LONG = "message_too_long"  # longer than settings.MAX_MESSAGE_CHARS
MEDIA_MESSAGE = "media_message"  # a photo, a voice note... (WhatsApp)
EXIT_CHAT = "exit_chat"  # /esci, /stop, the widget's quick exit: erase the conversation
GREET = "greet"  # Telegram's /start
HELP = "help"  # Telegram's /aiuto, /help

# the intents of the buttons the actions offer
ASK_HUMAN = "ask_human"
FIND_SERVICE = "find_service"
INFORM_COMUNE = "inform_comune"
KB_MORE = "kb_more"

# set by the NLU component (rasa_addons/components/overrides.py)
FOLLOWUP = "ask_followup"  # "e per una truffa invece?": the last topic for another case
OVERRIDES = (FOLLOWUP,)

STAND_INS = (EMPTY_MESSAGE, MESSAGE_TOO_LONG, MEDIA_MESSAGE, EXIT_CHAT, GREET, HELP)
BUTTONS = (ASK_HUMAN, FIND_SERVICE, INFORM_COMUNE, KB_MORE)

# Telegram's commands and the intent each one sends
COMMANDS = {"/start": GREET, "/aiuto": HELP, "/help": HELP, "/esci": EXIT_CHAT, "/stop": EXIT_CHAT}


def payload(intent: str, **entities: str) -> str:
    """What a button or a channel sends for an intent: "/intent", or '/intent{"entity": "value"}'."""
    return f"/{intent}" + (json.dumps(entities, ensure_ascii=False) if entities else "")


def command_payloads() -> Dict[str, str]:
    """Telegram's commands as the payloads the channel sends ({"/start": "/greet", ...})."""
    return {command: payload(intent) for command, intent in COMMANDS.items()}
