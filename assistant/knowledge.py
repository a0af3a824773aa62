"""The knowledge topics (content/knowledge.yml) and how an answer about one is put together."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, List, Optional, Tuple

from assistant import content, intents

INTENT_PREFIX = "kb_"
MORE_INTENT = intents.KB_MORE
MONTHS = ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre",
          "ottobre", "novembre", "dicembre")


def month_year(day: dt.date) -> str:
    """How a topic's date is shown: the month of the newest source checked ("febbraio 2026")."""
    return f"{MONTHS[day.month - 1]} {day.year}"


@dataclass(frozen=True)
class Topic:
    key: str
    title: str
    summary: str
    details: str
    references: List[str]
    updated: dt.date
    violence: bool
    related: List[str]

    @property
    def intent(self) -> str:
        return INTENT_PREFIX + self.key


@dataclass(frozen=True)
class Knowledge:
    labels: Dict[str, str]
    topics: Dict[str, Topic]

    def topic_for_intent(self, intent: Optional[str]) -> Optional[Topic]:
        if intent and intent.startswith(INTENT_PREFIX):
            return self.topics.get(intent[len(INTENT_PREFIX):])
        return None

    def _footer(self, topic: Topic) -> str:
        lines = [f"{self.labels['references']}: " + "; ".join(topic.references) + ".",
                 f"{self.labels['updated']} {month_year(topic.updated)}."]
        if topic.violence:
            lines.append(self.labels["safety"])
        return "\n".join(lines)

    def _related_buttons(self, topic: Topic) -> List[Dict]:
        return [{"title": self.topics[key].title, "payload": intents.payload(self.topics[key].intent)}
                for key in topic.related]

    def answer(self, topic: Topic) -> Dict:
        """First answer: summary, references, date, safety line; buttons: more + related topics."""
        more = {"title": self.labels["more"], "payload": intents.payload(MORE_INTENT, topic=topic.key)}
        find = {"title": self.labels["find_service"], "payload": intents.payload(intents.FIND_SERVICE)}
        return {"text": f"{topic.summary}\n\n{self._footer(topic)}",
                "buttons": [more] + self._related_buttons(topic) + [find]}

    def more(self, topic: Topic) -> Dict:
        """The details, with the same references, the advice to check one's own case, related topics."""
        text = f"{topic.details}\n\n{self.labels['check']}\n\n{self._footer(topic)}"
        return {"text": text, "buttons": self._related_buttons(topic)}

    def menu(self) -> Dict:
        return {"text": self.labels["unknown_topic"],
                "buttons": [{"title": t.title, "payload": intents.payload(t.intent)} for t in self.topics.values()]}


def _parse(raw: Dict) -> Knowledge:
    topics = {}
    for key, item in raw["topics"].items():
        updated = item["updated"]
        topics[key] = Topic(
            key=key, title=item["title"].strip(), summary=" ".join(item["summary"].split()),
            details=" ".join(item["details"].split()), references=list(item["references"]),
            updated=updated if isinstance(updated, dt.date) else dt.date.fromisoformat(str(updated)),
            violence=bool(item.get("violence", False)), related=list(item.get("related", [])))
    for topic in topics.values():
        unknown = [r for r in topic.related if r not in topics]
        if unknown:
            raise ValueError(f"topic {topic.key}: related topics {unknown} do not exist")
    return Knowledge(labels=dict(raw["labels"]), topics=topics)


@lru_cache(maxsize=None)
def load() -> Knowledge:
    return _parse(content.load("knowledge"))


def message_for_intent(intent: Optional[str]) -> Tuple[Dict, Optional[str]]:
    """The dispatcher-ready answer to a knowledge intent and the key of its topic; the menu of topics
    and None for an intent that names no topic."""
    kb = load()
    topic = kb.topic_for_intent(intent)
    return (kb.answer(topic), topic.key) if topic else (kb.menu(), None)


def more_message(topic_key: Optional[str]) -> Dict:
    """The details of the topic last answered (slot `topic`), or the menu when there is none."""
    kb = load()
    topic = kb.topics.get(topic_key or "")
    return kb.more(topic) if topic else kb.menu()
