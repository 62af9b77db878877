"""Notices, their per-organisation numbering and schedule, and objections filed against them."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ledger.core import clock
from ledger.core.db import db
from ledger.core.enums import TitledEnum
from ledger.core.types import UTCDateTime, enum_check


class NoticeKind(TitledEnum):
    progress = "progress", "整改进展通报"
    closure = "closure", "销号公示"
    review = "review", "评议结果公示"
    overdue = "overdue", "超期督办通报"


class NoticeStatus(TitledEnum):
    draft = "draft", "草稿"
    published = "published", "已发布"
    withdrawn = "withdrawn", "已撤回"


class ObjectionDecision(TitledEnum):
    upheld = "upheld", "异议成立（已回炉）"
    answered = "answered", "已答复"


class Notice(db.Model):
    __tablename__ = "notices"
    __table_args__ = (
        CheckConstraint(enum_check("kind", NoticeKind.values()), name="kind"),
        CheckConstraint(enum_check("status", NoticeStatus.values()), name="status"),
        CheckConstraint("period_start <= period_end", name="period"),
        CheckConstraint("(status = 'draft') = (published_at IS NULL)", name="published_at_iff_issued"),
        UniqueConstraint("org_id", "year", "seq", name="uq_notices_org_year_seq"),
        UniqueConstraint("draft_key", name="uq_notices_draft_key"),
        Index("ix_notices_status_published", "status", "published_at"),
        Index("ix_notices_org_status", "org_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=NoticeStatus.draft.value)
    title: Mapped[str] = mapped_column(String(200))
    addressee: Mapped[str] = mapped_column(String(200), default="")
    intro: Mapped[str] = mapped_column(Text, default="")
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    # 发文字号 〔year〕seq号, given at publication: drafts have none, withdrawn notices keep theirs.
    year: Mapped[int | None] = mapped_column(Integer)
    seq: Mapped[int | None] = mapped_column(Integer)
    number: Mapped[str | None] = mapped_column(String(40))
    objection_days: Mapped[int | None] = mapped_column(Integer)
    objection_until: Mapped[date | None] = mapped_column(Date)
    # The snapshot: everything the notice shows, frozen at publication (drafts: a preview).
    content: Mapped[dict] = mapped_column(JSON, default=dict)
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("notices.id"))
    # Set for notices the scheduler drafted: the same period is never drafted twice.
    draft_key: Mapped[str | None] = mapped_column(String(100))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)
    finalised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # closure: objection period processed
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)

    org = relationship("Organisation", lazy="joined")
    corrects = relationship("Notice", remote_side=[id], lazy="joined")

    @property
    def kind_title(self) -> str:
        return NoticeKind(self.kind).title

    @property
    def status_title(self) -> str:
        return NoticeStatus(self.status).title


class NoticeCounter(db.Model):
    """The last number given per organisation and year; bumped under a row lock."""

    __tablename__ = "notice_counters"
    __table_args__ = (UniqueConstraint("org_id", "year", name="uq_notice_counters_org_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    year: Mapped[int] = mapped_column(Integer)
    value: Mapped[int] = mapped_column(Integer, default=0)


class NoticeSettings(db.Model):
    """Per-organisation schedule and publication settings; a missing row means the defaults."""

    __tablename__ = "notice_settings"
    __table_args__ = (
        CheckConstraint("progress_weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint("objection_days BETWEEN 1 AND 60", name="objection_days"),
    )

    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    progress_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    progress_weekday: Mapped[int] = mapped_column(Integer, default=0)  # 0 = Monday
    closure_enabled: Mapped[bool] = mapped_column(Boolean, default=True)  # at month end
    auto_publish: Mapped[bool] = mapped_column(Boolean, default=False)
    objection_days: Mapped[int] = mapped_column(Integer, default=7)  # working days
    addressee: Mapped[str] = mapped_column(String(200), default="")
    contact: Mapped[str] = mapped_column(String(200), default="")  # 联系方式 printed for objections


class Objection(db.Model):
    """An objection filed on the public board: the opinion (channel ``objection``) and the item it concerns."""

    __tablename__ = "objections"
    __table_args__ = (
        CheckConstraint("decision IS NULL OR decision IN ('upheld', 'answered')", name="decision"),
        Index("ix_objections_notice_item", "notice_id", "item_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    opinion_id: Mapped[int] = mapped_column(ForeignKey("opinions.id"), unique=True)
    decision: Mapped[str | None] = mapped_column(String(20))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    notice = relationship("Notice", lazy="joined")
    item = relationship("Item", lazy="joined")
    opinion = relationship("Opinion", lazy="joined")


DEFAULT_NOTICE_SETTINGS = {"progress_enabled": True, "progress_weekday": 0, "closure_enabled": True,
                           "auto_publish": False, "objection_days": 7, "addressee": "", "contact": ""}
