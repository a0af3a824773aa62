"""The independent evaluation sets (tests/eval), the training data they must stay apart from, and the
checks on both: labels from the label guide, unique ids, a closed vocabulary of expectations, and no
near-duplicates (token-set similarity above 0.9 after lower-casing and removing accents)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Dict, Iterable, List, Sequence, Tuple

import yaml

from assistant import nlu_data

ROOT = Path(__file__).resolve().parents[2]
EVAL_DIR = ROOT / "tests" / "eval"
LABELS_FILE = EVAL_DIR / "LABELS.md"
KINDS = {"danger": "messages", "nlu": "messages", "conversations": "conversations"}
SPLITS = ("dev", "test")
NEAR_DUPLICATE = 90  # rapidfuzz token_set_ratio (0-100): above it two texts are near-duplicates
MIN_WORDS = 4  # shorter texts ("sì", "non lo so", "Biella") are common to every set: not compared

# Fields of the danger set, defined in the header of its source file (tests/eval/danger.yml, split since).
DANGER_LABELS = {
    "danger": {"immediate", "not"},
    "kind": {"violence", "self_harm", "none"},
    "person": {"writer", "third"},
    "note": {"uncertain"},
}
# Expectations of the conversations: the closed vocabulary of their writers' brief.
EXPECTATIONS = {
    "emergency",
    "number_1522",
    "number_114",
    "number_antitratta",
    "crisis_line",
    "understood",
    "no_goodbye",
    "asks_danger",
    "asks_what",
    "asks_who",
    "asks_comune",
    "not_asks_danger",
    "not_asks_what",
    "not_asks_who",
    "not_asks_comune",
    "service_cav",
    "service_victim_support",
    "service_social",
    "service_postale",
    "no_service_cav",
    "declines_location",
    "no_location",
}


def load(kind: str, split: str) -> List[Dict]:
    """The items (messages or conversations) of one split of one set."""
    data = yaml.safe_load((EVAL_DIR / f"{kind}_{split}.yml").read_text(encoding="utf-8"))
    return data[KINDS[kind]]


@lru_cache(maxsize=None)
def label_guide() -> Dict[str, frozenset]:
    """Allowed labels per field, read from LABELS.md: its §1 table (intents) and the `backticked`
    words of §2-§6 (the field's own name in the heading excluded)."""
    sections = re.split(r"^## ", LABELS_FILE.read_text(encoding="utf-8"), flags=re.M)
    by_number = {s.split(".", 1)[0]: s for s in sections if s[:1].isdigit()}
    fields = {"1": "intent", "2": "event", "3": "victim", "4": "gender", "5": "service", "6": "danger"}
    guide = {}
    for number, field in fields.items():
        section = by_number[number]
        if field == "intent":
            words = re.findall(r"^\|\s*`([a-z_]+)`(?:\s*/\s*`([a-z_]+)`)?", section, flags=re.M)
            guide[field] = frozenset(w for pair in words for w in pair if w)
        else:
            heading, body = section.split("\n", 1)
            guide[field] = frozenset(re.findall(r"`([a-z_]+)`", body)) - {field}
    return guide


def label_errors(kind: str, items: Sequence[Dict]) -> List[str]:
    """Labels not in the guide, missing fields, expectations outside the vocabulary."""
    errors = []
    guide = label_guide()
    for item in items:
        where = f"{kind} {item.get('id')}"
        if kind == "nlu":
            for field in ("intent", "event", "victim", "gender", "service", "danger"):
                if item.get(field) not in guide[field]:
                    errors.append(f"{where}: {field} {item.get(field)!r} is not in LABELS.md")
            if not isinstance(item.get("comune"), str) or not item["comune"].strip():
                errors.append(f"{where}: comune must be a name or 'none'")
        elif kind == "danger":
            for field, allowed in DANGER_LABELS.items():
                if (field in item or field != "note") and item.get(field) not in allowed:
                    errors.append(f"{where}: {field} {item.get(field)!r} is not one of {sorted(allowed)}")
        else:
            if not item.get("turns"):
                errors.append(f"{where}: no turns")
            for number, turn in enumerate(item.get("turns") or [], 1):
                if not str(turn.get("user") or "").strip():
                    errors.append(f"{where} turn {number}: empty user text")
                for expectation in turn.get("expect") or []:
                    problem = expectation_error(str(expectation))
                    if problem:
                        errors.append(f"{where} turn {number}: {problem}")
        if kind != "conversations" and not str(item.get("text") or "").strip():
            errors.append(f"{where}: empty text")
    return errors


def expectation_error(expectation: str) -> str:
    """'' when the expectation is in the vocabulary, else why not."""
    if expectation in EXPECTATIONS:
        return ""
    if expectation.startswith("topic:"):
        topic = expectation[len("topic:") :]
        return "" if topic.startswith("kb_") and topic in label_guide()["intent"] else f"unknown topic {topic!r}"
    if expectation.startswith("mentions:"):
        return "" if expectation[len("mentions:") :].strip() else "mentions: without a text"
    return f"unknown expectation {expectation!r}"


def duplicate_ids(items: Iterable[Dict]) -> List[str]:
    seen, repeated = set(), []
    for item in items:
        key = str(item.get("id"))
        if key in seen:
            repeated.append(key)
        seen.add(key)
    return repeated


def texts_of(kind: str, items: Sequence[Dict]) -> List[Tuple[str, str]]:
    """(where, text) for every user text of the items: messages, or each turn of a conversation."""
    if kind == "conversations":
        return [(f"{c['id']} turn {n}", str(t["user"])) for c in items for n, t in enumerate(c["turns"], 1)]
    return [(str(item["id"]), str(item["text"])) for item in items]


def rasa_examples(path: Path) -> List[Tuple[str, str]]:
    """(intent, text) for every example of a Rasa NLU file, entity markup removed."""
    return [(intent, text) for intent, _, texts in nlu_data.blocks(path) for text in texts]


def training_texts(root: Path = ROOT) -> List[Tuple[str, str]]:
    """(file, text) for every training example: intents of data/nlu/*.yml and the messages of
    data/danger/*.yml when that folder exists."""
    out = [
        (path.name, text) for path in sorted((root / "data" / "nlu").glob("*.yml")) for _, text in rasa_examples(path)
    ]
    danger_dir = root / "data" / "danger"
    for path in sorted(danger_dir.glob("*.yml")) if danger_dir.is_dir() else []:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        out.extend((f"danger/{path.name}", str(m["text"])) for m in data.get("messages") or [])
    return out


def plain(text: str) -> str:
    """Lower case, no accents (the near-duplicate comparison form)."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def near_duplicates(
    left: Sequence[Tuple[str, str]], right: Sequence[Tuple[str, str]], threshold: int = NEAR_DUPLICATE
) -> List[Tuple[str, str, str, str, float]]:
    """Pairs (left where, left text, right where, right text, score) that are near-duplicates:
    token-set similarity (rapidfuzz ``fuzz.token_set_ratio``, lower case, no accents) above
    `threshold`, between texts of at least MIN_WORDS distinct words whose word counts are within a
    factor 2. The two guards keep the measure on copies: "sì", "no" or "Biella" are the same in every
    set, and token_set_ratio is 100 whenever one word set contains the other ("non lo so" inside a
    forty-word story is not a copy of it)."""
    from rapidfuzz import fuzz, process

    def prepared(items):
        out = {}
        for where, text in items:
            key = plain(text)
            count = len(set(key.split()))
            if count >= MIN_WORDS:
                out.setdefault(count, []).append((where, text, key))
        return out

    left_by, right_by = prepared(left), prepared(right)
    pairs = []
    for count, lefts in sorted(left_by.items()):
        # only texts whose word counts are within a factor 2 of each other are compared
        rights = [r for c, group in right_by.items() if 2 * min(c, count) >= max(c, count) for r in group]
        if not rights:
            continue
        scores = process.cdist(
            [k for _, _, k in lefts],
            [k for _, _, k in rights],
            scorer=fuzz.token_set_ratio,
            score_cutoff=threshold + 1e-6,
            workers=-1,
        )
        for i, j in zip(*scores.nonzero()):
            pairs.append((lefts[i][0], lefts[i][1], rights[j][0], rights[j][1], float(scores[i, j])))
    return pairs


def all_texts(split: str) -> List[Tuple[str, str]]:
    """(where, text) for every message and conversation turn of one split of every set."""
    return [(f"{kind}_{split} {where}", text) for kind in KINDS for where, text in texts_of(kind, load(kind, split))]


if __name__ == "__main__":  # python -m scripts.evaluation.sets: the training examples to change
    found = near_duplicates(all_texts("dev") + all_texts("test"), training_texts())
    for where, _text, source, example, score in sorted(found, key=lambda p: (p[2], p[3])):
        print(f"data/{'' if source.startswith('danger/') else 'nlu/'}{source}: {example!r} ~ {where} ({score:.0f})")
    print(f"{len({(p[2], p[3]) for p in found})} training examples to change or remove ({len(found)} pairs)")
