"""The portal's tables (SQLAlchemy 1.4 declarative models).

Times are stored as naive UTC ``DateTime`` values; slot dates and times are
China Standard Time. Catalogue rows (services, offices and their texts) are
rewritten from the seed files on every start; the rest is never deleted.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base, relationship

Base: Any = declarative_base()


class Service(Base):
    """A catalogue service the portal has a guide for."""

    __tablename__ = "services"

    id: str = Column(String(40), primary_key=True)
    position: int = Column(Integer, nullable=False, default=0)
    active: bool = Column(Boolean, nullable=False, default=True)
    application_kinds: list[str] = Column(JSON, nullable=False, default=list)
    offices: list[str] = Column(JSON, nullable=False, default=list)


class ServiceText(Base):
    """A service's guide in one language."""

    __tablename__ = "service_texts"

    service_id: str = Column(String(40), ForeignKey("services.id"), primary_key=True)
    lang: str = Column(String(2), primary_key=True)
    name: str = Column(Text, nullable=False)
    summary: str = Column(Text, nullable=False)
    eligibility: list[str] = Column(JSON, nullable=False)
    materials: list[str] = Column(JSON, nullable=False)
    fee: str = Column(Text, nullable=False)
    processing_time: str = Column(Text, nullable=False)
    online: str = Column(Text, nullable=False)
    elderly_notes: list[str] = Column(JSON, nullable=False)


class Office(Base):
    """A service hall."""

    __tablename__ = "offices"

    id: str = Column(String(40), primary_key=True)
    position: int = Column(Integer, nullable=False, default=0)
    active: bool = Column(Boolean, nullable=False, default=True)
    phone: str = Column(String(40), nullable=False)
    opening_hours: list[dict[str, Any]] = Column(JSON, nullable=False)
    slot_minutes: int = Column(Integer, nullable=False)
    slot_capacity: int = Column(Integer, nullable=False)
    services: list[str] = Column(JSON, nullable=False, default=list)


class OfficeText(Base):
    """An office's name, address and notes in one language."""

    __tablename__ = "office_texts"

    office_id: str = Column(String(40), ForeignKey("offices.id"), primary_key=True)
    lang: str = Column(String(2), primary_key=True)
    name: str = Column(Text, nullable=False)
    address: str = Column(Text, nullable=False)
    opening_hours_text: str = Column(Text, nullable=False)
    accessibility: list[str] = Column(JSON, nullable=False)


class Slot(Base):
    """An appointment slot at an office; ``remaining`` never goes below zero."""

    __tablename__ = "slots"
    __table_args__ = (UniqueConstraint("office_id", "date", "start", name="uq_slot_office_date_start"),)

    id: int = Column(Integer, primary_key=True)
    office_id: str = Column(String(40), ForeignKey("offices.id"), nullable=False, index=True)
    date: date = Column(Date, nullable=False, index=True)
    start: str = Column(String(5), nullable=False)
    end: str = Column(String(5), nullable=False)
    capacity: int = Column(Integer, nullable=False)
    remaining: int = Column(Integer, nullable=False)


class Appointment(Base):
    """A booked visit to an office."""

    __tablename__ = "appointments"

    id: int = Column(Integer, primary_key=True)
    appointment_no: str = Column(String(16), nullable=False, unique=True)
    slot_id: int = Column(Integer, ForeignKey("slots.id"), nullable=False, index=True)
    service_id: str = Column(String(40), nullable=False)
    status: str = Column(String(20), nullable=False, default="booked")
    name: str = Column(String(60), nullable=False)
    phone: str = Column(String(20), nullable=False)
    id_number: Optional[str] = Column(String(18), nullable=True)
    created_at: datetime = Column(DateTime, nullable=False)

    slot = relationship(Slot)


class Application(Base):
    """An application submitted for a service."""

    __tablename__ = "applications"

    id: int = Column(Integer, primary_key=True)
    application_no: str = Column(String(12), nullable=False, unique=True)
    service_id: str = Column(String(40), nullable=False)
    kind: str = Column(String(40), nullable=False)
    status: str = Column(String(20), nullable=False)
    applicant_name: str = Column(String(60), nullable=False)
    applicant_id_number: str = Column(String(18), nullable=False)
    applicant_phone: str = Column(String(20), nullable=False)
    fields: dict[str, str] = Column(JSON, nullable=False)
    proxy: Optional[dict[str, Any]] = Column(JSON, nullable=True)
    channel: str = Column(String(32), nullable=False)
    created_at: datetime = Column(DateTime, nullable=False)
    updated_at: datetime = Column(DateTime, nullable=False)

    history = relationship("ApplicationHistory", order_by="ApplicationHistory.id",
                           back_populates="application")


class ApplicationHistory(Base):
    """One status an application went through, with when and an optional note."""

    __tablename__ = "application_history"

    id: int = Column(Integer, primary_key=True)
    application_id: int = Column(Integer, ForeignKey("applications.id"), nullable=False, index=True)
    status: str = Column(String(20), nullable=False)
    note: str = Column(Text, nullable=False, default="")
    at: datetime = Column(DateTime, nullable=False)

    application = relationship(Application, back_populates="history")


class IdempotencyRecord(Base):
    """The answer given to the first request with an ``Idempotency-Key``."""

    __tablename__ = "idempotency_records"

    id: int = Column(Integer, primary_key=True)
    key: str = Column(String(128), nullable=False, unique=True)
    request_hash: str = Column(String(64), nullable=False)
    status_code: int = Column(Integer, nullable=False)
    response: Optional[dict[str, Any]] = Column(JSON, nullable=True)
    created_at: datetime = Column(DateTime, nullable=False)
