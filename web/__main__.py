"""``python -m web``: serve the web pages (the kiosk page) on the web port until stopped."""

from __future__ import annotations

import argparse
import logging
from typing import Optional, Sequence

import uvicorn

from bot.log_masking import install_log_masking
from bot.settings import Settings
from web.app import create_app

#: Largest WebSocket frame accepted (an audio piece is far smaller).
WS_MAX_SIZE = 1024 * 1024


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Serve until stopped; return the exit status."""
    install_log_masking()
    settings = Settings.from_environment()
    parser = argparse.ArgumentParser(prog="python -m web", description="Serve the kiosk page.")
    parser.add_argument("--host", default=settings.host, help=f"address to listen on ({settings.host})")
    parser.add_argument("--port", type=int, default=settings.web_port,
                        help=f"port to listen on ({settings.web_port})")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = uvicorn.Config(create_app(settings), host=args.host, port=args.port, log_level="warning",
                            access_log=False, lifespan="on", server_header=False, ws="websockets",
                            ws_max_size=WS_MAX_SIZE, ws_ping_interval=20, ws_ping_timeout=20,
                            timeout_graceful_shutdown=5)
    logging.getLogger("web").info("Kiosk page at http://%s:%d/", args.host, args.port)
    uvicorn.Server(config).run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
