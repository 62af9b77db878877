"""The whole life of an item through the JSON API: opinions in, merged, claimed, evidenced, verified."""
from datetime import timedelta

from ledger.core import clock


def test_full_life_through_api(f, api, client, backend):
    w = f.world()
    sec, owner = api(w.sec_a), api(w.owner_a)
    ids = []
    for text, contact in (("窗口午休无人", "a@example.org"), ("中午办不了事", "13800000000"), ("建议错时", None)):
        status, body = sec.post("/opinions", {"org_id": w.org_a.id, "channel": "meeting", "content": text,
                                              "submitter_contact": contact})
        assert status == 201, body
        ids.append(body["id"])
    deadline = (clock.today() + timedelta(days=15)).isoformat()
    status, item = sec.post("/items", {"org_id": w.org_a.id, "title": "午间服务", "owner_id": w.owner_a.id,
                                       "deadline": deadline, "opinion_ids": ids})
    assert status == 201, item
    assert item["status"] == "pending" and sorted(item["opinion_ids"]) == ids and item["code"].startswith("ZG-")
    assert "claim" not in item["allowed_actions"]
    status, item = owner.get(f"/items/{item['id']}")
    assert item["allowed_actions"] == ["claim"]

    def act(who, action, **data):
        s, body = who.post(f"/items/{item['id']}/transitions", {"action": action, "version": item["version"], **data})
        assert s == 200, body
        return body

    item = act(owner, "claim", measures="错时服务")
    item = act(owner, "start")
    item = act(owner, "progress", note="排班", percent=50)
    status, body = owner.post(f"/items/{item['id']}/transitions",
                              {"action": "submit", "version": item["version"], "completion_note": "完成"})
    assert status == 422 and "attachments" in body["error"]["details"]["fields"]
    from tests.factories import PNG
    response = client.post(f"/api/v1/items/{item['id']}/attachments",
                           headers={"Authorization": f"Bearer {owner.token}"},
                           data={"kind": "photo", "file": (__import__("io").BytesIO(PNG), "../../etc/x.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["filename"] == "x.png"
    item = act(owner, "submit", completion_note="已实行")
    status, body = owner.post(f"/items/{item['id']}/transitions",
                              {"action": "verify", "version": item["version"], "comment": "自己销号"})
    assert status == 403
    item = act(sec, "verify", comment="同意销号")
    assert item["status"] == "closed" and item["closed_at"]
    status, events = sec.get(f"/items/{item['id']}/events")
    assert [e["action"] for e in events["items"]] == ["create", "claim", "start", "progress", "attach", "submit",
                                                     "verify"]
    status, ops = sec.get("/opinions")
    by_id = {o["id"]: o for o in ops["items"]}
    assert by_id[ids[0]]["feedback_at"] and by_id[ids[1]]["feedback_at"] and not by_id[ids[2]]["feedback_at"]
