"""Many rows into, or looked up in, one table inside the session's transaction, by the fastest path each
database offers. The one module of driver SQL that branches on the dialect.

For jobs that write tens of thousands of rows at once (a county's first reminder run records ~200,000):
through the ORM or Core executemany, per-row parameter handling is most of the cost; PostgreSQL takes
COPY, SQLite the driver's own executemany. Values go as the driver takes them (``driver_value``).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Column, Connection

BATCH = 1000
LOOKUP_CHUNK = {"sqlite": 500, "postgresql": 5000}  # SQLite binds at most 32,766 values


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


def present_rows(connection: Connection, table: str, columns: Sequence[tuple[str, str]],
                 rows: Sequence[Sequence[Any]], fixed: tuple[str, Any]) -> set[tuple[Any, ...]]:
    """Which of ``rows`` (values of ``columns``, each a (name, PostgreSQL array type) pair) are in ``table``
    where the ``fixed`` column has its value: a chunk of rows at a time joined to the table, so a unique
    index over the fixed column and ``columns`` gives one seek per row, however large the table.

    Driver SQL: a row-value IN scans a whole index on SQLite, and SQLAlchemy's ``values()`` renders each
    row as literals (no statement cache), in a form SQLite lacks. PostgreSQL takes one array per column.
    """
    names = [name for name, _ in columns]
    fixed_column, fixed_value = fixed
    postgres = connection.dialect.name == "postgresql"
    mark = "%s" if postgres else "?"
    join = " AND ".join([f"t.{fixed_column} = {mark}"] + [f"t.{name} = w.{name}" for name in names])
    selected = ", ".join(f"t.{name}" for name in names)
    size = LOOKUP_CHUNK["postgresql" if postgres else "sqlite"]
    found: set[tuple[Any, ...]] = set()
    for start in range(0, len(rows), size):
        chunk = rows[start:start + size]
        if postgres:
            arrays = ", ".join(f"%s::{kind}[]" for _, kind in columns)
            sql = f"SELECT {selected} FROM unnest({arrays}) AS w ({', '.join(names)}) JOIN {table} t ON {join}"
            params = (*([row[i] for row in chunk] for i in range(len(names))), fixed_value)
        else:
            row_marks = "(" + ", ".join(["?"] * len(names)) + ")"
            sql = (f"WITH w ({', '.join(names)}) AS (VALUES {', '.join([row_marks] * len(chunk))}) "
                   f"SELECT {selected} FROM w JOIN {table} t ON {join}")
            params = (*(value for row in chunk for value in row), fixed_value)
        found.update(tuple(row) for row in connection.exec_driver_sql(sql, params))
    return found
