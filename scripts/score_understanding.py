"""Quick self-check of the understanding on the DEV part of the evaluation set (never the test part).

Usage: .venv/bin/python scripts/score_understanding.py [--no-intent] [--errors]
Intent: the latest trained model in models/; event, victim, gender, requested service: assistant.triage;
comune: assistant.directory.find_in_text / resolve on a temporary directory database.
The official figures are made by `make nlu-report`; this script only helps while working."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT / "tests" / "eval" / "nlu_dev.yml"


def _intents(texts):
    from rasa.core.agent import Agent

    models = sorted((ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    agent = Agent.load(str(models[-1]))

    async def parse_all():
        return [(await agent.parse_message(t))["intent"]["name"] for t in texts]

    return asyncio.run(parse_all())


def _comune(text):
    from assistant.directory import FOUND, OUTSIDE
    from assistant.directory.resolve import find_in_text, resolve

    found = find_in_text(text)
    if found is None:
        whole = resolve(text)
        found = whole if whole.status in (FOUND, OUTSIDE) and len(text.split()) <= 4 else None
    if found is None:
        return "none"
    if found.status == FOUND:
        return found.comune["nome"]
    if found.status == OUTSIDE:
        return found.candidates[0]["nome"]
    return "ambiguous"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-intent", action="store_true")
    parser.add_argument("--errors", action="store_true")
    args = parser.parse_args()
    from assistant import settings

    if settings.load().directory_url == settings.DEFAULT_DIRECTORY_URL:
        # not given: a throwaway directory (not var/'s), which the code imported below reads through the settings
        os.environ["SV_DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/directory.db"
    from assistant import triage
    from assistant.directory import loader

    loader.load(settings.load().directory_url)

    messages = yaml.safe_load(DEV.read_text(encoding="utf-8"))["messages"]
    texts = [m["text"] for m in messages]
    predicted = defaultdict(list)
    if not args.no_intent:
        predicted["intent"] = _intents(texts)
    for text in texts:
        victim = triage.classify_victim(text)
        predicted["event"].append(triage.classify_event(text) or "none")
        predicted["victim"].append(victim or "none")
        # the gender of the victim: none when no victim is told (as in the label guide)
        predicted["gender"].append((triage.classify_gender(text, victim) if victim else None) or "none")
        predicted["service"].append(triage.classify_service(text) or "none")
        predicted["comune"].append(_comune(text))

    for dimension, guesses in predicted.items():
        gold = [str(m.get(dimension, "none")) for m in messages]
        right = sum(g == p for g, p in zip(gold, guesses))
        print(f"{dimension:8} {right}/{len(gold)} = {right / len(gold):.3f}")
        per = defaultdict(Counter)
        for g, p in zip(gold, guesses):
            per[g]["n"] += 1
            per[g]["ok"] += g == p
            per[p]["predicted"] += 1
        for label in sorted(per):
            c = per[label]
            if c["n"]:
                precision = c["ok"] / c["predicted"] if c["predicted"] else 0.0
                print(f"    {label:24} n={c['n']:3} recall={c['ok'] / c['n']:.2f} precision={precision:.2f}")
        if args.errors:
            for m, g, p in zip(messages, gold, guesses):
                if g != p:
                    print(f"      {m['id']} gold={g} got={p}: {m['text'][:110]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
