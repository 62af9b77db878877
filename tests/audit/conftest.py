"""Fixtures: users holding the system roles, and reading the log back."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from ledger.audit.models import AuditEntry
from ledger.auth.services import create_user
from ledger.core.db import db
from tests.factories import PASSWORD


def make_user(username: str, **roles):
    user = create_user(None, username, PASSWORD, username, f"{username}@example.org", [], **roles)
    db.session.commit()
    return user


@pytest.fixture
def auditor(app):
    return make_user("auditor1", is_auditor=True)


@pytest.fixture
def security_admin(app):
    return make_user("secadmin1", is_security_admin=True)


def entries(action: str | None = None) -> list[AuditEntry]:
    """The log as committed, oldest first (optionally one action)."""
    db.session.rollback()
    query = select(AuditEntry).order_by(AuditEntry.id)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(db.session.scalars(query))
