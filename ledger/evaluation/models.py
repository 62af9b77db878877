"""Satisfaction ratings (测评), the warnings the rules raise, and one-time survey links."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ledger.core import clock
from ledger.core.db import db
from ledger.core.types import UTCDateTime, enum_check

TARGET_TYPES = ("org", "user", "item")
ANSWERS = ("satisfied", "basically_satisfied", "unsatisfied", "dont_know")
RULES = ("low_once", "low_twice", "rework")


class Rating(db.Model):
    """The tally for one target in one review. ``dont_know`` answers are kept but are not valid."""

    __tablename__ = "ratings"
    __table_args__ = (
        UniqueConstraint("review_id", "target_type", "target_id", name="uq_ratings_review_target"),
        CheckConstraint(enum_check("target_type", list(TARGET_TYPES)), name="target_type"),
        CheckConstraint("satisfied >= 0 AND basically_satisfied >= 0 AND unsatisfied >= 0 AND dont_know >= 0",
                        name="counts"),
        Index("ix_ratings_target", "target_type", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    target_type: Mapped[str] = mapped_column(String(10))
    target_id: Mapped[int] = mapped_column(Integer)
    satisfied: Mapped[int] = mapped_column(Integer, default=0)
    basically_satisfied: Mapped[int] = mapped_column(Integer, default=0)
    unsatisfied: Mapped[int] = mapped_column(Integer, default=0)
    dont_know: Mapped[int] = mapped_column(Integer, default=0)
    # For an item target: the item's round when rated, so an old rating never sends a later closure back.
    item_round: Mapped[int | None] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)

    @property
    def valid(self) -> int:
        return self.satisfied + self.basically_satisfied + self.unsatisfied


class Warning(db.Model):  # noqa: A001 — the SPEC's noun
    """A warning raised by a satisfaction rule; acknowledged with a note, never deleted."""

    __tablename__ = "warnings"
    __table_args__ = (
        UniqueConstraint("target_type", "target_id", "rule", "review_id", name="uq_warnings_target_rule_review"),
        CheckConstraint(enum_check("target_type", list(TARGET_TYPES)), name="target_type"),
        CheckConstraint(enum_check("rule", list(RULES)), name="rule"),
        Index("ix_warnings_org_id", "org_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    target_type: Mapped[str] = mapped_column(String(10))
    target_id: Mapped[int] = mapped_column(Integer)
    rule: Mapped[str] = mapped_column(String(20))
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"))  # the review that triggered it
    review_ids: Mapped[list] = mapped_column(JSON, default=list)  # every review behind it
    rates: Mapped[list] = mapped_column(JSON, default=list)  # their rates, as strings, same order
    suggestion: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acknowledge_note: Mapped[str | None] = mapped_column(Text)


class Survey(db.Model):
    """An online satisfaction survey of one item's closure, answered through one-time links."""

    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SurveyLink(db.Model):
    """One link for one opinion's submitter; only the SHA-256 of its token is kept. Answers once."""

    __tablename__ = "survey_links"
    __table_args__ = (
        CheckConstraint("answer IS NULL OR " + enum_check("answer", list(ANSWERS)), name="answer"),
        CheckConstraint("(answer IS NULL) = (answered_at IS NULL)", name="answered_iff_answer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), index=True)
    opinion_id: Mapped[int] = mapped_column(ForeignKey("opinions.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    answer: Mapped[str | None] = mapped_column(String(30))
    comment: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
