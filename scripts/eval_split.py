"""Split an independent evaluation set once into a dev part (read and debugged against) and a test part
(scored, never tuned on). The split is fixed by a hash of each item's id, so re-running it on the same set
gives the same parts and adding items never moves old ones.

    python scripts/eval_split.py tests/eval/danger.yml     # writes tests/eval/danger_dev.yml and _test.yml
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import yaml

KEYS = {"danger.yml": "messages", "nlu.yml": "messages", "conversations.yml": "conversations"}


def part_of(item_id: str) -> str:
    return "dev" if int(hashlib.sha256(item_id.encode()).hexdigest(), 16) % 2 == 0 else "test"


def split(path: Path) -> None:
    key = KEYS[path.name]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for part in ("dev", "test"):
        items = [item for item in data[key] if part_of(str(item["id"])) == part]
        note = "read and debug against it" if part == "dev" else "score it, never tune on it"
        out = path.with_name(f"{path.stem}_{part}.yml")
        out.write_text(
            f"# {part} part of {path.name} (scripts/eval_split.py): {note}. Never used for training.\n"
            + yaml.safe_dump({key: items}, allow_unicode=True, sort_keys=False, width=120),
            encoding="utf-8",
        )
        print(f"{out}: {len(items)}")


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        split(Path(arg))
