"""Fresh databases for tests: a migrated template, copied (SQLite) or cloned (PostgreSQL) per test."""
from __future__ import annotations

import os
import shutil
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import psycopg

PG_SERVER = os.environ.get("LEDGER_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def pg_reachable() -> str | None:
    """None when PostgreSQL answers, else the reason (shown in the skip message)."""
    try:
        with psycopg.connect(PG_SERVER, connect_timeout=3, autocommit=True) as conn:
            conn.execute("SELECT 1")
        return None
    except psycopg.Error as exc:
        return f"PostgreSQL not reachable at {PG_SERVER} ({exc.__class__.__name__}); PostgreSQL tests skipped"


def pg_url(name: str) -> str:
    base, _, _ = PG_SERVER.rpartition("/")
    return f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)


def pg_admin(sql: str) -> None:
    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        conn.execute(sql)


def new_pg_database(template: str | None = None) -> str:
    name = f"ledger_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    pg_admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return name


def drop_pg_database(name: str) -> None:
    pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_dropper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="drop-pg")
_pending_drops: list[Future] = []


def drop_pg_database_later(name: str) -> None:
    """Drop a test's database in the background: the next test need not wait for it."""
    _pending_drops.append(_dropper.submit(drop_pg_database, name))


def wait_for_drops() -> None:
    """Wait for every drop asked so far (the dropper stays usable: a session fixture may come back)."""
    pending = list(_pending_drops)
    _pending_drops.clear()
    for future in pending:
        future.result()


def copy_sqlite(template: Path, directory: Path) -> Path:
    target = directory / f"test-{uuid.uuid4().hex[:8]}.sqlite"
    shutil.copyfile(template, target)
    return target
