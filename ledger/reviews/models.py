"""Reviews (评议活动) and their satisfaction tallies."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ledger.core import clock
from ledger.core.db import db
from ledger.core.enums import ReviewMethod
from ledger.core.types import UTCDateTime, enum_check


class Review(db.Model):
    __tablename__ = "reviews"
    __table_args__ = (
        CheckConstraint(enum_check("method", ReviewMethod.values()), name="method"),
        CheckConstraint("forms_returned <= forms_issued AND forms_valid <= forms_returned", name="forms"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(30))
    held_on: Mapped[date] = mapped_column(Date)
    forms_issued: Mapped[int] = mapped_column(Integer, default=0)
    forms_returned: Mapped[int] = mapped_column(Integer, default=0)
    forms_valid: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
