"""Authentication: tokens, sessions that die on logout / password change / deactivation, rate-limited
logins checked before any hashing, argon2id, and the command line's user and token commands."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ledger.auth.models import ApiToken, User
from ledger.core.db import db
from tests.api.support import csrf_from, error_of, login
from tests.factories import PASSWORD

NEW_PASSWORD = "Another-pass-2"
pytestmark = pytest.mark.usefixtures("isolated_requests")


@pytest.fixture
def app_settings(app_settings, request):
    """Settings for this module's app; a test may add to them with ``indirect`` parametrisation."""
    return {**app_settings, **getattr(request, "param", {})}


@pytest.fixture
def people(f, fast_hashing):
    org = f.org("甲支部")
    return {"org": org, "admin": f.user("admin", admin=True),
            "sec": f.user("sec", [(org, "secretary")]), "owner": f.user("owner", [(org, "owner")])}


def cookie_of(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.value
    return cookie.value


def replay(app, cookie: str) -> tuple[int, str, int]:
    """A fresh browser presenting only ``cookie``: (status of /, its Location, status of /api/v1/items)."""
    fresh = app.test_client()
    fresh.set_cookie("session", cookie)
    home = fresh.get("/")
    api = fresh.get("/api/v1/items")
    return home.status_code, home.headers.get("Location", ""), api.status_code


def assert_refused(app, cookie: str) -> None:
    status, location, api_status = replay(app, cookie)
    assert status == 302 and "/login" in location, (status, location)
    assert api_status == 401


def signed_in(app, username: str, password: str = PASSWORD):
    client = app.test_client()
    response = login(client, username, password)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


# --- tokens -------------------------------------------------------------------------------------

def test_token_for_good_credentials_and_401_otherwise(people, api, client, backend):
    anonymous = api(None)
    status, body = anonymous.post("/tokens", {"username": "sec", "password": PASSWORD})
    assert status == 201 and set(body) == {"token"} and len(body["token"]) > 30
    me = client.get("/api/v1/users/me", headers=bearer(body["token"]))
    assert me.status_code == 200 and me.get_json()["username"] == "sec"
    # stored hashed: the raw token is nowhere in the table
    assert not db.session.scalar(select(func.count()).select_from(ApiToken).where(
        ApiToken.token_hash == body["token"]))
    for username, password in (("sec", "wrong-password"), ("nobody", PASSWORD), ("SEC", "x" * 9)):
        status, answer = anonymous.post("/tokens", {"username": username, "password": password})
        assert status == 401 and error_of(answer)["code"] == "unauthorized"
    people["owner"].active = False
    db.session.commit()
    status, answer = anonymous.post("/tokens", {"username": "owner", "password": PASSWORD})
    assert status == 401


def test_a_bad_bearer_token_is_401_and_never_falls_back_to_the_cookie(people, app, backend):
    browser = signed_in(app, "sec")
    assert browser.get("/api/v1/items").status_code == 200  # the cookie alone works
    for header in ("Bearer lt_not-a-real-token", "Bearer ", "Basic c2VjOlNlY3JldC1wYXNzLTE=", "Token abc"):
        response = browser.get("/api/v1/items", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert error_of(response.get_json())["code"] == "unauthorized"
    response = browser.post("/api/v1/opinions", json={"org_id": people["org"].id, "channel": "meeting",
                                                      "content": "x"},
                            headers={"Authorization": "Bearer lt_forged"})
    assert response.status_code == 401


def test_cookie_writes_need_the_csrf_token(people, app, backend):
    browser = signed_in(app, "sec")
    body = {"org_id": people["org"].id, "channel": "meeting", "content": "会话写入"}
    response = browser.post("/api/v1/opinions", json=body)
    assert response.status_code == 400 and error_of(response.get_json())["code"] == "csrf"
    token = csrf_from(browser.get("/").get_data(as_text=True))
    response = browser.post("/api/v1/opinions", json=body, headers={"X-CSRFToken": token})
    assert response.status_code == 201


def test_create_token_command(people, app, client, backend):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["ledger", "create-token", "owner"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    response = client.get("/api/v1/users/me", headers=bearer(token))
    assert response.status_code == 200 and response.get_json()["username"] == "owner"
    result = runner.invoke(args=["ledger", "create-token", "nobody"])
    assert result.exit_code != 0 and "nobody" in result.output


# --- sessions and tokens die with logout, password change, deactivation ----------------------------

def test_cookie_and_token_replayed_after_logout_are_refused(people, app, client, backend):
    browser = signed_in(app, "sec")
    cookie = cookie_of(browser)
    token = api_token(client, "sec")
    assert replay(app, cookie)[0] == 200
    csrf = csrf_from(browser.get("/").get_data(as_text=True))
    response = browser.post("/logout", data={"csrf_token": csrf})
    assert response.status_code == 302
    assert_refused(app, cookie)
    assert client.get("/api/v1/users/me", headers=bearer(token)).status_code == 401


def test_cookie_and_token_replayed_after_a_password_change_are_refused(people, app, client, backend):
    other_browser = signed_in(app, "sec")
    old_cookie = cookie_of(other_browser)
    token = api_token(client, "sec")
    browser = signed_in(app, "sec")
    csrf = csrf_from(browser.get("/account/password").get_data(as_text=True))
    response = browser.post("/account/password", data={"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                                       "confirm": NEW_PASSWORD, "csrf_token": csrf})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert_refused(app, old_cookie)
    assert client.get("/api/v1/users/me", headers=bearer(token)).status_code == 401
    assert browser.get("/").status_code == 200  # the browser that changed it stays signed in
    assert login(app.test_client(), "sec", PASSWORD).status_code == 401
    assert login(app.test_client(), "sec", NEW_PASSWORD).status_code == 302


def test_cookie_and_token_replayed_after_an_admin_sets_the_password_are_refused(people, app, client, api, backend):
    cookie = cookie_of(signed_in(app, "owner"))
    token = api_token(client, "owner")
    status, body = api(people["admin"]).patch(f"/users/{people['owner'].id}", {"password": NEW_PASSWORD})
    assert status == 200, body
    assert_refused(app, cookie)
    assert client.get("/api/v1/users/me", headers=bearer(token)).status_code == 401
    assert login(app.test_client(), "owner", NEW_PASSWORD).status_code == 302


def test_cookie_and_token_replayed_after_deactivation_are_refused(people, app, client, api, backend):
    cookie = cookie_of(signed_in(app, "owner"))
    token = api_token(client, "owner")
    status, body = api(people["admin"]).patch(f"/users/{people['owner'].id}", {"active": False})
    assert status == 200 and body["active"] is False
    assert_refused(app, cookie)
    assert client.get("/api/v1/users/me", headers=bearer(token)).status_code == 401
    assert login(app.test_client(), "owner", PASSWORD).status_code == 401
    # re-activating does not bring the old cookie or token back
    status, body = api(people["admin"]).patch(f"/users/{people['owner'].id}", {"active": True})
    assert status == 200
    assert_refused(app, cookie)
    assert client.get("/api/v1/users/me", headers=bearer(token)).status_code == 401


def api_token(client, username: str) -> str:
    response = client.post("/api/v1/tokens", json={"username": username, "password": PASSWORD})
    assert response.status_code == 201
    return response.get_json()["token"]


# --- rate limiting, before any hashing ----------------------------------------------------------

@pytest.fixture
def hash_calls(monkeypatch):
    """Counts password verifications (wherever the module-level name is used)."""
    from ledger.auth import passwords, services

    calls = []
    real = passwords.verify_password

    def counting(stored, password):
        calls.append(1)
        return real(stored, password)
    monkeypatch.setattr(passwords, "verify_password", counting)
    monkeypatch.setattr(services, "verify_password", counting)
    return calls


@pytest.mark.parametrize("app_settings", [{"LEDGER_LOGIN_LIMIT_ACCOUNT": "3 per minute",
                                           "LEDGER_LOGIN_LIMIT_ADDRESS": "1000 per minute"}], indirect=True)
def test_wrong_passwords_are_limited_per_account_before_hashing(people, app, hash_calls, backend):
    browser = app.test_client()
    for _ in range(3):
        assert login(browser, "sec", "wrong-password").status_code == 401
    assert len(hash_calls) == 3
    response = login(browser, "sec", "wrong-password")
    assert response.status_code == 429
    response = login(app.test_client(), "sec", PASSWORD)  # even the right password, from anywhere
    assert response.status_code == 429
    assert len(hash_calls) == 3, "a limited attempt must not reach the password hash"
    # the JSON token route shares the account's budget
    response = app.test_client().post("/api/v1/tokens", json={"username": "sec", "password": PASSWORD})
    assert response.status_code == 429 and error_of(response.get_json())["code"] == "too_many_requests"
    assert len(hash_calls) == 3
    # another account is not affected
    assert login(app.test_client(), "owner", PASSWORD).status_code == 302


@pytest.mark.parametrize("app_settings", [{"LEDGER_LOGIN_LIMIT_ACCOUNT": "1000 per minute",
                                           "LEDGER_LOGIN_LIMIT_ADDRESS": "4 per minute"}], indirect=True)
def test_logins_are_limited_per_address_before_hashing(people, app, hash_calls, backend):
    client = app.test_client()
    for name in ("a1", "a2", "a3", "a4"):  # four different (unknown) accounts from one address
        response = client.post("/api/v1/tokens", json={"username": name, "password": "wrong-password"})
        assert response.status_code == 401
    calls = len(hash_calls)
    response = client.post("/api/v1/tokens", json={"username": "sec", "password": PASSWORD})
    assert response.status_code == 429 and error_of(response.get_json())["code"] == "too_many_requests"
    assert len(hash_calls) == calls
    assert login(client, "sec", PASSWORD).status_code == 429  # the form shares the address's budget
    assert len(hash_calls) == calls
    other = app.test_client()
    response = other.post("/api/v1/tokens", json={"username": "sec", "password": PASSWORD},
                          environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert response.status_code == 201


# --- hashing and the command line ---------------------------------------------------------------

@pytest.mark.real_hashing
def test_passwords_are_argon2id_with_current_parameters(f, app, backend):
    from argon2 import PasswordHasher

    from ledger.auth import passwords

    user = f.user("hashme")
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    params = passwords._hasher
    assert isinstance(params, PasswordHasher)
    # at least OWASP's argon2id minimum (19 MiB, two passes)
    assert params.memory_cost >= 19 * 1024 and params.time_cost >= 2
    assert passwords.verify_password(user.password_hash, PASSWORD)
    assert not passwords.verify_password(user.password_hash, "wrong")
    assert not passwords.verify_password(None, PASSWORD)


@pytest.mark.parametrize("app_settings", [{"LEDGER_ENV": "production"}], indirect=True)
def test_demo_refuses_a_production_configuration(app, backend):
    result = app.test_cli_runner().invoke(args=["ledger", "demo"])
    assert result.exit_code != 0 and "production" in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_create_user_reads_the_password_from_stdin(f, app, backend, fast_hashing):
    org = f.org("甲支部")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["ledger", "create-user", "newbie", "--role", "owner", "--org", str(org.id),
                                 "--email", "n@example.org"], input="Stdin-pass-77\n")
    assert result.exit_code == 0, result.output
    assert "Stdin-pass-77" not in result.output
    from ledger.auth.services import authenticate

    db.session.expire_all()
    user = authenticate("newbie", "Stdin-pass-77")
    assert user is not None and [(m.org_id, m.role) for m in user.memberships] == [(org.id, "owner")]
    # a password that is too short is refused and creates nobody
    result = runner.invoke(args=["ledger", "create-user", "shorty", "--role", "owner", "--org", str(org.id)],
                           input="short\n")
    assert result.exit_code != 0
    assert db.session.scalar(select(User).where(User.username == "shorty")) is None
