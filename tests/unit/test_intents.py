"""One home per fact: the intents the code names are in the domain, the knowledge intents of the rules and
of the domain are exactly the topics of content/knowledge.yml, and the small shared readers."""

from types import SimpleNamespace

from assistant import content, events, intents, knowledge
from assistant.settings import PROJECT_ROOT
from assistant.text import EMPTY_MESSAGE, MESSAGE_TOO_LONG


def _rule_intents(name: str) -> set:
    """Every intent named in the steps of data/rules/<name>.yml (also inside `or`)."""
    found = set()
    for rule in content.read_yaml(PROJECT_ROOT / "data" / "rules" / f"{name}.yml")["rules"]:
        for step in rule["steps"]:
            for item in step.get("or", [step]):
                if "intent" in item:
                    found.add(item["intent"])
    return found


def test_every_intent_the_code_names_is_in_the_domain():
    domain = set(content.domain_intents())
    named = set(intents.STAND_INS) | set(intents.BUTTONS) | set(intents.OVERRIDES) | set(intents.COMMANDS.values())
    assert named - domain == set()


def test_payloads():
    assert EMPTY_MESSAGE == "/empty_message" and MESSAGE_TOO_LONG == "/message_too_long"
    assert intents.payload(intents.INFORM_COMUNE, comune="Bra CN") == '/inform_comune{"comune": "Bra CN"}'
    assert intents.command_payloads()["/esci"] == "/exit_chat"


def test_knowledge_intents_of_rules_and_domain_are_the_topics():
    topics = {topic.intent for topic in knowledge.load().topics.values()}
    in_rules = {i for i in _rule_intents("knowledge") if i.startswith(knowledge.INTENT_PREFIX)}
    in_domain = {i for i in content.domain_intents() if i.startswith(knowledge.INTENT_PREFIX)}
    assert in_rules == topics | {knowledge.MORE_INTENT}
    assert in_domain == topics | {knowledge.MORE_INTENT}
    buttons = {
        button["payload"][1:].split("{")[0]
        for variants in content.domain()["responses"].values()
        for variant in variants
        for button in variant.get("buttons", [])
    }
    assert {b for b in buttons if b.startswith(knowledge.INTENT_PREFIX)} <= topics | {knowledge.MORE_INTENT}
    assert buttons <= set(content.domain_intents())


def test_the_domain_is_merged_from_its_files():
    domain = content.domain()
    assert "utter_greet" in domain["responses"] and "triage_form" in domain["forms"]
    assert len(content.domain_intents()) == len(set(content.domain_intents()))


def test_content_is_read_once():
    assert content.load("triage") is content.load("triage")
    assert set(content.load("knowledge")) >= {"labels", "topics"}


def _rasa_event(kind, intent=None):
    return SimpleNamespace(type_name=kind, intent={"name": intent} if intent else {})


def test_walking_events_back_from_the_last_user_message():
    stored = [
        _rasa_event("user", "greet"),
        _rasa_event("bot"),
        _rasa_event("user", "exit_chat"),
        _rasa_event("action"),
        _rasa_event("bot"),
    ]
    assert [e.type_name for e in events.since_last_user(stored)] == ["bot", "action"]
    assert events.intent_name(events.last_user(stored)) == "exit_chat"
    assert events.last_user([_rasa_event("bot")]) is None
    as_json = [{"event": "user", "parse_data": {"intent": {"name": "greet"}}}, {"event": "bot", "text": "ciao"}]
    assert events.intent_name(events.last_user(as_json)) == "greet"
    assert [e["text"] for e in events.since_last_user(as_json)] == ["ciao"]
    assert len(list(events.since_last_user([{"event": "bot"}]))) == 1  # never wrote: everything
