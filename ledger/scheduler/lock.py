"""The single-scheduler lock: whoever holds it is the one process that runs the jobs.

PostgreSQL: a session-level advisory lock held on a dedicated connection (it dies with the process or
the connection, so a crashed scheduler never leaves it held). SQLite: an exclusive ``flock`` on a file
beside the database (released by the kernel when the process dies).
"""
from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)
ADVISORY_KEY = 0x1ED6E5C4ED  # "ledger scheduler": one number shared by every process of this database


def _lock_file(url: URL, instance: Path, name: str) -> Path:
    """The file an SQLite database's ``name`` lock is taken on: beside the database, so every process of
    that database shares it (in the instance folder for an in-memory one)."""
    database = url.database
    if database and database != ":memory:":
        return Path(f"{database}.{name}-lock")
    return instance / f"{name}.lock"


class SchedulerLock:
    """Non-blocking acquire, a liveness check, and release."""

    def __init__(self, app: Flask) -> None:
        self.url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
        self.instance = Path(app.instance_path)
        self._conn = None
        self._file = None

    @property
    def is_postgresql(self) -> bool:
        return self.url.get_backend_name() == "postgresql"

    def lock_path(self) -> Path:
        return _lock_file(self.url, self.instance, "scheduler")

    def acquire(self) -> bool:
        if self.held():
            return True
        return self._acquire_pg() if self.is_postgresql else self._acquire_file()

    def _acquire_pg(self) -> bool:
        engine = create_engine(self.url, poolclass=NullPool)
        try:
            conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            if conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY}).scalar():
                self._conn = conn
                return True
            conn.close()
        except Exception as exc:  # database unreachable: not the scheduler now; try again later
            log.warning("scheduler lock: %s", exc)
        return False

    def _acquire_file(self) -> bool:
        path = self.lock_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+")  # noqa: SIM115 (kept open while the lock is held)
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle
        return True

    def held(self) -> bool:
        """Whether we still hold it (a PostgreSQL restart drops the session, and the lock with it)."""
        if self._file is not None:
            return True
        if self._conn is None:
            return False
        try:
            self._conn.execute(text("SELECT 1"))
            return True
        except Exception:
            log.warning("scheduler lock lost (database connection dropped)")
            self._drop_conn()
            return False

    def _drop_conn(self) -> None:
        try:
            self._conn.close()
        except Exception:  # noqa: BLE001 (closing a dead connection)
            pass
        self._conn = None

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
            except Exception:  # noqa: BLE001 (the session is gone, so is the lock)
                pass
            self._drop_conn()
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    def is_taken_elsewhere(self) -> bool:
        """For the status line: is another process holding the lock right now?"""
        if self.held():
            return False
        if self.acquire():
            self.release()
            return False
        return True


JOB_RUN_KEY = 0x1ED6E5C4EE  # "a job is running": taken around each job run, by the scheduler and run-jobs alike


@contextmanager
def job_run_lock(app: Flask) -> Iterator[None]:
    """One job run at a time per database, waiting for the other (blocking).

    Two ``run-jobs`` at once (or one beside the scheduler) would otherwise both open a long write
    transaction; on SQLite the second gives up with "database is locked" after the busy timeout when the
    first runs longer than that. Waiting instead, the second finds the work done (the jobs are idempotent).
    """
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "postgresql":
        engine = create_engine(url, poolclass=NullPool)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": JOB_RUN_KEY})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": JOB_RUN_KEY})
        engine.dispose()
        return
    path = _lock_file(url, Path(app.instance_path), "jobs")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)  # released by the kernel if this process dies
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
