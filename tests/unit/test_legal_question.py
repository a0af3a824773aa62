"""A story that asks a question about the law gets the knowledge topic (assistant.legal_question)."""

import pytest

from assistant import legal_question


@pytest.mark.parametrize(
    "text, asks",
    [
        ("mio marito beve e mi minaccia, si può farlo allontanare da casa?", True),
        ("il mio ex mi perseguita, l'ammonimento funziona in questi casi", True),
        ("mi ha picchiata di nuovo stanotte", False),
        ("mio marito mi picchia, cosa devo fare?", False),
        ("mia figlia è maltrattata dal marito, io che posso fare?", False),
    ],
)
def test_a_question_about_the_law_not_what_to_do(text, asks):
    assert legal_question.is_question(text) == asks


@pytest.mark.parametrize(
    "text, topic",
    [
        ("il mio compagno mi picchia, posso avere un avvocato gratis anche se lavoro?", "kb_patrocinio"),
        (
            "mi ha mandata all'ospedale, l'ho ripreso col telefono, possono arrestarlo dopo col video?",
            "kb_arresto_differito",
        ),
    ],
)
def test_the_topic_a_story_asks_about(text, topic):
    assert legal_question.topic_asked(text) == topic


def test_a_story_without_a_question_has_no_topic():
    assert legal_question.topic_asked("il mio ex mi segue ovunque e mi aspetta sotto casa") is None


def test_would_fall_back_follows_the_settings_of_config_yml():
    threshold, ambiguity = legal_question.fallback_settings()
    assert 0 < ambiguity < threshold < 1
    below = [{"name": "kb_patrocinio", "confidence": threshold - 0.01}]
    clear = [{"name": "kb_patrocinio", "confidence": threshold + 0.2}, {"name": "kb_minori", "confidence": 0.0}]
    tie = [
        {"name": "kb_patrocinio", "confidence": threshold + 0.2},
        {"name": "kb_minori", "confidence": threshold + 0.2},
    ]
    assert legal_question.would_fall_back(below) and legal_question.would_fall_back(tie)
    assert legal_question.would_fall_back([])
    assert not legal_question.would_fall_back(clear)


@pytest.mark.parametrize(
    "text",
    [
        "mio marito mi picchia, esiste un posto dove andare?",
        "lui mi picchia tutti i giorni, posso andare via di casa con i bambini?",
    ],
)
def test_a_story_of_violence_asking_where_to_go_stays_a_story(text):
    assert legal_question.topic_asked(text) is None
