#!/usr/bin/env bash
# Browser for the widget and console tests: Debian's Chromium (never a downloaded browser build).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "    $(/usr/bin/chromium --version 2>/dev/null)"
  exit 0
fi
if [ "$(id -u)" != 0 ] && ! command -v sudo >/dev/null; then
  echo "error: the browser tests need Debian's chromium: apt-get install chromium chromium-driver" >&2
  exit 1
fi
SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
echo "    installing Debian's chromium (once)..."
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
echo "    $(/usr/bin/chromium --version 2>/dev/null)"
