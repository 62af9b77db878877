"""Many rows into one table inside the session's transaction, by the fastest path each database offers.

For jobs that write tens of thousands of rows at once (a county's first reminder run records ~200,000):
through the ORM or Core executemany, per-row parameter handling is most of the cost; PostgreSQL takes
COPY, SQLite the driver's own executemany. Values go as the driver takes them (``driver_value``).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Column, Connection

BATCH = 1000


def driver_value(connection: Connection, column: Column, value: Any) -> Any:
    """``value`` as the driver receives it for ``column`` (its type's bind processing, done once)."""
    convert = column.type.dialect_impl(connection.dialect).bind_processor(connection.dialect)
    return convert(value) if convert else value


def insert_rows(connection: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert ``rows`` (tuples in ``columns`` order, driver values); returns how many. A plain INSERT: a
    constraint violation fails the statement and so the caller's transaction, with nothing half-written."""
    count = 0
    names = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['?'] * len(columns))})"
    batch: list[Sequence[Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            connection.exec_driver_sql(sql, batch)
            count, batch = count + len(batch), []
    if batch:
        connection.exec_driver_sql(sql, batch)
        count += len(batch)
    return count
