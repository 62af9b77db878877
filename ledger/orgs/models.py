"""Organisations (a tree, with a materialised path), their settings, and categories."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ledger.core import clock
from ledger.core.db import db
from ledger.core.enums import OrgKind
from ledger.core.types import UTCDateTime, enum_check


class Organisation(db.Model):
    __tablename__ = "organisations"
    __table_args__ = (CheckConstraint(enum_check("kind", OrgKind.values()), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30), default=OrgKind.branch.value)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    # "/1/5/23/": subtree queries are a prefix match on an indexed column.
    path: Mapped[str] = mapped_column(String(500), index=True, default="/")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    parent: Mapped[Organisation | None] = relationship(remote_side=[id])
    settings: Mapped[OrgSettings | None] = relationship(uselist=False, lazy="joined")

    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to this organisation, inclusive."""
        return [int(part) for part in self.path.strip("/").split("/") if part]


class OrgSettings(db.Model):
    """Per-organisation settings; a missing row means the defaults."""

    __tablename__ = "org_settings"

    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    evidence_required: Mapped[bool] = mapped_column(Boolean, default=True)
    warning_days: Mapped[int] = mapped_column(Integer, default=3)
    progress_margin: Mapped[int] = mapped_column(Integer, default=30)


DEFAULT_SETTINGS = {"evidence_required": True, "warning_days": 3, "progress_margin": 30}

DEFAULT_CATEGORIES = ["形式主义", "官僚主义", "享乐主义", "奢靡之风", "作风", "服务", "效能", "廉洁", "其他"]


class Category(db.Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
