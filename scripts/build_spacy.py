"""Write the Italian spaCy pipeline that config.yml's SpacyNLP loads (build/spacy_it).

When ``it_core_news_sm`` is importable it is copied there; otherwise a blank Italian pipeline with
the lookup lemmatizer of ``spacy-lookups-data`` is built. Nothing is downloaded. A stamp records
which one was built, so the step is skipped until that choice changes.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import spacy


def choose() -> str:
    return "it_core_news_sm" if importlib.util.find_spec("it_core_news_sm") else "blank-it-lookup"


def build(target: Path) -> str:
    kind = choose()
    stamp = target / "sportello.stamp"
    wanted = f"{kind} spacy={spacy.__version__}"
    if stamp.exists() and stamp.read_text() == wanted:
        print(f"    up to date: {wanted}")
        return kind
    if target.exists():
        shutil.rmtree(target)
    if kind == "it_core_news_sm":
        nlp = spacy.load("it_core_news_sm")
    else:
        nlp = spacy.blank("it")
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        nlp.initialize()  # loads the it_lemma_lookup table from spacy-lookups-data
    target.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(target)
    stamp.write_text(wanted)
    print(f"    built {target} ({wanted})")
    return kind


if __name__ == "__main__":
    build(Path(sys.argv[1] if len(sys.argv) > 1 else "build/spacy_it"))
