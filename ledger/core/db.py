"""Database object, naming convention and the unit of work."""
from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

# Whether the current unit of work will write: SQLite then starts with BEGIN IMMEDIATE so that a
# read-then-write transaction never fails with "database is locked" half way.
write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("write_intent", default=False)


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record) -> None:
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write_intent.get() else "BEGIN")


def is_sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


@contextmanager
def unit_of_work(write: bool = True) -> Iterator[None]:
    """One transaction for a command or job run: commit on success, roll back on any error."""
    from ledger.audit.services import unit_finished, unit_started

    token, audit = write_intent.set(write), unit_started()
    committed = False
    try:
        db.session.rollback()  # start fresh so BEGIN picks up the intent
        yield
        db.session.commit()
        committed = True
    except BaseException:
        db.session.rollback()
        raise
    finally:
        write_intent.reset(token)
        unit_finished(audit, committed)  # audit entries a read-only unit deferred, in a write of their own


@contextmanager
def separate_write() -> Iterator[None]:
    """A write transaction of its own, once a request has committed or rolled back (what must outlive a
    refusal: failed logins, their audit entries). Starts fresh so SQLite's BEGIN is IMMEDIATE."""
    token = write_intent.set(True)
    try:
        db.session.rollback()
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    finally:
        write_intent.reset(token)
