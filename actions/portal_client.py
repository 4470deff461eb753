"""The one module that talks to the government service portal (``portal/API.md``).

Actions never call ``requests`` themselves: they use :class:`PortalClient`,
which gives every call a connect and a read timeout, retries safe (GET)
requests with backoff, sends an idempotency key with every POST, returns
typed results, and turns every failure into one :class:`PortalError` whose
``kind`` tells the action what to say to the citizen.
"""

from __future__ import annotations

import asyncio
import functools
import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Optional, TypeVar

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from bot.settings import get_settings

T = TypeVar("T")

#: Seconds to wait for a connection and for an answer.
CONNECT_TIMEOUT = 2.0
READ_TIMEOUT = 5.0
#: Extra tries of a GET after a connection error or a 502/503/504, with backoff.
GET_RETRIES = 2
BACKOFF_SECONDS = 0.2


class PortalError(Exception):
    """A portal call that did not give the expected answer.

    Attributes:
        kind: What went wrong, for the citizen: ``unavailable`` (down, slow or
            a server error: try again later), ``not_found``, ``invalid`` (the
            portal refused a value), ``conflict`` (e.g. the slot was taken).
        code: The portal's error code, when it sent one.
        status: The HTTP status, when there was an answer.

    """

    def __init__(self, kind: str, message: str, code: str = "", status: Optional[int] = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.code = code
        self.status = status

    @property
    def may_succeed_later(self) -> bool:
        """Whether the same request may work if tried again later."""
        return self.kind == "unavailable"


@dataclass(frozen=True)
class OpeningHours:
    """When an office is open on some weekdays (ISO: 1 = Monday)."""

    weekdays: tuple[int, ...]
    open: str
    close: str


@dataclass(frozen=True)
class Office:
    """A service hall."""

    id: str
    name: str
    address: str
    phone: str
    opening_hours_text: str
    opening_hours: tuple[OpeningHours, ...] = ()
    accessibility: tuple[str, ...] = ()
    services: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Office":
        """Build an office from the portal's JSON."""
        return cls(
            id=str(data["id"]), name=str(data["name"]), address=str(data.get("address", "")),
            phone=str(data.get("phone", "")), opening_hours_text=str(data.get("opening_hours_text", "")),
            opening_hours=tuple(
                OpeningHours(tuple(int(d) for d in h.get("weekdays", [])), str(h["open"]), str(h["close"]))
                for h in data.get("opening_hours", [])
            ),
            accessibility=tuple(str(item) for item in data.get("accessibility", [])),
            services=tuple(str(item) for item in data.get("services", [])),
        )


@dataclass(frozen=True)
class Guide:
    """A service guide in one language."""

    id: str
    lang: str
    name: str
    summary: str
    eligibility: tuple[str, ...]
    materials: tuple[str, ...]
    fee: str
    processing_time: str
    online: str
    elderly_notes: tuple[str, ...]
    application_kinds: tuple[str, ...]
    offices: tuple[Office, ...]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Guide":
        """Build a guide from the portal's JSON."""
        return cls(
            id=str(data["id"]), lang=str(data.get("lang", "zh")), name=str(data["name"]),
            summary=str(data.get("summary", "")),
            eligibility=tuple(str(x) for x in data.get("eligibility", [])),
            materials=tuple(str(x) for x in data.get("materials", [])),
            fee=str(data.get("fee", "")), processing_time=str(data.get("processing_time", "")),
            online=str(data.get("online", "")),
            elderly_notes=tuple(str(x) for x in data.get("elderly_notes", [])),
            application_kinds=tuple(str(x) for x in data.get("application_kinds", [])),
            offices=tuple(Office.from_json(o) for o in data.get("offices", [])),
        )


@dataclass(frozen=True)
class Slot:
    """A free appointment slot."""

    id: int
    office_id: str
    date: date
    start: str
    end: str
    remaining: int

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Slot":
        """Build a slot from the portal's JSON."""
        return cls(id=int(data["id"]), office_id=str(data["office_id"]),
                   date=date.fromisoformat(str(data["date"])), start=str(data["start"]),
                   end=str(data["end"]), remaining=int(data.get("remaining", 0)))


@dataclass(frozen=True)
class Appointment:
    """A booked appointment."""

    appointment_no: str
    status: str
    service_id: str
    office: Office
    date: date
    start: str
    end: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Appointment":
        """Build an appointment from the portal's JSON."""
        return cls(appointment_no=str(data["appointment_no"]), status=str(data.get("status", "")),
                   service_id=str(data["service_id"]), office=Office.from_json(data["office"]),
                   date=date.fromisoformat(str(data["date"])), start=str(data["start"]),
                   end=str(data["end"]))


@dataclass(frozen=True)
class StatusChange:
    """One step of an application's history."""

    status: str
    at: str
    note: str = ""


@dataclass(frozen=True)
class Application:
    """A submitted application, as the portal reports it."""

    application_no: str
    status: str
    service_id: str
    kind: str
    fields: dict[str, Any] = field(default_factory=dict)
    created_at: str = ""
    history: tuple[StatusChange, ...] = ()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Application":
        """Build an application from the portal's JSON."""
        return cls(
            application_no=str(data["application_no"]), status=str(data["status"]),
            service_id=str(data["service_id"]), kind=str(data.get("kind", "")),
            fields=dict(data.get("fields") or {}), created_at=str(data.get("created_at", "")),
            history=tuple(StatusChange(str(h.get("status", "")), str(h.get("at", "")),
                                       str(h.get("note") or "")) for h in data.get("history", [])),
        )


def new_idempotency_key() -> str:
    """Return a fresh key for one submission (kept in the conversation for retries)."""
    return uuid.uuid4().hex


class PortalClient:
    """Calls the portal API with timeouts, retries for GETs and typed results."""

    def __init__(self, base_url: str, token: str, *, connect_timeout: float = CONNECT_TIMEOUT,
                 read_timeout: float = READ_TIMEOUT, get_retries: int = GET_RETRIES,
                 backoff: float = BACKOFF_SECONDS) -> None:
        """Create a client.

        Args:
            base_url: The API base, e.g. ``http://127.0.0.1:8000/api/v1``.
            token: The bearer token.
            connect_timeout: Seconds to wait for a connection.
            read_timeout: Seconds to wait for an answer.
            get_retries: Extra tries of a GET that failed to connect or got 502/503/504.
            backoff: Backoff factor between those tries, in seconds.

        """
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, read_timeout)
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {token}", "Accept": "application/json"})
        retry = Retry(total=get_retries, connect=get_retries, read=get_retries, status=get_retries,
                      backoff_factor=backoff, status_forcelist=(502, 503, 504),
                      allowed_methods=frozenset({"GET"}), raise_on_status=False)
        adapter = HTTPAdapter(max_retries=retry, pool_maxsize=32)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    # -- reading -------------------------------------------------------------

    def guide(self, service_id: str, lang: str) -> Guide:
        """Return the guide of a service in a language."""
        return Guide.from_json(self._request("GET", f"/services/{service_id}", params={"lang": lang}))

    def offices(self, lang: str, service_id: Optional[str] = None) -> list[Office]:
        """Return the service halls (those offering a service, when given)."""
        params = {"lang": lang, **({"service_id": service_id} if service_id else {})}
        return [Office.from_json(o) for o in self._request("GET", "/offices", params=params)["offices"]]

    def free_slots(self, office_id: str, service_id: str, day: Optional[date] = None) -> list[Slot]:
        """Return the free appointment slots on a day, or over the coming two weeks."""
        params = {"office_id": office_id, "service_id": service_id}
        if day is not None:
            params["date"] = day.isoformat()
        found = self._request("GET", "/appointments/slots", params=params)["slots"]
        return [Slot.from_json(s) for s in found]

    def application(self, application_no: str, phone: str) -> Application:
        """Return an application's status; the applicant's phone number must match."""
        return Application.from_json(
            self._request("GET", f"/applications/{application_no}", params={"phone": phone}))

    # -- creating ------------------------------------------------------------

    def submit_application(self, body: dict[str, Any], idempotency_key: str) -> Application:
        """Submit an application; the same key never creates a second one."""
        return Application.from_json(self._request("POST", "/applications", json=body, key=idempotency_key))

    def book_appointment(self, body: dict[str, Any], idempotency_key: str) -> Appointment:
        """Book an appointment; the same key never books twice."""
        return Appointment.from_json(self._request("POST", "/appointments", json=body, key=idempotency_key))

    # -- plumbing ------------------------------------------------------------

    def _request(self, method: str, path: str, *, params: Optional[dict[str, str]] = None,
                 json: Optional[dict[str, Any]] = None, key: Optional[str] = None) -> dict[str, Any]:
        headers = {"Idempotency-Key": key} if key else {}
        try:
            response = self.session.request(method, self.base_url + path, params=params, json=json,
                                            headers=headers, timeout=self.timeout)
        except requests.Timeout as error:
            raise PortalError("unavailable", f"{method} {path}: no answer in time") from error
        except requests.RequestException as error:
            raise PortalError("unavailable", f"{method} {path}: {error.__class__.__name__}") from error
        if response.status_code < 400:
            try:
                data = response.json()
            except ValueError as error:
                raise PortalError("unavailable", f"{method} {path}: answer is not JSON",
                                  status=response.status_code) from error
            if not isinstance(data, dict):
                raise PortalError("unavailable", f"{method} {path}: unexpected answer",
                                  status=response.status_code)
            return data
        raise _error_from(method, path, response)


def _error_from(method: str, path: str, response: requests.Response) -> PortalError:
    """Turn an error answer into a :class:`PortalError`."""
    code, message = "", response.reason or ""
    try:
        error = response.json().get("error", {})
        code, message = str(error.get("code", "")), str(error.get("message", message))
    except (ValueError, AttributeError):
        pass
    status = response.status_code
    if status >= 500 or status in (401, 403, 408, 429):
        kind = "unavailable"
    elif status == 404:
        kind = "not_found"
    elif status == 409:
        kind = "conflict"
    else:
        kind = "invalid"
    return PortalError(kind, f"{method} {path}: {status} {code} {message}".strip(), code=code, status=status)


@functools.lru_cache(maxsize=1)
def portal_client() -> PortalClient:
    """Return the action server's client, built from the settings on first use."""
    settings = get_settings()
    return PortalClient(settings.portal_api_url, settings.portal_api_token)


async def call_portal(function: Callable[..., T], *args: Any) -> T:
    """Run a blocking client call in a worker thread, so other conversations go on meanwhile."""
    return await asyncio.to_thread(function, *args)


#: Seconds a guide or office list read from the portal is reused.
CACHE_SECONDS = 60.0
_cache: dict[tuple[Any, ...], tuple[float, Any]] = {}


def _cached(key: tuple[Any, ...], load: Callable[[], T]) -> T:
    """Return a recent cached value, or load it (failures are not cached)."""
    now = time.monotonic()
    hit = _cache.get(key)
    if hit is not None and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    value = load()
    _cache[key] = (now, value)
    return value


async def get_guide(service_id: str, lang: str) -> Guide:
    """Return a service guide, read from the portal at most once a minute."""
    client = portal_client()
    return await call_portal(_cached, ("guide", service_id, lang), lambda: client.guide(service_id, lang))


async def get_offices(lang: str, service_id: Optional[str] = None) -> list[Office]:
    """Return the service halls (offering a service), read at most once a minute."""
    client = portal_client()
    return await call_portal(_cached, ("offices", lang, service_id), lambda: client.offices(lang, service_id))
