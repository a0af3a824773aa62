#!/usr/bin/env bash
# Prints the path of a working Python 3.10 interpreter (Rasa 3.6 supports up to 3.10).
# Looks on PATH, then under pyenv, then asks uv. A pyenv shim that is not selected fails its
# probe and is skipped, so every candidate is run, not just found.
set -u
works() { [ -n "$1" ] && "$1" -c 'import sys, venv; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' >/dev/null 2>&1; }

for name in "${SV_PYTHON:-}" python3.10 python3 python; do
  [ -n "$name" ] || continue
  path=$(command -v "$name" 2>/dev/null) || continue
  if works "$path"; then echo "$path"; exit 0; fi
done

roots=""
if command -v pyenv >/dev/null 2>&1; then roots="$(pyenv root 2>/dev/null)"; fi
roots="$roots ${PYENV_ROOT:-} $HOME/.pyenv"
for root in $roots; do
  for candidate in "$root"/versions/3.10*/bin/python3.10; do
    if [ -x "$candidate" ] && works "$candidate"; then echo "$candidate"; exit 0; fi
  done
done

if command -v uv >/dev/null 2>&1; then
  candidate=$(uv python find 3.10 2>/dev/null)
  if works "$candidate"; then echo "$candidate"; exit 0; fi
fi

cat >&2 <<'MSG'
error: Python 3.10 not found (Rasa 3.6 needs Python 3.10 or older).
Install one of:
  - pyenv:  pyenv install 3.10      (then re-run make)
  - uv:     uv python install 3.10
  - Debian/Ubuntu: apt-get install python3.10 python3.10-venv
or set SV_PYTHON=/path/to/python3.10.
MSG
exit 1
