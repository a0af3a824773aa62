"""The independent evaluation sets stay independent: no evaluation text is a near-duplicate of a
training example, the dev and test parts are apart, labels come from the label guide, ids are
unique and the conversations' expectations are in their vocabulary. Plus tests of the checker
itself, so that it can fail."""

import pytest

from scripts.evaluation import sets


def _show(pairs):
    return "\n".join(f"  {a!r} ({wa}) ~ {b!r} ({wb}): {s:.0f}" for wa, a, wb, b, s in pairs)


def _units(kind, split):
    """Items as the split moves them: a message, or a whole conversation (its turns joined)."""
    out = []
    for item in sets.load(kind, split):
        text = " ".join(t["user"] for t in item["turns"]) if kind == "conversations" else item["text"]
        out.append((f"{kind}_{split} {item['id']}", str(text)))
    return out


def test_no_evaluation_text_is_a_near_duplicate_of_training_data():
    pairs = sets.near_duplicates(sets.all_texts("dev") + sets.all_texts("test"), sets.training_texts())
    assert not pairs, (
        f"{len(pairs)} evaluation texts are near-duplicates of training examples; change or "
        f"remove the TRAINING example (evaluation sets stay as written; list: "
        f"python -m scripts.evaluation.sets):\n" + _show(pairs)
    )


@pytest.mark.parametrize("kind", sorted(sets.KINDS))
def test_dev_and_test_parts_are_apart(kind):
    pairs = sets.near_duplicates(_units(kind, "dev"), _units(kind, "test"))
    assert not pairs, "dev items near-duplicates of test items:\n" + _show(pairs)


@pytest.mark.parametrize("kind", sorted(sets.KINDS))
def test_labels_come_from_the_label_guide(kind):
    errors = [e for split in sets.SPLITS for e in sets.label_errors(kind, sets.load(kind, split))]
    assert not errors, "\n".join(errors[:30])


@pytest.mark.parametrize("kind", sorted(sets.KINDS))
def test_ids_are_unique_across_splits(kind):
    assert not sets.duplicate_ids(item for split in sets.SPLITS for item in sets.load(kind, split))


def test_label_guide_is_read():
    guide = sets.label_guide()
    assert {"report_crime", "kb_uomini_vittime", "affirm", "deny", "inform_contact"} <= guide["intent"]
    assert {"sextortion", "revenge_porn", "none"} <= guide["event"] and "event" not in guide["event"]
    assert guide["victim"] == {"io", "minore", "anziano", "disabile", "altra_persona", "none"}
    assert guide["danger"] == {"immediate", "not"}


# --- the checker itself ---------------------------------------------------------------------------

TRAINING = [
    ("train.yml", "il mio compagno mi picchia tutte le sere"),
    ("train.yml", "non lo so"),
    ("train.yml", "dove posso fare denuncia per una truffa online"),
]


def test_checker_finds_a_planted_near_duplicate_whatever_the_case_and_accents():
    planted = [("e1", "Il mio compagno mi picchià tutte le SERE!"), ("e2", "ho perso il treno per Cuneo stamattina")]
    pairs = sets.near_duplicates(planted, TRAINING)
    assert [(p[0], p[2]) for p in pairs] == [("e1", "train.yml")]


def test_checker_finds_a_reordered_or_slightly_changed_copy():
    pairs = sets.near_duplicates([("e1", "per una truffa online dove posso fare la denuncia")], TRAINING)
    assert len(pairs) == 1 and pairs[0][4] > sets.NEAR_DUPLICATE


def test_checker_ignores_short_answers_and_short_phrases_inside_long_stories():
    planted = [
        ("e1", "non lo so"),
        ("e2", "lo so che non dovrei scrivere qui ma il mio ex mi segue ovunque e ho paura di uscire di casa"),
    ]
    assert sets.near_duplicates(planted, TRAINING) == []


def test_vocabulary_check_rejects_unknown_expectations():
    assert sets.expectation_error("emergency") == ""
    assert sets.expectation_error("topic:kb_patrocinio") == ""
    assert sets.expectation_error("mentions:Novara") == ""
    assert sets.expectation_error("topic:kb_inventato")
    assert sets.expectation_error("mentions:")
    assert sets.expectation_error("emergenza")


def test_label_check_rejects_labels_not_in_the_guide():
    item = {
        "id": "x1",
        "text": "ciao",
        "intent": "saluto",
        "event": "none",
        "victim": "io",
        "gender": "none",
        "service": "none",
        "comune": "none",
        "danger": "not",
    }
    assert sets.label_errors("nlu", [item]) == ["nlu x1: intent 'saluto' is not in LABELS.md"]
    assert sets.duplicate_ids([{"id": "a"}, {"id": "b"}, {"id": "a"}]) == ["a"]


# --- the conversations' expectations on made-up replies -------------------------------------------


def test_expectations_on_made_up_replies():
    from scripts.evaluation.conversations import check

    emergency = "Se sei in pericolo adesso chiama subito il 112. Per violenza contro le donne c'è il 1522."
    assert check("emergency", emergency)[0] and check("number_1522", emergency)[0]
    assert not check("emergency", "Chiama lo 0112 345678")[0]
    assert check("crisis_line", "Telefono Amico 02 2327 2327")[0]
    assert check("number_antitratta", "Numero verde antitratta 800 290 290")[0]
    assert check("number_114", "Chiama il 19696")[0] and not check("number_114", "011 4567890")[0]
    assert not check("understood", "Scusa, non ho capito la risposta.")[0]
    assert check("asks_danger", "Prima di tutto: sei in pericolo in questo momento?")[0]
    assert check("not_asks_danger", "Chi ha subito il reato?")[0] and check("asks_who", "Chi ha subito il reato?")[0]
    assert check("mentions:Mondovì", "Ecco a chi puoi rivolgerti per Mondovi:")[0]
    assert not check("mentions:Bra", "Ecco i servizi per Brandizzo")[0]
    assert check("service_cav", "Centro Antiviolenza della Città di Torino")[0]
    assert check("no_service_cav", "Rete Dafne Torino")[0] and check("service_victim_support", "Rete Dafne Torino")[0]
    assert not check("no_location", "Indirizzo: corso Unione Sovietica 220/D")[0]
    assert check("no_location", "Indirizzo: non indicato nelle nostre fonti, chiedilo al telefono.")[0]
    assert not check("no_location", "Lei abita in via Roma 12, secondo piano")[0]
    assert check("no_location", "Nel corso di 3 giorni il pubblico ministero ti ascolta.")[0]
    assert not check("topic:kb_inventato", "qualsiasi")[0]


def test_a_topic_is_recognised_by_its_answer_not_by_its_button():
    from scripts.evaluation.conversations import check, vocabulary

    opening = vocabulary().topics["kb_patrocinio"][0]
    assert check("topic:kb_patrocinio", opening.capitalize() + " e altro testo.")[0]
    assert not check("topic:kb_patrocinio", "Scegli un argomento:\nDenuncia o querela\nAvvocato gratuito")[0]


# --- the ratchet ----------------------------------------------------------------------------------


def test_ratchet_fails_only_below_its_tolerance_and_never_goes_down():
    from scripts.evaluation import ratchet

    floor = {"tolerance": 0.01, "figures": {"intent_accuracy": 0.50, "comune_wrong": 3}}
    assert ratchet.regressions({"intent_accuracy": 0.495, "comune_wrong": 3}, floor) == []
    assert ratchet.regressions({"intent_accuracy": 0.48}, floor) == ["intent_accuracy: 0.4800 < ratchet 0.5000 - 0.01"]
    assert ratchet.regressions({"comune_wrong": 4}, floor) == ["comune_wrong: 4 > ratchet 3 (may not rise)"]
    raised, changes = ratchet.raised({"intent_accuracy": 0.45, "comune_wrong": 1, "event_accuracy": 0.3}, floor)
    assert raised["figures"] == {"intent_accuracy": 0.50, "comune_wrong": 1, "event_accuracy": 0.3}
    assert len(changes) == 2 and floor["figures"]["comune_wrong"] == 3  # the input is left as it was


def test_committed_ratchet_is_well_formed():
    from scripts.evaluation import ratchet

    data = ratchet.load()
    assert 0 < data["tolerance"] <= 0.03  # small: one conversation of 36 (0.028) or a few messages of 300
    assert set(data["figures"]) <= set(ratchet.TARGETS) | {
        "event_accuracy_all",
        "victim_accuracy_all",
        "conversations_pass_rate",
    }
