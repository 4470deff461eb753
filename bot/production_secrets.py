"""What the production profile needs of its secrets before it starts.

Secrets come only from the environment (or ``.env``, see :mod:`bot.settings`):
no file of the project holds one. The only committed defaults are for the
embedded profile on one machine: the development ``PORTAL_API_TOKEN`` and
RabbitMQ's ``guest`` account, which RabbitMQ accepts only from the same
machine. :func:`check_production_secrets` names what would leave the
production profile open:

- ``RASA_AUTH_TOKEN`` not set: the Rasa HTTP API (conversations, models)
  would answer anyone who reaches a Rasa server;
- ``PORTAL_API_TOKEN`` not set, or a development value;
- any token that is a placeholder ("change-me"), or the same token for the
  Rasa API and the portal;
- a store on another machine reached without a password, or with
  RabbitMQ's ``guest`` account (stores on this machine may rely on local
  authentication).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import unquote, urlsplit

from bot.settings import Settings

#: Token values of the development defaults and placeholders (compared in lower case).
DEVELOPMENT_TOKENS = frozenset({Settings.portal_api_token, "change-me", "changeme", "secret", "token",
                                "password"})
#: Parts of a value that mark it as a placeholder.
PLACEHOLDER_MARKS = ("change-me", "changeme", "change_me")
_LOCAL_HOSTS = frozenset({"", "localhost", "localhost.localdomain"})


def is_development_value(value: str) -> bool:
    """Whether a secret is a development default or a placeholder."""
    lowered = value.strip().lower()
    return lowered in DEVELOPMENT_TOKENS or any(mark in lowered for mark in PLACEHOLDER_MARKS)


def is_this_machine(host: str | None) -> bool:
    """Whether a host name is this machine (loopback, or a Unix socket when empty)."""
    if host is None or host.lower() in _LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _store_problem(setting: str, url: str) -> str | None:
    """The problem of a store's URL: a remote store without a password, or a development password."""
    parts = urlsplit(url)
    if not parts.scheme or parts.scheme.startswith("sqlite"):
        return None
    user, password = unquote(parts.username or ""), unquote(parts.password or "")
    if password and is_development_value(password):
        return f"{setting} has a development password: set the real one in the environment"
    if is_this_machine(parts.hostname):
        return None
    if parts.scheme.startswith("amqp") and (user, password) in (("guest", "guest"), ("", "")):
        return (f"{setting} uses RabbitMQ's guest account on {parts.hostname}: give the Rasa servers "
                "their own RabbitMQ user and password")
    if not password:
        return f"{setting} reaches {parts.hostname} without a password: set one in the environment"
    return None


def check_production_secrets(settings: Settings) -> list[str]:
    """Name what keeps the production profile from starting safely.

    Args:
        settings: The settings the production profile would start with.

    Returns:
        One sentence per problem (the setting named first); empty when the
        secrets are in order.

    """
    problems = []
    tokens = {"RASA_AUTH_TOKEN": settings.rasa_auth_token or "",
              "PORTAL_API_TOKEN": settings.portal_api_token or ""}
    for name, value in tokens.items():
        if not value.strip():
            problems.append(f"{name} is not set: set it in the environment (or .env)")
        elif is_development_value(value):
            problems.append(f"{name} is a development value: set a real secret in the environment")
    if tokens["RASA_AUTH_TOKEN"] and tokens["RASA_AUTH_TOKEN"] == tokens["PORTAL_API_TOKEN"]:
        problems.append("RASA_AUTH_TOKEN and PORTAL_API_TOKEN are the same: give each its own secret")
    optional = {"TELEGRAM_BOT_TOKEN": settings.telegram_bot_token,
                "TELEGRAM_WEBHOOK_SECRET": settings.telegram_webhook_secret}
    for name, secret in optional.items():
        if secret and is_development_value(secret):
            problems.append(f"{name} is a development value: set a real secret in the environment")
    stores = [("TRACKER_STORE_URL", settings.tracker_store_url), ("LOCK_STORE_URL", settings.lock_store_url),
              ("EVENT_BROKER_URL", settings.event_broker_url),
              ("PORTAL_DATABASE_URL", settings.portal_database_url),
              ("HANDOFF_DATABASE_URL", settings.handoff_database_url),
              ("OPERATOR_DATABASE_URL", settings.operator_database_url)]
    for name, url in stores:
        problem = _store_problem(name, url) if url else None
        if problem is not None:
            problems.append(problem)
    return problems
