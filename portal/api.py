"""The endpoints of portal/API.md, under the base path ``/api/v1``."""

from __future__ import annotations

from typing import Any, Optional

from fastapi import APIRouter, Header, Query, Request, Security
from fastapi.security import HTTPBearer
from starlette.responses import JSONResponse

from portal.errors import ApiError, invalid_field
from portal.faults import Fault, Faults
from portal.http import PortalRoute, PublicRoute
from portal.schemas import (
    ApplicationIn,
    ApplicationOut,
    AppointmentIn,
    AppointmentOut,
    ErrorOut,
    FaultsIn,
    FaultsOut,
    HealthOut,
    OfficeListOut,
    ServiceGuideOut,
    ServiceListOut,
    SlotListOut,
    StatusChangeIn,
)
from portal.store import Store, request_hash
from portal.validation import (
    STATUSES,
    FieldError,
    Lang,
    check_channel,
    check_choice,
    check_id_number,
    check_mobile,
    check_name,
    check_text,
    is_idempotency_key,
    parse_iso_date,
    parse_language,
)

BASE_PATH = "/api/v1"
_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut} for status in (400, 401, 404, 409, 413, 415, 422, 503)}
_LANG = Query(None, description="zh (default) or en")
_KEY = Header(None, alias="Idempotency-Key", description="8-128 printable ASCII characters; "
                                                           "the same key and body give the same answer")
# Documents the bearer scheme in openapi.json; PortalRoute does the checking.
_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <PORTAL_API_TOKEN>")


def language(raw: Optional[str]) -> Lang:
    """The ``lang`` parameter, or ``400 invalid_language``."""
    lang = parse_language(raw)
    if lang is None:
        raise ApiError(400, "invalid_language", f"lang must be zh or en, not {raw!r}")
    return lang


def idempotency_key(raw: Optional[str]) -> str:
    """The ``Idempotency-Key`` header, or 400."""
    if raw is None or raw == "":
        raise ApiError(400, "idempotency_key_required", "send an Idempotency-Key header")
    if not is_idempotency_key(raw):
        raise ApiError(400, "invalid_idempotency_key",
                       "Idempotency-Key must be 8-128 printable ASCII characters")
    return raw


def required(name: str, value: Optional[str]) -> str:
    """A required query parameter, or ``400 invalid_parameter``."""
    if value is None or value == "":
        raise ApiError(400, "invalid_parameter", f"{name} is required")
    return value


def check_appointment(body: AppointmentIn) -> None:
    """Check an appointment's person fields (422 invalid_field)."""
    try:
        check_name(body.name, "name")
        check_mobile(body.phone, "phone")
        if body.id_number is not None:
            check_id_number(body.id_number, "id_number")
    except FieldError as error:
        raise invalid_field(error.field, error.problem) from error


def check_application(body: ApplicationIn) -> None:
    """Check an application's applicant, proxy and channel (422 invalid_field)."""
    try:
        check_name(body.applicant.name, "applicant.name")
        check_id_number(body.applicant.id_number, "applicant.id_number")
        check_mobile(body.applicant.phone, "applicant.phone")
        if body.proxy is not None:
            check_name(body.proxy.name, "proxy.name")
            check_mobile(body.proxy.phone, "proxy.phone")
            check_text(body.proxy.relationship, "proxy.relationship", max_length=20)
            if body.proxy.consent is not True:
                raise FieldError("proxy.consent", "must be true: the applicant must agree")
        check_channel(body.channel)
    except FieldError as error:
        raise invalid_field(error.field, error.problem) from error


def build_routers(store: Store, faults: Optional[Faults]) -> list[APIRouter]:
    """Every endpoint: the open health check, and the rest (``/_faults`` only when fault injection is on)."""
    public = APIRouter(prefix=BASE_PATH, route_class=PublicRoute)
    router = APIRouter(prefix=BASE_PATH, route_class=PortalRoute, responses=_ERRORS,
                       dependencies=[Security(_bearer)])

    @public.get("/health", response_model=None,
                responses={200: {"model": HealthOut}, 503: {"model": ErrorOut}},
                summary="Whether the portal and its database work (no token needed)")
    def health() -> JSONResponse:
        if not store.db.ping():
            raise ApiError(503, "unavailable", "the database is not reachable")
        return JSONResponse({"status": "ok", "database": "ok"})

    @router.get("/services", response_model=None,
                responses={200: {"model": ServiceListOut}}, summary="The service catalogue")
    def list_services(lang: Optional[str] = _LANG) -> JSONResponse:
        return JSONResponse({"services": store.services(language(lang))})

    @router.get("/services/{service_id}", response_model=None,
                responses={200: {"model": ServiceGuideOut}}, summary="A service's guide")
    def get_service(service_id: str, lang: Optional[str] = _LANG) -> JSONResponse:
        return JSONResponse(store.guide(service_id, language(lang)))

    @router.get("/offices", response_model=None,
                responses={200: {"model": OfficeListOut}}, summary="Service halls")
    def list_offices(lang: Optional[str] = _LANG,
                     service_id: Optional[str] = Query(None, description="only offices offering it")
                     ) -> JSONResponse:
        chosen = language(lang)
        if service_id is not None and not store.service_exists(service_id):
            raise ApiError(404, "not_found", f"no service {service_id!r}")
        return JSONResponse({"offices": store.offices(chosen, service_id)})

    @router.get("/appointments/slots", response_model=None,
                responses={200: {"model": SlotListOut}}, summary="Free appointment slots")
    def list_slots(office_id: Optional[str] = Query(None), service_id: Optional[str] = Query(None),
                   day: Optional[str] = Query(None, alias="date", description="YYYY-MM-DD; default: 14 days"),
                   ) -> JSONResponse:
        office = required("office_id", office_id)
        service = required("service_id", service_id)
        parsed = None
        if day is not None:
            parsed = parse_iso_date(day)
            if parsed is None:
                raise ApiError(400, "invalid_date", f"date must be YYYY-MM-DD, not {day!r}")
        return JSONResponse({"slots": store.free_slots(office, service, parsed)})

    @router.post("/appointments", response_model=None, status_code=201,
                 responses={201: {"model": AppointmentOut}, 200: {"model": AppointmentOut}},
                 summary="Book a slot (idempotent)")
    def book(request: Request, body: AppointmentIn, lang: Optional[str] = _LANG,
             key: Optional[str] = _KEY) -> JSONResponse:
        chosen, checked_key = language(lang), idempotency_key(key)
        check_appointment(body)
        fingerprint = request_hash("POST", request.url.path, body.dict())
        status, answer = store.book(checked_key, fingerprint, body, chosen)
        return JSONResponse(answer, status_code=status)

    @router.post("/applications", response_model=None, status_code=201,
                 responses={201: {"model": ApplicationOut}, 200: {"model": ApplicationOut}},
                 summary="Submit an application (idempotent)")
    def submit(request: Request, body: ApplicationIn, key: Optional[str] = _KEY) -> JSONResponse:
        checked_key = idempotency_key(key)
        check_application(body)
        fingerprint = request_hash("POST", request.url.path, body.dict())
        status, answer = store.submit(checked_key, fingerprint, body)
        return JSONResponse(answer, status_code=status)

    @router.get("/applications/{application_no}", response_model=None,
                responses={200: {"model": ApplicationOut}}, summary="An application's status and history")
    def get_application(application_no: str,
                        phone: Optional[str] = Query(None, description="the applicant's phone")
                        ) -> JSONResponse:
        if phone is None or phone == "":
            raise ApiError(400, "phone_required", "phone is required")
        return JSONResponse(store.application(application_no, phone))

    @router.post("/applications/{application_no}/status", response_model=None,
                 responses={200: {"model": ApplicationOut}}, summary="Move an application on (operators)")
    def change_status(application_no: str, body: StatusChangeIn) -> JSONResponse:
        try:
            check_choice(body.status, "status", STATUSES)
            if body.note:
                check_text(body.note, "note", max_length=500)
        except FieldError as error:
            raise invalid_field(error.field, error.problem) from error
        return JSONResponse(store.change_status(application_no, body.status, body.note))

    if faults is not None:
        _add_fault_routes(router, faults)
    return [public, router]


def _add_fault_routes(router: APIRouter, faults: Faults) -> None:
    @router.post("/_faults", response_model=None, responses={200: {"model": FaultsOut}},
                 summary="Test aid: make the next requests slow or fail")
    def set_faults(body: FaultsIn) -> JSONResponse:
        if not body.paths.startswith("/"):
            raise invalid_field("paths", "must be a path prefix starting with /")
        if body.delay_ms == 0 and body.status is None:
            raise invalid_field("delay_ms", "set delay_ms, status or both")
        fault = Fault(delay_ms=body.delay_ms, status=body.status, times=body.times, paths=body.paths)
        faults.set(fault)
        return JSONResponse({"faults": fault.as_dict()})

    @router.delete("/_faults", response_model=None,
                   responses={200: {"model": FaultsOut}}, summary="Test aid: clear the faults")
    def clear_faults() -> JSONResponse:
        faults.set(None)
        return JSONResponse({"faults": None})
