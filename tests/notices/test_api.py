"""The notices API, route by route, for each role and own / other organisation; the public feed."""
from datetime import timedelta

from ledger.core import clock
from tests.notices.support import ledger

# Where each notices route's access is tested (for the access matrix in tests/access/test_inventory.py).
ROUTES = {
    "GET /api/v1/notices": "test_drafting_publishing_and_scope",
    "POST /api/v1/notices": "test_drafting_publishing_and_scope",
    "GET /api/v1/notices/<int:notice_id>": "test_drafting_publishing_and_scope",
    "PATCH /api/v1/notices/<int:notice_id>": "test_drafting_publishing_and_scope",
    "DELETE /api/v1/notices/<int:notice_id>": "test_drafting_publishing_and_scope",
    "POST /api/v1/notices/<int:notice_id>/publish": "test_drafting_publishing_and_scope",
    "POST /api/v1/notices/<int:notice_id>/withdraw": "test_withdraw_correct_download",
    "POST /api/v1/notices/<int:notice_id>/corrections": "test_withdraw_correct_download",
    "GET /api/v1/notices/<int:notice_id>/docx": "test_withdraw_correct_download",
    "GET /api/v1/notices/<int:notice_id>/pdf": "test_withdraw_correct_download",
    "GET /api/v1/notices/<int:notice_id>/objections": "test_withdraw_correct_download",
    "POST /api/v1/objections/<int:objection_id>/uphold": "test_objections.py",
    "POST /api/v1/objections/<int:objection_id>/answer": "test_objections.py",
    "GET /api/v1/orgs/<int:org_id>/notice-settings": "test_settings",
    "PUT /api/v1/orgs/<int:org_id>/notice-settings": "test_settings",
    "GET /api/v1/public/notices": "public: test_public.py, test_unauthenticated",
    "GET /api/v1/public/notices/<int:notice_id>": "public: test_public.py, test_unauthenticated",
}


def test_every_notices_route_is_covered(app):
    served = {f"{m} {r.rule}" for r in app.url_map.iter_rules() for m in r.methods - {"HEAD", "OPTIONS"}
              if "notice" in r.rule and r.rule.startswith("/api/v1") or r.rule.startswith("/api/v1/objections")}
    assert served == set(ROUTES)


def test_drafting_publishing_and_scope(f, api):
    w, items = ledger(f)
    today = clock.today().isoformat()
    start = (clock.today() - timedelta(days=7)).isoformat()
    body = {"org_id": w.org_a.id, "kind": "closure", "period_start": start, "period_end": today}
    assert api(w.sec_b).post("/notices", body)[0] == 404
    assert api(w.owner_a).post("/notices", body)[0] == 404
    assert api(w.sec_a).post("/notices", {**body, "kind": "overdue"})[0] == 404
    assert api(w.sup_a).post("/notices", {**body, "kind": "overdue"})[0] == 201
    status, draft = api(w.sec_a).post("/notices", body)
    assert status == 201 and draft["status"] == "draft" and draft["number"] is None
    assert draft["content"]["count"] == 2
    assert api(w.sec_a).post("/notices", {**body, "period_end": start, "period_start": today})[0] == 422
    notice_id = draft["id"]
    assert api(w.sec_b).get(f"/notices/{notice_id}")[0] == 404
    assert api(w.owner_a).get(f"/notices/{notice_id}")[0] == 404
    assert api(w.sup_root).get(f"/notices/{notice_id}")[0] == 200
    listed = api(w.sec_b).get("/notices")[1]["items"]
    assert notice_id not in [n["id"] for n in listed]
    assert notice_id in [n["id"] for n in api(w.sec_a).get("/notices?kind=closure")[1]["items"]]
    assert api(w.sec_a).patch(f"/notices/{notice_id}", {"title": "关于<改>的公示"})[1]["title"] == "关于<改>的公示"
    assert api(w.sec_b).call("POST", f"/notices/{notice_id}/publish")[0] == 404
    status, published = api(w.sec_a).post(f"/notices/{notice_id}/publish")
    assert status == 200 and published["status"] == "published" and published["number"].endswith("1号")
    assert published["objection_until"] and published["html_url"].endswith(f"/public/notices/{notice_id}")
    assert api(w.sec_a).patch(f"/notices/{notice_id}", {"title": "改"})[0] == 409
    assert api(w.sec_a).call("DELETE", f"/notices/{notice_id}")[0] == 409
    assert api(w.sec_a).post(f"/notices/{notice_id}/publish")[0] == 409
    other = api(w.sec_a).post("/notices", {**body, "kind": "progress"})[1]
    assert api(w.sec_b).call("DELETE", f"/notices/{other['id']}")[0] == 404
    assert api(w.sec_a).call("DELETE", f"/notices/{other['id']}")[0] == 204
    assert api(w.sec_a).get(f"/notices/{other['id']}")[0] == 404


def test_withdraw_correct_download(f, api):
    w, items = ledger(f)
    today = clock.today().isoformat()
    body = {"org_id": w.org_a.id, "kind": "closure", "period_start": today, "period_end": today}
    notice_id = api(w.sec_a).post("/notices", body)[1]["id"]
    assert api(w.sec_a).post(f"/notices/{notice_id}/withdraw", {"reason": "草稿不能撤回"})[0] == 409
    api(w.sec_a).post(f"/notices/{notice_id}/publish")
    status, correction = api(w.sec_a).post(f"/notices/{notice_id}/corrections", {})
    assert status == 201 and correction["corrects_id"] == notice_id and correction["status"] == "draft"
    assert api(w.sec_b).post(f"/notices/{notice_id}/corrections", {})[0] == 404
    assert api(w.sec_a).post(f"/notices/{notice_id}/withdraw", {"reason": " "})[0] == 422
    assert api(w.sec_b).post(f"/notices/{notice_id}/withdraw", {"reason": "x"})[0] == 404
    status, withdrawn = api(w.sec_a).post(f"/notices/{notice_id}/withdraw", {"reason": "有误"})
    assert status == 200 and withdrawn["status"] == "withdrawn" and withdrawn["number"]
    client = api(w.sec_a).client
    token = {"Authorization": api(w.sec_a).token and f"Bearer {api(w.sec_a).token}"}
    for ext, magic in (("docx", b"PK"), ("pdf", b"%PDF")):
        response = client.get(f"/api/v1/notices/{notice_id}/{ext}", headers=token)
        assert response.status_code == 200 and response.data.startswith(magic)
        assert client.get(f"/api/v1/notices/{notice_id}/{ext}",
                          headers={"Authorization": f"Bearer {api(w.sec_b).token}"}).status_code == 404
    assert api(w.sec_a).get(f"/notices/{notice_id}/objections") == (200, {"items": [], "next_cursor": None})
    assert api(w.sec_b).get(f"/notices/{notice_id}/objections")[0] == 404


def test_settings(f, api):
    w = f.world()
    status, body = api(w.sec_a).get(f"/orgs/{w.org_a.id}/notice-settings")
    assert status == 200 and body["progress_weekday"] == 0 and body["objection_days"] == 7
    assert api(w.sec_b).get(f"/orgs/{w.org_a.id}/notice-settings")[0] == 404
    assert api(w.owner_a).put(f"/orgs/{w.org_a.id}/notice-settings", {"auto_publish": True})[0] == 404
    assert api(w.sup_a).put(f"/orgs/{w.org_a.id}/notice-settings", {"auto_publish": True})[0] == 404
    assert api(w.sec_a).put(f"/orgs/{w.org_a.id}/notice-settings", {"progress_weekday": 7})[0] == 422
    status, body = api(w.sec_a).put(f"/orgs/{w.org_a.id}/notice-settings",
                                    {"auto_publish": True, "objection_days": 5, "contact": "电话 123"})
    assert status == 200 and body["auto_publish"] and body["objection_days"] == 5 and body["contact"] == "电话 123"


def test_unauthenticated(f, api):
    f.world()
    anonymous = api()
    assert anonymous.get("/notices")[0] == 401
    assert anonymous.post("/notices", {})[0] == 401
    assert anonymous.get("/public/notices")[0] == 200
    assert anonymous.get("/public/notices/999")[0] == 404
    assert anonymous.get("/public/notices?status=draft")[0] == 422
