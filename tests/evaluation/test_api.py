"""Ratings and warnings through the JSON API, with scope."""
from tests.evaluation.helpers import rate, review


def test_ratings_are_entered_from_paper_forms_and_listed(f, api, backend):
    w = f.world()
    sec = api(w.sec_a)
    made = review(w.sec_a, w.org_a, valid=40)
    status, body = sec.post(f"/reviews/{made.id}/ratings", {"target_type": "org", "target_id": w.org_a.id,
                                                            "good": 20, "fair": 6, "poor": 4, "dont_know": 3})
    assert status == 201, body
    assert (body["satisfied"], body["basically_satisfied"], body["unsatisfied"]) == (20, 6, 4)
    assert body["dont_know"] == 3 and body["valid"] == 30 and body["satisfaction_rate"] == 86.67
    assert body["shares"] == {"satisfied": 66.67, "basically_satisfied": 20.0, "unsatisfied": 13.33}
    status, body = sec.post(f"/reviews/{made.id}/ratings", {"target_type": "user", "target_id": w.owner_a.id,
                                                            "satisfied": 3, "basically_satisfied": 0,
                                                            "unsatisfied": 1})
    assert status == 201 and body["satisfaction_rate"] is None  # 4 valid answers: below the minimum of 5
    status, body = sec.get(f"/reviews/{made.id}/ratings")
    assert status == 200 and [r["target_type"] for r in body["items"]] == ["org", "user"]
    assert body["next_cursor"] is None


def test_rating_refusals(f, api, backend):
    w = f.world()
    sec = api(w.sec_a)
    made = review(w.sec_a, w.org_a, valid=10)
    url = f"/reviews/{made.id}/ratings"
    status, body = sec.post(url, {"target_type": "org", "target_id": w.org_a.id, "good": 1, "satisfied": 1})
    assert status == 422 and "good" in body["error"]["details"]["fields"]
    status, body = sec.post(url, {"target_type": "org", "target_id": w.org_a.id, "satisfied": 11})
    assert status == 422  # more valid answers than valid forms
    status, body = sec.post(url, {"target_type": "org", "target_id": w.org_b.id, "satisfied": 1})
    assert status == 422 and "target_id" in body["error"]["details"]["fields"]  # not in this review's subtree
    status, body = sec.post(url, {"target_type": "user", "target_id": w.owner_b.id, "satisfied": 1})
    assert status == 422 and "target_id" in body["error"]["details"]["fields"]  # a person of another branch
    status, body = sec.post(url, {"target_type": "team", "target_id": w.org_a.id, "satisfied": 1})
    assert status == 422
    status, body = sec.post(url, {"target_type": "org", "target_id": w.org_a.id, "satisfied": -1})
    assert status == 422
    assert sec.post(url, {"target_type": "org", "target_id": w.org_a.id, "satisfied": 5})[0] == 201
    status, body = sec.post(url, {"target_type": "org", "target_id": w.org_a.id, "satisfied": 5})
    assert status == 409 and body["error"]["details"]["rating_id"]
    # another organisation's secretary, and an owner, cannot see or enter them
    assert api(w.sec_b).post(url, {"target_type": "org", "target_id": w.org_a.id, "satisfied": 1})[0] == 404
    assert api(w.sec_b).get(url)[0] == 404
    assert api(w.owner_a).get(url)[0] == 404
    assert api(w.sup_a).get(url)[0] == 200


def test_warnings_are_shown_to_supervisors_in_scope_and_acknowledged_with_a_note(f, api, backend):
    w = f.world()
    made = review(w.sec_a, w.org_a, "甲支部评议")
    rate(w.sec_a, made, "user", w.owner_a.id, 5, 0, 5)  # 50%
    other = review(w.sec_b, w.org_b, "乙支部评议")
    rate(w.sec_b, other, "org", w.org_b.id, 1, 0, 9)  # 10%: low_once and rework in org_b
    status, body = api(w.sup_a).get("/warnings")
    assert status == 200 and len(body["items"]) == 1
    warning = body["items"][0]
    assert warning["rule"] == "low_once" and warning["target_type"] == "user"
    assert warning["target_id"] == w.owner_a.id and warning["review_ids"] == [made.id]
    assert warning["reviews"] == [{"id": made.id, "title": "甲支部评议", "held_on": made.held_on.isoformat(),
                                   "satisfaction_rate": 50.0}]
    assert {x["rule"] for x in api(w.sup_root).get("/warnings")[1]["items"]} == {"low_once", "rework"}
    assert len(api(w.sup_root).get("/warnings")[1]["items"]) == 3
    assert api(w.sec_a).get("/warnings")[1]["items"] == []  # shown to supervisors, not secretaries
    assert api(w.owner_a).get("/warnings")[1]["items"] == []

    url = f"/warnings/{warning['id']}/acknowledge"
    assert api(w.sec_a).post(url, {"note": "谈话"})[0] == 404
    assert api(w.sup_a).post(url, {"note": ""})[0] == 422
    status, body = api(w.sup_a).post(url, {"note": "已于11月20日进行诫勉谈话"})
    assert status == 200 and body["acknowledged_at"] and body["acknowledged_by_id"] == w.sup_a.id
    assert body["acknowledge_note"] == "已于11月20日进行诫勉谈话"
    assert api(w.sup_root).post(url, {"note": "再次"})[0] == 409
    status, body = api(w.sup_root).get(f"/warnings/{warning['id']}")
    assert status == 200 and body["acknowledge_note"] == "已于11月20日进行诫勉谈话"  # kept
    assert api(w.sup_a).get("/warnings?acknowledged=false")[1]["items"] == []
    assert len(api(w.sup_a).get("/warnings?acknowledged=true")[1]["items"]) == 1
    assert api(w.sup_a).get(f"/warnings/{body['id'] + 100}")[0] == 404
