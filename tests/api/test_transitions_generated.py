"""Generated from ``lifecycle.RULES``: every starting status × every action × every relation, through
``POST /api/v1/items/{id}/transitions`` (``attach`` through the upload route).

Allowed ⇔ the status is one of the rule's sources, the caller stands in one of the rule's relations, and
the rule's guards pass with valid input; a refusal answers the status and code of the first failed check
and changes nothing (same row, same version, no Event, no other row written)."""
from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, inspect, select

from ledger.core import clock
from ledger.core.db import db
from ledger.core.enums import ItemStatus
from ledger.items import effects, lifecycle
from ledger.items.attachments import add_attachment
from ledger.items.models import Attachment, Event, Extension, Item, Urge
from ledger.items.services import apply_action, context_for
from ledger.outbox.models import Message, Notification
from tests.factories import PNG

pytestmark = pytest.mark.usefixtures("fast_hashing")

STATUSES = ItemStatus.values()
OPEN = {"pending", "claimed", "in_progress", "awaiting_verification"}
# relation name → (world attribute, the relations the lifecycle must see, may read the item)
RELATIONS = {
    "owner": ("owner_a", {"owner"}, True),
    "secretary": ("sec_a", {"secretary"}, True),
    "supervisor": ("sup_a", {"supervisor"}, True),
    "root_supervisor": ("sup_root", {"supervisor"}, True),
    "admin": ("admin", set(), True),
    "unrelated_owner": ("owner_b", set(), False),
    "other_secretary": ("sec_b", set(), False),
}
COUNTED = (Event, Extension, Urge, Attachment, Message, Notification)


def valid_data(action: str, item: Item, w) -> dict:
    """Input that satisfies the rule's required fields and input guards (Python values)."""
    today = clock.today()
    return {
        "claim": {"measures": "确认的整改措施", "deadline": today + timedelta(days=20)},
        "start": {},
        "progress": {"note": "已完成排班", "percent": 50},
        "submit": {"completion_note": "整改完成"},
        "verify": {"comment": "同意销号"},
        "return": {"reason": "补充佐证"},
        "reopen": {"reason": "群众不满意"},
        "reassign": {"owner_id": w.owner_a2.id},
        "cancel": {"reason": "duplicate", "comment": "与另一事项重复"},
        "flag": {"comment": "挂牌督办"},
        "unflag": {"comment": "取消挂牌"},
        "urge": {"note": "请加快进度"},
        "request_extension": {"new_deadline": (item.deadline or today) + timedelta(days=30), "reason": "需采购"},
        "approve_extension": {"comment": "同意延期"},
        "reject_extension": {"comment": "不同意延期"},
        "edit": {"title": "修改后的标题", "description": "补充说明"},
        "attach": {},
    }[action]


def as_json(data: dict) -> dict:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in data.items()}


def make_item(f, w, status: str, action: str) -> Item:
    """A fresh item in ``status``, prepared so that ``action``'s guards can pass."""
    kind = "immediate" if action == "submit" else "time_limited"  # immediate items may be submitted once claimed
    item = f.item(w.sec_a, w.org_a, w.owner_a, status=status, kind=kind)
    if action == "submit" and status in ("claimed", "in_progress"):
        add_attachment(w.owner_a, item.id, "photo", "evidence.png", io.BytesIO(PNG))  # evidence is required
    elif action == "unflag" and status in OPEN:
        apply_action(w.sup_root, item.id, "flag", item.version, comment="挂牌")
    elif action in ("approve_extension", "reject_extension") and status in ("claimed", "in_progress"):
        apply_action(w.owner_a, item.id, "request_extension", item.version,
                     new_deadline=item.deadline + timedelta(days=30), reason="需要更多时间")
    db.session.commit()
    return db.session.get(Item, item.id)


def row_of(item_id: int) -> dict:
    db.session.expire_all()
    item = db.session.get(Item, item_id)
    return {attr.key: getattr(item, attr.key) for attr in inspect(Item).column_attrs}


def counts(item_id: int) -> dict:
    found = {}
    for model in COUNTED:
        query = select(func.count()).select_from(model)
        if hasattr(model, "item_id"):
            query = query.where(model.item_id == item_id)
        found[model.__name__] = db.session.scalar(query)
    return found


def expectation(action: str, status: str, relation: str, user, item: Item, data: dict) -> tuple[int, str | None]:
    """(HTTP status, error code) the table says this attempt must get."""
    _, relations, readable = RELATIONS[relation]
    rule = lifecycle.RULES[action]
    if not readable:
        return 404, "not_found"
    if not rule.who & relations:
        return 403, "forbidden"
    if status not in rule.sources:
        return 409, "invalid_transition"
    ctx = context_for(user, item, effects.normalise(action, dict(data)))
    assert ctx.relations == relations, (relation, ctx.relations)
    for g in rule.guards:
        problem = g(ctx)
        if problem is not None:
            return problem.status, problem.code
    return (201 if action == "attach" else 200), None  # an upload creates an attachment


def attempt(client, token: str, item: Item, action: str, data: dict):
    headers = {"Authorization": f"Bearer {token}"}
    if action == "attach":
        response = client.post(f"/api/v1/items/{item.id}/attachments", headers=headers,
                               data={"kind": "photo", "file": (io.BytesIO(PNG), "photo.png")},
                               content_type="multipart/form-data")
    else:
        response = client.post(f"/api/v1/items/{item.id}/transitions", headers=headers,
                               json={"action": action, "version": item.version, **as_json(data)})
    return response.status_code, response.get_json(silent=True)


@pytest.mark.parametrize("status", STATUSES)
def test_every_action_by_every_relation(status, f, api, client, backend):
    w = f.world()
    tokens = {name: api(getattr(w, attr)).token for name, (attr, _, _) in RELATIONS.items()}
    problems, allowed_seen = [], []
    for action in lifecycle.ACTIONS:
        item = None
        for relation, (attr, _, _) in RELATIONS.items():
            if item is None:
                item = make_item(f, w, status, action)
            user = getattr(w, attr)
            data = valid_data(action, item, w)
            want_status, want_code = expectation(action, status, relation, user, item, data)
            before_row, before_counts = row_of(item.id), counts(item.id)
            label = f"{status} × {action} × {relation}"
            if RELATIONS[relation][2]:  # the buttons the item page would show agree with the table
                shown = client.get(f"/api/v1/items/{item.id}", headers={"Authorization": f"Bearer {tokens[relation]}"})
                if (action in shown.get_json()["allowed_actions"]) != (want_status in (200, 201)):
                    problems.append(f"{label}: allowed_actions {shown.get_json()['allowed_actions']} "
                                    f"disagrees with the expected {want_status}")
            got_status, body = attempt(client, tokens[relation], db.session.get(Item, item.id), action, data)
            if got_status != want_status:
                problems.append(f"{label}: expected {want_status} {want_code}, got {got_status} {body}")
            if want_status in (200, 201) and got_status == want_status:
                allowed_seen.append((action, relation))
                after = row_of(item.id)
                rule = lifecycle.RULES[action]
                if after["status"] != (rule.target or status):
                    problems.append(f"{label}: status {after['status']}, expected {rule.target or status}")
                event = db.session.scalars(select(Event).where(Event.item_id == item.id)
                                           .order_by(Event.id.desc())).first()
                if (event.action, event.from_status, event.to_status, event.actor_id) != (
                        action, status, after["status"], user.id):
                    problems.append(f"{label}: last event {event.action} {event.from_status}→{event.to_status}")
                if counts(item.id)["Event"] != before_counts["Event"] + 1:
                    problems.append(f"{label}: expected exactly one new Event")
                if action != "attach" and body["version"] != after["version"]:
                    problems.append(f"{label}: answered version {body['version']}, stored {after['version']}")
                item = None  # the next relation gets a fresh item
                continue
            if got_status < 400:
                problems.append(f"{label}: refusal expected but answered {got_status}")
                item = None
                continue
            error = (body or {}).get("error") or {}
            if want_code and error.get("code") != want_code:
                problems.append(f"{label}: error code {error.get('code')}, expected {want_code}")
            if set(error) != {"code", "message", "details"} or not error.get("message"):
                problems.append(f"{label}: error shape {body}")
            if want_status == 404 and set(body) != {"error"}:
                problems.append(f"{label}: a 404 must not carry the item: {body}")
            if row_of(item.id) != before_row:
                problems.append(f"{label}: refusal changed the item")
            if counts(item.id) != before_counts:
                problems.append(f"{label}: refusal wrote rows {before_counts} → {counts(item.id)}")
    assert not problems, "\n".join(problems)
    # The generated matrix must exercise the table, not only refuse everything.
    expected_allowed = {(a, r) for a, rule in lifecycle.RULES.items() if status in rule.sources
                        for r, (_, rels, _) in RELATIONS.items() if rule.who & rels}
    assert set(allowed_seen) <= expected_allowed
    if status != "cancelled":
        assert allowed_seen, f"nothing was allowed from {status}"


def test_the_matrix_allows_what_spec_says_somebody_may_do(f, api, client, backend, fast_hashing):
    """Spot checks of the generator's oracle against SPEC §3, so a wrong oracle cannot pass silently."""
    w = f.world()
    item = make_item(f, w, "in_progress", "approve_extension")
    data = valid_data("approve_extension", item, w)
    # The organisation has supervisors: its secretary may not decide extensions.
    assert expectation("approve_extension", "in_progress", "secretary", w.sec_a, item, data) == (403, "forbidden")
    assert expectation("approve_extension", "in_progress", "supervisor", w.sup_a, item, data) == (200, None)
    claimed = make_item(f, w, "claimed", "progress")
    data = valid_data("submit", claimed, w)
    # time-limited items must be started before they are submitted
    assert expectation("submit", "claimed", "owner", w.owner_a, claimed, data) == (409, "invalid_transition")
    assert expectation("unflag", "claimed", "supervisor", w.sup_a, claimed, {"comment": "x"}) == (
        409, "invalid_transition")
    assert expectation("verify", "awaiting_verification", "owner", w.owner_a, claimed, {"comment": "x"}) == (
        403, "forbidden")
    assert expectation("claim", "pending", "unrelated_owner", w.owner_b, claimed, {}) == (404, "not_found")
