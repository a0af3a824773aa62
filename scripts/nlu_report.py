"""How well the assistant understands people, measured on the independent sets of tests/eval
(docs/evaluation.md): danger, NLU (intent, what happened, who, comune), the multi-turn conversations,
plus cross-validation on the training data. Figures are printed beside the issues' targets and the
ratchet of tests/eval/ratchet.json.

    python scripts/nlu_report.py                   # `make nlu-report`: dev and test splits, CV, conversations
    python scripts/nlu_report.py --gate            # the stage of `make test`: test split, fails below the ratchet
    python scripts/nlu_report.py --update-ratchet  # raise the ratchet to the figures achieved (never lowers it)

Writes results/nlu_report.json, results/nlu_intents_<split>.md and results/nlu_confusion_<split>.png.
Texts of failures are printed for the dev split only: the test split is scored, never tuned on.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Optional

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("LOG_LEVEL", "WARNING")  # Rasa's own logging (structlog reads it)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from scripts.evaluation import conversations, ratchet, scoring, sets  # noqa: E402

RESULTS = ROOT / "results"
HELDOUT = ROOT / "tests" / "nlu" / "heldout.yml"
HELDOUT_THRESHOLD = 0.95  # the project's own held-out set (written like the training data)
# Figures the ratchet keeps. The held-out set is printed, not gated: it is written like the training data
# (issue 13), and the independent test split gates intent accuracy on 300 messages instead of 90.
RATCHETED = [
    "danger_recall",
    "danger_precision",
    "intent_accuracy",
    "event_accuracy",
    "event_accuracy_all",
    "victim_accuracy",
    "victim_accuracy_all",
    "comune_found_rate",
    "comune_wrong",
    "conversations_pass_rate",
]


def quiet() -> None:
    import warnings

    warnings.filterwarnings("ignore")
    logging.getLogger().setLevel(logging.WARNING)
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # else every parse is logged at debug level
    for name in ("rasa", "tensorflow", "absl", "matplotlib", "sanic"):
        logging.getLogger(name).setLevel(logging.ERROR)


def stage(title: str) -> None:
    print(f"\n==> {title}", flush=True)


def show_danger(split: str, d: Dict) -> None:
    print(
        f"  immediate {d['immediate']}, not {d['not']}: recall {d['recall']}, precision {d['precision']} "
        f"({d['missed']} missed, {d['false_alarms']} false alarms)"
    )
    for group in ("per_kind", "per_person"):
        print(
            "  "
            + ", ".join(
                f"{k}: recall {v['recall']} ({v['missed']} missed), {v['false_alarms']} false alarms"
                for k, v in d[group].items()
            )
        )
    print(
        f"  uncertain (labelled not, answered with 112 for safety): {d['uncertain']['answered_as_danger']}"
        f"/{d['uncertain']['messages']}"
    )
    for miss in d.get("misses", []):
        context = f" [after: {miss['context']}]" if miss.get("context") else ""
        print(f"    missed {miss['id']} ({miss['kind']}): {miss['text']!r}{context}")
    for alarm in d.get("false_alarm_texts", []):
        print(f"    false alarm {alarm['id']}: {alarm['text']!r}")


def show_nlu(split: str, n: Dict) -> None:
    print(
        f"  {n['messages']} messages: intent accuracy {n['intent_accuracy']}; "
        f"event {n['event_accuracy']} ({n['event_labelled']} labelled; overall {n['event_accuracy_all']}); "
        f"victim {n['victim_accuracy']} ({n['victim_labelled']} labelled; overall {n['victim_accuracy_all']}); "
        f"comune found {n['comune_found_rate']} of {n['comune_present']}, wrong {n['comune_wrong']}, "
        f"ambiguous {n['comune_ambiguous']}"
    )
    for field in ("intent", "event", "victim"):
        print(
            f"  worst {field} confusions (gold -> predicted x n): "
            + "; ".join(f"{g} -> {p} x{c}" for g, p, c in n[f"{field}_confusions"])
        )
    for error in n.get("errors", [])[:40]:
        wrong = ", ".join(
            f"{k} {error[k][0]}->{error[k][1]}"
            for k in ("intent", "event", "victim", "comune")
            if error[k][0] != error[k][1]
        )
        print(f"    {error['id']}: {error['text'][:90]!r}: {wrong}")
    if len(n.get("errors", [])) > 40:
        print(f"    ... {len(n['errors']) - 40} more in results/nlu_report.json")


def heldout(agent) -> Dict:
    examples = sets.rasa_examples(HELDOUT)
    parses = scoring.parse_all(agent, [t for _, t in examples])
    wrong = [
        (t, g, (p.get("intent") or {}).get("name"))
        for (g, t), p in zip(examples, parses)
        if (p.get("intent") or {}).get("name") != g
    ]
    accuracy = round(1 - len(wrong) / len(examples), 4) if examples else None
    return {
        "messages": len(examples),
        "intent_accuracy": accuracy,
        "threshold": HELDOUT_THRESHOLD,
        "errors": [{"text": t, "intent": g, "predicted": p} for t, g, p in wrong],
    }


def cross_validation(folds: int, epochs: Optional[int]) -> Dict:
    """`rasa test nlu --cross-validation` on data/nlu with the project's config (DIET and
    ResponseSelector epochs replaced by `epochs` when given)."""
    import yaml

    out = RESULTS / "cv"
    out.mkdir(parents=True, exist_ok=True)
    config = ROOT / "config.yml"
    if epochs:
        data = yaml.safe_load(config.read_text(encoding="utf-8"))
        for component in data["pipeline"]:
            if component["name"] in ("DIETClassifier", "ResponseSelector"):
                component["epochs"] = min(component.get("epochs", epochs), epochs)
        config = out / "config_cv.yml"
        config.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    started = time.monotonic()
    cmd = [
        str(ROOT / ".venv/bin/rasa"),
        "test",
        "nlu",
        "--nlu",
        "data/nlu",
        "--config",
        str(config),
        "--cross-validation",
        "--folds",
        str(folds),
        "--out",
        str(out),
        "--domain",
        "domain.yml",
    ]
    result = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = round(time.monotonic() - started)
    report_file = out / "intent_report.json"
    if result.returncode != 0 or not report_file.exists():
        return {"error": (result.stderr or "")[-1500:], "seconds": seconds}
    report = json.loads(report_file.read_text())
    return {
        "folds": folds,
        "epochs": epochs or "as in config.yml",
        "seconds": seconds,
        "intent_accuracy": round(report["accuracy"], 4),
        "macro_f1": round(report["macro avg"]["f1-score"], 4),
        "weakest": sorted(
            (
                [k, round(v["f1-score"], 3), v["support"]]
                for k, v in report.items()
                if isinstance(v, dict) and k not in ("macro avg", "weighted avg", "micro avg")
            ),
            key=lambda r: r[1],
        )[:8],
    }


def split_figures(danger: Dict, nlu: Dict, held: Dict) -> Dict:
    figures = {"danger_recall": danger["recall"], "danger_precision": danger["precision"]}
    for name in RATCHETED:  # the NLU figures of the ratchet (danger above; conversations measured apart)
        if name in nlu:
            figures[name] = nlu[name]
    figures["heldout_intent_accuracy"] = held["intent_accuracy"]
    return figures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gate", action="store_true", help="test split only; exit 1 below the ratchet")
    parser.add_argument("--update-ratchet", action="store_true", help="raise the ratchet to the figures achieved")
    parser.add_argument("--no-cv", action="store_true", help="skip cross-validation")
    parser.add_argument("--no-conversations", action="store_true", help="skip the conversations over REST")
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--cv-epochs", type=int, default=None, help="fewer DIET epochs for cross-validation")
    args = parser.parse_args(argv)
    quiet()
    started = time.monotonic()
    splits = ["test"] if args.gate else ["dev", "test"]
    report: Dict = {"splits": {}, "targets": {k: list(v) for k, v in scoring.TARGETS.items()}}
    timing: Dict[str, float] = {}

    from assistant.directory import loader

    loader.load(if_changed=True)

    t = time.monotonic()
    for split in splits:
        stage(f"danger, {split} split (assistant.safety{' + answers' if scoring._danger_functions()[1] else ''})")
        report["splits"].setdefault(split, {})["danger"] = d = scoring.score_danger(
            sets.load("danger", split), split == "dev"
        )
        show_danger(split, d)
    timing["danger"] = time.monotonic() - t

    t = time.monotonic()
    stage(f"loading {scoring.MODEL.relative_to(ROOT)}")
    agent = scoring.load_agent()
    for split in splits:
        stage(f"NLU, {split} split (intent from the model; event, victim, comune from scoring.read)")
        items = sets.load("nlu", split)
        n = scoring.score_nlu(items, scoring.parse_all(agent, [i["text"] for i in items]), split == "dev")
        gold, pred = n.pop("_gold_intents"), n.pop("_pred_intents")
        report["splits"][split]["nlu"] = n
        show_nlu(split, n)
        if not args.gate:
            RESULTS.mkdir(exist_ok=True)
            (RESULTS / f"nlu_intents_{split}.md").write_text(
                f"# Per-intent figures, {split} split\n\n" + scoring.intent_table(n["per_intent"]), encoding="utf-8"
            )
            scoring.confusion_png(gold, pred, RESULTS / f"nlu_confusion_{split}.png", f"Intents, {split} split")
    stage("project held-out set tests/nlu/heldout.yml (written like the training data)")
    report["heldout"] = held = heldout(agent)
    print(
        f"  intent accuracy {held['intent_accuracy']} on {held['messages']} (printed, not gated; it used to gate at "
        f"{HELDOUT_THRESHOLD})"
    )
    for error in held["errors"]:
        print(f"    {error['text']!r}: {error['intent']} -> {error['predicted']}")
    timing["nlu"] = time.monotonic() - t

    if not args.gate and not args.no_conversations:
        t = time.monotonic()
        stage("conversations over REST (own action and Rasa servers)")
        with conversations.running_servers() as base:
            say = conversations.rest_sender(base)
            for split in splits:
                results, summary = conversations.run_all(say, sets.load("conversations", split), split == "dev")
                print(f"  -- {split} split")
                print(conversations.format_results(results, summary, show_text=split == "dev"))
                report["splits"][split]["conversations"] = summary
        timing["conversations"] = time.monotonic() - t

    if not args.gate and not args.no_cv:
        stage(
            f"cross-validation on data/nlu ({args.folds} folds{f', {args.cv_epochs} epochs' if args.cv_epochs else ''})"
        )
        report["cross_validation"] = cv = cross_validation(args.folds, args.cv_epochs)
        if "error" in cv:
            print(f"  failed: {cv['error']}")
        else:
            print(
                f"  intent accuracy {cv['intent_accuracy']}, macro F1 {cv['macro_f1']} ({cv['seconds']} s); weakest: "
                + ", ".join(f"{k} {f1}" for k, f1, _ in cv["weakest"])
            )
        timing["cross_validation"] = cv["seconds"]

    test = report["splits"]["test"]
    figures = split_figures(test["danger"], test["nlu"], held)
    if "conversations" in test:
        figures["conversations_pass_rate"] = test["conversations"]["pass_rate"]
    current = ratchet.load()
    dev_figures = None
    if "dev" in report["splits"]:
        dev = report["splits"]["dev"]
        dev_figures = split_figures(dev["danger"], dev["nlu"], held)
        if "conversations" in dev:
            dev_figures["conversations_pass_rate"] = dev["conversations"]["pass_rate"]
        report["figures_dev"] = dev_figures
    report["figures_test"], report["ratchet"] = figures, current
    report["seconds"] = {k: round(v) for k, v in timing.items()}
    stage("figures (targets and ratchet apply to the test split; tests/eval/ratchet.json)")
    print(ratchet.table(figures, current, dev_figures))
    failed = ratchet.regressions({k: v for k, v in figures.items() if k in current["figures"]}, current)
    if args.update_ratchet:
        new, changes = ratchet.raised({k: v for k, v in figures.items() if k in RATCHETED}, current)
        ratchet.save(new)
        print("  ratchet raised: " + ("; ".join(changes) if changes else "nothing improved"))
    if not args.gate:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "nlu_report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
        print("\n  written: results/nlu_report.json, results/nlu_intents_*.md, results/nlu_confusion_*.png")
    print(
        f"  ({round(time.monotonic() - started)} s: " + ", ".join(f"{k} {round(v)} s" for k, v in timing.items()) + ")"
    )
    if failed:
        print(
            "\nFAILED: below the ratchet (improve them, or explain in the commit why a figure may drop):\n  "
            + "\n  ".join(failed)
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
