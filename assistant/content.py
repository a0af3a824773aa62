"""One reader of the project's YAML files: the texts of ``content/*.yml``, the Rasa domain, any other.

``load("triage")`` is ``content/triage.yml``, read once. The domain (one ``domain.yml`` at the root,
Rasa's default path) is read here only: moving it is a change of ``DOMAIN_PATH``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List

import yaml

from assistant.settings import PROJECT_ROOT

CONTENT_DIR = PROJECT_ROOT / "content"
DOMAIN_PATH = PROJECT_ROOT / "domain.yml"


def read_yaml(path: Path) -> Any:
    """A YAML file's data ({} for an empty file)."""
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    return {} if data is None else data


@lru_cache(maxsize=None)
def load(name: str) -> Any:
    """The data of ``content/<name>.yml`` (cached: the files do not change while a process runs)."""
    return read_yaml(CONTENT_DIR / f"{name}.yml")


def domain_files() -> List[Path]:
    """The files of the domain: every ``*.yml`` of the folder, or the one file."""
    return sorted(DOMAIN_PATH.glob("*.yml")) if DOMAIN_PATH.is_dir() else [DOMAIN_PATH]


def domain() -> Dict[str, Any]:
    """The domain as Rasa merges it: lists (intents, entities, actions, forms' names) joined, mappings
    (responses, slots, forms) united."""
    merged: Dict[str, Any] = {}
    for path in domain_files():
        for key, value in read_yaml(path).items():
            if isinstance(value, list):
                merged.setdefault(key, []).extend(value)
            elif isinstance(value, dict):
                merged.setdefault(key, {}).update(value)
            else:
                merged[key] = value
    return merged


def domain_intents() -> List[str]:
    """The intents' names (an intent may be written with its options, as a one-key mapping)."""
    return [next(iter(item)) if isinstance(item, dict) else item for item in domain().get("intents", [])]
