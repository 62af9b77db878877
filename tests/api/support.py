"""Helpers shared by tests/api and tests/access: cheap hashing and a scene with one object of each kind
in every organisation."""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date

import pytest
from argon2 import PasswordHasher

from ledger.core.db import db
from ledger.items.attachments import add_attachment
from ledger.reviews.services import create_review
from tests.factories import PNG


@pytest.fixture
def fast_hashing(monkeypatch):
    """Still argon2id, with tiny costs: worlds of a dozen users build in milliseconds, not seconds.

    Not for tests about password hashing itself (tests/api/test_auth.py checks the real parameters)."""
    from ledger.auth import passwords

    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def error_of(body) -> dict:
    """The SPEC §8 error object, checked for shape."""
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, error
    assert isinstance(error["code"], str) and error["message"] and isinstance(error["details"], dict), error
    return error


@dataclass
class Scene:
    """The world of tests/factories.py plus a child organisation ``a1`` under ``org_a`` and, in each
    organisation (``root``, ``a``, ``a1``, ``b``), a review, an opinion and a claimed item with one
    attachment; ``a`` has a second item (``a2``) owned by owner_a2. Every text carries a marker
    (``SECRET-<key>``) so a leak shows in any response body."""

    w: object
    orgs: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    reviews: dict = field(default_factory=dict)
    opinions: dict = field(default_factory=dict)
    items: dict = field(default_factory=dict)
    attachments: dict = field(default_factory=dict)
    item_org: dict = field(default_factory=dict)


def build_scene(f) -> Scene:
    w = f.world()
    a1 = f.org("甲一小组", w.org_a)
    s = Scene(w=w)
    s.orgs = {"root": w.root, "a": w.org_a, "a1": a1, "b": w.org_b}
    sec_root = f.user("sec_root", [(w.root, "secretary")])
    sec_a1 = f.user("sec_a1", [(a1, "secretary")])
    owner_root = f.user("owner_root", [(w.root, "owner")])
    owner_a1 = f.user("owner_a1", [(a1, "owner")])
    s.users = {"admin": w.admin, "sup_root": w.sup_root, "sup_a": w.sup_a, "sec_a": w.sec_a, "sec_b": w.sec_b,
               "owner_a": w.owner_a, "owner_a2": w.owner_a2, "owner_b": w.owner_b, "sec_root": sec_root,
               "sec_a1": sec_a1, "owner_root": owner_root, "owner_a1": owner_a1}
    secretaries = {"root": sec_root, "a": w.sec_a, "a1": sec_a1, "b": w.sec_b}
    owners = {"root": owner_root, "a": w.owner_a, "a2": w.owner_a2, "a1": owner_a1, "b": w.owner_b}
    for key in ("root", "a", "a1", "b"):
        org, sec = s.orgs[key], secretaries[key]
        s.reviews[key] = create_review(sec, {"org_id": org.id, "title": f"评议 SECRET-review-{key}",
                                             "method": "meeting", "held_on": date(2026, 1, 5)})
        db.session.commit()
        s.opinions[key] = f.opinion(sec, org, content=f"意见 SECRET-opinion-{key}",
                                    submitter_name=f"SECRET-name-{key}", submitter_contact=f"{key}@example.org")
    for key, owner in owners.items():
        org_key = "a" if key == "a2" else key
        s.item_org[key] = org_key
        item = f.item(secretaries[org_key], s.orgs[org_key], owner, status="claimed",
                      title=f"事项 SECRET-item-{key}-end", description=f"SECRET-desc-{key}")
        s.items[key] = item
        s.attachments[key] = add_attachment(owner, item.id, "photo", f"SECRET-file-{key}.png", io.BytesIO(PNG))
        db.session.commit()
    return s


ROLES = ("admin", "sup_root", "sup_a", "sec_a", "sec_b", "owner_a", "owner_b", "anonymous")
# Organisations whose records (reviews, opinions, items, users) each role manages: own and child
# organisations of a supervisor; the organisation itself for a secretary; nothing for an owner.
MANAGED = {"admin": {"root", "a", "a1", "b"}, "sup_root": {"root", "a", "a1", "b"}, "sup_a": {"a", "a1"},
           "sec_a": {"a"}, "sec_b": {"b"}, "owner_a": set(), "owner_b": set(), "anonymous": set()}
# Organisations each role may read as organisations: the managed ones and those they are members of.
ORG_READERS = {**MANAGED, "owner_a": {"a"}, "owner_b": {"b"}}
# Items each role may read: those of managed organisations, and their own.
OWN_ITEMS = {"owner_a": {"a"}, "owner_b": {"b"}}
SECRETARY_OF = {"sec_a": {"a"}, "sec_b": {"b"}}


def visible_items(s: Scene, role: str) -> set[str]:
    return {k for k, org in s.item_org.items() if org in MANAGED[role]} | OWN_ITEMS.get(role, set())


def csrf_from(html: str) -> str:
    import re

    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert match, "no csrf_token in the page"
    return match.group(1)


def login(client, username: str, password: str):
    """Sign in through the /login form (with the page's CSRF token); answers the response."""
    from flask import g

    # Requests in tests share the test's application context, and Flask-WTF caches the token on ``g``:
    # drop it, so this client's page carries a token for this client's session.
    g.pop("csrf_token", None)
    page = client.get("/login")
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_from(page.get_data(as_text=True))})


@pytest.fixture
def isolated_requests(app):
    """Test requests run inside the test's application context, so ``g`` outlives a request: Flask-Login's
    cached user and Flask-WTF's CSRF token would leak from one client to the next. Forget them at the
    start of every request, as a real server would, so a replayed cookie is judged on its own."""
    from flask import g

    @app.before_request
    def _forget_request_state() -> None:
        for key in ("_login_user", "csrf_token"):
            g.pop(key, None)
    return app
