"""Finding 6: the per-account login limit is keyed on the body exactly as the view parses it, so no
Content-Type (text/plain, form-encoded, JSON with a charset) gets past it."""
from __future__ import annotations

import json

import pytest

from tests.auth.conftest import token_from
from tests.factories import PASSWORD

LIMITED = {"LEDGER_LOGIN_LIMIT_ACCOUNT": "3 per hour", "LEDGER_LOCKOUT_THRESHOLD": 1000}
pytestmark = [pytest.mark.usefixtures("backend"),
              pytest.mark.parametrize("app_settings", [LIMITED], indirect=True)]

# The right password for the account, sent every way a client might.
API_WAYS = {
    "json": ("application/json", lambda u: json.dumps({"username": u, "password": PASSWORD})),
    "json-charset": ("application/json; charset=utf-8", lambda u: json.dumps({"username": u, "password": PASSWORD})),
    "text-plain": ("text/plain", lambda u: json.dumps({"username": u, "password": PASSWORD})),
    "no-type": (None, lambda u: json.dumps({"username": u, "password": PASSWORD})),
    "form-encoded": ("application/x-www-form-urlencoded", lambda u: f"username={u}&password={PASSWORD}"),
    "upper-case-name": ("text/plain", lambda u: json.dumps({"username": u.upper(), "password": PASSWORD})),
}


def _exhaust(client, username: str) -> None:
    for _ in range(3):
        answer = client.post("/api/v1/tokens", json={"username": username, "password": "wrong-password-x"})
        assert answer.status_code == 401


@pytest.mark.parametrize("way", sorted(API_WAYS))
def test_token_endpoint_after_429_every_content_type_is_429(app, f, way):
    f.user("victim")
    client = app.test_client()
    _exhaust(client, "victim")
    content_type, body = API_WAYS[way]
    headers = {"Content-Type": content_type} if content_type else {}
    answer = client.post("/api/v1/tokens", data=body("victim"), headers=headers)
    assert answer.status_code == 429, (way, answer.status_code, answer.get_data(as_text=True)[:200])
    # the right password as JSON, too: the account's budget is spent, whatever the type
    assert client.post("/api/v1/tokens", json={"username": "victim", "password": PASSWORD}).status_code == 429


@pytest.mark.parametrize("way", ["form", "json", "json-charset"])
def test_login_form_after_429_every_content_type_is_429(app, f, way):
    """The web form and the token endpoint spend one budget per account."""
    f.user("victim2")
    client = app.test_client()
    _exhaust(client, "VICTIM2")  # the key is the normalised username
    token = token_from(client.get("/login").text)
    data = {"username": "victim2", "password": PASSWORD, "csrf_token": token}
    if way == "form":
        answer = client.post("/login", data=data)
    else:
        kind = "application/json" + ("; charset=utf-8" if way == "json-charset" else "")
        answer = client.post("/login", data=json.dumps(data), headers={"Content-Type": kind, "X-CSRFToken": token})
    assert answer.status_code == 429, (way, answer.status_code)
    other = f.user("fresh_one")  # the same request for an account with budget left signs in: the 429 is the limit
    data["username"] = other.username
    fresh = app.test_client()
    token = token_from(fresh.get("/login").text)
    data["csrf_token"] = token
    if way == "form":
        answer = fresh.post("/login", data=data)
    else:
        answer = fresh.post("/login", data=json.dumps(data), headers={"Content-Type": kind, "X-CSRFToken": token})
    assert answer.status_code == 302, (way, answer.status_code)


def test_form_encoded_json_never_gets_a_token(app, f):
    """A JSON body labelled as a form is read as a form before any view (the request's input guard), so the
    view sees no body: 400 before and after the limit, never a token."""
    f.user("victim4")
    client = app.test_client()
    body = json.dumps({"username": "victim4", "password": PASSWORD})
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    assert client.post("/api/v1/tokens", data=body, headers=headers).status_code in (400, 429)
    _exhaust(client, "victim4")
    assert client.post("/api/v1/tokens", data=body, headers=headers).status_code in (400, 429)


def test_other_accounts_keep_their_budget(app, f):
    f.user("victim3")
    f.user("bystander")
    client = app.test_client()
    _exhaust(client, "victim3")
    answer = client.post("/api/v1/tokens", data=json.dumps({"username": "bystander", "password": PASSWORD}),
                         headers={"Content-Type": "text/plain"})
    assert answer.status_code == 201
