"""Reading Rasa's NLU training files (``data/nlu/*.yml``): one home for the examples of each intent,
with Rasa's entity markup ("[Bra](comune)", "[x]{...}") removed. Used by the learned readers of
assistant/ and by the evaluation's overlap check."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, Iterator, Tuple

from assistant import content

_ANNOTATION = re.compile(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\{[^}]*\}")


def plain_example(line: str) -> str:
    """The text of one example line ("- text"), entity markup removed."""
    text = line.strip()[2:] if line.strip().startswith("- ") else line.strip()
    return _ANNOTATION.sub(lambda m: m.group(1) or m.group(2) or "", text).strip()


def blocks(path: Path) -> Iterator[Tuple[str, Dict, list]]:
    """(intent, metadata, example texts) for every intent block of one NLU file (synonyms, regexes and
    lookup tables are not examples)."""
    data = content.read_yaml(path)
    for block in data.get("nlu") or []:
        if "intent" not in block:
            continue
        lines = str(block.get("examples") or "").splitlines()
        texts = [plain_example(line) for line in lines if line.strip().startswith("- ")]
        yield block["intent"], block.get("metadata") or {}, [t for t in texts if t]


def examples(folder: Path) -> Iterator[Tuple[str, str]]:
    """(intent, text) for every example of every NLU file of `folder`, in file order."""
    for path in sorted(folder.glob("*.yml")):
        for intent, _, texts in blocks(path):
            for text in texts:
                yield intent, text
