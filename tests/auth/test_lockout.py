"""Account lockout (等保 登录失败处理): after LEDGER_LOCKOUT_THRESHOLD consecutive failures the account refuses
every login for LEDGER_LOCKOUT_MINUTES, answering exactly as for a wrong password or an unknown name, on the
web and the API; the admin can lift it; a success resets the count."""
from __future__ import annotations

import re

import pytest

from ledger.auth.models import User
from ledger.core.db import db
from tests.auth.conftest import Browser, actions, code_for, token_from
from tests.factories import PASSWORD

pytestmark = pytest.mark.usefixtures("backend")
WRONG = "Wrong-pass-77"


def web_login(app, username: str, password: str):
    client = app.test_client()
    page = client.get("/login")
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token_from(page.text)})


def api_login(app, username: str, password: str, **extra):
    return app.test_client().post("/api/v1/tokens", json={"username": username, "password": password, **extra})


def _refusal(response) -> tuple:
    """What a refused login shows, without the per-page CSRF token."""
    body = re.sub(r'value="[^"]*"', "", response.get_data(as_text=True))
    return response.status_code, body


def lock(app, username: str, threshold: int = 5) -> None:
    for _ in range(threshold):
        assert api_login(app, username, WRONG).status_code == 401


def test_locked_after_the_threshold_on_web_and_api(app, f, frozen):
    user = f.user("lola")
    for _ in range(4):
        assert web_login(app, "lola", WRONG).status_code == 401
    assert web_login(app, "lola", PASSWORD).status_code == 302  # four: not yet
    lock(app, "lola")
    db.session.refresh(user)
    assert user.locked_until is not None
    assert web_login(app, "lola", PASSWORD).status_code == 401
    assert api_login(app, "lola", PASSWORD).status_code == 401
    assert [(e.target_id, e.address) for e in actions("auth.locked")] == [(user.id, "127.0.0.1")]
    frozen.advance(minutes=14)
    assert api_login(app, "lola", PASSWORD).status_code == 401
    frozen.advance(minutes=2)  # 15 minutes are over
    assert api_login(app, "lola", PASSWORD).status_code == 201


def test_a_locked_account_looks_like_a_wrong_password_and_an_unknown_name(app, f):
    f.user("mona")
    f.user("nina")
    lock(app, "mona")
    locked_web = _refusal(web_login(app, "mona", PASSWORD))
    wrong_web = _refusal(web_login(app, "nina", WRONG))
    unknown_web = _refusal(web_login(app, "nobody", WRONG))
    assert locked_web[0] == wrong_web[0] == unknown_web[0] == 401
    # the pages differ only in the name typed back into the form
    assert locked_web[1].replace("mona", "X") == wrong_web[1].replace("nina", "X") == unknown_web[1].replace(
        "nobody", "X")
    locked_api, wrong_api, unknown_api = (api_login(app, "mona", PASSWORD), api_login(app, "nina", WRONG),
                                          api_login(app, "nobody", WRONG))
    assert locked_api.get_json() == wrong_api.get_json() == unknown_api.get_json()
    assert locked_api.status_code == wrong_api.status_code == unknown_api.status_code == 401


def test_a_success_resets_the_count(app, f):
    user = f.user("olga")
    for _ in range(2):
        for _ in range(4):
            assert api_login(app, "olga", WRONG).status_code == 401
        assert api_login(app, "olga", PASSWORD).status_code == 201
    db.session.refresh(user)
    assert user.failed_logins == 0 and user.locked_until is None


def test_second_factor_failures_count_too(app, f, frozen):
    from ledger.auth import second_factor

    user = f.user("pia")
    second_factor.start_enrolment(user)
    second_factor.confirm_enrolment(user, code_for(user))
    db.session.commit()
    frozen.advance(seconds=60)
    for _ in range(5):
        assert api_login(app, "pia", PASSWORD, otp="000000").status_code == 401
    db.session.refresh(user)
    assert user.locked_until is not None
    assert api_login(app, "pia", PASSWORD, otp=code_for(user)).status_code == 401


def test_admin_unlocks(app, f, w):
    user = f.user("rita")
    lock(app, "rita")
    admin = Browser(app.test_client(), w.admin)
    assert "解除锁定" in admin.get(f"/admin/users/{user.id}").text
    assert Browser(app.test_client(), w.sec_a).post(f"/admin/users/{user.id}/unlock").status_code == 403
    assert api_login(app, "rita", PASSWORD).status_code == 401
    assert admin.post(f"/admin/users/{user.id}/unlock").status_code == 302
    assert api_login(app, "rita", PASSWORD).status_code == 201
    assert [e.actor_id for e in actions("auth.unlocked")] == [w.admin.id]


@pytest.mark.parametrize("app_settings", [{"LEDGER_LOCKOUT_THRESHOLD": 2, "LEDGER_LOCKOUT_MINUTES": 1}],
                         indirect=True)
def test_the_settings_are_read(app, f, frozen):
    f.user("sara")
    lock(app, "sara", threshold=2)
    assert api_login(app, "sara", PASSWORD).status_code == 401
    frozen.advance(minutes=1, seconds=1)
    assert api_login(app, "sara", PASSWORD).status_code == 201
    assert db.session.get(User, db.session.scalar(db.select(User.id).where(User.username == "sara")))
