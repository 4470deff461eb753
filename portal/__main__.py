"""``python -m portal [--host H] [--port P]``: serve the reference portal."""

from __future__ import annotations

import argparse
import logging
import socket
import sys
from typing import Callable, Optional, Sequence

import uvicorn
from sqlalchemy.exc import SQLAlchemyError

from bot.log_masking import install_log_masking
from bot.settings import Settings
from portal.api import BASE_PATH
from portal.app import create_app
from portal.catalogue import SeedError, load_seed
from portal.database import Database
from portal.store import Store

log = logging.getLogger("portal")
DEVELOPMENT_TOKEN = Settings.portal_api_token
"""The token used when ``PORTAL_API_TOKEN`` is not set: for development only."""


class _Server(uvicorn.Server):
    """A uvicorn server that reports once it is listening."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[int], None]) -> None:
        super().__init__(config)
        self._on_ready = on_ready

    async def startup(self, sockets: Optional[list[socket.socket]] = None) -> None:
        await super().startup(sockets)
        if self.started and not self.should_exit:
            ports = [sock.getsockname()[1] for server in self.servers for sock in server.sockets or ()]
            self._on_ready(ports[0] if ports else self.config.port)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Prepare the database and serve the API until stopped.

    Returns:
        The exit status: 0 after a normal stop, 1 when the server could not
        start, 2 for bad seed files or an unusable database.

    """
    install_log_masking()
    settings = Settings.from_environment()
    parser = argparse.ArgumentParser(
        prog="python -m portal", description="Serve the reference government service portal (portal/API.md).")
    parser.add_argument("--host", default=settings.host, help=f"address to listen on ({settings.host})")
    parser.add_argument("--port", type=int, default=settings.portal_port,
                        help=f"port to listen on ({settings.portal_port})")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    database = Database(settings.portal_database)
    store = Store(database)
    try:
        seed = load_seed(settings.portal_seed_dir)
        summary = store.prepare(seed)
    except SeedError as error:
        log.error("bad seed data: %s", error)
        return 2
    except SQLAlchemyError as error:
        log.error("cannot use the database %s: %s", database.display_url, error)
        return 2
    app = create_app(store, settings.portal_api_token, settings.portal_fault_injection)
    notes = [f"database {database.display_url}", f"{summary.services} services",
             f"{summary.offices} offices"]
    if settings.portal_fault_injection:
        notes.append("FAULT INJECTION ON")
    if settings.portal_api_token == DEVELOPMENT_TOKEN:
        notes.append("development token: set PORTAL_API_TOKEN")

    def ready(port: int) -> None:
        log.info("Portal ready at http://%s:%d%s (%s)", args.host, port, BASE_PATH, "; ".join(notes))

    config = uvicorn.Config(app, host=args.host, port=args.port, log_level="warning", access_log=False,
                            lifespan="on", server_header=False, timeout_graceful_shutdown=5)
    server = _Server(config, ready)
    server.run()
    return 0 if server.started else 1


if __name__ == "__main__":
    sys.exit(main())
