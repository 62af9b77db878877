"""A scope of several alternatives (organisations, items owned, items led) is listed as a union of walks.

``queries._page_ids`` takes each alternative of ``auth.scope.item_clauses`` on its own index, stopped at
the page, instead of their OR (SQLite: a MULTI-INDEX OR and a sort of every matching item). The pages
must be exactly those of the OR, and each walk must come in deadline order from its index.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from ledger.auth.models import Membership
from ledger.auth.scope import forget_scope
from ledger.core.db import db
from ledger.items import queries
from ledger.items.models import Item
from tests.structure.test_list_plans import county_statistics, list_sql, plan


@pytest.fixture
def ledger(f, w):
    """Items a secretary of org_a sees through each alternative, some through two of them."""
    for person in (w.sec_a, w.owner_a):  # to lead org_b's items, a membership there (issue 14, finding 9)
        db.session.add(Membership(user_id=person.id, org_id=w.org_b.id, role="owner"))
        forget_scope(person)
    db.session.commit()
    for i, status in enumerate(("pending", "claimed", "in_progress", "closed", "pending", "closed")):
        f.item(w.sec_a, w.org_a, (w.owner_a, w.owner_a2)[i % 2], status=status, days=(i * 3) % 5 + 1,
               leader_id=w.sec_a.id if i % 3 == 0 else None)
        f.item(w.sec_b, w.org_b, w.owner_b, status=status, days=(i * 2) % 4 + 1,
               leader_id=(w.owner_a.id if i % 2 else w.sec_a.id))
    f.item(w.sec_b, w.org_b, w.owner_b, days=3, kind="long_term", deadline=None)


def reference_ids(actor, filters: dict, sort: str) -> list[int]:
    """Every matching item in list order, by the plain OR of the scope."""
    key, descending = queries.SORTS[sort]
    order = queries._order(key, descending)
    return list(db.session.scalars(select(Item.id).where(*queries.build_filters(actor, filters)).order_by(*order)))


def paged_ids(actor, filters: dict, sort: str, limit: int) -> list[int]:
    seen, cursor = [], None
    for _ in range(100):
        page = queries.list_rows(actor, filters, limit, cursor, sort, columns=("title",))
        seen += [row.id for row in page.rows]
        cursor = page.next_cursor
        if not cursor:
            return seen
    raise AssertionError("no last page")


@pytest.mark.parametrize("sort", ["deadline", "-deadline", "created", "-created"])
def test_union_pages_are_the_or_pages(app, w, ledger, sort):
    for actor in (w.sec_a, w.owner_a, w.sup_a, w.sec_b):
        for filters in ({}, {"status": ["closed"]}, {"overdue": False}, {"light": "none"}, {"q": "事项"}):
            expected = reference_ids(actor, filters, sort)
            for limit in (1, 2, 5):
                assert paged_ids(actor, filters, sort, limit) == expected, (actor.username, filters, limit)
            entities = queries.list_items(actor, filters, 50, None, sort).rows
            assert [item.id for item in entities] == expected


def test_secretary_list_walks_each_alternative_in_deadline_order(app, f, w, ledger, statements):
    """Under county statistics: no MULTI-INDEX OR; every walk on an index with no sort of its own; one sort
    at the end, of at most (alternatives × 2 × page) ids; the second page keeps the same shape."""
    if db.session.get_bind().dialect.name != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN shapes are SQLite's")
    county_statistics()
    problems = []
    for sort in ("deadline", "-deadline"):
        cursor = None
        for page_number in (1, 2):
            (statement, parameters), page = list_sql(statements, w.sec_a, {}, sort, cursor)
            lines = [line.strip() for line in plan(statement, parameters)]
            walks = [line for line in lines if re.match(r"SEARCH items USING (COVERING )?INDEX ix_items_", line)]
            sorts = [i for i, line in enumerate(lines) if "TEMP B-TREE FOR ORDER BY" in line]
            if (any("MULTI-INDEX OR" in line for line in lines) or len(walks) != 6
                    or any(line.startswith("SCAN items") for line in lines) or sorts != [len(lines) - 1]):
                problems.append((sort, page_number, lines))
            cursor = page.next_cursor
            assert cursor
    assert not problems, "\n".join(map(str, problems))
    db.session.rollback()
