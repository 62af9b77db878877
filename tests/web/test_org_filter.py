"""The ledger's organisation filter: a <select> of the tree for a few organisations, a name field beyond
``ORG_SELECT_LIMIT`` (a county supervisor has 300, a province's 3,000: rendering every option was a fifth
of each page), resolved within the viewer's scope; ``org_id`` links keep working in both."""
from __future__ import annotations

import re

import pytest

from ledger.items import page_filters


def _titles(page: str) -> set[str]:
    return set(re.findall(r'/items/\d+">([^<]+)</a>', page))


@pytest.fixture
def tree(f, w, monkeypatch):
    """Two branches under each of org_a and org_b with the same name, and an item in each."""
    monkeypatch.setattr(page_filters, "ORG_SELECT_LIMIT", 3)
    a1, b1 = f.org("第一支部", w.org_a), f.org("第一支部", w.org_b)
    markup = f.org("<b>粗体</b>支部", w.org_a)
    for org, title in ((a1, "甲一"), (b1, "乙一"), (markup, "标记"), (w.org_a, "甲"), (w.org_b, "乙")):
        secretary = f.user(None, [(org, "secretary")])
        owner = f.user(None, [(org, "owner")])  # an owner comes from the item's own organisation
        f.item(secretary, org, owner, title=title)
    return {"a1": a1, "b1": b1, "markup": markup}


def test_a_wide_scope_gets_a_name_field_and_a_narrow_one_the_select(browser, w, tree):
    wide = browser(w.sup_root).get("/items").text
    assert 'name="org"' in wide and 'name="org_id"' not in wide
    narrow = browser(w.sec_a).get("/items").text
    assert 'name="org_id"' in narrow and 'name="org"' not in narrow


def test_a_typed_name_filters_its_subtree(browser, w, tree):
    b = browser(w.sup_root)
    assert _titles(b.get("/items?org=%E7%94%B2%E6%94%AF%E9%83%A8").text) == {"甲", "甲一", "标记"}  # 甲支部
    assert _titles(b.get("/items?org=%E4%B9%99").text) == {"乙", "乙一"}  # "乙": part of one name only


def test_a_name_several_organisations_share_offers_them_as_links(browser, w, tree):
    page = browser(w.sup_root).get("/items?org=%E7%AC%AC%E4%B8%80%E6%94%AF%E9%83%A8")  # 第一支部
    assert page.status_code == 422 and "有多个组织与此名称相符" in page.text
    assert "甲支部 › 第一支部" in page.text and "乙支部 › 第一支部" in page.text
    assert f"org_id={tree['a1'].id}" in page.text and f"org_id={tree['b1'].id}" in page.text
    chosen = browser(w.sup_root).get(f"/items?org_id={tree['b1'].id}").text
    assert _titles(chosen) == {"乙一"} and 'value="第一支部"' in chosen  # the link fills in the field


def test_names_outside_the_scope_are_not_found(browser, w, tree, monkeypatch):
    # sup_a supervises org_a's subtree (甲支部, its 第一支部, the markup branch): few enough for the select,
    # but a typed name in the address still shows the field, with what it matched or why not
    b = browser(w.sup_a)
    page = b.get("/items?org=%E7%AC%AC%E4%B8%80%E6%94%AF%E9%83%A8")  # 第一支部: only org_a's is in scope
    assert page.status_code == 200 and _titles(page.text) == {"甲一"}
    outside = b.get("/items?org=%E4%B9%99%E6%94%AF%E9%83%A8")  # 乙支部
    assert outside.status_code == 422 and "找不到该组织" in outside.text and "乙" not in _titles(outside.text)
    other = f"/items?org_id={tree['b1'].id}"  # a link to another branch's organisation
    assert _titles(b.get(other).text) == set()  # the select: an empty list, nothing of org_b's leaks
    monkeypatch.setattr(page_filters, "ORG_SELECT_LIMIT", 0)
    stale = b.get(other)  # the name field cannot name it: it says why instead of showing a blank filter
    assert stale.status_code == 422 and "组织不存在或不在您的权限范围内" in stale.text and not _titles(stale.text)


def test_markup_in_names_is_shown_as_text(browser, w, tree):
    page = browser(w.sup_root).get("/items?org=%E6%94%AF%E9%83%A8")  # 支部: every branch, the markup one too
    assert page.status_code == 422
    assert "&lt;b&gt;粗体&lt;/b&gt;支部" in page.text and "<b>粗体</b>" not in page.text
    typed = browser(w.sup_root).get("/items?org=%3Cb%3E").text  # "<b>" typed: matched as text, not markup
    assert _titles(typed) == {"标记"} and 'value="&lt;b&gt;"' in typed
