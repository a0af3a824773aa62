"""The evaluation conversations over REST: each user turn is sent to a running Rasa server
(``POST /webhooks/rest/webhook``, a fresh sender per conversation) and the bot's reply to it is
checked against the turn's expectations (the closed vocabulary of tests/eval/conversations_*.yml).

The texts the expectations look for are read from the project's own files at run time (the question
texts of the triage in domain.yml, its goodbye, knowledge titles, the refusal of
content/practical.yml, service names of data/directory), so rewording a question does not break them.
"""

from __future__ import annotations

import csv
import json
import re
import urllib.error
import urllib.request
import uuid
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from assistant import content
from scripts.evaluation.sets import ROOT

NOT_UNDERSTOOD = ("non ho capito", "non sono sicuro di aver capito", "non sono sicura di aver capito")
QUESTIONS = {
    "danger": "utter_ask_pericolo",
    "what": "utter_ask_cosa_successo",
    "who": "utter_ask_chi_vittima",
    "comune": "utter_ask_comune",
}
QUESTION_WORDS = 5  # a question is recognised by the first words of its question sentence
ADDRESS = re.compile(
    r"\b(?:via|viale|corso|c\.so|piazza|p\.za|p\.zza|piazzale|largo|vicolo|strada|str\.|contrada|borgata|"
    r"lungo\w+|localita|frazione|loc\.)\s+(?:[\w'.]+\s+){0,5}\d+(?:\s*/\s*\w+)?\b"
    r"(?!\s*(?:giorni|ore|anni|mesi|settimane|minuti|volte|euro|km|%))",
    re.I,
)
ADDRESS_LINE = re.compile(r"\bindirizzo\s*:\s*(?!non )\S", re.I)


def plain(text: str) -> str:
    from assistant.text import normalise

    return normalise(text)


def _words(text: str, count: int) -> str:
    return " ".join(plain(text).split()[:count])


def _question_sentence(text: str) -> str:
    """ "Prima di tutto: sei in pericolo in questo momento?" -> "sei in pericolo in questo momento"."""
    sentence = next((s for s in re.split(r"(?<=[?.!])\s+", text.strip()) if s.endswith("?")), text)
    return sentence.split(":", 1)[-1]


def _responses(name: str) -> List[str]:
    variants = content.domain().get("responses", {}).get(name) or []
    return [v["text"] for v in variants if v.get("text")]


def _csv_names(filename: str) -> List[str]:
    path = ROOT / "data" / "directory" / filename
    if not path.exists():
        return []
    with open(path, encoding="utf-8", newline="") as handle:
        return [plain(row["nome"]) for row in csv.DictReader(handle) if row.get("nome")]


def _openings(topic: Dict) -> List[str]:
    """How an answer on a topic is recognised: the opening words of its summary (and of any other
    summary variant or its details). Its title alone is not enough: titles are also the buttons of
    related topics and of the fallback menu."""
    texts = [v for k, v in topic.items() if isinstance(v, str) and (k.startswith("summary") or k == "details")]
    texts += [case["text"] for case in topic.get("cases") or []]  # follow-up answers for another case
    return [_words(t, 8) for t in texts if t.strip()]


@dataclass
class Vocabulary:
    """What each expectation looks for, read from the project's files."""

    questions: Dict[str, List[str]]
    goodbye: List[str]
    cav_names: List[str]
    victim_support_names: List[str]
    topics: Dict[str, List[str]]  # kb intent -> openings of its answer texts
    locate_refusal: Optional[str]

    @classmethod
    def from_project(cls) -> "Vocabulary":
        knowledge = content.load("knowledge")
        text = (content.load("practical").get("locate") or {}).get("text")
        locate = _words(re.split(r"(?<=[.!?])\s+", text.strip())[0], 8) if text else None
        return cls(
            questions={
                key: [_words(_question_sentence(t), QUESTION_WORDS) for t in _responses(name)]
                for key, name in QUESTIONS.items()
            },
            goodbye=[_words(re.split(r"(?<=[.!?])\s+", t.strip())[0], 8) for t in _responses("utter_goodbye")],
            cav_names=_csv_names("centri_antiviolenza_piemonte.csv"),
            victim_support_names=_csv_names("servizi_vittime_piemonte.csv"),
            topics={f"kb_{key}": _openings(topic) for key, topic in knowledge["topics"].items()},
            locate_refusal=locate,
        )


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    return Vocabulary.from_project()


def _contains(reply_plain: str, phrase: str) -> bool:
    return bool(phrase) and re.search(r"(?<!\w)" + re.escape(phrase) + r"(?!\w)", reply_plain) is not None


def _number(pattern: str) -> Callable[[str], bool]:
    compiled = re.compile(r"(?<![\d])" + pattern + r"(?![\d])")
    return lambda reply: compiled.search(reply) is not None


_NUMBERS = {
    "emergency": _number(r"112"),
    "number_1522": _number(r"1522"),
    "number_114": lambda reply: _number(r"114")(reply) or _number(r"19696")(reply),
    "number_antitratta": _number(r"800[\s.]?290[\s.]?290"),
    "crisis_line": _number(r"02[\s.]?2327[\s.]?2327"),
}


def check(expectation: str, reply: str, vocab: Optional[Vocabulary] = None) -> Tuple[bool, str]:
    """(met, why not) for one expectation on the bot's whole reply to one turn."""
    vocab = vocab or vocabulary()
    low = plain(reply)
    if expectation in _NUMBERS:
        return _NUMBERS[expectation](reply), "number not in the reply"
    if expectation == "understood":
        return not any(p in low for p in NOT_UNDERSTOOD), "the reply says it did not understand"
    if expectation == "no_goodbye":
        return not any(_contains(low, g) for g in vocab.goodbye), "the reply is the goodbye"
    for prefix, wanted in (("asks_", True), ("not_asks_", False)):
        if expectation.startswith(prefix) and expectation[len(prefix) :] in vocab.questions:
            asked = any(_contains(low, q) for q in vocab.questions[expectation[len(prefix) :]])
            return asked == wanted, "question not asked" if wanted else "question asked"
    if expectation == "service_cav":
        return _contains(low, "centro antiviolenza") or any(
            _contains(low, n) for n in vocab.cav_names
        ), "no anti-violence centre"
    if expectation == "no_service_cav":
        return not check("service_cav", reply, vocab)[0], "an anti-violence centre was proposed"
    if expectation == "service_victim_support":
        return any(_contains(low, n) for n in vocab.victim_support_names), "no victim-support desk"
    if expectation == "service_social":
        return "Servizi sociali" in reply, "no social services"
    if expectation == "service_postale":
        return "Polizia Postale" in reply, "no Polizia Postale"
    if expectation.startswith("topic:"):
        openings = vocab.topics.get(expectation[len("topic:") :])
        if not openings:
            return False, "topic not in content/knowledge.yml"
        return any(_contains(low, o) for o in openings), "the topic's answer is not in the reply"
    if expectation.startswith("mentions:"):
        return _contains(low, plain(expectation[len("mentions:") :])), "not mentioned"
    if expectation == "declines_location":
        if not vocab.locate_refusal:
            return False, "content/practical.yml has no locate refusal"
        return _contains(low, vocab.locate_refusal), "no refusal to locate"
    if expectation == "no_location":
        return not (ADDRESS.search(reply) or ADDRESS_LINE.search(reply)), "the reply contains an address"
    return False, f"unknown expectation {expectation!r}"


def reply_text(messages: Sequence[Dict]) -> str:
    """All the bot's texts for one user message, joined (buttons' titles included)."""
    out = []
    for message in messages:
        out.append(message.get("text") or "")
        out.extend(b.get("title", "") for b in message.get("buttons") or [])
    return "\n".join(t for t in out if t)


def rest_sender(base_url: str, timeout: float = 60) -> Callable[[str, str], str]:
    """say(sender, text) -> the reply text, over the REST channel of a running server."""

    def say(sender: str, text: str) -> str:
        body = json.dumps({"sender": sender, "message": text}).encode()
        request = urllib.request.Request(
            base_url.rstrip("/") + "/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return reply_text(json.loads(response.read()))

    return say


@dataclass
class Result:
    id: str
    passed: bool
    failures: List[Dict] = field(default_factory=list)  # turn, user, expectation, why, reply
    checked: List[Tuple[str, bool]] = field(default_factory=list)  # (expectation kind, met)


def run_conversation(say: Callable[[str, str], str], conversation: Dict) -> Result:
    sender = f"eval-{conversation['id']}-{uuid.uuid4().hex[:10]}"
    result = Result(str(conversation["id"]), True)
    for number, turn in enumerate(conversation["turns"], 1):
        try:
            reply = say(sender, str(turn["user"]))
        except (OSError, urllib.error.URLError, ValueError) as error:
            reply, broken = "", f"no reply: {error}"
        else:
            broken = ""
        for expectation in turn.get("expect") or []:
            met, why = (False, broken) if broken else check(str(expectation), reply)
            result.checked.append((str(expectation).split(":", 1)[0], met))
            if not met:
                result.passed = False
                result.failures.append(
                    {"turn": number, "user": turn["user"], "expectation": expectation, "why": why, "reply": reply}
                )
    return result


def summarise(results: Sequence[Result], show_text: bool = False) -> Dict:
    """Pass rate and per-expectation rates; the failing turn's user text only when show_text (dev)."""
    per_expectation: Dict[str, List[int]] = {}
    for result in results:
        for kind, met in result.checked:
            counts = per_expectation.setdefault(kind, [0, 0])
            counts[0] += int(met)
            counts[1] += 1
    failing = Counter(f"{f['expectation']}".split(":", 1)[0] for r in results for f in r.failures)
    passed = sum(r.passed for r in results)
    return {
        "conversations": len(results),
        "passed": passed,
        "pass_rate": round(passed / len(results), 4) if results else 0.0,
        "per_expectation": {
            k: {"met": m, "of": n, "rate": round(m / n, 4)} for k, (m, n) in sorted(per_expectation.items())
        },
        "most_failed": failing.most_common(8),
        "failed": [
            {
                "id": r.id,
                "first_failure": {
                    k: v for k, v in r.failures[0].items() if k != "reply" and (show_text or k != "user")
                },
            }
            for r in results
            if not r.passed
        ],
    }


def run_all(
    say: Callable[[str, str], str], conversations: Sequence[Dict], show_text: bool = False
) -> Tuple[List[Result], Dict]:
    results = [run_conversation(say, c) for c in conversations]
    return results, summarise(results, show_text)


def format_results(results: Sequence[Result], summary: Dict, show_text: bool) -> str:
    """Per conversation pass/fail with the failing turn and expectation (texts only when show_text:
    never for the test split)."""
    lines = []
    for r in results:
        if r.passed:
            lines.append(f"  PASS {r.id}")
            continue
        f = r.failures[0]
        more = f" (+{len(r.failures) - 1} more)" if len(r.failures) > 1 else ""
        lines.append(f"  FAIL {r.id} turn {f['turn']}: {f['expectation']} - {f['why']}{more}")
        if show_text:
            lines.append(f"       user: {f['user']!r}")
            lines.append(f"       bot:  {f['reply'][:300]!r}")
    lines.append(f"  passed {summary['passed']}/{summary['conversations']} ({summary['pass_rate']:.2f})")
    lines.append(
        "  per expectation: " + ", ".join(f"{k} {v['met']}/{v['of']}" for k, v in summary["per_expectation"].items())
    )
    return "\n".join(lines)


@contextmanager
def running_servers(log_dir: Optional[Path] = None):
    """The action server and the Rasa server of `make run` (python -m assistant.serve), on free ports with a fresh
    SQLite tracker store and directory; yields the Rasa base URL; stops both afterwards."""
    import tempfile

    from assistant import serve  # the same launcher as `make run` and the conversation tests
    from assistant.directory import loader

    tmp = Path(log_dir or tempfile.mkdtemp(prefix="sv-eval-"))
    tmp.mkdir(parents=True, exist_ok=True)
    env = {
        "SV_RASA_PORT": str(serve.free_port()),
        "SV_ACTIONS_PORT": str(serve.free_port()),
        "SV_WEB_PORT": str(serve.free_port()),
        "SV_CONSOLE_PORT": str(serve.free_port()),
        "SV_TRACKER_URL": f"sqlite:///{tmp}/tracker.db",
        "SV_DATABASE_URL": f"sqlite:///{tmp}/sportello.db",
    }
    loader.load(env["SV_DATABASE_URL"])
    procs = serve.start(env_extra=env, log_dir=tmp, only=["actions", "rasa"])
    try:
        base = f"http://127.0.0.1:{env['SV_RASA_PORT']}"
        if not (
            serve.wait_ready(f"{base}/webhooks/rest/", 300, list(procs.values()))
            and serve.wait_ready(f"http://127.0.0.1:{env['SV_ACTIONS_PORT']}/health", 60, list(procs.values()))
        ):
            logs = "\n".join((tmp / f"{n}.log").read_text(errors="replace")[-2000:] for n in procs)
            raise RuntimeError(f"the servers did not start:\n{logs}")
        yield base
    finally:
        serve.stop(procs)
