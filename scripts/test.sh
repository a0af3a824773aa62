#!/usr/bin/env bash
# Every test of the project; exits non-zero on the first failing stage.
set -euo pipefail
cd "$(dirname "$0")/.."
export TF_CPP_MIN_LOG_LEVEL=2 RASA_TELEMETRY_ENABLED=false
stage() { printf '\n==> %s\n' "$*"; }

stage "lint: ruff check, ruff format --check, mypy (make lint)"
make --no-print-directory lint

stage "unit tests (with the evaluation sets' checks: near-duplicates, labels, vocabulary)"
.venv/bin/python -m pytest -q tests/unit

stage "rasa data validate --fail-on-warnings"
# Rasa's defaults (data/, domain.yml, config.yml): the non-Rasa files under data/ (the danger model's
# examples, the directory's CSVs) are not training data and Rasa leaves them out.
.venv/bin/rasa data validate --fail-on-warnings

stage "ratchet gate: danger and NLU on the independent test splits (tests/eval/ratchet.json)"
.venv/bin/python scripts/nlu_report.py --gate

stage "rasa test core on test stories (--fail-on-prediction-errors)"
.venv/bin/rasa test core --model models/sportello.tar.gz --stories tests/stories --fail-on-prediction-errors --out results/core

stage "browser for the widget tests (Debian chromium) and nginx (console behind a proxy, replicas)"
bash scripts/debian_tool.sh /usr/bin/chromium chromium chromium-driver
bash scripts/debian_tool.sh /usr/sbin/nginx nginx-light

stage "conversation and browser tests against the real servers (HTTP, Socket.IO, Chromium; the evaluation conversations' ratchet)"
.venv/bin/python -m pytest -q tests/conversation tests/browser

stage "2 replicas behind nginx on PostgreSQL + Redis: 64 conversations x 20 turns, a replica killed, the database cut"
.venv/bin/python -m pytest -q -s tests/replicas
