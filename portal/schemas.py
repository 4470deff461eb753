"""Request bodies and the documented shapes of the answers (for ``openapi.json``).

Request bodies are checked for types here, for meaning in :mod:`portal.validation`.
Request models are strict: no type coercion (``"1"`` is not a slot id, ``1`` is
not a name) and no unknown keys.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, List, Optional

from pydantic import BaseModel, Extra, Field, StrictBool, StrictInt, StrictStr, conint

if TYPE_CHECKING:
    DelayMs = int
    ServerStatus = int
    Times = int
else:
    DelayMs = conint(strict=True, ge=0, le=60000)
    ServerStatus = conint(strict=True, ge=500, le=599)
    Times = conint(strict=True, ge=1, le=1000)


class _Strict(BaseModel):
    class Config:
        extra = Extra.forbid


class ApplicantIn(_Strict):
    """The person the application is for."""

    name: StrictStr
    id_number: StrictStr = Field(..., description="18-character resident ID number; stored, never returned")
    phone: StrictStr = Field(..., description="mainland mobile number, 11 digits")


class ProxyIn(_Strict):
    """Someone applying on the applicant's behalf, with the applicant's consent."""

    name: StrictStr
    phone: StrictStr
    relationship: StrictStr = Field(..., description="e.g. daughter, 女儿")
    consent: StrictBool = Field(..., description="must be true")


class ApplicationIn(_Strict):
    """``POST /applications``."""

    service_id: StrictStr
    kind: StrictStr
    applicant: ApplicantIn
    fields: Dict[StrictStr, StrictStr] = Field(default_factory=dict,
                                               description="per service and kind, see API.md")
    proxy: Optional[ProxyIn] = None
    channel: StrictStr = Field("api", description="where the application came from, e.g. rest, telegram")


class AppointmentIn(_Strict):
    """``POST /appointments``."""

    slot_id: StrictInt
    service_id: StrictStr
    name: StrictStr
    phone: StrictStr
    id_number: Optional[StrictStr] = None


class StatusChangeIn(_Strict):
    """``POST /applications/{application_no}/status``."""

    status: StrictStr = Field(..., description="submitted, accepted, processing, ready, completed, rejected")
    note: StrictStr = Field("", description="shown in the history; up to 500 characters")


class FaultsIn(_Strict):
    """``POST /_faults`` (test aid)."""

    delay_ms: DelayMs = Field(0, description="answer this much later (0-60000), after the work")
    status: Optional[ServerStatus] = Field(None, description="answer with this 5xx instead, no work")
    times: Times = Field(1, description="how many matching requests (1-1000)")
    paths: StrictStr = Field("/api/v1/", description="requests whose path starts with this")


class ErrorDetail(BaseModel):
    """What went wrong."""

    code: str
    message: str


class ErrorOut(BaseModel):
    """Every error answer."""

    error: ErrorDetail


class HealthOut(BaseModel):
    """``GET /health``."""

    status: str
    database: str


class ServiceSummaryOut(BaseModel):
    """A service in the catalogue list."""

    id: str
    name: str
    summary: str
    application_kinds: List[str]


class ServiceListOut(BaseModel):
    """``GET /services``."""

    services: List[ServiceSummaryOut]


class OpeningHoursOut(BaseModel):
    """Opening hours on some ISO weekdays (1 = Monday)."""

    weekdays: List[int]
    open: str
    close: str


class OfficeOut(BaseModel):
    """A service hall."""

    id: str
    name: str
    address: str
    phone: str
    opening_hours: List[OpeningHoursOut]
    opening_hours_text: str
    accessibility: List[str]
    services: List[str]


class OfficeListOut(BaseModel):
    """``GET /offices``."""

    offices: List[OfficeOut]


class ServiceGuideOut(BaseModel):
    """``GET /services/{id}``."""

    id: str
    lang: str
    name: str
    summary: str
    eligibility: List[str]
    materials: List[str]
    fee: str
    processing_time: str
    online: str
    elderly_notes: List[str]
    application_kinds: List[str]
    offices: List[OfficeOut]


class SlotOut(BaseModel):
    """A free appointment slot."""

    id: int
    office_id: str
    date: str
    start: str
    end: str
    remaining: int


class SlotListOut(BaseModel):
    """``GET /appointments/slots``."""

    slots: List[SlotOut]


class AppointmentOut(BaseModel):
    """A booked appointment."""

    appointment_no: str
    status: str
    service_id: str
    office: OfficeOut
    date: str
    start: str
    end: str
    name: str
    phone: str
    created_at: str


class PersonOut(BaseModel):
    """A person as shown back: the phone masked (``138****5678``)."""

    name: str
    phone: str


class ProxyOut(PersonOut):
    """The proxy applicant as shown back."""

    relationship: str
    consent: bool


class HistoryEntryOut(BaseModel):
    """A status an application went through."""

    status: str
    at: str
    note: str


class ApplicationOut(BaseModel):
    """An application with its current status and history."""

    application_no: str
    status: str
    service_id: str
    kind: str
    applicant: PersonOut
    fields: Dict[str, str]
    proxy: Optional[ProxyOut]
    channel: str
    created_at: str
    history: List[HistoryEntryOut]


class FaultsOut(BaseModel):
    """The faults in force (null: none)."""

    faults: Optional[FaultsIn]
