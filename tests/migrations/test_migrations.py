"""The Alembic chain: one head; empty → head on both databases; down to base and up again; an existing
database keeps its rows through every later migration; the ORM metadata matches the migrated schema."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

import ledger
from config import BASE_DIR
from ledger.core.db import db

SCRIPTS = ScriptDirectory(str(BASE_DIR / "migrations"))
FIRST = "0001"


def chain() -> list[str]:
    """Revision ids from the first to the head."""
    return [script.revision for script in reversed(list(SCRIPTS.walk_revisions("base", "heads")))]


def current_revision() -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def inspector() -> sa.Inspector:
    return sa.inspect(db.engine)


def triggers() -> set[str]:
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            rows = conn.execute(sa.text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"))
        else:
            rows = conn.execute(sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
        return {row[0] for row in rows}


def test_one_head_and_a_linear_chain():
    assert len(SCRIPTS.get_heads()) == 1, SCRIPTS.get_heads()
    revisions = chain()
    assert revisions[0] == FIRST
    for script in SCRIPTS.walk_revisions("base", "heads"):
        assert not isinstance(script.down_revision, tuple | list), f"{script.revision} is a merge point"


def test_migrations_import_nothing_from_the_app():
    for path in Path(SCRIPTS.versions).glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import)\s+(ledger|config)\b", text, re.M), path.name
        assert "UTCDateTime" not in text, f"{path.name}: use sa.DateTime(timezone=True)"


def assert_schema_at_head() -> None:
    """Every table, index and named constraint of the models exists, and so do the journal's triggers."""
    insp = inspector()
    assert set(insp.get_table_names()) == set(db.metadata.tables) | {"alembic_version"}
    for name, table in db.metadata.tables.items():
        columns = {c["name"] for c in insp.get_columns(name)}
        assert columns == set(table.columns.keys()), name
        indexes = {ix["name"] for ix in insp.get_indexes(name)}
        assert {ix.name for ix in table.indexes} <= indexes, name
        checks = {ck["name"] for ck in insp.get_check_constraints(name)}
        uniques = {uq["name"] for uq in insp.get_unique_constraints(name)} | {
            ix["name"] for ix in insp.get_indexes(name) if ix["unique"]}
        foreign = {fk["name"] for fk in insp.get_foreign_keys(name)}
        for constraint in table.constraints:
            if isinstance(constraint, sa.CheckConstraint):
                assert constraint.name in checks, (name, constraint.name)
            elif isinstance(constraint, sa.UniqueConstraint):
                assert constraint.name in uniques, (name, constraint.name)
            elif isinstance(constraint, sa.ForeignKeyConstraint):
                assert constraint.name in foreign, (name, constraint.name)
    # The lists people run most (organisation + status + deadline; owner + open + deadline).
    items = {ix["name"]: ix["column_names"] for ix in insp.get_indexes("items")}
    assert items["ix_items_org_status_due"] == ["org_id", "status", "due_key"]
    assert items["ix_items_owner_open_due"] == ["owner_id", "is_open", "due_key", "id"]
    assert {"ck_items_status", "ck_items_closed_at_iff_closed"} <= {
        ck["name"] for ck in insp.get_check_constraints("items")}
    expected = ({"events_append_only"} if db.engine.dialect.name == "postgresql"
                else {"events_no_update", "events_no_delete"})
    assert expected <= triggers()


def test_empty_to_head(bare_app, backend):
    assert current_revision() is None
    upgrade()
    assert current_revision() == SCRIPTS.get_current_head()
    assert_schema_at_head()


def test_down_to_base_and_up_again(bare_app, backend):
    upgrade()
    downgrade(revision="base")
    assert current_revision() is None
    assert set(inspector().get_table_names()) <= {"alembic_version"}
    assert not triggers()
    upgrade()
    assert_schema_at_head()


def test_orm_metadata_matches_migrated_schema(bare_app, backend):
    """Autogenerate finds nothing to do: the models and the migrations describe the same schema.

    Server defaults are not compared: migrations give new NOT NULL columns a server default for the rows
    already there, while the models set defaults in Python; that difference is intended."""
    upgrade()
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


# Rows as they were at revision 0001, written with the 0001 column names (so this never has to change
# when the models move on). Later migrations must keep every one of them.
T0 = datetime(2026, 1, 5, 8, 30, tzinfo=UTC)
SEED: list[tuple[str, list[dict]]] = [
    ("organisations", [
        {"id": 1, "name": "县委", "kind": "committee", "parent_id": None, "path": "/1/", "timezone": "Asia/Shanghai",
         "created_at": T0},
        {"id": 2, "name": "甲支部", "kind": "branch", "parent_id": 1, "path": "/1/2/", "timezone": "Asia/Shanghai",
         "created_at": T0}]),
    ("categories", [{"id": 1, "name": "作风", "active": True, "position": 1}]),
    ("users", [
        {"id": 1, "username": "sec", "display_name": "李书记", "email": "sec@example.org", "password_hash": "x",
         "active": True, "is_admin": False, "session_token": "s1", "locale": None, "reminder_delivery": "immediate",
         "reminders_opt_out": False, "created_at": T0},
        {"id": 2, "username": "owner", "display_name": "张科长", "email": None, "password_hash": "y",
         "active": True, "is_admin": False, "session_token": "s2", "locale": "zh", "reminder_delivery": "digest",
         "reminders_opt_out": True, "created_at": T0}]),
    ("memberships", [{"id": 1, "user_id": 1, "org_id": 2, "role": "secretary"},
                     {"id": 2, "user_id": 2, "org_id": 2, "role": "owner"}]),
    ("api_tokens", [{"id": 1, "user_id": 2, "token_hash": "h" * 64, "session_token": "s2", "name": "cli",
                     "created_at": T0, "last_used_at": None}]),
    ("code_counters", [{"id": 1, "prefix": "ZG", "year": 2026, "value": 2}]),
    ("items", [
        {"id": 1, "code": "ZG-2026-0001", "org_id": 2, "title": "午间无人值守", "description": "群众反映",
         "measures": "错时服务", "kind": "time_limited", "scope": "individual", "category": "作风", "urgency": "normal",
         "leader_id": 1, "owner_id": 2, "deadline": date(2026, 3, 1), "original_deadline": date(2026, 2, 1),
         "due_key": date(2026, 3, 1), "status": "in_progress", "is_open": True, "flagged": True,
         "progress_percent": 40, "yellow_from": date(2026, 2, 26), "completion_note": None, "return_note": None,
         "cancel_reason": None, "stage_goals": None, "next_review_on": None, "round": 1, "assigned_at": T0,
         "claimed_at": T0, "submitted_at": None, "closed_at": None, "created_by_id": 1, "created_at": T0,
         "updated_at": T0, "version": 4},
        {"id": 2, "code": "ZG-2026-0002", "org_id": 2, "title": "已销号", "description": "", "measures": "措施",
         "kind": "long_term", "scope": "common", "category": None, "urgency": "urgent", "leader_id": None,
         "owner_id": 2, "deadline": None, "original_deadline": None, "due_key": date(9999, 12, 31),
         "status": "closed", "is_open": False, "flagged": False, "progress_percent": 100, "yellow_from": None,
         "completion_note": "完成", "return_note": None, "cancel_reason": None, "stage_goals": "每季度",
         "next_review_on": date(2026, 6, 1), "round": 2, "assigned_at": T0, "claimed_at": T0, "submitted_at": T0,
         "closed_at": T0, "created_by_id": 1, "created_at": T0, "updated_at": T0, "version": 9}]),
    ("events", [
        {"id": 1, "item_id": 1, "actor_id": 1, "action": "create", "from_status": None, "to_status": "pending",
         "comment": None, "changes": {}, "round": 1, "at": T0},
        {"id": 2, "item_id": 1, "actor_id": 2, "action": "claim", "from_status": "pending", "to_status": "claimed",
         "comment": "认领", "changes": {"measures": ["", "错时服务"]}, "round": 1, "at": T0}]),
    ("extensions", [{"id": 1, "item_id": 1, "requested_by_id": 2, "current_deadline": date(2026, 2, 1),
                     "new_deadline": date(2026, 3, 1), "reason": "设备未到", "status": "approved", "decided_by_id": 1,
                     "decision_comment": "同意", "requested_at": T0, "decided_at": T0}]),
    ("attachments", [{"id": 1, "item_id": 2, "kind": "photo", "filename": "值班表.png", "stored_name": "a" * 40,
                      "content_type": "image/png", "size": 68, "sha256": "b" * 64, "round": 2, "uploaded_by_id": 2,
                      "uploaded_at": T0}]),
    ("opinions", [{"id": 1, "org_id": 2, "review_id": None, "channel": "meeting", "kind": "problem",
                   "category": "作风", "content": "中午没人", "submitter_name": "王大爷",
                   "submitter_contact": "13800000000", "anonymous": False, "wants_updates": True,
                   "received_on": date(2026, 1, 4), "status": "accepted", "item_id": 1, "reply": None,
                   "feedback_at": None, "created_by_id": 1, "created_at": T0, "updated_at": T0}]),
    ("urges", [{"id": 1, "item_id": 1, "org_id": 2, "by_id": 1, "note": "请加快", "at": T0, "answered_at": None}]),
    ("messages", [{"id": 1, "dedupe_key": "overdue:1:2:2026-03-02", "kind": "overdue", "item_id": 1,
                   "opinion_id": None, "recipient_user_id": 2, "to_address": "owner@example.org", "subject": "超期",
                   "body": "请处理", "status": "failed", "attempts": 6, "next_attempt_at": T0,
                   "last_error": "SMTPServerDisconnected", "created_at": T0, "sent_at": None}]),
    ("notifications", [{"id": 1, "user_id": 2, "kind": "overdue", "item_id": 1, "message_id": 1, "subject": "超期",
                        "body": "请处理", "created_at": T0, "read_at": None}]),
]


def _plain(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    return value


def _seed() -> None:
    metadata = sa.MetaData()
    with db.engine.begin() as conn:
        for name, rows in SEED:
            table = sa.Table(name, metadata, autoload_with=conn)
            conn.execute(table.insert(), rows)


def _assert_seed_kept(revision: str) -> None:
    metadata = sa.MetaData()
    with db.engine.connect() as conn:
        for name, rows in SEED:
            table = sa.Table(name, metadata, autoload_with=conn)
            key = table.primary_key.columns.values()[0]
            assert conn.scalar(sa.select(sa.func.count()).select_from(table)) == len(rows), (revision, name)
            for row in rows:
                stored = conn.execute(sa.select(table).where(key == row[key.name])).mappings().one()
                kept = {column: _plain(stored[column]) for column in row if column in stored}
                assert kept == {column: _plain(row[column]) for column in kept}, (revision, name)


def test_upgrading_a_database_with_data_loses_nothing(bare_app, backend):
    """Upgrade to 0001, write rows, then take every later migration one at a time: all rows survive."""
    upgrade(revision=FIRST)
    _seed()
    _assert_seed_kept(FIRST)
    for revision in chain()[1:]:
        upgrade(revision=revision)
        _assert_seed_kept(revision)
    upgrade()
    assert current_revision() == SCRIPTS.get_current_head()
    _assert_seed_kept("head")


def test_the_app_never_calls_create_all():
    """The schema is the migrations' job: no create_all anywhere in the application package."""
    package = Path(ledger.__file__).parent
    offenders = [str(path.relative_to(package)) for path in package.rglob("*.py")
                 if re.search(r"\bcreate_all\s*\(", path.read_text(encoding="utf-8"))]
    assert offenders == []
