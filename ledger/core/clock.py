"""The one clock: tests and ``run-jobs --at`` move it; everything else reads it."""
from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

_frozen: contextvars.ContextVar[datetime | None] = contextvars.ContextVar("frozen_now", default=None)
_global_frozen: list[datetime | None] = [None]


def now() -> datetime:
    """The current moment, timezone-aware (UTC)."""
    frozen = _frozen.get() or _global_frozen[0]
    return frozen if frozen is not None else datetime.now(UTC)


def today(tz_name: str = "Asia/Shanghai") -> date:
    """Today's date in the given time zone."""
    return now().astimezone(ZoneInfo(tz_name)).date()


@contextmanager
def frozen_at(moment: datetime) -> Iterator[None]:
    """Run the block as if at ``moment`` (used by run-jobs --at and tests)."""
    if moment.tzinfo is None:
        raise ValueError("moment must carry a time zone")
    token = _frozen.set(moment.astimezone(UTC))
    try:
        yield
    finally:
        _frozen.reset(token)


def set_global(moment: datetime | None) -> None:
    """Freeze the clock for every thread (tests that serve requests from threads)."""
    _global_frozen[0] = moment.astimezone(UTC) if moment else None


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes: they are stored as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
