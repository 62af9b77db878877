"""Every ledger list query the application emits is answered from an index, never a full scan of items.

The SQL is captured as ``ledger.items.queries.list_items`` sends it (every filter, alone and combined
with a subtree; every sort; a second page by cursor; each kind of actor), then explained: on SQLite
``EXPLAIN QUERY PLAN`` must not show a bare ``SCAN items`` followed by a sort (a bare scan in id order
is a walk of the rowid b-tree, the primary-key index, stopped by the LIMIT); on PostgreSQL ``EXPLAIN`` with
``enable_seqscan = off`` must not fall back to ``Seq Scan on items`` (which it does only when no index
can serve the query).
"""
from __future__ import annotations

import re
from datetime import timedelta

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
    return selects[0], page


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


def test_every_list_query_uses_an_index(app, f, w, statements):
    for i, status in enumerate(("pending", "claimed", "in_progress", "closed")):
        f.item(w.sec_a, w.org_a, w.owner_a, status=status, days=i * 5 + 1, title=f"窗口事项{i}")
        f.item(w.sec_b, w.org_b, w.owner_b, status=status, days=i * 7 + 1)
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
