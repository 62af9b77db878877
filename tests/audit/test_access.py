"""The auditor sees the audit log and nothing else; nobody else sees the log (API and pages)."""
from __future__ import annotations

import re

import pytest

from ledger.core.db import db
from tests.access.test_inventory import api_routes, concrete
from tests.api.support import build_scene, login
from tests.audit.conftest import make_user
from tests.factories import PASSWORD

# What an auditor may still reach: the log, their own account and tokens, and what anyone may.
AUDITOR_API = {"GET /api/v1/audit", "GET /api/v1/users/me", "GET /api/v1/openapi.json", "POST /api/v1/tokens",
               "GET /api/v1/public/notices", "GET /api/v1/public/notices/<int:notice_id>",
               "GET /api/v1/tokens", "DELETE /api/v1/tokens/<int:token_id>"}
AUDITOR_PAGES = re.compile(r"^/(audit|login|logout|account|public|survey|static|bootstrap/static|healthz|s/)")


@pytest.fixture
def world(app, f):
    scene = build_scene(f)
    auditor = make_user("auditor1", is_auditor=True)
    return scene, auditor


def ids(scene) -> dict:
    return {"item_id": scene.items["a"].id, "attachment_id": scene.attachments["a"].id,
            "org_id": scene.orgs["a"].id, "user_id": scene.users["owner_a"].id,
            "opinion_id": scene.opinions["a"].id, "review_id": scene.reviews["a"].id}


def test_every_other_api_route_refuses_the_auditor(app, api, world):
    scene, auditor = world
    client = api(auditor)
    checked = 0
    for key, rule in api_routes(app).items():
        if key in AUDITOR_API:
            continue
        method = key.split()[0]
        status, body = client.call(method, concrete(rule, ids(scene)), {} if method != "GET" else None)
        assert status == 403, (key, status, body)
        assert body["error"]["code"] == "forbidden"
        checked += 1
    assert checked > 50
    status, body = client.get("/audit")
    assert status == 200 and "items" in body


def _page_paths(app, scene) -> list[str]:
    paths = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") or "GET" not in rule.methods or AUDITOR_PAGES.match(rule.rule):
            continue
        paths.append(re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids(scene).get(m.group(1), 1)), rule.rule))
    return paths


def test_every_other_page_refuses_the_auditor_and_home_leads_to_the_log(app, client, world):
    scene, auditor = world
    login(client, auditor.username, PASSWORD)
    paths = _page_paths(app, scene)
    assert len(paths) > 20
    for path in paths:
        response = client.get(path)
        if path == "/":
            assert response.status_code == 302 and response.headers["Location"].endswith("/audit")
            continue
        assert response.status_code == 403, (path, response.status_code)
    assert client.get("/account").status_code == 200  # their own account (password, second factor, tokens)
    page = client.get("/audit").get_data(as_text=True)
    assert "审计日志" in page
    for link in ("/items", "/opinions", "/admin", "/dashboard", "/notifications"):
        assert f'href="{link}"' not in page, link


@pytest.mark.parametrize("role", ["admin", "sup_root", "sec_a", "owner_a", "security_admin"])
def test_nobody_else_reads_the_log(app, api, world, role):
    scene, _ = world
    user = make_user("officer", is_security_admin=True) if role == "security_admin" else scene.users[role]
    status, body = api(user).get("/audit")
    assert status == 403 and body["error"]["code"] == "forbidden"
    with app.test_client() as browser:
        login(browser, user.username, PASSWORD)
        assert browser.get("/audit").status_code == 403


def test_anonymous_is_asked_to_sign_in(app, api, client):
    assert api(None).get("/audit")[0] == 401
    response = client.get("/audit")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_auditor_who_is_also_the_admin_without_separation_keeps_both(app, api):
    both = make_user("both", is_admin=True, is_auditor=True)
    client = api(both)
    assert client.get("/audit")[0] == 200
    assert client.get("/orgs")[0] == 200
    db.session.rollback()
