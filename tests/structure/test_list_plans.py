"""Every ledger list query the application emits is answered from an index, never a full scan of items.

The SQL is captured as ``ledger.items.queries.list_items`` sends it (every filter, alone and combined
with a subtree; every sort; a second page by cursor; each kind of actor), then explained: on SQLite
``EXPLAIN QUERY PLAN`` must not show a bare ``SCAN items`` followed by a sort (a bare scan in id order
is a walk of the rowid b-tree, the primary-key index, stopped by the LIMIT); on PostgreSQL ``EXPLAIN`` with
``enable_seqscan = off`` must not fall back to ``Seq Scan on items`` (which it does only when no index
can serve the query).

A subtree filter takes one of two shapes (``queries._subtree_clause``): for a wide subtree SQLite must
walk the deadline index in order and stop after the page, never sort the subtree; a narrow one keeps
its org index. The data set here is tiny, so the size threshold is moved to take each path in turn.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import text

from ledger.core import clock
from ledger.core.db import db
from ledger.items import queries

FULL_SCAN_SQLITE = re.compile(r"^SCAN items(?! USING)")


def filter_sets(w) -> list[dict]:
    today = clock.today()
    single = [{}, {"status": ["pending", "claimed"]}, {"status": ["closed"]}, {"owner_id": w.owner_a.id},
              {"overdue": True}, {"overdue": False}, {"flagged": True}, {"flagged": False}, {"light": "red"},
              {"light": "yellow"}, {"light": "green"}, {"light": "none"}, {"kind": "long_term"},
              {"category": "作风"}, {"due_before": today + timedelta(days=30)}, {"q": "窗口"}]
    return single + [{**one, "org_id": org.id} for one in single for org in (w.root, w.org_a)]


def list_sql(statements, actor, filters: dict, sort: str = "deadline", cursor: str | None = None):
    with statements.counting() as seen:
        page = queries.list_items(actor, filters, 2, cursor, sort)
    selects = [(s, p) for s, p in seen if re.search(r"\bFROM items\b", s) and s.lstrip().upper().startswith("SELECT")]
    assert selects, f"no items query for {filters}"
    return max(selects, key=lambda s: len(s[0])), page  # the list itself, not the subtree's size probe


def plan(statement: str, parameters) -> list[str]:
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        return [row[-1] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
    connection.execute(text("SET LOCAL enable_seqscan = off"))
    try:
        return [row[0] for row in connection.exec_driver_sql("EXPLAIN " + statement, parameters)]
    finally:
        connection.execute(text("SET LOCAL enable_seqscan = on"))


def full_scans(lines: list[str]) -> list[str]:
    sorted_after = any("TEMP B-TREE FOR ORDER BY" in line for line in lines)
    return [line for line in lines if (FULL_SCAN_SQLITE.match(line.strip()) and sorted_after)
            or "Seq Scan on items" in line]


@pytest.fixture(params=["narrow", "wide"])
def subtree_path(request, monkeypatch) -> str:
    monkeypatch.setattr(queries, "WIDE_SUBTREE_ITEMS", 10**9 if request.param == "narrow" else 1)
    return request.param


def some_items(f, w) -> None:
    for i, status in enumerate(("pending", "claimed", "in_progress", "closed")):
        f.item(w.sec_a, w.org_a, w.owner_a, status=status, days=i * 5 + 1, title=f"窗口事项{i}")
        f.item(w.sec_b, w.org_b, w.owner_b, status=status, days=i * 7 + 1)


def test_every_list_query_uses_an_index(app, f, w, statements, subtree_path):
    some_items(f, w)
    problems = []
    for actor in (w.admin, w.sup_root, w.sup_a, w.sec_a, w.owner_a):
        for filters in filter_sets(w):
            for sort in ("deadline", "-deadline", "created", "-created"):
                (statement, parameters), page = list_sql(statements, actor, filters, sort)
                lines = plan(statement, parameters)
                if full_scans(lines):
                    problems.append((actor.username, filters, sort, lines))
                if page.next_cursor:  # the second page: the keyset condition must keep the index
                    (statement, parameters), _ = list_sql(statements, actor, filters, sort, page.next_cursor)
                    lines = plan(statement, parameters)
                    if full_scans(lines):
                        problems.append((actor.username, filters, sort, "page 2", lines))
    assert not problems, "\n".join(map(str, problems[:10]))
    db.session.rollback()


# sqlite_stat1 of the items indexes on the county data set (bench/generate.py, 100,000 items, 300
# organisations): SQLite's choices depend only on these, so the tiny test ledger is planned as the county.
COUNTY_ITEM_STATS = {"ix_items_due": "100000 143 1", "ix_items_open_due": "100000 50000 72 1",
                     "ix_items_org_open_due": "100000 345 173 2 1", "ix_items_org_status_due": "100000 345 58 2",
                     "ix_items_owner_open_due": "100000 11 6 1 1", "ix_items_leader_open_due": "100000 345 173 2 1",
                     "ix_items_status_due": "100000 16667 26 1", "ix_items_flagged_due": "100000 50000 74 1",
                     "ix_items_kind_due": "100000 33334 58 1", "ix_items_category_due": "100000 11112 17 1",
                     "sqlite_autoindex_items_1": "100000 1"}


# indexes that read items in (due_key, id) order, alone or after one filter column (migrations 0011, 0012)
DEADLINE_ORDERED = re.compile(r"items USING (COVERING )?INDEX ix_items_(open_|status_|flagged_|kind_|category_)?due\b")


def county_statistics() -> None:
    db.session.execute(text("ANALYZE"))
    db.session.execute(text("DELETE FROM sqlite_stat1 WHERE tbl = 'items'"))
    for index, stat in COUNTY_ITEM_STATS.items():
        db.session.execute(text("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('items', :i, :s)"),
                           {"i": index, "s": stat})
    db.session.execute(text("ANALYZE sqlite_schema"))  # reloads the statistics


def test_a_wide_subtree_walks_the_deadline_index_in_order(app, f, w, statements, monkeypatch):
    """Admin or root supervisor, any filter (except an owner's own index), a wide subtree or the whole
    tree, sorted by deadline: the plan reads items in (due_key, id) order, with no sort of the subtree."""
    if db.session.get_bind().dialect.name != "sqlite":
        pytest.skip("the subtree's shape is steered on SQLite only; PostgreSQL costs the IN list itself")
    monkeypatch.setattr(queries, "WIDE_SUBTREE_ITEMS", 1)
    some_items(f, w)
    county_statistics()
    f.org("甲一小组", w.org_a)  # org_a's subtree: two organisations, not the whole tree
    problems = []
    for actor in (w.admin, w.sup_root):
        for one in filter_sets(w)[:16]:
            if "owner_id" in one:
                continue
            for org in (w.root, w.org_a):
                for sort in ("deadline", "-deadline"):
                    (statement, parameters), _ = list_sql(statements, actor, {**one, "org_id": org.id}, sort)
                    lines = plan(statement, parameters)
                    walks = any(DEADLINE_ORDERED.search(line) for line in lines)
                    if not walks or any("TEMP B-TREE FOR ORDER BY" in line for line in lines):
                        problems.append((actor.username, one, org.name, sort, lines))
    assert not problems, "\n".join(map(str, problems[:10]))
    db.session.rollback()


def test_a_narrow_subtree_keeps_its_org_index(app, f, w, statements, monkeypatch):
    monkeypatch.setattr(queries, "WIDE_SUBTREE_ITEMS", 10**9)
    some_items(f, w)
    (statement, parameters), page = list_sql(statements, w.admin, {"org_id": w.org_a.id})
    assert any("ix_items_org_" in line for line in plan(statement, parameters))
    assert {item.org_id for item in page.rows} == {w.org_a.id}
    db.session.rollback()
