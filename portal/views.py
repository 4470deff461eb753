"""Database rows as the JSON the API returns (see portal/API.md)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional

from portal.models import Application, Appointment, Office, OfficeText, Service, ServiceText, Slot
from portal.validation import CHINA_TIME, mask_phone


def timestamp(moment: datetime) -> str:
    """Return a stored (naive UTC) time as ISO 8601 in China Standard Time: ``...T09:30:00+08:00``."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(CHINA_TIME).isoformat(timespec="seconds")


def office_view(office: Office, text: OfficeText) -> dict[str, Any]:
    """An office in the reader's language."""
    return {
        "id": office.id,
        "name": text.name,
        "address": text.address,
        "phone": office.phone,
        "opening_hours": [dict(entry) for entry in office.opening_hours],
        "opening_hours_text": text.opening_hours_text,
        "accessibility": list(text.accessibility),
        "services": list(office.services),
    }


def service_summary(service: Service, text: ServiceText) -> dict[str, Any]:
    """A service as listed in the catalogue."""
    return {"id": service.id, "name": text.name, "summary": text.summary,
            "application_kinds": list(service.application_kinds)}


def service_guide(service: Service, text: ServiceText, offices: list[dict[str, Any]]) -> dict[str, Any]:
    """A service's full guide in one language, with the offices offering it."""
    return {
        "id": service.id,
        "lang": text.lang,
        "name": text.name,
        "summary": text.summary,
        "eligibility": list(text.eligibility),
        "materials": list(text.materials),
        "fee": text.fee,
        "processing_time": text.processing_time,
        "online": text.online,
        "elderly_notes": list(text.elderly_notes),
        "application_kinds": list(service.application_kinds),
        "offices": offices,
    }


def slot_view(slot: Slot) -> dict[str, Any]:
    """A free slot."""
    return {"id": slot.id, "office_id": slot.office_id, "date": slot.date.isoformat(),
            "start": slot.start, "end": slot.end, "remaining": slot.remaining}


def appointment_view(appointment: Appointment, slot: Slot, office: dict[str, Any]) -> dict[str, Any]:
    """A booked appointment (the phone as given: the booker needs to check it)."""
    return {
        "appointment_no": appointment.appointment_no,
        "status": appointment.status,
        "service_id": appointment.service_id,
        "office": office,
        "date": slot.date.isoformat(),
        "start": slot.start,
        "end": slot.end,
        "name": appointment.name,
        "phone": appointment.phone,
        "created_at": timestamp(appointment.created_at),
    }


def application_view(application: Application) -> dict[str, Any]:
    """An application with its history; the ID number left out and phones masked."""
    proxy: Optional[dict[str, Any]] = None
    if application.proxy:
        proxy = {"name": application.proxy["name"], "phone": mask_phone(application.proxy["phone"]),
                 "relationship": application.proxy["relationship"],
                 "consent": bool(application.proxy["consent"])}
    return {
        "application_no": application.application_no,
        "status": application.status,
        "service_id": application.service_id,
        "kind": application.kind,
        "applicant": {"name": application.applicant_name, "phone": mask_phone(application.applicant_phone)},
        "fields": dict(application.fields),
        "proxy": proxy,
        "channel": application.channel,
        "created_at": timestamp(application.created_at),
        "history": [{"status": entry.status, "at": timestamp(entry.at), "note": entry.note}
                    for entry in application.history],
    }
