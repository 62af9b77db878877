"""The number of SQL statements per ledger page does not grow with the page size (no per-row queries)."""
from __future__ import annotations

import pytest

from ledger.core.db import db
from tests.web.conftest import Browser


@pytest.fixture
def items(f, w):
    made = []
    for i, status in enumerate(("pending", "claimed", "in_progress", "awaiting_verification", "closed") * 3):
        opinion = f.opinion(w.sec_a, w.org_a)
        made.append(f.item(w.sec_a, w.org_a, (w.owner_a, w.owner_a2)[i % 2], status=status, days=i + 1,
                           leader_id=w.sec_a.id, opinion_ids=[opinion.id]))
    return made


def counted(statements, call) -> int:
    call()  # warm: first-request work (token lookup caches, compiled statements) is not the point
    db.session.remove()  # as in production, the request starts with an empty identity map
    with statements.counting() as seen:
        response = call()
    assert response.status_code == 200, response.text[:500]
    return len(seen)


@pytest.mark.parametrize("who", ["admin", "sup_root", "sec_a", "owner_a"])
def test_api_list_statements_flat(api, w, items, statements, who):
    client = api(getattr(w, who))
    sizes = {}
    for limit in (1, 3, 15):
        sizes[limit] = counted(statements, lambda limit=limit: client.client.get(
            f"/api/v1/items?limit={limit}", headers=client._headers()))
    assert len(set(sizes.values())) == 1, sizes


@pytest.mark.parametrize("who", ["admin", "sup_root", "sec_a", "owner_a"])
def test_html_list_statements_flat(client, w, items, statements, who):
    browser = Browser(client, getattr(w, who))
    sizes = {}
    for limit in (1, 3, 15):
        sizes[limit] = counted(statements, lambda limit=limit: browser.get(f"/items?limit={limit}"))
    assert len(set(sizes.values())) == 1, sizes

