"""Follow-ups on the last knowledge topic for another case, and answers fitted to a minor."""

import pytest

from assistant import knowledge, triage
from assistant.text import normalise


@pytest.mark.parametrize(
    "text, facts",
    [
        ("e per una truffa invece?", {"event": "truffa", "victim": None, "gender": None}),
        ("e se sono minorenne?", {"event": None, "victim": "minore", "gender": None}),
        ("e se ho 15 anni?", {"event": None, "victim": "minore", "gender": None}),
        ("e per un uomo?", {"event": None, "victim": None, "gender": "uomo"}),
        ("e per mio figlio?", None),
        ("e per lo stalking", {"event": "stalking", "victim": None, "gender": None}),
        ("e per mia nonna?", {"event": None, "victim": "anziano", "gender": None}),
    ],
)
def test_a_follow_up_names_its_case(text, facts):
    assert triage.followup_case(text) == facts


@pytest.mark.parametrize(
    "text",
    [
        "e se lui torna a casa?",  # names no case: not a follow-up on the topic
        "per una truffa",  # an answer, not a follow-up
        "mi hanno truffato e adesso non so cosa fare con la banca e con i soldi che ho perso ieri sera",
        "ciao",
        "",
    ],
)
def test_not_a_follow_up(text):
    assert triage.followup_case(text) is None


def test_follow_up_answers_for_the_case_with_the_topic_references():
    kb = knowledge.load()
    patrocinio = kb.topics["patrocinio"]
    scam = kb.followup(patrocinio, triage.followup_case("e per una truffa invece?"))
    assert "13.659,64" in scam["text"] and "limite di reddito" in scam["text"]
    assert patrocinio.references[0] in scam["text"]
    minor = kb.followup(patrocinio, triage.followup_case("e se sono minorenne?"))
    assert "minorenne" in minor["text"] and "qualunque sia il reddito" in minor["text"]
    violence = kb.followup(kb.topics["arresto_differito"], {"event": "truffa", "victim": None, "gender": None})
    assert violence["text"].startswith("Di solito no.")


def test_follow_up_without_a_case_text_falls_back_honestly():
    kb = knowledge.load()
    topic = kb.topics["patrocinio"]
    elderly = kb.followup(topic, {"event": None, "victim": "anziano", "gender": None})
    assert elderly["text"].startswith("Per il caso che mi descrivi non ho informazioni più precise")
    assert topic.summary in elderly["text"]
    man = kb.followup(kb.topics["codice_rosso"], {"event": None, "victim": None, "gender": "uomo"})
    assert "valgono anche per un uomo" in man["text"] and "1522" not in man["text"].split("Riferimenti")[0]
    assert man["buttons"][0]["payload"] == "/kb_uomini_vittime"
    minor = kb.followup(kb.topics["codice_rosso"], {"event": None, "victim": "minore", "gender": None})
    assert "114" in minor["text"] and "19696" in minor["text"]


def test_a_minor_gets_simpler_words_or_the_lines_for_minors():
    kb = knowledge.load()
    simple = kb.answer_for(kb.topics["minori"], {"victim": "minore"})
    assert simple["text"].startswith("Se sei un ragazzo o una ragazza")
    other = kb.answer_for(kb.topics["codice_rosso"], {"victim": "minore"})
    assert "19696" in other["text"] and kb.topics["codice_rosso"].summary in other["text"]
    adult = kb.answer_for(kb.topics["minori"], {"victim": "io"})
    assert adult == kb.answer(kb.topics["minori"])


def test_every_case_is_well_formed_and_short():
    for topic in knowledge.load().topics.values():
        for when, text in topic.cases:
            assert set(when) <= {"event", "victim", "gender"}, topic.key
            for key, values in when.items():
                allowed = {"event": triage.EVENTS, "victim": triage.VICTIMS, "gender": ("donna", "uomo")}[key]
                assert set(values) <= set(allowed), (topic.key, values)
            assert 10 <= len(normalise(text).split()) <= 120, (topic.key, text)


def test_bad_case_is_refused():
    with pytest.raises(ValueError):
        knowledge._when("x", {"age": "minore"})
