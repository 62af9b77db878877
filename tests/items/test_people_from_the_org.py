"""Owners and leaders come from the item's organisation (issue 14, finding 9): a user with a membership
in that organisation or one under it. Every path that names one — item creation (API and page), an
opinion accepted into a new item (API and page), ``edit`` and ``reassign`` (API and page) — gives the
same answer for an id that does not exist and for a user elsewhere, and changes nothing; a user of the
organisation (or of a unit under it) is accepted."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from ledger.core import clock
from ledger.core.db import db
from ledger.items.models import Event, Item
from ledger.opinions.models import Opinion
from tests.web.conftest import Browser

MISSING = 987654
FIELDS = ["owner_id", "leader_id"]
API_PATHS = ["api-create", "api-triage", "api-edit", "api-reassign"]
PAGE_PATHS = ["page-create", "page-triage", "page-reassign"]  # the edit page names no one
ERRORS = re.compile(r'class="invalid-feedback[^"]*"[^>]*>([^<]+)<|class="alert alert-danger"[^>]*>(.*?)</div>', re.S)


@pytest.fixture
def people(f):
    """org_a's item (pending, owned by owner_a) and who might be named: a user of a sibling organisation,
    an inactive user of org_a, a user of org_a, and a user of a unit under org_a."""
    w = f.world()
    under_a = f.org("甲支部第一小组", w.org_a)
    inactive = f.user("gone_a", [(w.org_a, "owner")])
    inactive.active = False
    db.session.commit()
    return {"w": w, "item": f.item(w.sec_a, w.org_a, w.owner_a), "opinion": f.opinion(w.sec_a, w.org_a),
            "sibling": w.owner_b.id, "inactive": inactive.id, "missing": MISSING, "in_org": w.owner_a2.id,
            "under": f.user("owner_a_sub", [(under_a, "owner")]).id}


def _state() -> tuple:
    db.session.rollback()
    db.session.expire_all()
    items = tuple(db.session.execute(select(Item.id, Item.owner_id, Item.leader_id, Item.version)
                                     .order_by(Item.id)).all())
    opinions = tuple(db.session.execute(select(Opinion.id, Opinion.status, Opinion.item_id)
                                        .order_by(Opinion.id)).all())
    return items, opinions, db.session.scalar(select(func.count()).select_from(Event))


def _deadline() -> str:
    return (clock.today() + timedelta(days=30)).isoformat()


def _via_api(api, people, path: str, field: str, user_id: int):
    w, item = people["w"], people["item"]
    sec = api(w.sec_a)
    new = {"title": "新事项", "measures": "措施", "deadline": _deadline(), "owner_id": w.owner_a.id, field: user_id}
    if path == "api-create":
        return sec.post("/items", {"org_id": w.org_a.id, **new})
    if path == "api-triage":
        return sec.post(f"/opinions/{people['opinion'].id}/triage", {"action": "accept", "item": new})
    action = "edit" if path == "api-edit" else "reassign"
    return sec.post(f"/items/{item.id}/transitions", {"action": action, "version": item.version, field: user_id})


def _via_page(client, people, path: str, field: str, user_id: int):
    w, item = people["w"], people["item"]
    browser = Browser(client, w.sec_a)
    if path == "page-create":
        data = {"org_id": w.org_a.id, "title": "新事项", "measures": "措施", "kind": "time_limited",
                "scope": "individual", "urgency": "normal", "category": "", "deadline": _deadline(),
                "owner_id": w.owner_a.id, "leader_id": "", field: user_id}
        response = browser.post("/items/new", data)
    elif path == "page-triage":
        data = {"accept-title": "新事项", "accept-measures": "措施", "accept-kind": "time_limited",
                "accept-deadline": _deadline(), "accept-owner_id": w.owner_a.id, f"accept-{field}": user_id,
                "accept-csrf_token": browser.token}
        response = browser.post(f"/opinions/{people['opinion'].id}/triage/accept", data)
    else:
        action = "edit" if path == "page-edit" else "reassign"
        response = browser.post(f"/items/{item.id}/actions/{action}", {
            f"{action}-version": item.version, f"{action}-{field}": user_id})
    text = response.get_data(as_text=True)
    said = sorted(re.sub(r"<[^>]+>|\s+", " ", a or b).strip() for a, b in ERRORS.findall(text))
    return response.status_code, said


def _answer(api, client, people, path: str, field: str, who: str):
    user_id = people[who]
    if path.startswith("api"):
        return _via_api(api, people, path, field, user_id)
    return _via_page(client, people, path, field, user_id)


# A page has no field for what its action does not take (edit: no owner; reassign, accept: no leader);
# the API takes both fields on every path, and refuses the one an action does not use.
NOT_ON_PAGE = {("page-edit", "owner_id"), ("page-edit", "leader_id"), ("page-reassign", "leader_id"),
               ("page-triage", "leader_id")}
COMBOS = [(p, f) for p in API_PATHS + PAGE_PATHS for f in FIELDS if (p, f) not in NOT_ON_PAGE]
NOT_TAKEN = {("api-edit", "owner_id"), ("api-reassign", "leader_id")}


@pytest.mark.parametrize("path, field", COMBOS)
def test_missing_and_elsewhere_answer_alike_and_change_nothing(api, client, people, backend, path, field):
    before = _state()
    answers = {}
    for who in ("missing", "sibling", "inactive"):
        answers[who] = _answer(api, client, people, path, field, who)
        assert _state() == before, (who, answers[who])
    assert answers["missing"] == answers["sibling"]
    assert answers["missing"][0] == answers["inactive"][0] == 422, answers
    if path.startswith("api"):  # a page's list may hold an inactive colleague, whom the secretary can see anyway
        assert answers["inactive"] == answers["missing"]
    if path.startswith("api"):
        assert answers["missing"][1]["error"]["code"] == "invalid"
        assert str(MISSING) not in str(answers["missing"][1])


# The pages offer the users the secretary may list (their organisation's); a unit under it only by the API.
@pytest.mark.parametrize("path, field, who", [(p, f, who) for p, f in COMBOS if (p, f) not in NOT_TAKEN
                                              for who in ("in_org", "under") if p.startswith("api") or who == "in_org"])
def test_a_user_of_the_organisation_is_accepted(api, client, people, backend, path, field, who):
    status, body = _answer(api, client, people, path, field, who)
    assert status in (200, 201, 302), body
    db.session.rollback()
    db.session.expire_all()
    named = set(db.session.scalars(select(getattr(Item, field))))
    assert people[who] in named


def test_edit_refuses_an_owner_rather_than_ignoring_it(api, people, backend):
    w, item = people["w"], people["item"]
    status, body = api(w.sec_a).post(f"/items/{item.id}/transitions",
                                     {"action": "edit", "version": item.version, "owner_id": people["in_org"]})
    assert status == 422 and "owner_id" in body["error"]["details"]["fields"]
