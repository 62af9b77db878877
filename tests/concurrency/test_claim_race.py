"""Real threads racing on one item, against PostgreSQL and a file-backed SQLite.

Each thread has its own Flask test client (and so its own app context, session and connection); a barrier
makes them fire together. Exactly one action wins, the others get a clean 409, and the journal has one
Event for it: no 500, no "database is locked", nothing half-done.
"""
from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from ledger.auth.services import issue_token
from ledger.core.db import db
from ledger.items.models import Event, Item

THREADS = 8
CONFLICT_CODES = {"version_conflict", "invalid_transition"}


def race_calls(app, calls: list[tuple[str, str | None, str, dict]]) -> list[tuple[int, dict | str]]:
    """Run ``(method, token, path, body)`` API calls at once, one thread and one test client each.

    Answers ``(status, json)`` per call; an exception escaping the app (a 500 under TESTING) is recorded
    as status 500 with its text, so the test sees it instead of a hung or silent thread."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def worker(index: int, method: str, token: str | None, path: str, body: dict) -> None:
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        barrier.wait(timeout=30)
        try:
            response = client.open(f"/api/v1{path}", method=method, json=body, headers=headers)
            results[index] = (response.status_code, response.get_json(silent=True))
        except Exception as exc:  # noqa: BLE001 — the test reports it
            results[index] = (500, f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=worker, args=(i, *call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a racing request hung"
    return results


def race(app, calls: list[tuple[str, str, dict]]) -> list[tuple[int, dict | str]]:
    """``(token, path, body)`` POSTs at once (see race_calls)."""
    return race_calls(app, [("POST", token, path, body) for token, path, body in calls])


def tokens(user, n: int = THREADS) -> list[str]:
    """``n`` API tokens of one user, so every thread authenticates on its own."""
    raws = [issue_token(user, f"race-{i}") for i in range(n)]
    db.session.commit()
    return raws


def assert_one_winner(results) -> None:
    statuses = Counter(status for status, _ in results)
    assert statuses[200] == 1, results
    assert statuses[409] == len(results) - 1, results
    for status, body in results:
        assert "locked" not in str(body), body
        if status == 409:
            assert body["error"]["code"] in CONFLICT_CODES, body


def journal(item_id: int, action: str) -> int:
    db.session.rollback()  # see what the threads committed
    return db.session.scalar(select(func.count()).select_from(Event).where(
        Event.item_id == item_id, Event.action == action))


def fresh(item_id: int) -> Item:
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(Item, item_id)


@pytest.mark.slow
def test_eight_concurrent_claims_one_wins(app, client, f, backend):
    w = f.world()
    item = f.item(w.sec_a, w.org_a, w.owner_a)
    raws = tokens(w.owner_a)
    # A refused write from this thread first, as earlier tests in a run do: its write intent must end with
    # the request, or this thread's next read would take SQLite's write lock and starve the racers.
    stale = client.post(f"/api/v1/items/{item.id}/transitions", json={"action": "claim", "version": 0},
                        headers={"Authorization": f"Bearer {raws[0]}"})
    assert stale.status_code == 409
    version = item.version
    calls = [(token, f"/items/{item.id}/transitions", {"action": "claim", "version": version}) for token in raws]
    results = race(app, calls)
    assert_one_winner(results)
    assert journal(item.id, "claim") == 1
    item = fresh(item.id)
    assert item.status == "claimed" and item.version == version + 1


@pytest.mark.slow
def test_eight_concurrent_verifies_by_two_verifiers_one_wins(app, f, backend):
    w = f.world()
    item = f.item(w.sec_a, w.org_a, w.owner_a, status="awaiting_verification")
    version = item.version
    secretary, supervisor = tokens(w.sec_a, THREADS // 2), tokens(w.sup_a, THREADS // 2)
    calls = [(token, f"/items/{item.id}/transitions", {"action": "verify", "version": version, "comment": "同意"})
             for pair in zip(secretary, supervisor, strict=True) for token in pair]
    results = race(app, calls)
    assert_one_winner(results)
    assert journal(item.id, "verify") == 1
    item = fresh(item.id)
    assert item.status == "closed" and item.closed_at is not None


@pytest.mark.slow
@pytest.mark.parametrize("existing", [0, 1], ids=["first-of-year", "counter-exists"])
def test_eight_concurrent_creations_get_unique_sequential_codes(app, f, backend, existing):
    w = f.world()
    first = [f.item(w.sec_a, w.org_a, w.owner_a) for _ in range(existing)]
    deadline = first[0].deadline.isoformat() if first else "2030-12-31"
    calls = [(token, "/items", {"org_id": w.org_a.id, "title": f"并发创建{i}", "owner_id": w.owner_a.id,
                                "deadline": deadline})
             for i, token in enumerate(tokens(w.sec_a))]
    results = race(app, calls)
    assert [status for status, _ in results] == [201] * THREADS, results
    codes = sorted(body["code"] for _, body in results)
    numbers = sorted(int(code.rsplit("-", 1)[1]) for code in codes)
    assert numbers == list(range(existing + 1, existing + THREADS + 1)), codes
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Item)) == existing + THREADS
    assert db.session.scalar(select(func.count()).select_from(Event).where(Event.action == "create")) \
        == existing + THREADS
