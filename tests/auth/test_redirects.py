"""Finding 3: a ``next`` parameter never sends the browser off the site — checked as the browser reads it
(tabs and newlines dropped, ``\\`` as ``/``), at every place that reads one."""
from __future__ import annotations

from urllib.parse import quote, urlsplit

import pytest

from ledger.auth.redirects import safe_next
from tests.auth.conftest import Browser, code_for, token_from
from tests.factories import PASSWORD

# Known open-redirect bypasses (as decoded from the query string or the form).
BYPASSES = [
    "//evil.example", "/\t/evil.example", "/\n/evil.example", "/\r/evil.example", "/\r\n/evil.example",
    "\t//evil.example", "/\\evil.example", "\\\\evil.example", "\\/evil.example", "/\\/evil.example",
    "https://evil.example", "http:evil.example", "HTTPS://evil.example/", "javascript:alert(1)",
    " //evil.example", "///evil.example", "/\t\\evil.example", "\x00//evil.example", "evil.example",
    "/\r\nSet-Cookie:x=1", "%2F%2Fevil.example", "/%09/evil.example", "//evil.example@ledger.test",
    "https:/\\evil.example", "/ /evil.example",
]
# a redirect target is decided without SQL: one database is enough
pytestmark = [pytest.mark.usefixtures("backend"), pytest.mark.one_database]


def assert_same_site(location: str) -> None:
    """What a browser would make of the Location header: this host, no injected header."""
    seen = location.replace("\t", "").replace("\r", "").replace("\n", "").replace("\\", "/")
    parts = urlsplit(seen)
    assert parts.netloc in ("", "localhost", "ledger.test"), location
    assert parts.scheme in ("", "http", "https"), location
    assert not parts.path.startswith("//"), location
    assert "\r" not in location and "\n" not in location, location


@pytest.mark.parametrize("payload", BYPASSES)
def test_safe_next_refuses_every_bypass(payload):
    target = safe_next(payload, "/home")
    assert_same_site(target)
    assert target == "/home" or target.startswith("/") and not target.startswith("//")


@pytest.mark.parametrize("good", ["/items", "/items/3?tab=events", "/notifications?unread=1", "/路径"])
def test_safe_next_keeps_same_site_paths(good):
    assert safe_next(good, "/home") == good


def _followed(response) -> str | None:
    """The Location of a redirect; None when the request was refused outright (a NUL byte: 422)."""
    if response.status_code == 422:
        return None
    assert response.status_code == 302, response.text[:300]
    return response.headers["Location"]


def test_login_next(app, f):
    f.user("alice")
    for payload in BYPASSES:
        client = app.test_client()
        page = client.get("/login")
        response = client.post("/login?next=" + quote(payload, safe=""),
                               data={"username": "alice", "password": PASSWORD, "csrf_token": token_from(page.text)})
        location = _followed(response)
        if location is not None:
            assert_same_site(location)


def test_login_next_through_the_second_step(app, f, frozen):
    from ledger.auth import second_factor
    from ledger.core.db import db

    user = f.user("bob")
    second_factor.start_enrolment(user)
    second_factor.confirm_enrolment(user, code_for(user))
    db.session.commit()
    for payload in BYPASSES:
        frozen.advance(seconds=90)  # a fresh code for every login: a used one is refused
        client = app.test_client()
        page = client.get("/login")
        first = client.post("/login?next=" + quote(payload, safe=""),
                            data={"username": "bob", "password": PASSWORD, "csrf_token": token_from(page.text)})
        if _followed(first) is None:
            continue
        assert first.headers["Location"].endswith("/login/second-factor")
        step = client.get("/login/second-factor")
        response = client.post("/login/second-factor", data={"code": code_for(user),
                                                             "csrf_token": token_from(step.text)})
        assert_same_site(_followed(response))


def test_mark_read_next(app, f):
    b = Browser(app.test_client(), f.user("carol"))
    for payload in BYPASSES:
        location = _followed(b.post("/notifications/read", {"next": payload}))
        if location is not None:
            assert_same_site(location)
            assert urlsplit(location).path.startswith("/notifications"), (payload, location)


def test_control_characters_in_next_are_no_500(app, f):
    """The reported instance: CR/LF in ``next`` once raised inside Werkzeug's redirect."""
    f.user("dave")
    client = app.test_client()
    page = client.get("/login")
    response = client.post("/login?next=/%0d%0aSet-Cookie:x=1", data={
        "username": "dave", "password": PASSWORD, "csrf_token": token_from(page.text)})
    assert response.status_code == 302
    assert not response.headers["Location"].startswith("//")
    assert all(not c.startswith("x=") for c in response.headers.getlist("Set-Cookie"))
