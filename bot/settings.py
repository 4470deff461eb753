"""Settings of every part, read once from the environment (and ``.env``).

``.env.example`` lists every setting with its default. Values already in the
environment win over ``.env``; ``.env`` wins over the defaults.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

PROJECT_DIR = Path(__file__).resolve().parent.parent


def read_env_file(path: Path) -> dict[str, str]:
    """Read ``KEY=value`` lines of a ``.env`` file (comments and blanks skipped).

    Args:
        path: The file; a missing file gives an empty mapping.

    Returns:
        The keys and values, with surrounding quotes removed.

    """
    if not path.is_file():
        return {}
    values: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.strip().removeprefix("export ").strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key] = value
    return values


@dataclass(frozen=True)
class Settings:
    """Every setting of the assistant. Field names match the variables, lower-cased."""

    host: str = "127.0.0.1"
    rasa_port: int = 5005
    action_server_port: int = 5055
    portal_port: int = 8000
    web_port: int = 8080
    rasa_auth_token: Optional[str] = None
    portal_url: str = ""
    portal_api_token: str = "change-me-portal-token"
    portal_database_url: str = ""
    portal_seed_dir: Path = PROJECT_DIR / "portal" / "seed"
    portal_fault_injection: bool = False
    handoff_database_url: str = ""
    handoff_hours: str = "halls"
    telegram_bot_token: Optional[str] = None
    telegram_api_base_url: Optional[str] = None
    telegram_webhook_url: Optional[str] = None
    telegram_webhook_port: int = 8443
    telegram_webhook_secret: Optional[str] = None
    vosk_model_zh: Optional[str] = None
    vosk_model_en: Optional[str] = None
    data_dir: Path = PROJECT_DIR / "var"
    models_dir: Path = PROJECT_DIR / "models"
    #: The folder operators annotate and retrain: config.yml, domain.yml and data/ (the project's own).
    assistant_dir: Path = PROJECT_DIR
    operator_database_url: str = ""
    operator_session_minutes: int = 30
    startup_timeout: float = 300.0
    #: ``embedded`` (SQLite, in-memory locks, one Rasa server) or ``production`` (bot/production.py).
    profile: str = "embedded"
    #: Production profile: how many Rasa server processes nginx balances.
    rasa_processes: int = 2
    #: Production profile: the conversations (Rasa's SQL tracker store), a PostgreSQL URL.
    tracker_store_url: str = "postgresql://postgres@127.0.0.1:5432/assistant_tracker"
    #: Production profile: the Redis of Rasa's lock store (``redis://[:password@]host:port/db``).
    lock_store_url: str = "redis://127.0.0.1:6379/0"
    #: Production profile: the RabbitMQ of Rasa's event broker (``amqp://user:password@host:port/vhost``).
    event_broker_url: str = "amqp://guest:guest@127.0.0.1:5672/%2F"
    #: Production profile: the RabbitMQ queue every conversation event is published to.
    event_queue: str = "assistant_events"
    #: Production profile: where nginx listens (0: ``rasa_port``); the Rasa processes use the ports after it.
    balancer_port: int = 0
    #: Base URLs of every Rasa server's HTTP API, comma-separated (see :attr:`rasa_server_urls`).
    rasa_api_urls: str = ""

    @property
    def web_url(self) -> str:
        """Base URL of the web pages (the kiosk page)."""
        return f"http://{self.host}:{self.web_port}"

    @property
    def rasa_url(self) -> str:
        """Base URL of the Rasa server."""
        return f"http://{self.host}:{self.rasa_port}"

    @property
    def is_production(self) -> bool:
        """Whether ``run`` starts the production profile (``PROFILE=production``)."""
        return self.profile == "production"

    @property
    def entry_port(self) -> int:
        """Where citizens' channels reach the assistant: nginx in production (``balancer_port``)."""
        return (self.balancer_port or self.rasa_port) if self.is_production else self.rasa_port

    @property
    def rasa_server_urls(self) -> list[str]:
        """Base URLs of every Rasa server's HTTP API: the servers a deployment loads a model into.

        ``RASA_API_URLS`` when set; else, in production, the Rasa processes
        behind nginx (:func:`rasa_ports`), whose API nginx does not pass; else
        ``rasa_url``.
        """
        listed = [url.strip().rstrip("/") for url in self.rasa_api_urls.split(",") if url.strip()]
        if listed:
            return listed
        if self.is_production:
            return [f"http://{self.host}:{port}" for port in rasa_ports(self)]
        return [self.rasa_url]

    @property
    def action_server_url(self) -> str:
        """Base URL of the action server."""
        return f"http://{self.host}:{self.action_server_port}"

    @property
    def portal_api_url(self) -> str:
        """Base URL of the portal API: ``portal_url``, else the reference portal on ``portal_port``."""
        return (self.portal_url or f"http://{self.host}:{self.portal_port}/api/v1").rstrip("/")

    @property
    def runs_reference_portal(self) -> bool:
        """Whether ``run`` starts the reference portal (no other portal is configured)."""
        return not self.portal_url

    @property
    def portal_database(self) -> str:
        """SQLAlchemy URL of the portal's database: ``portal_database_url``, else SQLite in ``data_dir``."""
        return self.portal_database_url or f"sqlite:///{self.data_dir / 'portal.db'}"

    @classmethod
    def from_environment(cls, environ: Optional[Mapping[str, str]] = None,
                         env_file: Optional[Path] = None) -> "Settings":
        """Build settings from ``.env`` and the environment.

        Args:
            environ: The environment (defaults to ``os.environ``).
            env_file: The ``.env`` file (defaults to the project's).

        Returns:
            The settings; empty values count as unset.

        Raises:
            ValueError: A number setting is not a number.

        """
        values = {**read_env_file(env_file or PROJECT_DIR / ".env"),
                  **(os.environ if environ is None else environ)}
        kwargs: dict[str, object] = {}
        for name, field in cls.__dataclass_fields__.items():
            raw = values.get(name.upper())
            if raw is None or raw == "":
                continue
            default = field.default
            try:
                if isinstance(default, bool):
                    kwargs[name] = raw.lower() in ("1", "true", "yes", "on")
                elif isinstance(default, int):
                    kwargs[name] = int(raw)
                elif isinstance(default, float):
                    kwargs[name] = float(raw)
                elif isinstance(default, Path):
                    path = Path(raw)
                    kwargs[name] = path if path.is_absolute() else PROJECT_DIR / path
                else:
                    kwargs[name] = raw
            except ValueError as error:
                raise ValueError(f"{name.upper()} must be a number, not {raw!r}") from error
        profile = str(kwargs.get("profile", cls.profile))
        if profile not in ("embedded", "production"):
            raise ValueError(f"PROFILE must be embedded or production, not {profile!r}")
        for url in str(kwargs.get("rasa_api_urls", "")).split(","):
            if url.strip() and not url.strip().startswith(("http://", "https://")):
                raise ValueError(f"RASA_API_URLS must list http:// or https:// URLs, not {url.strip()!r}")
        return cls(**kwargs)  # type: ignore[arg-type]


def rasa_ports(settings: Settings) -> list[int]:
    """The ports of the production profile's Rasa server processes: the ones after nginx's."""
    return [settings.entry_port + number for number in range(1, settings.rasa_processes + 1)]


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process's settings, read on first use."""
    return Settings.from_environment()
