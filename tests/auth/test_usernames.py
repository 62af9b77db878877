"""Finding 8: usernames are one per NFKC + casefold key, on SQLite as on PostgreSQL: "Äbc" and "äbc" are the
same user (the second is refused, not a 500), and every way in finds the user by that key."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from ledger.auth import services
from ledger.auth.models import User
from ledger.auth.names import username_key
from ledger.core.db import db
from ledger.core.errors import Invalid
from tests.auth.conftest import Browser, token_from
from tests.factories import PASSWORD

pytestmark = pytest.mark.usefixtures("backend")
# (first, second): one key, so the second is the same username.
SAME = [("Äbc", "äbc"), ("Äbc", "ÄBC"), ("ADMİN", "ADMİN"), ("Straße", "STRASSE"), ("ｗａｎｇ", "Wang"),
        ("Ǆemo", "ǆemo"), ("Ｌｉ", "li"), ("ﬁona", "FIONA")]
DIFFERENT = [("abc", "abd"), ("王芳", "王方"), ("a.b", "ab")]


def test_the_key():
    assert username_key("  Äbc ") == username_key("äbc") == "äbc"
    assert username_key("A\u0308bc") == username_key("Äbc")  # decomposed Ä
    assert username_key("ＡＤＭＩＮ") == "admin"


@pytest.mark.parametrize(("first", "second"), SAME)
def test_same_key_refused_through_the_service(app, f, first, second):
    f.user(first)
    with pytest.raises(Invalid) as refused:
        services.create_user(None, second, PASSWORD)
    assert "username" in refused.value.fields
    db.session.rollback()
    assert db.session.scalar(select(db.func.count()).select_from(User)) == 1


@pytest.mark.parametrize(("first", "second"), DIFFERENT)
def test_different_keys_are_different_users(app, f, first, second):
    f.user(first)
    f.user(second)


def test_api_and_admin_page_refuse_a_same_key_username(app, f, api, w):
    admin = api(w.admin)
    status, body = admin.post("/users", {"username": "ADMİN", "password": PASSWORD})
    assert status == 201, body
    for again in ("ADMİN", "admi̇n", "ＡＤＭİＮ"):
        status, body = admin.post("/users", {"username": again, "password": PASSWORD})
        assert status == 422 and "username" in body["error"]["details"]["fields"], (again, status, body)
    b = Browser(app.test_client(), w.admin)
    page = b.post("/admin/users/new", {"username": "admi̇n", "display_name": "x", "password": PASSWORD,
                                       "org_id": w.org_a.id, "role": "owner"})
    assert page.status_code == 422 and "用户名已存在" in page.text


@pytest.mark.parametrize("typed", ["Äbc", "äbc", "ÄBC", "A\u0308bc", " äbc "])
def test_every_spelling_of_the_key_signs_in(app, f, typed):
    f.user("Äbc")
    client = app.test_client()
    page = client.get("/login")
    web = client.post("/login", data={"username": typed, "password": PASSWORD, "csrf_token": token_from(page.text)})
    assert web.status_code == 302, typed
    api = app.test_client().post("/api/v1/tokens", json={"username": typed, "password": PASSWORD})
    assert api.status_code == 201, typed


def test_lookups_by_name_use_the_key(app, f, w):
    user = f.user("Ärger", [(w.org_a, "owner")])
    assert services.user_by_name("ärger").id == user.id
    assert services.find_user(w.sec_a, "ÄRGER").id == user.id


def test_cli_finds_users_by_the_key(app, f):
    f.user("Ölz")
    result = app.test_cli_runner().invoke(args=["ledger", "create-token", "ölz"])
    assert result.exit_code == 0 and result.output.startswith("lt_"), result.output


def test_the_key_is_unique_in_the_database(app, f):
    """Even written past the service, two rows with one key are refused by the database itself."""
    from sqlalchemy.exc import IntegrityError

    f.user("Kai")
    db.session.add(User(username="KAI", username_key="kai", session_token="s", password_hash=""))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
