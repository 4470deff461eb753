"""`python -m bot run`: every part of the assistant on this machine.

Trains a model if the training inputs changed, starts the action server and
the Rasa server (and the other parts as they are added), waits until all are
healthy, then opens a chat in the terminal (when stdin is one) or serves until
Ctrl-C / SIGTERM. With ``PROFILE=production`` the parts are those of
:mod:`bot.production` (PostgreSQL, Redis, RabbitMQ, Rasa servers behind nginx).
The Rasa server starts with the model operators deployed
last (``DATA_DIR/operator/deployments.json``) while it is still in the models
folder, so a restart keeps what they deployed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

from bot.settings import PROJECT_DIR, Settings
from bot.supervisor import Part, PartFailed, Supervisor, ignore_signals, raise_on_signals
from bot.training import train


def base_endpoints(settings: Settings) -> dict[str, Any]:
    """``endpoints.yml``, with the action server the settings name."""
    text = (PROJECT_DIR / "endpoints.yml").read_text(encoding="utf-8")
    endpoints: dict[str, Any] = yaml.safe_load(text) or {}
    endpoints["action_endpoint"] = {**(endpoints.get("action_endpoint") or {}),
                                    "url": f"{settings.action_server_url}/webhook"}
    return endpoints


def rasa_command(settings: Settings, port: int, model: Path, endpoints: Path) -> list[str]:
    """The command line of a Rasa server on ``port``, serving ``model``.

    The token is not on it (anyone on the machine can read a command line):
    the server reads it from its environment (:func:`rasa_environment`).
    """
    return [
        sys.executable, "-m", "bot.rasa_server", "run", "--enable-api", "--interface", settings.host,
        "--port", str(port), "--model", str(model), "--endpoints", str(endpoints),
        "--credentials", str(PROJECT_DIR / "credentials.yml"),
    ]


def rasa_environment(settings: Settings) -> dict[str, str]:
    """What a Rasa server's environment adds: its API token (``bot.rasa_server`` passes it to Rasa)."""
    return {"RASA_AUTH_TOKEN": settings.rasa_auth_token or ""}


def rasa_status_url(settings: Settings, port: int) -> str:
    """The health check of the Rasa server on ``port`` (its ``/status``, with the token)."""
    url = f"http://{settings.host}:{port}/status"
    return f"{url}?token={settings.rasa_auth_token}" if settings.rasa_auth_token else url


def write_run_endpoints(settings: Settings) -> Path:
    """Write the endpoints file of this run: ``endpoints.yml`` with the settings' ports and paths.

    Returns:
        The path of the written file (under the data folder).

    """
    endpoints = base_endpoints(settings)
    store = endpoints.get("tracker_store") or {}
    if store.get("dialect") == "sqlite":
        store["db"] = str(settings.data_dir / "tracker.db")
    endpoints["tracker_store"] = store
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = settings.data_dir / "endpoints.run.yml"
    path.write_text(yaml.safe_dump(endpoints, sort_keys=False), encoding="utf-8")
    return path


def model_to_serve(settings: Settings, trained: Path) -> Path:
    """Return the model the Rasa server starts with.

    Args:
        settings: Where the models and the deployment history are.
        trained: The model trained from the current inputs.

    Returns:
        The model operators deployed (or rolled back to) last, if it is still in
        the models folder; otherwise ``trained``.

    """
    from bot.operators.models import last_deployed_model

    deployed = last_deployed_model(settings)
    if deployed is None:
        return trained
    print(f"Serving the model operators deployed last: {deployed.name}"
          + ("" if deployed == trained else f" (instead of {trained.name}, trained from the current data)"),
          flush=True)
    return deployed


#: The portal is a separate service: when it stops, the assistant keeps serving
#: (telling citizens to try again later) and starts it again after this many seconds.
PORTAL_RESTART_SECONDS = 5.0


def build_parts(settings: Settings, model: Path, endpoints: Path) -> list[Part]:
    """Return the assistant's processes in the order they start."""
    python = sys.executable
    logs = settings.data_dir / "logs"
    portal = [
        Part(
            name="portal",
            command=[python, "-m", "portal", "--host", settings.host, "--port", str(settings.portal_port)],
            health_url=f"{settings.portal_api_url}/health",
            public_url=settings.portal_api_url,
            log_path=logs / "portal.log",
            env={"DATA_DIR": str(settings.data_dir), "PORTAL_PORT": str(settings.portal_port),
                 "PORTAL_API_TOKEN": settings.portal_api_token},
            restart_after=PORTAL_RESTART_SECONDS,
        )
    ] if settings.runs_reference_portal else []
    telegram = [
        Part(
            name="Telegram connector",
            command=[python, "-m", "connectors.telegram"],
            health_url=None,
            public_url=settings.telegram_webhook_url or "polling for Telegram updates",
            log_path=logs / "telegram.log",
            env={"RASA_PORT": str(settings.rasa_port), "HOST": settings.host,
                 "DATA_DIR": str(settings.data_dir)},
        )
    ] if settings.telegram_bot_token else []
    return [
        *portal,
        Part(
            name="action server",
            command=[python, "-m", "bot.action_server", "--actions", "actions",
                     "--host", settings.host, "--port", str(settings.action_server_port)],
            health_url=f"{settings.action_server_url}/health",
            env={"PORTAL_URL": settings.portal_api_url, "PORTAL_API_TOKEN": settings.portal_api_token},
            public_url=f"{settings.action_server_url}/webhook",
            log_path=logs / "action-server.log",
        ),
        Part(
            name="Rasa server",
            command=rasa_command(settings, settings.rasa_port, model, endpoints),
            env=rasa_environment(settings),
            health_url=rasa_status_url(settings, settings.rasa_port),
            public_url=f"{settings.rasa_url}/webhooks/rest/webhook",
            log_path=logs / "rasa.log",
        ),
        Part(
            name="web pages",
            command=[python, "-m", "web", "--host", settings.host, "--port", str(settings.web_port)],
            health_url=f"{settings.web_url}/health",
            public_url=f"{settings.web_url}/kiosk/",
            log_path=logs / "web.log",
            env={"RASA_PORT": str(settings.rasa_port), "HOST": settings.host,
                 "DATA_DIR": str(settings.data_dir)},
        ),
        *telegram,
    ]


def run(settings: Settings, chat: bool) -> int:
    """Run the assistant until stopped.

    Args:
        settings: The settings to run with.
        chat: Open a chat on stdin/stdout once everything is ready.

    Returns:
        The process exit code: 0 after a clean stop, 1 when a part failed.

    """
    raise_on_signals()
    try:
        model = train(settings.models_dir, project=settings.assistant_dir)
    except RuntimeError as error:
        print(f"Cannot start: {error}", file=sys.stderr)
        return 1
    model = model_to_serve(settings, model)
    if settings.is_production:
        from bot.production import ProductionError, describe, production_parts

        try:
            parts, settings = production_parts(settings, model)
        except ProductionError as error:
            print(f"Cannot start: {error}", file=sys.stderr)
            return 1
        print(describe(settings), flush=True)
    else:
        parts = build_parts(settings, model, write_run_endpoints(settings))
    supervisor = Supervisor(parts, settings.startup_timeout)
    try:
        supervisor.start()
        print(f"Ready. Talk to the assistant: POST {settings.rasa_url}/webhooks/rest/webhook "
              '{"sender": "...", "message": "..."}. Stop with Ctrl-C.', flush=True)
        if chat:
            from bot.chat import chat_in_terminal

            supervisor.watch_in_background()
            chat_in_terminal(settings, stop_when=supervisor.failed_part)
            if supervisor.failure is not None:
                raise supervisor.failure
        else:
            supervisor.watch()
    except PartFailed as error:
        ignore_signals()
        print(f"Error: {error}", file=sys.stderr, flush=True)
        supervisor.stop()
        return 1
    except KeyboardInterrupt:
        pass
    ignore_signals()  # a second Ctrl-C or SIGTERM must not cut the clean stop short
    print("Stopping...", flush=True)
    supervisor.stop()
    print("Stopped.", flush=True)
    return 0
