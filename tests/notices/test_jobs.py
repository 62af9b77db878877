"""Scheduled drafting: each organisation's schedule, idempotent, automatic publication where chosen."""
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from ledger.core import clock
from ledger.core.db import db
from ledger.notices import services
from ledger.notices.jobs import closure_period, draft_due_notices, progress_period
from ledger.notices.models import Notice
from tests.notices.support import ledger


def test_periods():
    monday = date(2026, 11, 23)
    assert progress_period(monday, 0) == (date(2026, 11, 16), date(2026, 11, 22))
    assert progress_period(monday + timedelta(days=3), 0) == (date(2026, 11, 16), date(2026, 11, 22))
    assert progress_period(monday, 4) == (date(2026, 11, 13), date(2026, 11, 19))  # Fridays
    assert closure_period(date(2026, 11, 30)) == (date(2026, 11, 1), date(2026, 11, 30))
    assert closure_period(date(2026, 12, 3)) == (date(2026, 11, 1), date(2026, 11, 30))
    assert closure_period(date(2027, 1, 1)) == (date(2026, 12, 1), date(2026, 12, 31))


def _count(**where) -> int:
    return db.session.scalar(select(func.count()).select_from(Notice).filter_by(**where))


def test_drafting_on_schedule_is_idempotent_and_publishes_where_chosen(f):
    w, items = ledger(f)  # created "now"; three items closed now
    services.update_settings(w.sec_b, w.org_b.id, {"auto_publish": True})
    services.update_settings(w.sec_a, w.org_a.id, {"progress_enabled": False})
    db.session.commit()
    now = clock.now()
    month_end = clock.today().replace(day=1) + timedelta(days=32)
    month_end = month_end.replace(day=1) - timedelta(days=1)
    moment = datetime(month_end.year, month_end.month, month_end.day, 1, tzinfo=UTC)
    assert moment > now
    first = draft_due_notices(moment)
    db.session.commit()
    # progress: root and org_b (org_a chose none); closure: org_a and org_b (the root closed nothing itself)
    assert first == 4
    assert draft_due_notices(moment) == 0
    assert draft_due_notices(moment + timedelta(hours=5)) == 0
    db.session.commit()
    assert _count(kind="progress") == 2 and _count(kind="closure") == 2
    assert _count(org_id=w.org_b.id, status="published") == 2
    assert _count(org_id=w.org_a.id, status="draft") == 1
    closure_b = db.session.scalar(select(Notice).where(Notice.org_id == w.org_b.id, Notice.kind == "closure"))
    assert closure_b.number is not None and closure_b.objection_until is not None
    assert [r["title"] for r in closure_b.content["items"]] == ["乙已办"]


def test_run_jobs_at_drafts_the_weekly_progress_notice(f, app):
    w, items = ledger(f)
    org_ids = {w.root.id, w.org_a.id, w.org_b.id}
    today = clock.today()
    next_monday = today + timedelta(days=7 - today.weekday())
    runner = app.test_cli_runner()
    at = f"{next_monday.isoformat()}T07:00:00+08:00"
    result = runner.invoke(args=["ledger", "run-jobs", "--at", at, "--job", "notices"])
    assert result.exit_code == 0, result.output
    assert "notices: ok" in result.output and "drafted=" in result.output
    db.session.remove()
    progress = db.session.scalars(select(Notice).where(Notice.kind == "progress")).all()
    assert {n.org_id for n in progress} == org_ids
    assert all(n.period_end == next_monday - timedelta(days=1) for n in progress)
    again = runner.invoke(args=["ledger", "run-jobs", "--at", at, "--job", "notices"])
    assert again.exit_code == 0 and "drafted=0" in again.output
