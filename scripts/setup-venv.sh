#!/usr/bin/env bash
# Create the project's virtual environment (.venv) with Python 3.10 and install
# the exact pins of requirements.lock. Runs the install only when the pins
# changed since the last successful one.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
STAMP="$VENV/.requirements.sha256"
want=$(sha256sum requirements.lock | cut -d' ' -f1)
if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
  exit 0
fi

find_python() {
  if [ -n "${PYTHON:-}" ]; then echo "$PYTHON"; return; fi
  local root="${PYENV_ROOT:-$HOME/.pyenv}"
  local candidate
  for candidate in $(ls -d "$root"/versions/3.10.* 2>/dev/null | sort -V -r); do
    if [ -x "$candidate/bin/python3.10" ]; then echo "$candidate/bin/python3.10"; return; fi
  done
  if command -v python3.10 >/dev/null 2>&1; then command -v python3.10; return; fi
  if command -v python3 >/dev/null 2>&1 && python3 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then
    command -v python3; return
  fi
}

python=$(find_python || true)
if [ -z "$python" ] || ! "$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then
  cat >&2 <<'MSG'
This project needs Python 3.10 (Rasa Open Source 3.6 runs on 3.8-3.10 only).
Install it, then run the command again, for example:
  pyenv install 3.10          (with pyenv)
  apt-get install python3.10 python3.10-venv   (Debian/Ubuntu with 3.10 packaged)
or point PYTHON at a Python 3.10 interpreter: make run PYTHON=/path/to/python3.10
MSG
  exit 1
fi

echo "Setting up $VENV with $("$python" --version) (first time: a few minutes, about 2.7 GB)..."
rm -rf "$VENV"
"$python" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet "setuptools==70.3.0" "wheel==0.45.1"
"$VENV/bin/python" -m pip install --quiet --no-deps -r requirements.lock
"$VENV/bin/python" -m pip check
echo "$want" > "$STAMP"
echo "$VENV is ready."
