"""``python -m bot.rasa_server run …``: Rasa's own server, loading new models without going quiet.

Rasa 3.6's ``PUT /model`` builds the new agent and only then swaps it in (the
old model serves until the swap), but it loads the model synchronously on the
server's one event loop: for the 30-odd seconds that unpacking the archive and
building the TensorFlow graphs take, the server answers nothing, not even
``GET /status``. An operator's deployment would be a half-minute outage.

This entry point runs ``rasa`` exactly as its command line does, with one
change: a model from a file is loaded in a worker thread, so the event loop
keeps answering citizens with the current model until the new one is ready.
Loading from a model server or remote storage is left as Rasa does it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Optional

from sanic.exceptions import InvalidUsage

if TYPE_CHECKING:
    from sanic.http import Http

logger = logging.getLogger(__name__)


def load_models_in_the_background() -> None:
    """Make ``PUT /model`` (and Rasa's other agent loading) load model files in a worker thread."""
    import rasa.core.agent
    import rasa.server
    from rasa.core.agent import Agent
    from rasa.server import ErrorResponse

    rasa_load_agent = rasa.server._load_agent

    async def load_agent_in_a_thread(model_path: Optional[str] = None, model_server: Any = None,
                                     remote_storage: Optional[str] = None, endpoints: Any = None) -> Agent:
        from_file = (model_path is not None and os.path.isfile(model_path) and model_server is None
                     and remote_storage is None and not (endpoints is not None and endpoints.model))
        if not from_file:
            return await rasa_load_agent(model_path, model_server, remote_storage, endpoints)
        with warnings.catch_warnings():  # the stores first, on the event loop, with no model yet
            warnings.simplefilter("ignore")
            agent = await rasa.core.agent.load_agent(model_path=None, endpoints=endpoints)
        try:
            await asyncio.to_thread(agent.load_model, model_path)
        except Exception as error:
            logger.error("Could not load the model %s: %s", model_path, error, exc_info=True)
            raise ErrorResponse(500, "LoadingError",
                                f"An unexpected error occurred. Error: {error}") from error
        if not agent.is_ready():
            raise ErrorResponse(400, "BadRequest", f"Agent with name '{model_path}' could not be loaded.",
                                {"parameter": "model", "in": "query"})
        return agent

    rasa.server._load_agent = load_agent_in_a_thread


def check_pooled_connections_before_use() -> None:
    """Make the SQL tracker store test a pooled PostgreSQL connection before each use.

    Rasa 3.6 creates its engine without SQLAlchemy's ``pool_pre_ping``: after the
    database restarts, every pooled connection is dead, and each of them fails
    one citizen's turn before the pool is refilled. With the ping, a dead
    connection is replaced before the turn uses it, so only turns that were
    running while the database was down fail.
    """
    import rasa.core.tracker_store as tracker_store

    rasa_engine_kwargs = tracker_store.create_engine_kwargs

    def engine_kwargs_with_ping(url: Any) -> dict[str, Any]:
        kwargs = dict(rasa_engine_kwargs(url))
        if tracker_store.is_postgresql_url(url):
            kwargs["pool_pre_ping"] = True
        return kwargs

    tracker_store.create_engine_kwargs = engine_kwargs_with_ping


async def read_head_or_refuse(self: "Http") -> None:  # noqa: UP037 (compiled again by Sanic)
    """Sanic's ``Http.http1_request_header``, refusing what it cannot answer (see below).

    Sanic compiles this method again at start-up in the globals of ``sanic.http``
    (its "touch-up"), so it names nothing else: Sanic's own method is reached
    as ``_sanic_http1_request_header``, touched up likewise.
    """
    try:
        await self._sanic_http1_request_header()
    except UnicodeEncodeError as error:
        self.url = "/"  # the error answer is built for a request with this target
        raise InvalidUsage("Bad Request: the request target is not UTF-8") from error
    if self.request_bytes < 0:
        # No body to read after the answer either (Sanic would wait for it for ever).
        self.request_body = None
        self.request_bytes_left = self.request_bytes = 0
        raise InvalidUsage("Bad Request: negative Content-Length")


def refuse_malformed_request_heads() -> None:
    """Answer 400 to two malformed HTTP requests that Sanic 21.12 (Rasa's HTTP server) leaves unanswered.

    - A negative ``Content-Length``: Sanic waits for ever for a body it can never read.
    - A request target that is not UTF-8: Sanic fails to build the request (and
      then its error answer) and drops the connection without an answer.
    """
    from sanic.http import Http
    from sanic.touchup import TouchUp

    if getattr(Http, "_sanic_http1_request_header", None) is not None:
        return
    Http._sanic_http1_request_header = Http.http1_request_header
    TouchUp.register(Http, "_sanic_http1_request_header")
    Http.http1_request_header = read_head_or_refuse


def with_token_from_environment(arguments: list[str], environ: Mapping[str, str]) -> list[str]:
    """``rasa run`` arguments with ``--auth-token`` from ``RASA_AUTH_TOKEN`` when they have none.

    The token then never appears on the server's command line, which every user
    of the machine can read (``ps``). Rasa's own command line has no other way.
    """
    token = environ.get("RASA_AUTH_TOKEN", "")
    if arguments[:1] == ["run"] and token and "--auth-token" not in arguments:
        return [*arguments, "--auth-token", token]
    return arguments


def main() -> None:
    """Run Rasa's command line with background model loading (ID and phone numbers masked in its logs)."""
    from bot.log_masking import install_log_masking

    install_log_masking()
    load_models_in_the_background()
    check_pooled_connections_before_use()
    refuse_malformed_request_heads()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *with_token_from_environment(sys.argv[1:], os.environ)]
    rasa_main()


if __name__ == "__main__":
    main()
