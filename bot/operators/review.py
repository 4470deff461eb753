"""Past conversations, read from the assistant's conversation (tracker) store, for review.

Every message citizens sent is listed with what the assistant understood
(intent, confidence, services) and why it may need a look:

- ``low_confidence`` — the intent's confidence is below :data:`LOW_CONFIDENCE`;
- ``fallback`` — the assistant did not understand (``nlu_fallback``);
- ``out_of_scope`` — understood as a question the assistant does not answer;
- ``handoff`` — the citizen asked for a person, or the conversation was handed to one after it;
- ``said_wrong`` — the citizen's next message said no or that it was wrong ("不对", "that's wrong").

Texts are masked (:mod:`bot.operators.masking`): ID and phone numbers,
and the names and addresses given in the conversation's forms. Times are in
China time.

Rasa's ``SQLTrackerStore`` table ``events`` is read directly (one row per
event; ``data`` holds the event as JSON); nothing is written. A store that
does not exist yet gives empty lists.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable, Optional

from sqlalchemy import MetaData, Table, and_, create_engine, inspect, not_, or_, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.sql.elements import ColumnElement

from bot.handoff import channel_of_sender
from bot.language import detect_language
from bot.operators.accounts import LOCAL_TIME
from bot.operators.masking import mask_text
from bot.settings import Settings

REVIEW_REASONS = ("low_confidence", "fallback", "out_of_scope", "handoff", "said_wrong")
LOW_CONFIDENCE = 0.6
CHANNELS = ("telegram", "kiosk", "rest")

#: Slots whose values are names or addresses, masked wherever they occur in the conversation.
NAME_SLOTS = ("applicant_name", "proxy_name")
ADDRESS_SLOTS = ("home_address",)
FALLBACK_INTENT = "nlu_fallback"
OUT_OF_SCOPE_INTENT = "out_of_scope"
HANDOFF_INTENT = "human_handoff"
DENY_INTENT = "deny"
#: The action that passes a conversation to a person (actions/handoff.py).
HANDOFF_ACTION = "action_hand_off"
SERVICE_ENTITY = "service"
#: A message that says the assistant got it wrong.
_SAID_WRONG = re.compile(r"不对|错了|搞错|弄错|说错|不是这个意思"
                         r"|\bwrong\b|\bnot what i (?:meant|asked|said)\b",
                         re.IGNORECASE)
_EVENT_TYPES = ("user", "bot", "action", "slot")
_SENDERS_PER_QUERY = 500


@dataclass(frozen=True)
class ReviewFilter:
    """Which messages to list; every field left empty lets all through."""

    #: ``telegram``, ``kiosk`` or ``rest`` (from the conversation id).
    channel: Optional[str] = None
    #: First and last day (China time), both included.
    date_from: Optional[date] = None
    date_to: Optional[date] = None
    #: ``zh`` or ``en``: the language the message is written in.
    language: Optional[str] = None
    intent: Optional[str] = None
    #: A service catalogue id the assistant found in the message.
    service: Optional[str] = None
    min_confidence: Optional[float] = None
    max_confidence: Optional[float] = None
    #: Only messages with at least one reason for review.
    needs_review: bool = False

    def accepts(self, message: "ReviewMessage") -> bool:
        """Whether a message passes the filter."""
        day = message.when.date()
        return ((self.channel is None or message.channel == self.channel)
                and (self.date_from is None or day >= self.date_from)
                and (self.date_to is None or day <= self.date_to)
                and (self.language is None or message.language == self.language)
                and (self.intent is None or message.intent == self.intent)
                and (self.service is None or self.service in message.services)
                and (self.min_confidence is None or message.confidence >= self.min_confidence)
                and (self.max_confidence is None or message.confidence <= self.max_confidence)
                and (not self.needs_review or bool(message.reasons)))


#: The filter that lets every message through.
EVERYTHING = ReviewFilter()


@dataclass(frozen=True)
class ReviewMessage:
    """A citizen's message and what the assistant understood of it."""

    #: The event's row id in the tracker store: stable, used to refer to the message.
    event_id: int
    sender: str
    channel: str
    when: datetime
    #: Masked.
    text: str
    language: Optional[str]
    intent: str
    confidence: float
    services: tuple[str, ...]
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Turn:
    """One turn of a conversation: the citizen's message or the assistant's reply."""

    who: str  # "user" or "bot"
    when: datetime
    text: str  # masked
    intent: Optional[str]
    confidence: Optional[float]
    event_id: int = 0


@dataclass(frozen=True)
class ConversationSummary:
    """A conversation in the list of conversations."""

    sender: str
    channel: str
    started: datetime
    last: datetime
    #: The citizen's messages, and how many of them need review.
    messages: int
    needs_review: int


@dataclass
class _Conversation:
    """The events of one conversation, read into messages and turns."""

    sender: str
    messages: list[ReviewMessage] = field(default_factory=list)
    turns: list[Turn] = field(default_factory=list)


def _when(timestamp: Optional[float]) -> datetime:
    return datetime.fromtimestamp(timestamp or 0.0, timezone.utc).astimezone(LOCAL_TIME)


def _start_of(day: date) -> float:
    return datetime.combine(day, time.min, LOCAL_TIME).timestamp()


def _bot_text(data: dict[str, Any]) -> str:
    """A reply's text, with the titles of its buttons."""
    text = str(data.get("text") or "")
    buttons = (data.get("data") or {}).get("buttons") or []
    titles = [str(b.get("title")) for b in buttons if isinstance(b, dict) and b.get("title")]
    if titles:
        text = f"{text} [{' | '.join(titles)}]".strip()
    return text


def readable(value: Any) -> Any:
    """A JSON value with every lone surrogate in its texts replaced by U+FFFD.

    JSON may carry half of a surrogate pair (an escape such as ``ud800``), which Python reads
    as a text no page, CSV file or terminal can encode; a citizen's message
    must never keep operators from reading the others.
    """
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace") \
            if any("\ud800" <= char <= "\udfff" for char in value) else value
    if isinstance(value, list):
        return [readable(item) for item in value]
    if isinstance(value, dict):
        return {readable(key): readable(item) for key, item in value.items()}
    return value


def _read_conversation(sender: str, rows: Iterable[Any]) -> _Conversation:
    """Turn one conversation's events (oldest first) into messages, with reasons, and turns."""
    events: list[tuple[int, str, Optional[float], dict[str, Any]]] = []
    names: list[str] = []
    addresses: list[str] = []
    for row in rows:
        try:
            data = readable(json.loads(row.data or "{}"))
        except ValueError:
            continue
        events.append((row.id, row.type_name, row.timestamp, data))
        if row.type_name == "slot" and isinstance(data.get("value"), str):
            if data.get("name") in NAME_SLOTS:
                names.append(data["value"])
            elif data.get("name") in ADDRESS_SLOTS:
                addresses.append(data["value"])

    channel = channel_of_sender(sender)
    users = [i for i, event in enumerate(events) if event[1] == "user"]
    conversation = _Conversation(sender)
    for position, index in enumerate(users):
        event_id, _, timestamp, data = events[index]
        text = str(data.get("text") or "")
        parse = data.get("parse_data") or {}
        intent = parse.get("intent") or {}
        name = str(intent.get("name") or "")
        confidence = float(intent.get("confidence") or 0.0)
        services = tuple(dict.fromkeys(str(e.get("value")) for e in parse.get("entities") or []
                                       if isinstance(e, dict) and e.get("entity") == SERVICE_ENTITY))
        following = users[position + 1] if position + 1 < len(users) else len(events)
        handed_off = any(e[1] == "action" and e[3].get("name") == HANDOFF_ACTION
                         for e in events[index + 1:following])
        reasons = []
        if confidence < LOW_CONFIDENCE:
            reasons.append("low_confidence")
        if name == FALLBACK_INTENT:
            reasons.append("fallback")
        if name == OUT_OF_SCOPE_INTENT:
            reasons.append("out_of_scope")
        if handed_off or name == HANDOFF_INTENT:
            reasons.append("handoff")
        if following < len(events):
            next_data = events[following][3]
            next_intent = ((next_data.get("parse_data") or {}).get("intent") or {}).get("name")
            if next_intent == DENY_INTENT or _SAID_WRONG.search(str(next_data.get("text") or "")):
                reasons.append("said_wrong")
        masked = mask_text(text, names, addresses)
        when = _when(timestamp)
        conversation.messages.append(ReviewMessage(
            event_id=event_id, sender=sender, channel=channel, when=when, text=masked,
            language=detect_language(text), intent=name, confidence=confidence, services=services,
            reasons=tuple(reasons)))
        conversation.turns.append(Turn("user", when, masked, name, confidence, event_id))
    for event_id, kind, timestamp, data in events:
        if kind == "bot":
            text = _bot_text(data)
            if text:
                conversation.turns.append(Turn("bot", _when(timestamp), mask_text(text, names, addresses),
                                               None, None, event_id))
    conversation.turns.sort(key=lambda turn: turn.event_id)
    return conversation


class ConversationLog:
    """The conversations in the assistant's tracker store, read-only."""

    def __init__(self, tracker_database_url: str) -> None:
        """Remember the tracker store (SQLAlchemy URL); it is opened when first read."""
        self.url = tracker_database_url
        self._engine: Optional[Engine] = None
        self._table: Optional[Table] = None

    @classmethod
    def from_settings(cls, settings: Settings) -> "ConversationLog":
        """The tracker store of a run: SQLite ``tracker.db`` in ``DATA_DIR`` (see ``bot/assistant.py``).

        In the production profile (``bot/production.py``): ``TRACKER_STORE_URL``.
        """
        if settings.is_production:
            return cls(settings.tracker_store_url)
        return cls(f"sqlite:///{settings.data_dir / 'tracker.db'}")

    def _events(self) -> Optional[Table]:
        """The ``events`` table, or None while the store does not exist yet."""
        if self._table is not None:
            return self._table
        url = make_url(self.url)
        if url.get_backend_name() == "sqlite":
            if not url.database or url.database == ":memory:" or not Path(url.database).is_file():
                return None
        if self._engine is None:
            self._engine = create_engine(self.url, future=True)
        if not inspect(self._engine).has_table("events"):
            return None
        self._table = Table("events", MetaData(), autoload_with=self._engine)
        return self._table

    def store(self) -> Optional[tuple[Engine, Table]]:
        """The tracker store's engine and ``events`` table (None while it does not exist yet)."""
        table = self._events()
        return (self._engine, table) if table is not None and self._engine is not None else None

    def _conversations(self, chosen: ReviewFilter,
                       senders: Optional[list[str]] = None) -> list[_Conversation]:
        """Read the conversations that may hold messages passing a filter."""
        events = self._events()
        if events is None or self._engine is None:
            return []
        if senders is None:
            conditions: list[ColumnElement[bool]] = [events.c.type_name == "user"]
            if chosen.channel in ("telegram", "kiosk"):
                conditions.append(events.c.sender_id.like(f"{chosen.channel}-%"))
            elif chosen.channel == "rest":
                conditions.append(not_(or_(events.c.sender_id.like("telegram-%"),
                                           events.c.sender_id.like("kiosk-%"))))
            elif chosen.channel is not None:
                return []
            if chosen.date_from is not None:
                conditions.append(events.c.timestamp >= _start_of(chosen.date_from))
            if chosen.date_to is not None:
                conditions.append(events.c.timestamp < _start_of(chosen.date_to + timedelta(days=1)))
            if chosen.intent is not None:
                conditions.append(events.c.intent_name == chosen.intent)
            with self._engine.connect() as db:
                senders = list(db.execute(select(events.c.sender_id).where(and_(*conditions)).distinct())
                               .scalars())
        rows: dict[str, list[Any]] = defaultdict(list)
        with self._engine.connect() as db:
            for start in range(0, len(senders), _SENDERS_PER_QUERY):
                part = senders[start:start + _SENDERS_PER_QUERY]
                query = (select(events.c.id, events.c.sender_id, events.c.type_name, events.c.timestamp,
                                events.c.data)
                         .where(events.c.sender_id.in_(part), events.c.type_name.in_(_EVENT_TYPES))
                         .order_by(events.c.id))
                for row in db.execute(query):
                    rows[row.sender_id].append(row)
        return [_read_conversation(sender, rows[sender]) for sender in senders if rows.get(sender)]

    def _matching(self, chosen: ReviewFilter) -> list[ReviewMessage]:
        found = [m for c in self._conversations(chosen) for m in c.messages if chosen.accepts(m)]
        return sorted(found, key=lambda m: (m.when, m.event_id), reverse=True)

    def messages(self, filter: ReviewFilter = EVERYTHING, limit: int = 200,
                 offset: int = 0) -> list[ReviewMessage]:
        """Return the citizens' messages passing a filter, newest first.

        Args:
            filter: Which messages.
            limit: At most this many.
            offset: Skip this many first (for paging).

        """
        return self._matching(filter)[offset:offset + limit]

    def message(self, event_id: int) -> Optional[ReviewMessage]:
        """Return one message by its event id, or None."""
        events = self._events()
        if events is None or self._engine is None:
            return None
        with self._engine.connect() as db:
            sender = db.execute(select(events.c.sender_id).where(events.c.id == event_id,
                                                                 events.c.type_name == "user")).scalar()
        if sender is None:
            return None
        conversations = self._conversations(EVERYTHING, [sender])
        return next((m for c in conversations for m in c.messages if m.event_id == event_id), None)

    def conversation(self, sender: str) -> list[Turn]:
        """Return a conversation's turns (the citizen's and the assistant's), oldest first."""
        conversations = self._conversations(EVERYTHING, [sender])
        return conversations[0].turns if conversations else []

    def conversations(self, filter: ReviewFilter = EVERYTHING, limit: int = 100) -> list[ConversationSummary]:
        """Return the conversations with a message passing a filter, the latest active first."""
        summaries = []
        for conversation in self._conversations(filter):
            if not any(filter.accepts(m) for m in conversation.messages):
                continue
            times = [t.when for t in conversation.turns]
            summaries.append(ConversationSummary(
                sender=conversation.sender, channel=channel_of_sender(conversation.sender),
                started=min(times), last=max(times), messages=len(conversation.messages),
                needs_review=sum(bool(m.reasons) for m in conversation.messages)))
        summaries.sort(key=lambda s: s.last, reverse=True)
        return summaries[:limit]

    def export_csv(self, filter: ReviewFilter) -> str:
        """Return every message passing a filter as CSV (masked, newest first)."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["event_id", "when", "channel", "sender", "language", "intent", "confidence",
                         "services", "reasons", "text"])
        for m in self._matching(filter):
            writer.writerow([m.event_id, m.when.isoformat(timespec="seconds"), m.channel, m.sender,
                             m.language or "", m.intent, f"{m.confidence:.3f}", " ".join(m.services),
                             " ".join(m.reasons), _safe_cell(m.text)])
        return out.getvalue()


def _safe_cell(text: str) -> str:
    """A cell spreadsheets will not run as a formula ("=…", "+…", "-…", "@…")."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
