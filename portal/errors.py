"""Error answers: always ``{"error": {"code": ..., "message": ...}}``.

``code`` is stable and what clients branch on; ``message`` is plain English
for developers.
"""

from __future__ import annotations

from typing import Mapping, Optional

from starlette.responses import JSONResponse

# The code of an HTTP status when nothing more specific applies.
STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_field",
    500: "internal_error",
    502: "bad_gateway",
    503: "unavailable",
    504: "gateway_timeout",
}


class ApiError(Exception):
    """An answer other than success, raised anywhere while handling a request."""

    def __init__(self, status: int, code: str, message: str,
                 headers: Optional[Mapping[str, str]] = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})

    def response(self) -> JSONResponse:
        """Return the error as a JSON response."""
        return error_response(self.status, self.code, self.message, self.headers)


def error_response(status: int, code: Optional[str], message: str,
                   headers: Optional[Mapping[str, str]] = None) -> JSONResponse:
    """Build an error response.

    Args:
        status: The HTTP status.
        code: The stable error code (defaults to the status's usual one).
        message: What went wrong, for developers.
        headers: Extra headers (``Allow``, ``WWW-Authenticate``).

    """
    code = code or STATUS_CODES.get(status, "server_error" if status >= 500 else "bad_request")
    message = message.encode("utf-8", "backslashreplace").decode("utf-8")  # never fail on odd input
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status,
                        headers=dict(headers or {}))


def not_found(message: str = "not found") -> ApiError:
    """An unknown resource (404 not_found)."""
    return ApiError(404, "not_found", message)


def invalid_field(field: str, problem: str) -> ApiError:
    """A missing or invalid body field (422 invalid_field)."""
    return ApiError(422, "invalid_field", f"{field}: {problem}")
