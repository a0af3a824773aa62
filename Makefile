# The two commands of the README: `make run` and `make test`. Everything else is a step of them.
SHELL := /bin/bash
PY := .venv/bin/python
export PYTHONPATH := $(CURDIR)
export TF_CPP_MIN_LOG_LEVEL := 2
export RASA_TELEMETRY_ENABLED := false

.PHONY: run test setup train bench validate clean nlu-report

run: train
	@$(PY) scripts/run.py

test: train
	@bash scripts/test.sh

setup:
	@bash scripts/setup.sh

train: setup
	@$(PY) scripts/train_if_changed.py

# Danger, NLU and conversation figures on the independent sets (dev and test) beside the targets,
# cross-validation on the training data; results/nlu_report.json. Not part of `make test`.
nlu-report: train
	@$(PY) scripts/nlu_report.py $(ARGS)

validate: setup
	@.venv/bin/rasa data validate --fail-on-warnings --data data/nlu data/rules data/stories --domain domain --config config.yml

bench: train
	@bash scripts/debian_tool.sh /usr/sbin/nginx nginx-light
	@$(PY) scripts/bench.py

clean:
	rm -rf models build results var artifacts
