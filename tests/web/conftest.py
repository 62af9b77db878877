"""Browser-page helpers: sign in through the real login form and post forms with their CSRF token."""
from __future__ import annotations

import re

import pytest
from flask import g

from tests.factories import PASSWORD

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def token_from(html: str) -> str:
    match = TOKEN.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


def _forget_request_state() -> None:
    """The test's app context outlives requests, and so would ``g`` (the signed-in user, the CSRF token)."""
    for key in list(g):
        g.pop(key)


class Browser:
    """A test client signed in as one user; ``post`` adds the session's CSRF token unless told not to."""

    def __init__(self, client, user=None):
        self.client, self.user, self._token = client, user, None
        if user is not None:
            page = self.get("/login")
            response = self.post("/login", {"username": user.username, "password": PASSWORD,
                                            "csrf_token": token_from(page.text)})
            assert response.status_code == 302, response.text

    @property
    def token(self) -> str:
        if self._token is None:
            self._token = token_from(self.client.get("/account").text)
        return self._token

    def get(self, url, **kw):
        _forget_request_state()
        return self.client.get(url, **kw)

    def post(self, url, data=None, csrf: bool = True, **kw):
        data = dict(data or {})
        if csrf:
            for key in [k for k in data if k.endswith("-version")]:
                data.setdefault(key.replace("-version", "-csrf_token"), self.token)
            if "csrf_token" not in data:
                data["csrf_token"] = self.token
        _forget_request_state()
        return self.client.post(url, data=data, **kw)


@pytest.fixture
def browser(app):
    """``browser(user)`` → a fresh test client signed in as that user (None: anonymous)."""
    def make(user=None) -> Browser:
        return Browser(app.test_client(), user)
    return make


@pytest.fixture
def w(f):
    return f.world()
