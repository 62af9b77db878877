"""Working days: weekends and public holidays off, make-up days (调休上班) on — all from data."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from ledger.calendar.models import CalendarDay
from ledger.core.db import db
from ledger.core.errors import Invalid


def _overrides(start: date, end: date) -> dict[date, bool]:
    rows = db.session.execute(select(CalendarDay.day, CalendarDay.is_working)
                              .where(CalendarDay.day.between(start, end))).all()
    return {day: working for day, working in rows}


def is_working_day(day: date, overrides: dict[date, bool]) -> bool:
    if day in overrides:
        return overrides[day]
    return day.weekday() < 5


def add_working_days(start: date, count: int) -> date:
    """The date ``count`` working days after ``start`` (``start`` itself not counted)."""
    if count < 1 or count > 3650:
        raise Invalid({"deadline_working_days": "工作日数必须在 1 到 3650 之间"})
    overrides = _overrides(start, start + timedelta(days=count * 3 + 60))
    day, left = start, count
    while left:
        day += timedelta(days=1)
        if is_working_day(day, overrides):
            left -= 1
    return day


def set_days(days: list[tuple[date, bool, str]]) -> int:
    """Record holidays (False) and make-up working days (True); later entries replace earlier ones."""
    for day, working, name in days:
        row = db.session.get(CalendarDay, day) or CalendarDay(day=day)
        row.is_working, row.name = working, name
        db.session.add(row)
    return len(days)
