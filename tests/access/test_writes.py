"""Writes: every resource × role × own / child / sibling organisation. A write out of scope is refused
(403 or 404, with the §8 error shape) and saves nothing; the same write in scope goes through."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from ledger.core import clock
from ledger.core.db import db
from ledger.items.models import Attachment, Event, Item
from ledger.opinions.models import Opinion
from ledger.orgs.models import Organisation, OrgSettings
from ledger.reviews.models import Review
from tests.api.support import MANAGED, OWN_ITEMS, ROLES, SECRETARY_OF, error_of, visible_items
from tests.factories import PNG

pytestmark = pytest.mark.usefixtures("backend")
ORG_KEYS = ("root", "a", "a1", "b")


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def refused(status: int, body, role: str) -> None:
    wanted = (401,) if role == "anonymous" else (403, 404)
    assert status in wanted, (role, status, body)
    error_of(body)


def for_each(fn):
    for role in ROLES:
        try:
            fn(role)
        except AssertionError as exc:
            raise AssertionError(f"as {role}: {exc}") from exc


def test_org_writes(scene, as_role):
    def check(role):
        client = as_role(role)
        before = count(Organisation)
        status, body = client.post("/orgs", {"name": "新组织", "parent_id": scene.orgs["a"].id})
        if role == "admin":
            assert status == 201
            before += 1
        else:
            refused(status, body, role)
        assert count(Organisation) == before
        for key, org in scene.orgs.items():
            name = org.name
            status, body = client.patch(f"/orgs/{org.id}", {"name": name + "（改）"} if role != "admin" else
                                        {"name": name})
            if role == "admin":
                assert status == 200
            else:
                refused(status, body, role)
            db.session.expire_all()
            assert db.session.get(Organisation, org.id).name == name
            # settings: the admin, or the organisation's own secretary
            status, body = client.put(f"/orgs/{org.id}/settings", {"warning_days": 5})
            if role == "admin" or key in SECRETARY_OF.get(role, ()):
                assert status == 200, body
                db.session.execute(OrgSettings.__table__.delete().where(OrgSettings.org_id == org.id))
                db.session.commit()
            else:
                refused(status, body, role)
                assert db.session.get(OrgSettings, org.id) is None
    for_each(check)


def test_user_writes(scene, as_role):
    def check(role):
        client = as_role(role)
        before = count(db.metadata.tables["users"])
        status, body = client.post("/users", {"username": f"new_{role}", "password": "Secret-pass-9"})
        if role == "admin":
            assert status == 201
            before += 1
        else:
            refused(status, body, role)
        assert count(db.metadata.tables["users"]) == before
        for name, user in scene.users.items():
            if role == "admin":
                continue
            # not even on oneself: nobody but an admin changes a user (or makes themself admin)
            status, body = client.patch(f"/users/{user.id}", {"is_admin": True, "display_name": "x"})
            refused(status, body, role)
            db.session.expire_all()
            assert db.session.get(type(user), user.id).is_admin == (name == "admin")
    for_each(check)


def test_review_and_opinion_creation(scene, as_role):
    def check(role):
        client = as_role(role)
        for key in ORG_KEYS:
            org = scene.orgs[key]
            allowed = key in SECRETARY_OF.get(role, ())
            reviews = count(Review, Review.org_id == org.id)
            status, body = client.post("/reviews", {"org_id": org.id, "title": "评议", "method": "meeting",
                                                    "held_on": "2026-01-05"})
            if allowed:
                assert status == 201 and body["org_id"] == org.id
                reviews += 1
            else:
                refused(status, body, role)
            assert count(Review, Review.org_id == org.id) == reviews
            opinions = count(Opinion, Opinion.org_id == org.id)
            status, body = client.post("/opinions", {"org_id": org.id, "channel": "hotline", "content": "意见"})
            if allowed:
                assert status == 201 and body["org_id"] == org.id
                opinions += 1
            else:
                refused(status, body, role)
            assert count(Opinion, Opinion.org_id == org.id) == opinions
            # a review of another organisation cannot be borrowed for an opinion
            other = scene.reviews["b" if key != "b" else "a"]
            if allowed:
                status, body = client.post("/opinions", {"org_id": org.id, "channel": "meeting", "content": "x",
                                                         "review_id": other.id})
                assert status == 422 and "review_id" in error_of(body)["details"]["fields"]
    for_each(check)


def test_triage(scene, as_role):
    def check(role):
        client = as_role(role)
        for key in ORG_KEYS:
            opinion = scene.opinions[key]
            allowed = key in SECRETARY_OF.get(role, ())
            if allowed:
                continue  # the positive case runs last, below: it changes the opinion
            for body_in in ({"action": "answer", "reply": "已答复"}, {"action": "reject", "reply": "理由"},
                            {"action": "link", "item_id": scene.items[key].id},
                            {"action": "accept", "item": {"title": "新事项", "owner_id": scene.users["owner_a"].id,
                                                           "deadline": str(clock.today() + timedelta(days=9))}}):
                items_before = count(Item)
                status, body = client.post(f"/opinions/{opinion.id}/triage", body_in)
                refused(status, body, role)
                assert count(Item) == items_before
                db.session.expire_all()
                stored = db.session.get(Opinion, opinion.id)
                assert (stored.status, stored.reply, stored.item_id) == ("new", None, None)
    for_each(check)
    # a secretary may not link an opinion to another organisation's item
    client = as_role("sec_a")
    status, body = client.post(f"/opinions/{scene.opinions['a'].id}/triage",
                               {"action": "link", "item_id": scene.items["b"].id})
    assert status in (404, 422), body
    error_of(body)
    status, body = client.post(f"/opinions/{scene.opinions['a'].id}/triage", {"action": "answer", "reply": "已答复"})
    assert status == 200 and body["status"] == "answered"


def test_item_creation(scene, as_role):
    owners = {"root": "owner_root", "a": "owner_a", "a1": "owner_a1", "b": "owner_b"}

    def check(role):
        client = as_role(role)
        for key in ORG_KEYS:
            org = scene.orgs[key]
            allowed = key in SECRETARY_OF.get(role, ())
            before = count(Item, Item.org_id == org.id)
            status, body = client.post("/items", {
                "org_id": org.id, "title": "新事项", "owner_id": scene.users[owners[key]].id,
                "deadline": str(clock.today() + timedelta(days=9))})
            if allowed:
                assert status == 201 and body["org_id"] == org.id
                before += 1
            else:
                refused(status, body, role)
            assert count(Item, Item.org_id == org.id) == before
    for_each(check)
    # opinions of another organisation cannot be merged into one's item
    status, body = as_role("sec_a").post("/items", {
        "org_id": scene.orgs["a"].id, "title": "合并", "owner_id": scene.users["owner_a"].id,
        "deadline": str(clock.today() + timedelta(days=9)), "opinion_ids": [scene.opinions["b"].id]})
    assert status == 422 and error_of(body)["code"] == "invalid"
    assert db.session.get(Opinion, scene.opinions["b"].id).status == "new"


def test_transitions(scene, as_role):
    """``urge`` (secretary or supervisor) on every item: out of scope 404, in scope without the role 403."""
    def check(role):
        client = as_role(role)
        visible = visible_items(scene, role) if role != "anonymous" else set()
        for key, item in scene.items.items():
            org_key = scene.item_org[key]
            db.session.expire_all()
            stored = db.session.get(Item, item.id)
            version, events = stored.version, count(Event, Event.item_id == item.id)
            status, body = client.post(f"/items/{item.id}/transitions",
                                       {"action": "urge", "version": version, "note": "请加快"})
            may_urge = role in ("sup_root", "sup_a") and org_key in MANAGED[role] or \
                org_key in SECRETARY_OF.get(role, ())
            if may_urge:
                assert status == 200, body
                continue
            if role == "anonymous":
                assert status == 401
            elif key in visible:
                assert status == 403, body
            else:
                assert status == 404, body
                assert "SECRET" not in str(body)
            error_of(body)
            db.session.expire_all()
            assert db.session.get(Item, item.id).version == version
            assert count(Event, Event.item_id == item.id) == events
    for_each(check)


def test_attachment_upload(scene, as_role):
    """Evidence is added by the item's owner or its organisation's secretary; nobody else."""
    def check(role):
        client = as_role(role)
        visible = visible_items(scene, role) if role != "anonymous" else set()
        for key, item in scene.items.items():
            org_key = scene.item_org[key]
            before = count(Attachment, Attachment.item_id == item.id)
            response = client.client.post(f"/api/v1/items/{item.id}/attachments", headers=client._headers(),
                                          data={"kind": "photo", "file": (io.BytesIO(PNG), "p.png")},
                                          content_type="multipart/form-data")
            is_owner = key in OWN_ITEMS.get(role, ())
            allowed = is_owner or org_key in SECRETARY_OF.get(role, ())
            if allowed:
                assert response.status_code == 201, response.get_json()
                before += 1
            elif role == "anonymous":
                assert response.status_code == 401
            else:
                assert response.status_code == (403 if key in visible else 404), (key, response.get_json())
                error_of(response.get_json())
            assert count(Attachment, Attachment.item_id == item.id) == before
    for_each(check)


def test_notifications_of_others_cannot_be_marked(scene, as_role):
    from ledger.outbox.models import Notification

    theirs = list(db.session.scalars(select(Notification.id).where(
        Notification.user_id == scene.users["owner_b"].id)))
    assert theirs
    status, body = as_role("owner_a").post("/notifications/read", {"ids": theirs})
    assert status == 200 and body["marked"] == 0
    status, body = as_role("owner_a").post("/notifications/read", {})
    db.session.expire_all()
    assert all(db.session.get(Notification, n).read_at is None for n in theirs)
    status, body = as_role("anonymous").post("/notifications/read", {"ids": theirs})
    assert status == 401
    status, body = as_role("owner_b").post("/notifications/read", {"ids": theirs})
    assert status == 200 and body["marked"] == len(theirs)
