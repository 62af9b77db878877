"""The access matrix for the routes of the later features (notices, objections, ratings, surveys, warnings,
figures, spreadsheets): organisation b's objects probed by roles with no standing in b (a sibling's
secretary, a supervisor of the sibling subtree, an owner elsewhere) are 404 without their data, writes are
refused and change nothing, lists and exports leave them out; b's own secretary and the root supervisor
are the positive controls, so no probe passes by refusing everybody."""
from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from ledger.core import clock
from ledger.core.db import db
from ledger.items.models import Event, Item
from ledger.opinions.models import Opinion
from tests.api.support import error_of

pytestmark = pytest.mark.usefixtures("backend")
OUTSIDERS = ("sec_a", "sup_a", "owner_a")  # no standing in organisation b
INSIDERS = ("sec_b", "sup_root", "admin")


@pytest.fixture
def b_objects(scene, f):
    """In organisation b: a draft notice, a published closure notice with an objection, a rating that
    raised a warning, and a survey."""
    from ledger.evaluation import services as evaluation
    from ledger.evaluation import surveys
    from ledger.notices import objections
    from ledger.notices import services as notices

    w = scene.w
    opinion = f.opinion(w.sec_b, w.org_b, content="SECRET-b-opinion", submitter_contact="b-person@example.org")
    closed = f.item(w.sec_b, w.org_b, w.owner_b, status="closed", title="SECRET-b-closed",
                    opinion_ids=[opinion.id])
    today = clock.today()
    draft = notices.create_draft(w.sec_b, w.org_b.id, "progress", today - timedelta(days=7), today,
                                 title="SECRET-b-draft")
    closure = notices.create_draft(w.sec_b, w.org_b.id, "closure", today - timedelta(days=1), today)
    notices.publish(w.sec_b, closure.id)
    db.session.commit()
    objection = objections.file_objection(closure.id, closed.id, "SECRET-b-objection", "异议人", "13700001234")
    rating = evaluation.record_rating(w.sec_b, scene.reviews["b"].id, {
        "target_type": "org", "target_id": w.org_b.id, "satisfied": 1, "basically_satisfied": 0,
        "unsatisfied": 9})
    db.session.commit()
    survey = surveys.create_survey(w.sec_b, scene.reviews["b"].id, closed.id)
    db.session.commit()
    from ledger.evaluation.models import Warning

    warning = db.session.scalars(select(Warning).where(Warning.org_id == w.org_b.id)).first()
    assert warning is not None, "a 10% satisfaction rate must raise a warning"
    return {"draft": draft, "closure": closure, "objection": objection, "rating": rating, "survey": survey,
            "warning": warning, "closed": closed}


def refused(status: int, body, *, leak: str = "SECRET") -> None:
    assert status in (403, 404), (status, body)
    error_of(body)
    assert leak not in json.dumps(body, ensure_ascii=False)


def raw_get(client, path: str):
    response = client.client.get(f"/api/v1{path}", headers=client._headers())
    data = response.get_data()
    response.close()
    return response.status_code, data


def test_notices(scene, b_objects, as_role):
    draft, closure = b_objects["draft"], b_objects["closure"]
    for role in OUTSIDERS:
        client = as_role(role)
        for path in (f"/notices/{draft.id}", f"/notices/{closure.id}", f"/notices/{closure.id}/objections"):
            refused(*client.get(path))
        for path in (f"/notices/{closure.id}/docx", f"/notices/{closure.id}/pdf",
                     f"/notices/{draft.id}/docx"):
            status, data = raw_get(client, path)
            assert status in (403, 404) and b"SECRET" not in data, (role, path, status)
        listed = {n["id"] for n in client.get("/notices?limit=200")[1]["items"]}
        assert not listed & {draft.id, closure.id}, role
        refused(*client.patch(f"/notices/{draft.id}", {"title": "改了"}))
        refused(*client.call("DELETE", f"/notices/{draft.id}"))
        refused(*client.post(f"/notices/{draft.id}/publish"))
        refused(*client.post(f"/notices/{closure.id}/withdraw", {"reason": "撤回"}))
        refused(*client.post(f"/notices/{closure.id}/corrections", {"title": "更正"}))
        today = clock.today()
        refused(*client.post("/notices", {"org_id": scene.orgs["b"].id, "kind": "progress",
                                          "period_start": str(today - timedelta(days=3)), "period_end": str(today)}))
        refused(*client.get(f"/orgs/{scene.orgs['b'].id}/notice-settings"))
        refused(*client.put(f"/orgs/{scene.orgs['b'].id}/notice-settings", {"auto_publish": True}))
    db.session.expire_all()
    from ledger.notices.models import Notice

    assert db.session.get(Notice, draft.id).status == "draft" and db.session.get(Notice, draft.id).title == \
        "SECRET-b-draft"
    assert db.session.get(Notice, closure.id).status == "published"
    assert db.session.scalar(select(func.count()).select_from(Notice)) == 2
    for role in INSIDERS:
        client = as_role(role)
        assert client.get(f"/notices/{draft.id}")[0] == 200, role
        assert {draft.id, closure.id} <= {n["id"] for n in client.get("/notices?limit=200")[1]["items"]}, role
    assert as_role("sec_b").get(f"/orgs/{scene.orgs['b'].id}/notice-settings")[0] == 200
    # the public board: published notices only, without a login
    public = as_role("anonymous")
    status, body = public.get("/public/notices")
    assert status == 200 and {n["id"] for n in body["items"]} == {closure.id}
    assert public.get(f"/public/notices/{closure.id}")[0] == 200
    status, body = public.get(f"/public/notices/{draft.id}")
    assert status == 404 and "SECRET-b-draft" not in json.dumps(body, ensure_ascii=False)


def test_objections(scene, b_objects, as_role):
    objection, closed = b_objects["objection"], b_objects["closed"]
    version = db.session.get(Item, closed.id).version
    for role in (*OUTSIDERS, "owner_b"):
        client = as_role(role)
        refused(*client.post(f"/objections/{objection.id}/uphold", {"reason": "成立"}))
        refused(*client.post(f"/objections/{objection.id}/answer", {"reply": "已答复"}))
    db.session.expire_all()
    item = db.session.get(Item, closed.id)
    assert (item.status, item.version) == ("closed", version)
    status, body = as_role("sec_b").post(f"/objections/{objection.id}/answer", {"reply": "经核实已整改"})
    assert status == 200, body


def test_ratings_surveys_and_warnings(scene, b_objects, as_role):
    review_b, survey, warning = scene.reviews["b"], b_objects["survey"], b_objects["warning"]
    closed = b_objects["closed"]
    for role in OUTSIDERS:
        client = as_role(role)
        refused(*client.get(f"/reviews/{review_b.id}/ratings"))
        refused(*client.post(f"/reviews/{review_b.id}/ratings", {"target_type": "org", "target_id":
                                                                 scene.orgs["b"].id, "satisfied": 9}))
        refused(*client.post(f"/reviews/{review_b.id}/surveys", {"item_id": closed.id}))
        refused(*client.get(f"/surveys/{survey.id}"))
        refused(*client.post(f"/surveys/{survey.id}/close"))
        refused(*client.get(f"/warnings/{warning.id}"))
        refused(*client.post(f"/warnings/{warning.id}/acknowledge", {"note": "已谈话"}))
        status, body = client.get("/warnings")
        assert status in (200, 403) and warning.id not in {x["id"] for x in body.get("items", [])}, role
    db.session.expire_all()
    from ledger.evaluation.models import Rating, Survey, Warning

    assert db.session.scalar(select(func.count()).select_from(Rating).where(Rating.review_id == review_b.id)) \
        == 2  # the org's tally and the survey's item rating
    assert db.session.get(Warning, warning.id).acknowledged_at is None
    assert db.session.get(Survey, survey.id).closed_at is None if hasattr(Survey, "closed_at") else True
    assert as_role("sec_b").get(f"/reviews/{review_b.id}/ratings")[0] == 200
    assert as_role("sec_b").get(f"/surveys/{survey.id}")[0] == 200
    status, body = as_role("sup_root").get("/warnings")
    assert status == 200 and warning.id in {x["id"] for x in body["items"]}
    assert as_role("sup_root").get(f"/warnings/{warning.id}")[0] == 200


def test_figures(scene, as_role):
    b = scene.orgs["b"].id
    for role in OUTSIDERS:
        refused(*as_role(role).get(f"/stats?org_id={b}"))
    status, body = as_role("sec_b").get(f"/stats?org_id={b}")
    assert status == 200 and body["total"] == 1
    status, body = as_role("sec_a").get(f"/stats?org_id={scene.orgs['a'].id}")
    assert status == 200 and body["total"] == 2  # a's own two items, never the child's or the sibling's


def test_exports_and_imports(scene, as_role):
    for role in OUTSIDERS:
        client = as_role(role)
        for path in ("/items/export?format=csv", "/opinions/export?format=csv",
                     f"/items/export?format=csv&org_id={scene.orgs['b'].id}",
                     f"/opinions/export?format=csv&org_id={scene.orgs['b'].id}"):
            status, data = raw_get(client, path)
            assert status in (200, 403, 404), (role, path, status)
            text = data.decode("utf-8-sig", "replace")
            assert "SECRET-item-b" not in text and "SECRET-opinion-b" not in text, (role, path)
    status, data = raw_get(as_role("sec_b"), "/items/export?format=csv")
    assert status == 200 and "SECRET-item-b" in data.decode("utf-8-sig")
    ledger_csv = data
    assert raw_get(as_role("sec_a"), "/opinions/import/template")[0] == 200
    # importing into someone else's organisation, or re-importing their ledger, changes nothing of theirs
    item_b = scene.items["b"]
    version, events = item_b.version, db.session.scalar(select(func.count()).select_from(Event).where(
        Event.item_id == item_b.id))
    opinions = db.session.scalar(select(func.count()).select_from(Opinion))
    header, _, rows = ledger_csv.decode("utf-8-sig").partition("\n")
    edited = (header + "\n" + rows.replace("整改措施", "外人改写的措施")).encode("utf-8")
    for role in OUTSIDERS:
        client = as_role(role)
        response = client.client.post("/api/v1/opinions/import", headers=client._headers(), data={
            "org_id": str(scene.orgs["b"].id), "file": (io.BytesIO("内容,渠道\n外人导入,hotline\n".encode()), "o.csv")},
            content_type="multipart/form-data")
        assert response.status_code in (403, 404), (role, response.get_json())
        error_of(response.get_json())
        response = client.client.post("/api/v1/items/import", headers=client._headers(), data={
            "file": (io.BytesIO(edited), "ledger.csv")}, content_type="multipart/form-data")
        assert response.status_code in (200, 403, 404, 422), (role, response.status_code)
        assert "SECRET" not in response.get_data(as_text=True), role
    db.session.expire_all()
    stored = db.session.get(Item, item_b.id)
    assert stored.version == version and "外人" not in stored.measures
    assert db.session.scalar(select(func.count()).select_from(Event).where(Event.item_id == item_b.id)) == events
    assert db.session.scalar(select(func.count()).select_from(Opinion)) == opinions
