"""The production profile's secrets come from the environment, never development values.

bot/production_secrets.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.production_secrets import check_production_secrets
from bot.settings import PROJECT_DIR, Settings

GOOD = {"PROFILE": "production", "RASA_AUTH_TOKEN": "3f9a1c0e7b5d4a2f8e6c",
        "PORTAL_API_TOKEN": "b81d5e2a9c7f4036a1e4"}


def settings(tmp_path: Path, **environ: str) -> Settings:
    return Settings.from_environment({**GOOD, **environ}, env_file=tmp_path / "none")


def test_real_tokens_and_local_stores_pass(tmp_path: Path) -> None:
    assert check_production_secrets(settings(tmp_path)) == []
    # The one-machine defaults: stores on this machine, which may rely on local authentication.
    assert check_production_secrets(settings(
        tmp_path, TRACKER_STORE_URL="postgresql://postgres@localhost:5432/assistant_tracker",
        LOCK_STORE_URL="redis://[::1]:6379/0", EVENT_BROKER_URL="amqp://guest:guest@127.0.0.1:5672/%2F",
        PORTAL_DATABASE_URL="sqlite:////srv/portal.db")) == []


def test_the_embedded_defaults_do_not_pass(tmp_path: Path) -> None:
    problems = check_production_secrets(Settings.from_environment({"PROFILE": "production"},
                                                                  env_file=tmp_path / "none"))
    assert problems == ["RASA_AUTH_TOKEN is not set: set it in the environment (or .env)",
                        "PORTAL_API_TOKEN is a development value: set a real secret in the environment"]


@pytest.mark.parametrize(("environ", "problem"), [
    ({"RASA_AUTH_TOKEN": ""}, "RASA_AUTH_TOKEN is not set"),
    ({"RASA_AUTH_TOKEN": "   "}, "RASA_AUTH_TOKEN is not set"),
    ({"PORTAL_API_TOKEN": "change-me-portal-token"}, "PORTAL_API_TOKEN is a development value"),
    ({"PORTAL_API_TOKEN": "CHANGE-ME-later"}, "PORTAL_API_TOKEN is a development value"),
    ({"RASA_AUTH_TOKEN": "secret"}, "RASA_AUTH_TOKEN is a development value"),
    ({"PORTAL_API_TOKEN": GOOD["RASA_AUTH_TOKEN"]}, "RASA_AUTH_TOKEN and PORTAL_API_TOKEN are the same"),
    ({"TELEGRAM_BOT_TOKEN": "changeme"}, "TELEGRAM_BOT_TOKEN is a development value"),
    ({"TELEGRAM_WEBHOOK_SECRET": "change_me"}, "TELEGRAM_WEBHOOK_SECRET is a development value"),
    ({"TRACKER_STORE_URL": "postgresql://rasa@db.internal:5432/rasa"},
     "TRACKER_STORE_URL reaches db.internal without a password"),
    ({"TRACKER_STORE_URL": "postgresql://rasa:change-me@127.0.0.1/rasa"},
     "TRACKER_STORE_URL has a development password"),
    ({"LOCK_STORE_URL": "redis://10.0.0.5:6379/1"}, "LOCK_STORE_URL reaches 10.0.0.5 without a password"),
    ({"EVENT_BROKER_URL": "amqp://guest:guest@mq.internal:5672/%2F"},
     "EVENT_BROKER_URL uses RabbitMQ's guest account on mq.internal"),
    ({"PORTAL_DATABASE_URL": "postgresql+psycopg2://portal@db.internal/portal"},
     "PORTAL_DATABASE_URL reaches db.internal without a password"),
    ({"HANDOFF_DATABASE_URL": "postgresql+psycopg2://assistant@db.internal/assistant"},
     "HANDOFF_DATABASE_URL reaches db.internal without a password"),
    ({"OPERATOR_DATABASE_URL": "postgresql+psycopg2://assistant@db.internal/assistant"},
     "OPERATOR_DATABASE_URL reaches db.internal without a password"),
])
def test_each_problem_is_named(tmp_path: Path, environ: dict[str, str], problem: str) -> None:
    problems = check_production_secrets(settings(tmp_path, **environ))
    assert len(problems) == 1 and problems[0].startswith(problem), problems


def test_secrets_come_from_the_environment_or_env_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("RASA_AUTH_TOKEN=from-the-env-file-1234\nPORTAL_API_TOKEN=portal-from-env-file\n",
                        encoding="utf-8")
    read = Settings.from_environment({"PROFILE": "production", "PORTAL_API_TOKEN": "portal-from-environ"},
                                     env_file=env_file)
    assert (read.rasa_auth_token, read.portal_api_token) == ("from-the-env-file-1234", "portal-from-environ")
    assert check_production_secrets(read) == []


def test_no_secret_has_a_committed_default_but_the_development_ones() -> None:
    # Every setting that holds a secret defaults to nothing, except the portal token (development only).
    secret = re.compile(r"token|secret|password", re.IGNORECASE)
    defaults = {name: field.default for name, field in Settings.__dataclass_fields__.items()
                if secret.search(name)}
    assert defaults == {"rasa_auth_token": None, "portal_api_token": "change-me-portal-token",
                        "telegram_bot_token": None, "telegram_webhook_secret": None}
    # Store URLs carry no password, or RabbitMQ's guest account (accepted from this machine only).
    for name in ("tracker_store_url", "lock_store_url", "event_broker_url"):
        default = str(Settings.__dataclass_fields__[name].default)
        assert re.search(r"[@/](127\.0\.0\.1|localhost)[:/]", default), name
        password = re.search(r"://[^:/@]*:([^@]*)@", default)
        assert password is None or password.group(1) == "guest", name
    assert ".env" in (PROJECT_DIR / ".gitignore").read_text(encoding="utf-8").split()
