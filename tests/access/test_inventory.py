"""Every route of /api/v1 is in the access matrix: a new route without access tests fails here.

Also: every route refuses a caller without credentials (401) or with a bad bearer token (401), except
the few public ones, and the admin-kept lists refuse writes by anybody but an admin."""
from __future__ import annotations

import re

import pytest

from tests.api.support import ROLES, error_of

pytestmark = pytest.mark.usefixtures("backend")

# "METHOD rule" → where its access is tested (tests/access/…).
ROUTES = {
    "GET /api/v1/openapi.json": "public: test_inventory.py",
    "POST /api/v1/tokens": "public: tests/api/test_auth.py",
    "GET /api/v1/tokens": "tests/auth/test_tokens.py (the caller's own tokens only)",
    "DELETE /api/v1/tokens/<int:token_id>": "tests/auth/test_tokens.py (another user's token: 404)",
    "GET /api/v1/orgs": "test_reads.py::orgs",
    "GET /api/v1/orgs/<int:org_id>": "test_reads.py::orgs",
    "POST /api/v1/orgs": "test_writes.py::test_org_writes",
    "PATCH /api/v1/orgs/<int:org_id>": "test_writes.py::test_org_writes",
    "PUT /api/v1/orgs/<int:org_id>/settings": "test_writes.py::test_org_writes",
    "GET /api/v1/users": "test_reads.py::users",
    "GET /api/v1/users/me": "test_reads.py::users",
    "GET /api/v1/users/<int:user_id>": "test_reads.py::users",
    "POST /api/v1/users": "test_writes.py::test_user_writes",
    "PATCH /api/v1/users/<int:user_id>": "test_writes.py::test_user_writes",
    "GET /api/v1/reviews": "test_reads.py::reviews",
    "GET /api/v1/reviews/<int:review_id>": "test_reads.py::reviews",
    "POST /api/v1/reviews": "test_writes.py::test_review_and_opinion_creation",
    "GET /api/v1/opinions": "test_reads.py::opinions",
    "GET /api/v1/opinions/<int:opinion_id>": "test_reads.py::opinions",
    "POST /api/v1/opinions": "test_writes.py::test_review_and_opinion_creation",
    "POST /api/v1/opinions/<int:opinion_id>/triage": "test_writes.py::test_triage",
    "GET /api/v1/items": "test_reads.py::items",
    "POST /api/v1/items": "test_writes.py::test_item_creation",
    "GET /api/v1/items/<int:item_id>": "test_reads.py::items",
    "POST /api/v1/items/<int:item_id>/transitions": "test_writes.py::test_transitions",
    "GET /api/v1/items/<int:item_id>/events": "test_reads.py::items",
    "GET /api/v1/items/<int:item_id>/attachments": "test_reads.py::items",
    "POST /api/v1/items/<int:item_id>/attachments": "test_writes.py::test_attachment_upload",
    "GET /api/v1/items/<int:item_id>/attachments/<int:attachment_id>": "test_reads.py::items, attachment_paths",
    "GET /api/v1/notifications": "test_reads.py::notifications",
    "POST /api/v1/notifications/read": "test_writes.py::test_notifications_of_others_cannot_be_marked",
    "GET /api/v1/categories": "test_inventory.py::test_admin_kept_lists",
    "PUT /api/v1/categories": "test_inventory.py::test_admin_kept_lists",
    "GET /api/v1/calendar/days": "test_inventory.py::test_admin_kept_lists",
    "PUT /api/v1/calendar/days": "test_inventory.py::test_admin_kept_lists",
    # later features: test_features.py
    "GET /api/v1/notices": "test_features.py::test_notices",
    "POST /api/v1/notices": "test_features.py::test_notices",
    "GET /api/v1/notices/<int:notice_id>": "test_features.py::test_notices",
    "PATCH /api/v1/notices/<int:notice_id>": "test_features.py::test_notices",
    "DELETE /api/v1/notices/<int:notice_id>": "test_features.py::test_notices",
    "POST /api/v1/notices/<int:notice_id>/publish": "test_features.py::test_notices",
    "POST /api/v1/notices/<int:notice_id>/withdraw": "test_features.py::test_notices",
    "POST /api/v1/notices/<int:notice_id>/corrections": "test_features.py::test_notices",
    "GET /api/v1/notices/<int:notice_id>/docx": "test_features.py::test_notices",
    "GET /api/v1/notices/<int:notice_id>/pdf": "test_features.py::test_notices",
    "GET /api/v1/notices/<int:notice_id>/objections": "test_features.py::test_notices",
    "GET /api/v1/orgs/<int:org_id>/notice-settings": "test_features.py::test_notices",
    "PUT /api/v1/orgs/<int:org_id>/notice-settings": "test_features.py::test_notices",
    "GET /api/v1/public/notices": "public: test_features.py::test_notices (published only)",
    "GET /api/v1/public/notices/<int:notice_id>": "public: test_features.py::test_notices (published only)",
    "POST /api/v1/objections/<int:objection_id>/uphold": "test_features.py::test_objections",
    "POST /api/v1/objections/<int:objection_id>/answer": "test_features.py::test_objections",
    "GET /api/v1/reviews/<int:review_id>/ratings": "test_features.py::test_ratings_surveys_and_warnings",
    "POST /api/v1/reviews/<int:review_id>/ratings": "test_features.py::test_ratings_surveys_and_warnings",
    "POST /api/v1/reviews/<int:review_id>/surveys": "test_features.py::test_ratings_surveys_and_warnings",
    "GET /api/v1/surveys/<int:survey_id>": "test_features.py::test_ratings_surveys_and_warnings",
    "POST /api/v1/surveys/<int:survey_id>/close": "test_features.py::test_ratings_surveys_and_warnings",
    "GET /api/v1/warnings": "test_features.py::test_ratings_surveys_and_warnings",
    "GET /api/v1/warnings/<int:warning_id>": "test_features.py::test_ratings_surveys_and_warnings",
    "POST /api/v1/warnings/<int:warning_id>/acknowledge": "test_features.py::test_ratings_surveys_and_warnings",
    "GET /api/v1/stats": "test_features.py::test_figures",
    "GET /api/v1/items/export": "test_features.py::test_exports_and_imports",
    "GET /api/v1/opinions/export": "test_features.py::test_exports_and_imports",
    "GET /api/v1/opinions/import/template": "test_features.py::test_exports_and_imports",
    "POST /api/v1/opinions/import": "test_features.py::test_exports_and_imports",
    "POST /api/v1/items/import": "test_features.py::test_exports_and_imports",
    "GET /api/v1/audit": "tests/audit/test_access.py (the auditor alone; every other route refuses the auditor)",
}
PUBLIC = {key for key, where in ROUTES.items() if where.startswith("public")}


def api_routes(app) -> dict[str, str]:
    """"METHOD rule" → rule, for every route the application serves under /api/v1."""
    found = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                found[f"{method} {rule.rule}"] = rule.rule
    return found


def test_every_api_route_is_in_the_access_matrix(app):
    found = api_routes(app)
    missing = sorted(set(found) - set(ROUTES))
    assert not missing, "routes without access tests (add them to the matrix in tests/access/): " + ", ".join(
        missing)
    stale = sorted(set(ROUTES) - set(found))
    assert not stale, "routes in the matrix that the application no longer serves: " + ", ".join(stale)


def concrete(rule: str, ids: dict[str, int]) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids.get(m.group(1), 1)), rule)[len("/api/v1"):]


def scene_ids(scene) -> dict[str, int]:
    return {"item_id": scene.items["a"].id, "attachment_id": scene.attachments["a"].id,
            "org_id": scene.orgs["a"].id, "user_id": scene.users["owner_a"].id,
            "opinion_id": scene.opinions["a"].id, "review_id": scene.reviews["a"].id}


def test_no_credentials_and_bad_tokens_are_refused_everywhere(app, scene, api, client):
    ids = scene_ids(scene)
    anonymous, forged = api(None), api(None)
    forged.token = "lt_forged-token"
    for key, rule in api_routes(app).items():
        method = key.split()[0]
        path = concrete(rule, ids)
        if key in PUBLIC:
            continue
        for who in (anonymous, forged):
            status, body = who.call(method, path, {} if method != "GET" else None)
            assert status == 401, (key, who.token, status, body)
            assert error_of(body)["code"] == "unauthorized"
    # the public ones answer without credentials
    status, body = anonymous.get("/openapi.json")
    assert status == 200 and body["openapi"].startswith("3.1")


def test_admin_kept_lists(scene, as_role):
    """Categories and the working-day calendar: everyone signed in reads them; only an admin writes."""
    for role in ROLES:
        client = as_role(role)
        for path in ("/categories", "/calendar/days"):
            status, body = client.get(path)
            if role == "anonymous":
                assert status == 401
                continue
            assert status == 200 and set(body) == {"items", "next_cursor"}, (role, path, body)
        status, body = client.put("/categories", {"name": f"新类别{role}"})
        status2, body2 = client.put("/calendar/days", {"days": [{"day": "2026-10-08", "is_working": False}]})
        if role == "admin":
            assert status == 200 and status2 == 200, (body, body2)
        else:
            for s, b in ((status, body), (status2, body2)):
                assert s == (401 if role == "anonymous" else 403), (role, s, b)
                error_of(b)
    names = {c["name"] for c in as_role("sec_a").get("/categories")[1]["items"]}
    assert "新类别admin" in names and not {n for n in names if n.startswith("新类别") and n != "新类别admin"}
