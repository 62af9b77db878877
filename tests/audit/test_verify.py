"""``flask ledger audit verify`` on an intact chain, and after an entry is changed, removed or reordered
behind the application's back (raw SQL), on both databases; PostgreSQL's trigger refuses the raw SQL first."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ledger.audit.services import record_audit
from ledger.core.db import db


def run(app, *args: str):
    result = app.test_cli_runner().invoke(args=["ledger", "audit", *args])
    db.session.rollback()
    return result


@pytest.fixture
def chain(app):
    """Five entries, committed; their ids are 1–5."""
    for n in range(5):
        record_audit(None, "settings.changed", target_type="setting", target_id=n, details={"n": n})
    db.session.commit()
    return app


SQLITE_TRIGGERS = ("audit_log_no_update", "audit_log_no_delete")


def tamper(statement: str, **params) -> None:
    """Raw SQL past the append-only triggers (as someone with the database's owner rights could)."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        db.session.execute(text(statement), params)
        db.session.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
    else:
        saved = [db.session.execute(text("SELECT sql FROM sqlite_master WHERE name = :n"), {"n": n}).scalar_one()
                 for n in SQLITE_TRIGGERS]
        for name in SQLITE_TRIGGERS:
            db.session.execute(text(f"DROP TRIGGER {name}"))
        db.session.execute(text(statement), params)
        for sql in saved:
            db.session.execute(text(sql))
    db.session.commit()


def test_intact_chain_is_ok_with_its_count(chain):
    result = run(chain, "verify")
    assert result.exit_code == 0, result.output
    assert "OK: 5 entries" in result.output


def test_empty_log_is_ok(app):
    result = run(app, "verify")
    assert result.exit_code == 0 and "OK: 0 entries" in result.output


@pytest.mark.parametrize(("statement", "broken", "why"), [
    ("UPDATE audit_log SET details = '{\"n\": 99}' WHERE id = 3", 3, "changed"),
    ("UPDATE audit_log SET action = 'auth.login' WHERE id = 2", 2, "changed"),
    ("UPDATE audit_log SET actor_id = 7 WHERE id = 4", 4, "changed"),
    ("UPDATE audit_log SET address = '10.0.0.9' WHERE id = 1", 1, "changed"),
    ("DELETE FROM audit_log WHERE id = 3", 4, "removed"),
    ("DELETE FROM audit_log WHERE id = 5", 5, "removed"),  # the tail: the head still names entry 5
    ("DELETE FROM audit_log WHERE id = 1", 2, "removed"),
], ids=["details", "action", "actor", "address", "middle", "last", "first"])
def test_tampering_is_found(chain, statement, broken, why):
    tamper(statement)
    result = run(chain, "verify")
    assert result.exit_code == 1, result.output
    assert f"BROKEN at entry {broken}:" in result.output
    assert why in result.output


def test_swapping_two_entries_is_found_as_reordered(chain):
    """Entries 2 and 3 exchange their numbers (content and hashes intact): the chain's links give it away."""
    tamper("UPDATE audit_log SET id = 100 WHERE id = 2")
    tamper("UPDATE audit_log SET id = 2 WHERE id = 3")
    tamper("UPDATE audit_log SET id = 3 WHERE id = 100")
    result = run(chain, "verify")
    assert result.exit_code == 1
    assert "BROKEN at entry 2" in result.output and "changed" in result.output  # the number is hashed too


def test_entries_moved_after_recomputing_nothing_are_reordered(chain):
    """Someone rewrites an entry's link to skip one: the link names another entry."""
    tamper("UPDATE audit_log SET prev_hash = (SELECT hash FROM audit_log WHERE id = 1) WHERE id = 3")
    result = run(chain, "verify")
    assert result.exit_code == 1 and "BROKEN at entry 3" in result.output


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET action = 'x' WHERE id = 1",
                                       "DELETE FROM audit_log WHERE id = 1", "DELETE FROM audit_log",
                                       "TRUNCATE audit_log"])
def test_the_database_refuses_any_change_to_the_log(chain, backend, statement):
    if backend == "sqlite" and statement.startswith("TRUNCATE"):
        pytest.skip("SQLite has no TRUNCATE")
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text(statement))
        db.session.flush()
    db.session.rollback()
    assert run(chain, "verify").exit_code == 0


def test_the_application_has_no_path_that_changes_an_entry(chain):
    """Through the ORM too: changing or deleting a loaded entry fails at the database."""
    from ledger.audit.models import AuditEntry

    entry = db.session.get(AuditEntry, 2)
    entry.action = "changed"
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEntry, 2))
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    assert run(chain, "verify").exit_code == 0


def test_no_module_outside_the_audit_package_writes_the_log():
    """The log is written by ledger.audit.services alone (record_audit), never updated or deleted."""
    import re
    from pathlib import Path

    import ledger

    package = Path(ledger.__file__).parent
    offenders = [str(p.relative_to(package)) for p in package.rglob("*.py") if "audit" not in p.parts
                 and p != package / "models.py"  # the schema's list of models
                 and re.search(r"AuditEntry|audit_log|AuditHead|audit_head", p.read_text(encoding="utf-8"))]
    assert offenders == []
