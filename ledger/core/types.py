"""Column helpers shared by the models."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Dialect, TypeDecorator

from ledger.core import clock


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on both SQLite and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        value = clock.as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return clock.as_utc(value)


def enum_check(column: str, values: list[str]) -> str:
    """SQL for a CHECK constraint keeping ``column`` within ``values``."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"
