"""Items (整改事项), their journal, extensions, attachments and urges."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ledger.core import clock
from ledger.core.db import db
from ledger.core.enums import (
    OPEN_STATUSES,
    AttachmentKind,
    CancelReason,
    ExtensionStatus,
    ItemKind,
    ItemScope,
    ItemStatus,
    Urgency,
)
from ledger.core.types import UTCDateTime, enum_check
from ledger.items import lights

# Sort key for "no deadline": such items sort last and keyset pagination stays on the index.
NO_DEADLINE = date(9999, 12, 31)


class Item(db.Model):
    __tablename__ = "items"
    __table_args__ = (
        CheckConstraint(enum_check("status", ItemStatus.values()), name="status"),
        CheckConstraint(enum_check("kind", ItemKind.values()), name="kind"),
        CheckConstraint(enum_check("scope", ItemScope.values()), name="scope"),
        CheckConstraint(enum_check("urgency", Urgency.values()), name="urgency"),
        CheckConstraint("(status = 'closed') = (closed_at IS NOT NULL)", name="closed_at_iff_closed"),
        CheckConstraint("deadline IS NOT NULL OR kind = 'long_term'", name="deadline_required"),
        CheckConstraint("progress_percent BETWEEN 0 AND 100", name="percent_range"),
        Index("ix_items_open_due", "is_open", "due_key", "id"),
        Index("ix_items_org_open_due", "org_id", "is_open", "due_key", "id"),
        Index("ix_items_owner_open_due", "owner_id", "is_open", "due_key", "id"),
        Index("ix_items_org_status_due", "org_id", "status", "due_key"),
        Index("ix_items_due", "due_key", "id"),  # wide scopes walk the ledger in order (bench/)
        Index("ix_items_leader_open_due", "leader_id", "is_open", "due_key", "id"),
        # list filters over a wide subtree walk their own rows in deadline order (migration 0012, bench/)
        Index("ix_items_status_due", "status", "due_key", "id"),
        Index("ix_items_flagged_due", "flagged", "due_key", "id"),
        Index("ix_items_kind_due", "kind", "due_key", "id"),
        Index("ix_items_category_due", "category", "due_key", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    measures: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(20), default=ItemKind.time_limited.value)
    scope: Mapped[str] = mapped_column(String(20), default=ItemScope.individual.value)
    category: Mapped[str | None] = mapped_column(String(50))
    urgency: Mapped[str] = mapped_column(String(20), default=Urgency.normal.value)
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    deadline: Mapped[date | None] = mapped_column(Date)
    original_deadline: Mapped[date | None] = mapped_column(Date)
    due_key: Mapped[date] = mapped_column(Date, default=NO_DEADLINE)
    status: Mapped[str] = mapped_column(String(30), default=ItemStatus.pending.value)
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    progress_percent: Mapped[int] = mapped_column(Integer, default=0)
    # First day the light is yellow (warning window or lagging progress); kept by the services.
    yellow_from: Mapped[date | None] = mapped_column(Date)
    completion_note: Mapped[str | None] = mapped_column(Text)
    return_note: Mapped[str | None] = mapped_column(Text)
    cancel_reason: Mapped[str | None] = mapped_column(String(30))
    stage_goals: Mapped[str | None] = mapped_column(Text)
    next_review_on: Mapped[date | None] = mapped_column(Date)
    round: Mapped[int] = mapped_column(Integer, default=1)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # 公示无异议: the closure notice's objection period ended with no upheld objection (ledger.notices).
    closure_final_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    org = relationship("Organisation", lazy="joined")
    owner = relationship("User", foreign_keys=[owner_id], lazy="joined")
    leader = relationship("User", foreign_keys=[leader_id], lazy="joined")
    opinions = relationship("Opinion", lazy="selectin", order_by="Opinion.id")

    @validates("deadline")
    def _keep_due_key(self, key: str, value: date | None) -> date | None:
        self.due_key = value or NO_DEADLINE
        return value

    @validates("status")
    def _keep_is_open(self, key: str, value: str) -> str:
        self.is_open = value in OPEN_STATUSES
        return value

    @property
    def opinion_ids(self) -> list[int]:
        return [o.id for o in self.opinions]

    @property
    def status_title(self) -> str:
        return ItemStatus(self.status).title

    @property
    def today(self) -> date:
        return clock.today(self.org.timezone if self.org else "Asia/Shanghai")

    @property
    def light(self) -> str:
        return lights.light(self.is_open, self.deadline, self.yellow_from, self.today)

    @property
    def overdue_days(self) -> int:
        return lights.overdue_days(self.is_open, self.deadline, self.today)

    @property
    def overdue(self) -> bool:
        return self.overdue_days > 0


class Event(db.Model):
    """The journal (台账记录): append-only; no code path updates or deletes a row."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_item_id", "item_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(30))
    to_status: Mapped[str | None] = mapped_column(String(30))
    comment: Mapped[str | None] = mapped_column(Text)
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    round: Mapped[int] = mapped_column(Integer, default=1)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    actor = relationship("User", lazy="joined")


class Extension(db.Model):
    __tablename__ = "extensions"
    __table_args__ = (
        CheckConstraint(enum_check("status", ExtensionStatus.values()), name="status"),
        Index("ix_extensions_item_status", "item_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    current_deadline: Mapped[date | None] = mapped_column(Date)
    new_deadline: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=ExtensionStatus.pending.value)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_comment: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Attachment(db.Model):
    __tablename__ = "attachments"
    __table_args__ = (CheckConstraint(enum_check("kind", AttachmentKind.values()), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(255))  # the user's name, shown only
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)  # generated, never the user's path
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    round: Mapped[int] = mapped_column(Integer, default=1)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class Urge(db.Model):
    """A 催办: answered by the owner's next progress note."""

    __tablename__ = "urges"
    __table_args__ = (Index("ix_urges_org_answered", "org_id", "answered_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CodeCounter(db.Model):
    """Per-year sequence for item codes; incremented under a row lock."""

    __tablename__ = "code_counters"
    __table_args__ = (UniqueConstraint("prefix", "year", name="uq_code_counters_prefix_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    prefix: Mapped[str] = mapped_column(String(10))
    year: Mapped[int] = mapped_column(Integer)
    value: Mapped[int] = mapped_column(Integer, default=0)


CANCEL_REASONS = CancelReason.values()
