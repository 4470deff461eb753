"""The database connection: SQLite by default, PostgreSQL when configured.

SQLite runs in WAL mode (readers never wait for the writer) and every writing
transaction starts with ``BEGIN IMMEDIATE``, so concurrent writers queue for
the lock instead of failing half-way. PostgreSQL uses its default READ
COMMITTED isolation; the code relies on unique constraints and atomic
``UPDATE ... WHERE`` statements, not on the isolation level.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.engine.url import URL
from sqlalchemy.orm import Session, sessionmaker

from portal.models import Base

_SQLITE_BUSY_SECONDS = 30


class Database:
    """An engine and sessions for reading and for writing."""

    def __init__(self, url: str) -> None:
        """Connect (lazily) to a database.

        Args:
            url: A SQLAlchemy URL, e.g. ``sqlite:////srv/portal.db`` or
                ``postgresql+psycopg2://user@host:5432/portal``.

        """
        from sqlalchemy import create_engine

        self.url: URL = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if self.is_sqlite:
            if self.url.database and self.url.database != ":memory:":
                Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)
            self.engine: Engine = create_engine(
                self.url, future=True,
                connect_args={"check_same_thread": False, "timeout": _SQLITE_BUSY_SECONDS})
            _prepare_sqlite(self.engine)
        else:
            self.engine = create_engine(self.url, future=True, pool_size=10, max_overflow=20,
                                        pool_pre_ping=True)
        writer = self.engine.execution_options(portal_write=True)
        self._readers = sessionmaker(bind=self.engine, future=True, expire_on_commit=False)
        self._writers = sessionmaker(bind=writer, future=True, expire_on_commit=False)

    @property
    def display_url(self) -> str:
        """The URL without its password, for logs."""
        return self.url.render_as_string(hide_password=True)

    def create_tables(self) -> None:
        """Create the tables that do not exist yet (existing ones are left alone)."""
        Base.metadata.create_all(self.engine)

    def ping(self) -> bool:
        """Whether the database answers a trivial query."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 - any failure means "not available"
            return False

    @contextlib.contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for queries; nothing is committed."""
        with self._readers() as session:
            yield session

    @contextlib.contextmanager
    def writing(self) -> Iterator[Session]:
        """A session whose work is committed at the end, or rolled back on an exception."""
        with self._writers() as session:
            with session.begin():
                yield session

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _prepare_sqlite(engine: Engine) -> None:
    """Let SQLAlchemy, not the sqlite3 module, decide when transactions start."""

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # no implicit BEGIN from the sqlite3 module
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_SECONDS * 1000}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        writing = connection.get_execution_options().get("portal_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")
