"""Content checks: every topic has references and a date, no forbidden legal statements, NLU data
sizes, held-out data kept apart, phone numbers in texts match the directory."""
import csv
import datetime as dt
import re
from pathlib import Path

import yaml

from assistant import knowledge
from assistant.settings import PROJECT_ROOT
from assistant.text import normalise

ROOT = PROJECT_ROOT


def _nlu(path: Path):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = {}
    for block in data.get("nlu", []):
        if "intent" in block:
            out.setdefault(block["intent"], []).extend(
                line[2:].strip() for line in block["examples"].splitlines() if line.strip().startswith("- "))
    return out


def _training():
    merged = {}
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for intent, examples in _nlu(path).items():
            merged.setdefault(intent, []).extend(examples)
    return merged


def test_at_least_fifteen_topics_with_references_and_date():
    kb = knowledge.load()
    assert len(kb.topics) >= 15
    for topic in kb.topics.values():
        assert topic.references and all(r.strip() for r in topic.references), topic.key
        assert isinstance(topic.updated, dt.date) and topic.updated <= dt.date.today()
        assert len(topic.summary.split()) <= 125, (topic.key, len(topic.summary.split()))
        assert 2 <= len(topic.related) <= 3


def test_answers_show_reference_date_and_safety_line():
    kb = knowledge.load()
    for topic in kb.topics.values():
        text = kb.answer(topic)["text"]
        assert topic.references[0] in text and topic.updated.strftime("%d/%m/%Y") in text
        assert ("112" in text and "1522" in text) == topic.violence


def _all_text(topic):
    return " ".join([topic.summary, topic.details, " ".join(topic.references)])


def test_no_repealed_article_and_no_twelve_month_stalking_term():
    for topic in knowledge.load().topics.values():
        text = _all_text(topic)
        assert "342-bis" not in text and "342 bis" not in text, topic.key
        for sentence in re.split(r"(?<=[.;:])\s", normalise(text)):
            if "stalking" in sentence or "atti persecutori" in sentence:
                assert not re.search(r"\b(12|dodici) mesi\b", sentence) or "violenza sessuale" in sentence, \
                    (topic.key, sentence)


def test_stalking_term_is_six_months():
    text = _all_text(knowledge.load().topics["denuncia_querela"])
    assert "6 mesi per lo stalking" in text and "12 mesi per la violenza sessuale" in text


def test_every_topic_intent_has_twenty_distinct_examples():
    training = _training()
    for topic in knowledge.load().topics.values():
        examples = training.get(topic.intent, [])
        assert len(examples) >= 20, (topic.intent, len(examples))
        normalised = [normalise(e) for e in examples]
        assert len(set(normalised)) == len(normalised), topic.intent


def test_held_out_examples_are_separate_and_enough():
    training = {normalise(e) for examples in _training().values() for e in examples}
    heldout = _nlu(ROOT / "tests" / "nlu" / "heldout.yml")
    for topic in knowledge.load().topics.values():
        assert len(heldout.get(topic.intent, [])) >= 5, topic.intent
    overlap = [e for examples in heldout.values() for e in examples if normalise(e) in training]
    assert not overlap, overlap


def _national_numbers():
    with open(ROOT / "data" / "directory" / "numeri_nazionali.csv", encoding="utf-8") as handle:
        return {re.sub(r"\D", "", row["numero"]) for row in csv.DictReader(handle)}


def test_phone_numbers_in_texts_are_in_the_directory():
    """Numbers written in domain responses and knowledge texts must be the directory's (one home)."""
    known = _national_numbers()
    texts = [p.read_text(encoding="utf-8") for p in (ROOT / "domain").glob("*.yml")]
    texts += [_all_text(t) for t in knowledge.load().topics.values()]
    texts.append(yaml.safe_dump(knowledge.load().labels, allow_unicode=True))
    found = set()
    for text in texts:
        # helpline shapes: 11x, 15xx, 19xxx, 116xxx, 800 numbers (article numbers are not phones)
        for match in re.findall(r"(?<![\d.,/-])(11\d|15\d\d|19\d{3}|116 ?\d{3}|800(?: ?\d){6,7})(?![\d.,/-])", text):
            found.add(re.sub(r"\D", "", match))
    unknown = {n for n in found if n not in known}
    assert not unknown, unknown
    assert {"112", "1522"} <= found
