"""Sessions after authentication changes (ASVS 7.2.4, 7.4.3, 7.4.5, 11.4.1): a login starts from an empty
session with a new CSRF secret; turning one's own second factor on or off ends the other sessions; an admin
can end a user's sessions and tokens; the session cookie is signed with HMAC-SHA-256, a SHA-1 one is refused."""
from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from itsdangerous import URLSafeTimedSerializer

from ledger.core import clock
from ledger.core.db import db
from tests.auth.conftest import Browser, actions, code_for, token_from
from tests.auth.test_second_factor import enrol, login_first_step, second_step, signed_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.usefixtures("backend")


def _login_page_token(client) -> str:
    return token_from(client.get("/login").text)


def _plant(client) -> None:
    with client.session_transaction() as sess:
        sess["planted"] = "before-login"


def _session_keys(client) -> dict:
    with client.session_transaction() as sess:
        return dict(sess)


@pytest.mark.parametrize("with_factor", [False, True], ids=["password", "second_step"])
def test_login_starts_from_an_empty_session_with_a_new_csrf_secret(app, f, frozen, with_factor):
    user = f.user("tina")
    if with_factor:
        enrol(Browser(app.test_client(), user), user)
        frozen.advance(seconds=60)  # the confirming code's step is spent
    client = app.test_client()
    before = _login_page_token(client)
    _plant(client)
    pre_secret = _session_keys(client)["csrf_token"]
    response = client.post("/login", data={"username": "tina", "password": PASSWORD, "csrf_token": before})
    assert response.status_code == 302
    if with_factor:
        assert _session_keys(client).get("planted") == "before-login"  # not signed in yet: nothing cleared
        assert second_step(client, code_for(user)).status_code == 302
    assert signed_in(client)
    after = _session_keys(client)
    assert "planted" not in after
    assert after.get("csrf_token") != pre_secret  # a new CSRF secret, so a new token
    assert token_from(client.get("/account").text) != before


def _second_client(app, user, with_factor: bool):
    if not with_factor:
        return Browser(app.test_client(), user).client
    client, _ = login_first_step(app, user.username)
    assert second_step(client, code_for(user)).status_code == 302
    return client


def test_turning_the_own_factor_on_ends_the_other_sessions(app, f, frozen):
    user = f.user("tina")
    other = _second_client(app, user, with_factor=False)
    acting = Browser(app.test_client(), user)
    assert signed_in(other) and signed_in(acting.client)
    enrol(acting, user)
    assert not signed_in(other)
    assert signed_in(acting.client)  # the browser that turned it on stays in


@pytest.mark.parametrize("act", ["disable", "codes"])
def test_turning_the_own_factor_off_or_new_codes_end_the_other_sessions(app, f, frozen, act):
    user = f.user("tina")
    enrol(Browser(app.test_client(), user), user)
    frozen.advance(seconds=60)
    other = _second_client(app, user, with_factor=True)
    frozen.advance(seconds=60)
    client, _ = login_first_step(app, "tina")
    assert second_step(client, code_for(user)).status_code == 302
    acting = Browser(client)
    assert signed_in(other)
    url = "/account/second-factor/disable" if act == "disable" else "/account/second-factor/recovery-codes"
    ok = acting.post(url, {f"{act}-password": PASSWORD,
                           f"{act}-code": code_for(user, clock.now() + timedelta(seconds=30))})
    assert ok.status_code == (302 if act == "disable" else 200), ok.text
    assert not signed_in(other)
    assert signed_in(client)


def _api_token(app, username: str) -> str:
    response = app.test_client().post("/api/v1/tokens", json={"username": username, "password": PASSWORD})
    assert response.status_code == 201
    return response.get_json()["token"]


def _token_works(app, token: str) -> bool:
    status = app.test_client().get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"}).status_code
    assert status in (200, 401)
    return status == 200


def test_admin_ends_a_users_sessions_and_tokens(app, f):
    w = f.world()
    victim = Browser(app.test_client(), w.owner_a)
    token = _api_token(app, w.owner_a.username)
    assert signed_in(victim.client) and _token_works(app, token)
    admin = Browser(app.test_client(), w.admin)
    assert "结束该用户的全部登录" in admin.get(f"/admin/users/{w.owner_a.id}").text
    # a non-admin is refused, and nothing ends
    assert Browser(app.test_client(), w.sec_a).post(f"/admin/users/{w.owner_a.id}/sessions/end").status_code == 403
    assert signed_in(victim.client) and _token_works(app, token)
    assert admin.post(f"/admin/users/{w.owner_a.id}/sessions/end").status_code == 302
    assert not signed_in(victim.client)
    assert not _token_works(app, token)
    assert [(e.actor_id, e.target_type, e.target_id) for e in actions("auth.sessions_ended")] == [
        (w.admin.id, "user", w.owner_a.id)]
    assert signed_in(admin.client)  # only that user's sessions end


def test_session_cookie_is_sha256_signed_and_a_sha1_one_is_refused(app, f):
    user = f.user("tina")
    client = Browser(app.test_client(), user).client
    assert signed_in(client)  # the app's own cookie round-trips
    cookie = client.get_cookie("session").value
    interface = app.session_interface
    payload = interface.get_signing_serializer(app).loads(cookie)
    assert payload.get("_user_id")
    sha1 = URLSafeTimedSerializer(app.secret_key, salt=interface.salt, serializer=interface.serializer,
                                  signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1})
    forged = app.test_client()
    forged.set_cookie("session", sha1.dumps(payload))
    assert not signed_in(forged)
    db.session.rollback()
