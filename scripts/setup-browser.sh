#!/usr/bin/env bash
# Make sure the browser tests can run: Debian's chromium (driven headless over
# the DevTools protocol by tests/browser/chromium.py), fonts-noto-cjk (so
# Chinese text renders), and axe-core (the accessibility rules, pinned in
# tests/browser/package.json). Installs what is missing with apt (as root) and
# npm; otherwise prints the command to run. Does nothing, quickly, when
# everything is present.
set -euo pipefail

cd "$(dirname "$0")/.."

PACKAGES=(chromium fonts-noto-cjk)
CHROMIUM=/usr/bin/chromium
BROWSER_DIR=tests/browser
AXE="$BROWSER_DIR/node_modules/axe-core/axe.min.js"
LOCK="$BROWSER_DIR/package-lock.json"

has_cjk_font() {
  if command -v fc-list >/dev/null 2>&1; then
    fc-list :lang=zh family 2>/dev/null | grep -qi 'noto' && return 0
  fi
  [ -d /usr/share/fonts/opentype/noto ] && ls /usr/share/fonts/opentype/noto/NotoSansCJK* >/dev/null 2>&1
}

missing() {
  [ -x "$CHROMIUM" ] || echo "chromium"
  has_cjk_font || echo "fonts-noto-cjk"
}

# shellcheck source=scripts/apt-install.sh
source scripts/apt-install.sh
install_missing "the browser tests (headless Chromium, Chinese fonts)" \
  "install Chromium (as $CHROMIUM) and a CJK font with the system's package manager, then run the command again." \
  "${PACKAGES[@]}"

if [ ! -f "$AXE" ] || [ "$LOCK" -nt "$AXE" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "npm is missing: install Node.js and npm (e.g. apt-get install -y nodejs npm)," \
         "then run the command again." >&2
    exit 1
  fi
  echo "Installing axe-core (accessibility rules) into $BROWSER_DIR/node_modules..."
  npm ci --prefix "$BROWSER_DIR" --no-audit --no-fund --loglevel=error
  # npm ci keeps the package's own timestamps: mark it fresh for the check above.
  touch "$AXE"
fi
