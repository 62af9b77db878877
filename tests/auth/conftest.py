"""Fixtures for the authentication tests: a signed-in browser, settings per test, an empty database for
the migration test, the audit entries written, and TOTP codes at the app's clock."""
from __future__ import annotations

from datetime import datetime, timedelta

import pyotp
import pytest
from sqlalchemy import select

from ledger.core import clock
from ledger.core.db import db
from tests.migrations.conftest import bare_app as bare_app  # noqa: F401  (fixtures, re-exported)
from tests.migrations.conftest import empty_database_url as empty_database_url  # noqa: F401
from tests.web.conftest import Browser, token_from

__all__ = ["Browser", "token_from", "code_for", "actions", "Clock"]


@pytest.fixture
def app_settings(app_settings, request):
    """A test may add settings with ``@pytest.mark.parametrize("app_settings", [{...}], indirect=True)``."""
    return {**app_settings, **getattr(request, "param", {})}


@pytest.fixture
def w(f):
    return f.world()


@pytest.fixture
def browser(app):
    """``browser(user)``: a fresh test client signed in as that user through /login (None: anonymous)."""
    def make(user=None) -> Browser:
        return Browser(app.test_client(), user)
    return make


def code_for(user, at: datetime | None = None) -> str:
    """The code the user's authenticator shows at ``at`` (default: the app's now)."""
    db.session.refresh(user)
    return pyotp.TOTP(user.totp_secret).at(at or clock.now())


def actions(name: str | None = None) -> list:
    """Audit entries, oldest first (optionally of one action)."""
    from ledger.audit.models import AuditEntry

    db.session.expire_all()
    query = select(AuditEntry).order_by(AuditEntry.id)
    if name:
        query = query.where(AuditEntry.action == name)
    return list(db.session.scalars(query))


class Clock:
    """The app's clock, frozen and moved by the test (every thread reads it)."""

    def __init__(self, start: datetime):
        self.now = start
        clock.set_global(start)

    def advance(self, **delta) -> datetime:
        self.now = self.now + timedelta(**delta)
        clock.set_global(self.now)
        return self.now


@pytest.fixture
def frozen():
    moving = Clock(clock.now().replace(microsecond=0))
    yield moving
    clock.set_global(None)
