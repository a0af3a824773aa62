"""Evaluate the trained model on the held-out NLU examples (tests/nlu) and fail below the threshold."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
THRESHOLD = 0.95

result = subprocess.run([str(ROOT / ".venv/bin/rasa"), "test", "nlu", "--model", "models/sportello.tar.gz",
                         "--nlu", "tests/nlu", "--domain", "domain", "--out", "results/nlu"], cwd=ROOT)
if result.returncode != 0:
    sys.exit(result.returncode)
report = json.loads((ROOT / "results/nlu/intent_report.json").read_text())
accuracy = report["accuracy"]
errors = json.loads((ROOT / "results/nlu/intent_errors.json").read_text()) \
    if (ROOT / "results/nlu/intent_errors.json").exists() else []
for error in errors:
    print(f"  wrong: {error['text']!r}: expected {error['intent']}, got {error['intent_prediction']['name']}")
print(f"held-out intent accuracy: {accuracy:.3f} (threshold {THRESHOLD})")
sys.exit(0 if accuracy >= THRESHOLD else 1)
