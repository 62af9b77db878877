"""Structural guards (not timings): list plans on indexes, flat statement counts, stable cursors."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from ledger.core.db import db


class Statements:
    """SQL statements sent to the database while ``counting()`` is active."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, object]] = []

    @contextmanager
    def counting(self) -> Iterator[list[tuple[str, object]]]:
        self.seen = []

        def record(conn, cursor, statement, parameters, context, executemany) -> None:
            self.seen.append((statement, parameters))

        engine = db.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            yield self.seen
        finally:
            event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def statements(app) -> Statements:
    return Statements()


@pytest.fixture
def w(f):
    return f.world()
