"""The handoff desk: conversations passed to a person, their transcripts and the operators' replies.

The assistant opens a handoff when a citizen asks for a person (or keeps
failing a question); from then on it relays the citizen's messages to the
desk and the operators' replies back, until an operator hands the
conversation back. Operators work on it with ``python -m bot operator``
(and the operator console). Replies reach the citizen in their channel:
Telegram pushes them at once; REST (and the kiosk) receive them with the
citizen's next message.

Stored with SQLAlchemy in ``DATA_DIR/handoff.db`` (SQLite), or in the database
``HANDOFF_DATABASE_URL`` names.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Optional

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    select,
)
from sqlalchemy.engine import Engine

from bot.settings import Settings

metadata = MetaData()

handoffs = Table(
    "handoffs", metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(128), nullable=False, index=True),
    Column("channel", String(32), nullable=False),
    Column("language", String(2), nullable=False),
    Column("reason", String(200), nullable=False),
    #: waiting (for an operator), taken, callback (a call back is asked for), closed
    Column("status", String(16), nullable=False, index=True),
    Column("operator", String(64)),
    Column("callback_phone", String(20)),
    Column("transcript", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("taken_at", DateTime(timezone=True)),
    Column("closed_at", DateTime(timezone=True)),
)

messages = Table(
    "handoff_messages", metadata,
    Column("id", Integer, primary_key=True),
    Column("handoff_id", Integer, ForeignKey("handoffs.id"), nullable=False, index=True),
    #: citizen or operator
    Column("author", String(16), nullable=False),
    Column("name", String(64)),
    Column("text", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("delivered", Boolean, nullable=False, default=False),
)

OPEN_STATUSES = ("waiting", "taken", "callback")


class HandoffError(Exception):
    """An operator action that cannot be done (unknown or closed handoff, empty reply…)."""


@dataclass(frozen=True)
class Handoff:
    """One conversation passed to a person."""

    id: int
    sender_id: str
    channel: str
    language: str
    reason: str
    status: str
    operator: Optional[str]
    callback_phone: Optional[str]
    transcript: list[dict[str, str]]
    created_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> "Handoff":
        """Build a handoff from a database row."""
        return cls(id=row.id, sender_id=row.sender_id, channel=row.channel, language=row.language,
                   reason=row.reason, status=row.status, operator=row.operator,
                   callback_phone=row.callback_phone, transcript=json.loads(row.transcript),
                   created_at=row.created_at)


@dataclass(frozen=True)
class DeskMessage:
    """A message in a handoff: from the citizen, or an operator's reply."""

    id: int
    handoff_id: int
    author: str
    name: Optional[str]
    text: str
    created_at: datetime
    delivered: bool


def _now() -> datetime:
    return datetime.now(timezone.utc)


def channel_of_sender(sender_id: str) -> str:
    """Return the channel a conversation id belongs to (``telegram-42`` → ``telegram``)."""
    prefix = sender_id.split("-", 1)[0]
    return prefix if prefix in ("telegram", "kiosk") else "rest"


class HandoffDesk:
    """The queue of handoffs and their messages."""

    def __init__(self, database_url: str) -> None:
        """Open (and create if needed) the desk's database."""
        self.engine: Engine = create_engine(database_url, future=True)
        metadata.create_all(self.engine)
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> "HandoffDesk":
        """Open the desk the settings name."""
        url = settings.handoff_database_url or f"sqlite:///{settings.data_dir / 'handoff.db'}"
        if url.startswith("sqlite:///"):
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        return cls(url)

    # -- the assistant's side ---------------------------------------------------------------

    def open(self, sender_id: str, language: str, reason: str, transcript: list[dict[str, str]],
             callback_phone: Optional[str] = None) -> Handoff:
        """Open a handoff for a conversation, or return the one already open."""
        with self._lock, self.engine.begin() as db:
            row = db.execute(select(handoffs).where(handoffs.c.sender_id == sender_id,
                                                    handoffs.c.status.in_(OPEN_STATUSES))).first()
            if row is not None:
                return Handoff.from_row(row)
            status = "callback" if callback_phone else "waiting"
            inserted = db.execute(handoffs.insert().values(
                sender_id=sender_id, channel=channel_of_sender(sender_id), language=language,
                reason=reason[:200], status=status, callback_phone=callback_phone,
                transcript=json.dumps(transcript, ensure_ascii=False), created_at=_now()))
            new_id = inserted.inserted_primary_key[0]
            return Handoff.from_row(db.execute(select(handoffs).where(handoffs.c.id == new_id)).one())

    def current(self, sender_id: str) -> Optional[Handoff]:
        """Return the conversation's open handoff, if any."""
        with self.engine.connect() as db:
            row = db.execute(select(handoffs).where(handoffs.c.sender_id == sender_id,
                                                    handoffs.c.status.in_(OPEN_STATUSES))).first()
            return Handoff.from_row(row) if row is not None else None

    def record_citizen(self, handoff_id: int, text: str) -> None:
        """Add what the citizen said while a person handles the conversation."""
        with self.engine.begin() as db:
            db.execute(messages.insert().values(handoff_id=handoff_id, author="citizen", text=text[:4000],
                                                created_at=_now(), delivered=True))

    def undelivered(self, sender_id: str) -> list[DeskMessage]:
        """Return operators' replies the citizen has not received yet, oldest first."""
        with self.engine.connect() as db:
            rows = db.execute(select(messages).join(handoffs, messages.c.handoff_id == handoffs.c.id).where(
                handoffs.c.sender_id == sender_id, messages.c.author == "operator",
                messages.c.delivered.is_(False)).order_by(messages.c.id)).all()
            return [DeskMessage(r.id, r.handoff_id, r.author, r.name, r.text, r.created_at, r.delivered)
                    for r in rows]

    def outbox(self, channel: str) -> list[tuple[str, DeskMessage]]:
        """Return (sender id, reply) pairs not yet delivered to citizens of a channel."""
        with self.engine.connect() as db:
            rows = db.execute(select(messages, handoffs.c.sender_id).join(
                handoffs, messages.c.handoff_id == handoffs.c.id).where(
                handoffs.c.channel == channel, messages.c.author == "operator",
                messages.c.delivered.is_(False)).order_by(messages.c.id)).all()
            return [(r.sender_id, DeskMessage(r.id, r.handoff_id, r.author, r.name, r.text, r.created_at,
                                              r.delivered)) for r in rows]

    def mark_delivered(self, message_ids: list[int]) -> None:
        """Remember that replies reached the citizen."""
        if message_ids:
            with self.engine.begin() as db:
                db.execute(messages.update().where(messages.c.id.in_(message_ids)).values(delivered=True))

    # -- the operators' side ------------------------------------------------------------------

    def queue(self) -> list[Handoff]:
        """Return the open handoffs, oldest first."""
        with self.engine.connect() as db:
            rows = db.execute(select(handoffs).where(handoffs.c.status.in_(OPEN_STATUSES))
                              .order_by(handoffs.c.id)).all()
            return [Handoff.from_row(r) for r in rows]

    def get(self, handoff_id: int) -> Handoff:
        """Return a handoff by number.

        Raises:
            HandoffError: There is no such handoff.

        """
        with self.engine.connect() as db:
            row = db.execute(select(handoffs).where(handoffs.c.id == handoff_id)).first()
        if row is None:
            raise HandoffError(f"there is no handoff {handoff_id}")
        return Handoff.from_row(row)

    def conversation(self, handoff_id: int) -> list[DeskMessage]:
        """Return what was said since the handoff, oldest first."""
        with self.engine.connect() as db:
            rows = db.execute(select(messages).where(messages.c.handoff_id == handoff_id)
                              .order_by(messages.c.id)).all()
            return [DeskMessage(r.id, r.handoff_id, r.author, r.name, r.text, r.created_at, r.delivered)
                    for r in rows]

    def take(self, handoff_id: int, operator: str) -> Handoff:
        """An operator takes a waiting conversation."""
        handoff = self._open_one(handoff_id)
        with self._lock, self.engine.begin() as db:
            db.execute(handoffs.update().where(handoffs.c.id == handoff.id).values(
                status="taken", operator=operator[:64], taken_at=_now()))
        return self.get(handoff_id)

    def reply(self, handoff_id: int, operator: str, text: str) -> DeskMessage:
        """An operator's reply to the citizen (delivered in the citizen's channel)."""
        text = text.strip()
        if not text:
            raise HandoffError("a reply needs some text")
        handoff = self._open_one(handoff_id)
        if handoff.status == "waiting":
            self.take(handoff_id, operator)
        with self.engine.begin() as db:
            new_id = db.execute(messages.insert().values(
                handoff_id=handoff_id, author="operator", name=operator[:64], text=text[:4000],
                created_at=_now(), delivered=False)).inserted_primary_key[0]
        return next(m for m in self.conversation(handoff_id) if m.id == new_id)

    def close(self, handoff_id: int) -> Handoff:
        """Close a handoff: the assistant answers the conversation again."""
        handoff = self._open_one(handoff_id)
        with self.engine.begin() as db:
            db.execute(handoffs.update().where(handoffs.c.id == handoff.id).values(
                status="closed", closed_at=_now()))
        return self.get(handoff_id)

    def _open_one(self, handoff_id: int) -> Handoff:
        handoff = self.get(handoff_id)
        if handoff.status not in OPEN_STATUSES:
            raise HandoffError(f"handoff {handoff_id} is already closed")
        return handoff
