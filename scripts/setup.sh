#!/usr/bin/env bash
# Shared set-up of `make run` and `make test`. Idempotent: each step keeps a stamp and is
# skipped when its inputs did not change, so a second run takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }
hash_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

VENV=${SV_VENV:-.venv}  # another path tries the set-up in a throwaway venv
PY=$(scripts/find_python.sh)

if ! "$VENV/bin/python" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' 2>/dev/null; then
  step "creating $VENV with $PY"
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
fi

# runtime (requirements.lock, all the image has) and development (tests, browser driver, benchmark)
want=$(hash_of requirements.lock requirements-dev.lock)
if [ "$(cat "$VENV/.installed" 2>/dev/null)" != "$want" ]; then
  step "installing pinned dependencies (first time: several minutes, TensorFlow is large)"
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q "pip==24.0"
  "$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar on -r requirements.lock \
    -r requirements-dev.lock
  echo "$want" > "$VENV/.installed"
fi

# The project itself, editable: `assistant`, `actions`, `rasa_addons` and `scripts` import from this
# checkout in every process (pyproject.toml). Redone when pyproject.toml changes or when the venv was
# last pointed at another checkout.
want_project="$PWD $(hash_of pyproject.toml)"
if [ "$(cat "$VENV/.project" 2>/dev/null)" != "$want_project" ]; then
  step "installing the project (editable)"
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q --no-deps --no-build-isolation -e .
  echo "$want_project" > "$VENV/.project"
fi

step "Italian spaCy pipeline"
"$VENV/bin/python" scripts/build_spacy.py build/spacy_it

step "services directory (SQLite, from data/directory)"
"$VENV/bin/python" -m assistant.directory load --if-changed

step "widget front-end dependencies (npm, served locally)"
want_web=$(hash_of web/package.json)
if [ "$(cat web/node_modules/.sportello 2>/dev/null)" != "$want_web" ]; then
  (cd web && npm install --no-package-lock --no-audit --no-fund --loglevel=error)
  echo "$want_web" > web/node_modules/.sportello
fi
mkdir -p web/vendor
cp web/node_modules/socket.io-client/dist/socket.io.min.js web/vendor/socket.io.min.js
echo "    socket.io-client $(node -p "require('./web/node_modules/socket.io-client/package.json').version")"
