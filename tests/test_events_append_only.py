"""The journal (台账记录) is append-only: the database refuses UPDATE and DELETE on ``events`` (triggers
created by the migrations), whether the statement is raw SQL or comes from the ORM, and the application
has no code that tries."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

import ledger
from ledger.core.db import db
from ledger.items.models import Event


@pytest.fixture
def journal(f, backend):
    """An item with a few events; answers their (id, action, comment) as committed."""
    w = f.world()
    item = f.item(w.sec_a, w.org_a, w.owner_a, status="in_progress")
    rows = db.session.execute(select(Event.id, Event.action, Event.comment).where(Event.item_id == item.id)
                              .order_by(Event.id)).all()
    assert [r.action for r in rows] == ["create", "claim", "start"]
    return item, rows


def unchanged(item, rows) -> None:
    db.session.rollback()
    now = db.session.execute(select(Event.id, Event.action, Event.comment).where(Event.item_id == item.id)
                             .order_by(Event.id)).all()
    assert now == rows


@pytest.mark.parametrize("sql", [
    "UPDATE events SET comment = 'rewritten' WHERE id = :id",
    "UPDATE events SET action = 'verify', to_status = 'closed' WHERE id = :id",
    "DELETE FROM events WHERE id = :id",
    "DELETE FROM events",
], ids=["update-comment", "update-action", "delete-one", "delete-all"])
def test_raw_sql_is_refused(journal, sql):
    item, rows = journal
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text(sql), {"id": rows[0].id})
        db.session.flush()
    unchanged(item, rows)


def test_orm_update_is_refused(journal):
    item, rows = journal
    event = db.session.get(Event, rows[1].id)
    event.comment = "改过的记录"
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.flush()
    unchanged(item, rows)


def test_orm_delete_is_refused(journal):
    item, rows = journal
    db.session.delete(db.session.get(Event, rows[2].id))
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.commit()
    unchanged(item, rows)


def test_inserting_still_works(journal):
    item, rows = journal
    db.session.add(Event(item_id=item.id, actor_id=None, action="urge", comment="追加", changes={}))
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Event).where(Event.item_id == item.id)) == 4


def test_no_code_path_updates_or_deletes_events():
    """Nothing in the application issues an UPDATE or DELETE against the journal."""
    package = Path(ledger.__file__).parent
    patterns = [r"update\(\s*Event\b", r"delete\(\s*Event\b", r"UPDATE\s+events\b", r"DELETE\s+FROM\s+events\b",
                r"session\.delete\(\s*event\b"]
    offenders = [f"{path.relative_to(package)}: {pattern}" for path in package.rglob("*.py")
                 for pattern in patterns if re.search(pattern, path.read_text(encoding="utf-8"), re.I)]
    assert offenders == []
