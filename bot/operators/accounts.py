"""Operator accounts, console sessions and the change log.

Passwords are stored only as salted scrypt hashes
(``scrypt$n$r$p$salt$hash``, salt and hash in base64). A console session is a
random token the operator's browser keeps; the database holds only its
SHA-256, so a copy of the database opens no session. A session ends after
``OPERATOR_SESSION_MINUTES`` without use, and at the latest
``max_session_hours`` after it started.

The change log records every change operators make (accounts, annotations,
models…) with who made it, when, and JSON details; the console and ``python
-m bot operator log`` show it.

Stored with SQLAlchemy in ``DATA_DIR/operators.db`` (SQLite), or in the
database ``OPERATOR_DATABASE_URL`` names; annotations share that database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Optional

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, create_engine, select
from sqlalchemy.engine import Engine

from bot.settings import Settings

#: Times shown to operators: China Standard Time, the service halls' time.
LOCAL_TIME = timezone(timedelta(hours=8), "CST")

MIN_PASSWORD_CHARS = 10
MAX_NAME_CHARS = 64
#: Letters (any script), digits, ".", "-" and "_": "小王", "li.na".
_NAME = re.compile(r"[\w.\-]+")

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_SALT_BYTES = 16
_HASH_BYTES = 32
_SCRYPT_MAXMEM = 64 * 1024 * 1024

metadata = MetaData()

accounts_table = Table(
    "operator_accounts", metadata,
    Column("name", String(MAX_NAME_CHARS), primary_key=True),
    Column("password_hash", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

sessions_table = Table(
    "operator_sessions", metadata,
    #: SHA-256 (hex) of the session token; the token itself is never stored.
    Column("token_hash", String(64), primary_key=True),
    Column("name", String(MAX_NAME_CHARS), nullable=False, index=True),
    Column("csrf", String(64), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
)

audit_table = Table(
    "operator_audit", metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("who", String(MAX_NAME_CHARS), nullable=False),
    Column("action", String(64), nullable=False),
    Column("details", Text, nullable=False),
)


class AccountError(ValueError):
    """An account change that cannot be made.

    Attributes:
        code: ``exists``, ``unknown``, ``weak_password`` or ``bad_name``.

    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Session:
    """A signed-in operator's console session."""

    token: str
    name: str
    #: Sent back with every form that changes something.
    csrf: str
    expires_at: datetime


@dataclass(frozen=True)
class AuditEntry:
    """One change in the change log."""

    id: int
    when: datetime
    who: str
    action: str
    details: dict[str, Any]


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(moment: datetime) -> datetime:
    """Return a database time as an aware UTC time (SQLite gives back naive UTC times)."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def operator_database_url(settings: Settings) -> str:
    """Return the operators' database URL: ``OPERATOR_DATABASE_URL``, else ``DATA_DIR/operators.db``."""
    if settings.operator_database_url:
        return settings.operator_database_url
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{settings.data_dir / 'operators.db'}"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, salt: Optional[bytes] = None) -> str:
    """Return the stored form of a password: ``scrypt$n$r$p$salt_b64$hash_b64``.

    Args:
        password: The password.
        salt: The salt (16 random bytes when not given).

    """
    salt = salt if salt is not None else secrets.token_bytes(_SALT_BYTES)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P,
                            maxmem=_SCRYPT_MAXMEM, dklen=_HASH_BYTES)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def password_matches(password: str, stored: str) -> bool:
    """Whether a password matches its stored form (compared in constant time)."""
    try:
        kind, n, r, p, salt_b64, hash_b64 = stored.split("$")
        salt, expected = base64.b64decode(salt_b64), base64.b64decode(hash_b64)
        if kind != "scrypt":
            return False
        digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=int(n), r=int(r), p=int(p),
                                maxmem=_SCRYPT_MAXMEM, dklen=len(expected))
    except ValueError:
        return False
    return hmac.compare_digest(digest, expected)


#: Checked against when a name is unknown, so that an unknown name costs as much as a wrong password.
_DUMMY_HASH = hash_password("not a password of anyone", salt=b"\0" * _SALT_BYTES)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_name(name: str) -> str:
    """Return an operator name as stored, or raise :class:`AccountError` (``bad_name``)."""
    if not name or len(name) > MAX_NAME_CHARS or not _NAME.fullmatch(name):
        raise AccountError("bad_name", f"An operator name has 1 to {MAX_NAME_CHARS} letters, digits, "
                                       "'.', '-' or '_' (no spaces).")
    return name


class Accounts:
    """Operator accounts, their console sessions and the change log."""

    def __init__(self, database_url: str, session_minutes: int = 30, max_session_hours: int = 8,
                 *, clock: Callable[[], datetime] = _utc_now) -> None:
        """Open (and create if needed) the operators' database.

        Args:
            database_url: SQLAlchemy URL of the operators' database.
            session_minutes: A session ends after this many minutes without use.
            max_session_hours: A session ends this many hours after it started, used or not.
            clock: The current time (aware); tests pass their own.

        """
        self.engine: Engine = create_engine(database_url, future=True)
        metadata.create_all(self.engine)
        self.idle = timedelta(minutes=session_minutes)
        self.longest = timedelta(hours=max_session_hours)
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: Settings) -> "Accounts":
        """Open the operators' database the settings name."""
        return cls(operator_database_url(settings), settings.operator_session_minutes)

    def _now(self) -> datetime:
        return as_utc(self._clock())

    # -- accounts ---------------------------------------------------------------------------------

    def add(self, name: str, password: str, *, by: Optional[str] = None) -> None:
        """Add an operator account (recorded in the change log).

        Args:
            name: The operator's name (letters, digits, ``.``, ``-``, ``_``).
            password: At least 10 characters.
            by: Who adds it, for the change log (the new operator when not given).

        Raises:
            AccountError: ``bad_name``, ``weak_password`` or ``exists``.

        """
        check_name(name)
        self._check_password(password)
        with self.engine.begin() as db:
            if db.execute(select(accounts_table.c.name).where(accounts_table.c.name == name)).first():
                raise AccountError("exists", f"There is already an operator called {name}.")
            db.execute(accounts_table.insert().values(name=name, password_hash=hash_password(password),
                                                      created_at=self._now()))
        self.record(by or name, "add_account", {"name": name})

    def set_password(self, name: str, password: str, *, by: Optional[str] = None) -> None:
        """Change an operator's password and end that operator's sessions (recorded in the change log).

        Raises:
            AccountError: ``unknown`` or ``weak_password``.

        """
        self._check_password(password)
        with self.engine.begin() as db:
            changed = db.execute(accounts_table.update().where(accounts_table.c.name == name).values(
                password_hash=hash_password(password))).rowcount
            if not changed:
                raise AccountError("unknown", f"There is no operator called {name}.")
            db.execute(sessions_table.delete().where(sessions_table.c.name == name))
        self.record(by or name, "set_password", {"name": name})

    def verify(self, name: str, password: str) -> bool:
        """Whether the name and password belong together (an unknown name costs a hash all the same)."""
        with self.engine.connect() as db:
            stored = db.execute(select(accounts_table.c.password_hash)
                                .where(accounts_table.c.name == name)).scalar_one_or_none()
        if stored is None:
            password_matches(password, _DUMMY_HASH)
            return False
        return password_matches(password, stored)

    def exists(self, name: str) -> bool:
        """Whether there is an operator with this name."""
        with self.engine.connect() as db:
            return db.execute(select(accounts_table.c.name).where(accounts_table.c.name == name)).first() \
                is not None

    def names(self) -> list[str]:
        """Return every operator's name, sorted."""
        with self.engine.connect() as db:
            return list(db.execute(select(accounts_table.c.name).order_by(accounts_table.c.name)).scalars())

    @staticmethod
    def _check_password(password: str) -> None:
        if len(password) < MIN_PASSWORD_CHARS:
            raise AccountError("weak_password", f"A password needs at least {MIN_PASSWORD_CHARS} characters.")

    # -- sessions ---------------------------------------------------------------------------------

    def start_session(self, name: str) -> Session:
        """Start a console session for an operator (after :meth:`verify`).

        Raises:
            AccountError: ``unknown``: there is no such operator.

        """
        if not self.exists(name):
            raise AccountError("unknown", f"There is no operator called {name}.")
        token, csrf, now = secrets.token_urlsafe(32), secrets.token_urlsafe(32), self._now()
        with self.engine.begin() as db:
            db.execute(sessions_table.delete().where(sessions_table.c.started_at < now - self.longest))
            db.execute(sessions_table.insert().values(token_hash=_token_hash(token), name=name, csrf=csrf,
                                                      started_at=now, last_seen_at=now))
        return Session(token, name, csrf, self._expiry(now, now))

    def session(self, token: str) -> Optional[Session]:
        """Return the session of a token and note that it was used; None when unknown or expired."""
        if not token:
            return None
        now = self._now()
        with self.engine.begin() as db:
            row = db.execute(select(sessions_table)
                             .where(sessions_table.c.token_hash == _token_hash(token))).first()
            if row is None:
                return None
            started, last_seen = as_utc(row.started_at), as_utc(row.last_seen_at)
            if now - last_seen > self.idle or now - started > self.longest:
                db.execute(sessions_table.delete().where(sessions_table.c.token_hash == row.token_hash))
                return None
            db.execute(sessions_table.update().where(sessions_table.c.token_hash == row.token_hash)
                       .values(last_seen_at=now))
        return Session(token, row.name, row.csrf, self._expiry(started, now))

    def end_session(self, token: str) -> None:
        """End a session (signing out); an unknown token is ignored."""
        with self.engine.begin() as db:
            db.execute(sessions_table.delete().where(sessions_table.c.token_hash == _token_hash(token)))

    def _expiry(self, started: datetime, last_seen: datetime) -> datetime:
        return min(last_seen + self.idle, started + self.longest)

    # -- the change log ---------------------------------------------------------------------------

    def record(self, who: str, action: str, details: Optional[dict[str, Any]] = None) -> None:
        """Add a change to the change log.

        Args:
            who: The operator who made it.
            action: What was done (``annotate``, ``deploy``…).
            details: What it was done to, as JSON-serialisable values.

        """
        with self.engine.begin() as db:
            db.execute(audit_table.insert().values(
                at=self._now(), who=who[:MAX_NAME_CHARS], action=action[:64],
                details=json.dumps(details or {}, ensure_ascii=False, default=str)))

    def audit_log(self, limit: int = 200) -> list[AuditEntry]:
        """Return the latest changes, newest first (times in China time)."""
        with self.engine.connect() as db:
            rows = db.execute(select(audit_table).order_by(audit_table.c.id.desc()).limit(limit)).all()
        return [AuditEntry(row.id, as_utc(row.at).astimezone(LOCAL_TIME), row.who, row.action,
                           json.loads(row.details)) for row in rows]
