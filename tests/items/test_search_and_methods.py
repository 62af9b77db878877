"""Searches take ``%`` and ``_`` as typed (issue 14, finding 13): the ledger's ``q`` (API and page), the
opinion list's ``q``, the organisation and owner name filters; and every API path answers a method it
does not take with 405 in the API's envelope and an ``Allow`` header naming the methods it does."""
from __future__ import annotations

import pytest
from werkzeug.routing import AnyConverter, IntegerConverter

from ledger.core.db import db
from tests.web.conftest import Browser

TITLES = {"percent": "完成100%的事项", "underscore": "编号A_1的事项", "slash": "a/b 的事项", "plain": "普通事项abc"}
# what each typed text must find, by the keys of TITLES
SEARCHES = {"%": {"percent"}, "_": {"underscore"}, "100%": {"percent"}, "A_1": {"underscore"}, "/": {"slash"},
            "%的": {"percent"}, "%事": set(), "_事": set(), "_1的": {"underscore"}, "abc": {"plain"},
            "a%c": set(), "a_c": set()}


@pytest.fixture
def searchable(f):
    w = f.world()
    for title in TITLES.values():
        f.item(w.sec_a, w.org_a, w.owner_a, title=title, description="")
        f.opinion(w.sec_a, w.org_a, content=title)
    return w


def _found(texts: list[str]) -> set[str]:
    return {key for key, title in TITLES.items() if any(title in text for text in texts)}


@pytest.mark.parametrize("q, expected", SEARCHES.items())
def test_item_search_in_the_api(api, searchable, backend, q, expected):
    status, body = api(searchable.sec_a).call("GET", "/items", query_string={"q": q})
    assert status == 200 and _found([i["title"] for i in body["items"]]) == expected


@pytest.mark.parametrize("q, expected", SEARCHES.items())
def test_item_and_opinion_search_on_the_pages(app, searchable, backend, q, expected):
    browser = Browser(app.test_client(), searchable.sec_a)
    for page in ("/items", "/opinions"):
        response = browser.get(page, query_string={"q": q})
        assert response.status_code == 200
        shown = _found([response.text.split("<main", 1)[-1].split("</form>", 1)[-1]])
        assert shown == expected, (page, q)


@pytest.mark.parametrize("typed", ["%", "_", "甲%", "甲_部"])
def test_organisation_and_owner_names_are_not_patterns(app, f, searchable, backend, typed):
    browser = Browser(app.test_client(), searchable.sup_root)
    for field in ("org", "owner"):
        response = browser.get("/items", query_string={field: typed})
        assert response.status_code == 422, (field, typed)  # no organisation or person is named so
        assert not _found([response.text.split("</form>", 1)[-1]]), (field, typed)


@pytest.mark.parametrize("typed, expected", [("100%", ["第100%支部"]), ("1_0", ["第1_0支部"]), ("%", ["第100%支部"]),
                                             ("_", ["第1_0支部"])])
def test_organisation_names_match_as_typed(f, searchable, backend, typed, expected):
    """The name filter of the ledger page (shown when there are too many organisations for a select)."""
    from ledger.orgs.services import find_orgs

    for name in ("第100%支部", "第1000支部", "第1_0支部", "第110支部"):
        f.org(name, searchable.root)
    assert [label.split(" › ")[-1] for _, label in find_orgs(searchable.sup_root, typed)] == expected


# --- 405 and Allow ------------------------------------------------------------------------------

def _api_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1")]


def _sample_path(rule) -> str:
    values = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, IntegerConverter):
            values[name] = "1"
        elif isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0] if hasattr(converter, "items") else "pdf"
        else:
            values[name] = "x"
    path = rule.rule
    for name, value in values.items():
        path = path.replace(f"<{name}>", value)
        for part in path.split("<")[1:]:
            if part.split(">")[0].endswith(f":{name}"):
                path = path.replace(f"<{part.split('>')[0]}>", value)
    return path


def test_every_api_path_answers_a_method_it_does_not_take_with_allow(app, client, api, f, backend):
    w = f.world()
    token = api(w.admin).token
    checked = 0
    for rule in _api_rules(app):
        path = _sample_path(rule)
        taken = set()
        for other in _api_rules(app):
            if _sample_path(other) == path:
                taken |= other.methods
        for method in sorted({"GET", "POST", "PUT", "PATCH", "DELETE"} - taken):
            response = client.open(path, method=method, headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 405, (method, path, response.status_code)
            body = response.get_json()
            assert body["error"]["code"] == "method_not_allowed", (method, path)
            allow = {m.strip() for m in response.headers.get("Allow", "").split(",") if m.strip()}
            assert allow >= taken - {"OPTIONS"} and method not in allow, (method, path, allow)
            checked += 1
    db.session.rollback()
    assert checked > 50
