"""Every audited event of SPEC §16 in the existing code paths: logins (success and failure), logouts,
tokens, passwords, users, roles and memberships, with the client's address."""
from __future__ import annotations

import json

import pytest

from ledger.core.db import db
from tests.api.support import login
from tests.audit.conftest import entries, make_user
from tests.factories import PASSWORD


def _only(action: str, actor=None):
    found = [e for e in entries(action) if actor is None or e.actor_id == actor.id]
    assert len(found) == 1, (action, [(e.action, e.details) for e in entries()])
    return found[0]


def test_web_login_success_and_failure(app, client, f):
    user = f.user("alice")
    response = login(client, "alice", "wrong-password-9")
    assert response.status_code == 401
    failed = _only("auth.login_failed")
    assert failed.actor_id is None and failed.details == {"username": "alice"}
    assert "wrong-password-9" not in json.dumps(failed.details)
    assert failed.address == "127.0.0.1"
    assert login(client, "alice", PASSWORD).status_code == 302
    entry = _only("auth.login")
    assert (entry.actor_id, entry.target_type, entry.target_id) == (user.id, "user", user.id)


def test_api_token_exchange_failure_outlives_its_rollback(app, api, f):
    f.user("bob")
    status, _ = api(None).post("/tokens", {"username": "bob", "password": "not-the-password"})
    assert status == 401
    failed = _only("auth.login_failed")
    assert failed.details == {"username": "bob"} and "not-the-password" not in json.dumps(failed.details)
    status, body = api(None).post("/tokens", {"username": "bob", "password": PASSWORD, "name": "script"})
    assert status == 201
    assert _only("auth.login").actor_id == _only("token.issued").actor_id
    assert _only("token.issued").details["name"] == "script"


def test_an_unknown_username_is_logged_too(app, api):
    api(None).post("/tokens", {"username": "nobody-here", "password": "x" * 10})
    assert _only("auth.login_failed").details == {"username": "nobody-here"}


def test_logout(app, client, f):
    user = f.user("carol")
    login(client, "carol", PASSWORD)
    page = client.get("/account/password").get_data(as_text=True)
    from tests.api.support import csrf_from

    client.post("/logout", data={"csrf_token": csrf_from(page)})
    assert _only("auth.logout").actor_id == user.id


def test_password_change(app, client, f):
    from tests.api.support import csrf_from

    user = f.user("dave")
    login(client, "dave", PASSWORD)
    page = client.get("/account/password").get_data(as_text=True)
    response = client.post("/account/password", data={"csrf_token": csrf_from(page), "current_password": PASSWORD,
                                                      "new_password": "Another-Pass-77", "confirm": "Another-Pass-77"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    entry = _only("auth.password_changed")
    assert entry.actor_id == user.id and "Another-Pass-77" not in json.dumps(entry.details)


def test_command_line_token(app, f):
    user = f.user("erin")
    result = app.test_cli_runner().invoke(args=["ledger", "create-token", "erin"])
    assert result.exit_code == 0
    entry = _only("token.issued")
    assert entry.target_id == user.id and entry.address is None


def test_user_lifecycle_through_the_api(app, api, f):
    org = f.org()
    admin = make_user("root_admin", is_admin=True)
    client = api(admin)
    status, body = client.post("/users", {"username": "frank", "password": PASSWORD,
                                          "memberships": [{"org_id": org.id, "role": "owner"}]})
    assert status == 201
    uid = body["id"]
    created = _only("user.created", admin)
    assert (created.actor_id, created.target_id) == (admin.id, uid)
    assert created.details["memberships"] == [[org.id, "owner"]] and PASSWORD not in json.dumps(created.details)
    client.patch(f"/users/{uid}", {"display_name": "Frank", "memberships": [{"org_id": org.id, "role": "secretary"}]})
    assert _only("user.updated").details == {"fields": {"display_name": ["frank", "Frank"]}}
    assert _only("membership.added").details == {"org_id": org.id, "role": "secretary"}
    assert _only("membership.removed").details == {"org_id": org.id, "role": "owner"}
    client.patch(f"/users/{uid}", {"is_security_admin": True})
    assert _only("user.roles_changed").details == {"from": [], "to": ["security_admin"]}
    client.patch(f"/users/{uid}", {"password": "Reset-by-admin-1"})
    assert _only("auth.password_changed").details == {"by": "admin"}
    client.patch(f"/users/{uid}", {"active": False})
    assert _only("user.deactivated").target_id == uid


def test_a_refused_change_leaves_no_entry(app, api, f):
    admin = make_user("root_admin", is_admin=True)
    target = f.user("gina")
    client = api(admin)
    before = len(entries())
    status, _ = client.patch(f"/users/{target.id}", {"display_name": "G", "memberships": [
        {"org_id": 999999, "role": "owner"}]})
    assert status == 422
    assert [e.action for e in entries()[before:]] == []


@pytest.mark.parametrize("hops", [1])
def test_address_behind_a_proxy(app_settings, hops):
    """With LEDGER_PROXY_HOPS the address is the client's from X-Forwarded-For (ProxyFix), not the proxy's."""
    from ledger import create_app
    from tests.conftest import _fresh_request_state

    proxied = create_app({**app_settings, "LEDGER_PROXY_HOPS": hops})
    _fresh_request_state(proxied)
    with proxied.app_context():
        proxied.test_client().post("/api/v1/tokens", json={"username": "x", "password": "y" * 10},
                                   headers={"X-Forwarded-For": "203.0.113.7"})
        assert _only("auth.login_failed").address == "203.0.113.7"
        db.session.remove()
        db.engine.dispose()
