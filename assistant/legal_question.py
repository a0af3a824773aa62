"""Which knowledge topic a story asks about, when it asks one (issue 13).

"Mio marito beve e mi minaccia, si può farlo allontanare da casa?" tells a story *and* asks a question about
the law. The intent classifier, trained on many more stories than questions, calls such messages
`report_crime` with near certainty, and the person gets the triage instead of the answer they asked for.
This second opinion is a small classifier (word and character n-grams, logistic regression, as in
assistant/danger_model.py) trained on the `kb_*` examples of data/nlu against the `report_crime` ones; it
is asked only when the message is a question and not a plain "cosa devo fare?", and its topic is taken
only above ``THRESHOLD`` and when it is more likely than a plain story. The answer is the topic's; a
topic about violence carries the 112/1522 line, and the topic's buttons lead to the services.
Trained in process at start-up (a few seconds, deterministic): no model file to ship.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Dict, List, Optional, Tuple

from assistant import content, nlu_data, triage
from assistant.settings import PROJECT_ROOT
from assistant.text import normalise

NLU_DIR = PROJECT_ROOT / "data" / "nlu"
KB_PREFIX = "kb_"
STORY = "report_crime"
# Chosen on the dev split of tests/eval (never the test split): see docs/evaluation.md.
THRESHOLD = 0.25  # a story the intent classifier is sure of: the question's topic when at least this likely
UNSURE_THRESHOLD = 0.4  # a question the intent classifier is unsure of (it would fall back): "non ho capito"
VIOLENCE_THRESHOLD = 0.5  # a story of violence: the topic must be clearly asked, else the triage (danger first)
VIOLENCE = ("violenza_domestica", "violenza_sessuale", "stalking")
SURE_THRESHOLD = 0.85  # a question that a practical answer would take ("l'avvocato d'ufficio lo devo pagare?")

_QUESTION = re.compile(
    r"\b(posso|possiamo|puo|possono|si puo|ho diritto|abbiamo diritto|ha diritto|e reato|e legale|e normale|"
    r"funziona|vale|serve|bisogna|conta|spetta|spettano|rischia|succede|esiste|esistono|c e una legge|"
    r"chi (ce|me|ci|mi|gli|le) \w+|veniamo|vengo|verro|mi avvisano|ci avvisano)\b"
)
# "what shall I do?" asks for help with the story: the triage answers it
_WHAT_TO_DO = re.compile(
    r"\b(cosa|che) (devo|posso|dovrei|potrei|dobbiamo|possiamo|si puo|faccio|facciamo|fare)( fare)?\b|"
    r"\bcome (mi )?(devo )?comportar|\baiutatemi\b|\bcome posso aiutar"
)


def is_question(text: str) -> bool:
    """A question about what the law allows or gives, not "cosa devo fare?"."""
    plain = normalise(text)
    if not plain or _WHAT_TO_DO.search(plain):
        return False
    return "?" in text or bool(_QUESTION.search(plain))


@lru_cache(maxsize=1)
def _model():
    texts, labels = [], []
    for intent, text in nlu_data.examples(NLU_DIR):
        if text.startswith("/"):
            continue
        if intent.startswith(KB_PREFIX) or intent == STORY:
            texts.append(text)
            labels.append(intent)
    model = triage.text_classifier()
    model.fit(texts, labels)
    return model


def best_topic(text: str) -> Tuple[Optional[str], float, float]:
    """The most likely knowledge intent for `text`, its probability and the probability of a story
    (None, 0 when the model has no topic)."""
    model = _model()
    probabilities = dict(zip(model.classes_, model.predict_proba([text])[0]))
    topics = [k for k in probabilities if k.startswith(KB_PREFIX)]
    story = float(probabilities.get(STORY, 0.0))
    if not topics:
        return None, 0.0, story
    best = max(topics, key=lambda k: probabilities[k])
    return best, float(probabilities[best]), story


def topic_asked(text: str, threshold: float = THRESHOLD) -> Optional[str]:
    """The kb_* intent a story asks about ("…si può farlo allontanare da casa?"), or None. The topic must
    also be more likely than a plain story ("mio marito mi picchia, esiste un posto dove andare?" stays a
    story: the triage asks about danger and finds the services)."""
    if not is_question(text):
        return None
    topic, probability, story = best_topic(text)
    if triage.classify_event(text) in VIOLENCE:
        threshold = max(threshold, VIOLENCE_THRESHOLD)  # a wrong topic would skip the danger question
    return topic if probability >= threshold and probability > story else None


def would_fall_back(ranking: List[Dict]) -> bool:
    """True when the FallbackClassifier will answer "non ho capito" to this intent ranking."""
    threshold, ambiguity = fallback_settings()
    confidences = sorted((item.get("confidence") or 0.0 for item in ranking), reverse=True)
    if not confidences:
        return True
    top = confidences[0]
    return top < threshold or (len(confidences) > 1 and top - confidences[1] < ambiguity)


@lru_cache(maxsize=1)
def fallback_settings() -> Tuple[float, float]:
    """The FallbackClassifier's threshold and ambiguity threshold, read from config.yml (their one home)."""
    pipeline = content.read_yaml(PROJECT_ROOT / "config.yml")["pipeline"]
    fallback = next(component for component in pipeline if component["name"] == "FallbackClassifier")
    return float(fallback["threshold"]), float(fallback["ambiguity_threshold"])


def warm() -> None:
    """Train now (at start-up) instead of on the first message that needs the model."""
    _model()
