"""The auditor and security-admin roles, and 三员分立 (LEDGER_SEPARATION_OF_DUTIES) in both modes."""
from __future__ import annotations

import pytest

from ledger.auth.models import User
from ledger.core.db import db
from tests.audit.conftest import make_user
from tests.factories import PASSWORD

ROLE_FLAGS = {"admin": "is_admin", "security_admin": "is_security_admin", "auditor": "is_auditor"}
PAIRS = [("admin", "security_admin"), ("admin", "auditor"), ("security_admin", "auditor")]


@pytest.fixture
def separation(app):
    app.config["LEDGER_SEPARATION_OF_DUTIES"] = True
    yield
    app.config["LEDGER_SEPARATION_OF_DUTIES"] = False


def run(app, *args, input=None):
    result = app.test_cli_runner().invoke(args=["ledger", *args], input=input)
    db.session.rollback()
    return result


def test_the_setting_defaults_to_off(app):
    assert app.config["LEDGER_SEPARATION_OF_DUTIES"] is False


@pytest.mark.parametrize("role", ["auditor", "security_admin"])
def test_create_user_on_the_command_line_with_a_system_role(app, role):
    result = run(app, "create-user", "sys1", "--role", role, input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    user = db.session.query(User).filter_by(username="sys1").one()
    assert getattr(user, ROLE_FLAGS[role]) and not user.is_admin and user.memberships == []


@pytest.mark.parametrize(("first", "second"), PAIRS)
def test_with_separation_no_account_holds_two_system_roles(app, api, separation, first, second):
    officer = make_user("officer", is_security_admin=True)
    status, body = api(officer).post("/users", {"username": "both", "password": PASSWORD,
                                                ROLE_FLAGS[first]: True, ROLE_FLAGS[second]: True})
    assert status == 422, body
    assert "三员分立" in body["error"]["details"]["fields"]["roles"]
    holder = make_user("holder", **{ROLE_FLAGS[first]: True})
    status, body = api(officer).patch(f"/users/{holder.id}", {ROLE_FLAGS[second]: True})
    assert status == 422 and "三员分立" in body["error"]["message"]
    db.session.refresh(holder)
    assert not getattr(holder, ROLE_FLAGS[second])


@pytest.mark.parametrize(("first", "second"), PAIRS)
def test_without_separation_roles_may_be_combined(app, api, first, second):
    admin = make_user("root_admin", is_admin=True)
    status, body = api(admin).post("/users", {"username": "both", "password": PASSWORD,
                                              ROLE_FLAGS[first]: True, ROLE_FLAGS[second]: True})
    assert status == 201, body
    assert body[ROLE_FLAGS[first]] and body[ROLE_FLAGS[second]]


def test_an_auditor_holds_no_organisation_role(app, api, f):
    org = f.org()
    admin = make_user("root_admin", is_admin=True)
    status, body = api(admin).post("/users", {"username": "aud", "password": PASSWORD, "is_auditor": True,
                                              "memberships": [{"org_id": org.id, "role": "secretary"}]})
    assert status == 422 and "审计管理员" in body["error"]["message"]
    member = f.user("member", [(org, "secretary")])
    status, body = api(admin).patch(f"/users/{member.id}", {"is_auditor": True})
    assert status == 422


@pytest.mark.parametrize("mode", ["off", "on"])
def test_who_manages_users(app, api, f, mode):
    """Off: the admin and the security admin both manage users. On: only the security admin does; the admin
    still runs organisations; the security admin runs nothing else."""
    app.config["LEDGER_SEPARATION_OF_DUTIES"] = mode == "on"
    admin, officer = make_user("root_admin", is_admin=True), make_user("officer", is_security_admin=True)
    target = f.user("target")
    for who, allowed in ((admin, mode == "off"), (officer, True)):
        client = api(who)
        status, body = client.post("/users", {"username": f"new_{who.username}", "password": PASSWORD})
        assert status == (201 if allowed else 403), (who.username, body)
        status, body = client.patch(f"/users/{target.id}", {"display_name": f"by {who.username}"})
        assert status == (200 if allowed else 403), (who.username, body)
    status, body = api(officer).post("/orgs", {"name": "新组织", "kind": "branch"})
    assert status == 403, body
    status, body = api(admin).post("/orgs", {"name": "新组织", "kind": "branch"})
    assert status == 201, body


@pytest.mark.parametrize("mode", ["off", "on"])
def test_user_pages_follow_the_same_rule(app, client, f, mode):
    from tests.api.support import login

    app.config["LEDGER_SEPARATION_OF_DUTIES"] = mode == "on"
    admin, officer = make_user("root_admin", is_admin=True), make_user("officer", is_security_admin=True)
    for who, allowed in ((admin, mode == "off"), (officer, True)):
        with app.test_client() as browser:
            login(browser, who.username, PASSWORD)
            for path in ("/admin/users", "/admin/users/new", f"/admin/users/{admin.id}"):
                assert browser.get(path).status_code == (200 if allowed else 403), (who.username, path)
            assert browser.get("/admin/orgs").status_code == (200 if who is admin else 403)


@pytest.mark.parametrize("mode", ["off", "on"])
def test_admin_navigation_offers_only_what_the_user_may_open(app, client, mode):
    from tests.api.support import login

    app.config["LEDGER_SEPARATION_OF_DUTIES"] = mode == "on"
    admin, officer = make_user("root_admin", is_admin=True), make_user("officer", is_security_admin=True)
    with app.test_client() as browser:
        login(browser, admin.username, PASSWORD)
        page = browser.get("/admin/orgs").get_data(as_text=True)
        assert ('href="/admin/users"' in page) == (mode == "off")
    with app.test_client() as browser:
        login(browser, officer.username, PASSWORD)
        page = browser.get("/admin/users").get_data(as_text=True)
        assert 'href="/admin/users"' in page and 'href="/admin/orgs"' not in page


def test_the_security_admin_home_page_leads_to_the_users(app, client):
    from tests.api.support import login

    officer = make_user("officer", is_security_admin=True)
    login(client, officer.username, PASSWORD)
    response = client.get("/")
    assert response.status_code == 200
    assert 'href="/admin/users"' in response.get_data(as_text=True)
