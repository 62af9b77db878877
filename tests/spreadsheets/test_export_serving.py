"""Exports as a server sends them: whole or an error (never a 200 cut short), in batches, in the list's order."""
from __future__ import annotations

import csv
import io
import threading

from sqlalchemy import event

from ledger.auth.services import issue_token
from ledger.core.db import db
from ledger.spreadsheets import export
from tests.spreadsheets.sheets import read_xlsx


def _codes_csv(data: bytes) -> list[str]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    return [row[1] for row in rows[1:]]


def _served(app, token: str, paths: list[str]) -> dict:
    """GET each path from a thread of its own: no application context around the request, so the database
    session ends with the request before the body is read, as under gunicorn (the tests' shared context
    otherwise keeps it alive)."""
    answers: dict = {}

    def serve() -> None:
        client = app.test_client()
        for path in paths:
            try:
                response = client.get(f"/api/v1{path}", headers={"Authorization": f"Bearer {token}"})
                answers[path] = (response.status_code, response.headers.get("Content-Length"), response.data)
            except Exception as exc:  # noqa: BLE001 — a body that breaks half way: the test reports it
                answers[path] = (None, None, f"{type(exc).__name__}: {exc}")

    thread = threading.Thread(target=serve)
    thread.start()
    thread.join(timeout=120)
    assert not thread.is_alive()
    return answers


def test_exports_come_whole_with_their_length_when_served_as_in_production(f, app, monkeypatch):
    w = f.world()
    linked = f.opinion(w.sec_a, w.org_a, content="窗口无人")
    codes = [f.item(w.sec_a, w.org_a, w.owner_a, title=f"事项{n}", opinion_ids=[linked.id] if n == 0 else []).code
             for n in range(5)]
    token = issue_token(w.sec_a, "test")
    db.session.commit()
    monkeypatch.setattr(export, "BATCH", 2)  # several batches, so the export goes on after the first
    paths = ["/items/export?format=csv", "/items/export?format=xlsx", "/opinions/export?format=csv"]
    answers = _served(app, token, paths)
    for path in paths:
        status, length, data = answers[path]
        assert status == 200, (path, data)
        assert length is not None and int(length) == len(data), path
    assert _codes_csv(answers[paths[0]][2]) == codes
    assert [r[1] for r in read_xlsx(answers[paths[1]][2])[2:]] == codes
    assert "窗口无人" in answers[paths[2]][2].decode("utf-8-sig")


def test_an_export_failing_half_way_is_an_error_not_a_short_file(f, app, client, monkeypatch):
    w = f.world()
    for n in range(3):
        f.item(w.sec_a, w.org_a, w.owner_a, title=f"事项{n}")
    token = issue_token(w.sec_a, "test")
    db.session.commit()
    monkeypatch.setattr(export, "BATCH", 2)
    real, calls = export._linked_opinions, []

    def second_batch_breaks(ids):
        calls.append(ids)
        if len(calls) > 1:
            raise RuntimeError("the database went away")
        return real(ids)
    monkeypatch.setattr(export, "_linked_opinions", second_batch_breaks)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer as production does: a 500
    for fmt in ("csv", "xlsx"):
        calls.clear()
        response = client.get(f"/api/v1/items/export?format={fmt}", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 500, fmt
        assert len(calls) == 2, fmt


def test_statements_do_not_grow_with_the_number_of_items(f, app, fetch):
    w = f.world()
    opinions = [f.opinion(w.sec_a, w.org_a, content=f"意见{n}") for n in range(12)]

    def statements() -> int:
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            response = fetch(w.sec_a, "/items/export?format=xlsx")
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert response.status_code == 200
        return len(seen)

    for n in range(2):
        f.item(w.sec_a, w.org_a, w.owner_a, opinion_ids=[opinions[n].id])
    few = statements()
    for n in range(2, 12):
        f.item(w.sec_a, w.org_a, w.owner_a, opinion_ids=[opinions[n].id], leader_id=w.sec_a.id)
    assert statements() == few


def test_batches_keep_the_order_and_filters_of_the_list(f, app, fetch, api, monkeypatch):
    w = f.world()
    for days in (9, 3, 3, 12, 1, 7, 3):
        f.item(w.sec_a, w.org_a, w.owner_a, days=days)
    f.item(w.sec_a, w.org_a, w.owner_a, status="closed", days=2)
    f.item(w.sec_b, w.org_b, w.owner_b, days=4)  # out of sec_a's scope
    monkeypatch.setattr(export, "BATCH", 2)
    as_sec = api(w.sec_a)
    for query in ("sort=deadline", "sort=-deadline", "sort=created", "sort=-created", "sort=deadline&status=pending"):
        status, listed = as_sec.get(f"/items?{query}&limit=100")
        assert status == 200, listed
        expected = [item["code"] for item in listed["items"]]
        assert len(expected) >= 7
        assert _codes_csv(fetch(w.sec_a, f"/items/export?format=csv&{query}").data) == expected, query
    assert fetch(w.sec_a, "/items/export?format=csv&sort=sideways").status_code == 422
