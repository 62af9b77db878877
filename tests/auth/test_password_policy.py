"""The password policy on every path that sets a password (API create and change, admin pages create and
reset, the user's own change, the command line), said on every such form before anything is typed."""
from __future__ import annotations

import pytest

from ledger.auth.policy import PASSWORD_RULE, password_problem
from ledger.core.db import db
from tests.auth.conftest import Browser
from tests.factories import PASSWORD

pytestmark = pytest.mark.usefixtures("backend")
NAME = "zhangwei"
# (password, what the refusal says) — each for a user named NAME
REFUSED = [("Sh0rt!", "至少 8 位"), ("password1", "常见密码"), ("PASSWORD1", "常见密码"), ("12345678", "常见密码"),
           ("qwertyuiop", "常见密码"), ("iloveyou", "常见密码"), ("Zhangwei-2026", "用户名"),
           ("my-ＺＨＡＮＧＷＥＩ-pw", "用户名")]
GOOD = "Tea-kettle-51"


def test_the_rule():
    for password, reason in REFUSED:
        problem = password_problem(password, NAME)
        assert problem and reason in problem, (password, problem)
    assert password_problem(GOOD, NAME) is None
    assert password_problem("Secret-pass-1", "sec") is None  # a name under 4 characters is not looked for


def test_the_demo_passwords_pass():
    from ledger.demo import DEMO_PASSWORD

    for username in ("admin", "secretary", "secretary2", "secretary3", "owner", "owner2", "owner3", "supervisor"):
        assert password_problem(DEMO_PASSWORD, username) is None, username


def _api_create(app, api, w, password):
    status, body = api(w.admin).post("/users", {"username": NAME, "password": password})
    return status, str(body)


def _existing(w):
    from ledger.auth.services import user_by_name
    from tests.factories import Factory

    return user_by_name(NAME) or Factory().user(NAME, [(w.org_a, "owner")])


def _api_reset(app, api, w, password):
    user = _existing(w)
    status, body = api(w.admin).patch(f"/users/{user.id}", {"password": password})
    return status, str(body)


def _admin_create(app, api, w, password):
    page = Browser(app.test_client(), w.admin).post("/admin/users/new", {
        "username": NAME, "display_name": "张伟", "password": password, "org_id": w.org_a.id, "role": "owner"})
    return page.status_code, page.text


def _admin_reset(app, api, w, password):
    user = _existing(w)
    page = Browser(app.test_client(), w.admin).post(f"/admin/users/{user.id}", {
        "display_name": "张伟", "email": "", "password": password, "active": "y"})
    return page.status_code, page.text


def _own_change(app, api, w, password):
    user = _existing(w)
    page = Browser(app.test_client(), user).post("/account/password", {
        "current_password": PASSWORD, "new_password": password, "confirm": password})
    return page.status_code, page.text


def _cli_create(app, api, w, password):
    result = app.test_cli_runner().invoke(args=["ledger", "create-user", NAME, "--role", "admin"],
                                          input=password + "\n")
    return (0 if result.exit_code == 0 else 422), result.output


PATHS = {"api-create": _api_create, "api-reset": _api_reset, "admin-create": _admin_create,
         "admin-reset": _admin_reset, "own-change": _own_change, "cli-create": _cli_create}
ACCEPTED = {"api-create": 201, "api-reset": 200, "admin-create": 302, "admin-reset": 302, "own-change": 302,
            "cli-create": 0}


@pytest.mark.parametrize("path", sorted(PATHS))
def test_every_path_refuses_and_says_why(app, api, w, path):
    for password, reason in REFUSED:
        status, text = PATHS[path](app, api, w, password)
        assert status == 422 and reason in text, (path, password, status, text[:300])
        db.session.rollback()
    status, text = PATHS[path](app, api, w, GOOD)
    assert status == ACCEPTED[path], (path, status, text[:300])


@pytest.mark.parametrize("page", ["/account/password", "/admin/users/new", "user-edit"])
def test_every_form_says_the_rule_before_typing(app, w, page):
    b = Browser(app.test_client(), w.admin)
    url = f"/admin/users/{w.owner_a.id}" if page == "user-edit" else page
    html = b.get(url).text
    assert str(PASSWORD_RULE) in html and 'aria-describedby="' in html


def test_the_command_line_says_the_rule(app):
    result = app.test_cli_runner().invoke(args=["ledger", "create-user", "--help"])
    assert "not a common" in result.output and "username" in result.output
