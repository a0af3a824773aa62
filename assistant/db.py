"""One SQLAlchemy engine and session factory per database URL (SQLite by default), and the declarative
`Base` of all our tables (directory, handoffs, console). Their schema is made by the Alembic migrations
(`assistant.migrations.ensure_schema`)."""

from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Iterator, Optional

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, declarative_base, sessionmaker

from assistant import settings

Base = declarative_base()


def ensure_sqlite_dir(url: str) -> None:
    """Create the folder of a SQLite file (the default ones live in var/): the one side effect that
    reading the settings used to have, done where a process creates the file."""
    if url.startswith("sqlite") and ":///" in url:
        path = url.split(":///", 1)[1].split("?", 1)[0]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)


@lru_cache(maxsize=None)
def engine(url: Optional[str] = None) -> Engine:
    url = url or settings.load().directory_url
    if url.startswith("sqlite"):
        ensure_sqlite_dir(url)
        eng = create_engine(url, future=True, connect_args={"check_same_thread": False})

        @event.listens_for(eng, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # foreign keys are off by default in SQLite
            dbapi_conn.execute("PRAGMA foreign_keys=ON")
    else:
        eng = create_engine(url, future=True, pool_pre_ping=True)
    return eng


@contextmanager
def session_scope(url: Optional[str] = None) -> Iterator[Session]:
    """A transaction: committed when the block ends, rolled back on any error."""
    session = sessionmaker(bind=engine(url), future=True)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
