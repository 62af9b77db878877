"""Lists: keyset pagination on /items (no repeats, no skips, even while rows are inserted between pages),
each filter of SPEC §8 returning exactly the expected items, and the {"items", "next_cursor"} shape of
every list endpoint."""
from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import pytest

from ledger.core import clock
from ledger.core.db import db
from ledger.items.services import apply_action
from tests.api.support import error_of

pytestmark = pytest.mark.usefixtures("fast_hashing")


def walk(client, path: str, limit: int, between=None) -> list[dict]:
    """All rows of a list, page by page; ``between(page_number, rows_so_far)`` runs between pages."""
    rows, cursor, page = [], None, 0
    sep = "&" if "?" in path else "?"
    while True:
        status, body = client.get(f"{path}{sep}limit={limit}" + (f"&cursor={cursor}" if cursor else ""))
        assert status == 200, body
        assert set(body) == {"items", "next_cursor"}
        assert len(body["items"]) <= limit
        rows += body["items"]
        cursor = body["next_cursor"]
        page += 1
        if not cursor:
            return rows
        assert body["items"], "a page with a cursor must not be empty"
        if between:
            between(page, rows)


def key(row: dict) -> tuple:
    return (row["deadline"] or "9999-12-31", row["id"])


def ids(rows) -> list[int]:
    return [r["id"] for r in rows]


def test_keyset_pages_neither_repeat_nor_skip_while_rows_are_inserted(f, api, backend):
    w = f.world()
    days = [5, 5, 5, 6, 7, 7, 8, 9, 10, 10, 12]
    original = [f.item(w.sec_a, w.org_a, w.owner_a, days=d) for d in days]
    original.append(f.item(w.sec_a, w.org_a, w.owner_a, kind="long_term", deadline=None))  # sorts last
    sec = api(w.sec_a)
    inserted = {}

    def insert(page, rows_so_far):
        if page == 1:
            last = rows_so_far[-1]
            last_day = (datetime.fromisoformat(last["deadline"]).date() - clock.today()).days
            inserted["behind"] = f.item(w.sec_a, w.org_a, w.owner_a, days=4).id       # before the cursor
            inserted["tie"] = f.item(w.sec_a, w.org_a, w.owner_a, days=last_day).id   # same key, larger id
            inserted["ahead"] = f.item(w.sec_a, w.org_a, w.owner_a, days=11).id       # after the cursor
            # a change to an item already seen moves nothing
            apply_action(w.owner_a, rows_so_far[0]["id"], "claim", rows_so_far[0]["version"])
            db.session.commit()

    rows = walk(sec, "/items", 4, insert)
    seen = ids(rows)
    assert len(seen) == len(set(seen)), "a row was repeated"
    assert rows == sorted(rows, key=key), "pages must follow (deadline, id)"
    assert {i.id for i in original} <= set(seen), "a row that existed all along was skipped"
    assert inserted["tie"] in seen and inserted["ahead"] in seen
    assert inserted["behind"] not in seen  # it sorts before pages already read
    assert rows[-1]["deadline"] is None
    # a second walk sees everything once, the late rows included
    again = ids(walk(sec, "/items", 5))
    assert sorted(again) == sorted({i.id for i in original} | set(inserted.values()))


@pytest.mark.parametrize("sort", ["deadline", "-deadline", "created", "-created"])
def test_every_sort_pages_completely_in_order(sort, f, api, backend):
    w = f.world()
    made = [f.item(w.sec_a, w.org_a, w.owner_a, days=d) for d in (3, 9, 3, 1, 9, 20, 3)]
    rows = walk(api(w.sec_a), f"/items?sort={sort}", 2)
    assert sorted(ids(rows)) == sorted(i.id for i in made) and len(rows) == len(made)
    expected = {"deadline": sorted(rows, key=key), "-deadline": sorted(rows, key=key, reverse=True),
                "created": sorted(rows, key=lambda r: r["id"]),
                "-created": sorted(rows, key=lambda r: r["id"], reverse=True)}[sort]
    assert rows == expected


def test_bad_paging_parameters_are_422(f, api, backend):
    w = f.world()
    sec = api(w.sec_a)
    for query, field in (("limit=0", "limit"), ("limit=201", "limit"), ("limit=ten", "limit"),
                         ("cursor=not-a-cursor", "cursor"), ("cursor=WzFd", "cursor"), ("sort=colour", "sort"),
                         ("status=pending,lost", "status"), ("light=blue", "light"), ("overdue=maybe", "overdue"),
                         ("org_id=x", "org_id"), ("owner_id=1.5", "owner_id")):
        status, body = sec.get(f"/items?{query}")
        assert status == 422, (query, body)
        assert field in error_of(body)["details"]["fields"], query


@pytest.fixture
def ledger(f):
    """Items across the tree in every state, for the filters: returns (world, {name: item})."""
    w = f.world()
    a1 = f.org("甲一小组", w.org_a)
    sec_a1 = f.user("sec_a1", [(a1, "secretary")])
    owner_a1 = f.user("owner_a1", [(a1, "owner")])
    items = {
        "a_pending": f.item(w.sec_a, w.org_a, w.owner_a, days=1, title="午间窗口无人 Window"),
        "a_claimed": f.item(w.sec_a, w.org_a, w.owner_a2, status="claimed", days=20, title="材料清单"),
        "a_progress": f.item(w.sec_a, w.org_a, w.owner_a, status="in_progress", days=5, title="态度生硬",
                             description="窗口人员培训"),
        "a_awaiting": f.item(w.sec_a, w.org_a, w.owner_a, status="awaiting_verification", days=8, title="排队"),
        "a_closed": f.item(w.sec_a, w.org_a, w.owner_a, status="closed", days=2, title="已办结"),
        "a_cancelled": f.item(w.sec_a, w.org_a, w.owner_a2, status="cancelled", days=3, title="重复事项"),
        "a_long": f.item(w.sec_a, w.org_a, w.owner_a, kind="long_term", deadline=None, title="长期坚持"),
        "a1_pending": f.item(sec_a1, a1, owner_a1, days=30, title="小组事项"),
        "b_claimed": f.item(w.sec_b, w.org_b, w.owner_b, status="claimed", days=2, title="乙支部窗口"),
    }
    item = items["a_progress"]
    apply_action(w.sup_root, item.id, "flag", item.version, comment="挂牌督办")
    item = items["b_claimed"]
    apply_action(w.sup_root, item.id, "flag", item.version, comment="挂牌督办")
    db.session.commit()
    return w, items, a1


def names(rows, items) -> set[str]:
    by_id = {i.id: name for name, i in items.items()}
    return {by_id[r["id"]] for r in rows}


def test_each_filter_returns_exactly_the_expected_items(ledger, api, backend):
    w, items, a1 = ledger
    sup = api(w.sup_root)
    everything = set(items)
    open_ = everything - {"a_closed", "a_cancelled"}
    cases = {
        "": everything,
        f"org_id={w.root.id}": everything,
        f"org_id={w.org_a.id}": {n for n in everything if n.startswith("a")},  # the subtree: a and a1
        f"org_id={a1.id}": {"a1_pending"},
        f"org_id={w.org_b.id}": {"b_claimed"},
        "status=pending": {"a_pending", "a_long", "a1_pending"},
        "status=claimed,in_progress": {"a_claimed", "a_progress", "b_claimed"},
        "status=closed,cancelled": {"a_closed", "a_cancelled"},
        f"owner_id={w.owner_a2.id}": {"a_claimed", "a_cancelled"},
        f"owner_id={w.owner_a.id}&status=pending": {"a_pending", "a_long"},
        "flagged=true": {"a_progress", "b_claimed"},
        "flagged=false": everything - {"a_progress", "b_claimed"},
        "overdue=true": set(),
        "overdue=false": everything,
        "q=窗口": {"a_pending", "a_progress", "b_claimed"},  # title or description
        "q=window": {"a_pending"},  # case-insensitive
        f"q={items['a_claimed'].code}": {"a_claimed"},
        f"org_id={w.org_a.id}&flagged=true&status=in_progress": {"a_progress"},
    }
    for query, expected in cases.items():
        rows = walk(sup, f"/items?{query}" if query else "/items", 3)
        assert names(rows, items) == expected, query
    # the light of every open item, today: within the 3-day window is yellow, further off green
    today_lights = {"a_pending": "yellow", "a_claimed": "green", "a_progress": "green", "a_awaiting": "green",
                    "a_long": "none", "a1_pending": "green", "b_claimed": "yellow", "a_closed": "none",
                    "a_cancelled": "none"}
    for light in ("red", "yellow", "green", "none"):
        rows = walk(sup, f"/items?light={light}", 3)
        assert names(rows, items) == {n for n, v in today_lights.items() if v == light}, light
        assert all(r["light"] == light for r in rows)
    assert open_ >= {n for n, v in today_lights.items() if v != "none"}


def test_overdue_and_light_filters_as_time_passes(ledger, api, backend):
    """Ten days on (the clock moved, nothing rewritten): open items past their deadline are overdue and red."""
    w, items, a1 = ledger
    sup = api(w.sup_root)
    later = datetime.combine(clock.today() + timedelta(days=10), time(4, 0), tzinfo=UTC)
    with clock.frozen_at(later):
        overdue = names(walk(sup, "/items?overdue=true", 3), items)
        assert overdue == {"a_pending", "a_progress", "a_awaiting", "b_claimed"}
        assert names(walk(sup, "/items?overdue=false", 3), items) == set(items) - overdue
        for light in ("red", "yellow", "green", "none"):
            rows = walk(sup, f"/items?light={light}", 4)
            assert all(r["light"] == light for r in rows), light
            if light == "red":
                assert names(rows, items) == overdue
                assert all(r["overdue_days"] > 0 for r in rows)
            if light == "none":
                assert names(rows, items) == {"a_closed", "a_cancelled", "a_long"}
        # the union of the four lights is everything, each item once
        union = [r["id"] for light in ("red", "yellow", "green", "none")
                 for r in walk(sup, f"/items?light={light}", 50)]
        assert sorted(union) == sorted(i.id for i in items.values())
        # a filter never widens the caller's scope
        assert names(walk(api(w.sec_b), "/items?overdue=true", 3), items) == {"b_claimed"}
        assert names(walk(api(w.sec_a), f"/items?org_id={w.org_b.id}", 3), items) == set()


def test_every_list_endpoint_answers_items_and_next_cursor(ledger, api, client, app, backend):
    """Every GET route whose document says it is a list answers {"items", "next_cursor"}, and pages."""
    w, items, a1 = ledger
    doc = client.get("/api/v1/openapi.json").get_json()
    item = items["a_awaiting"]
    review = api(w.sec_a).post("/reviews", {"org_id": w.org_a.id, "title": "评议", "method": "meeting",
                                            "held_on": "2026-01-05"})[1]
    f_ids = {"item_id": item.id, "org_id": w.org_a.id, "review_id": review["id"], "user_id": w.owner_a.id}
    checked = []
    for path, entry in doc["paths"].items():
        op = entry.get("get")
        if op is None:
            continue
        schema = op["responses"].get("200", {}).get("content", {}).get("application/json", {}).get("schema", {})
        if set(schema.get("properties", {})) != {"items", "next_cursor"}:
            continue
        names_needed = re.findall(r"{(\w+)}", path)
        if any(n not in f_ids for n in names_needed):
            continue  # a list under an object this ledger does not have (e.g. a notice)
        concrete = re.sub(r"{(\w+)}", lambda m: str(f_ids[m.group(1)]), path)[len("/api/v1"):]
        for who in (w.admin, w.sup_root, w.sec_a):
            status, body = api(who).get(concrete)
            if status in (403, 404):
                continue  # not this caller's list; the access matrix covers that
            assert status == 200, (concrete, body)
            assert set(body) == {"items", "next_cursor"} and isinstance(body["items"], list), concrete
            if "limit" in {p["name"] for p in op.get("parameters", [])}:
                rows = walk(api(who), concrete, 1)
                assert len(ids(rows)) == len(set(ids(rows))), concrete
        checked.append(path)
    for core in ("/api/v1/orgs", "/api/v1/users", "/api/v1/reviews", "/api/v1/opinions", "/api/v1/items",
                 "/api/v1/items/{item_id}/events", "/api/v1/items/{item_id}/attachments",
                 "/api/v1/notifications"):
        assert core in checked, core


def test_overdue_and_light_follow_the_organisations_time_zone(f, api, backend):
    """SPEC §3: deadlines are dates in the organisation's time zone. At 12:00 UTC it is already tomorrow on
    Kiritimati (UTC+14) but still today in Shanghai: an item due today there is overdue there, and the
    filters must say what the item itself says."""
    from datetime import date

    w = f.world()
    island = f.org("基里巴斯支部", w.root)
    from ledger.orgs.services import update_org

    update_org(w.admin, island.id, {"timezone": "Pacific/Kiritimati"})
    db.session.commit()
    sec = f.user("sec_island", [(island, "secretary")])
    owner = f.user("owner_island", [(island, "owner")])
    due = date(2026, 5, 10)
    with clock.frozen_at(datetime(2026, 5, 1, 12, 0, tzinfo=UTC)):
        item = f.item(sec, island, owner, deadline=due, title="岛上事项")
    sup = api(w.sup_root)
    with clock.frozen_at(datetime(2026, 5, 10, 12, 0, tzinfo=UTC)):  # Shanghai 20:00 on the 10th; island: the 11th
        status, body = sup.get(f"/items/{item.id}")
        assert (body["overdue_days"], body["light"]) == (1, "red")
        assert item.id in ids(walk(sup, "/items?overdue=true", 10))
        assert item.id not in ids(walk(sup, "/items?overdue=false", 10))
        assert item.id in ids(walk(sup, "/items?light=red", 10))
