"""What the browser is told (issue 14, SPEC §16): a Content-Security-Policy the pages live within (no inline
script, handler or style anywhere), no-store for whatever a signed-in user sees and for the sign-in pages,
HSTS and ``__Host-`` cookies in production only."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from ledger import create_app
from ledger.web.security_headers import CSP
from tests.conftest import _fresh_request_state
from tests.web import hostile


class _Inline(HTMLParser):
    """Collects what a strict CSP would block: inline scripts, ``on*`` attributes, ``style`` attributes and
    elements, ``javascript:`` links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names:
            self.found.append("<script> without src")
        if tag == "style":
            self.found.append("<style>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag} {name}=")
            if name == "style":
                self.found.append(f"{tag} style=")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                    "javascript:"):
                self.found.append(f"{tag} {name}=javascript:")


def inline_content(html: str) -> list[str]:
    parser = _Inline()
    parser.feed(html)
    return parser.found


def test_the_scanner_finds_what_the_policy_blocks():
    assert inline_content('<script>alert(1)</script><a onclick="x()" style="color:red" href="javascript:x">') == [
        "<script> without src", "a onclick=", "a style=", "a href=javascript:"]
    assert inline_content('<script src="/static/ledger.js"></script><style>p{}</style>') == ["<style>"]


def test_every_page_of_every_role_carries_the_policy_and_runs_no_inline_code(app, browser, f, backend):
    world = hostile.build(f)
    pages = 0
    for who, url, response in hostile.crawl(app, browser, world):
        if response.mimetype != "text/html":
            continue
        assert response.headers.get("Content-Security-Policy") == CSP, (who, url)
        assert response.headers.get("X-Frame-Options") == "DENY"
        assert response.headers.get("X-Content-Type-Options") == "nosniff"
        found = inline_content(response.get_data(as_text=True))
        assert found == [], (who, url, found)
        if response.status_code == 200:
            pages += 1
        if who != "anonymous" and response.status_code == 200:
            assert response.headers.get("Cache-Control") == "no-store", (who, url)
    assert pages > 100


def test_the_policy_is_strict():
    directives = dict(part.strip().split(" ", 1) for part in CSP.split(";"))
    assert directives["default-src"] == "'self'" and directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert directives["base-uri"] == "'none'" and directives["form-action"] == "'self'"
    assert "unsafe" not in CSP  # neither 'unsafe-inline' nor 'unsafe-eval', for scripts or styles


def test_error_pages_and_the_login_page_carry_it_too(client, backend):
    for url in ("/login", "/public/notices", "/no-such-page", "/items/99999"):
        response = client.get(url)
        if response.mimetype == "text/html":
            assert response.headers["Content-Security-Policy"] == CSP, url
    assert client.get("/login").headers["Cache-Control"] == "no-store"


def test_signed_in_answers_are_not_stored_but_static_files_and_public_pages_may_be(app, browser, f, backend):
    w = f.world()
    b = browser(w.sec_a)
    for url in ("/", "/items", "/account", "/api/v1/items"):
        assert b.get(url).headers.get("Cache-Control") == "no-store", url
    token = _token(app, w.sec_a)
    answer = app.test_client().get("/api/v1/items", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    tokens = app.test_client().post("/api/v1/tokens", json={"username": "sec_a", "password": "wrong"})
    assert tokens.headers["Cache-Control"] == "no-store"
    css = b.get("/static/ledger.css")
    assert css.headers.get("Cache-Control") != "no-store"
    css.close()
    anonymous = app.test_client().get("/public/notices")
    assert anonymous.headers.get("Cache-Control") != "no-store"
    assert "Strict-Transport-Security" not in anonymous.headers  # not in development or tests


def test_logout_tells_the_browser_to_drop_what_it_kept(browser, f, backend):
    w = f.world()
    b = browser(w.owner_a)
    b.get("/")
    response = b.post("/logout")
    assert response.status_code == 302
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'
    assert "Clear-Site-Data" not in b.get("/login").headers


def _token(app, user) -> str:
    from ledger.auth.services import issue_token
    from ledger.core.db import db

    token = issue_token(user, "test")
    db.session.commit()
    return token


@pytest.fixture
def production_app(app_settings):
    app = create_app({**app_settings, "LEDGER_ENV": "production", "WTF_CSRF_SSL_STRICT": False})
    _fresh_request_state(app)
    with app.app_context():
        yield app


def test_production_sends_hsts_and_host_prefixed_cookies(production_app, backend):
    client = production_app.test_client()
    response = client.get("/login", base_url="https://ledger.test")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    cookie = response.headers.get("Set-Cookie", "")
    assert cookie.startswith("__Host-session="), cookie
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert "secure" in attributes and "domain" not in attributes and "path" in attributes
    assert re.search(r"(?i);\s*path=/(;|$)", cookie), cookie
    assert production_app.config["REMEMBER_COOKIE_NAME"] == "__Host-remember_token"
    assert production_app.config["REMEMBER_COOKIE_SECURE"] is True


def test_development_keeps_the_plain_cookie_name(app, client, backend):
    response = client.get("/login")
    assert response.headers.get("Set-Cookie", "").startswith("session=")
    assert "Strict-Transport-Security" not in response.headers
    assert app.config["SESSION_COOKIE_NAME"] == "session"


def test_a_name_set_explicitly_wins_in_production(app_settings, backend):
    app = create_app({**app_settings, "LEDGER_ENV": "production", "SESSION_COOKIE_NAME": "ledger"})
    assert app.config["SESSION_COOKIE_NAME"] == "ledger"

