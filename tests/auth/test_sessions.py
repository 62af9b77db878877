"""Browser sessions end after LEDGER_SESSION_IDLE_MINUTES without a request and LEDGER_SESSION_MAX_HOURS after
the login, whatever the activity: the page sends the user to /login with a message, the API answers 401."""
from __future__ import annotations

import pytest

from tests.auth.conftest import Browser, actions

pytestmark = pytest.mark.usefixtures("backend")


def assert_sent_to_login(response) -> None:
    assert response.status_code == 302 and "/login" in response.headers["Location"], response.status_code


def test_idle_session_ends(app, w, frozen):
    b = Browser(app.test_client(), w.sec_a)
    frozen.advance(minutes=29)
    assert b.get("/items").status_code == 200  # active: the idle time starts again
    frozen.advance(minutes=29)
    assert b.get("/items").status_code == 200
    frozen.advance(minutes=31)
    response = b.get("/items?status=pending")
    assert_sent_to_login(response)
    assert "next=/items?status%3Dpending" in response.headers["Location"] or "next=" in response.headers["Location"]
    page = b.get(response.headers["Location"])
    assert "登录已超时" in page.text
    assert b.get("/items").status_code == 302  # logged out for good, not just once
    assert [e.actor_id for e in actions("auth.session_expired")] == [w.sec_a.id]


def test_idle_session_ends_for_the_api_too(app, w, frozen):
    b = Browser(app.test_client(), w.sec_a)
    assert b.get("/api/v1/items").status_code == 200
    frozen.advance(minutes=31)
    response = b.get("/api/v1/items")
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized"
    assert b.get("/api/v1/items").status_code == 401
    assert len(actions("auth.session_expired")) == 1  # recorded though the answer was a refusal


def test_absolute_time_ends_an_active_session(app, w, frozen):
    b = Browser(app.test_client(), w.sec_a)
    for _ in range(35):  # a request every 20 minutes for 11 h 40 min
        frozen.advance(minutes=20)
        assert b.get("/api/v1/users/me").status_code == 200
    frozen.advance(minutes=19)
    assert b.get("/items").status_code == 200  # 11 h 59 min
    frozen.advance(minutes=2)
    assert_sent_to_login(b.get("/items"))


@pytest.mark.parametrize("app_settings", [{"LEDGER_SESSION_IDLE_MINUTES": 5, "LEDGER_SESSION_MAX_HOURS": 1}],
                         indirect=True)
def test_the_settings_are_read(app, w, frozen):
    b = Browser(app.test_client(), w.sec_a)
    frozen.advance(minutes=4)
    assert b.get("/items").status_code == 200
    frozen.advance(minutes=6)
    assert_sent_to_login(b.get("/items"))
    b = Browser(app.test_client(), w.sec_a)
    for _ in range(15):
        frozen.advance(minutes=4)
        assert b.get("/items").status_code == 200 or frozen.now is None
    frozen.advance(minutes=1)
    assert_sent_to_login(b.get("/items"))


def test_a_cookie_without_login_times_is_refused(app, w):
    """Sessions from before the times were kept (or forged without them) count as expired."""
    b = Browser(app.test_client(), w.sec_a)
    with b.client.session_transaction() as session:
        session.pop("auth_at")
    assert_sent_to_login(b.get("/items"))
