"""How reminders are recorded: known keys are skipped, and a key recorded behind the run's back fails the
run whole instead of sending twice."""
from __future__ import annotations

from sqlalchemy import func, select

from ledger.core import bulk
from ledger.core.db import db
from ledger.outbox.models import Message, Notification
from ledger.reminders import services
from ledger.reminders.models import Reminder
from ledger.scheduler.jobs import run_all
from tests.reminders.conftest import at, run


def _counts() -> tuple[int, int, int]:
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Reminder, Message, Notification))


def test_each_reminder_points_at_the_message_that_carried_it(app, w, make):
    first, second = make(days=1), make(days=1)
    result = run(at(2))["reminders"]
    assert result["overdue"] == 4 and result["messages"] == 2  # owner and secretary, one message each
    rows = list(db.session.scalars(select(Reminder).where(Reminder.kind == "overdue")))
    assert {r.item_id for r in rows} == {first.id, second.id}
    for row in rows:
        message = db.session.get(Message, row.message_id)
        assert message.recipient_user_id == row.user_id and first.code in message.body and second.code in message.body


def test_a_key_recorded_behind_the_runs_back_fails_the_run_with_nothing_written(app, w, make, monkeypatch):
    make(days=1)
    run(at(2))
    before = _counts()
    # As if another process had recorded the keys between this run's lookup and its insert.
    monkeypatch.setattr(services, "_known_keys", lambda keys: set())
    (job,) = run_all(at(2, minute=5), "run-jobs", ["reminders"])
    assert job.status == "error" and "UNIQUE" in job.error.upper()
    assert _counts() == before  # no second message, no notification, no reminder row
    monkeypatch.undo()
    assert run(at(2, minute=10))["reminders"]["reminders"] == 0


def test_many_keys_are_looked_up_in_chunks(app, w, make, monkeypatch):
    monkeypatch.setattr(bulk, "LOOKUP_CHUNK", {"sqlite": 2, "postgresql": 2})
    items = [make(days=1) for _ in range(5)]
    assert run(at(2))["reminders"]["overdue"] == 10
    assert run(at(2, minute=5))["reminders"]["reminders"] == 0
    keys = [("overdue", item.id, user_id, period) for item in items
            for user_id, period in db.session.execute(select(Reminder.user_id, Reminder.period).where(
                Reminder.item_id == item.id, Reminder.kind == "overdue"))]
    assert services._known_keys(keys + [("overdue", items[0].id, 999999, "nope")]) == set(keys)
