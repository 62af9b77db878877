"""The opinions' 三到 record in batches: one column query per batch, the list's scope, filters and order."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime

from sqlalchemy import event

from ledger.core.db import db
from ledger.core.enums import OpinionStatus
from ledger.opinions.services import triage
from ledger.reviews.services import create_review
from ledger.spreadsheets import export
from ledger.spreadsheets.values import unescape
from tests.spreadsheets.sheets import read_xlsx

STATUS_TITLES = {s.value: s.title for s in OpinionStatus}


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[1:]


def _review(w):
    review = create_review(w.sec_a, {"org_id": w.org_a.id, "title": "年度评议", "method": "meeting",
                                     "held_on": date(2026, 1, 5)})
    db.session.commit()
    return review


def _add(f, w, review, n: int, start: int = 0) -> None:
    """``n`` opinions over two organisations, each kind of row: in a review, anonymous, risky text, answered,
    rejected, merged into an item."""
    for k in range(start, start + n):
        org, sec = (w.org_a, w.sec_a) if k % 3 else (w.org_b, w.sec_b)
        opinion = f.opinion(sec, org, content=("=HYPERLINK(1)" if k % 5 == 4 else f"意见{k}"), anonymous=k % 4 == 1,
                            submitter_name=f"提出人{k}", submitter_contact=f"p{k}@example.org",
                            review_id=review.id if org is w.org_a and k % 2 else None,
                            received_on=date(2026, 1, 1 + k % 28))
        if k % 6 == 1:
            triage(sec, opinion.id, "answer", reply=f"答复{k}")
        elif k % 6 == 5:
            triage(sec, opinion.id, "reject", reply="-不属实")
        db.session.commit()
        if k % 6 == 2:
            f.item(sec, org, w.owner_a if org is w.org_a else w.owner_b, title=f"事项{k}", opinion_ids=[opinion.id])


def _statements(fetch, user, path: str) -> int:
    """Statements run while the export is written (not the request's token and user loading around it)."""
    seen, real = [], export.write_opinions
    listener = lambda *args: seen.append(1)  # noqa: E731

    def counted(*args, **kwargs):
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            return real(*args, **kwargs)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
    export.write_opinions = counted
    try:
        response = fetch(user, path)
    finally:
        export.write_opinions = real
    assert response.status_code == 200, response.data[:300]
    return len(seen)


def test_statements_do_not_grow_with_the_number_of_opinions(f, fetch, monkeypatch):
    w = f.world()
    review = _review(w)
    _add(f, w, review, 2)
    paths = [f"/opinions/export?format={fmt}{query}" for fmt in ("csv", "xlsx")
             for query in ("", f"&org_id={w.org_a.id}", f"&org_id={w.root.id}&status=answered")]
    users = (w.admin, w.sup_root, w.sec_a)
    for user in users:  # a supervisor's first request reads its subtree once (the scope, kept on the user)
        _statements(fetch, user, paths[0])
    few = {(user.id, path): _statements(fetch, user, path) for user in users for path in paths}
    _add(f, w, review, 10, start=2)  # 12: other organisations, reviews, items, replies, feedback times
    assert {(user.id, path): _statements(fetch, user, path) for user in users for path in paths} == few
    # In batches of 5, the 12 opinions are read by 3 queries (the last one short) instead of 1: one statement
    # per batch and nothing per opinion, whichever organisation, review or item each has.
    monkeypatch.setattr(export, "BATCH", 5)
    for path in (paths[0], paths[3]):  # every opinion
        assert _statements(fetch, w.admin, path) == few[(w.admin.id, path)] + 2, path
    _add(f, w, review, 8, start=12)  # 20 opinions: 5 queries (4 full batches, then an empty one)
    for path in (paths[0], paths[3]):  # every opinion
        assert _statements(fetch, w.admin, path) == few[(w.admin.id, path)] + 4, path


def _listed(api, user, query: str) -> list[dict]:
    """Every opinion of GET /opinions for ``query``, oldest first (the list pages newest first)."""
    client, found, cursor = api(user), [], ""
    while True:
        status, page = client.get(f"/opinions?limit=4&{query}{cursor}")
        assert status == 200, page
        found += page["items"]
        if not page["next_cursor"]:
            return found[::-1]
        cursor = f"&cursor={page['next_cursor']}"


def test_batches_keep_the_scope_filters_order_and_content_of_the_list(f, fetch, api, monkeypatch):
    w = f.world()
    review = _review(w)
    _add(f, w, review, 14)
    monkeypatch.setattr(export, "BATCH", 3)
    checked = 0
    for user in (w.sec_a, w.sec_b, w.sup_a, w.sup_root, w.admin, w.owner_a):
        for query in ("", "status=answered", "status=accepted", f"review_id={review.id}", f"org_id={w.org_a.id}",
                      f"org_id={w.org_b.id}&status=rejected"):
            expected = _listed(api, user, query)
            rows = _csv_rows(fetch(user, f"/opinions/export?format=csv&{query}").data)
            assert [int(r[1]) for r in rows] == [o["id"] for o in expected], (user.username, query)
            assert [r[0] for r in rows] == [str(n) for n in range(1, len(rows) + 1)]  # 序号 runs on over batches
            for row, opinion in zip(rows, expected, strict=True):
                assert row[2] == opinion["received_on"] and unescape(row[6]) == opinion["content"]
                assert not row[6].startswith("=") and row[12] == STATUS_TITLES[opinion["status"]]
                assert row[7] == ("" if opinion["anonymous"] else opinion["submitter_name"])
                assert row[8] == opinion["submitter_contact"] and row[9] == ("是" if opinion["anonymous"] else "否")
                assert unescape(row[15]) == (opinion["reply"] or "")
                assert (row[13] != "") == (opinion["item_id"] is not None) and (row[16] != "") == bool(
                    opinion["feedback_at"])
            sheet = read_xlsx(fetch(user, f"/opinions/export?format=xlsx&{query}").data)[2:]
            assert [(r[0], r[1], r[6], r[12]) for r in sheet] == [(int(r[0]), int(r[1]), r[6], r[12]) for r in rows]
            assert [r[2].date().isoformat() for r in sheet] == [r[2] for r in rows]
            assert all(isinstance(r[16], datetime) for r in sheet if r[15])
            checked += len(rows)
    assert checked > 14 * 4  # the scene gives every filter something to keep
    assert fetch(w.sec_a, "/opinions/export?format=csv&status=sideways").status_code == 422


def test_an_opinions_export_failing_in_a_later_batch_is_an_error(f, client, monkeypatch):
    from ledger.auth.services import issue_token

    w = f.world()
    _add(f, w, _review(w), 5)
    token = issue_token(w.sec_a, "test")
    db.session.commit()
    monkeypatch.setattr(export, "BATCH", 2)
    real, calls = export._opinion_values, []

    def third_row_breaks(row):
        calls.append(row)
        if len(calls) > 2:
            raise RuntimeError("the database went away")
        return real(row)
    monkeypatch.setattr(export, "_opinion_values", third_row_breaks)
    client.application.config["PROPAGATE_EXCEPTIONS"] = False  # answer as production does: a 500
    for fmt in ("csv", "xlsx"):
        calls.clear()
        response = client.get(f"/api/v1/opinions/export?format={fmt}", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 500 and len(calls) == 3, fmt
