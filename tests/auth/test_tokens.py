"""API tokens expire after LEDGER_TOKEN_DAYS; their owner lists them (never the token itself) and revokes
them, by the API and on /account/tokens; another user's token is not found."""
from __future__ import annotations

import pytest

from ledger.auth.models import ApiToken
from ledger.core.db import db
from tests.auth.conftest import Browser, actions
from tests.factories import PASSWORD

pytestmark = pytest.mark.usefixtures("backend")


def issue(app, username: str, name: str = "api") -> str:
    answer = app.test_client().post("/api/v1/tokens", json={"username": username, "password": PASSWORD, "name": name})
    assert answer.status_code == 201
    return answer.get_json()["token"]


def call(app, token: str, method: str = "GET", path: str = "/api/v1/users/me"):
    return app.test_client().open(path, method=method, headers={"Authorization": f"Bearer {token}"})


def test_tokens_expire(app, w, frozen):
    token = issue(app, "sec_a")
    row = db.session.scalars(db.select(ApiToken)).one()
    assert (row.expires_at - row.created_at).days == 90
    frozen.advance(days=89, hours=23)
    assert call(app, token).status_code == 200
    frozen.advance(hours=2)
    expired = call(app, token)
    assert expired.status_code == 401 and "过期" in expired.get_json()["error"]["message"]


@pytest.mark.parametrize("app_settings", [{"LEDGER_TOKEN_DAYS": 1}], indirect=True)
def test_the_lifetime_is_a_setting(app, w, frozen):
    token = issue(app, "sec_a")
    frozen.advance(hours=25)
    assert call(app, token).status_code == 401


def test_list_own_tokens_paged_without_the_secret(app, w, frozen):
    tokens = [issue(app, "sec_a", f"t{i}") for i in range(3)]
    issue(app, "sec_b", "other")
    frozen.advance(hours=2)
    assert call(app, tokens[0]).status_code == 200  # marks its last use
    listed, cursor, pages = [], None, 0
    while True:
        answer = call(app, tokens[0], path="/api/v1/tokens?limit=2" + (f"&cursor={cursor}" if cursor else ""))
        assert answer.status_code == 200
        body = answer.get_json()
        assert all(token not in answer.get_data(as_text=True) for token in tokens)
        listed += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert pages == 2 and [t["name"] for t in listed] == ["t2", "t1", "t0"]
    assert set(listed[0]) == {"id", "name", "created_at", "last_used_at", "expires_at"}
    used = {t["name"]: t["last_used_at"] for t in listed}
    assert used["t0"] is not None and used["t1"] is None


def test_revoke_own_and_not_anothers(app, w):
    mine, spare = issue(app, "sec_a", "mine"), issue(app, "sec_a", "spare")
    theirs = issue(app, "sec_b", "theirs")
    ids = {t.name: t.id for t in db.session.scalars(db.select(ApiToken))}
    missing = call(app, spare, "DELETE", "/api/v1/tokens/999999")
    cross = call(app, spare, "DELETE", f"/api/v1/tokens/{ids['theirs']}")
    assert cross.status_code == missing.status_code == 404
    assert cross.get_json() == missing.get_json()
    assert call(app, theirs).status_code == 200
    revoked = call(app, spare, "DELETE", f"/api/v1/tokens/{ids['mine']}")
    assert revoked.status_code == 204 and revoked.get_data() == b""
    assert call(app, mine).status_code == 401
    assert call(app, spare).status_code == 200
    assert [e.details["token_id"] for e in actions("token.revoked")] == [ids["mine"]]


def test_the_page_lists_and_revokes(app, w):
    token = issue(app, "sec_a", "报表脚本")
    other = issue(app, "sec_b", "别人的")
    b = Browser(app.test_client(), w.sec_a)
    page = b.get("/account/tokens")
    assert page.status_code == 200 and "报表脚本" in page.text and "别人的" not in page.text
    assert token not in page.text
    ids = {t.name: t.id for t in db.session.scalars(db.select(ApiToken))}
    assert b.post(f"/account/tokens/{ids['别人的']}/revoke").status_code == 404
    assert call(app, other).status_code == 200
    assert b.post(f"/account/tokens/{ids['报表脚本']}/revoke").status_code == 302
    assert call(app, token).status_code == 401
    assert "报表脚本" not in b.get("/account/tokens").text


def test_the_document_lists_them(app):
    paths = app.test_client().get("/api/v1/openapi.json").get_json()["paths"]
    assert "get" in paths["/api/v1/tokens"] and "post" in paths["/api/v1/tokens"]
    assert "204" in paths["/api/v1/tokens/{token_id}"]["delete"]["responses"]
