#!/usr/bin/env bash
# Lint the deployment files (deploy/, see deploy/README.md): `make lint-deploy`,
# part of `make test`. Offline once set up; exits non-zero when any check fails.
#
#   scripts/lint-deploy.sh [DEPLOY_DIR]     (default: this project's deploy/)
#
# What it needs, set up here when missing (instant otherwise):
# - .venv-lint: a small virtual environment with the pins of
#   deploy/lint-requirements.txt (kubernetes-validate, yamllint, jsonschema),
#   apart from .venv because Rasa pins an older jsonschema;
# - the Compose file schema (compose_spec.json from the docker-compose 1.29.2
#   package on PyPI, checked by its SHA-256), used when `docker compose` is not
#   installed: that one validates the Compose files itself;
# - nginx, for `nginx -t` (installed with apt as root, like scripts/setup-system.sh).
# The checks themselves are in scripts/lint_deploy.py.
set -euo pipefail

cd "$(dirname "$0")/.."
PROJECT_DIR=$(pwd)
DEPLOY_DIR=$(cd "${1:-deploy}" && pwd)

LINT_VENV="$PROJECT_DIR/.venv-lint"
REQUIREMENTS="$PROJECT_DIR/deploy/lint-requirements.txt"
STAMP="$LINT_VENV/.requirements.sha256"
# The Compose specification's JSON schema ships inside this wheel (compose/config/compose_spec.json).
SCHEMA_PACKAGE="docker-compose==1.29.2"
SCHEMA_WHEEL_SHA256="8d5589373b35c8d3b1c8c1182c6e4a4ff14bffa3dd0b605fcd08f73c94cef809"
COMPOSE_SCHEMA="$LINT_VENV/compose_spec.json"

# find_python: a Python 3.10 or newer (yamllint needs 3.10): $PYTHON, python3, or .venv's.
find_python() {
  local candidate
  for candidate in "${PYTHON:-}" python3 "$PROJECT_DIR/.venv/bin/python"; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 \
        && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

# setup_lint_venv: (re)build .venv-lint when the pins changed since the last build.
setup_lint_venv() {
  local want python scratch wheel
  want=$(cat "$REQUIREMENTS" <(echo "$SCHEMA_PACKAGE $SCHEMA_WHEEL_SHA256") | sha256sum | cut -d' ' -f1)
  if [ -x "$LINT_VENV/bin/python" ] && [ -f "$COMPOSE_SCHEMA" ] && [ -f "$STAMP" ] \
      && [ "$(cat "$STAMP")" = "$want" ]; then
    return 0
  fi
  if ! python=$(find_python); then
    echo "lint-deploy needs Python 3.10 or newer (python3, or PYTHON=/path/to/python)." >&2
    exit 1
  fi
  echo "Setting up $LINT_VENV (the deployment files' linters)..."
  rm -rf "$LINT_VENV"
  "$python" -m venv "$LINT_VENV"
  "$LINT_VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -r "$REQUIREMENTS"
  "$LINT_VENV/bin/python" -m pip check --disable-pip-version-check >/dev/null
  # The schema: download the wheel (not installed), check it, keep only the schema.
  scratch=$(mktemp -d)
  "$LINT_VENV/bin/python" -m pip download --quiet --disable-pip-version-check --no-deps \
    --only-binary=:all: --dest "$scratch" "$SCHEMA_PACKAGE"
  wheel=$(ls "$scratch"/*.whl)
  if [ "$(sha256sum "$wheel" | cut -d' ' -f1)" != "$SCHEMA_WHEEL_SHA256" ]; then
    echo "$SCHEMA_PACKAGE: unexpected SHA-256 of $(basename "$wheel")" >&2
    rm -rf "$scratch"
    exit 1
  fi
  "$LINT_VENV/bin/python" -c 'import sys, zipfile; sys.stdout.buffer.write(
      zipfile.ZipFile(sys.argv[1]).read("compose/config/compose_spec.json"))' "$wheel" > "$COMPOSE_SCHEMA"
  rm -rf "$scratch"
  echo "$want" > "$STAMP"
}

setup_lint_venv

# nginx for `nginx -t` (only the binary is used; no server is started).
missing() {
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || echo "nginx"
}
# shellcheck source=scripts/apt-install.sh
source "$PROJECT_DIR/scripts/apt-install.sh"
install_missing "checking the nginx configuration (nginx -t)" \
  "install nginx with the system's package manager, then run the command again." \
  nginx

exec "$LINT_VENV/bin/python" "$PROJECT_DIR/scripts/lint_deploy.py" \
  --project "$PROJECT_DIR" --deploy "$DEPLOY_DIR" --compose-schema "$COMPOSE_SCHEMA"
