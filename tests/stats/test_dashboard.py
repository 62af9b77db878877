"""The dashboard page: every number links to exactly the items it counts; charts need no internet."""
import re
from html import unescape

import pytest
from flask import g

from ledger.core import clock
from tests.factories import PASSWORD
from tests.stats.ledger_fixture import NOW, PERIOD, build
from tests.stats.test_figures import _ids

ANCHOR = re.compile(r'<a href="([^"]+)" data-count="(\d+)"')


@pytest.fixture
def ledger(f):
    return build(f)


@pytest.fixture
def frozen():
    clock.set_global(NOW)
    yield
    clock.set_global(None)


def _page(client, user, url: str):
    for key in list(g):  # the test's app context outlives requests: forget the last request's user
        g.pop(key)
    login = client.get("/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login).group(1)
    response = client.post("/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    for key in list(g):
        g.pop(key)
    return client.get(url)


def _links(html: str) -> list[tuple[str, int]]:
    return [(unescape(href), int(n)) for href, n in ANCHOR.findall(html)]


def test_every_number_on_the_dashboard_links_to_exactly_the_items_it_counts(ledger, client, frozen, backend):
    w = ledger.w
    page = _page(client, w.admin, f"/dashboard?org_id={w.root.id}&from={PERIOD[0]}&to={PERIOD[1]}")
    assert page.status_code == 200, page.text
    links = _links(page.text)
    assert len(links) > 40  # cards, chart bars, ranking cells
    for href, count in links:
        assert len(_ids(w.admin, href)) == count, href
    # a few by hand: the status chart bar for 已销号, the overdue card, the ranking row of org_b
    assert (f"/items?figure=registered&org_id={w.root.id}&from=2026-10-01&to=2026-10-31&status=closed", 3) in links
    assert (f"/items?figure=overdue&org_id={w.root.id}&from=2026-10-01&to=2026-10-31", 1) in links
    assert (f"/items?figure=registered&org_id={w.org_b.id}&from=2026-10-01&to=2026-10-31", 1) in links


def test_a_secretarys_dashboard_counts_and_links_only_their_organisation(ledger, client, frozen, backend):
    w = ledger.w
    page = _page(client, w.sec_a, f"/dashboard?from={PERIOD[0]}&to={PERIOD[1]}")
    assert page.status_code == 200
    links = _links(page.text)
    for href, count in links:
        ids = _ids(w.sec_a, href)
        assert len(ids) == count, href
        assert not ids & ledger.ids("D"), href  # org_b's item never appears
    assert "乙支部" not in page.text
    refused = _page(client, w.sec_a, f"/dashboard?org_id={w.org_b.id}")
    assert refused.status_code == 422 and "乙支部" not in refused.text


def test_the_dashboard_draws_its_charts_without_the_internet(ledger, client, frozen, backend):
    page = _page(client, ledger.w.sup_root, f"/dashboard?from={PERIOD[0]}&to={PERIOD[1]}")
    assert page.status_code == 200
    assert page.text.count("<svg") == 4
    for title in ("事项状态分布", "每月新增与销号", "各组织超期事项", "各组织满意率", "组织排名"):
        assert title in page.text
    assert not re.search(r'(src|href)="(https?:)?//', page.text)  # nothing from another host
    months = _page(client, ledger.w.sup_root, "/dashboard?month=2026-11&start_day=19")
    assert months.status_code == 200 and "2026-10-19" in months.text


def test_the_dashboard_needs_a_login(client):
    response = client.get("/dashboard")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_ledger_page_and_the_items_api_follow_a_drill_down_link(ledger, client, api, frozen, backend):
    w = ledger.w
    link = f"/items?figure=due_closed&org_id={w.root.id}&from={PERIOD[0]}&to={PERIOD[1]}"
    page = _page(client, w.admin, link)
    assert page.status_code == 200
    shown = {name for name, item in ledger.items.items() if item.code in page.text}
    assert shown == set("ABFG")
    status, body = api(w.admin).get(link)
    assert status == 200 and {i["id"] for i in body["items"]} == ledger.ids(*"ABFG")
    assert api(w.admin).get("/items?figure=nonsense")[0] == 422
