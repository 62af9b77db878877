"""The ledger's owner filter: a username or name looked up within the viewer's scope (no <select> of every
user in a county), while ``owner_id`` links from the dashboards keep working."""
from __future__ import annotations

import csv
import io
import re

from ledger.core.db import db


def _titles(page: str) -> set[str]:
    return set(re.findall(r'/items/\d+">([^<]+)</a>', page))


def _rename(user, name: str) -> None:
    user.display_name = name
    db.session.commit()


def test_owner_filter_takes_a_username_or_a_name(f, browser, w):
    f.item(w.sec_a, w.org_a, w.owner_a, title="甲的事项")
    f.item(w.sec_a, w.org_a, w.owner_a2, title="甲二的事项")
    _rename(w.owner_a2, "王小明")
    b = browser(w.sec_a)
    page = b.get("/items?owner=owner_a2").text
    assert _titles(page) == {"甲二的事项"}
    assert 'value="owner_a2"' in page  # the field says whose items these are
    assert _titles(b.get("/items?owner=OWNER_A2").text) == {"甲二的事项"}  # usernames in any case
    assert _titles(b.get("/items?owner=%E7%8E%8B%E5%B0%8F%E6%98%8E").text) == {"甲二的事项"}  # 王小明
    assert _titles(b.get("/items").text) == {"甲的事项", "甲二的事项"}
    # the page offers a text field, not an option per user
    assert 'name="owner_id"' not in page and f'<option value="{w.owner_a.id}"' not in page


def test_owner_filter_refuses_unknown_out_of_scope_and_ambiguous_names(f, browser, w):
    f.item(w.sec_a, w.org_a, w.owner_a, title="甲的事项")
    b = browser(w.sec_a)
    unknown = b.get("/items?owner=nobody")
    assert unknown.status_code == 422 and "找不到该用户" in unknown.text
    outside = b.get("/items?owner=owner_b")  # another branch's owner: not the secretary's to look up
    assert outside.status_code == 422 and "找不到该用户" in outside.text
    _rename(w.owner_a, "张三")
    _rename(w.owner_a2, "张三")
    twins = b.get("/items?owner=%E5%BC%A0%E4%B8%89")  # 张三
    assert twins.status_code == 422 and "owner_a" in twins.text and "owner_a2" in twins.text
    assert _titles(b.get("/items?owner=owner_a").text) == {"甲的事项"}  # the username settles it


def test_owner_id_from_a_link_still_filters_and_fills_in_the_field(f, browser, w):
    f.item(w.sec_a, w.org_a, w.owner_a, title="甲的事项")
    f.item(w.sec_a, w.org_a, w.owner_a2, title="甲二的事项")
    page = browser(w.sup_root).get(f"/items?owner_id={w.owner_a2.id}").text
    assert _titles(page) == {"甲二的事项"} and 'value="owner_a2"' in page
    # an owner the viewer may not list: the filter still holds (nothing leaks), the field stays empty
    page = browser(w.sec_b).get(f"/items?owner_id={w.owner_a2.id}").text
    assert _titles(page) == set() and 'value="owner_a2"' not in page


def test_filters_in_english(browser, w):
    b = browser(w.sup_root)
    b.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = b.get("/items").text
    assert 'placeholder="Username / Name"' in page and ">Owner<" in page


def _exported_codes(response) -> list[str]:
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    column = rows[0].index("事项编号")
    return [row[column] for row in rows[1:]]


def test_the_export_link_holds_what_the_page_shows(f, browser, w):
    """The page's own address (repeated ``status``, a typed owner) read by the export as by the list."""
    pending = f.item(w.sec_a, w.org_a, w.owner_a, title="甲待认领", days=5)
    claimed = f.item(w.sec_a, w.org_a, w.owner_a, status="claimed", title="甲已认领", days=3)
    f.item(w.sec_a, w.org_a, w.owner_a, status="closed", title="甲已销号", days=1)
    f.item(w.sec_a, w.org_a, w.owner_a2, status="claimed", title="甲二已认领", days=2)
    b = browser(w.sec_a)
    query = "status=pending&status=claimed&owner=owner_a"
    page = b.get(f"/items?{query}").text
    assert _titles(page) == {"甲待认领", "甲已认领"}
    link = re.search(r'href="(/spreadsheets/items/export\?[^"]*)"', page).group(1).replace("&amp;", "&")
    exported = b.get(link + "&format=csv")
    assert exported.status_code == 200
    assert _exported_codes(exported) == [claimed.code, pending.code]  # the page's order: deadline first
    assert b.get("/spreadsheets/items/export?format=csv&owner=nobody").status_code == 422
