"""Run the evaluation conversations (tests/eval/conversations_{dev,test}.yml) over REST and check each
turn's expectations. Against a running server (`--url http://127.0.0.1:5005`, e.g. `make run`) or, by
default, against an action server and a Rasa server it starts itself (about 30 s).

    python scripts/eval_conversations.py                 # both splits, own servers
    python scripts/eval_conversations.py --split dev --url http://127.0.0.1:5005

The user's and the bot's texts of a failing turn are shown for the dev split only (never tune on test).
"""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import nullcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from scripts.evaluation import conversations, sets  # noqa: E402


def run_splits(base_url: str, splits) -> dict:
    say = conversations.rest_sender(base_url)
    out = {}
    for split in splits:
        results, summary = conversations.run_all(say, sets.load("conversations", split), split == "dev")
        print(f"\n==> conversations, {split} split")
        print(conversations.format_results(results, summary, show_text=split == "dev"))
        out[split] = summary
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="base URL of a running Rasa server (default: start one)")
    parser.add_argument("--split", choices=["dev", "test", "both"], default="both")
    parser.add_argument("--json", type=Path, help="write the summaries there")
    args = parser.parse_args(argv)
    splits = ["dev", "test"] if args.split == "both" else [args.split]
    with nullcontext(args.url) if args.url else conversations.running_servers() as base:
        summaries = run_splits(base, splits)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(summaries, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
