"""HTTP plumbing shared by every endpoint: the bearer token, request bodies and error answers.

Every route uses :class:`PortalRoute`, which (after routing, so unknown paths
are still ``404``) checks the token and then the body: ``application/json``,
at most :data:`MAX_BODY_BYTES`, UTF-8, one JSON object. Only then does FastAPI
parse the body into the endpoint's model.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from typing import Any, Callable, Coroutine, NoReturn

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from portal.errors import ApiError, error_response

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_SURROGATE = re.compile("[\ud800-\udfff]")


class PortalRoute(APIRoute):
    """A route that needs the bearer token and, if it takes a body, a well-formed JSON object."""

    requires_token = True

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        takes_body = self.body_field is not None

        async def checked_handler(request: Request) -> Response:
            if self.requires_token:
                check_token(request)
            if takes_body and request.method in BODY_METHODS:
                await read_json_object(request)
            return await handler(request)

        return checked_handler


class PublicRoute(PortalRoute):
    """A route anyone may call (the health check)."""

    requires_token = False


def check_token(request: Request) -> None:
    """Check ``Authorization: Bearer <token>`` in constant time.

    Raises:
        ApiError: 401 unauthorized when it is missing or wrong.

    """
    expected: str = request.app.state.api_token
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "unauthorized", "missing bearer token (Authorization: Bearer <token>)",
                       {"WWW-Authenticate": "Bearer"})
    if not hmac.compare_digest(token.encode("utf-8", "surrogateescape"), expected.encode("utf-8")):
        raise ApiError(401, "unauthorized", "wrong bearer token", {"WWW-Authenticate": "Bearer"})


async def read_json_object(request: Request) -> dict[str, Any]:
    """Read and check a JSON request body, leaving it cached for FastAPI.

    Raises:
        ApiError: 415 for another content type, 413 over 64 KB, 400 for an
            empty, incomplete, non-UTF-8 or malformed body or one that is not an object.

    """
    media_type, _, parameters = request.headers.get("content-type", "").partition(";")
    if media_type.strip().lower() != "application/json":
        raise ApiError(415, "unsupported_media_type", "send the body as Content-Type: application/json")
    charset = _parameter(parameters, "charset")
    if charset not in (None, "utf-8", "utf8"):
        raise ApiError(415, "unsupported_media_type", "the body must be UTF-8 encoded")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        _too_large()
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                _too_large()
            chunks.append(chunk)
    except ClientDisconnect as error:  # a malformed chunked body, or the client went away
        raise ApiError(400, "incomplete_body", "the body ended before it was complete") from error
    raw = b"".join(chunks)
    request._body = raw  # what Request.body() returns from now on
    if not raw.strip():
        raise ApiError(400, "invalid_json", "the body is empty; send a JSON object")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ApiError(400, "invalid_encoding",
                       f"the body is not valid UTF-8 (byte {error.start})") from error
    try:
        body = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as error:
        raise ApiError(400, "invalid_json", f"the body is not valid JSON ({error})") from error
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "the body must be a JSON object")
    if _has_lone_surrogate(body):
        raise ApiError(400, "invalid_encoding", "the body has a lone surrogate escape (\\ud800-\\udfff)")
    request._json = body
    return body


def _has_lone_surrogate(value: Any) -> bool:
    """Whether a parsed JSON value has a string with half a surrogate pair (not a character)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str) and _SURROGATE.search(item):
            return True
    return False


def _parameter(parameters: str, name: str) -> str | None:
    for item in parameters.split(";"):
        key, _, value = item.partition("=")
        if key.strip().lower() == name:
            return value.strip().strip('"').lower()
    return None


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


def _too_large() -> NoReturn:
    raise ApiError(413, "payload_too_large", f"the body is larger than {MAX_BODY_BYTES // 1024} KB")


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error, FastAPI's and Starlette's included, as ``{"error": {...}}``."""

    async def api_error(_request: Request, error: Exception) -> Response:
        assert isinstance(error, ApiError)
        return error.response()

    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)
        if error.status_code == 404:
            return error_response(404, "not_found", f"no such endpoint: {request.url.path}")
        if error.status_code == 405:
            return error_response(405, "method_not_allowed",
                                  f"{request.method} is not allowed on {request.url.path}", error.headers)
        return error_response(error.status_code, None, str(error.detail), error.headers)

    async def validation_error(_request: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError)
        problems = error.errors()
        first = problems[0] if problems else {"loc": ("body",), "msg": "invalid request"}
        location = tuple(first.get("loc", ()))
        where, path = (location[0], location[1:]) if location else ("body", ())
        field = ".".join(str(part) for part in path)
        message = str(first.get("msg", "invalid"))
        if where == "body" and field:
            return error_response(422, "invalid_field", f"{field}: {message}")
        if where == "body":
            return error_response(400, "invalid_json", f"the body must be a JSON object ({message})")
        return error_response(400, "invalid_parameter", f"{field or where}: {message}")

    async def database_error(_request: Request, error: Exception) -> Response:
        log.error("database error: %s", error)
        return error_response(503, "unavailable", "the database is not available; try again later")

    async def unexpected_error(_request: Request, error: Exception) -> Response:
        log.exception("unexpected error", exc_info=error)
        return error_response(500, "internal_error", "unexpected error; see the portal's log")

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(OperationalError, database_error)
    app.add_exception_handler(Exception, unexpected_error)
