"""record_audit: the chain it builds, the address it takes, what outlives a rollback."""
from __future__ import annotations

from sqlalchemy import select

from ledger.audit.models import AuditEntry, AuditHead
from ledger.audit.services import GENESIS, entry_hash, record_audit
from ledger.core.db import db


def _entries() -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def _fields(entry: AuditEntry) -> dict:
    return {c: getattr(entry, c) for c in ("id", "at", "actor_id", "action", "target_type", "target_id",
                                           "details", "address", "prev_hash")}


def test_entries_chain_from_genesis(app, f):
    user = f.user()
    record_audit(user, "user.updated", target_type="user", target_id=user.id, details={"名": "值"})
    record_audit(None, "settings.changed", details={"key": "x"})
    db.session.commit()
    first, second = _entries()[-2:]
    assert (first.id, second.id) == (second.id - 1, second.id)
    assert second.prev_hash == first.hash
    assert all(entry_hash(_fields(e)) == e.hash for e in (first, second))
    assert _entries()[0].prev_hash == GENESIS
    head = db.session.get(AuditHead, 1)
    assert (head.last_id, head.last_hash) == (second.id, second.hash)
    assert first.actor_id == user.id and first.details == {"名": "值"} and second.actor_id is None


def test_rolled_back_entry_leaves_no_trace(app, f):
    record_audit(None, "user.created")
    db.session.rollback()
    assert _entries() == [] and db.session.get(AuditHead, 1).last_id == 0


def test_a_refused_read_leaves_no_entry_but_a_refused_login_does(app, client, f):
    """After a request that rolls back, only the entries meant to outlive it are written (a GET's deferred
    entries on SQLite included)."""
    from ledger.audit.services import finish_request, start_request

    start_request("192.0.2.1")
    record_audit(None, "export.ledger", details={"rows": 1})
    record_audit(None, "auth.login_failed", details={"username": "x"})
    db.session.rollback()
    finish_request(committed=False)
    assert [(e.action, e.address) for e in _entries()] == [("auth.login_failed", "192.0.2.1")]


def test_a_read_only_request_writes_its_entries_after_its_commit(app):
    from ledger.audit.services import finish_request, start_request
    from ledger.core.db import write_intent

    token = write_intent.set(False)
    try:
        start_request("192.0.2.2")
        record_audit(None, "export.opinions", details={"rows": 3})
        db.session.commit()
        finish_request(committed=True)
    finally:
        write_intent.reset(token)
    assert [(e.action, e.details) for e in _entries()] == [("export.opinions", {"rows": 3})]
