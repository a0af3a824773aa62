"""How the assistant reads what people write during the triage, without a model:

- the answer to "sei in pericolo in questo momento?" in words ("si ho paura", "boh", "non è in casa adesso");
- questions that are not answers but deserve one before the triage goes on ("devo andare in ospedale?");
- requests to locate a person or a shelter, always declined.

Texts live in ``content/practical.yml``; the actions only glue them to the dialogue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, List, Optional, Pattern, Tuple

from assistant import content, intents, knowledge
from assistant.text import normalise

YES, NO, MAYBE = "si", "no", "forse"

_MAYBE = re.compile(
    r"\b(forse|non lo so|non so|boh|bho|mah|dipende|non sono sicur[ao]|non saprei|puo darsi|"
    r"magari|credo di no ma|a volte|ogni tanto|piu o meno|non ne sono sicur[ao]|spero di no|"
    r"chi lo sa|non capisco)\b"
)
_YES = re.compile(
    r"^(si|s|sii+|sì|certo|esatto|purtroppo si|credo di si|penso di si|ovvio|ovviamente|yes|"
    r"affermativo|molto|tanto|assolutamente)\b|\b(paura|ho il terrore|"
    r"sono terrorizzat[ao]|e qui|e qua|e di la|e in casa|e fuori|e sotto casa|sta arrivando|"
    r"sta tornando|sta urlando|stanno urlando|urla|mi cerca|mi minaccia|non sono al sicuro|"
    r"si e qui|pericolo)\b"
)
_NO = re.compile(
    r"^(no|nn|nono|no no|nope|niente|macche|per niente|assolutamente no|non proprio|direi di no|"
    r"credo di no|penso di no)\b|\b(sono al sicuro|sono in un posto sicuro|sto bene|ora no|adesso no|"
    r"per ora no|non ora|non adesso|non in questo momento|non e in casa|non c e|non ce|e uscito|"
    r"e al lavoro|e in carcere|e lontano|sono lontan[ao]|sono da (mia|mio|una|un|amici|parenti)|"
    r"non piu|non sono in pericolo|tranquill[ao]|e finita|e passato|non ho (piu |nessuna |tanta )?paura|nessuna paura|senza paura|paura no)\b"
)


def read_danger_answer(text: str) -> Optional[str]:
    """'si', 'no' or 'forse' for an answer in words to the danger question; None when it is not one.

    The safety check (assistant.safety) has already run on the same message: explicit signs of danger
    never reach this function as anything but 'si'."""
    plain = normalise(text)
    if not plain:
        return None
    if _MAYBE.search(plain):
        return MAYBE
    no = bool(_NO.search(plain))
    yes = bool(_YES.search(_NO.sub(" ", plain).strip()))  # "non è in casa" is not "è in casa"
    if yes and no:
        return MAYBE  # "no, ma ho paura che torni"
    return YES if yes else NO if no else None


@dataclass(frozen=True)
class Reply:
    key: str
    text: str
    buttons: Tuple[str, ...] = ()  # knowledge intents offered as buttons


@lru_cache(maxsize=None)
def _content() -> Tuple[List[Tuple[Reply, List[Pattern]]], Tuple[Reply, List[Pattern]]]:
    raw = content.load("practical")
    questions = [
        (Reply(key, item["text"].strip(), tuple(item.get("buttons") or ())), [re.compile(p) for p in item["when"]])
        for key, item in raw["questions"].items()
    ]
    locate = raw["locate"]
    return questions, (Reply("locate", locate["text"].strip()), [re.compile(p) for p in locate["when"]])


def practical_question(text: str) -> Optional[Reply]:
    """The short answer to a practical question asked in the middle of a triage, or None.
    Only questions count (a question mark, or a question word at the start)."""
    plain = normalise(text)
    if not plain or not ("?" in (text or "") or re.match(r"^(devo|posso|e|sara|cosa|che|come|quanto|si)\b", plain)):
        return None
    for reply, patterns in _content()[0]:
        if any(p.search(plain) for p in patterns):
            return reply
    return None


def locate_request(text: str) -> Optional[Reply]:
    """The refusal when the message asks where a person or a shelter is, else None."""
    plain = normalise(text)
    reply, patterns = _content()[1]
    return reply if plain and any(p.search(plain) for p in patterns) else None


def reply_by_key(key: str) -> Reply:
    questions, locate = _content()
    return locate[0] if key == "locate" else next(r for r, _ in questions if r.key == key)


def as_message(reply: Reply, button_titles: Dict[str, str]) -> Dict:
    """Dispatcher-ready message: the text and a button per knowledge topic offered."""
    return {
        "text": reply.text,
        "buttons": [
            {"title": button_titles[i], "payload": intents.payload(i)} for i in reply.buttons if i in button_titles
        ],
    }


def practical_message(text: str) -> Dict:
    """The dispatcher-ready answer to a message the NLU marked as a practical question or a location
    request: the refusal to locate, the practical answer, or what to do in general."""
    reply = locate_request(text) or practical_question(text) or reply_by_key("cosa_fare")
    titles = {topic.intent: topic.title for topic in knowledge.load().topics.values()}
    return as_message(reply, titles)


# Erasing a conversation cannot be undone: the classifier's `exit_chat` counts only when the message
# has a word that asks to leave or delete ("ora è uscito, sono da sola" is not a request to erase).
_ERASE_WORDS = re.compile(
    r"\b(esc[io]|uscire|usciamo|elimin\w*|togli\w*|chiud\w*|cancell\w*|traccia|sparisc\w*|spari\w*|cronologia|"
    r"rimuov\w*|stop|svuot\w*|pulisc\w*|delete|exit|quit)\b"
)


def asks_to_erase(text: str) -> bool:
    """Whether a message has a word asking to leave the chat or delete it."""
    return bool(_ERASE_WORDS.search(normalise(text or "")))
