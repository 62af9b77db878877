"""An audit entry: who did what to which thing, from where; ``hash`` chains it to the entry before."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ledger.core import clock
from ledger.core.db import db
from ledger.core.types import UTCDateTime


class AuditEntry(db.Model):
    """Never updated nor deleted (no code path does; on PostgreSQL a trigger refuses it)."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_actor_id_id", "actor_id", "id"),
        Index("ix_audit_log_action_id", "action", "id"),
        Index("ix_audit_log_at_id", "at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # the chain numbers it
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    # no foreign key: the log outlives whatever it names, and must never block a change elsewhere
    actor_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(60))
    target_type: Mapped[str | None] = mapped_column(String(40))
    target_id: Mapped[int | None] = mapped_column(BigInteger)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    address: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(db.Model):
    """The chain's one-row head: the last entry's id and hash. Appends lock it (PostgreSQL: FOR UPDATE), so
    two transactions never fork the chain; ``verify`` compares it with the last entry, so a removed tail shows."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_id: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))
