"""Loading a model into every Rasa server, one server after the other (a rolling deployment).

A deployment uses each Rasa server's ``PUT /model``. In Rasa 3.6
(``rasa/server.py``, ``load_model``) it builds a new agent and only then swaps
it in (keeping the lock store); a model that fails to load leaves the old one
serving (HTTP 400/500). Rasa alone loads the model synchronously on the
server's only event loop and answers nothing for the 30-40 s that takes;
``make run`` therefore starts Rasa through ``bot.rasa_server``, which loads it
in a worker thread, so the current model keeps answering until the swap
(``python -m bench.deploy_pause`` measures it). A server counts as switched
only once its ``GET /status`` names the new model.

The servers are :attr:`bot.settings.Settings.rasa_server_urls`: one in the
embedded profile, every Rasa process behind nginx in the production profile
(nginx does not pass the Rasa HTTP API, so each is reached directly). With
several, :func:`roll_out` goes to one at a time, so every server keeps
answering throughout; while it runs, the servers already switched answer with
the new model and the others with the old one. Before anything changes,
:func:`serving` asks every server which model it runs, and a server that does
not answer stops the deployment there. When a server cannot load the model,
the servers already switched get back the model each ran before, so no
deployment leaves the servers running different models unless putting the
old one back fails too (the error then says so).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence

from bot.operators.errors import ModelError
from bot.settings import Settings

#: Seconds a Rasa server may take to answer ``PUT /model`` (it answers once the model is loaded).
LOAD_TIMEOUT = 600.0
#: Seconds to wait, after ``PUT /model``, until ``GET /status`` names the model.
STATUS_WAIT = 120.0
#: Seconds between two looks at ``GET /status``.
STATUS_POLL = 0.5


@dataclass(frozen=True)
class RasaServer:
    """The HTTP API of one Rasa server: ``GET /status`` and ``PUT /model``.

    Args:
        url: Its base URL (``http://host:port``).
        token: ``RASA_AUTH_TOKEN``, sent as ``?token=``; None when the API is open.
        label: How messages name it (it includes the URL).

    """

    url: str
    token: Optional[str] = None
    label: str = ""

    @property
    def name(self) -> str:
        """How messages name the server (within a sentence)."""
        return self.label or f"the Rasa server at {self.url}"

    @property
    def subject(self) -> str:
        """How a message starting with the server names it."""
        return self.name[:1].upper() + self.name[1:]

    def request(self, method: str, path: str, body: Optional[dict[str, Any]] = None,
                timeout: float = 10.0) -> tuple[int, Any]:
        """Call the API; return the HTTP status and the decoded JSON body (text if not JSON).

        Raises:
            ModelError: The server does not answer.

        """
        url = f"{self.url}{path}"
        if self.token:
            url += "?" + urllib.parse.urlencode({"token": self.token})
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                raw = response.read()
                code = response.status
        except urllib.error.HTTPError as error:
            raw, code = error.read(), error.code
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise ModelError(f"{self.subject} does not answer ({reason}).") from error
        if code in (401, 403):
            raise ModelError(f"{self.subject} refused the token: check RASA_AUTH_TOKEN.")
        try:
            return code, json.loads(raw) if raw else None
        except ValueError:
            return code, raw.decode(errors="replace")

    def status(self, timeout: float = 10.0) -> Optional[dict[str, Any]]:
        """``GET /status``: None when the server runs no model (409).

        Raises:
            ModelError: The server does not answer, or refuses the token.

        """
        code, body = self.request("GET", "/status", timeout=timeout)
        return body if code == 200 and isinstance(body, dict) else None

    def model(self, timeout: float = 10.0) -> Optional[str]:
        """The file name of the model the server runs (None: it runs none).

        Raises:
            ModelError: The server does not answer, or refuses the token.

        """
        status = self.status(timeout)
        return Path(str(status["model_file"])).name if status and status.get("model_file") else None

    def load(self, path: Path, wait: float = STATUS_WAIT) -> None:
        """``PUT /model`` with the model's absolute path, then wait until ``GET /status`` names it.

        Raises:
            ModelError: The server does not answer, refuses the token, fails to load the model,
                or still names another model after ``wait`` seconds.

        """
        code, body = self.request("PUT", "/model", {"model_file": str(path.resolve())}, timeout=LOAD_TIMEOUT)
        if code >= 300:
            message = body.get("message") if isinstance(body, dict) else body
            raise ModelError(f"{self.subject} could not load {path.name} (HTTP {code}): {message}")
        deadline = time.monotonic() + wait
        while True:
            running = self.model()
            if running == path.name:
                return
            if time.monotonic() >= deadline:
                raise ModelError(f"{self.subject} accepted {path.name} but still reports {running} "
                                 f"after {wait:.0f} s.")
            time.sleep(STATUS_POLL)


def rasa_servers(settings: Settings) -> list[RasaServer]:
    """Every Rasa server a deployment goes to (``settings.rasa_server_urls``), in order."""
    urls = settings.rasa_server_urls
    if len(urls) == 1:
        return [RasaServer(urls[0], settings.rasa_auth_token)]
    return [RasaServer(url, settings.rasa_auth_token, f"Rasa server {number} of {len(urls)} ({url})")
            for number, url in enumerate(urls, start=1)]


def serving(servers: Sequence[RasaServer]) -> list[Optional[str]]:
    """The model each server runs now (None: none), asked before a deployment changes anything.

    Raises:
        ModelError: A server does not answer or refuses the token (the message names it).

    """
    running = []
    for server in servers:
        try:
            running.append(server.model())
        except ModelError as error:
            raise ModelError(f"{error} Nothing was changed.") from error
    return running


def first_answer(servers: Sequence[RasaServer], timeout: float = 3.0) -> Optional[str]:
    """The model the first server that answers with one runs (None: none answers with a model)."""
    for server in servers:
        try:
            name = server.model(timeout)
        except ModelError:
            continue
        if name:
            return name
    return None


def roll_out(servers: Sequence[RasaServer], model: Path, running: Sequence[Optional[str]],
             models_dir: Path, wait: float = STATUS_WAIT) -> None:
    """Load a model into every server, one at a time; undo it everywhere if one cannot load it.

    Args:
        servers: The Rasa servers, in the order they switch.
        model: The model file (readable by every server at this path).
        running: What :func:`serving` said each server ran; a server running ``model`` is skipped.
        models_dir: Where the models the servers ran are, to put them back.
        wait: Seconds each server gets, after ``PUT /model``, for ``GET /status`` to name the model.

    Raises:
        ModelError: A server failed; the message says which, why, and what was put back.

    """
    switched: list[tuple[RasaServer, Optional[str]]] = []
    for server, before in zip(servers, running, strict=True):
        if before == model.name:
            continue
        try:
            server.load(model, wait)
        except ModelError as error:
            # the failed server is checked too: it may have switched after all (a late answer)
            undone = restore([*switched, (server, before)], model.name, models_dir, wait, failed=server)
            raise ModelError(" ".join([str(error), *undone])) from error
        switched.append((server, before))


def restore(switched: Sequence[tuple[RasaServer, Optional[str]]], model: str, models_dir: Path,
            wait: float = STATUS_WAIT, failed: Optional[RasaServer] = None) -> list[str]:
    """Put back the model each server ran before ``model`` (last switched first).

    Args:
        switched: The servers and the model each ran before.
        model: The file name of the model being undone.
        models_dir: Where the earlier models are.
        wait: Seconds each server gets to name the earlier model.
        failed: The server whose failure this undoes: left alone when it cannot be asked
            (its own error says why).

    Returns:
        Sentences for the operator: what was put back, and what could not be.

    """
    back, problems = [], []
    for server, before in reversed(switched):
        try:
            now = server.model()
        except ModelError as error:
            if server is not failed:
                problems.append(f"Could not put {before or 'the earlier model'} back on {server.name}: "
                                f"{str(error).rstrip('.')}.")
            continue
        if now != model:
            continue  # it never switched
        try:
            if before is None or not (models_dir / before).is_file():
                raise ModelError(f"{before or 'its earlier model'} is not in {models_dir}")
            server.load(models_dir / before, wait)
            back.append(f"{server.subject} runs {before} again.")
        except ModelError as error:
            problems.append(f"Could not put {before or 'the earlier model'} back on {server.name}: "
                            f"{str(error).rstrip('.')}.")
    if problems:
        problems.append(f"The Rasa servers may now run different models: deploy {model} again "
                        "or roll back once every server answers.")
    return back + problems
