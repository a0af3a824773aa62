"""Text normalisation shared by the safety check, comune resolution and triage."""

from __future__ import annotations

import re
import unicodedata

from assistant import intents


def normalise(text: str) -> str:
    """Lower case, no accents, apostrophes/hyphens/punctuation as spaces, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    plain = re.sub(r"[^\w\s]|_", " ", plain)
    return re.sub(r"\s+", " ", plain).strip()


# What the channels send instead of a message that cannot be read as it is.
EMPTY_MESSAGE = intents.payload(intents.EMPTY_MESSAGE)
MESSAGE_TOO_LONG = intents.payload(intents.MESSAGE_TOO_LONG)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def clean_user_text(text: str, max_chars: int) -> str:
    """What the NLU should read of a user message: control and bidi characters removed,
    an empty message or one longer than `max_chars` replaced by the intent that answers it."""
    cleaned = _CONTROL.sub("", text or "").strip()
    if not cleaned:
        return EMPTY_MESSAGE
    if len(cleaned) > max_chars:
        return MESSAGE_TOO_LONG
    return cleaned
