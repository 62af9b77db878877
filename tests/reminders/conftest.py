"""Helpers for the reminder tests: local moments, running the jobs as if then, reading what was sent."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from ledger.core import clock
from ledger.core.db import db
from ledger.outbox.models import Message, Notification
from ledger.reminders.models import Reminder
from ledger.scheduler.jobs import run_all

SHANGHAI = ZoneInfo("Asia/Shanghai")
BASE = datetime(2026, 5, 4, 10, 0, tzinfo=SHANGHAI)  # a Monday


def at(days: int = 0, hour: int = 10, minute: int = 0) -> datetime:
    """A local moment ``days`` after BASE."""
    return (BASE + timedelta(days=days)).replace(hour=hour, minute=minute)


def run(moment: datetime, only: list[str] | None = None) -> dict[str, dict]:
    runs = run_all(moment, "run-jobs", only or ["reminders"])
    assert all(r.status == "ok" for r in runs), [(r.job, r.error) for r in runs]
    return {r.job: r.result for r in runs}


def reminder_messages(user=None) -> list[Message]:
    """Messages written by the reminder jobs (not the lifecycle's own notices)."""
    query = select(Message).where(Message.id.in_(select(Reminder.message_id))).order_by(Message.id)
    if user is not None:
        query = query.where(Message.recipient_user_id == user.id)
    return list(db.session.scalars(query))


def sent_kinds(user, digests: bool = False) -> Counter:
    """(kind, item) of every reminder recorded for the user (weekly digests only when asked: an empty
    week is recorded as decided, with no message)."""
    rows = db.session.scalars(select(Reminder).where(Reminder.user_id == user.id))
    return Counter((r.kind, r.item_id) for r in rows if digests or r.kind != "weekly_digest")


def notifications(user, kind_prefix: str = "") -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.id)))


@pytest.fixture
def w(f):
    with clock.frozen_at(BASE - timedelta(days=40)):
        return f.world()


@pytest.fixture
def make(f, w):
    """``make(days=N, status=…, when=moment)``: an item in org_a for owner_a created at ``when``."""
    def build(days: int = 10, status: str = "in_progress", when: datetime = BASE, owner=None, **data):
        with clock.frozen_at(when):
            return f.item(w.sec_a, w.org_a, owner or w.owner_a, status=status, days=days, **data)
    return build
