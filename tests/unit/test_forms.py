"""The forms' decisions over plain data (assistant.forms), without rasa_sdk."""

from assistant import answers, forms, triage
from assistant.forms import Turn


def test_a_button_payload_is_not_words():
    assert Turn(text="/affirm").words == "" and Turn(text="sì").words == "sì"


def test_knowledge_and_side_requests_are_not_answers():
    assert not Turn(intent="kb_patrocinio").is_answer and not Turn(intent="thank").is_answer
    assert Turn(intent="inform").is_answer and Turn(intent="nlu_fallback").is_answer


def test_danger_answer():
    assert forms.extract_pericolo(Turn("emergency", "aiuto", slots={"requested_slot": "comune"})) == {"pericolo": "si"}
    assert forms.extract_pericolo(Turn("inform", "non lo so", slots={"requested_slot": "pericolo"})) == {
        "pericolo": answers.MAYBE
    }
    assert forms.extract_pericolo(Turn("skip_question", "/skip_question", slots={"requested_slot": "pericolo"})) == {
        "pericolo": triage.SKIPPED
    }
    assert forms.extract_pericolo(Turn("deny", "no", slots={"requested_slot": "cosa_successo"})) == {}


def test_an_unclassified_story_takes_the_generic_route():
    turn = Turn("inform", "è successa una cosa strana al mercato", slots={"requested_slot": "cosa_successo"})
    assert forms.extract_cosa_successo(turn) == {"cosa_successo": "altro"}
    assert forms.extract_cosa_successo(Turn("affirm", "sì", slots={"requested_slot": "cosa_successo"})) == {}


def test_asked_at_most_twice():
    open_question = {"requested_slot": "cosa_successo"}
    first = forms.after_form(Turn("out_of_scope", "boh", slots=open_question), [], answered_otherwise=False)
    assert first.messages == [{"response": "utter_ask_rephrase"}]
    again = forms.after_form(Turn("out_of_scope", "boh", slots={**open_question, **dict(first.slots)}), [], False)
    assert again.messages == [{"response": "utter_question_skipped"}]
    assert again.slots[0] == ("cosa_successo", triage.SKIPPED)
    answered = forms.after_form(Turn(slots=open_question), [("cosa_successo", "furto")], False)
    assert answered.slots == [("triage_domanda", None), ("triage_ripetizioni", 0)] and answered.messages == []
    assert forms.after_form(Turn(), [], False).slots == []  # no question open


def test_handoff_consent():
    asked = {"requested_slot": "handoff_consent"}
    assert forms.handoff_consent_unanswered(Turn(slots={**asked, "handoff_consent": True})) is None
    assert forms.handoff_consent_unanswered(Turn(slots={"requested_slot": "handoff_contact"})) is None
    first = forms.handoff_consent_unanswered(Turn(slots=asked))
    assert first.messages == [{"response": "utter_ask_rephrase_yes_no"}]
    second = forms.handoff_consent_unanswered(Turn(slots={**asked, **dict(first.slots)}))
    assert ("handoff_consent", False) in second.slots


def test_side_answers():
    assert forms.side_answer(Turn("help", "aiuto?")).messages == [{"response": "utter_help"}]
    assert forms.side_answer(Turn("kb_more", "/kb_more")).messages[0]["buttons"]  # no topic yet: the menu
    assert forms.side_answer(Turn("inform", "ciao")).messages == []


def test_quoted_words_are_short_and_without_markup():
    assert forms.shown("<b>Bra</b>") == "bBra/b"
    assert forms.shown("x" * 80) == "x" * 60 + "…"


def test_reset_starts_from_the_first_question():
    cleared = dict(forms.reset())
    assert cleared["pericolo"] is None and cleared["triage_ripetizioni"] == 0
