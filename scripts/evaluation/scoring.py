"""Danger and NLU figures on the independent sets: the one home of the scoring used by
`make nlu-report` (scripts/nlu_report.py) and by the ratchet gate of `make test`.

What a triage reads from a message (event, victim, comune) comes from :func:`read`, a small adapter
over today's rules; switch it there when the learned classifiers land.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from scripts.evaluation.sets import ROOT

MODEL = ROOT / "models" / "sportello.tar.gz"
TARGETS = {  # issues 12 and 13: what resolves them (test split)
    "danger_recall": (">=", 1.00),
    "danger_precision": (">=", 0.90),
    "intent_accuracy": (">=", 0.95),
    "event_accuracy": (">=", 0.90),
    "victim_accuracy": (">=", 0.90),
    "comune_found_rate": (">=", 0.97),
    "comune_wrong": ("<=", 0),
}


# --- danger --------------------------------------------------------------------------------------


def _danger_functions():
    from assistant import safety

    assess = getattr(safety, "assess", None) or (lambda text: safety.is_immediate_danger(text) or None)
    try:
        from assistant.answers import read_danger_answer
    except ImportError:  # before the danger question understood words
        read_danger_answer = None
    return assess, read_danger_answer


def danger_predicted(item: Dict, assess=None, read_answer=None) -> bool:
    """Immediate danger as the assistant would act on it: the safety check, or, for an answer to
    "sei in pericolo in questo momento?" (the item's `context`), a yes-like or unsure answer."""
    if assess is None:
        assess, read_answer = _danger_functions()
    text = str(item["text"])
    if assess(text) is not None:
        return True
    return bool(item.get("context")) and read_answer is not None and read_answer(text) in ("si", "forse")


def _ratio(num: int, den: int) -> Optional[float]:
    return round(num / den, 4) if den else None


def score_danger(items: Sequence[Dict], with_misses: bool) -> Dict:
    """Recall and precision of immediate danger, per kind and per person. Items noted `uncertain`
    (the person does not know) are labelled `not` but counted apart: the product answers them with
    112 for safety, so they are neither a hit nor a false alarm."""
    assess, read_answer = _danger_functions()
    rows = []
    for item in items:
        rows.append((item, item["danger"] == "immediate", danger_predicted(item, assess, read_answer)))
    scored = [r for r in rows if r[0].get("note") != "uncertain"]

    def figures(subset):
        tp = sum(1 for _, gold, pred in subset if gold and pred)
        fn = sum(1 for _, gold, pred in subset if gold and not pred)
        fp = sum(1 for _, gold, pred in subset if not gold and pred)
        return {
            "immediate": tp + fn,
            "not": len(subset) - tp - fn,
            "caught": tp,
            "missed": fn,
            "false_alarms": fp,
            "recall": _ratio(tp, tp + fn),
            "precision": _ratio(tp, tp + fp),
        }

    out = figures(scored)
    out["messages"] = len(items)
    out["per_kind"] = {k: figures([r for r in scored if r[0]["kind"] == k]) for k in ("violence", "self_harm")}
    out["per_person"] = {p: figures([r for r in scored if r[0]["person"] == p]) for p in ("writer", "third")}
    uncertain = [r for r in rows if r[0].get("note") == "uncertain"]
    out["uncertain"] = {"messages": len(uncertain), "answered_as_danger": sum(1 for r in uncertain if r[2])}
    if with_misses:
        out["misses"] = [
            {"id": i["id"], "text": i["text"], "kind": i["kind"], "context": i.get("context")}
            for i, gold, pred in scored
            if gold and not pred
        ]
        out["false_alarm_texts"] = [{"id": i["id"], "text": i["text"]} for i, gold, pred in scored if pred and not gold]
    return out


# --- what a triage reads from a message ----------------------------------------------------------


def read(text: str, parse: Dict) -> Dict[str, Optional[str]]:
    """Event, victim and comune as the triage form reads them from one message (see actions/triage.py).
    The one place to switch to the learned classifiers."""
    from assistant import triage
    from assistant.directory import FOUND, OUTSIDE, find_in_text, resolve

    entity = next((e.get("value") for e in parse.get("entities") or [] if e.get("entity") == "comune"), None)
    intent = (parse.get("intent") or {}).get("name")
    found = resolve(entity) if entity else find_in_text(text)
    if found is None and intent == "inform_comune" and len(text.split()) <= 4:
        found = resolve(text)
    comune = None
    if found is not None and found.status == FOUND:
        # a locality: the product names the nearest comune for distances only and says so, claiming no comune
        comune = None if found.via == "locality" else found.comune["nome"]
    elif found is not None and found.status == OUTSIDE and found.candidates:
        comune = found.candidates[0]["nome"]
    return {
        "event": triage.classify_event(text) or "none",
        "victim": triage.classify_victim(text) or "none",
        "comune": comune,
        "comune_status": found.status if found is not None else None,
    }


# --- NLU -----------------------------------------------------------------------------------------


def load_agent(model: Path = MODEL):
    from rasa.core.agent import Agent

    return Agent.load(str(model))


def parse_all(agent, texts: Sequence[str]) -> List[Dict]:
    async def run():
        return [await agent.parse_message(t) for t in texts]

    return asyncio.run(run())


def _same_place(a: Optional[str], b: Optional[str]) -> bool:
    from assistant.text import normalise

    return a is not None and b is not None and normalise(a) == normalise(b)


def worst_confusions(gold: Sequence[str], pred: Sequence[str], top: int = 8) -> List[List]:
    return [[g, p, n] for (g, p), n in Counter((g, p) for g, p in zip(gold, pred) if g != p).most_common(top)]


def score_nlu(items: Sequence[Dict], parses: Sequence[Dict], with_errors: bool) -> Dict:
    """Intent accuracy and per-intent P/R/F1, event and victim accuracy (over messages with a gold
    label other than `none`, and overall), comune found when present and wrong comuni."""
    from sklearn.metrics import classification_report

    gold_intents = [i["intent"] for i in items]
    pred_intents = [(p.get("intent") or {}).get("name") or "none" for p in parses]
    reads = [read(str(i["text"]), p) for i, p in zip(items, parses)]
    out: Dict = {"messages": len(items)}
    out["intent_accuracy"] = _ratio(sum(g == p for g, p in zip(gold_intents, pred_intents)), len(items))
    report = classification_report(gold_intents, pred_intents, output_dict=True, zero_division=0)
    out["per_intent"] = {
        k: {m: round(v[m], 4) for m in ("precision", "recall", "f1-score")} | {"support": int(v["support"])}
        for k, v in sorted(report.items())
        if isinstance(v, dict) and k not in ("macro avg", "weighted avg")
    }
    out["intent_confusions"] = worst_confusions(gold_intents, pred_intents)
    for field in ("event", "victim"):
        gold = [i[field] for i in items]
        pred = [r[field] for r in reads]
        labelled = [(g, p) for g, p in zip(gold, pred) if g != "none"]
        out[f"{field}_accuracy"] = _ratio(sum(g == p for g, p in labelled), len(labelled))
        out[f"{field}_accuracy_all"] = _ratio(sum(g == p for g, p in zip(gold, pred)), len(gold))
        out[f"{field}_labelled"] = len(labelled)
        out[f"{field}_confusions"] = worst_confusions(gold, pred)
    present = [(i, r) for i, r in zip(items, reads) if i["comune"] != "none"]
    out["comune_present"] = len(present)
    out["comune_found_rate"] = _ratio(sum(_same_place(i["comune"], r["comune"]) for i, r in present), len(present))
    wrong = [(i, r) for i, r in zip(items, reads) if r["comune"] and not _same_place(i["comune"], r["comune"])]
    out["comune_wrong"] = len(wrong)
    out["comune_ambiguous"] = sum(1 for r in reads if r["comune_status"] == "ambiguous")
    if with_errors:
        out["errors"] = [
            {
                "id": i["id"],
                "text": i["text"],
                "intent": [i["intent"], pi],
                "event": [i["event"], r["event"]],
                "victim": [i["victim"], r["victim"]],
                "comune": [i["comune"], r["comune"]],
            }
            for i, pi, r in zip(items, pred_intents, reads)
            if i["intent"] != pi
            or i["event"] != r["event"]
            or i["victim"] != r["victim"]
            or (i["comune"] != "none") != bool(r["comune"])
            or (r["comune"] and not _same_place(i["comune"], r["comune"]))
        ]
    out["_gold_intents"], out["_pred_intents"] = gold_intents, pred_intents
    return out


def confusion_png(gold: Sequence[str], pred: Sequence[str], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import confusion_matrix

    labels = sorted(set(gold) | set(pred))
    matrix = confusion_matrix(gold, pred, labels=labels)
    size = max(8.0, 0.32 * len(labels) + 3)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    ax.set_title(title)
    for r in range(len(labels)):
        for c in range(len(labels)):
            if matrix[r, c]:
                ax.text(
                    c,
                    r,
                    str(matrix[r, c]),
                    ha="center",
                    va="center",
                    fontsize=6,
                    color="white" if matrix[r, c] > matrix.max() / 2 else ("black" if r == c else "red"),
                )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def intent_table(per_intent: Dict[str, Dict]) -> str:
    lines = ["| intent | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
    for name, v in per_intent.items():
        if name == "accuracy":
            continue
        lines.append(f"| {name} | {v['precision']:.2f} | {v['recall']:.2f} | {v['f1-score']:.2f} | {v['support']} |")
    return "\n".join(lines) + "\n"
