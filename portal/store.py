"""What the portal does with its database: seeding, lookups, bookings and applications.

Writes that clients may repeat (bookings, applications) go through
:meth:`Store.idempotent`: the ``Idempotency-Key`` row is inserted first, in the
same transaction as the work, under a unique constraint. Of two requests with
the same key only one transaction can commit; the other fails on the
constraint, rolls back everything it did and answers with the stored response.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable, Optional

from sqlalchemy import delete, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.catalogue import SeedData, minutes
from portal.database import Database
from portal.errors import ApiError, invalid_field, not_found
from portal.models import (
    Application,
    ApplicationHistory,
    Appointment,
    IdempotencyRecord,
    Office,
    OfficeText,
    Service,
    ServiceText,
    Slot,
)
from portal.schemas import ApplicationIn, AppointmentIn
from portal.validation import (
    CHINA_TIME,
    FINAL_STATUSES,
    FieldError,
    Lang,
    check_application_fields,
    is_application_no,
    is_identifier,
    today_in_china,
)
from portal.views import (
    application_view,
    appointment_view,
    office_view,
    service_guide,
    service_summary,
    slot_view,
)

log = logging.getLogger(__name__)

SLOT_DAYS_AHEAD = 21
"""Slots exist from today up to this many days ahead."""
FREE_SLOT_DAYS = 14
"""Without a date, free slots are listed for this many days from today."""
_ATTEMPTS = 5
_MAX_ROW_ID = 2**31 - 1


@dataclass(frozen=True)
class SeedSummary:
    """What a start found and made."""

    services: int
    offices: int
    new_slots: int


def utc_now() -> datetime:
    """The current time as the naive UTC value stored in the database."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def request_hash(method: str, path: str, body: Any) -> str:
    """A fingerprint of a request: method, path and the body's JSON with sorted keys."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode("utf-8", "surrogatepass")).hexdigest()


class Store:
    """The portal's data, on one :class:`~portal.database.Database`."""

    def __init__(self, database: Database) -> None:
        self.db = database
        self._slot_lock = threading.Lock()
        self._slots_through: Optional[date] = None

    # --- start-up ---

    def prepare(self, seed: SeedData, now: Optional[datetime] = None) -> SeedSummary:
        """Create missing tables, load the seed and make the coming days' slots (all idempotent).

        Args:
            seed: The guides and offices to serve.
            now: The current time (defaults to now).

        """
        self.db.create_tables()
        self.load_seed(seed)
        created = self.ensure_slots(now, force=True)
        return SeedSummary(services=len(seed.guides), offices=len(seed.offices), new_slots=created)

    def load_seed(self, seed: SeedData) -> None:
        """Make the catalogue tables say what the seed says.

        Services and offices missing from the seed are kept (bookings may refer
        to them) but no longer listed. Their texts are replaced.
        """
        with self.db.writing() as session:
            services = {row.id: row for row in session.execute(select(Service)).scalars()}
            for position, guide in enumerate(seed.guides.values()):
                service = services.get(guide.id) or Service(id=guide.id)
                service.position, service.active = position, True
                service.application_kinds = list(guide.application_kinds)
                service.offices = list(guide.offices)
                session.add(service)
            for service_id, service in services.items():
                service.active = service_id in seed.guides
            offices = {row.id: row for row in session.execute(select(Office)).scalars()}
            for position, item in enumerate(seed.offices.values()):
                office = offices.get(item.id) or Office(id=item.id)
                office.position, office.active, office.phone = position, True, item.phone
                office.opening_hours = [{"weekdays": list(h.weekdays), "open": h.open, "close": h.close}
                                        for h in item.opening_hours]
                office.slot_minutes, office.slot_capacity = item.slot_minutes, item.slot_capacity
                office.services = list(item.services)
                session.add(office)
            for office_id, office in offices.items():
                office.active = office_id in seed.offices
            session.flush()
            session.execute(delete(ServiceText))
            session.execute(delete(OfficeText))
            for guide in seed.guides.values():
                for lang, text in guide.texts.items():
                    session.add(ServiceText(
                        service_id=guide.id, lang=lang, name=text.name, summary=text.summary,
                        eligibility=list(text.eligibility), materials=list(text.materials), fee=text.fee,
                        processing_time=text.processing_time, online=text.online,
                        elderly_notes=list(text.elderly_notes)))
            for item in seed.offices.values():
                for lang, office_text in item.texts.items():
                    session.add(OfficeText(
                        office_id=item.id, lang=lang, name=office_text.name, address=office_text.address,
                        opening_hours_text=office_text.opening_hours_text,
                        accessibility=list(office_text.accessibility)))

    def ensure_slots(self, now: Optional[datetime] = None, force: bool = False) -> int:
        """Make sure every active office has slots from today to :data:`SLOT_DAYS_AHEAD` days ahead.

        Cheap after the first call of a day. Slots that already exist (booked
        or not) are left alone.

        Args:
            now: The current time (defaults to now).
            force: Check even if this was done today already.

        Returns:
            How many slots were created.

        """
        today = today_in_china(now)
        with self._slot_lock:
            if self._slots_through == today and not force:
                return 0
            for _ in range(_ATTEMPTS):
                try:
                    created = self._create_slots(today)
                    break
                except IntegrityError:  # another portal process made some of them meanwhile
                    continue
            else:
                raise ApiError(503, "unavailable", "could not prepare appointment slots, try again")
            self._slots_through = today
            return created

    def _create_slots(self, today: date) -> int:
        last = today + timedelta(days=SLOT_DAYS_AHEAD)
        created = 0
        with self.db.writing() as session:
            offices = session.execute(select(Office).where(Office.active == true())).scalars().all()
            for office in offices:
                existing = set(session.execute(
                    select(Slot.date, Slot.start).where(Slot.office_id == office.id, Slot.date >= today,
                                                        Slot.date <= last)).all())
                for offset in range(SLOT_DAYS_AHEAD + 1):
                    day = today + timedelta(days=offset)
                    for start, end in _day_slots(office, day):
                        if (day, start) in existing:
                            continue
                        existing.add((day, start))
                        session.add(Slot(office_id=office.id, date=day, start=start, end=end,
                                         capacity=office.slot_capacity, remaining=office.slot_capacity))
                        created += 1
        return created

    # --- catalogue ---

    def services(self, lang: Lang) -> list[dict[str, Any]]:
        """The active services in catalogue order."""
        with self.db.reading() as session:
            rows = session.execute(
                select(Service, ServiceText).join(ServiceText, ServiceText.service_id == Service.id)
                .where(Service.active == true(), ServiceText.lang == lang).order_by(Service.position)).all()
            return [service_summary(service, text) for service, text in rows]

    def guide(self, service_id: str, lang: Lang) -> dict[str, Any]:
        """A service's guide with its offices.

        Raises:
            ApiError: 404 when there is no such (active) service.

        """
        if not is_identifier(service_id):
            raise not_found(f"no service {service_id!r}")
        with self.db.reading() as session:
            row = session.execute(
                select(Service, ServiceText).join(ServiceText, ServiceText.service_id == Service.id)
                .where(Service.id == service_id, Service.active == true(), ServiceText.lang == lang)).first()
            if row is None:
                raise not_found(f"no service {service_id!r}")
            service, text = row
            offices = [office for office in self._offices(session, lang) if service.id in office["services"]]
            return service_guide(service, text, offices)

    def offices(self, lang: Lang, service_id: Optional[str] = None) -> list[dict[str, Any]]:
        """The active offices, all or those offering a service, in seed order."""
        with self.db.reading() as session:
            offices = self._offices(session, lang)
        if service_id is not None:
            offices = [office for office in offices if service_id in office["services"]]
        return offices

    def service_exists(self, service_id: str) -> bool:
        """Whether a service is in the active catalogue."""
        if not is_identifier(service_id):
            return False
        with self.db.reading() as session:
            service = session.get(Service, service_id)
            return service is not None and service.active

    @staticmethod
    def _offices(session: Session, lang: Lang) -> list[dict[str, Any]]:
        rows = session.execute(
            select(Office, OfficeText).join(OfficeText, OfficeText.office_id == Office.id)
            .where(Office.active == true(), OfficeText.lang == lang).order_by(Office.position)).all()
        return [office_view(office, text) for office, text in rows]

    @staticmethod
    def _office(session: Session, office_id: str, lang: Lang) -> dict[str, Any]:
        office = session.get(Office, office_id)
        text = session.get(OfficeText, (office_id, lang))
        if office is None or text is None:
            raise not_found(f"no office {office_id!r}")
        return office_view(office, text)

    # --- appointments ---

    def free_slots(self, office_id: str, service_id: str, day: Optional[date],
                   now: Optional[datetime] = None) -> list[dict[str, Any]]:
        """Slots with room left that have not started, on a day or over the next 14 days.

        Raises:
            ApiError: 404 for an unknown office or service, 422 service_not_offered.

        """
        if not is_identifier(office_id):
            raise not_found(f"no office {office_id!r}")
        if not is_identifier(service_id):
            raise not_found(f"no service {service_id!r}")
        moment = (now or datetime.now(timezone.utc)).astimezone(CHINA_TIME)
        self.ensure_slots(moment)
        today, clock = moment.date(), moment.strftime("%H:%M")
        with self.db.reading() as session:
            office = session.get(Office, office_id)
            if office is None or not office.active:
                raise not_found(f"no office {office_id!r}")
            service = session.get(Service, service_id)
            if service is None or not service.active:
                raise not_found(f"no service {service_id!r}")
            if service_id not in office.services:
                raise ApiError(422, "service_not_offered", f"office {office_id} does not offer {service_id}")
            first, last = (day, day) if day else (today, today + timedelta(days=FREE_SLOT_DAYS - 1))
            first = max(first, today)
            slots = session.execute(
                select(Slot).where(Slot.office_id == office_id, Slot.date >= first, Slot.date <= last,
                                   Slot.remaining > 0)
                .order_by(Slot.date, Slot.start)).scalars().all()
            return [slot_view(slot) for slot in slots if slot.date > today or slot.start > clock]

    def book(self, key: str, fingerprint: str, request: AppointmentIn, lang: Lang,
             now: Optional[datetime] = None) -> tuple[int, dict[str, Any]]:
        """Book a slot once per ``Idempotency-Key``.

        Returns:
            ``201`` and the appointment, or ``200`` and the first answer when the
            key was used before with the same request.

        Raises:
            ApiError: 409 slot_full or idempotency_key_reused, 422 invalid_field
                or service_not_offered.

        """
        def work(session: Session) -> dict[str, Any]:
            moment = (now or datetime.now(timezone.utc)).astimezone(CHINA_TIME)
            if not 1 <= request.slot_id <= _MAX_ROW_ID:
                raise invalid_field("slot_id", f"there is no slot {request.slot_id}")
            slot = session.get(Slot, request.slot_id)
            office = session.get(Office, slot.office_id) if slot else None
            if slot is None or office is None or not office.active:
                raise invalid_field("slot_id", f"there is no slot {request.slot_id}")
            if not self.service_exists_in(session, request.service_id):
                raise invalid_field("service_id", f"there is no service {request.service_id!r}")
            if request.service_id not in office.services:
                raise ApiError(422, "service_not_offered",
                               f"office {office.id} does not offer {request.service_id}")
            if (slot.date, slot.start) <= (moment.date(), moment.strftime("%H:%M")):
                raise ApiError(409, "slot_full", f"slot {slot.id} has already started")
            taken = session.execute(
                update(Slot).where(Slot.id == slot.id, Slot.remaining > 0)
                .values(remaining=Slot.remaining - 1).execution_options(synchronize_session=False))
            if taken.rowcount != 1:
                raise ApiError(409, "slot_full", f"slot {slot.id} is fully booked")
            number = _unused_number(session, Appointment.appointment_no,
                                    lambda: f"A{slot.date:%y%m%d}{secrets.randbelow(10_000):04d}")
            appointment = Appointment(appointment_no=number, slot_id=slot.id, service_id=request.service_id,
                                      status="booked", name=request.name, phone=request.phone,
                                      id_number=request.id_number, created_at=utc_now())
            session.add(appointment)
            session.flush()
            return appointment_view(appointment, slot, self._office(session, office.id, lang))

        return self.idempotent(key, fingerprint, work)

    @staticmethod
    def service_exists_in(session: Session, service_id: str) -> bool:
        """Whether a service is in the active catalogue (inside a session)."""
        if not is_identifier(service_id):
            return False
        service = session.get(Service, service_id)
        return service is not None and service.active

    # --- applications ---

    def submit(self, key: str, fingerprint: str, request: ApplicationIn) -> tuple[int, dict[str, Any]]:
        """Store an application once per ``Idempotency-Key``.

        The applicant, phone and proxy fields must have been checked already;
        this checks what depends on the catalogue (service, kind, fields).

        Raises:
            ApiError: 409 idempotency_key_reused, 422 invalid_field.

        """
        def work(session: Session) -> dict[str, Any]:
            service = session.get(Service, request.service_id) if is_identifier(request.service_id) else None
            if service is None or not service.active:
                raise invalid_field("service_id", f"there is no service {request.service_id!r}")
            if not service.application_kinds:
                raise invalid_field("service_id", f"{service.id} does not take applications here")
            if request.kind not in service.application_kinds:
                raise invalid_field("kind", f"must be one of {', '.join(service.application_kinds)}")
            offices = [office.id for office in session.execute(
                select(Office).where(Office.active == true())).scalars() if service.id in office.services]
            try:
                fields = check_application_fields(service.id, request.kind, request.fields, offices)
            except FieldError as error:
                raise invalid_field(error.field, error.problem) from error
            created = utc_now()
            number = _unused_number(
                session, Application.application_no,
                lambda: f"{created.replace(tzinfo=timezone.utc).astimezone(CHINA_TIME):%y%m%d}"
                        f"{secrets.randbelow(1_000_000):06d}")
            application = Application(
                application_no=number, service_id=service.id, kind=request.kind, status="submitted",
                applicant_name=request.applicant.name, applicant_id_number=request.applicant.id_number,
                applicant_phone=request.applicant.phone, fields=fields,
                proxy=request.proxy.dict() if request.proxy else None, channel=request.channel,
                created_at=created, updated_at=created)
            application.history = [ApplicationHistory(status="submitted", note="", at=created)]
            session.add(application)
            session.flush()
            return application_view(application)

        return self.idempotent(key, fingerprint, work)

    def application(self, application_no: str, phone: str) -> dict[str, Any]:
        """An application, when the phone matches the applicant's.

        Raises:
            ApiError: 404, the same for an unknown number and a wrong phone.

        """
        if not is_application_no(application_no):
            raise not_found("no application with this number and phone")
        with self.db.reading() as session:
            application = session.execute(
                select(Application).where(Application.application_no == application_no)).scalar_one_or_none()
            if application is None or not hmac.compare_digest(application.applicant_phone.encode(),
                                                              phone.encode()):
                raise not_found("no application with this number and phone")
            return application_view(application)

    def change_status(self, application_no: str, status: str, note: str) -> dict[str, Any]:
        """Move an application to a status and record it in the history.

        Raises:
            ApiError: 404 for an unknown number, 409 invalid_status_change when
                the application is completed or rejected already.

        """
        if not is_application_no(application_no):
            raise not_found(f"no application {application_no!r}")
        with self.db.writing() as session:
            application = session.execute(
                select(Application).where(Application.application_no == application_no)
                .with_for_update()).scalar_one_or_none()
            if application is None:
                raise not_found(f"no application {application_no}")
            if application.status in FINAL_STATUSES and status != application.status:
                raise ApiError(409, "invalid_status_change",
                               f"application {application_no} is {application.status} already")
            changed = utc_now()
            application.status, application.updated_at = status, changed
            application.history.append(ApplicationHistory(status=status, note=note, at=changed))
            session.flush()
            return application_view(application)

    # --- idempotency ---

    def idempotent(self, key: str, fingerprint: str,
                   work: Callable[[Session], dict[str, Any]]) -> tuple[int, dict[str, Any]]:
        """Do some work once per key: ``201`` and its answer, or ``200`` and the stored answer.

        Args:
            key: The ``Idempotency-Key``.
            fingerprint: :func:`request_hash` of the request.
            work: Does the work in the given session (already holding the key)
                and returns the answer; raises :class:`ApiError` to refuse.

        Raises:
            ApiError: 409 idempotency_key_reused for the key with another request,
                or whatever the work raises.

        """
        for _ in range(_ATTEMPTS):
            replay = self._replay(key, fingerprint)
            if replay is not None:
                return 200, replay
            try:
                with self.db.writing() as session:
                    record = IdempotencyRecord(key=key, request_hash=fingerprint, status_code=201,
                                               response=None, created_at=utc_now())
                    session.add(record)
                    session.flush()  # waits here for a concurrent request with the key, then fails
                    record.response = work(session)
                return 201, record.response
            except IntegrityError:
                log.debug("concurrent write with idempotency key %r, or a number clash; retrying", key)
        raise ApiError(503, "unavailable", "could not store the request; try again with the same key")

    def _replay(self, key: str, fingerprint: str) -> Optional[dict[str, Any]]:
        with self.db.reading() as session:
            record = session.execute(
                select(IdempotencyRecord).where(IdempotencyRecord.key == key)).scalar_one_or_none()
            if record is None:
                return None
            if not hmac.compare_digest(record.request_hash, fingerprint):
                raise ApiError(409, "idempotency_key_reused",
                               "this Idempotency-Key was used for a different request")
            return record.response


def _day_slots(office: Office, day: date) -> list[tuple[str, str]]:
    """The (start, end) times of an office's slots on a day."""
    times: set[tuple[str, str]] = set()
    for hours in office.opening_hours:
        if day.isoweekday() not in hours["weekdays"]:
            continue
        start, close = minutes(hours["open"]), minutes(hours["close"])
        while start + office.slot_minutes <= close:
            end = start + office.slot_minutes
            times.add((f"{start // 60:02d}:{start % 60:02d}", f"{end // 60:02d}:{end % 60:02d}"))
            start = end
    return sorted(times)


def _unused_number(session: Session, column: Any, make: Callable[[], str]) -> str:
    """A random number not in a column yet (the unique constraint catches a concurrent clash)."""
    for _ in range(50):
        number = make()
        if session.execute(select(column).where(column == number)).first() is None:
            return number
    raise ApiError(503, "unavailable", "no free number left; try again")
