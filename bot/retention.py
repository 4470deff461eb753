"""Retention: conversations older than a set age are deleted, with their handoffs.

``python -m bot operator retention --older-than-days N --as NAME [--dry-run]``
deletes every conversation whose last event is older than N days from the
tracker store (all its events), and from the handoff desk the handoffs of
those conversations and every closed handoff opened before then (their
transcripts and the operators' replies). Applications
stay in the portal: they are the government's records, not conversations.
The deletion is recorded in the operators' change log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Optional

from sqlalchemy import delete, func, select

from bot.handoff import OPEN_STATUSES, HandoffDesk, handoffs, messages
from bot.operators.review import ConversationLog

#: Shortest age that may be deleted: a day, so a slip of the finger cannot wipe today's conversations.
MIN_DAYS = 1


@dataclass(frozen=True)
class RetentionResult:
    """What was (or, in a dry run, would be) deleted."""

    conversations: int
    events: int
    handoffs: int
    cutoff: datetime


def delete_old_conversations(log: ConversationLog, desk: HandoffDesk, older_than_days: int, *,
                             dry_run: bool = False, now: Optional[datetime] = None) -> RetentionResult:
    """Delete the conversations whose last event is older than ``older_than_days`` days.

    Raises:
        ValueError: ``older_than_days`` is below :data:`MIN_DAYS`.

    """
    if older_than_days < MIN_DAYS:
        raise ValueError(f"keep at least {MIN_DAYS} day(s) of conversations")
    cutoff = (now or datetime.now(timezone.utc)) - timedelta(days=older_than_days)
    senders: list[str] = []
    events = 0
    store = log.store()
    if store is not None:
        engine, table = store
        last = select(table.c.sender_id, func.max(table.c.timestamp).label("last"),
                      func.count().label("events")).group_by(table.c.sender_id).subquery()
        with engine.connect() as db:
            rows = db.execute(select(last.c.sender_id, last.c.events)
                              .where(last.c.last < cutoff.timestamp())).all()
        senders = [row.sender_id for row in rows]
        events = sum(row.events for row in rows)
        if senders and not dry_run:
            with engine.begin() as db:
                for start in range(0, len(senders), 500):
                    db.execute(delete(table).where(table.c.sender_id.in_(senders[start:start + 500])))
    with desk.engine.connect() as db:
        closed_and_old = [row.id for row in db.execute(select(handoffs.c.id).where(
            handoffs.c.created_at < cutoff, handoffs.c.status.not_in(OPEN_STATUSES))).all()]
        of_deleted = [row.id for row in db.execute(select(handoffs.c.id).where(
            handoffs.c.sender_id.in_(senders))).all()] if senders else []
    old_handoffs = sorted(set(closed_and_old) | set(of_deleted))
    if old_handoffs and not dry_run:
        with desk.engine.begin() as db:
            db.execute(delete(messages).where(messages.c.handoff_id.in_(old_handoffs)))
            db.execute(delete(handoffs).where(handoffs.c.id.in_(old_handoffs)))
    return RetentionResult(len(senders), events, len(old_handoffs), cutoff)
