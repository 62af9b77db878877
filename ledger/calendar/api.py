"""API: the working-day calendar (admin keeps it; everyone may read it)."""
from __future__ import annotations

from datetime import date

from flask import jsonify
from pydantic import Field
from sqlalchemy import select

from ledger.api import params
from ledger.api.blueprint import bp
from ledger.api.common import Body, Day, Line, Out, actor, arg, parse_body
from ledger.api.registry import api_route
from ledger.audit.services import record_audit
from ledger.calendar import services
from ledger.calendar.models import CalendarDay
from ledger.core import bounds
from ledger.core.db import db
from ledger.core.errors import Forbidden, Invalid


class CalendarDayIn(Body):
    day: Day
    is_working: bool
    name: Line = Field(default="", max_length=50)


class CalendarDaysIn(Body):
    days: list[CalendarDayIn] = Field(max_length=400)


class CalendarDayOut(Out):
    day: date
    is_working: bool
    name: str


@api_route(bp, "/calendar/days", "GET", list_of=CalendarDayOut,
           query=(params.day("from", "first day"), params.day("to", "last day")))
def list_calendar_days():
    """Holidays and make-up working days recorded between two dates."""
    start, end = arg("from") or bounds.MIN_DATE, arg("to") or bounds.MAX_DATE
    if start > end:
        raise Invalid({"from": "开始日期不能晚于结束日期"})
    rows = db.session.scalars(select(CalendarDay).where(CalendarDay.day.between(start, end))
                              .order_by(CalendarDay.day)).all()
    return jsonify({"items": [CalendarDayOut.model_validate(r).model_dump(mode="json") for r in rows],
                    "next_cursor": None})


@api_route(bp, "/calendar/days", "PUT", body=CalendarDaysIn, list_of=CalendarDayOut)
def set_calendar_days():
    """Record public holidays (is_working false) and make-up working days (is_working true) — admin."""
    if not actor().is_admin:
        raise Forbidden("只有管理员可以维护工作日历")
    body = parse_body(CalendarDaysIn)
    services.set_days([(d.day, d.is_working, d.name) for d in body.days])
    record_audit(actor(), "settings.changed", target_type="calendar", details={  # the days as now set
        "setting": "calendar", "days": [[d.day.isoformat(), d.is_working, d.name] for d in body.days]})
    db.session.flush()
    days = [d.day for d in body.days]
    rows = db.session.scalars(select(CalendarDay).where(CalendarDay.day.in_(days)).order_by(CalendarDay.day)).all()
    return jsonify({"items": [CalendarDayOut.model_validate(r).model_dump(mode="json") for r in rows],
                    "next_cursor": None})
