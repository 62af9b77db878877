"""The subtree filter's SQL shapes (``ledger.items.queries._subtree_clause``) answer the same rows.

On SQLite a wide subtree is written ``org_id + 0 IN (...)`` (so the planner walks ix_items_due), a
narrow one ``org_id IN (...)`` (its org index); the whole tree adds no condition. The data set here is
small, so the size threshold is moved to take each path in turn (on PostgreSQL both runs take the
plain path: the pair still checks the shared code).
"""
from __future__ import annotations

import pytest

from ledger.items import queries
from tests.api import test_lists
from tests.api.test_lists import ledger, walk  # noqa: F401  (ledger is the fixture the tests below use)

pytestmark = pytest.mark.usefixtures("fast_hashing")

FILTERS = ["", "status=pending,claimed", "status=closed", "overdue=false", "overdue=true", "flagged=true",
           "flagged=false", "light=red", "light=yellow", "light=green", "light=none", "kind=long_term",
           "q=窗口"]


@pytest.fixture(params=["narrow", "wide"])
def subtree_path(request, monkeypatch) -> str:
    monkeypatch.setattr(queries, "WIDE_SUBTREE_ITEMS", 10**9 if request.param == "narrow" else 1)
    return request.param


def test_each_filter_on_either_subtree_path(subtree_path, ledger, api, backend):  # noqa: F811
    test_lists.test_each_filter_returns_exactly_the_expected_items(ledger, api, backend)


def test_lights_on_either_subtree_path_as_time_passes(subtree_path, ledger, api, backend):  # noqa: F811
    test_lists.test_overdue_and_light_filters_as_time_passes(ledger, api, backend)


@pytest.mark.parametrize("sort", ["deadline", "-created"])
def test_subtree_pages_are_the_unfiltered_list_of_the_subtree(subtree_path, ledger, api, backend, sort):  # noqa: F811
    """Every filter with every subtree, page by page: exactly the actor's rows of the subtree, in order."""
    w, items, a1 = ledger
    subtrees = {w.root.id: {w.root.id, w.org_a.id, a1.id, w.org_b.id}, w.org_a.id: {w.org_a.id, a1.id},
                a1.id: {a1.id}, w.org_b.id: {w.org_b.id}}
    for who in (w.admin, w.sup_a):
        client = api(who)
        for flt in FILTERS:
            base = f"/items?sort={sort}" + (f"&{flt}" if flt else "")
            everything = walk(client, base, 100)
            for org_id, members in subtrees.items():
                expected = [r["id"] for r in everything if r["org_id"] in members]
                if who is w.sup_a and org_id == w.root.id:
                    expected = []  # outside the supervisor's scope: answered as a missing one (issue 14, finding 11)
                paged = [r["id"] for r in walk(client, f"{base}&org_id={org_id}", 2)]
                assert paged == expected, (who.username, flt, org_id)
