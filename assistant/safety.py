"""Signs of immediate danger in a message, found without any model.

The NLU pipeline (``addons/overrides.py``) calls :func:`is_immediate_danger` on every message and turns a
match into the ``emergency`` intent, so that 112 is given on any turn even when the classifier is unsure.
The list errs on the side of answering with 112: a false alarm costs one extra line, a miss costs more.
"""
from __future__ import annotations

import re

from assistant.text import normalise

# Written on text that is lower-case, without accents and with apostrophes turned into spaces.
_DANGER_PATTERNS = [
    r"\b(e|sta|stanno|sono|c e) (qui )?(fuori|sotto casa|alla porta|davanti (a|al) (casa|portone))",
    r"\bqui fuori\b",
    r"\b(coltell\w*|pistol\w*|fucil\w*|lama|armat\w*|un arma|con l arma)\b",
    r"\b(mi|ci|la|lo|li|ti) (vuole|vogliono|sta per|stanno per|minaccia di|minacciano di) (uccid|ammazz|ammaz|sgozz|strangol|accoltell|sparar|bruciar)\w*",
    r"\b(uccidermi|ammazzarmi|ucciderci|ammazzarci|strangolarmi|accoltellarmi)\b",
    r"\b(mi|ci|la|lo|li) (sta|stanno) (picchiando|menando|colpendo|strangolando|soffocando|seguendo|inseguendo|aggredendo|minacciando)\b",
    r"\bsta (sfondando|rompendo|buttando giu) la porta\b",
    r"\bsfond\w* la porta\b",
    r"\b(sono|siamo|e|sei) in pericolo\b",
    r"\bpericolo (di vita|immediato|adesso|ora)\b",
    r"\b(sto|sta) sanguinando\b",
    r"\bperdo (molto )?sangue\b",
    r"\bnon riesco a respirare\b",
    r"\bmi ha (chiusa|chiuso|rinchiusa|rinchiuso|segregata|segregato) in\b",
    r"\bsono (chiusa|chiuso|rinchiusa|rinchiuso|segregata|segregato) in\b",
    r"\b(aiuto aiuto|aiutatemi subito)\b",
    r"\b(voglio|vorrei) (farla finita|morire|uccidermi|togliermi la vita)\b",
    r"\bmi (uccido|ammazzo)\b",
    r"\bemergenza\b",
    r"\bchiamate (la polizia|i carabinieri|il 112|aiuto)\b",
    r"\b(sta|stanno) arrivando (a casa|qui|per)\b",
]
_NEGATIONS = re.compile(r"\b(non|nessun|nessuno|mai)\s+(\w+\s+){0,2}$")
_COMPILED = [re.compile(p) for p in _DANGER_PATTERNS]


def is_immediate_danger(text: str) -> bool:
    """True when the message says the writer (or someone with them) is in danger right now."""
    plain = normalise(text)
    if not plain:
        return False
    for pattern in _COMPILED:
        for match in pattern.finditer(plain):
            before = plain[: match.start()]
            if not _NEGATIONS.search(before[-40:]):
                return True
    return False
