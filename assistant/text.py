"""Text normalisation shared by the safety check, comune resolution and triage."""
from __future__ import annotations

import re
import unicodedata


def normalise(text: str) -> str:
    """Lower case, no accents, apostrophes/hyphens/punctuation as spaces, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    plain = re.sub(r"[^\w\s]|_", " ", plain)
    return re.sub(r"\s+", " ", plain).strip()
