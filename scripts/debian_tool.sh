#!/usr/bin/env bash
# A test tool from Debian's packages, installed once with apt when its binary is missing:
#   debian_tool.sh BINARY PACKAGE...
# used for Chromium (browser tests; never a downloaded browser build) and nginx (replicas test).
# A package must not start a system service: policy-rc.d answers 101 during the install.
set -euo pipefail
BINARY=$1; shift
version() { "$BINARY" --version 2>/dev/null || "$BINARY" -v 2>&1; }
if [ -x "$BINARY" ]; then
  echo "    $(version | head -1)"
  exit 0
fi
if [ "$(id -u)" != 0 ] && ! command -v sudo >/dev/null; then
  echo "error: the tests need $BINARY from Debian: apt-get install $*" >&2
  exit 1
fi
SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
echo "    installing Debian's $* (once)..."
POLICY=/usr/sbin/policy-rc.d
CREATED=""
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null && $SUDO chmod +x "$POLICY" && CREATED=1
fi
trap 'if [ -n "$CREATED" ]; then $SUDO rm -f "$POLICY"; fi' EXIT
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null 2>&1 || {
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}
echo "    $(version | head -1)"
