"""The FastAPI application of the reference portal."""

from __future__ import annotations

import contextlib
from typing import AsyncIterator

from fastapi import APIRouter, FastAPI
from starlette.responses import JSONResponse

from portal.api import BASE_PATH, build_routers
from portal.faults import FaultInjector, Faults
from portal.http import PortalRoute, install_error_handlers
from portal.store import Store

DESCRIPTION = """The government service portal API the assistant's actions call (portal/API.md).

Every endpoint except `GET /api/v1/health` needs `Authorization: Bearer <PORTAL_API_TOKEN>`.
Errors are `{"error": {"code": "...", "message": "..."}}`."""


def create_app(store: Store, api_token: str, fault_injection: bool = False) -> FastAPI:
    """Build the portal application.

    Args:
        store: The prepared (tables created, seed loaded) data store.
        api_token: The bearer token clients must send.
        fault_injection: Serve ``/api/v1/_faults`` (a test aid; off in production).

    Returns:
        The ASGI application.

    """
    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        store.db.dispose()

    app = FastAPI(title="Government service portal (reference)", version="1.0.0", description=DESCRIPTION,
                  openapi_url=None, docs_url=None, redoc_url=None, redirect_slashes=False, lifespan=lifespan)
    app.state.api_token = api_token
    faults = Faults() if fault_injection else None
    for router in build_routers(store, faults):
        app.include_router(router)

    documents = APIRouter(route_class=PortalRoute)

    def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    for path in (f"{BASE_PATH}/openapi.json", "/openapi.json"):
        documents.add_api_route(path, openapi, methods=["GET"], include_in_schema=False,
                                response_model=None)
    app.include_router(documents)
    install_error_handlers(app)
    if faults is not None:
        app.add_middleware(FaultInjector, faults=faults)
    return app

