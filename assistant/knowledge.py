"""The knowledge topics (content/knowledge.yml) and how an answer about one is put together."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, List, Optional, Tuple

from assistant import content, intents
from assistant.text import normalise

INTENT_PREFIX = "kb_"
MORE_INTENT = intents.KB_MORE
MONTHS = (
    "gennaio",
    "febbraio",
    "marzo",
    "aprile",
    "maggio",
    "giugno",
    "luglio",
    "agosto",
    "settembre",
    "ottobre",
    "novembre",
    "dicembre",
)


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
    # follow-up answers for a particular case: (when, text); `when` keys: event, victim, gender,
    # each a list of values (triage.EVENTS, triage.VICTIMS, triage.GENDERS)
    cases: List[Tuple[Dict[str, List[str]], str]] = ()  # type: ignore[assignment]

    def case_for(self, facts: Dict[str, Optional[str]]) -> Optional[str]:
        """The text of the first case whose every condition the facts meet."""
        for when, text in self.cases:
            if all(facts.get(key) in values for key, values in when.items()):
                return text
        return None

    @property
    def intent(self) -> str:
        return INTENT_PREFIX + self.key


@dataclass(frozen=True)
class Knowledge:
    labels: Dict[str, str]
    topics: Dict[str, Topic]

    def topic_for_intent(self, intent: Optional[str]) -> Optional[Topic]:
        if intent and intent.startswith(INTENT_PREFIX):
            return self.topics.get(intent[len(INTENT_PREFIX) :])
        return None

    def _footer(self, topic: Topic) -> str:
        lines = [
            f"{self.labels['references']}: " + "; ".join(topic.references) + ".",
            f"{self.labels['updated']} {month_year(topic.updated)}.",
        ]
        if topic.violence:
            lines.append(self.labels["safety"])
        return "\n".join(lines)

    def _related_buttons(self, topic: Topic) -> List[Dict]:
        return [
            {"title": self.topics[key].title, "payload": intents.payload(self.topics[key].intent)}
            for key in topic.related
        ]

    def answer(self, topic: Topic) -> Dict:
        """First answer: summary, references, date, safety line; buttons: more + related topics."""
        more = {"title": self.labels["more"], "payload": intents.payload(MORE_INTENT, topic=topic.key)}
        find = {"title": self.labels["find_service"], "payload": intents.payload(intents.FIND_SERVICE)}
        return {
            "text": f"{topic.summary}\n\n{self._footer(topic)}",
            "buttons": [more] + self._related_buttons(topic) + [find],
        }

    def answer_for(self, topic: Topic, facts: Optional[Dict[str, Optional[str]]] = None) -> Dict:
        """First answer fitted to what is known of the person: for a minor, the topic's words for
        minors (or its summary with the lines for children and teenagers)."""
        facts = facts or {}
        if facts.get("victim") != "minore":
            return self.answer(topic)
        reply = self.answer(topic)
        text = topic.case_for({"victim": "minore"})
        body = text if text else f"{topic.summary}\n\n{self.labels['minor_lines']}"
        reply["text"] = f"{body}\n\n{self._footer(topic)}"
        return reply

    def followup(self, topic: Topic, facts: Dict[str, Optional[str]]) -> Dict:
        """A follow-up on the last topic for another case ("e per una truffa invece?", "e se sono
        minorenne?"): the topic's text for that case when it has one; otherwise what is general for
        men or minors; otherwise it says that it has nothing more precise and repeats the summary."""
        text = topic.case_for(facts)
        buttons = self._related_buttons(topic)
        check = self.labels["check"]
        if text is None and facts.get("victim") == "minore":
            text = self.labels["minor_lines"]
        if text is None and facts.get("gender") == "uomo":
            text = self.labels["men_general"]
            check = self.labels["check_men"]  # the 1522's service to men is not verified (fact sheet §16.14)
            if "uomini_vittime" in self.topics and topic.key != "uomini_vittime":
                men = self.topics["uomini_vittime"]
                buttons = [{"title": men.title, "payload": f"/{men.intent}"}] + buttons
        if text is None:
            text = f"{self.labels['followup_general'].format(title=topic.title)}\n\n{topic.summary}"
        return {"text": f"{text}\n\n{check}\n\n{self._footer(topic)}", "buttons": buttons}

    def more(self, topic: Topic) -> Dict:
        """The details, with the same references, the advice to check one's own case, related topics."""
        text = f"{topic.details}\n\n{self.labels['check']}\n\n{self._footer(topic)}"
        return {"text": text, "buttons": self._related_buttons(topic)}

    def menu(self) -> Dict:
        return {
            "text": self.labels["unknown_topic"],
            "buttons": [{"title": t.title, "payload": intents.payload(t.intent)} for t in self.topics.values()],
        }


def _parse(raw: Dict) -> Knowledge:
    topics = {}
    for key, item in raw["topics"].items():
        updated = item["updated"]
        topics[key] = Topic(
            key=key,
            title=item["title"].strip(),
            summary=" ".join(item["summary"].split()),
            details=" ".join(item["details"].split()),
            references=list(item["references"]),
            updated=updated if isinstance(updated, dt.date) else dt.date.fromisoformat(str(updated)),
            violence=bool(item.get("violence", False)),
            related=list(item.get("related", [])),
            cases=[(_when(key, case["when"]), " ".join(case["text"].split())) for case in item.get("cases", [])],
        )
    for topic in topics.values():
        unknown = [r for r in topic.related if r not in topics]
        if unknown:
            raise ValueError(f"topic {topic.key}: related topics {unknown} do not exist")
    return Knowledge(labels=dict(raw["labels"]), topics=topics)


_CASE_KEYS = ("event", "victim", "gender")


def _when(topic: str, raw: Dict) -> Dict[str, List[str]]:
    unknown = [key for key in raw if key not in _CASE_KEYS]
    if unknown or not raw:
        raise ValueError(f"topic {topic}: a case's `when` needs some of {_CASE_KEYS}, not {unknown or 'nothing'}")
    return {key: [value] if isinstance(value, str) else list(value) for key, value in raw.items()}


# A follow-up: a short message that asks about the last topic for another case.
_FOLLOWUP_STARTS = (
    "e per ",
    "e se ",
    "e invece",
    "e nel caso",
    "e in caso",
    "e anche ",
    "e con ",
    "ed ",
    "ma per ",
    "ma se ",
    "invece per ",
    "invece se ",
    "anche per ",
    "vale anche",
    "e vale ",
    "e nel mio caso",
    "e quindi per ",
    "e x ",
)
FOLLOWUP_MAX_WORDS = 12


def is_followup(text: str) -> bool:
    """A short message that starts like a follow-up: "e per una truffa invece?", "e se sono minorenne?".
    Whether it names a case is for the caller to check (triage.case_of)."""
    plain = normalise(text or "") + " "
    return len(plain.split()) <= FOLLOWUP_MAX_WORDS and plain.startswith(_FOLLOWUP_STARTS)


@lru_cache(maxsize=None)
def load() -> Knowledge:
    return _parse(content.load("knowledge"))


def followup_message(topic_key: Optional[str], facts: Dict[str, Optional[str]]) -> Optional[Dict]:
    """The answer to a follow-up on the topic last answered (slot `topic`) for the case in `facts`;
    None when no topic was answered yet (the message is then read as anything else)."""
    kb = load()
    topic = kb.topics.get(topic_key or "")
    return kb.followup(topic, facts) if topic else None


def answer_message(intent: Optional[str], person: Dict[str, Optional[str]]) -> Tuple[Dict, Optional[str]]:
    """The dispatcher-ready answer to a knowledge intent, fitted to what is known of the person (simpler
    words for a minor), and the key of its topic; the menu of topics and None for an intent that names no
    topic."""
    kb = load()
    topic = kb.topic_for_intent(intent)
    return (kb.answer_for(topic, person), topic.key) if topic else (kb.menu(), None)


def more_message(topic_key: Optional[str]) -> Dict:
    """The details of the topic last answered (slot `topic`), or the menu when there is none."""
    kb = load()
    topic = kb.topics.get(topic_key or "")
    return kb.more(topic) if topic else kb.menu()
