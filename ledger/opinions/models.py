"""Opinions (意见建议) raised in reviews or through any channel."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ledger.core import clock
from ledger.core.db import db
from ledger.core.enums import Channel, OpinionKind, OpinionStatus
from ledger.core.types import UTCDateTime, enum_check


class Opinion(db.Model):
    __tablename__ = "opinions"
    __table_args__ = (
        CheckConstraint(enum_check("channel", Channel.values()), name="channel"),
        CheckConstraint(enum_check("kind", OpinionKind.values()), name="kind"),
        CheckConstraint(enum_check("status", OpinionStatus.values()), name="status"),
        CheckConstraint("(status = 'accepted') = (item_id IS NOT NULL)", name="accepted_has_item"),
        Index("ix_opinions_org_status_id", "org_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id"), index=True)
    channel: Mapped[str] = mapped_column(String(30))
    kind: Mapped[str] = mapped_column(String(20), default=OpinionKind.problem.value)
    category: Mapped[str | None] = mapped_column(String(50))
    content: Mapped[str] = mapped_column(Text)
    submitter_name: Mapped[str | None] = mapped_column(String(100))
    submitter_contact: Mapped[str | None] = mapped_column(String(200))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    wants_updates: Mapped[bool] = mapped_column(Boolean, default=False)
    received_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=OpinionStatus.new.value)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), index=True)
    reply: Mapped[str | None] = mapped_column(Text)
    feedback_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)

    @property
    def has_email(self) -> bool:
        return bool(self.submitter_contact and "@" in self.submitter_contact and not self.anonymous)
