"""Migration 0013 on a populated database: usernames get their key, tokens their expiry, and usernames that
fold to one key stop the upgrade with their names, changing nothing."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from ledger.core.db import db
from tests.migrations.test_migrations import current_revision

T0 = datetime(2026, 1, 5, 8, 30, tzinfo=UTC)


def _user(user_id: int, username: str) -> dict:
    return {"id": user_id, "username": username, "display_name": username, "email": None, "password_hash": "x",
            "active": True, "is_admin": False, "session_token": f"s{user_id}", "locale": None,
            "reminder_delivery": "immediate", "reminders_opt_out": False, "created_at": T0.replace(tzinfo=None)}


def _insert(table: str, rows: list[dict]) -> None:
    with db.engine.begin() as conn:
        conn.execute(sa.Table(table, sa.MetaData(), autoload_with=conn).insert(), rows)


def _rows(sql: str) -> list:
    with db.engine.connect() as conn:
        return conn.execute(sa.text(sql)).all()


def test_fills_keys_and_token_expiry(bare_app, backend):
    upgrade(revision="0012")
    _insert("users", [_user(1, "Äbc"), _user(2, "ADMİN"), _user(3, "ｗａｎｇ")])
    _insert("api_tokens", [{"id": 1, "user_id": 1, "token_hash": "h" * 64, "session_token": "s1", "name": "cli",
                            "created_at": T0.replace(tzinfo=None), "last_used_at": None}])
    upgrade(revision="0013")
    assert dict(_rows("SELECT id, username_key FROM users")) == {1: "äbc", 2: "admi̇n", 3: "wang"}
    (expires,), = _rows("SELECT expires_at FROM api_tokens")
    expires = expires if isinstance(expires, datetime) else datetime.fromisoformat(str(expires))
    assert expires.replace(tzinfo=None) == (T0 + timedelta(days=90)).replace(tzinfo=None)
    assert _rows("SELECT failed_logins, locked_until, totp_secret FROM users WHERE id = 1") == [(0, None, None)]
    # the key is unique in the database
    with pytest.raises(sa.exc.IntegrityError):
        _insert("users", [{**_user(4, "äBC"), "username_key": "äbc"}])
    downgrade(revision="0012")
    assert "username_key" not in {c["name"] for c in sa.inspect(db.engine).get_columns("users")}
    assert [r[0] for r in _rows("SELECT username FROM users ORDER BY id")] == ["Äbc", "ADMİN", "ｗａｎｇ"]


def test_colliding_usernames_stop_the_upgrade_and_change_nothing(bare_app, backend):
    from alembic import command

    upgrade(revision="0012")
    _insert("users", [_user(1, "Äbc"), _user(2, "äbc"), _user(3, "Zed"), _user(4, "ＺＥＤ")])
    config = bare_app.extensions["migrate"].migrate.get_config()
    # (through Flask-Migrate, as `flask ledger init` runs it, the same message is logged and the command exits 1)
    with pytest.raises(RuntimeError) as stopped:
        command.upgrade(config, "0013")
    message = str(stopped.value)
    assert "#1 'Äbc', #2 'äbc'" in message and "#3 'Zed', #4 'ＺＥＤ'" in message and "Nothing was changed" in message
    db.session.remove()
    assert current_revision() == "0012"
    assert "username_key" not in {c["name"] for c in sa.inspect(db.engine).get_columns("users")}
    # renamed as the message says, the upgrade goes through
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE users SET username = 'äbc2' WHERE id = 2"))
        conn.execute(sa.text("UPDATE users SET username = 'zed2' WHERE id = 4"))
    upgrade(revision="0013")
    assert current_revision() == "0013"
