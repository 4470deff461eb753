"""The web server's application: every page served on the web port (8080).

- ``/`` and ``/kiosk/`` — the voice kiosk page for touch screens and tablets
  (``connectors/kiosk``);
- ``/operator/`` — the operator console: review, annotate, retrain, evaluate,
  deploy and roll back (``web/operator``), behind a login;
- ``/health`` — liveness for the supervisor and load balancers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import AsyncIterator, Optional

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.settings import Settings
from connectors.kiosk.service import KioskService, kiosk_router, kiosk_static
from web.operator.auth import LoginRequired
from web.operator.html import page
from web.operator.routes import Console, operator_router, operator_static

logger = logging.getLogger(__name__)

#: Headers on every page: no framing by other sites, no sniffing, nothing sent elsewhere.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; connect-src 'self' ws: wss:; media-src 'self' blob:; "
                               "img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "frame-ancestors 'none'",
    "Permissions-Policy": "microphone=(self)",
}


def create_app(settings: Settings, kiosk: Optional[KioskService] = None,
               console: Optional[Console] = None) -> FastAPI:
    """Build the web application for the settings."""
    service = kiosk or KioskService(settings)
    console = console or Console(settings)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        background = asyncio.create_task(service.run_background())
        try:
            yield
        finally:
            background.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await background
            await service.assistant.close()

    app = FastAPI(title="Public services assistant: web pages", docs_url=None, redoc_url=None,
                  openapi_url=None, lifespan=lifespan)

    @app.middleware("http")
    async def security_headers(request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.get("/health", include_in_schema=False)
    async def health() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @app.exception_handler(StarletteHTTPException)
    async def kind_errors(request: Request, error: StarletteHTTPException) -> HTMLResponse | JSONResponse:
        if request.url.path.startswith("/operator"):
            return HTMLResponse(page("出错了 Something went wrong", None, error=str(error.detail)),
                                status_code=error.status_code)
        return JSONResponse({"detail": error.detail}, status_code=error.status_code)

    @app.exception_handler(LoginRequired)
    async def log_in_first(request: Request, needed: LoginRequired) -> Response:
        return needed.response()

    app.include_router(kiosk_router(service))
    app.mount("/kiosk/static", kiosk_static(), name="kiosk-static")
    app.include_router(operator_router(console))
    app.mount("/operator/static", operator_static(), name="operator-static")
    app.state.kiosk = service
    app.state.console = console
    return app
