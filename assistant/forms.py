"""What the triage and handoff forms decide at each turn, over plain data (no Rasa): the actions in
actions/ only build a :class:`Turn` from the tracker and send the :class:`Outcome`.

Every user turn of an open triage:
1. danger first: on `emergency`/`self_harm` the emergency answer is sent before anything else, and the
   danger question counts as answered "si";
2. a practical question, a location request, a knowledge question, thanks or help get their answer here,
   and the triage then goes on with its question;
3. whatever the message says (what happened, who, the comune) is taken, whichever question was asked;
4. a question is never asked more than twice in a row: after a second turn without an answer it is skipped.
Only `stop`, `ask_human`, `exit_chat`, `goodbye` and `chitchat` are left to the rules (the form rejects them).

The handoff questions never loop either: the consent asked twice without an answer is settled with the
safe choice (no summary sent) and the form goes on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from assistant import answers, intents, knowledge, triage
from assistant.directory import AMBIGUOUS, FOUND, OUTSIDE, UNKNOWN, find_in_text, resolve
from assistant.text import normalise

DANGER = frozenset({"emergency", "self_harm"})
# Left to the rules: the triage form rejects the turn so that they run.
LEFT_TO_RULES = frozenset({"stop", intents.ASK_HUMAN, intents.EXIT_CHAT, "goodbye", "chitchat"})
# Messages that are not an answer to the question asked.
NOT_AN_ANSWER = (
    DANGER
    | LEFT_TO_RULES
    | {"help", "thank", "greet", intents.KB_MORE, "ask_practical", "ask_location", "other_language", "out_of_scope"}
)
# Left to the rules during the handoff form (data/rules/handoff.yml answers them and comes back to the form).
HANDOFF_LEFT_TO_RULES = DANGER | {
    "stop",
    intents.EXIT_CHAT,
    "ask_location",
    "ask_practical",
    "chitchat",
    "goodbye",
    intents.ASK_HUMAN,
}
MAX_ASKS = 2  # a question is asked at most twice in a row
CALM_ANSWERS = ("chi_vittima", "comune")  # answers to later questions that let a skipped danger question go
MAX_COMUNE_ATTEMPTS = 2
OUTSIDE_PIEMONTE, UNKNOWN_COMUNE = "fuori_piemonte", "sconosciuto"
EXTRA_SLOTS = ("genere_vittima", "servizio_richiesto", "eta_vittima")
RESET_SLOTS = ("pericolo", "cosa_successo", "chi_vittima", "comune", "comune_istat", "triage_domanda", *EXTRA_SLOTS)
SIMPLE_REPLIES = {"thank": "utter_youre_welcome", "help": "utter_help", "other_language": "utter_other_language"}
# Services asked for by name that answer without a comune (a national or online office).
NO_COMUNE_NEEDED = frozenset({"polizia", "polizia_postale"})
OPENING_NUMBERS = 2
# words of urgency that keep the danger question in a request for a service ("mi serve subito, torna stasera")
_URGENT = re.compile(
    r"\b(subito|urgente|urgenza|stasera|stanotte|adesso|ora|torna|tornera|arriva|aiuto|scappare)\b"
)  # helplines given with the first question, before the danger question


@dataclass(frozen=True)
class Turn:
    """The person's latest message as the forms see it, and the conversation's slots."""

    intent: str = ""  # nlu_fallback included, "" when none
    text: str = ""  # as written (a button's payload too)
    entities: Mapping[str, Any] = field(default_factory=dict)  # the first value of each entity
    slots: Mapping[str, Any] = field(default_factory=dict)

    @property
    def words(self) -> str:
        """What the person wrote; "" for a button's payload."""
        return "" if self.text.startswith("/") else self.text

    @property
    def requested(self) -> Optional[str]:
        return self.slots.get("requested_slot")

    def slot(self, name: str) -> Any:
        return self.slots.get(name)

    @property
    def is_answer(self) -> bool:
        if self.intent == intents.FOLLOWUP:  # with no topic answered yet it tells something: an answer
            return not self.slots.get("topic")
        return self.intent not in NOT_AN_ANSWER and not self.intent.startswith(knowledge.INTENT_PREFIX)


@dataclass
class Outcome:
    """What to send (dispatcher-ready messages: ``utter_message(**message)``) and which slots to set, in order."""

    messages: List[Dict] = field(default_factory=list)
    slots: List[Tuple[str, Any]] = field(default_factory=list)

    def say(self, **message: Any) -> "Outcome":
        self.messages.append(message)
        return self

    def set(self, slot: str, value: Any) -> "Outcome":
        self.slots.append((slot, value))
        return self

    def values(self) -> Dict[str, Any]:
        """The slots as a validate_<slot> method returns them."""
        return dict(self.slots)


def shown(text: str) -> str:
    """The person's words quoted back: short, without markup characters."""
    cleaned = re.sub(r"[<>{}\[\]\\`]", "", text or "").strip()
    return cleaned[:60] + ("…" if len(cleaned) > 60 else "")


def _asked_again(turn: Turn) -> int:
    """How many times the requested question will have been asked if it is asked again now."""
    requested = turn.requested
    asked = (turn.slot("triage_ripetizioni") or 0) if turn.slot("triage_domanda") == requested else 0
    return max(asked, 1) + 1  # the question was asked once already; now it would be asked again


# -- the triage form --------------------------------------------------------------------------------
def side_answer(turn: Turn) -> Outcome:
    """The answer a turn gets before the triage goes on (danger first), and the slots it sets."""
    out = Outcome()
    intent = turn.intent
    if intent in DANGER:
        if turn.requested is not None:  # on activation the rule has already given it
            out.say(response="utter_self_harm" if intent == "self_harm" else "utter_emergency")
        return out.set("pericolo", answers.YES)
    if intent in ("ask_practical", "ask_location"):
        out.say(**answers.practical_message(turn.words or turn.text))
    elif intent == intents.KB_MORE:
        out.say(**knowledge.more_message(turn.slot("topic")))
    elif intent == intents.FOLLOWUP and turn.slot("topic"):
        out.say(**followup(turn))
    elif intent.startswith(knowledge.INTENT_PREFIX):
        message, key = knowledge.answer_message(intent, person(turn.slots))
        if key:
            out.say(**message).set("topic", key)
    elif intent in SIMPLE_REPLIES:
        out.say(response=SIMPLE_REPLIES[intent])
    return out


def person(slots: Mapping[str, Any]) -> Dict[str, Optional[str]]:
    """What the conversation knows of the person, for knowledge answers that fit them."""
    age = _age(slots.get("eta_vittima"))
    minor = slots.get("chi_vittima") == "minore" or (age is not None and age < 18)
    return {"victim": "minore" if minor else slots.get("chi_vittima"), "gender": slots.get("genere_vittima")}


def followup(turn: Turn) -> Dict:
    """The last topic for the case a follow-up names; a minor stays a minor ("e per una truffa?" from a
    14-year-old gets the minors' text of the topic when it has one)."""
    facts = triage.followup_case(turn.words) or {"event": None, "victim": None, "gender": None}
    known = person(turn.slots)
    if facts.get("victim") is None and known["victim"] == "minore":
        facts = {**facts, "victim": "minore"}
    return knowledge.followup_message(turn.slot("topic"), facts) or knowledge.load().menu()


def said_anywhere(turn: Turn) -> Outcome:
    """The victim's gender (only when said), a service asked for by name and the age, from any turn."""
    found = triage.understand(turn.words) if turn.words else {}
    return Outcome(
        slots=[
            (slot, found[slot])
            for slot in EXTRA_SLOTS
            if found.get(slot) is not None and found[slot] != turn.slot(slot)
        ]
    )


def before_form(turn: Turn) -> Outcome:
    """What a turn of an open triage gets before the form takes its answers."""
    side, extra = side_answer(turn), said_anywhere(turn)
    return Outcome(side.messages, side.slots + extra.slots)


def required_slots(domain_slots: List[str], slots: Mapping[str, Any], turn: Optional[Turn] = None) -> List[str]:
    """The questions of the triage. A service asked for by name ("c'è un centro antiviolenza a Bra?",
    "polizia postale") with nothing told of what happened gets its answer at once: only the comune is asked,
    and not even that for a national or online office. The safety check still reads every message, and the
    answer always carries 112. A story, or danger already said, keeps every question."""
    service = slots.get("servizio_richiesto")
    if not service or slots.get("cosa_successo") is not None or slots.get("pericolo") is not None:
        return list(domain_slots)
    if turn is not None and (
        turn.intent == "report_crime"
        or triage.classify_event(turn.words)
        or answers.read_danger_answer(turn.words) in (answers.YES, answers.MAYBE)
        or _URGENT.search(normalise(turn.words))
    ):
        return list(domain_slots)  # a story, fear or urgency in this very message: danger first
    return [] if service in NO_COMUNE_NEEDED else [slot for slot in domain_slots if slot == "comune"]


def opening(turn: Turn, slots: Mapping[str, Any]) -> Outcome:
    """The triage's first turn, when the message already says what happened or who: 112 and the helplines
    that fit (the routing table's) come before the danger question, so a minor gets 114 and 19696, a woman
    the 1522, a trafficking victim the 800 290 290 at once."""
    out = Outcome()
    if turn.requested is not None or turn.intent in DANGER or slots.get("pericolo") is not None:
        return out
    if "pericolo" not in required_slots(["pericolo"], slots, turn):
        return out
    facts = _facts(slots)
    if facts[0] is None and facts[1] is None:
        return out
    lines = triage.opening_lines(*facts, limit=OPENING_NUMBERS)
    return out.say(text=lines) if lines else out


def after_form(turn: Turn, set_slots: List[Tuple[str, Any]], answered_otherwise: bool) -> Outcome:
    """A question asked twice in a row without an answer is skipped, never asked a third time.
    `set_slots`: the slots this turn set so far; `answered_otherwise`: the turn already got a reply."""
    requested = turn.requested
    out = Outcome()
    if requested is None:
        return out
    if any(name == requested and value is not None for name, value in set_slots):
        return out.set("triage_domanda", None).set("triage_ripetizioni", 0)
    answered = {name for name, value in set_slots if value is not None}
    calm = answered & set(CALM_ANSWERS) and "cosa_successo" not in answered  # a story is no sign of calm
    if requested == "pericolo" and turn.intent not in DANGER and calm:
        # the danger question answered with something else ("Cuorgnè", "è per mia mamma"): the safety check
        # reads every message, so the triage goes on instead of insisting, with the 112 line said once
        out.say(response="utter_danger_skipped")
        return out.set("pericolo", triage.SKIPPED).set("triage_domanda", None).set("triage_ripetizioni", 0)
    asked = _asked_again(turn)
    if asked > MAX_ASKS:
        out.say(response="utter_danger_skipped" if requested == "pericolo" else "utter_question_skipped")
        out.set(requested, triage.SKIPPED)
        if requested == "comune":
            out.set("comune_istat", None)
        return out.set("triage_domanda", None).set("triage_ripetizioni", 0)
    if not answered_otherwise and turn.intent not in DANGER:
        out.say(response="utter_ask_rephrase")
    return out.set("triage_domanda", requested).set("triage_ripetizioni", asked)


def extract_pericolo(turn: Turn) -> Dict[str, Any]:
    if turn.intent in DANGER:
        return {"pericolo": answers.YES}
    if turn.requested != "pericolo":
        return {}
    value = None
    if turn.intent not in NOT_AN_ANSWER:  # words first: "non lo so" is a possible danger, not a "no"
        value = answers.read_danger_answer(turn.words)
    if value is None:
        value = {"affirm": answers.YES, "deny": answers.NO, "skip_question": triage.SKIPPED}.get(turn.intent)
    return {"pericolo": value} if value else {}


def _categorical(turn: Turn, slot: str, classify: Callable[[str], Optional[str]]) -> Dict[str, Any]:
    """What happened / who: taken from any turn that says it, whichever question was asked."""
    requested = turn.requested == slot
    value = turn.entities.get(slot)
    if value is None and requested and turn.intent in ("skip_question", "deny"):
        value = triage.SKIPPED  # "no" to an open question: the person prefers not to say
    if value is None:
        value = classify(turn.words)
    if (
        value is None
        and requested
        and slot == "cosa_successo"
        and turn.is_answer
        and turn.intent != "affirm"
        and turn.words
    ):
        value = "altro"  # something we cannot classify: the generic route (Rete Dafne, social services)
    return {slot: value} if value else {}


def extract_cosa_successo(turn: Turn) -> Dict[str, Any]:
    return _categorical(turn, "cosa_successo", triage.classify_event)


def extract_chi_vittima(turn: Turn) -> Dict[str, Any]:
    return _categorical(turn, "chi_vittima", triage.classify_victim)


def extract_comune(turn: Turn) -> Dict[str, Any]:
    requested = turn.requested == "comune"
    chosen = turn.entities.get("comune")
    if chosen:
        return {"comune": chosen}
    if requested and turn.intent in ("skip_question", "deny"):
        return {"comune": triage.SKIPPED}
    text = turn.words
    if not text:
        return {}
    # a comune clearly named anywhere ("...lo trovo sotto casa, vivo a Chieri"), at any turn, also to correct one
    found = find_in_text(text)
    if found:
        return {"comune": found.query}
    if requested and turn.is_answer and turn.intent != "affirm":
        return {"comune": text}
    # Not asked: a short message the classifier recognised as a place
    if turn.intent == "inform_comune" and len(text.split()) <= 4:
        return {"comune": text}
    return {}


def validate_pericolo(value: Any, turn: Turn) -> Outcome:
    out = Outcome()
    if value == answers.YES and turn.intent not in DANGER:  # a danger message got the answer already
        out.say(response="utter_emergency")
    elif value == answers.MAYBE:
        out.say(response="utter_danger_possible")
    return out.set("pericolo", value)


def validate_comune(value: Any, turn: Turn) -> Outcome:
    """The comune said, resolved against the directory: found, outside Piemonte, which one of several,
    or unknown (asked once more, then given up)."""
    out = Outcome()
    if not value:  # cleared by action_reset_triage: nothing to check
        return out.set("comune", None)
    t = triage.texts()["comune"]
    if value in (triage.SKIPPED, OUTSIDE_PIEMONTE, UNKNOWN_COMUNE):
        if value == triage.SKIPPED:
            out.say(text=t["skipped"])
        return out.set("comune", value).set("comune_istat", None)
    result = resolve(str(value))
    if result.status == UNKNOWN:  # "abito a Bra da tre anni": the place inside a longer answer
        result = find_in_text(str(value)) or result
    if result.status == FOUND and result.comune:
        if result.via == "locality" and result.locality:  # which comune it belongs to is in no source
            out.say(
                text=t["locality"].format(
                    localita=result.locality.get("nome", result.query), comune=result.comune["nome"]
                )
            )
        return (
            out.set("comune", result.comune["nome"])
            .set("comune_istat", result.comune["istat"])
            .set("comune_tentativi", 0)
        )
    if result.status == OUTSIDE:
        place = result.candidates[0]
        out.say(text=t["outside"].format(nome=place["nome"], regione=result.region))
        return out.set("comune", OUTSIDE_PIEMONTE).set("comune_istat", None)
    if result.status == AMBIGUOUS:
        buttons = [
            {
                "title": f"{c['nome']} ({c['provincia']})",
                "payload": intents.payload(intents.INFORM_COMUNE, comune=f"{c['nome']} {c['provincia']}"),
            }
            for c in result.candidates
        ]
        out.say(text=t["ambiguous"].format(query=shown(result.query)), buttons=buttons)
        return out.set("comune", None)
    attempts = (turn.slot("comune_tentativi") or 0) + 1
    if attempts >= MAX_COMUNE_ATTEMPTS:
        out.say(text=t["unknown_final"])
        return out.set("comune", UNKNOWN_COMUNE).set("comune_istat", None).set("comune_tentativi", 0)
    out.say(text=t["unknown"].format(query=shown(result.query)))
    return out.set("comune", None).set("comune_tentativi", attempts)


def _age(value: Any) -> Optional[int]:
    return int(value) if isinstance(value, (int, float)) else None


def _facts(slots: Mapping[str, Any]) -> Tuple[Any, Any, Any, Any, Optional[int]]:
    """What happened, who, the victim's gender, the service asked for and the age: the routing's facts."""
    return (
        slots.get("cosa_successo"),
        slots.get("chi_vittima"),
        slots.get("genere_vittima"),
        slots.get("servizio_richiesto"),
        _age(slots.get("eta_vittima")),
    )


def result(slots: Mapping[str, Any]) -> List[Dict]:
    """The triage's answer (action_nearest_service): the services and helplines as dispatcher-ready
    messages; the last one carries the buttons (a person first when in danger, then the plan's topics)."""
    facts = _facts(slots)
    texts = triage.reply(slots.get("comune_istat"), *facts)
    kb = knowledge.load()
    buttons = [
        {"title": kb.topics[key].title, "payload": intents.payload(kb.topics[key].intent)}
        for key in triage.plan_for(*facts).topics
    ]
    if slots.get("pericolo") == answers.YES:  # high risk: offer a person straight away
        buttons.insert(
            0, {"title": triage.texts()["result"]["handoff_button"], "payload": intents.payload(intents.ASK_HUMAN)}
        )
    return [{"text": text} for text in texts[:-1]] + [{"text": texts[-1], "buttons": buttons}]


def reset() -> List[Tuple[str, Any]]:
    """The slots that start a new search from the first question."""
    return [(slot, None) for slot in RESET_SLOTS] + [("comune_tentativi", 0), ("triage_ripetizioni", 0)]


# -- the handoff form -------------------------------------------------------------------------------
def handoff_consent_unanswered(turn: Turn) -> Optional[Outcome]:
    """The consent question not answered this turn: asked again once, then settled with no summary sent.
    None when the form should take the turn as usual (the consent was answered, or another question is open)."""
    requested = turn.requested
    if requested != "handoff_consent" or turn.slot("handoff_consent") is not None:
        return None
    asked = _asked_again(turn)
    if asked > MAX_ASKS:  # asked twice: no summary is sent, the safe choice
        return Outcome(
            [{"response": "utter_handoff_consent_skipped"}],
            [("handoff_consent", False), ("triage_domanda", None), ("triage_ripetizioni", 0)],
        )
    return Outcome(
        [{"response": "utter_ask_rephrase_yes_no"}], [("triage_domanda", requested), ("triage_ripetizioni", asked)]
    )
