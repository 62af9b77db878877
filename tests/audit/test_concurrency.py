"""Appends racing from real threads (one connection each) never fork the chain: PostgreSQL waits on the
head row (FOR UPDATE), SQLite's write transactions are serialised (BEGIN IMMEDIATE)."""
from __future__ import annotations

import threading

from ledger.audit.chain import verify_chain
from ledger.audit.services import record_audit
from ledger.core.db import db, unit_of_work
from tests.audit.conftest import entries, make_user
from tests.concurrency.test_claim_race import THREADS, tokens
from tests.concurrency.test_claim_race import race_calls as race


def test_racing_requests_append_one_chain(app):
    admin = make_user("root_admin", is_admin=True)
    targets = [make_user(f"target{i}") for i in range(THREADS)]
    before = len(entries())
    results = race(app, [("PATCH", raw, f"/users/{t.id}", {"display_name": f"新名字{i}"})
                         for i, (raw, t) in enumerate(zip(tokens(admin), targets, strict=True))])
    assert all(status == 200 for status, _ in results), results
    assert len(entries("user.updated")) == THREADS
    verdict = verify_chain()
    assert verdict.ok and verdict.count == len(entries()) > before, verdict


def test_racing_failed_logins_written_after_their_rollbacks(app):
    make_user("victim")
    calls = [("POST", None, "/tokens", {"username": "victim", "password": f"wrong-{i}-password"})
             for i in range(THREADS)]
    results = race(app, calls)
    assert all(status in (401, 429) for status, _ in results), results
    assert len(entries("auth.login_failed")) == THREADS
    assert verify_chain().ok


def test_racing_units_of_work(app):
    """Commands and jobs (unit_of_work), outside any request, racing too."""
    barrier = threading.Barrier(THREADS)
    errors = []

    def worker(n: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                with unit_of_work():
                    record_audit(None, "settings.changed", details={"n": n})
                    record_audit(None, "settings.changed", details={"n": n, "second": True})
            except Exception as exc:  # noqa: BLE001 — reported below
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    verdict = verify_chain()
    assert verdict.ok and verdict.count == 2 * THREADS, verdict
    # each unit's two entries are adjacent: appends of one transaction are never interleaved with another's
    rows = entries("settings.changed")
    assert all(rows[i].details["n"] == rows[i + 1].details["n"] for i in range(0, len(rows), 2))
