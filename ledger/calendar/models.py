"""The working-day calendar, kept as data: public holidays and make-up working days (调休上班)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, String
from sqlalchemy.orm import Mapped, mapped_column

from ledger.core.db import db


class CalendarDay(db.Model):
    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_working: Mapped[bool] = mapped_column(Boolean)  # False: holiday; True: make-up working day
    name: Mapped[str] = mapped_column(String(50), default="")
