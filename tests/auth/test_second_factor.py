"""The TOTP second factor: enrolment with a QR code, login in two steps, wrong and replayed codes, single-use
recovery codes, turning it off, new recovery codes, the admin's reset, enforcement for admins and supervisors
when LEDGER_REQUIRE_2FA is on, and POST /api/v1/tokens with ``otp``."""
from __future__ import annotations

import hashlib
import re

import pytest
from sqlalchemy import select

from ledger.auth import second_factor
from ledger.auth.models import RecoveryCode
from ledger.core.db import db
from tests.auth.conftest import Browser, actions, code_for, token_from
from tests.factories import PASSWORD

pytestmark = pytest.mark.usefixtures("backend")
REQUIRED = {"LEDGER_REQUIRE_2FA": True}


def enrol(b: Browser, user) -> list[str]:
    """Through the pages: start, scan (read the secret), confirm; answers the recovery codes shown."""
    page = b.get("/account/second-factor/enrol")
    assert page.status_code == 200 and "开始绑定" in page.text
    assert b.post("/account/second-factor/enrol", {"start-csrf_token": token_from(page.text)},
                  csrf=False).status_code == 302
    page = b.get("/account/second-factor/enrol")
    assert 'src="data:image/svg+xml;base64,' in page.text
    db.session.refresh(user)
    grouped = " ".join(user.totp_secret[i:i + 4] for i in range(0, len(user.totp_secret), 4))
    assert grouped in page.text  # the secret for typing by hand
    done = b.post("/account/second-factor/enrol", {"code": code_for(user), "csrf_token": token_from(page.text)})
    assert done.status_code == 200 and "两步验证已启用" in done.text
    assert "no-store" in done.headers.get("Cache-Control", "")  # the codes never land in a cache
    return re.findall(r'<li class="list-group-item">([a-z0-9]{5}-[a-z0-9]{5})</li>', done.text)


def login_first_step(app, username: str, password: str = PASSWORD):
    client = app.test_client()
    page = client.get("/login")
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": token_from(page.text)})
    return client, response


def second_step(client, code: str):
    page = client.get("/login/second-factor")
    return client.post("/login/second-factor", data={"code": code, "csrf_token": token_from(page.text)})


def signed_in(client) -> bool:
    return client.get("/account").status_code == 200


@pytest.fixture
def enrolled(app, f, frozen):
    user = f.user("tina")
    codes = enrol(Browser(app.test_client(), user), user)
    frozen.advance(seconds=60)  # the confirming code's step is spent
    return user, codes


def test_enrolment_shows_ten_codes_once_and_stores_only_hashes(app, enrolled):
    user, codes = enrolled
    assert user.totp_enabled and len(codes) == 10 == len(set(codes))
    stored = db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)).all()
    assert sorted(stored) == sorted(hashlib.sha256(c.replace("-", "").encode()).hexdigest() for c in codes)
    assert not set(codes) & set(stored)
    settings = Browser(app.test_client(), None)
    assert settings.get("/account/second-factor").status_code == 302  # anonymous: to the login
    assert [e.target_id for e in actions("auth.totp_enabled")] == [user.id]


def test_a_wrong_code_does_not_confirm_enrolment(app, f):
    user = f.user("uma")
    b = Browser(app.test_client(), user)
    page = b.get("/account/second-factor/enrol")
    b.post("/account/second-factor/enrol", {"start-csrf_token": token_from(page.text)}, csrf=False)
    refused = b.post("/account/second-factor/enrol", {"code": "000000"})
    assert refused.status_code == 422 and "验证码不正确" in refused.text
    db.session.refresh(user)
    assert not user.totp_enabled and user.totp_secret


def test_login_asks_for_the_code_and_refuses_a_wrong_one(app, enrolled):
    user, _ = enrolled
    client, first = login_first_step(app, "tina")
    assert first.status_code == 302 and first.headers["Location"].endswith("/login/second-factor")
    assert not signed_in(client)  # the password alone signs nobody in
    wrong = second_step(client, "123456" if code_for(user) != "123456" else "654321")
    assert wrong.status_code == 401 and "验证码不正确" in wrong.text and not signed_in(client)
    right = second_step(client, code_for(user))
    assert right.status_code == 302 and signed_in(client)


def test_a_used_code_is_refused_within_its_window(app, enrolled):
    user, _ = enrolled
    code = code_for(user)
    client, _ = login_first_step(app, "tina")
    assert second_step(client, code).status_code == 302
    again, _ = login_first_step(app, "tina")
    replay = second_step(again, code)
    assert replay.status_code == 401 and not signed_in(again)


def test_a_recovery_code_works_once(app, enrolled):
    user, codes = enrolled
    client, _ = login_first_step(app, "tina")
    assert second_step(client, codes[0].upper().replace("-", " ")).status_code == 302  # typed loosely
    again, _ = login_first_step(app, "tina")
    assert second_step(again, codes[0]).status_code == 401
    assert second_factor.remaining_recovery_codes(user) == 9
    assert len(actions("auth.recovery_code_used")) == 1


def test_turn_off_needs_password_and_code(app, enrolled):
    user, _ = enrolled
    client, _ = login_first_step(app, "tina")
    second_step(client, code_for(user))
    b = Browser(client)
    assert b.post("/account/second-factor/disable", {"disable-password": "wrong-pass-9",
                                                     "disable-code": code_for(user)}).status_code == 422
    assert b.post("/account/second-factor/disable", {"disable-password": PASSWORD,
                                                     "disable-code": "000001"}).status_code == 422
    db.session.refresh(user)
    assert user.totp_enabled
    from datetime import timedelta

    from ledger.core import clock

    ok = b.post("/account/second-factor/disable", {"disable-password": PASSWORD,
                                                   "disable-code": code_for(user, clock.now() + timedelta(seconds=30))})
    assert ok.status_code == 302
    db.session.refresh(user)
    assert not user.totp_enabled and user.totp_secret is None
    assert not db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)).all()
    assert len(actions("auth.totp_disabled")) == 1


def test_new_recovery_codes_replace_the_old(app, enrolled, frozen):
    user, old = enrolled
    client, _ = login_first_step(app, "tina")
    second_step(client, code_for(user))
    frozen.advance(seconds=60)
    b = Browser(client)
    page = b.post("/account/second-factor/recovery-codes", {"codes-password": PASSWORD, "codes-code": code_for(user)})
    assert page.status_code == 200
    new = re.findall(r'<li class="list-group-item">([a-z0-9]{5}-[a-z0-9]{5})</li>', page.text)
    assert len(new) == 10 and not set(new) & set(old)
    again, _ = login_first_step(app, "tina")
    assert second_step(again, old[1]).status_code == 401
    assert second_step(again, new[1]).status_code == 302
    assert len(actions("auth.recovery_codes_regenerated")) == 1


def test_admin_resets_a_lost_factor(app, enrolled, w):
    user, _ = enrolled
    admin = Browser(app.test_client(), w.admin)
    page = admin.get(f"/admin/users/{user.id}")
    assert "重置两步验证" in page.text
    assert admin.post(f"/admin/users/{user.id}/second-factor/reset").status_code == 302
    db.session.refresh(user)
    assert not user.totp_enabled
    client, first = login_first_step(app, "tina")
    assert first.status_code == 302 and signed_in(client)  # the password alone again (not required for her)
    assert [e.actor_id for e in actions("auth.totp_reset")] == [w.admin.id]
    # only an admin may
    other = Browser(app.test_client(), w.sec_a)
    assert other.post(f"/admin/users/{user.id}/second-factor/reset").status_code == 403


@pytest.mark.parametrize("app_settings", [REQUIRED], indirect=True)
@pytest.mark.parametrize("who", ["admin", "sup_root", "sup_a"])
def test_required_roles_must_enrol_before_anything_else(app, w, who, frozen):
    user = getattr(w, who)
    assert second_factor.requires_second_factor(user)
    b = Browser(app.test_client(), user)
    for path in ("/", "/items", "/account", "/admin/users", "/account/tokens"):
        response = b.get(path)
        assert response.status_code == 302 and response.headers["Location"].endswith(
            "/account/second-factor/enrol"), (path, response.status_code)
    for static in ("/static/ledger.css", "/bootstrap/static/css/bootstrap.min.css"):  # the page needs its styles
        response = b.get(static)
        response.close()
        assert response.status_code == 200, static
    api = b.get("/api/v1/items")
    assert api.status_code == 403 and api.get_json()["error"]["code"] == "second_factor_required"
    token = app.test_client().post("/api/v1/tokens", json={"username": user.username, "password": PASSWORD})
    assert token.status_code == 403
    from ledger.auth.services import issue_token

    earlier = issue_token(user, "before the setting")  # a token from before enrolment was required
    db.session.commit()
    held = app.test_client().get("/api/v1/items", headers={"Authorization": f"Bearer {earlier}"})
    assert held.status_code == 401
    codes = enrol(b, user)
    assert len(codes) == 10
    assert b.get("/items").status_code == 200
    # and from now on the login asks for the code, the token too
    frozen.advance(seconds=60)
    client, first = login_first_step(app, user.username)
    assert first.headers["Location"].endswith("/login/second-factor")


@pytest.mark.parametrize("app_settings", [REQUIRED], indirect=True)
def test_others_may_go_without(app, w):
    for user in (w.sec_a, w.owner_a):
        assert not second_factor.requires_second_factor(user)
        assert Browser(app.test_client(), user).get("/items").status_code == 200


def test_setting_off_requires_nobody(app, w):
    assert not second_factor.requires_second_factor(w.admin)
    assert Browser(app.test_client(), w.admin).get("/admin/users").status_code == 200


def test_token_with_otp(app, enrolled, frozen):
    user, codes = enrolled
    client = app.test_client()

    def token(**body):
        return client.post("/api/v1/tokens", json={"username": "tina", "password": PASSWORD, **body})

    missing = token()
    assert missing.status_code == 401 and missing.get_json()["error"]["code"] == "unauthorized"
    assert token(otp="000000" if code_for(user) != "000000" else "111111").status_code == 401
    code = code_for(user)
    assert token(otp=code).status_code == 201
    assert token(otp=code).status_code == 401  # replay
    assert token(otp=codes[3]).status_code == 201
    assert token(otp=codes[3]).status_code == 401
    frozen.advance(seconds=60)
    assert token(otp=code_for(user), name="ci").status_code == 201
    # the body model documents it
    schema = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["TokenRequest"]
    assert "otp" in schema["properties"] and "otp" not in schema.get("required", [])
