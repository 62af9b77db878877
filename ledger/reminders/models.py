"""Reminders decided (one row per unique key) and the per-organisation reminder settings."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ledger.core import clock
from ledger.core.db import db
from ledger.core.types import UTCDateTime


class Reminder(db.Model):
    """A reminder decided once: the database refuses a second row with the same (kind, item, recipient, period).

    ``item_key`` is the item id, or 0 for reminders about no single item (the weekly digest), so the
    unique constraint holds on both databases (NULLs would never collide).
    """

    __tablename__ = "reminders"
    __table_args__ = (
        UniqueConstraint("kind", "item_key", "user_id", "period", name="uq_reminders_kind_item_user_period"),
        Index("ix_reminders_user_id", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    item_key: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    period: Mapped[str] = mapped_column(String(60))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    decided_for: Mapped[datetime] = mapped_column(UTCDateTime)  # the moment the run acted as


class ReminderSettings(db.Model):
    """Reminder windows and recipients of one organisation (and, by inheritance, its subtree).

    A missing row, or a NULL column, means: the nearest ancestor's value, else SPEC §4's default.
    """

    __tablename__ = "reminder_settings"

    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    due_soon_days: Mapped[str | None] = mapped_column(String(50))  # "3,1"
    overdue_repeat_days: Mapped[int | None] = mapped_column(Integer)
    escalate_after_days: Mapped[int | None] = mapped_column(Integer)
    unclaimed_days: Mapped[int | None] = mapped_column(Integer)
    unverified_days: Mapped[int | None] = mapped_column(Integer)
    progress_request_day: Mapped[int | None] = mapped_column(Integer)  # day of the month
    recipients: Mapped[dict | None] = mapped_column(JSON)  # {"overdue": ["owner", "secretary"], …}
