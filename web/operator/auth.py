"""Who is using the console: the session cookie, the CSRF check, and the login throttle.

Every console page needs a session (``Accounts.session``, which expires after
``OPERATOR_SESSION_MINUTES`` without activity); a page asked for without one
redirects to the login form. Every form that changes something carries the
session's CSRF token, and the cookie is ``HttpOnly`` and ``SameSite=Strict``.
"""

from __future__ import annotations

import asyncio
import hmac
import time
from collections import defaultdict, deque
from typing import Optional
from urllib.parse import quote

from fastapi import HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from bot.operators.accounts import Accounts, Session

COOKIE = "operator_session"
#: Failed logins allowed per name and address within ``THROTTLE_SECONDS`` ...
MAX_FAILURES = 5
#: ... after which that name is refused from that address for the rest of the window.
THROTTLE_SECONDS = 300.0


class LoginRequired(Exception):
    """No valid session: the page answers with a redirect to the login form."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path

    def response(self) -> Response:
        """The redirect to the login form, coming back here afterwards."""
        return RedirectResponse(f"/operator/login?next={quote(self.next_path, safe='/')}", status_code=303)


async def current_session(accounts: Accounts, request: Request) -> Session:
    """The request's session, or :class:`LoginRequired`."""
    token = request.cookies.get(COOKIE, "")
    session = await asyncio.to_thread(accounts.session, token) if token else None
    if session is None:
        next_path = request.url.path if request.method == "GET" else "/operator/"
        raise LoginRequired(next_path)
    return session


def check_csrf(session: Session, fields: dict[str, str]) -> None:
    """Refuse a changing form without the session's CSRF token (403)."""
    if not hmac.compare_digest(fields.get("csrf", ""), session.csrf):
        raise HTTPException(403, "This form has expired. Please go back, reload the page and try again.")


def set_session_cookie(response: Response, session: Session, secure: bool) -> None:
    """Give the browser the session cookie (not readable by scripts, never sent cross-site)."""
    response.set_cookie(COOKIE, session.token, httponly=True, samesite="strict", secure=secure,
                        path="/operator")


def clear_session_cookie(response: Response) -> None:
    """Forget the session cookie."""
    response.delete_cookie(COOKIE, path="/operator")


def safe_next(path: Optional[str]) -> str:
    """Where to go after logging in: only a console path on this site."""
    if path and path.startswith("/operator") and "//" not in path and "\\" not in path:
        return path
    return "/operator/"


class LoginThrottle:
    """Counts failed logins per (name, address) and refuses after too many."""

    def __init__(self, max_failures: int = MAX_FAILURES, window: float = THROTTLE_SECONDS) -> None:
        """Create an empty throttle."""
        self.max_failures = max_failures
        self.window = window
        self._failures: dict[tuple[str, str], deque[float]] = defaultdict(deque)

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        failures = self._failures[key]
        while failures and failures[0] < time.monotonic() - self.window:
            failures.popleft()
        return failures

    def blocked(self, name: str, address: str) -> bool:
        """Whether this name may not try again from this address yet."""
        return len(self._recent((name, address))) >= self.max_failures

    def failed(self, name: str, address: str) -> None:
        """Count a failed login."""
        self._recent((name, address)).append(time.monotonic())

    def succeeded(self, name: str, address: str) -> None:
        """Forget the failures after a good login."""
        self._failures.pop((name, address), None)
