"""``flask --app wsgi ledger <command>`` through Flask's CLI runner, on both databases."""
from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ledger.auth.models import ApiToken, Membership, User
from ledger.auth.services import authenticate
from ledger.core.db import db
from ledger.core.enums import ItemStatus, OpinionStatus, Role
from ledger.demo import DEMO_PASSWORD
from ledger.items.models import Event, Extension, Item
from ledger.opinions.models import Opinion
from ledger.outbox.models import Message
from tests.migrations.conftest import bare_app, empty_database_url  # noqa: F401  (fixtures)


def run(app, *args: str, input: str | None = None):
    result = app.test_cli_runner().invoke(args=["ledger", *args], input=input)
    db.session.rollback()  # see what the command committed
    return result


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_init_creates_the_schema_and_is_idempotent(bare_app, backend):  # noqa: F811
    first = run(bare_app, "init")
    assert first.exit_code == 0, first.output
    assert "latest revision" in first.output
    categories = db.session.scalar(select(func.count()).select_from(db.metadata.tables["categories"]))
    assert categories >= 9  # 四风 and the others
    second = run(bare_app, "init")
    assert second.exit_code == 0, second.output
    assert db.session.scalar(select(func.count()).select_from(db.metadata.tables["categories"])) == categories


def test_demo_loads_every_role_and_state_once(app, backend):
    result = run(app, "demo")
    assert result.exit_code == 0, result.output
    assert DEMO_PASSWORD in result.output
    users, items, events = count(User), count(Item), count(Event)
    roles = set(db.session.scalars(select(Membership.role)))
    assert roles == {Role.secretary.value, Role.owner.value, Role.supervisor.value}
    assert db.session.scalar(select(User).where(User.is_admin.is_(True))) is not None
    assert db.session.scalar(select(User).where(User.is_auditor.is_(True))) is not None
    assert db.session.scalar(select(User).where(User.is_security_admin.is_(True))) is not None
    assert set(db.session.scalars(select(Item.status))) == set(ItemStatus.values())
    assert set(db.session.scalars(select(Opinion.status))) == set(OpinionStatus.values())
    assert db.session.scalar(select(Extension).where(Extension.status == "pending")) is not None
    assert db.session.scalar(select(Item).where(Item.flagged.is_(True))) is not None

    again = run(app, "demo")
    assert again.exit_code == 0, again.output
    assert "already present" in again.output and DEMO_PASSWORD not in again.output
    assert (count(User), count(Item), count(Event)) == (users, items, events)


def test_demo_logins_work_through_the_api(app, client, backend):
    result = run(app, "demo")
    names = [line.split()[0] for line in result.output.splitlines() if DEMO_PASSWORD in line]
    assert {"admin", "security", "auditor", "secretary", "owner", "supervisor"} <= set(names)
    for name in names:
        response = client.post("/api/v1/tokens", json={"username": name, "password": DEMO_PASSWORD})
        assert response.status_code in (200, 201), (name, response.get_json())
        assert response.get_json()["token"]


def test_demo_refuses_a_production_configuration(app, backend):
    app.config["LEDGER_ENV"] = "production"
    result = run(app, "demo")
    assert result.exit_code != 0
    assert "production" in result.output
    assert count(User) == 0


def test_create_user_reads_the_password_from_stdin(app, f, backend):
    org = f.org("甲支部")
    result = run(app, "create-user", "alice", "--role", "owner", "--org", str(org.id), "--email", "a@example.org",
                 input="Long-enough-1\n")
    assert result.exit_code == 0, result.output
    assert "Long-enough-1" not in result.output
    user = authenticate("alice", "Long-enough-1")
    assert user is not None and user.email == "a@example.org"
    assert [(m.org_id, m.role) for m in user.memberships] == [(org.id, "owner")]

    admin = run(app, "create-user", "root", "--role", "admin", input="Long-enough-2\n")
    assert admin.exit_code == 0, admin.output
    assert authenticate("root", "Long-enough-2").is_admin


def test_create_user_refuses_a_short_password(app, f, backend):
    org = f.org()
    result = run(app, "create-user", "bob", "--role", "owner", "--org", str(org.id), input="short\n")
    assert result.exit_code != 0
    assert "password" in result.output and "8" in result.output  # 密码至少 8 位
    assert db.session.scalar(select(User).where(User.username == "bob")) is None


@pytest.mark.parametrize("args, message", [
    (["--role", "owner"], "--org"),
    (["--role", "owner", "--org", "999999"], "org_id"),
    (["--role", "mayor", "--org", "1"], "mayor"),
], ids=["no-org", "unknown-org", "unknown-role"])
def test_create_user_refuses_bad_options(app, backend, args, message):
    result = run(app, "create-user", "carol", *args, input="Long-enough-1\n")
    assert result.exit_code != 0 and message in result.output, result.output
    assert count(User) == 0


def test_create_token_prints_a_working_token(app, client, f, backend):
    w = f.world()
    result = run(app, "create-token", "sec_a", "--label", "spreadsheet sync")
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    stored = db.session.scalar(select(ApiToken).where(ApiToken.name == "spreadsheet sync"))
    assert stored.user_id == w.sec_a.id and token not in stored.token_hash  # only the hash is kept
    response = client.get("/api/v1/items", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200

    unknown = run(app, "create-token", "nobody")
    assert unknown.exit_code != 0 and "nobody" in unknown.output


def test_send_outbox_without_smtp_logs_and_marks_logged(app, f, backend, caplog):
    app.config["LEDGER_SMTP_URL"] = ""
    w = f.world()
    f.item(w.sec_a, w.org_a, w.owner_a)  # the owner is told about the new item
    pending = list(db.session.scalars(select(Message.id).where(Message.status == "pending")))
    assert pending
    caplog.set_level(logging.INFO, logger="ledger.outbox.services")
    result = run(app, "send-outbox")
    assert result.exit_code == 0, result.output
    assert f"logged={len(pending)}" in result.output
    statuses = dict(db.session.execute(select(Message.id, Message.status).where(Message.id.in_(pending))).all())
    assert set(statuses.values()) == {"logged"}
    assert any("no SMTP" in record.getMessage() for record in caplog.records)
    assert "logged=0" in run(app, "send-outbox").output  # nothing is sent twice


def test_backup_of_sqlite_is_a_readable_copy(app, f, backend, tmp_path):
    if backend != "sqlite":
        pytest.skip("SQLite online backup; PostgreSQL is covered below")
    w = f.world()
    f.item(w.sec_a, w.org_a, w.owner_a, status="claimed")
    target = tmp_path / "copies" / "ledger-backup.sqlite"
    result = run(app, "backup", "--to", str(target))
    assert result.exit_code == 0, result.output
    assert str(target) in result.output
    copy = sqlite3.connect(target)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("SELECT count(*) FROM items").fetchone() == (count(Item),)
        assert copy.execute("SELECT count(*) FROM events").fetchone() == (count(Event),)
    finally:
        copy.close()


def test_backup_default_location_is_under_instance(app, backend):
    result = run(app, "backup")
    if backend == "postgresql" and result.exit_code != 0:
        assert "pg_dump" in result.output  # not installed: the guidance is shown
        return
    assert result.exit_code == 0, result.output
    written = Path(result.output.split("backup written to ", 1)[1].splitlines()[0])
    assert written.parent == Path(app.instance_path) / "backups" and written.stat().st_size > 0
    if backend == "postgresql":
        assert "pg_restore" in result.output
