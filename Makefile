# The two commands of the README: `make run` and `make test`. Everything else is a step of them.
SHELL := /bin/bash
PY := .venv/bin/python
export TF_CPP_MIN_LOG_LEVEL := 2
export RASA_TELEMETRY_ENABLED := false

.PHONY: run test setup train bench validate clean audit nlu-report lint

run: train
	@$(PY) -m assistant.serve all

test: train
	@bash scripts/test.sh

setup:
	@bash scripts/setup.sh

train: setup
	@$(PY) scripts/train_if_changed.py

# ruff (lint + format check) and mypy on assistant/; settings in pyproject.toml. `make test` runs it first.
lint: setup
	@.venv/bin/ruff check .
	@.venv/bin/ruff format --check .
	@.venv/bin/mypy

# Danger, NLU and conversation figures on the independent sets (dev and test) beside the targets,
# cross-validation on the training data; results/nlu_report.json. Not part of `make test`.
nlu-report: train
	@$(PY) scripts/nlu_report.py $(ARGS)

validate: setup
	@.venv/bin/rasa data validate --fail-on-warnings

bench: train
	@bash scripts/debian_tool.sh /usr/sbin/nginx nginx-light
	@$(PY) scripts/bench.py

# Known vulnerabilities of the locked packages (pip-audit in its own tool environment: it needs a
# newer `packaging` than Rasa allows). --strict: a package that cannot be checked (no access to
# the advisory service) fails the audit instead of passing silently. Not part of `make test`:
# its answers change as advisories are published. Accepted findings: audit/accepted.txt.
AUDIT_VENV := build/audit-venv
AUDIT_REQUIREMENTS ?= requirements.lock
audit:
	@test -x $(AUDIT_VENV)/bin/pip-audit || { "$$(bash scripts/find_python.sh)" -m venv $(AUDIT_VENV) && \
		$(AUDIT_VENV)/bin/pip install -q pip-audit; }
	@$(AUDIT_VENV)/bin/pip-audit --requirement $(AUDIT_REQUIREMENTS) --no-deps --disable-pip --strict --progress-spinner off \
		$$(grep -v '^\s*#' audit/accepted.txt | awk 'NF {print "--ignore-vuln " $$1}')

clean:
	rm -rf models build results var artifacts
