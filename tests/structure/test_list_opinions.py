"""The ledger list answers each item's opinion_ids without loading the opinions themselves."""
from __future__ import annotations

from ledger.core.db import db
from tests.web.conftest import Browser


def full_opinion_loads(seen) -> list[str]:
    """Statements that fetch whole opinion rows (their content), as the selectin relationship does."""
    return [s for s, _ in seen if "opinions.content" in s]


def test_api_list_opinion_ids_match_the_item_and_load_only_ids(api, f, w, statements):
    opinions = [f.opinion(w.sec_a, w.org_a) for _ in range(3)]
    merged = {f.item(w.sec_a, w.org_a, w.owner_a, days=1).id: [],
              f.item(w.sec_a, w.org_a, w.owner_a, days=2, opinion_ids=[opinions[1].id]).id: [opinions[1].id],
              f.item(w.sec_a, w.org_a, w.owner_a, days=3,
                     opinion_ids=[opinions[2].id, opinions[0].id]).id: [opinions[0].id, opinions[2].id]}
    client = api(w.sec_a)
    db.session.remove()
    with statements.counting() as seen:
        status, body = client.get("/items?limit=50")
    assert status == 200
    listed = {row["id"]: row["opinion_ids"] for row in body["items"]}
    assert {i: listed[i] for i in merged} == merged
    for item_id in merged:  # the same as the single item's answer
        assert client.get(f"/items/{item_id}")[1]["opinion_ids"] == listed[item_id]
    assert full_opinion_loads(seen) == []
    assert len([s for s, _ in seen if "FROM opinions" in s]) == 1


def test_html_list_loads_no_opinions(client, f, w, statements):
    opinion = f.opinion(w.sec_a, w.org_a)
    f.item(w.sec_a, w.org_a, w.owner_a, days=1, opinion_ids=[opinion.id])
    browser = Browser(client, w.sec_a)
    browser.get("/items")
    db.session.remove()
    with statements.counting() as seen:
        response = browser.get("/items")
    assert response.status_code == 200
    assert full_opinion_loads(seen) == []
