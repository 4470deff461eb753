# Two commands on a fresh machine: `make run` and `make test` (see README.md).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
RASA := $(PY) -m rasa
SETUP_STAMP := $(VENV)/.requirements.sha256
# Nothing leaves this machine: no usage telemetry from Rasa.
export RASA_TELEMETRY_ENABLED ?= false

.PHONY: run test setup system browser train lint lint-deploy typecheck validate pytest conversations evaluate bench lock voice-models clean

## run: set up what is missing, train if the data changed, start every part and chat
# `make run PROFILE=production` (or `PROFILE=production make run`): PostgreSQL, Redis,
# RabbitMQ and Rasa servers behind nginx (bot/production.py). make passes command-line
# variables to the recipe's environment, where the settings read PROFILE.
run: setup
	@if $(PY) -c 'import sys; from bot.settings import Settings; sys.exit(not Settings.from_environment().is_production)' 2>/dev/null; \
	then bash scripts/setup-production.sh; fi
	exec $(PY) -m bot run

## test: every check: ruff, mypy, rasa data validate, pytest, conversation tests
test: setup browser lint lint-deploy typecheck validate train pytest conversations

setup: $(SETUP_STAMP) system

$(SETUP_STAMP): requirements.lock scripts/setup-venv.sh
	bash scripts/setup-venv.sh

# System programs for voice (espeak-ng, ffmpeg): installed when missing, instant otherwise.
system:
	@bash scripts/setup-system.sh

# Chromium and axe-core for the browser tests of the web pages (only `make test` needs them).
browser:
	@bash scripts/setup-browser.sh

train: setup
	$(PY) -m bot train

lint: setup
	$(PY) -m ruff check .

## lint-deploy: the deployment files (deploy/): yamllint, Compose, nginx -t, Kubernetes schemas, no literal secrets
lint-deploy:
	bash scripts/lint-deploy.sh

typecheck: setup
	$(PY) -m mypy

validate: setup
	$(RASA) data validate --fail-on-warnings --data data --domain domain.yml --config config.yml

pytest: setup train
	$(PY) -m pytest

conversations: setup train
	$(RASA) test core --stories tests/conversations --model models \
		--fail-on-prediction-errors --out var/results/conversations

## evaluate: NLU figures on the held-out test set
evaluate: setup train
	$(PY) -m bot evaluate

## bench: every benchmark (minutes; prints figures, see bench/README.md)
bench: setup train
	$(PY) -m bench.nlu_accuracy
	$(PY) -m bench.turn_latency
	$(PY) -m bench.training_time

## voice-models: download, verify (SHA-256) and unpack the small Vosk models into var/voice-models
# (offline kiosk: make voice-models ARGS="--from-dir DIR"; see scripts/voice_models.py)
voice-models:
	python3 scripts/voice_models.py $(ARGS)

## lock: re-pin requirements.lock from requirements.in in a scratch environment
lock:
	bash scripts/lock.sh

clean:
	rm -rf var models .mypy_cache .pytest_cache .ruff_cache
