"""Fault injection, a test aid: slow or failing answers on demand.

Enabled only with ``PORTAL_FAULT_INJECTION=1``. ``POST /api/v1/_faults`` sets a
fault for the next ``times`` requests whose path starts with ``paths``:

- ``delay_ms``: the request is handled (and committed) as usual, then the
  answer is held back this long: a slow network where the work was done but
  the answer came late.
- ``status``: the request is not handled at all (nothing is stored) and the
  answer is this 5xx status.

``DELETE /api/v1/_faults`` clears it. Requests to ``/_faults`` itself are
never affected.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict, dataclass
from typing import Any, Optional

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portal.errors import STATUS_CODES

FAULTS_PATH = "/api/v1/_faults"


@dataclass
class Fault:
    """A fault in force and how many more requests it applies to."""

    delay_ms: int
    status: Optional[int]
    times: int
    paths: str

    def as_dict(self) -> dict[str, Any]:
        """The fault as JSON."""
        return asdict(self)


class Faults:
    """The fault in force, if any (one at a time)."""

    def __init__(self) -> None:
        self.fault: Optional[Fault] = None

    def set(self, fault: Optional[Fault]) -> None:
        """Put a fault in force, or clear it with None."""
        self.fault = fault

    def take(self, path: str) -> Optional[Fault]:
        """The fault for a request to a path, counting the request; None when none applies."""
        fault = self.fault
        if fault is None or path.startswith(FAULTS_PATH) or not path.startswith(fault.paths):
            return None
        fault.times -= 1
        if fault.times <= 0:
            self.fault = None
        return fault


class FaultInjector:
    """ASGI middleware applying the fault in force to each request."""

    def __init__(self, app: ASGIApp, faults: Faults) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        fault = self.faults.take(scope["path"]) if scope["type"] == "http" else None
        if fault is None:
            await self.app(scope, receive, send)
            return
        delay = fault.delay_ms / 1000
        if fault.status is not None:
            await asyncio.sleep(delay)
            await _send_error(send, fault.status)
            return

        async def late_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                await asyncio.sleep(delay)
            await send(message)

        await self.app(scope, receive, late_send)


async def _send_error(send: Send, status: int) -> None:
    body = json.dumps({"error": {"code": STATUS_CODES.get(status, "server_error"),
                                 "message": f"injected fault: {status}"}}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
