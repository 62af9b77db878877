"""Reads: every resource × role × own / child / sibling organisation. Another organisation's object is a
404 that carries none of its data; lists never include a row out of scope; no credentials is a 401."""
from __future__ import annotations

import pytest

from ledger.core.db import db
from tests.api.support import MANAGED, ORG_READERS, ROLES, error_of, visible_items

pytestmark = pytest.mark.usefixtures("backend")


def all_pages(client, path: str) -> list[dict]:
    """Every row of a list, following the cursor (small pages, so paging is checked too)."""
    rows, cursor = [], None
    sep = "&" if "?" in path else "?"
    while True:
        status, body = client.get(f"{path}{sep}limit=2" + (f"&cursor={cursor}" if cursor else ""))
        assert status == 200, (path, body)
        assert set(body) == {"items", "next_cursor"}
        rows += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            return rows


def assert_hidden(client, path: str, *secrets: str) -> None:
    response = client.client.get(f"/api/v1{path}", headers=client._headers())
    assert response.status_code == 404, (path, response.status_code, response.get_data(as_text=True)[:300])
    error_of(response.get_json())
    text = response.get_data(as_text=True)
    for secret in secrets:
        assert secret not in text


def assert_anonymous_refused(client, path: str) -> None:
    status, body = client.get(path)
    assert status == 401, (path, body)
    assert error_of(body)["code"] == "unauthorized"


def check_orgs(role, scene, as_role):
    client = as_role(role)
    if role == "anonymous":
        assert_anonymous_refused(client, "/orgs")
        assert_anonymous_refused(client, f"/orgs/{scene.orgs['a'].id}")
        return
    expected = {scene.orgs[k].id for k in ORG_READERS[role]}
    assert {o["id"] for o in all_pages(client, "/orgs")} == expected
    for key, org in scene.orgs.items():
        if key in ORG_READERS[role]:
            status, body = client.get(f"/orgs/{org.id}")
            assert status == 200 and body["name"] == org.name
        else:
            assert_hidden(client, f"/orgs/{org.id}", org.name)


def check_users(role, scene, as_role):
    client = as_role(role)
    if role == "anonymous":
        assert_anonymous_refused(client, "/users")
        assert_anonymous_refused(client, "/users/me")
        assert_anonymous_refused(client, f"/users/{scene.users['owner_a'].id}")
        return
    org_key = {org.id: key for key, org in scene.orgs.items()}
    me = scene.users[role]

    def visible(user) -> bool:
        if role == "admin" or user.id == me.id:
            return True
        return any(org_key[m.org_id] in MANAGED[role] for m in user.memberships)

    expected = {u.id for u in scene.users.values() if visible(u)}
    listed = all_pages(client, "/users")
    assert {u["id"] for u in listed} == expected
    status, body = client.get("/users/me")
    assert status == 200 and body["id"] == me.id and body["username"] == me.username
    for user in scene.users.values():
        if visible(user):
            status, body = client.get(f"/users/{user.id}")
            assert status == 200 and body["username"] == user.username
        else:
            assert_hidden(client, f"/users/{user.id}", user.username, user.email)
    for user in listed:
        assert "password" not in user and "password_hash" not in user and "session_token" not in user


def check_reviews(role, scene, as_role):
    client = as_role(role)
    if role == "anonymous":
        assert_anonymous_refused(client, "/reviews")
        assert_anonymous_refused(client, f"/reviews/{scene.reviews['a'].id}")
        return
    expected = {scene.reviews[k].id for k in MANAGED[role]}
    assert {r["id"] for r in all_pages(client, "/reviews")} == expected
    for key, review in scene.reviews.items():
        if key in MANAGED[role]:
            status, body = client.get(f"/reviews/{review.id}")
            assert status == 200 and body["title"] == review.title
        else:
            assert_hidden(client, f"/reviews/{review.id}", f"SECRET-review-{key}")
        # a filter on an organisation out of scope yields nothing, never its rows
        rows = all_pages(client, f"/reviews?org_id={scene.orgs[key].id}")
        assert {r["id"] for r in rows} == ({review.id} if key in MANAGED[role] else set())


def check_opinions(role, scene, as_role):
    client = as_role(role)
    if role == "anonymous":
        assert_anonymous_refused(client, "/opinions")
        assert_anonymous_refused(client, f"/opinions/{scene.opinions['a'].id}")
        return
    expected = {scene.opinions[k].id for k in MANAGED[role]}
    assert {o["id"] for o in all_pages(client, "/opinions")} == expected
    for key, opinion in scene.opinions.items():
        if key in MANAGED[role]:
            status, body = client.get(f"/opinions/{opinion.id}")
            assert status == 200 and body["content"] == opinion.content
        else:
            assert_hidden(client, f"/opinions/{opinion.id}", f"SECRET-opinion-{key}", f"SECRET-name-{key}",
                          f"{key}@example.org")
        rows = all_pages(client, f"/opinions?org_id={scene.orgs[key].id}")
        assert {r["id"] for r in rows} == ({opinion.id} if key in MANAGED[role] else set())


def check_items(role, scene, as_role):
    client = as_role(role)
    if role == "anonymous":
        item, attachment = scene.items["a"], scene.attachments["a"]
        for path in ("/items", f"/items/{item.id}", f"/items/{item.id}/events", f"/items/{item.id}/attachments",
                     f"/items/{item.id}/attachments/{attachment.id}"):
            assert_anonymous_refused(client, path)
        return
    visible = visible_items(scene, role)
    listed = all_pages(client, "/items")
    assert {i["id"] for i in listed} == {scene.items[k].id for k in visible}
    for key, item in scene.items.items():
        attachment = scene.attachments[key]
        secrets = (f"SECRET-item-{key}", f"SECRET-desc-{key}", f"SECRET-file-{key}")
        if key in visible:
            status, body = client.get(f"/items/{item.id}")
            assert status == 200 and body["title"] == item.title
            status, body = client.get(f"/items/{item.id}/events")
            assert status == 200 and [e["action"] for e in body["items"]][:2] == ["create", "claim"]
            status, body = client.get(f"/items/{item.id}/attachments")
            assert status == 200 and [a["id"] for a in body["items"]] == [attachment.id]
            response = client.client.get(f"/api/v1/items/{item.id}/attachments/{attachment.id}",
                                         headers=client._headers())
            assert response.status_code == 200 and response.data.startswith(b"\x89PNG")
            response.close()
        else:
            for path in (f"/items/{item.id}", f"/items/{item.id}/events", f"/items/{item.id}/attachments",
                         f"/items/{item.id}/attachments/{attachment.id}"):
                assert_hidden(client, path, *secrets)
        # the item filter on an organisation never brings in rows out of scope
        rows = all_pages(client, f"/items?org_id={item.org_id}")
        assert {r["id"] for r in rows} <= {scene.items[k].id for k in visible}
        rows = all_pages(client, f"/items?q=SECRET-item-{key}-end")
        assert {r["id"] for r in rows} == ({item.id} if key in visible else set())


def check_notifications(role, scene, as_role):
    from sqlalchemy import select

    from ledger.outbox.models import Notification

    client = as_role(role)
    if role == "anonymous":
        assert_anonymous_refused(client, "/notifications")
        return
    me = scene.users[role]
    expected = set(db.session.scalars(select(Notification.id).where(Notification.user_id == me.id)))
    rows = all_pages(client, "/notifications")
    assert {n["id"] for n in rows} == expected
    if role.startswith("owner"):
        assert expected, "owners were told about their items"


def check_attachment_paths(role, scene, as_role):
    """A readable item's path must not open another organisation's attachment."""
    if role in ("sec_a", "owner_a", "sup_a"):
        assert_hidden(as_role(role), f"/items/{scene.items['a'].id}/attachments/{scene.attachments['b'].id}",
                      "SECRET-file-b")


CHECKS = [check_orgs, check_users, check_reviews, check_opinions, check_items, check_attachment_paths,
          check_notifications]


@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__[len("check_"):] for c in CHECKS])
def test_reads(check, scene, as_role):
    """One scene per resource; every role of the matrix reads every organisation's object."""
    for role in ROLES:
        try:
            check(role, scene, as_role)
        except AssertionError as exc:
            raise AssertionError(f"as {role}: {exc}") from exc
