"""Train the Rasa model only when its inputs changed (content hash of data, domain, config, code).

Prints the training time, which the README and the closing note quote.
"""
from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "sportello.tar.gz"
STAMP = ROOT / "models" / ".train_hash"
TRAINING_DATA = ["data/nlu", "data/rules", "data/stories"]
INPUTS = ["config.yml", "domain", "addons", "assistant/safety.py", "assistant/language.py", "assistant/text.py", "requirements.lock",
          "build/spacy_it/sportello.stamp", *TRAINING_DATA]


def inputs_hash() -> str:
    digest = hashlib.sha256()
    for item in INPUTS:
        path = ROOT / item
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if "__pycache__" in file.parts:
                continue
            digest.update(str(file.relative_to(ROOT)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def main() -> int:
    wanted = inputs_hash()
    if MODEL.exists() and STAMP.exists() and STAMP.read_text() == wanted:
        print("==> model up to date (training data and config unchanged)")
        return 0
    print("==> training the model (about 1-2 minutes on 2 cores)", flush=True)
    started = time.monotonic()
    cmd = [str(ROOT / ".venv/bin/rasa"), "train", "--data", *TRAINING_DATA, "--domain", "domain",
           "--config", "config.yml", "--out", "models", "--fixed-model-name", "sportello"]
    result = subprocess.run(cmd, cwd=ROOT)
    if result.returncode != 0:
        print("error: training failed", file=sys.stderr)
        return result.returncode
    STAMP.write_text(wanted)
    seconds = time.monotonic() - started
    (ROOT / "models" / ".train_seconds").write_text(f"{seconds:.1f}")
    print(f"==> trained in {seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
