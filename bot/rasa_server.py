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
from typing import Any, Optional

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


def main() -> None:
    """Run Rasa's command line with background model loading."""
    load_models_in_the_background()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
